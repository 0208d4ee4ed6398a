//! A sweep folder as `mindmarket sweep` writes it:
//!
//! - `manifest.json`: `program_version`, `scenario`, `parameters` (key paths, in order), `metrics`
//!   (summary metric names), `n_points`, `replications`, `n_runs`, `runs` (`run_id`, `point_id`,
//!   `replicate`, `seed`, `run`, `status`, `error`) and whatever else the sweep records;
//! - `runs.csv`: `run_id,point_id,replicate,seed,run,status,error`, one column per parameter (named
//!   by key path), one per summary metric; `status` is `ok` or `failed`;
//! - `points.csv` (optional here: recomputed from `runs.csv` when absent): `point_id`, the
//!   parameters, `n_runs,n_ok`, then `<m>_mean,<m>_sd,<m>_p10,<m>_p50,<m>_p90` per metric;
//! - `sensitivity.csv` (optional): Sobol `metric,parameter,S1,S1_lo,S1_hi,ST,ST_lo,ST_hi` or Morris
//!   `metric,parameter,mu_star,mu,sigma`;
//! - `steps/run_<run_id:06>.csv` (optional): the run's `steps.csv` with a leading `run_id` column.
//!
//! Each table may come as `.parquet` instead (read with the `parquet` feature); CSV is preferred
//! when both exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::stats;
use crate::table::Table;

/// One entry of the manifest's `runs`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ManifestRun {
    /// Run id (unique in the sweep).
    pub run_id: u64,
    /// Design point.
    pub point_id: u64,
    /// Replicate index within the point.
    #[serde(default)]
    pub replicate: u64,
    /// Master seed of the run.
    #[serde(default)]
    pub seed: u64,
    /// `ok`, `failed`, or another state the sweep records.
    #[serde(default)]
    pub status: String,
    /// The error of a failed run.
    #[serde(default)]
    pub error: Option<String>,
}

/// `manifest.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
    /// Program version of the sweep.
    #[serde(default)]
    pub program_version: String,
    /// Scenario name.
    #[serde(default)]
    pub scenario: String,
    /// Parameter key paths, in order.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// Summary metric names.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Design points.
    #[serde(default)]
    pub n_points: u64,
    /// Replications per point.
    #[serde(default)]
    pub replications: u64,
    /// Runs.
    #[serde(default)]
    pub n_runs: u64,
    /// The runs.
    #[serde(default)]
    pub runs: Vec<ManifestRun>,
    /// The whole manifest (for fields this struct does not name: design, scenario hash, …).
    #[serde(skip)]
    pub raw: Value,
}

impl Manifest {
    /// A string field of the raw manifest (e.g. `design`, `scenario_hash`), searching one level of
    /// nested objects too.
    pub fn extra(&self, key: &str) -> Option<String> {
        let obj = self.raw.as_object()?;
        let show = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        if let Some(v) = obj.get(key) {
            return show(v);
        }
        obj.values()
            .filter_map(Value::as_object)
            .find_map(|o| o.get(key).and_then(show))
    }
}

/// Sensitivity indices.
#[derive(Clone, Debug, PartialEq)]
pub enum Sensitivity {
    /// Sobol first-order and total indices with their intervals.
    Sobol(Vec<SobolRow>),
    /// Morris elementary-effect statistics.
    Morris(Vec<MorrisRow>),
}

/// One Sobol row.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolRow {
    /// Metric.
    pub metric: String,
    /// Parameter key path.
    pub parameter: String,
    /// First-order index and its interval.
    pub s1: (f64, f64, f64),
    /// Total index and its interval.
    pub st: (f64, f64, f64),
}

/// One Morris row.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisRow {
    /// Metric.
    pub metric: String,
    /// Parameter key path.
    pub parameter: String,
    /// μ*: mean absolute elementary effect.
    pub mu_star: f64,
    /// μ: mean elementary effect.
    pub mu: f64,
    /// σ: standard deviation of the elementary effects.
    pub sigma: f64,
}

impl Sensitivity {
    /// The metrics that have indices, in file order.
    pub fn metrics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names: Vec<&String> = match self {
            Sensitivity::Sobol(r) => r.iter().map(|x| &x.metric).collect(),
            Sensitivity::Morris(r) => r.iter().map(|x| &x.metric).collect(),
        };
        for n in names {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }
}

