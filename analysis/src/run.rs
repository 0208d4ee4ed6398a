//! A run folder as `mindmarket run` writes it: `steps.csv` (one row per recorded step),
//! `summary.json` (identity, headline results, the last step, timing) and
//! `scenario.resolved.toml` (every key, defaults filled in). `agents.csv` is not needed here.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::table::Table;

/// Headline keys in the order `summary.json` writes them (`serde_json` without `preserve_order`
/// sorts keys; this restores the engine's order; unknown keys follow alphabetically).
pub const HEADLINE_ORDER: &[&str] = &[
    "time_to_critical_mass",
    "tipped_at",
    "final_platform_share_requests",
    "final_onboarded_customers",
    "peak_onboarded_customers",
    "total_gmv_platform_usd",
    "total_gmv_incumbent_usd",
    "total_gmv_b2b_usd",
    "token_price_first_usd",
    "token_price_last_usd",
    "token_price_min_usd",
    "token_price_max_usd",
    "total_unserved_requests",
    "mean_velocity",
];

/// What `summary.json` says about a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Run index.
    pub run: u64,
    /// Program version.
    pub program_version: String,
    /// Hash of the resolved scenario.
    pub scenario_hash: String,
    /// Steps run.
    pub steps: u64,
    /// Customers.
    pub customers: u64,
    /// Headline metrics in order; None where the value is null (e.g. never tipped).
    pub headline: Vec<(String, Option<f64>)>,
    /// Whether the ledger conservation check passed (None if absent).
    pub conservation_ok: Option<bool>,
    /// Wall time of the run in seconds (None if absent).
    pub wall_seconds: Option<f64>,
}

/// A run folder, read.
#[derive(Clone, Debug)]
pub struct RunFolder {
    /// The folder.
    pub dir: PathBuf,
    /// `steps.csv`.
    pub steps: Table,
    /// `summary.json`.
    pub info: RunInfo,
    /// `scenario.resolved.toml`, parsed (None if the file is absent).
    pub scenario: Option<toml::Table>,
}

impl RunFolder {
    /// Whether `dir` looks like a run folder (has `summary.json` and `steps.csv`).
    pub fn is_run_folder(dir: &Path) -> bool {
        dir.join("summary.json").is_file() && dir.join("steps.csv").is_file()
    }

    /// Reads a run folder.
    pub fn open(dir: &Path) -> Result<RunFolder> {
        if !dir.is_dir() {
            return Err(Error::Missing {
                path: dir.to_path_buf(),
                what: "a run folder".into(),
            });
        }
        let summary_path = dir.join("summary.json");
        let text =
            std::fs::read_to_string(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
        let info = parse_summary(&summary_path, &text)?;
        let steps_path = dir.join("steps.csv");
        let steps = Table::read(&steps_path)?;
        steps.num("step")?;
        if steps.is_empty() {
            return Err(Error::format(&steps_path, "no rows"));
        }
        let toml_path = dir.join("scenario.resolved.toml");
        let scenario = match std::fs::read_to_string(&toml_path) {
            Ok(t) => Some(
                t.parse::<toml::Table>()
                    .map_err(|e| Error::format(&toml_path, format!("not valid TOML: {e}")))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&toml_path, e)),
        };
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            steps,
            info,
            scenario,
        })
    }

    /// Length of a step in days (`run.step_days`, 1 if unknown).
    pub fn step_days(&self) -> f64 {
        self.scenario_value("run.step_days")
            .and_then(toml_f64)
            .unwrap_or(1.0)
    }

    /// A value of the resolved scenario by dotted key path with optional `[i]` indices
    /// (`segments[0].size`).
    pub fn scenario_value(&self, path: &str) -> Option<&toml::Value> {
        lookup(self.scenario.as_ref()?, path)
    }

    /// A headline metric by key.
    pub fn headline(&self, key: &str) -> Option<f64> {
        self.info
            .headline
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| *v)
    }
}

