//! The `[sweep]` table (alias `[experiment]`): typed with unknown keys rejected, checked, and
//! expanded (ranges become value lists, defaults filled) into a [`SweepSpec`]. Every problem is a
//! [`ScenarioError`] whose key path starts with `sweep.` and, when the source text is known, names
//! the line and column.

use serde::{Deserialize, Serialize};

use super::param::{ParamSpec, parse_spec};
use super::sobol::MAX_DIMS;
use super::summary::{ColumnKind, Columns, MetricDef, Stat, default_metrics};
pub(crate) use crate::scenario::nearest;
use crate::scenario::{ScenarioError, locate_key, parse_path, suggest_from_message as suggest};

/// The experimental design.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignKind {
    /// The Cartesian product of every parameter's values (the first parameter varies slowest).
    Grid,
    /// Matched lists: point i takes the i-th value of every parameter.
    Zip,
    /// `samples` independent random points.
    Random,
    /// `samples` points of a Latin hypercube (one point per stratum of every parameter).
    #[serde(alias = "lhs")]
    LatinHypercube,
    /// Saltelli's scheme on Sobol' points: `samples` × (parameters + 2) points, for first- and
    /// total-order indices.
    Sobol,
    /// Morris' elementary effects: `trajectories` × (parameters + 1) points.
    Morris,
}

impl DesignKind {
    /// The name as written in the sweep table.
    pub fn name(self) -> &'static str {
        match self {
            DesignKind::Grid => "grid",
            DesignKind::Zip => "zip",
            DesignKind::Random => "random",
            DesignKind::LatinHypercube => "latin_hypercube",
            DesignKind::Sobol => "sobol",
            DesignKind::Morris => "morris",
        }
    }
}

/// One swept parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// The key path, as for `--set` (`segments[0].size`).
    pub key: String,
    /// Its values or distribution.
    pub spec: ParamSpec,
}

/// A checked, expanded sweep table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The design.
    pub design: DesignKind,
    /// Parameters, in the order written.
    pub parameters: Vec<ParamDef>,
    /// Points of `random` and `latin_hypercube`; base samples N of `sobol`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
    /// Trajectories of `morris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectories: Option<u64>,
    /// Grid levels of `morris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<u32>,
    /// Seed of the design's own draws (sampling designs, Morris, scrambled Sobol').
    pub design_seed: u64,
    /// Random digital shift of the Sobol' points.
    pub scramble: bool,
    /// Runs per point.
    pub replications: u32,
    /// Whether replicate r of every point uses the same seed (`seed`, run r).
    pub common_random_numbers: bool,
    /// Master seed of the runs (default: the scenario's `run.seed`).
    pub seed: u64,
    /// Summary metrics.
    pub metrics: Vec<MetricDef>,
    /// Write each run's step rows every this many steps (0 = off).
    pub record_steps: u32,
    /// Bootstrap resamples of the Sobol' confidence intervals (0 = none).
    pub bootstrap: u32,
}

/// Most runs one sweep may have.
pub const MAX_RUNS: u64 = 1_000_000_000;

/// Columns of runs.csv before the parameters: names a metric may not take.
pub const RUN_COLUMNS: [&str; 7] = [
    "run_id",
    "point_id",
    "replicate",
    "seed",
    "run",
    "status",
    "error",
];

/// The raw table, typed with unknown keys rejected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(alias = "mode")]
    design: Option<DesignKind>,
    #[serde(default)]
    parameters: toml::Table,
    samples: Option<u64>,
    trajectories: Option<u64>,
    levels: Option<u32>,
    design_seed: Option<u64>,
    scramble: Option<bool>,
    replications: Option<u32>,
    common_random_numbers: Option<bool>,
    seed: Option<u64>,
    metrics: Option<Vec<RawMetric>>,
    record_steps: Option<u32>,
    bootstrap: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    column: String,
    stat: Stat,
    threshold: Option<f64>,
    name: Option<String>,
}

/// Where the table came from, for error messages.
pub(crate) struct Source<'a> {
    /// File label.
    pub file: &'a str,
    /// The file's text, when the table was read from it.
    pub text: Option<&'a str>,
    /// The table's name in that text: `sweep` or `experiment`.
    pub table: &'a str,
}

