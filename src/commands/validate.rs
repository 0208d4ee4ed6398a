//! `mindmarket validate`: runs the analytic validation cases of MODEL.md §8 (the scenario files
//! of `scenarios/validation/`, each with a `[validation]` table), in parallel across cases, prints
//! one table row per check (case, check, expected, observed, error, tolerance, result) and fails
//! (exit code 2) if any check fails or a case cannot run. With `--out DIR` it also writes
//! `DIR/validation.csv` and one plot per case of the model against the theory.
//!
//! The library computes everything (`mindmarket_sim::validation`); this file only loads the
//! cases, times them, prints and draws.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use mindmarket_analysis::plot::{self, Body, Chart, ImageFormat, Layer, RefLine, XyPlot, theme};
use mindmarket_sim::validation::{self, Case, CaseReport, Plot, Role, Verdict};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `mindmarket validate`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Case files to run (default: every `.toml` file of --dir).
    pub files: Vec<PathBuf>,
    /// Run only this case (`V3`; repeatable).
    #[arg(long = "case", value_name = "ID")]
    pub cases: Vec<String>,
    /// Folder of the case files.
    #[arg(long, default_value = validation::DEFAULT_DIR)]
    pub dir: PathBuf,
    /// Also write DIR/validation.csv and one PNG plot per case (DIR/<case>_<plot>.png).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads for running cases (and a case's replications) in parallel (0 = all cores); every
    /// simulation runs on one thread of its own, so results never depend on this.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Apply each case's `quick` overrides (the sizes the default test suite runs).
    #[arg(long)]
    pub quick: bool,
    /// Count a case that fails as its file's `known_failure` declares as a failure too.
    #[arg(long)]
    pub strict: bool,
}

/// The files to run: the given ones, or the folder's, filtered by `--case`.
fn select(a: &ValidateArgs) -> Result<Vec<PathBuf>> {
    let files = if a.files.is_empty() {
        validation::discover(&a.dir)?
    } else {
        a.files.clone()
    };
    if a.cases.is_empty() {
        return Ok(files);
    }
    let id = |p: &PathBuf| {
        validation::case_id(
            &p.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    };
    let mut out = Vec::new();
    for want in &a.cases {
        let hit: Vec<&PathBuf> = files
            .iter()
            .filter(|p| id(p).eq_ignore_ascii_case(want))
            .collect();
        if hit.is_empty() {
            let known: Vec<String> = files.iter().map(id).collect();
            bail!(
                "no validation case `{want}` in {} (cases: {})",
                a.dir.display(),
                known.join(", ")
            );
        }
        out.extend(hit.into_iter().cloned());
    }
    Ok(out)
}

/// One finished case.
struct Outcome {
    case: Case,
    result: std::result::Result<CaseReport, String>,
    wall_s: f64,
}

impl Outcome {
    /// The verdict's label, `ERROR` when the case could not run.
    fn label(&self) -> &'static str {
        match &self.result {
            Ok(r) => r.verdict().label(),
            Err(_) => "ERROR",
        }
    }

    /// Whether it makes the command fail.
    fn failed(&self, strict: bool) -> bool {
        match &self.result {
            Ok(r) => r.verdict().is_failure(strict),
            Err(_) => true,
        }
    }
}

