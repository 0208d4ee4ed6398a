//! `mindmarket compare`: A/B with common random numbers. Two run folders, two sweep folders run
//! with the same seeds, or two arms of one sweep (`--arm point_id=1 --arm point_id=2`): paired
//! differences of the summary metrics with 95 % bootstrap intervals (a table and one sentence per
//! metric on the terminal, `comparison.csv`) and charts of the paired difference over time.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use mindmarket_analysis::Folder;
use mindmarket_analysis::charts::slug;
use mindmarket_analysis::compare::{self, Arm, Comparison};

use super::plot::{FormatArg, emit, write_charts};

/// `mindmarket compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Arm A: a run folder or a sweep folder (with `--arm` twice: the sweep both arms come from).
    pub a: PathBuf,
    /// Arm B: a folder of the same kind as A (omit with `--arm`).
    pub b: Option<PathBuf>,
    /// An arm of the sweep A as COLUMN=VALUE[,COLUMN=VALUE…] over runs.csv columns, e.g.
    /// `point_id=1` or `platform.seller_fee_rate=0.05`; give it twice (A, then B).
    #[arg(long, value_name = "COLUMN=VALUE")]
    pub arm: Vec<String>,
    /// Summary metrics to compare, comma-separated (default: all both arms have).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub metrics: Vec<String>,
    /// steps.csv columns to chart as paired differences over time, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B,C",
        default_value = "platform_share_requests,token_price_usd,gmv_platform_usd,active_customers_platform"
    )]
    pub series: Vec<String>,
    /// Output folder for the charts and comparison.csv (default: beside B, or in the sweep).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value = "png")]
    pub format: FormatArg,
}

fn arms(a: &CompareArgs) -> Result<(Arm, Arm, PathBuf)> {
    let fa = Folder::open(&a.a)?;
    match (&a.b, a.arm.len()) {
        (None, 2) => {
            let Folder::Sweep(s) = &fa else {
                bail!(
                    "--arm selects runs of a sweep folder, but {} is a run folder",
                    a.a.display()
                );
            };
            let (ca, cb) = (
                compare::parse_arm(&a.arm[0])?,
                compare::parse_arm(&a.arm[1])?,
            );
            let arm_a = Arm::from_sweep(s, &ca, &a.arm[0])?;
            let arm_b = Arm::from_sweep(s, &cb, &a.arm[1])?;
            let out = a.a.join(format!(
                "compare_{}_vs_{}",
                slug(&a.arm[1]),
                slug(&a.arm[0])
            ));
            Ok((arm_a, arm_b, out))
        }
        (Some(b), 0) => {
            let fb = Folder::open(b)?;
            let name = |p: &PathBuf| {
                p.file_name()
                    .map_or("a".into(), |n| slug(&n.to_string_lossy()))
            };
            let out = b.join(format!("compare_vs_{}", name(&a.a)));
            let (la, lb) = (a.a.display().to_string(), b.display().to_string());
            match (fa, fb) {
                (Folder::Run(ra), Folder::Run(rb)) => {
                    Ok((Arm::from_run(&ra, &la), Arm::from_run(&rb, &lb), out))
                }
                (Folder::Sweep(sa), Folder::Sweep(sb)) => Ok((
                    Arm::from_sweep(&sa, &[], &la)?,
                    Arm::from_sweep(&sb, &[], &lb)?,
                    out,
                )),
                _ => bail!(
                    "{} and {} are not the same kind of folder (two run folders or two sweep folders)",
                    la,
                    lb
                ),
            }
        }
        (Some(_), _) => {
            bail!("give either two folders A B, or one sweep folder with --arm twice, not both")
        }
        (None, n) => bail!(
            "compare needs two folders A B, or one sweep folder with --arm twice (got {n} --arm)"
        ),
    }
}

