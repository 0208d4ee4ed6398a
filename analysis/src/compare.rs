//! A/B comparisons with common random numbers: two arms (two run folders, two sweep folders run
//! with the same seeds, or two subsets of one sweep) are paired replication by replication on the
//! seed (and on the values of the parameters that do not define the arms), and each summary
//! metric's difference B − A gets a bootstrap interval. Paired differences cancel the noise both
//! arms share, so they need far fewer seeds than comparing two independent means.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::catalog;
use crate::error::{Error, Result};
use crate::fmt::{self, NumFormat};
use crate::plot::theme::BLUE;
use crate::plot::{Body, Chart, FULL_SIZE, Layer, RefLine, XyPlot};
use crate::run::RunFolder;
use crate::stats::{self, Paired};
use crate::sweep::SweepFolder;
use crate::table::Table;

/// Where a replication's step series is.
#[derive(Clone, Debug)]
pub enum StepSource {
    /// The `steps.csv` of a run folder (already read).
    Table(Box<Table>),
    /// A sweep's `steps/run_*.csv` (read when needed).
    File(PathBuf),
    /// Not kept.
    None,
}

/// One replication of an arm.
#[derive(Clone, Debug)]
pub struct Replication {
    /// Seed.
    pub seed: u64,
    /// Run index of the RNG key.
    pub run: u64,
    /// Pairing key: the seed and run index (the RNG key) and the values of the parameters that do not define the arm.
    pub key: String,
    /// Summary metrics (NaN where missing).
    pub metrics: BTreeMap<String, f64>,
    /// Step series.
    pub steps: StepSource,
}

impl Replication {
    /// (steps, values) of a step column; None if the series was not kept.
    pub fn series(&self, column: &str) -> Result<Option<(Vec<f64>, Vec<f64>)>> {
        let t = match &self.steps {
            StepSource::Table(t) => t.as_ref().clone(),
            StepSource::File(p) => Table::read(p)?,
            StepSource::None => return Ok(None),
        };
        Ok(Some((t.num("step")?.to_vec(), t.num(column)?.to_vec())))
    }
}

/// One arm of a comparison.
#[derive(Clone, Debug)]
pub struct Arm {
    /// Label ("A: out/baseline", "point_id=1").
    pub label: String,
    /// Scenario name.
    pub scenario: String,
    /// Replications.
    pub reps: Vec<Replication>,
}

impl Arm {
    /// A run folder as a one-replication arm (summary metrics: the headline of `summary.json`).
    pub fn from_run(run: &RunFolder, label: &str) -> Arm {
        let metrics = run
            .info
            .headline
            .iter()
            .map(|(k, v)| (k.clone(), v.unwrap_or(f64::NAN)))
            .collect();
        Arm {
            label: label.to_string(),
            scenario: run.info.scenario.clone(),
            reps: vec![Replication {
                seed: run.info.seed,
                run: run.info.run,
                key: format!("seed {} run {}", run.info.seed, run.info.run),
                metrics,
                steps: StepSource::Table(Box::new(run.steps.clone())),
            }],
        }
    }

