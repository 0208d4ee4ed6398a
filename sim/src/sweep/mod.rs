//! Sweeps: many runs of one scenario over a design of parameter values, with replications,
//! streamed to an output folder in bounded memory, resumable, shardable, with sensitivity indices.
//!
//! - [`Sweep::load`] reads a scenario with a `[sweep]` (alias `[experiment]`) table, or a sweep
//!   file `base = "scenario.toml"` + `[overrides]` + `[sweep]`; the table is typed and checked
//!   (`spec.rs`, `param.rs`) and the design built (`design.rs`, `sobol.rs`).
//! - A point's scenario is the base text with the `[overrides]` and the point's values applied as
//!   `--set key=value` overrides, then typed and resolved exactly like a file, so an invalid value
//!   is a failed run with the scenario error, not a crash.
//! - [`run`] executes the runs of a folder (all of them or one shard) on `workers` threads, each
//!   run single-threaded by default, and streams runs.csv in run order (`runner.rs`, `io.rs`);
//!   [`merge`] joins shard folders (`merge.rs`). Summary metrics are reduced while a run streams
//!   (`summary.rs`); points.csv statistics (`stats.rs`) and sensitivity indices
//!   (`sensitivity.rs`) are computed from runs.csv at the end.
//!
//! Like the rest of the crate this module never reads the clock or the environment; progress and
//! timing are the caller's, through [`Observer`]. It writes only inside the output folder given.
//! docs/SWEEPS.md is the user documentation.

pub mod design;
mod io;
mod merge;
pub mod param;
#[cfg(feature = "parquet")]
mod parquet;
mod runner;
pub mod sensitivity;
pub mod sobol;
pub mod spec;
pub mod stats;
pub mod summary;

use std::path::{Path, PathBuf};

use crate::rng::hash_key;
use crate::scenario::{self, Scenario, ScenarioError, locate_key};

pub use design::Design;
pub use io::{Format, ManifestHead, Shard};
pub use merge::{MergeOutcome, merge};
pub use param::ParamSpec;
pub use runner::{Observer, Outcome, RunOptions, run};
pub use spec::{DesignKind, ParamDef, SweepSpec};
pub use summary::{Columns, MetricDef, Stat};

/// An error of a sweep that is not about its input: output folder, resume, merge.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The scenario or the sweep table is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An output folder does not hold what it should (resume, merge).
    #[error("{path}: {message}")]
    Folder {
        /// The folder or file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The worker threads could not be started, or a worker died.
    #[error("sweep workers: {0}")]
    Workers(String),
    /// Writing Parquet failed.
    #[error("cannot write {path} as Parquet: {message}")]
    Parquet {
        /// The file.
        path: String,
        /// The cause.
        message: String,
    },
}

pub(crate) fn io_err<'p>(
    action: &'static str,
    path: &'p Path,
) -> impl Fn(std::io::Error) -> SweepError + 'p {
    move |source| SweepError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// One run of a sweep: which point, which replicate, which seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// `point_id × replications + replicate`.
    pub run_id: u64,
    /// The design point.
    pub point_id: u64,
    /// The replicate index (0-based).
    pub replicate: u32,
    /// The run's `run.seed`.
    pub seed: u64,
    /// The run's `run.run`.
    pub run: u64,
}

/// A loaded, checked sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The sweep file as given (error label).
    pub file: String,
    /// The base scenario, resolved, without its sweep table.
    pub base: Scenario,
    /// [`scenario::scenario_hash`] of `base`.
    pub base_hash: String,
    /// The sweep table as written.
    pub given: toml::Table,
    /// The checked, expanded sweep table.
    pub spec: SweepSpec,
    /// The design.
    pub design: Design,
    /// The step row's columns.
    pub columns: Columns,
    /// Advice that does not stop the sweep (e.g. a Sobol' N that is not a power of two).
    pub warnings: Vec<String>,
    base_text: String,
    base_label: String,
    base_sets: Vec<String>,
    default_name: String,
}

/// A sweep file naming its base scenario.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    #[allow(dead_code)]
    schema_version: Option<u32>,
    base: String,
    #[serde(default)]
    overrides: toml::Table,
    #[serde(alias = "experiment")]
    sweep: Option<toml::Table>,
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::new(
            &path.display().to_string(),
            "",
            format!("cannot read the file: {e}"),
        )
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[start..].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

fn parse_table(text: &str, file: &str) -> Result<toml::Table, ScenarioError> {
    text.parse::<toml::Table>().map_err(|e| {
        let mut err = ScenarioError::new(file, "", e.message().trim().to_string());
        if let Some(span) = e.span() {
            let (l, c) = line_col(text, span.start);
            err.line = Some(l);
            err.column = Some(c);
        }
        err
    })
}

/// Flattens a table of `key.path = value` entries (dotted or nested) into `--set` strings, in
/// the order written when the text is known.
fn flatten_sets(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(inner) if !inner.is_empty() => flatten_sets(inner, &key, out),
            other => out.push(format!("{key}={}", param::inline(other))),
        }
    }
}