/// Runs the command.
pub fn run(a: ValidateArgs) -> Result<()> {
    let files = select(&a)?;
    if files.is_empty() {
        bail!("no validation case files in {}", a.dir.display());
    }
    let cases: Vec<Case> = files
        .iter()
        .map(|f| validation::load_case(f, a.quick))
        .collect::<std::result::Result<_, _>>()?;
    let threads = if a.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        a.threads
    };
    let started = Instant::now();
    eprintln!(
        "running {} validation case(s) on {threads} thread(s){}",
        cases.len(),
        if a.quick { " (quick sizes)" } else { "" }
    );
    // Cases in parallel on plain scoped threads, each running its cases through its one-thread
    // pool (`single_threaded`: one-thread simulations then run inline, with no pool per run); a
    // case's own replications use up to `threads` more.
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(cases.len()) {
            scope.spawn(|| {
                let work = || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(case) = cases.get(i) else { break };
                        let t0 = Instant::now();
                        let result =
                            validation::run_case(case, threads).map_err(|e| format!("{e:#}"));
                        let wall_s = t0.elapsed().as_secs_f64();
                        let o = Outcome {
                            case: case.clone(),
                            result,
                            wall_s,
                        };
                        eprintln!("  {} {} ({wall_s:.1} s)", case.id, o.label());
                        slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(o);
                    }
                };
                // Without that pool (it could not start) the cases run here and report it.
                if mindmarket_sim::engine::single_threaded(work).is_err() {
                    work();
                }
            });
        }
    });
    let outcomes: Vec<Outcome> = slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    emit(&table(&outcomes))?;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write_csv(&outcomes, &dir.join("validation.csv"))?;
        let mut n = 0;
        for o in &outcomes {
            if let Ok(r) = &o.result {
                for p in &r.plots {
                    plot::save(&chart(r, p), dir, ImageFormat::Png)
                        .with_context(|| format!("cannot draw {} {}", r.id, p.id))?;
                    n += 1;
                }
            }
        }
        eprintln!(
            "wrote {} and {n} plot(s)",
            dir.join("validation.csv").display()
        );
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.failed(a.strict))
        .map(|o| o.case.id.as_str())
        .collect();
    let known: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.failed(a.strict) && o.label() == Verdict::KnownFailure.label())
        .map(|o| o.case.id.as_str())
        .collect();
    let passed = outcomes.iter().filter(|o| o.label() == "pass").count();
    eprintln!(
        "{passed} of {} case(s) passed{} in {:.1} s",
        outcomes.len(),
        if known.is_empty() {
            String::new()
        } else {
            format!(
                ", known failure(s) not counted: {} (--strict counts them)",
                known.join(", ")
            )
        },
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        bail!("validation failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Prints `text` on stdout; a closed pipe (`… | head`) is not an error.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A number for the table: 6 significant digits.
fn g(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-4..1e7).contains(&a) {
        let digits = (5 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{x:.5e}")
    }
}

/// The text table: one row per check, a header line per case, then the notes.
fn table(outcomes: &[Outcome]) -> String {
    let mut rows: Vec<[String; 7]> = Vec::new();
    for o in outcomes {
        match &o.result {
            Ok(r) => {
                for c in &r.checks {
                    rows.push([
                        r.id.clone(),
                        c.name.clone(),
                        g(c.expected),
                        g(c.observed),
                        g(c.error),
                        g(c.tolerance),
                        if c.pass { "pass".into() } else { "FAIL".into() },
                    ]);
                }
            }
            Err(e) => rows.push([
                o.case.id.clone(),
                format!("error: {e}"),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "ERROR".into(),
            ]),
        }
    }
    let head = [
        "case",
        "check",
        "expected",
        "observed",
        "error",
        "tolerance",
        "result",
    ];
    let width = |k: usize| {
        rows.iter()
            .map(|r| r[k].chars().count())
            .chain([head[k].chars().count()])
            .max()
            .unwrap_or(0)
            .min(if k == 1 { 72 } else { 40 })
    };
    let w: Vec<usize> = (0..7).map(width).collect();
    let fit = |s: &str, n: usize| {
        let c = s.chars().count();
        if c > n {
            let cut: String = s.chars().take(n.saturating_sub(1)).collect();
            format!("{cut}…")
        } else {
            format!("{s}{}", " ".repeat(n - c))
        }
    };
    let line = |r: &[String]| {
        let mut s = String::new();
        for (k, cell) in r.iter().enumerate() {
            let cell = if (2..6).contains(&k) {
                format!(
                    "{}{cell}",
                    " ".repeat(w[k].saturating_sub(cell.chars().count()))
                )
            } else {
                fit(cell, w[k])
            };
            s.push_str(&cell);
            s.push_str(if k < 6 { "  " } else { "\n" });
        }
        s
    };
    let mut out = String::new();
    out.push_str(&line(&head.map(String::from)));
    let _ = writeln!(out, "{}", "-".repeat(w.iter().sum::<usize>() + 12));
    let mut last = String::new();
    for r in &rows {
        if r[0] != last && !last.is_empty() {
            out.push('\n');
        }
        last = r[0].clone();
        out.push_str(&line(r));
    }
    out.push('\n');
    for o in outcomes {
        let _ = writeln!(
            out,
            "{} {} — {} ({}{}, {:.1} s)",
            o.case.id,
            o.label(),
            o.case.title,
            o.case.file,
            if o.case.quick { ", quick" } else { "" },
            o.wall_s
        );
        if let Some(why) = &o.case.known_failure {
            let _ = writeln!(out, "    known failure: {why}");
        }
        if let Ok(r) = &o.result {
            for n in &r.notes {
                let _ = writeln!(out, "    {n}");
            }
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `validation.csv`: one row per check (a case that could not run has one row with its error).
fn write_csv(outcomes: &[Outcome], path: &Path) -> Result<()> {
    let mut s = String::from(
        "case,title,kind,file,quick,verdict,check,expected,observed,error,tolerance,pass,wall_s\n",
    );
    for o in outcomes {
        let c = &o.case;
        let head = format!(
            "{},{},{},{},{},{}",
            csv_field(&c.id),
            csv_field(&c.title),
            c.kind.name(),
            csv_field(&c.file),
            c.quick,
            o.label()
        );
        match &o.result {
            Ok(r) => {
                for k in &r.checks {
                    let _ = writeln!(
                        s,
                        "{head},{},{:e},{:e},{:e},{:e},{},{:.3}",
                        csv_field(&k.name),
                        k.expected,
                        k.observed,
                        k.error,
                        k.tolerance,
                        k.pass,
                        o.wall_s
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(
                    s,
                    "{head},{},,,,,false,{:.3}",
                    csv_field(&format!("error: {e}")),
                    o.wall_s
                );
            }
        }
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, s).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The chart of one plot: theory as wide light lines drawn first, a second theoretical curve in
/// sky blue, the model in the palette's strong colours on top, so that agreement shows as a model
/// line inside a grey band. (PNGs are drawn at twice their size: widths are in those pixels.)
fn chart(r: &CaseReport, p: &Plot) -> Chart {
    let model_colours = [
        theme::BLUE,
        theme::VERMILLION,
        theme::GREEN,
        theme::ORANGE,
        theme::PURPLE,
        theme::INK,
    ];
    let theory_colours = [theme::AXIS, theme::MUTED];
    let mut theory_labels: Vec<&str> = Vec::new();
    let mut model = 0usize;
    let mut layers: Vec<(u8, Layer)> = p
        .series
        .iter()
        .map(|s| {
            let (rank, color, width) = match s.role {
                Role::Theory => {
                    let k = theory_labels
                        .iter()
                        .position(|l| *l == s.label)
                        .unwrap_or_else(|| {
                            theory_labels.push(&s.label);
                            theory_labels.len() - 1
                        });
                    (0, theory_colours[k % theory_colours.len()], 14)
                }
                Role::Reference => (1, theme::SKY, 8),
                Role::Model => {
                    model += 1;
                    (2, model_colours[(model - 1) % model_colours.len()], 0)
                }
            };
            let layer = Layer::Line {
                label: Some(s.label.clone()),
                color,
                points: s.points.clone(),
                width,
                markers: s.markers,
                step: s.step,
            };
            (rank, layer)
        })
        .collect();
    layers.sort_by_key(|l| l.0);
    let layers = layers.into_iter().map(|l| l.1).collect();
    let verdict = r.verdict().label();
    Chart {
        id: format!("{}_{}", r.id, p.id),
        title: p.title.clone(),
        subtitle: format!("{} {} · {} · {}", r.id, verdict, r.file, r.kind),
        note: r.checks.first().map(|c| {
            format!(
                "{}: expected {}, observed {}, error {} (tolerance {})",
                c.name,
                g(c.expected),
                g(c.observed),
                g(c.error),
                g(c.tolerance)
            )
        }),
        body: Body::Xy(XyPlot {
            x_label: p.x_label.clone(),
            y_unit: p.y_label.clone(),
            y_log: p.y_log,
            layers,
            hlines: p
                .hlines
                .iter()
                .map(|(at, label)| RefLine {
                    at: *at,
                    label: label.clone(),
                })
                .collect(),
            ..XyPlot::default()
        }),
        size: plot::FULL_SIZE,
    }
}