impl Source<'_> {
    /// An error at `sweep.<path>`; `locate` is the same path as the text scanner spells it.
    pub fn error(&self, path: &str, locate: &str, message: impl Into<String>) -> ScenarioError {
        let key_path = if path.is_empty() {
            "sweep".to_string()
        } else {
            format!("sweep.{path}")
        };
        let mut e = ScenarioError::new(self.file, &key_path, message);
        if let Some(text) = self.text {
            let target = if locate.is_empty() {
                self.table.to_string()
            } else {
                format!("{}.{locate}", self.table)
            };
            if let Some((l, c)) = locate_key(text, &target) {
                e.line = Some(l);
                e.column = Some(c);
            }
        }
        e
    }

    fn param_error(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        self.error(
            &format!("parameters.\"{key}\""),
            &format!("parameters.{key}"),
            message,
        )
    }
}

/// Types, checks and expands a `[sweep]` table; `base_seed` is the scenario's `run.seed`.
pub(crate) fn parse(
    table: &toml::Table,
    base_seed: u64,
    columns: &Columns,
    src: &Source<'_>,
) -> Result<(SweepSpec, Vec<String>), ScenarioError> {
    let raw: Raw =
        serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let mut path = e.path().to_string();
            if path == "." {
                path.clear();
            }
            let message = e.inner().message().trim().to_string();
            // serde reports an unknown field at the enclosing table: name the field itself.
            let mut locate = path.clone();
            if let Some(rest) = message.strip_prefix("unknown field `")
                && let Some(end) = rest.find('`')
            {
                let field = &rest[..end];
                if !path.ends_with(field) {
                    path = if path.is_empty() {
                        field.to_string()
                    } else {
                        format!("{path}.{field}")
                    };
                    locate = path.clone();
                }
            }
            src.error(&path, &locate, message.clone())
                .with_suggestion(suggest(&message))
        })?;
    let mut warnings = Vec::new();
    let design = raw.design.unwrap_or(DesignKind::Grid);

    // Parameters, flattened (dotted keys) and in the order written.
    let mut parameters = Vec::new();
    flatten(&raw.parameters, "", src, &mut parameters)?;
    if let Some(text) = src.text {
        let pos = |key: &str| {
            locate_key(text, &format!("{}.parameters.{key}", src.table)).unwrap_or((u32::MAX, 0))
        };
        parameters.sort_by_key(|p: &ParamDef| pos(&p.key));
    }
    for (i, p) in parameters.iter().enumerate() {
        let path = parse_path(&p.key).map_err(|m| src.param_error(&p.key, m))?;
        let first = match path.first() {
            Some(crate::scenario::PathStep::Key(k)) => k.as_str(),
            _ => "",
        };
        if p.key == "run.seed" || p.key == "run.run" {
            return Err(src.param_error(
                &p.key,
                "the runs' seeds come from `sweep.seed`, the replicate index and `common_random_numbers`; use `replications` instead of sweeping seeds",
            ));
        }
        if matches!(first, "sweep" | "experiment") {
            return Err(src.param_error(&p.key, "a sweep cannot sweep its own table"));
        }
        if parameters[..i].iter().any(|q| q.key == p.key) {
            return Err(src.param_error(&p.key, "this parameter is given twice"));
        }
    }

    // Keys that only some designs use.
    let only = |present: bool, key: &str, designs: &str| -> Result<(), ScenarioError> {
        if present {
            Err(src.error(
                key,
                key,
                format!(
                    "`{key}` is not used by design `{}` (only by {designs})",
                    design.name()
                ),
            ))
        } else {
            Ok(())
        }
    };
    use DesignKind::*;
    only(
        raw.samples.is_some() && !matches!(design, Random | LatinHypercube | Sobol),
        "samples",
        "random, latin_hypercube and sobol",
    )?;
    only(
        raw.trajectories.is_some() && design != Morris,
        "trajectories",
        "morris",
    )?;
    only(raw.levels.is_some() && design != Morris, "levels", "morris")?;
    only(
        raw.scramble.is_some() && design != Sobol,
        "scramble",
        "sobol",
    )?;
    only(
        raw.bootstrap.is_some() && design != Sobol,
        "bootstrap",
        "sobol",
    )?;

    let d = parameters.len() as u64;
    let n_points: u64 = match design {
        Grid | Zip => {
            let mut lens = Vec::new();
            for p in &parameters {
                match p.spec.count() {
                    Some(n) => lens.push(n),
                    None => {
                        return Err(src.param_error(
                            &p.key,
                            format!(
                                "design `{}` needs a list of values (a list, linspace, logspace or range); distributions need design random, latin_hypercube, sobol or morris",
                                design.name()
                            ),
                        ));
                    }
                }
            }
            if design == Grid {
                lens.iter()
                    .try_fold(1u64, |acc, &n| acc.checked_mul(n))
                    .unwrap_or(u64::MAX)
            } else {
                if let Some((p, &n)) = parameters.iter().zip(&lens).find(|(_, n)| **n != lens[0]) {
                    return Err(src.param_error(
                        &p.key,
                        format!(
                            "design `zip` needs lists of equal length: `{}` has {}, this one {n}",
                            parameters[0].key, lens[0]
                        ),
                    ));
                }
                lens.first().copied().unwrap_or(1)
            }
        }
        Random | LatinHypercube | Sobol => {
            let Some(n) = raw.samples else {
                return Err(src.error(
                    "samples",
                    "",
                    format!(
                        "design `{}` needs `samples` (the number of {})",
                        design.name(),
                        if design == Sobol {
                            "base samples N; the design has N × (parameters + 2) points"
                        } else {
                            "points"
                        }
                    ),
                ));
            };
            let min = if design == Sobol { 2 } else { 1 };
            if n < min {
                return Err(src.error("samples", "samples", format!("must be >= {min}, got {n}")));
            }
            if design == Sobol {
                sensitivity_params(design, &parameters, src)?;
                if 2 * d > MAX_DIMS as u64 {
                    return Err(src.error(
                        "parameters",
                        "parameters",
                        format!(
                            "design `sobol` supports at most {} parameters, got {d}",
                            MAX_DIMS / 2
                        ),
                    ));
                }
                if n > u64::from(u32::MAX) {
                    return Err(src.error(
                        "samples",
                        "samples",
                        format!("must be < 2^32, got {n}"),
                    ));
                }
                if !n.is_power_of_two() {
                    warnings.push(format!(
                        "sweep.samples = {n} is not a power of two: the Sobol' points are best balanced for N = 2^k (e.g. {})",
                        n.next_power_of_two()
                    ));
                }
                n.saturating_mul(d + 2)
            } else {
                n
            }
        }
        Morris => {
            sensitivity_params(design, &parameters, src)?;
            let Some(r) = raw.trajectories else {
                return Err(src.error("trajectories", "", "design `morris` needs `trajectories` (the number r of trajectories; 10 to 50 is usual)"));
            };
            if r < 2 {
                return Err(src.error(
                    "trajectories",
                    "trajectories",
                    format!("must be >= 2, got {r}"),
                ));
            }
            let p = raw.levels.unwrap_or(4);
            if p < 2 || !p.is_multiple_of(2) {
                return Err(src.error(
                    "levels",
                    "levels",
                    format!("must be an even number >= 2 (the jump is levels / (2 (levels - 1))), got {p}"),
                ));
            }
            r.saturating_mul(d + 1)
        }
    };
    let replications = raw.replications.unwrap_or(1);
    if replications == 0 {
        return Err(src.error("replications", "replications", "must be >= 1, got 0"));
    }
    let n_runs = n_points.saturating_mul(u64::from(replications));
    if n_runs > MAX_RUNS {
        return Err(src.error(
            "",
            "",
            format!("the sweep has {n_points} points × {replications} replications, more than {MAX_RUNS} runs"),
        ));
    }

    // Metrics.
    let metrics = match raw.metrics {
        None => default_metrics(),
        Some(list) => {
            if list.is_empty() {
                return Err(src.error(
                    "metrics",
                    "metrics",
                    "name at least one metric, or leave `metrics` out for the default set",
                ));
            }
            let mut out: Vec<MetricDef> = Vec::new();
            for (i, m) in list.into_iter().enumerate() {
                let at = format!("metrics[{i}]");
                let Some(ci) = columns.index(&m.column) else {
                    return Err(src
                        .error(
                            &format!("{at}.column"),
                            &format!("{at}.column"),
                            format!("unknown steps.csv column `{}`", m.column),
                        )
                        .with_suggestion(nearest(&m.column, columns.names.iter().copied())));
                };
                if columns.kinds[ci] == ColumnKind::Other {
                    return Err(src.error(
                        &format!("{at}.column"),
                        &format!("{at}.column"),
                        format!("column `{}` is not numeric", m.column),
                    ));
                }
                match (m.stat.needs_threshold(), m.threshold) {
                    (true, None) => {
                        return Err(src.error(
                            &at,
                            &at,
                            format!("stat `{}` needs a `threshold`", m.stat.name()),
                        ));
                    }
                    (false, Some(_)) => {
                        return Err(src.error(
                            &format!("{at}.threshold"),
                            &format!("{at}.threshold"),
                            format!("stat `{}` takes no threshold", m.stat.name()),
                        ));
                    }
                    (_, Some(t)) if !t.is_finite() => {
                        return Err(src.error(
                            &format!("{at}.threshold"),
                            &format!("{at}.threshold"),
                            "must be finite",
                        ));
                    }
                    _ => {}
                }
                let name = m
                    .name
                    .unwrap_or_else(|| MetricDef::default_name(&m.column, m.stat, m.threshold));
                if name.is_empty() || name.contains(['\n', '\r', ',', '"']) {
                    return Err(src.error(
                        &format!("{at}.name"),
                        &at,
                        format!("`{name}` is not a usable column name"),
                    ));
                }
                let clash = out.iter().any(|o| o.name == name)
                    || RUN_COLUMNS.contains(&name.as_str())
                    || parameters.iter().any(|p| p.key == name);
                if clash {
                    return Err(src.error(
                        &at,
                        &at,
                        format!("the metric name `{name}` is used twice (give one a `name`)"),
                    ));
                }
                out.push(MetricDef {
                    name,
                    column: m.column,
                    stat: m.stat,
                    threshold: m.threshold,
                });
            }
            out
        }
    };

    let spec = SweepSpec {
        design,
        parameters,
        samples: raw.samples,
        trajectories: raw.trajectories,
        levels: if design == Morris {
            Some(raw.levels.unwrap_or(4))
        } else {
            None
        },
        design_seed: raw.design_seed.unwrap_or(0),
        scramble: raw.scramble.unwrap_or(false),
        replications,
        common_random_numbers: raw.common_random_numbers.unwrap_or(true),
        seed: raw.seed.unwrap_or(base_seed),
        metrics,
        record_steps: raw.record_steps.unwrap_or(0),
        bootstrap: if design == Sobol {
            raw.bootstrap.unwrap_or(1000)
        } else {
            0
        },
    };
    Ok((spec, warnings))
}