/// One run of a sweep, as `runs.csv` has it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Run id.
    pub run_id: u64,
    /// Design point.
    pub point_id: u64,
    /// Replicate.
    pub replicate: u64,
    /// Seed.
    pub seed: u64,
    /// Run index of the RNG key (with common random numbers: the replicate).
    pub run: u64,
    /// Whether the run finished.
    pub ok: bool,
}

/// A sweep folder, read.
#[derive(Clone, Debug)]
pub struct SweepFolder {
    /// The folder.
    pub dir: PathBuf,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `runs.csv` (all runs, failed ones included).
    pub runs: Table,
    /// `points.csv`, if present.
    pub points: Option<Table>,
    /// `sensitivity.csv`, if present.
    pub sensitivity: Option<Sensitivity>,
    rows: Vec<RunRow>,
}

/// The CSV or Parquet variant of `stem` in `dir`, CSV first.
fn table_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["csv", "parquet"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

impl SweepFolder {
    /// Whether `dir` looks like a sweep folder (has `manifest.json`).
    pub fn is_sweep_folder(dir: &Path) -> bool {
        dir.join("manifest.json").is_file()
    }

    /// Reads a sweep folder.
    pub fn open(dir: &Path) -> Result<SweepFolder> {
        if !dir.is_dir() {
            return Err(Error::Missing {
                path: dir.to_path_buf(),
                what: "a sweep folder".into(),
            });
        }
        let mpath = dir.join("manifest.json");
        let text = std::fs::read_to_string(&mpath).map_err(|e| Error::io(&mpath, e))?;
        let raw: Value = serde_json::from_str(&text)
            .map_err(|e| Error::format(&mpath, format!("not valid JSON: {e}")))?;
        let mut manifest: Manifest = serde_json::from_value(raw.clone())
            .map_err(|e| Error::format(&mpath, format!("not a sweep manifest: {e}")))?;
        manifest.raw = raw;
        let rpath = table_file(dir, "runs").ok_or_else(|| Error::Missing {
            path: dir.join("runs.csv"),
            what: "the sweep's table of runs".into(),
        })?;
        let runs = Table::read(&rpath)?;
        for col in ["run_id", "point_id"] {
            runs.num(col)?;
        }
        let ids = runs.num("run_id")?;
        let pts = runs.num("point_id")?;
        let reps = runs.get_num("replicate");
        let seeds = runs.get_num("seed");
        let run_idx = runs.get_num("run");
        let status = runs.text("status");
        let rows = (0..runs.len())
            .map(|i| RunRow {
                run_id: ids[i] as u64,
                point_id: pts[i] as u64,
                replicate: reps.map_or(0, |r| r[i] as u64),
                seed: seeds.map_or(0, |s| s[i] as u64),
                run: run_idx.map_or_else(|| reps.map_or(0, |r| r[i] as u64), |r| r[i] as u64),
                ok: status.as_ref().is_none_or(|s| s[i].trim() == "ok"),
            })
            .collect();
        for p in &manifest.parameters {
            if !runs.has(p) {
                return Err(Error::format(
                    &rpath,
                    format!("no column for the manifest's parameter `{p}`"),
                ));
            }
        }
        if manifest.metrics.is_empty() {
            // Older or hand-written manifests: every numeric column after the parameters.
            let fixed = [
                "run_id",
                "point_id",
                "replicate",
                "seed",
                "run",
                "status",
                "error",
            ];
            manifest.metrics = runs
                .names()
                .iter()
                .filter(|n| !fixed.contains(&n.as_str()) && !manifest.parameters.contains(n))
                .filter(|n| runs.get_num(n).is_some())
                .cloned()
                .collect();
        }
        let points = table_file(dir, "points")
            .map(|p| Table::read(&p))
            .transpose()?;
        let sensitivity = table_file(dir, "sensitivity")
            .map(|p| read_sensitivity(&p))
            .transpose()?;
        Ok(SweepFolder {
            dir: dir.to_path_buf(),
            manifest,
            runs,
            points,
            sensitivity,
            rows,
        })
    }

    /// Every run.
    pub fn rows(&self) -> &[RunRow] {
        &self.rows
    }

    /// Finished runs.
    pub fn ok_rows(&self) -> impl Iterator<Item = (usize, &RunRow)> {
        self.rows.iter().enumerate().filter(|(_, r)| r.ok)
    }

    /// Number of failed runs.
    pub fn n_failed(&self) -> usize {
        self.rows.iter().filter(|r| !r.ok).count()
    }

    /// Design point ids in ascending order.
    pub fn point_ids(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.rows.iter().map(|r| r.point_id).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Distinct seeds, ascending.
    pub fn seeds(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.rows.iter().map(|r| r.seed).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// "seed 42, 4 replications", "seeds 1–5" or "12 seeds" for titles.
    pub fn seeds_label(&self) -> String {
        let s = self.seeds();
        let reps = self.manifest.replications.max(1);
        match s.len() {
            0 => "no seeds".into(),
            1 if reps > 1 => format!("seed {}, {reps} replications", s[0]),
            1 => format!("seed {}", s[0]),
            n if s[n - 1] - s[0] + 1 == n as u64 => format!("seeds {}–{}", s[0], s[n - 1]),
            n if n <= 4 => format!(
                "seeds {}",
                s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            ),
            n => format!("{n} seeds"),
        }
    }

    /// A summary metric of every finished run: (row index, value).
    pub fn metric(&self, name: &str) -> Result<Vec<(usize, f64)>> {
        if !self.runs.has(name) {
            return Err(Error::Unknown {
                message: format!(
                    "no summary metric `{name}` in {} (metrics: {})",
                    self.runs.path().display(),
                    self.manifest.metrics.join(", ")
                ),
            });
        }
        let v = self.runs.num(name)?;
        Ok(self.ok_rows().map(|(i, _)| (i, v[i])).collect())
    }

    /// The numeric value of parameter `p` in run row `i` (None for text parameters).
    pub fn param_num(&self, p: &str, i: usize) -> Option<f64> {
        self.runs.get_num(p).map(|v| v[i])
    }

    /// The value of parameter `p` in run row `i` as text.
    pub fn param_text(&self, p: &str, i: usize) -> String {
        match self.runs.get_num(p) {
            Some(v) => crate::fmt::compact(v[i], 4),
            None => self.runs.text(p).map(|t| t[i].clone()).unwrap_or_default(),
        }
    }

    /// Distinct values of parameter `p` among all runs, as (label, numeric value), sorted.
    pub fn param_levels(&self, p: &str) -> Vec<(String, Option<f64>)> {
        let mut out: Vec<(String, Option<f64>)> = Vec::new();
        for i in 0..self.rows.len() {
            let v = self.param_num(p, i);
            let label = self.param_text(p, i);
            let seen = out.iter().any(|(l, x)| match (x, v) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300),
                _ => *l == label,
            });
            if !seen {
                out.push((label, v));
            }
        }
        out.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.0.cmp(&b.0),
        });
        out
    }

    /// The first run row of each point (for parameter values).
    fn first_row_of(&self, point: u64) -> Option<usize> {
        self.rows.iter().position(|r| r.point_id == point)
    }

    /// "seller fee rate 0.05 · switching cost 0.002" for a point (or "point 3" with no parameters).
    pub fn point_label(&self, point: u64) -> String {
        let Some(i) = self.first_row_of(point) else {
            return format!("point {point}");
        };
        if self.manifest.parameters.is_empty() {
            return format!("point {point}");
        }
        self.manifest
            .parameters
            .iter()
            .map(|p| crate::catalog::param_value_label(p, &self.param_text(p, i)))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Per point: (point id, summary of `metric` over its finished runs, values by replicate).
    pub fn metric_by_point(&self, metric: &str) -> Result<Vec<(u64, Vec<f64>)>> {
        let vals = self.metric(metric)?;
        let mut by: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
        for (i, v) in vals {
            by.entry(self.rows[i].point_id).or_default().push(v);
        }
        Ok(by.into_iter().collect())
    }

    /// The path of a run's step series, if the sweep kept it.
    pub fn steps_path(&self, run_id: u64) -> Option<PathBuf> {
        table_file(&self.dir.join("steps"), &format!("run_{run_id:06}"))
    }

    /// Whether the sweep kept step series (any `steps/run_*.csv`).
    pub fn has_steps(&self) -> bool {
        self.ok_rows()
            .any(|(_, r)| self.steps_path(r.run_id).is_some())
    }

    /// The columns of the kept step series (those of the first finished run's file).
    pub fn step_columns(&self) -> Option<Vec<String>> {
        let path = self
            .ok_rows()
            .find_map(|(_, r)| self.steps_path(r.run_id))?;
        Table::read(&path).ok().map(|t| t.names().to_vec())
    }

    /// A step series of one run: (steps, values of `column`).
    pub fn step_series(&self, run_id: u64, column: &str) -> Result<(Vec<f64>, Vec<f64>)> {
        let path = self.steps_path(run_id).ok_or_else(|| Error::Missing {
            path: self.dir.join("steps").join(format!("run_{run_id:06}.csv")),
            what: "the run's step series (the sweep did not keep steps)".into(),
        })?;
        let t = Table::read(&path)?;
        Ok((t.num("step")?.to_vec(), t.num(column)?.to_vec()))
    }

    /// Step series of `column` for every finished run of `point`, aligned on the steps of the
    /// shortest series.
    pub fn point_series(&self, point: u64, column: &str) -> Result<PointSeries> {
        let mut steps: Option<Vec<f64>> = None;
        let mut series = Vec::new();
        let mut seeds = Vec::new();
        for (_, r) in self.ok_rows().filter(|(_, r)| r.point_id == point) {
            let (s, v) = self.step_series(r.run_id, column)?;
            if steps.as_ref().is_none_or(|old| s.len() < old.len()) {
                steps = Some(s);
            }
            series.push(v);
            seeds.push(r.seed);
        }
        let steps =
            steps.ok_or_else(|| Error::NoData(format!("point {point} has no finished runs")))?;
        for s in &mut series {
            s.truncate(steps.len());
        }
        Ok(PointSeries {
            steps,
            runs: series,
            seeds,
        })
    }

    /// Per point: mean, sd and the 95 % bootstrap interval of `metric` across its replications.
    pub fn point_stats(&self, metric: &str) -> Result<Vec<PointStat>> {
        Ok(self
            .metric_by_point(metric)?
            .into_iter()
            .map(|(point, v)| PointStat {
                point,
                summary: stats::summarize(&v),
                ci: stats::ci95(&v),
                values: v,
            })
            .collect())
    }
}