impl Sweep {
    /// Reads a sweep: a scenario with a `[sweep]` table, or a file `base = "..."` (relative to the
    /// file) with `[overrides]` and `[sweep]`.
    pub fn load(path: &Path) -> Result<Sweep, ScenarioError> {
        let text = read(path)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Sweep::from_text(&text, &path.display().to_string(), &stem(path), &dir)
    }

    /// [`Sweep::load`] from text: `file` labels errors, `name` is the default run name, `dir` is
    /// where a `base` path is relative to.
    pub fn from_text(
        text: &str,
        file: &str,
        name: &str,
        dir: &Path,
    ) -> Result<Sweep, ScenarioError> {
        let raw = parse_table(text, file)?;
        let table_name = if raw.contains_key("experiment") {
            "experiment"
        } else {
            "sweep"
        };
        if raw.contains_key("base") {
            let sf: SweepFile = serde_path_to_error::deserialize(toml::Value::Table(raw.clone()))
                .map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().message().trim().to_string();
                let mut key = if path == "." { String::new() } else { path };
                if let Some(rest) = message.strip_prefix("unknown field `")
                    && let Some(end) = rest.find('`')
                    && key.is_empty()
                {
                    key = rest[..end].to_string();
                }
                let suggestion = message
                    .strip_prefix("unknown field `")
                    .and_then(|r| r.split('`').next())
                    .and_then(|bad| {
                        spec::nearest(
                            bad,
                            ["schema_version", "base", "overrides", "sweep", "experiment"],
                        )
                    });
                ScenarioError::new(
                    file,
                    &key,
                    format!("{message} (a sweep file holds `base`, `[overrides]` and `[sweep]`)"),
                )
                .located_in(Some(text))
                .with_suggestion(suggestion)
            })?;
            let Some(table) = sf.sweep else {
                return Err(ScenarioError::new(
                    file,
                    "sweep",
                    "a sweep file needs a `[sweep]` table",
                ));
            };
            let mut sets = Vec::new();
            flatten_sets(&sf.overrides, "", &mut sets);
            // In the order written: later overrides win where paths overlap.
            let pos = |s: &String| {
                let key = s.split('=').next().unwrap_or("");
                locate_key(text, &format!("overrides.{key}")).unwrap_or((u32::MAX, 0))
            };
            sets.sort_by_key(pos);
            let base_path = dir.join(&sf.base);
            let base_text = read(&base_path).map_err(|mut e| {
                e.message = format!("{} (the `base` of {file})", e.message);
                e
            })?;
            let base_label = base_path.display().to_string();
            Sweep::build(
                file,
                text,
                table_name,
                table,
                base_text,
                base_label,
                sets,
                stem(&base_path),
            )
        } else {
            let s = scenario::from_str(text, file)?;
            let Some(table) = s.sweep.clone() else {
                return Err(ScenarioError::new(
                    file,
                    "sweep",
                    "no `[sweep]` table: add one, or write a sweep file with `base = \"scenario.toml\"` and `[sweep]` (docs/SWEEPS.md)",
                ));
            };
            Sweep::build(
                file,
                text,
                table_name,
                table,
                text.to_string(),
                file.to_string(),
                Vec::new(),
                name.to_string(),
            )
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        file: &str,
        text: &str,
        table_name: &str,
        table: toml::Table,
        base_text: String,
        base_label: String,
        base_sets: Vec<String>,
        default_name: String,
    ) -> Result<Sweep, ScenarioError> {
        let mut s = scenario::from_str_with_overrides(&base_text, &base_label, &base_sets)?;
        s.sweep = None;
        let base = if base_sets.is_empty() {
            scenario::resolve_with_source(
                s,
                crate::VERSION,
                &default_name,
                &base_label,
                Some(&base_text),
            )?
        } else {
            scenario::resolve_with_source(
                s,
                crate::VERSION,
                &default_name,
                &format!("{base_label} (after [overrides])"),
                None,
            )?
        };
        let columns = Columns::of_step_metrics();
        let src = spec::Source {
            file,
            text: Some(text),
            table: table_name,
        };
        let (spec, warnings) = spec::parse(&table, base.run.seed, &columns, &src)?;
        let design = Design::new(&spec).map_err(|m| ScenarioError::new(file, "sweep", m))?;
        Ok(Sweep {
            file: file.to_string(),
            base_hash: scenario::scenario_hash(&base),
            base,
            given: table,
            spec,
            design,
            columns,
            warnings,
            base_text,
            base_label,
            base_sets,
            default_name,
        })
    }

    /// A sweep file's `[overrides]` of its base, as `--set` strings, in the order applied.
    pub fn overrides(&self) -> &[String] {
        &self.base_sets
    }

    /// Number of design points.
    pub fn n_points(&self) -> u64 {
        self.design.n_points()
    }

    /// Number of runs: points × replications.
    pub fn n_runs(&self) -> u64 {
        self.n_points() * u64::from(self.spec.replications)
    }

    /// The point, replicate and seeds of a run. With common random numbers, replicate r of
    /// every point has `run.seed = seed` and `run.run = r`; without, `run.seed` is
    /// `hash_key([seed, point_id])` and `run.run = r`.
    pub fn run_spec(&self, run_id: u64) -> RunSpec {
        let reps = u64::from(self.spec.replications);
        let point_id = run_id / reps;
        let replicate = (run_id % reps) as u32;
        let seed = if self.spec.common_random_numbers {
            self.spec.seed
        } else {
            hash_key(&[self.spec.seed, point_id])
        };
        RunSpec {
            run_id,
            point_id,
            replicate,
            seed,
            run: u64::from(replicate),
        }
    }

    /// The `--set` strings of a point: the sweep file's `[overrides]`, then the point's values.
    pub fn point_overrides(&self, point: u64) -> Vec<String> {
        let mut sets = self.base_sets.clone();
        for (p, v) in self.spec.parameters.iter().zip(self.design.values(point)) {
            sets.push(format!("{}={}", p.key, param::inline(&v)));
        }
        sets
    }

    /// The resolved scenario of a point (seeds not yet set); an invalid value is an error here.
    pub fn point_scenario(&self, point: u64) -> Result<Scenario, ScenarioError> {
        let sets = self.point_overrides(point);
        let label = format!("{} [point {point}]", self.base_label);
        let mut s = scenario::from_str_with_overrides(&self.base_text, &label, &sets)?;
        s.sweep = None;
        let label = if sets.is_empty() {
            label
        } else {
            format!("{label} (after --set)")
        };
        scenario::resolve_with_source(s, crate::VERSION, &self.default_name, &label, None)
    }

    /// The scenario of a run: its point's, with `run.seed` and `run.run` set.
    pub fn run_scenario(&self, run_id: u64) -> Result<Scenario, ScenarioError> {
        let r = self.run_spec(run_id);
        let mut s = self.point_scenario(r.point_id)?;
        s.run.seed = r.seed;
        s.run.run = r.run;
        Ok(s)
    }

    /// The manifest's head for this sweep (no shard, not complete).
    pub fn manifest_head(&self, format: Format) -> ManifestHead {
        ManifestHead {
            program_version: crate::VERSION.to_string(),
            scenario: self.base.run.name.clone(),
            base_scenario_hash: self.base_hash.clone(),
            overrides: self.base_sets.clone(),
            design: self.spec.design,
            design_seed: self.spec.design_seed,
            seed: self.spec.seed,
            common_random_numbers: self.spec.common_random_numbers,
            n_points: self.n_points(),
            replications: self.spec.replications,
            n_runs: self.n_runs(),
            format,
            record_steps: self.spec.record_steps,
            parameters: self.spec.parameters.iter().map(|p| p.key.clone()).collect(),
            metrics: self.spec.metrics.iter().map(|m| m.name.clone()).collect(),
            sweep_given: serde_json::to_value(&self.given).unwrap_or(serde_json::Value::Null),
            sweep: self.spec.clone(),
            shard: None,
            complete: false,
            runs: None,
        }
    }

    /// The runs.csv row of an ok run with the given metric values (for size estimates and tests).
    pub fn format_run_row(&self, run_id: u64, metrics: &[f64]) -> Vec<u8> {
        let spec = self.run_spec(run_id);
        let integer: Vec<bool> = self
            .spec
            .metrics
            .iter()
            .map(|m| {
                let kind = self
                    .columns
                    .index(&m.column)
                    .map_or(summary::ColumnKind::Float, |i| self.columns.kinds[i]);
                summary::integer_valued(m, kind)
            })
            .collect();
        io::format_row(
            &spec,
            true,
            "",
            &self.design.values(spec.point_id),
            metrics,
            &integer,
        )
    }

    /// Rough memory of one run (bytes): customers × the engine's bytes per customer plus
    /// per-step buffers, and offerings × their columns, plus a fixed overhead.
    pub fn estimate_run_bytes(s: &Scenario) -> u64 {
        let customers: u64 = s.segments.iter().map(|g| u64::from(g.size)).sum();
        let offerings: u64 = s
            .providers
            .initial
            .iter()
            .map(|g| u64::from(g.count))
            .sum::<u64>()
            + (s.incumbents.len() * s.categories.len()) as u64;
        let per_customer = crate::state::Customers { n_categories: s.categories.len(), ..Default::default() }
            .bytes_per_customer() as u64
            + 16 // escrow balance in the ledger
            + 64; // step buffers: spend, need, jobs
        const PER_OFFERING: u64 = 1024; // ~25 columns and two 30-step rings
        const FIXED: u64 = 2 << 20; // thread pool, buffers, scenario
        customers * per_customer + offerings * PER_OFFERING + FIXED
    }

    /// Where a steps file of a run lives, relative to the output folder.
    pub fn steps_file(run_id: u64, format: Format) -> PathBuf {
        PathBuf::from("steps").join(format!("run_{run_id:06}.{}", format.extension()))
    }
}