/// A TOML number as f64.
pub fn toml_f64(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Looks up `a.b[2].c` in a TOML table.
pub fn lookup<'a>(t: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut cur = index(t.get(strip_index(first).0)?, strip_index(first).1)?;
    for p in parts {
        let (name, idx) = strip_index(p);
        cur = index(cur.as_table()?.get(name)?, idx)?;
    }
    Some(cur)
}

fn strip_index(p: &str) -> (&str, Option<usize>) {
    match p.find('[') {
        Some(i) if p.ends_with(']') => (&p[..i], p[i + 1..p.len() - 1].parse().ok()),
        _ => (p, None),
    }
}

fn index(v: &toml::Value, i: Option<usize>) -> Option<&toml::Value> {
    match i {
        None => Some(v),
        Some(i) => v.as_array()?.get(i),
    }
}

/// Parses `summary.json` tolerantly: identity fields, every numeric or null headline value.
pub fn parse_summary(path: &Path, text: &str) -> Result<RunInfo> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| Error::format(path, format!("not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| Error::format(path, "expected a JSON object"))?;
    let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let u = |k: &str| obj.get(k).and_then(Value::as_u64).unwrap_or(0);
    if !obj.contains_key("headline") {
        return Err(Error::format(
            path,
            "no `headline` block: not a mindmarket summary.json",
        ));
    }
    let mut headline: Vec<(String, Option<f64>)> = Vec::new();
    if let Some(h) = obj.get("headline").and_then(Value::as_object) {
        for key in HEADLINE_ORDER {
            if let Some(val) = h.get(*key) {
                headline.push((key.to_string(), val.as_f64()));
            }
        }
        for (key, val) in h {
            if !HEADLINE_ORDER.contains(&key.as_str()) && (val.is_number() || val.is_null()) {
                headline.push((key.clone(), val.as_f64()));
            }
        }
    }
    Ok(RunInfo {
        scenario: s("scenario"),
        seed: u("seed"),
        run: u("run"),
        program_version: s("program_version"),
        scenario_hash: s("scenario_hash"),
        steps: u("steps"),
        customers: u("customers"),
        headline,
        conservation_ok: obj
            .get("conservation")
            .and_then(|c| c.get("ok"))
            .and_then(Value::as_bool),
        wall_seconds: obj
            .get("timing")
            .and_then(|t| t.get("wall_seconds"))
            .and_then(Value::as_f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_read_in_engine_order_with_nulls() {
        let text = r#"{"scenario":"s","seed":42,"run":0,"program_version":"0.1.0","scenario_hash":"ab",
            "steps":3,"customers":10,"headline":{"zeta_new":1.5,"tipped_at":null,"time_to_critical_mass":8},
            "conservation":{"ok":true},"timing":{"wall_seconds":0.5}}"#;
        let i = parse_summary(Path::new("summary.json"), text).unwrap();
        assert_eq!(i.seed, 42);
        assert_eq!(
            i.headline,
            vec![
                ("time_to_critical_mass".to_string(), Some(8.0)),
                ("tipped_at".to_string(), None),
                ("zeta_new".to_string(), Some(1.5))
            ]
        );
        assert_eq!((i.conservation_ok, i.wall_seconds), (Some(true), Some(0.5)));
        let e = parse_summary(Path::new("x/summary.json"), "{}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x/summary.json") && e.contains("headline"),
            "{e}"
        );
    }

    #[test]
    fn toml_lookup_with_indices() {
        let t: toml::Table = "[run]\nseed = 4\n[[segments]]\nsize = 10\n[[segments]]\nsize = 20\n"
            .parse()
            .unwrap();
        assert_eq!(lookup(&t, "run.seed").and_then(toml_f64), Some(4.0));
        assert_eq!(
            lookup(&t, "segments[1].size").and_then(toml_f64),
            Some(20.0)
        );
        assert!(lookup(&t, "segments[2].size").is_none());
    }
}