/// The step series of one column for the runs of one design point.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSeries {
    /// The steps (x).
    pub steps: Vec<f64>,
    /// One series per finished run, each as long as `steps`.
    pub runs: Vec<Vec<f64>>,
    /// The runs' seeds.
    pub seeds: Vec<u64>,
}

/// A metric at one design point.
#[derive(Clone, Debug)]
pub struct PointStat {
    /// Point id.
    pub point: u64,
    /// Summary across the point's runs (None if no finite value).
    pub summary: Option<stats::Summary>,
    /// 95 % bootstrap interval of the mean (None for fewer than two values).
    pub ci: Option<stats::Ci>,
    /// The values, one per finished run.
    pub values: Vec<f64>,
}

/// Reads `sensitivity.csv` in either layout.
pub fn read_sensitivity(path: &Path) -> Result<Sensitivity> {
    let t = Table::read(path)?;
    let metric = t
        .text("metric")
        .ok_or_else(|| Error::format(path, "no column `metric`"))?;
    let parameter = t
        .text("parameter")
        .ok_or_else(|| Error::format(path, "no column `parameter`"))?;
    if t.has("S1") {
        let c = |n: &str| t.num(n).map(<[f64]>::to_vec);
        let (s1, s1l, s1h, st, stl, sth) = (
            c("S1")?,
            c("S1_lo")?,
            c("S1_hi")?,
            c("ST")?,
            c("ST_lo")?,
            c("ST_hi")?,
        );
        Ok(Sensitivity::Sobol(
            (0..t.len())
                .map(|i| SobolRow {
                    metric: metric[i].clone(),
                    parameter: parameter[i].clone(),
                    s1: (s1[i], s1l[i], s1h[i]),
                    st: (st[i], stl[i], sth[i]),
                })
                .collect(),
        ))
    } else if t.has("mu_star") {
        let (ms, mu, sg) = (t.num("mu_star")?, t.num("mu")?, t.num("sigma")?);
        Ok(Sensitivity::Morris(
            (0..t.len())
                .map(|i| MorrisRow {
                    metric: metric[i].clone(),
                    parameter: parameter[i].clone(),
                    mu_star: ms[i],
                    mu: mu[i],
                    sigma: sg[i],
                })
                .collect(),
        ))
    } else {
        Err(Error::format(
            path,
            "neither Sobol (S1, ST, …) nor Morris (mu_star, mu, sigma) columns",
        ))
    }
}
