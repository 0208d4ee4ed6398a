//! `mindmarket sweep`: run an experiment (a design of parameter values × replications) into a
//! sweep folder, in parallel across runs, resumable and shardable; or, with `--dry-run`, say what
//! it would cost. The library does the work (`mindmarket_sim::sweep`); this file adds the clock,
//! the progress bar and the messages.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use mindmarket_sim::Simulation;
use mindmarket_sim::sweep::{
    self, DesignKind, Format, Observer, ParamSpec, RunOptions, Shard, Sweep,
};

/// `mindmarket sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Sweep file: a scenario with a `[sweep]` table, or a file with `base = "scenario.toml"`,
    /// `[overrides]` and `[sweep]` (docs/SWEEPS.md).
    pub file: PathBuf,
    /// Output folder (default: out/sweeps/<file stem>/, or out/sweeps/<file stem>-shard-K-of-N/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS). Never changes the results.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Engine threads of each run; runs at once = threads / threads-per-run. Never changes the
    /// results.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub threads_per_run: usize,
    /// Run only the K-th of N deterministic slices of the runs (those with run_id % N == K);
    /// `mindmarket merge` joins the N shard folders.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Continue the sweep in --out (redo no finished run), or start it if the folder is new.
    #[arg(long)]
    pub resume: bool,
    /// Print points, runs, memory, output size and a time estimate, then exit without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format: csv, or parquet (runs.parquet, points.parquet and steps/*.parquet beside the
    /// CSV tables; needs a build with `--features parquet`).
    #[arg(long, value_parser = ["csv", "parquet"], default_value = "csv")]
    pub format: String,
    /// No progress bar and no summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> std::result::Result<Shard, String> {
    Shard::parse(s)
}

/// Worker threads: `--threads`, else RAYON_NUM_THREADS, else the number of cores.
pub fn default_threads(threads: Option<usize>) -> usize {
    threads
        .or_else(|| std::env::var("RAYON_NUM_THREADS").ok()?.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs the command.
pub fn run(a: SweepArgs) -> Result<()> {
    let format = match a.format.as_str() {
        "parquet" => Format::Parquet,
        _ => Format::Csv,
    };
    if format == Format::Parquet && !cfg!(feature = "parquet") {
        bail!(
            "this mindmarket was built without Parquet support; rebuild it with `cargo build --release --features parquet`, or use --format csv"
        );
    }
    let sweep = Sweep::load(&a.file)?;
    if !a.quiet {
        for w in &sweep.warnings {
            eprintln!("warning: {w}");
        }
    }
    let threads = default_threads(a.threads);
    let per_run = a.threads_per_run.max(1);
    let workers = (threads / per_run).max(1);
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let out = a.out.clone().unwrap_or_else(|| {
        let name = match a.shard {
            Some(s) => format!("{stem}-shard-{}-of-{}", s.k, s.n),
            None => stem.clone(),
        };
        PathBuf::from("out").join("sweeps").join(name)
    });
    if a.dry_run {
        return dry_run(&a, &sweep, workers, per_run, format);
    }

    let bar = Bar::new(a.quiet);
    let opts = RunOptions {
        out: out.clone(),
        workers,
        threads_per_run: per_run,
        shard: a.shard,
        resume: a.resume,
        format,
    };
    let start = Instant::now();
    let outcome =
        sweep::run(&sweep, &opts, &bar).with_context(|| format!("sweep {}", a.file.display()))?;
    let wall = start.elapsed().as_secs_f64();
    bar.pb.finish_and_clear();
    if !outcome.complete {
        bail!(
            "the sweep stopped after {} of {} runs; continue it with --resume",
            outcome.done,
            outcome.total
        );
    }
    let ok = outcome.done - outcome.failed;
    if !a.quiet {
        let resumed = if outcome.ran < outcome.total {
            format!(
                " ({} done before, {} run now)",
                outcome.total - outcome.ran,
                outcome.ran
            )
        } else {
            String::new()
        };
        let rate = if outcome.ran > 0 {
            format!(", {:.1} runs/s", outcome.ran as f64 / wall.max(1e-9))
        } else {
            String::new()
        };
        let shard = a
            .shard
            .map(|s| format!(" (shard {}/{})", s.k, s.n))
            .unwrap_or_default();
        let files = if a.shard.is_some() {
            "manifest.json, runs.csv"
        } else if matches!(sweep.spec.design, DesignKind::Sobol | DesignKind::Morris) {
            "manifest.json, runs.csv, points.csv, sensitivity.csv"
        } else {
            "manifest.json, runs.csv, points.csv"
        };
        println!(
            "wrote {}/ ({files}{})",
            out.display(),
            if sweep.spec.record_steps > 0 {
                ", steps/"
            } else {
                ""
            }
        );
        println!(
            "sweep: {} runs{shard}: {ok} ok, {} failed{resumed} in {wall:.2} s on {workers} worker thread{}{rate}",
            outcome.total,
            outcome.failed,
            if workers == 1 { "" } else { "s" },
        );
    }
    if outcome.failed > 0 {
        let (id, err) = outcome.first_failure.unwrap_or_default();
        return Err(anyhow!(
            "{} of {} runs failed; the other runs finished and every file is written (see {}/runs.csv). First failure: run {id}: {err}",
            outcome.failed,
            outcome.total,
            out.display()
        ));
    }
    Ok(())
}

/// The progress bar: on a terminal only, never with --quiet.
struct Bar {
    pb: ProgressBar,
    failed: AtomicU64,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let pb = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let pb = ProgressBar::new(0).with_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, {msg} (ETA {eta})",
                )
                .expect("valid template"),
            );
            pb.enable_steady_tick(Duration::from_millis(250));
            pb
        };
        Bar {
            pb,
            failed: AtomicU64::new(0),
        }
    }
}