/// The terminal text: header, table, sentences.
pub fn summary_text(c: &Comparison) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "A = {}", c.a.label);
    let _ = writeln!(s, "B = {}", c.b.label);
    let list = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.dedup();
        match v.len() {
            0 => String::new(),
            1 => v[0].to_string(),
            n if v[n - 1] - v[0] + 1 == n as u64 => format!("{}–{}", v[0], v[n - 1]),
            n if n <= 6 => v.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
            n => format!("{n} values"),
        }
    };
    let seeds = list(c.pairs.iter().map(|&(i, _)| c.a.reps[i].seed).collect());
    let runs = list(c.pairs.iter().map(|&(i, _)| c.a.reps[i].run).collect());
    if c.common_seeds {
        let _ = writeln!(
            s,
            "paired with common random numbers: {} pair(s), seed {seeds}, run {runs}",
            c.pairs.len()
        );
    } else {
        let _ = writeln!(
            s,
            "WARNING: the two runs have different seeds ({} vs {}): the difference mixes the change with noise",
            c.a.reps[0].seed, c.b.reps[0].seed
        );
    }
    if c.unpaired_a + c.unpaired_b > 0 {
        let _ = writeln!(
            s,
            "left out without a partner: {} runs of A, {} of B",
            c.unpaired_a, c.unpaired_b
        );
    }
    s.push('\n');
    s.push_str(&compare::table_text(c));
    s.push('\n');
    if c.pairs.len() < 2 {
        let _ = writeln!(
            s,
            "One pair of runs: the differences below have no confidence interval. For \"with what certainty\", \
             run both arms over several seeds (a sweep with replications) and compare those."
        );
    } else {
        let _ = writeln!(
            s,
            "{} pairs of runs with common random numbers; intervals: 95% percentile bootstrap of the mean paired difference.",
            c.pairs.len()
        );
    }
    for m in &c.metrics {
        let _ = writeln!(s, "- {}", m.sentence("A", "B"));
    }
    s
}

fn csv_text(c: &Comparison) -> String {
    let mut s = String::from(
        "metric,n_pairs,mean_a,mean_b,mean_diff,sd_diff,ci95_lo,ci95_hi,b_higher,b_lower\n",
    );
    for m in &c.metrics {
        if let Some(p) = &m.paired {
            let (lo, hi) = p.ci.map_or((f64::NAN, f64::NAN), |c| (c.lo, c.hi));
            let num = |x: f64| {
                if x.is_finite() {
                    format!("{x}")
                } else {
                    String::new()
                }
            };
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{}",
                m.metric,
                p.n,
                num(p.mean_a),
                num(p.mean_b),
                num(p.mean_diff),
                num(p.sd_diff),
                num(lo),
                num(hi),
                p.n_b_higher,
                p.n_b_lower
            );
        } else {
            let _ = writeln!(s, "{},0,,,,,,,0,0", m.metric);
        }
    }
    s
}

/// Runs the command.
pub fn run(a: CompareArgs) -> Result<()> {
    let (arm_a, arm_b, default_out) = arms(&a)?;
    let metrics = super::clean_list(&a.metrics);
    let c = compare::compare(arm_a, arm_b, &metrics)?;
    emit(&summary_text(&c))?;
    let out = a.out.clone().unwrap_or(default_out);
    let mut charts = Vec::new();
    let mut missing = Vec::new();
    for col in a.series.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match compare::difference_chart(&c, col) {
            Ok(Some(ch)) => charts.push(ch),
            Ok(None) => missing.push(col.to_string()),
            Err(e) => eprintln!("note: no difference chart of `{col}`: {e}"),
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "note: no step series kept for the runs (sweep without steps/): no difference charts over time"
        );
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let csv_path = out.join("comparison.csv");
    std::fs::write(&csv_path, csv_text(&c))
        .with_context(|| format!("cannot write {}", csv_path.display()))?;
    let written = write_charts(&charts, &out, a.format)?;
    emit(&format!(
        "\nwrote {} and {} chart file(s) to {}/ (paired difference over time)\n",
        csv_path.file_name().unwrap_or_default().to_string_lossy(),
        written.len(),
        out.display()
    ))
}