/// Sobol' and Morris need ranges (uniform, log_uniform or int_uniform) and at least one.
fn sensitivity_params(
    design: DesignKind,
    parameters: &[ParamDef],
    src: &Source<'_>,
) -> Result<(), ScenarioError> {
    if parameters.is_empty() {
        return Err(src.error(
            "parameters",
            "parameters",
            format!("design `{}` needs at least one parameter", design.name()),
        ));
    }
    for p in parameters {
        if !matches!(
            p.spec,
            ParamSpec::Uniform(_) | ParamSpec::LogUniform(_) | ParamSpec::IntUniform(_)
        ) {
            return Err(src.param_error(
                &p.key,
                format!(
                    "design `{}` needs a continuous or integer range: `{{ uniform = [a, b] }}`, `{{ log_uniform = [a, b] }}` or `{{ int_uniform = [a, b] }}`",
                    design.name()
                ),
            ));
        }
    }
    Ok(())
}

fn flatten(
    t: &toml::Table,
    prefix: &str,
    src: &Source<'_>,
    out: &mut Vec<ParamDef>,
) -> Result<(), ScenarioError> {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match parse_spec(v) {
            Ok(Some(spec)) => out.push(ParamDef { key, spec }),
            Ok(None) => {
                if let toml::Value::Table(inner) = v {
                    flatten(inner, &key, src, out)?;
                }
            }
            Err(m) => return Err(src.param_error(&key, m)),
        }
    }
    Ok(())
}