impl Observer for Bar {
    fn start(&self, total: u64, done: u64, failed: u64) {
        self.pb.set_length(total);
        self.pb.set_position(done);
        self.pb.reset_eta();
        self.failed.store(failed, Ordering::Relaxed);
        self.pb.set_message(format!("{failed} failed"));
    }

    fn finished(&self, _run_id: u64, ok: bool) {
        if !ok {
            let f = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            self.pb.set_message(format!("{f} failed"));
        }
        self.pb.inc(1);
    }
}

fn bytes(n: f64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut x = n;
    let mut u = 0;
    while x >= 1000.0 && u + 1 < units.len() {
        x /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{x:.0} {}", units[u])
    } else {
        format!("{x:.1} {}", units[u])
    }
}

fn seconds(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn describe(spec: &ParamSpec) -> String {
    match spec {
        ParamSpec::Values(v) => format!("{} values", v.len()),
        ParamSpec::Uniform([a, b]) => format!("uniform [{a}, {b}]"),
        ParamSpec::LogUniform([a, b]) => format!("log-uniform [{a}, {b}]"),
        ParamSpec::IntUniform([a, b]) => format!("integers {a}..={b}"),
        ParamSpec::Choice(v) => format!("choice of {}", v.len()),
    }
}

/// Most point scenarios the dry run checks.
const CHECK_POINTS: u64 = 10_000;
/// Steps of the calibration run.
const CALIBRATION_STEPS: u32 = 10;

fn dry_run(
    a: &SweepArgs,
    sweep: &Sweep,
    workers: usize,
    per_run: usize,
    format: Format,
) -> Result<()> {
    let spec = &sweep.spec;
    let n_runs = sweep.n_runs();
    let runs_here = match a.shard {
        Some(s) if s.k < n_runs => (n_runs - s.k).div_ceil(s.n),
        Some(_) => 0,
        None => n_runs,
    };
    println!(
        "{}: scenario `{}` (hash {})",
        a.file.display(),
        sweep.base.run.name,
        sweep.base_hash
    );
    println!(
        "design {}: {} parameter{}, {} points × {} replication{} = {} runs{}",
        spec.design.name(),
        spec.parameters.len(),
        if spec.parameters.len() == 1 { "" } else { "s" },
        sweep.n_points(),
        spec.replications,
        if spec.replications == 1 { "" } else { "s" },
        n_runs,
        a.shard
            .map(|s| format!("; shard {}/{}: {runs_here} runs", s.k, s.n))
            .unwrap_or_default()
    );
    for p in &spec.parameters {
        println!("  {} : {}", p.key, describe(&p.spec));
    }
    println!(
        "seeds: {}; design seed {}",
        if spec.common_random_numbers {
            format!(
                "common random numbers: run.seed = {} for every point, run.run = replicate",
                spec.seed
            )
        } else {
            format!("run.seed = hash({}, point), run.run = replicate", spec.seed)
        },
        spec.design_seed
    );
    println!(
        "metrics: {}",
        spec.metrics
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Every point's scenario (up to a limit), as the runs will build it.
    let checked = sweep.n_points().min(CHECK_POINTS);
    let mut invalid = 0u64;
    let mut first_err = None;
    let mut first_ok = None;
    for p in 0..checked {
        match sweep.point_scenario(p) {
            Ok(s) => {
                first_ok.get_or_insert((p, s));
            }
            Err(e) => {
                invalid += 1;
                first_err.get_or_insert((p, e.to_string()));
            }
        }
    }
    // "all 6 points" or "the first 10000 points" (of a bigger design).
    let which = if checked < sweep.n_points() {
        format!("the first {checked} points")
    } else {
        format!("{checked} point{}", if checked == 1 { "" } else { "s" })
    };
    match &first_err {
        None => println!("points: the scenarios of {which} are all valid"),
        Some((p, e)) => println!(
            "points: {invalid} of {which} have an invalid scenario, and their runs would fail; first, point {p}: {e}"
        ),
    }

    let Some((p0, s0)) = first_ok else {
        println!("no valid point: nothing to calibrate");
        return Ok(());
    };
    let run_bytes = Sweep::estimate_run_bytes(&s0);
    let customers: u64 = s0.segments.iter().map(|g| u64::from(g.size)).sum();
    let concurrent = (workers as u64).min(runs_here.max(1));
    println!(
        "memory: ≈ {} per run ({customers} customers); {concurrent} run{} at once ≈ {}",
        bytes(run_bytes as f64),
        if concurrent == 1 { "" } else { "s" },
        bytes((run_bytes * concurrent) as f64)
    );

    // Calibration: a few steps of the first valid point.
    let mut s = s0.clone();
    let steps = s.run.steps;
    let cal_steps = steps.min(CALIBRATION_STEPS);
    s.run.steps = cal_steps;
    let t0 = Instant::now();
    let mut sim = Simulation::new(&s, per_run)?;
    let init = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut row_len = 0usize;
    while !sim.finished() {
        let m = sim.step()?;
        row_len = row_len.max(sweep::summary::step_row_len(&m));
    }
    let per_step = t1.elapsed().as_secs_f64() / f64::from(cal_steps.max(1));
    let per_run_s = init + per_step * f64::from(steps);
    let total_s = per_run_s * runs_here as f64 / concurrent as f64;

    // Output size.
    let row = sweep.format_run_row(
        a.shard.map_or(0, |s| s.k),
        &vec![0.123_456_789_012_345_67; spec.metrics.len()],
    );
    let runs_csv = row.len() as f64 * runs_here as f64;
    let points_csv = if a.shard.is_none() {
        (row.len() + 80 * spec.metrics.len()) as f64 * sweep.n_points() as f64
    } else {
        0.0
    };
    let mut out = runs_csv * 1.6 + points_csv; // + the manifest's runs list
    let mut steps_note = String::new();
    if spec.record_steps > 0 {
        let rows = u64::from(steps).div_ceil(u64::from(spec.record_steps)) + 1;
        let mut steps_bytes = rows as f64 * (row_len + 7) as f64 * runs_here as f64;
        if format == Format::Parquet {
            steps_bytes /= 4.0;
        }
        out += steps_bytes;
        steps_note = format!(" (steps/: {} rows per run ≈ {})", rows, bytes(steps_bytes));
    }
    println!("output: ≈ {}{steps_note}", bytes(out));
    println!(
        "time: calibration of point {p0}: start {init:.3} s, {per_step:.4} s per step over {cal_steps} steps → ≈ {} per run of {steps} steps; ≈ {} for {runs_here} runs on {concurrent} worker thread{} (rough: later steps can cost more than the first)",
        seconds(per_run_s),
        seconds(total_s),
        if concurrent == 1 { "" } else { "s" }
    );
    println!("dry run: nothing written");
    Ok(())
}