    /// The finished runs of a sweep that match every `column=value` condition of `filter` (all
    /// finished runs when empty). Values match numerically when both sides are numbers.
    pub fn from_sweep(
        sweep: &SweepFolder,
        filter: &[(String, String)],
        label: &str,
    ) -> Result<Arm> {
        for (col, _) in filter {
            if !sweep.runs.has(col) {
                return Err(Error::Unknown {
                    message: format!(
                        "arm condition `{col}=…`: {} has no column `{col}` (parameters: {}; or point_id, replicate, seed)",
                        sweep.runs.path().display(),
                        sweep.manifest.parameters.join(", ")
                    ),
                });
            }
        }
        let texts: Vec<(Vec<String>, &String)> = filter
            .iter()
            .map(|(c, v)| (sweep.runs.text(c).unwrap_or_default(), v))
            .collect();
        let matches = |i: usize| {
            texts.iter().all(|(col, want)| {
                let have = &col[i];
                match (have.trim().parse::<f64>(), want.trim().parse::<f64>()) {
                    (Ok(a), Ok(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300),
                    _ => have.trim() == want.trim(),
                }
            })
        };
        let free: Vec<&String> = sweep
            .manifest
            .parameters
            .iter()
            .filter(|p| !filter.iter().any(|(c, _)| c == *p))
            .collect();
        let by_point = filter.iter().any(|(c, _)| c == "point_id");
        let mut reps = Vec::new();
        for (i, r) in sweep.ok_rows() {
            if !matches(i) {
                continue;
            }
            let mut key = format!("seed {} run {}", r.seed, r.run);
            if !by_point {
                for p in &free {
                    key.push_str(&format!(", {} = {}", p, sweep.param_text(p, i)));
                }
            }
            let metrics = sweep
                .manifest
                .metrics
                .iter()
                .map(|m| (m.clone(), sweep.runs.get_num(m).map_or(f64::NAN, |v| v[i])))
                .collect();
            let steps = sweep
                .steps_path(r.run_id)
                .map_or(StepSource::None, StepSource::File);
            reps.push(Replication {
                seed: r.seed,
                run: r.run,
                key,
                metrics,
                steps,
            });
        }
        if reps.is_empty() {
            let cond: Vec<String> = filter.iter().map(|(c, v)| format!("{c}={v}")).collect();
            return Err(Error::NoData(format!(
                "no finished run in {} matches {}",
                sweep.dir.display(),
                if cond.is_empty() {
                    "(all runs)".into()
                } else {
                    cond.join(", ")
                }
            )));
        }
        Ok(Arm {
            label: label.to_string(),
            scenario: sweep.manifest.scenario.clone(),
            reps,
        })
    }
}

/// Parses `--arm point_id=1` or `--arm platform.seller_fee_rate=0.05,replicate=0`.
pub fn parse_arm(spec: &str) -> Result<Vec<(String, String)>> {
    spec.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|c| {
            let (k, v) = c.split_once('=').ok_or_else(|| Error::Unknown {
                message: format!(
                    "arm `{spec}`: expected COLUMN=VALUE[,COLUMN=VALUE…], e.g. point_id=1"
                ),
            })?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// One metric's paired comparison.
#[derive(Clone, Debug)]
pub struct MetricComparison {
    /// Metric name.
    pub metric: String,
    /// Label, unit, format.
    pub info: catalog::MetricInfo,
    /// The paired statistics (None when no pair has finite values on both sides).
    pub paired: Option<Paired>,
}

/// The comparison of two arms.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Arm A.
    pub a: Arm,
    /// Arm B.
    pub b: Arm,
    /// Index pairs (into a.reps, b.reps) that share a key.
    pub pairs: Vec<(usize, usize)>,
    /// Replications of A without a partner.
    pub unpaired_a: usize,
    /// Replications of B without a partner.
    pub unpaired_b: usize,
    /// Whether the pairs share seeds (false only for two single runs with different seeds).
    pub common_seeds: bool,
    /// Per metric.
    pub metrics: Vec<MetricComparison>,
}

/// Pairs the arms and compares `metrics` (all metrics both arms have when empty).
pub fn compare(a: Arm, b: Arm, metrics: &[String]) -> Result<Comparison> {
    let mut pairs = Vec::new();
    let mut common_seeds = true;
    if a.reps.len() == 1 && b.reps.len() == 1 {
        pairs.push((0, 0));
        common_seeds = a.reps[0].key == b.reps[0].key;
    } else {
        let index: BTreeMap<&str, usize> = b
            .reps
            .iter()
            .enumerate()
            .map(|(j, r)| (r.key.as_str(), j))
            .collect();
        for (i, r) in a.reps.iter().enumerate() {
            if let Some(&j) = index.get(r.key.as_str()) {
                pairs.push((i, j));
            }
        }
        if pairs.is_empty() {
            let seeds = |arm: &Arm| {
                let mut s: Vec<u64> = arm.reps.iter().map(|r| r.seed).collect();
                s.sort_unstable();
                s.dedup();
                s.iter()
                    .take(6)
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::NoData(format!(
                "the arms share no seeds (A: {}; B: {}): paired differences need common random numbers — run both arms with the same seeds",
                seeds(&a),
                seeds(&b)
            )));
        }
    }
    let names: Vec<String> = if metrics.is_empty() {
        a.reps[0]
            .metrics
            .keys()
            .filter(|k| b.reps[0].metrics.contains_key(*k))
            .cloned()
            .collect()
    } else {
        for m in metrics {
            if !a.reps[0].metrics.contains_key(m) || !b.reps[0].metrics.contains_key(m) {
                let have: Vec<&String> = a.reps[0].metrics.keys().collect();
                return Err(Error::Unknown {
                    message: format!(
                        "unknown summary metric `{m}` (both arms have: {})",
                        have.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        metrics.to_vec()
    };
    let ordered: Vec<String> = {
        let mut v: Vec<String> = crate::run::HEADLINE_ORDER
            .iter()
            .filter(|k| names.contains(&k.to_string()))
            .map(|s| s.to_string())
            .collect();
        let rest: Vec<String> = names.iter().filter(|n| !v.contains(n)).cloned().collect();
        v.extend(rest);
        v
    };
    let ms = ordered
        .into_iter()
        .map(|m| {
            let av: Vec<f64> = pairs
                .iter()
                .map(|&(i, _)| a.reps[i].metrics.get(&m).copied().unwrap_or(f64::NAN))
                .collect();
            let bv: Vec<f64> = pairs
                .iter()
                .map(|&(_, j)| b.reps[j].metrics.get(&m).copied().unwrap_or(f64::NAN))
                .collect();
            MetricComparison {
                info: catalog::describe(&m),
                paired: stats::paired(&av, &bv, 0.95),
                metric: m,
            }
        })
        .collect();
    let unpaired_a = a.reps.len() - pairs.len();
    let unpaired_b = b.reps.len() - pairs.len();
    Ok(Comparison {
        a,
        b,
        pairs,
        unpaired_a,
        unpaired_b,
        common_seeds,
        metrics: ms,
    })
}

impl MetricComparison {
    /// The founder's sentence: does B beat A on this metric, by how much, how sure.
    pub fn sentence(&self, a: &str, b: &str) -> String {
        let label = &self.info.label;
        let Some(p) = &self.paired else {
            return format!("{label}: no value on both sides (e.g. never reached): no comparison.");
        };
        let f = self.info.format;
        // Money units read well in a sentence; counts ("customers", "day") are clear without.
        let u = &self.info.unit;
        let unit = if f == NumFormat::Number && (u.starts_with("USD") || u.starts_with("tokens")) {
            format!(" {u}")
        } else {
            String::new()
        };
        let rel = p
            .relative()
            .filter(|r| r.is_finite() && *r != 0.0)
            .map(|r| format!(", {}%", fmt::signed(r * 100.0, NumFormat::Number)))
            .unwrap_or_default();
        let head = if p.mean_diff == 0.0 {
            format!(
                "{label}: {b} and {a} are equal ({}{unit})",
                fmt::value(p.mean_a, f)
            )
        } else {
            let amount = fmt::signed(p.mean_diff, f)
                .trim_start_matches(['+', '\u{2212}'])
                .to_string();
            let (vb, va) = distinct(p.mean_b, p.mean_a, f);
            format!(
                "{label}: {b} is {} than {a} by {amount}{unit} ({vb} vs {va}{rel})",
                if p.mean_diff > 0.0 { "higher" } else { "lower" },
            )
        };
        match p.ci {
            Some(ci) => {
                let verdict = if ci.excludes_zero() {
                    "clear at 95%: the interval excludes zero"
                } else {
                    "not clear: the interval includes zero"
                };
                format!(
                    "{head}; 95% CI of the difference {} to {}; {b} higher in {} of {} paired runs — {verdict}.",
                    fmt::signed(ci.lo, f),
                    fmt::signed(ci.hi, f),
                    p.n_b_higher,
                    p.n
                )
            }
            None => format!("{head}."),
        }
    }
}

/// Two values shown with enough significant figures to differ (up to 6).
pub fn distinct(x: f64, y: f64, f: NumFormat) -> (String, String) {
    let show = |v: f64, sig: usize| match f {
        NumFormat::Number => fmt::compact(v, sig),
        NumFormat::Percent => format!("{}%", fmt::compact(v * 100.0, sig)),
        NumFormat::Points => format!("{} pp", fmt::compact(v * 100.0, sig)),
    };
    for sig in 3..=6 {
        let (a, b) = (show(x, sig), show(y, sig));
        if a != b || sig == 6 {
            return (a, b);
        }
    }
    unreachable!()
}

/// The comparison as a plain-text table for the terminal.
pub fn table_text(c: &Comparison) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "metric".into(),
        "A".into(),
        "B".into(),
        "B − A".into(),
        "95% CI".into(),
        "B higher".into(),
    ]];
    for m in &c.metrics {
        let f = m.info.format;
        let row = match &m.paired {
            Some(p) => [
                m.metric.clone(),
                distinct(p.mean_a, p.mean_b, f).0,
                distinct(p.mean_a, p.mean_b, f).1,
                fmt::signed(p.mean_diff, f),
                p.ci.map_or("–".into(), |ci| {
                    format!("{} … {}", fmt::signed(ci.lo, f), fmt::signed(ci.hi, f))
                }),
                format!("{}/{}", p.n_b_higher, p.n),
            ],
            None => [
                m.metric.clone(),
                "–".into(),
                "–".into(),
                "–".into(),
                "–".into(),
                "0/0".into(),
            ],
        };
        rows.push(row);
    }
    let widths: Vec<usize> = (0..6)
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let pad = widths[k] - s.chars().count();
                if k == 0 {
                    format!("{s}{}", " ".repeat(pad))
                } else {
                    format!("{}{s}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"─".repeat(widths.iter().sum::<usize>() + 10));
            out.push('\n');
        }
    }
    out
}

/// Chart of the paired difference B − A of a step column over time: the mean difference with a
/// 95 % bootstrap band across pairs (one line for a single pair). None if the series were not kept.
pub fn difference_chart(c: &Comparison, column: &str) -> Result<Option<Chart>> {
    let mut diffs: Vec<Vec<f64>> = Vec::new();
    let mut steps: Vec<f64> = Vec::new();
    for &(i, j) in &c.pairs {
        let (Some((sa, va)), Some((_, vb))) =
            (c.a.reps[i].series(column)?, c.b.reps[j].series(column)?)
        else {
            return Ok(None);
        };
        let n = va.len().min(vb.len());
        if steps.is_empty() || n < steps.len() {
            steps = sa[..n].to_vec();
        }
        diffs.push((0..n).map(|t| vb[t] - va[t]).collect());
    }
    if diffs.is_empty() {
        return Ok(None);
    }
    let n = steps.len();
    for d in &mut diffs {
        d.truncate(n);
    }
    let info = catalog::describe(column);
    let df = info.format.of_difference();
    let mut layers = Vec::new();
    let npairs = diffs.len();
    let mean: Vec<f64> = (0..n)
        .map(|t| stats::mean(&diffs.iter().map(|d| d[t]).collect::<Vec<_>>()).unwrap_or(f64::NAN))
        .collect();
    if npairs >= 2 {
        let cis: Vec<Option<stats::Ci>> = (0..n)
            .map(|t| {
                let col: Vec<f64> = diffs.iter().map(|d| d[t]).collect();
                stats::bootstrap_mean_ci(&col, 0.95, 400, stats::BOOTSTRAP_SEED ^ t as u64)
            })
            .collect();
        layers.push(Layer::Band {
            label: Some("95% interval of the mean difference".into()),
            color: BLUE,
            xs: steps.clone(),
            lo: cis
                .iter()
                .zip(&mean)
                .map(|(c, m)| c.map_or(*m, |c| c.lo))
                .collect(),
            hi: cis
                .iter()
                .zip(&mean)
                .map(|(c, m)| c.map_or(*m, |c| c.hi))
                .collect(),
        });
    }
    let last = mean
        .iter()
        .rev()
        .find(|x| x.is_finite())
        .copied()
        .unwrap_or(f64::NAN);
    layers.push(Layer::line(
        format!(
            "{} (last: {})",
            if npairs >= 2 {
                format!("mean of {npairs} paired differences")
            } else {
                "difference".into()
            },
            fmt::signed(last, df)
        ),
        BLUE,
        steps.iter().copied().zip(mean.iter().copied()).collect(),
    ));
    let seeds = if c.common_seeds {
        "same seeds"
    } else {
        "DIFFERENT seeds"
    };
    let seed_list = {
        let mut s: Vec<u64> = c.pairs.iter().map(|&(i, _)| c.a.reps[i].seed).collect();
        s.sort_unstable();
        s.dedup();
        if s.len() == 1 {
            format!("seed {}", s[0])
        } else {
            format!("{} seeds", s.len())
        }
    };
    let scen = if c.a.scenario == c.b.scenario {
        c.a.scenario.clone()
    } else {
        format!("{} vs {}", c.a.scenario, c.b.scenario)
    };
    Ok(Some(Chart {
        id: format!("diff_{}", crate::charts::slug(column)),
        title: format!(
            "{}: B − A — {scen} ({seed_list}, {npairs} pair{})",
            info.label,
            if npairs == 1 { "" } else { "s" }
        ),
        subtitle: format!(
            "A = {}; B = {} ({seeds}, paired step by step).",
            c.a.label, c.b.label
        ),
        note: Some("Above zero: B higher than A at that step.".into()),
        body: Body::Xy(XyPlot {
            x_label: "step".into(),
            y_unit: if df == NumFormat::Points {
                "difference, percentage points".into()
            } else {
                format!(
                    "difference, {}",
                    if info.unit.is_empty() {
                        "value"
                    } else {
                        &info.unit
                    }
                )
            },
            y_format: Some(df),
            zero_based: true,
            layers,
            hlines: vec![RefLine {
                at: 0.0,
                label: "no difference".into(),
            }],
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    }))
}

/// A short label for a folder argument.
pub fn folder_label(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(label: &str, vals: &[(u64, f64)]) -> Arm {
        Arm {
            label: label.into(),
            scenario: "s".into(),
            reps: vals
                .iter()
                .map(|&(seed, v)| Replication {
                    seed,
                    run: 0,
                    key: format!("seed {seed}"),
                    metrics: [("final_platform_share_requests".to_string(), v)]
                        .into_iter()
                        .collect(),
                    steps: StepSource::None,
                })
                .collect(),
        }
    }

    #[test]
    fn arms_pair_on_seeds_and_the_sentence_reads() {
        let a = arm("A", &[(1, 0.10), (2, 0.20), (3, 0.30), (9, 0.5)]);
        let b = arm("B", &[(3, 0.33), (1, 0.12), (2, 0.21)]);
        let c = compare(a, b, &[]).unwrap();
        assert_eq!(c.pairs.len(), 3);
        assert_eq!((c.unpaired_a, c.unpaired_b), (1, 0));
        let p = c.metrics[0].paired.as_ref().unwrap();
        assert!((p.mean_diff - 0.02).abs() < 1e-12);
        let s = c.metrics[0].sentence("A", "B");
        assert!(
            s.starts_with(
                "Final platform request share: B is higher than A by 2 pp (22% vs 20%, +10%)"
            ),
            "{s}"
        );
        assert!(
            s.contains("3 of 3 paired runs") && s.contains("clear at 95%"),
            "{s}"
        );
        let t = table_text(&c);
        assert!(
            t.contains("final_platform_share_requests") && t.contains("+2 pp"),
            "{t}"
        );
    }

    #[test]
    fn no_common_seeds_is_an_error_and_arm_specs_parse() {
        let e = compare(
            arm("A", &[(1, 0.1), (2, 0.1)]),
            arm("B", &[(5, 0.1), (6, 0.2)]),
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("share no seeds"), "{e}");
        assert_eq!(
            parse_arm("point_id=1").unwrap(),
            vec![("point_id".to_string(), "1".to_string())]
        );
        assert_eq!(parse_arm("a.b=0.05, seed=3").unwrap().len(), 2);
        assert!(parse_arm("nonsense").is_err());
    }
}
