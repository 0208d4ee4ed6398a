//! The sweep folder: `manifest.json`, `runs.csv` (streamed in run order), `runs.journal` (runs
//! finished ahead of order, while the sweep runs), `points.csv`, `sensitivity.csv`,
//! `scenario.resolved.toml` and `steps/run_<id>.csv`; Parquet copies with `--format parquet`.
//!
//! Every row of runs.csv is one line (errors and values never contain line breaks), appended and
//! flushed as soon as every earlier run is written; a killed sweep leaves at most a partial last
//! line, which resume truncates. Files written once (manifest, points, sensitivity, steps) go
//! through [`AtomicFile`]: they appear complete or not at all.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::design::Design;
use super::param::{fmt_f64, value_field};
use super::sensitivity::{BOOTSTRAP_SEED, morris_indices, sobol_indices};
use super::spec::{DesignKind, RUN_COLUMNS, SweepSpec};
use super::stats::{mean, quantile_sorted, sd};
use super::summary::Columns;
use super::{RunSpec, SweepError, io_err};
use crate::metrics::StepMetrics;
use crate::output::AtomicFile;

/// File names of the folder.
pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const RUNS: &str = "runs.csv";
pub(crate) const JOURNAL: &str = "runs.journal";
pub(crate) const POINTS: &str = "points.csv";
pub(crate) const SENSITIVITY: &str = "sensitivity.csv";
pub(crate) const RESOLVED: &str = "scenario.resolved.toml";
pub(crate) const STEPS: &str = "steps";

/// Output format of the tables and step series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV only.
    Csv,
    /// runs.csv plus runs.parquet and points.parquet; step series as Parquet.
    Parquet,
}

impl Format {
    /// The extension of step files.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One of `n` deterministic slices of the runs: those with `run_id % n == k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This slice, 0-based.
    pub k: u64,
    /// Number of slices.
    pub n: u64,
}

impl Shard {
    /// Parses `K/N` (0 ≤ K < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (like 0/4), got `{text}`"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("K in `{text}` is not a whole number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("N in `{text}` is not a whole number"))?;
        if n == 0 || k >= n {
            return Err(format!("need 0 <= K < N, got K = {k}, N = {n}"));
        }
        Ok(Shard { k, n })
    }
}

/// The runs of a folder: every run, or one shard's, by position.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slice {
    k: u64,
    n: u64,
    n_runs: u64,
}

impl Slice {
    pub fn new(n_runs: u64, shard: Option<Shard>) -> Slice {
        let (k, n) = shard.map_or((0, 1), |s| (s.k, s.n));
        Slice { k, n, n_runs }
    }

    pub fn len(&self) -> u64 {
        if self.k >= self.n_runs {
            0
        } else {
            (self.n_runs - self.k).div_ceil(self.n)
        }
    }

    pub fn run_id(&self, pos: u64) -> u64 {
        self.k + pos * self.n
    }
}

/// `manifest.json` without its `runs` list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestHead {
    /// Program version that ran the sweep.
    pub program_version: String,
    /// The base scenario's `run.name`.
    pub scenario: String,
    /// Hash of the resolved base scenario.
    pub base_scenario_hash: String,
    /// A sweep file's `[overrides]` of its base, as `--set` strings (already in the hash).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The design.
    pub design: DesignKind,
    /// The design's seed.
    pub design_seed: u64,
    /// The runs' master seed.
    pub seed: u64,
    /// Whether replicates share seeds across points.
    pub common_random_numbers: bool,
    /// Design points.
    pub n_points: u64,
    /// Runs per point.
    pub replications: u32,
    /// Runs in all.
    pub n_runs: u64,
    /// Output format.
    pub format: Format,
    /// Step rows recorded every this many steps (0 = none).
    pub record_steps: u32,
    /// Parameter key paths, in column order.
    pub parameters: Vec<String>,
    /// Summary metric names, in column order.
    pub metrics: Vec<String>,
    /// The sweep table as written.
    pub sweep_given: serde_json::Value,
    /// The sweep table, checked and expanded.
    pub sweep: SweepSpec,
    /// The slice this folder holds, if sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Whether every run of the folder is done and the summary files are written.
    pub complete: bool,
    /// The runs list, skipped when reading (it is streamed).
    #[serde(default, skip_serializing)]
    pub runs: Option<serde::de::IgnoredAny>,
}

/// One entry of the manifest's runs list.
#[derive(Serialize)]
struct RunEntry<'a> {
    run_id: u64,
    point_id: u64,
    replicate: u32,
    seed: u64,
    run: u64,
    status: &'a str,
    error: Option<&'a str>,
}

/// Emits one manifest entry: the run, its status and its error.
pub(crate) type Emit<'e> = dyn FnMut(RunSpec, &str, &str) -> std::io::Result<()> + 'e;
/// Calls its argument once per run, in run order.
pub(crate) type RunsSource<'s> = dyn FnMut(&mut Emit<'_>) -> Result<(), SweepError> + 's;

/// Writes manifest.json atomically: the head, pretty-printed, then one line per run.
pub(crate) fn write_manifest(
    dir: &Path,
    head: &ManifestHead,
    runs: &mut RunsSource<'_>,
) -> Result<(), SweepError> {
    let path = dir.join(MANIFEST);
    let err = io_err("write", &path);
    let mut f = AtomicFile::create(&path).map_err(&err)?;
    let mut text = serde_json::to_string_pretty(head).map_err(|e| err(std::io::Error::other(e)))?;
    // `{ … \n}` → `{ … ,\n  "runs": [` + entries + `\n  ]\n}\n`.
    text.truncate(text.trim_end().len() - 1);
    let text = text.trim_end().to_string();
    f.write_all(text.as_bytes()).map_err(&err)?;
    f.write_all(b",\n  \"runs\": [").map_err(&err)?;
    let mut first = true;
    runs(&mut |r: RunSpec, status: &str, error: &str| {
        let e = RunEntry {
            run_id: r.run_id,
            point_id: r.point_id,
            replicate: r.replicate,
            seed: r.seed,
            run: r.run,
            status,
            error: (!error.is_empty()).then_some(error),
        };
        f.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        serde_json::to_writer(&mut f, &e).map_err(std::io::Error::other)
    })?;
    f.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
        .map_err(&err)?;
    f.commit().map_err(&err)
}

/// Reads a manifest's head (the runs list is skipped without being held in memory).
pub(crate) fn read_head(dir: &Path) -> Result<Option<ManifestHead>, SweepError> {
    let path = dir.join(MANIFEST);
    let f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", &path)(e)),
    };
    serde_json::from_reader(BufReader::new(f))
        .map(Some)
        .map_err(|e| SweepError::Folder {
            path: path.display().to_string(),
            message: format!("not a sweep manifest of this program version ({e})"),
        })
}

/// The first top-level key where two heads differ, for messages.
pub(crate) fn head_difference(a: &ManifestHead, b: &ManifestHead) -> Option<String> {
    let (Ok(serde_json::Value::Object(x)), Ok(serde_json::Value::Object(y))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return Some("manifest".into());
    };
    let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
    keys.into_iter().find(|k| x.get(*k) != y.get(*k)).map(|k| {
        let show = |v: Option<&serde_json::Value>| {
            let s = v.map_or("(none)".to_string(), |v| v.to_string());
            if s.len() > 80 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(80).map_or(s.len(), |(i, _)| i)]
                )
            } else {
                s
            }
        };
        format!(
            "`{k}` is {} there but {} here",
            show(x.get(k)),
            show(y.get(k))
        )
    })
}

/// The header line of runs.csv.
pub(crate) fn runs_header(head: &ManifestHead) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fields = RUN_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .chain(head.parameters.iter().cloned())
        .chain(head.metrics.iter().cloned());
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}

/// One row of runs.csv (with its line break).
pub(crate) fn format_row(
    r: &RunSpec,
    ok: bool,
    error: &str,
    values: &[toml::Value],
    metrics: &[f64],
    integer: &[bool],
) -> Vec<u8> {
    let mut fields: Vec<String> = vec![
        r.run_id.to_string(),
        r.point_id.to_string(),
        r.replicate.to_string(),
        r.seed.to_string(),
        r.run.to_string(),
        if ok { "ok" } else { "failed" }.to_string(),
        one_line(error),
    ];
    fields.extend(values.iter().map(value_field));
    if ok {
        fields.extend(metrics.iter().zip(integer).map(|(&v, &int)| {
            if int && v.is_finite() {
                format!("{v:.0}")
            } else {
                fmt_f64(v)
            }
        }));
    } else {
        fields.extend(metrics.iter().map(|_| String::new()));
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&fields);
    w.into_inner().unwrap_or_default()
}

/// An error message on one line.
pub(crate) fn one_line(s: &str) -> String {
    let parts: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    parts.join(" | ")
}

/// A parsed runs.csv row.
pub(crate) struct Row {
    pub spec: RunSpec,
    pub ok: bool,
    pub error: String,
    pub record: csv::StringRecord,
}

/// Parses one runs.csv line.
pub(crate) fn parse_row(line: &[u8], width: usize) -> Option<Row> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).ok()? || rec.len() != width {
        return None;
    }
    let num = |i: usize| rec.get(i)?.parse::<u64>().ok();
    let spec = RunSpec {
        run_id: num(0)?,
        point_id: num(1)?,
        replicate: u32::try_from(num(2)?).ok()?,
        seed: num(3)?,
        run: num(4)?,
    };
    let ok = match rec.get(5)? {
        "ok" => true,
        "failed" => false,
        _ => return None,
    };
    let error = rec.get(6)?.to_string();
    Some(Row {
        spec,
        ok,
        error,
        record: rec,
    })
}

/// Reads the complete lines of an append-only file, truncating a partial last line (left by a
/// kill). Returns the number of complete lines.
pub(crate) fn complete_lines(
    path: &Path,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), SweepError>,
) -> Result<u64, SweepError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("read", path)(e)),
    };
    let mut r = BufReader::new(file);
    let mut line = Vec::new();
    let (mut good, mut n) = (0u64, 0u64);
    loop {
        line.clear();
        let got = r
            .read_until(b'\n', &mut line)
            .map_err(io_err("read", path))?;
        if got == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            // A partial last line: cut it off.
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io_err("truncate", path))?;
            f.set_len(good).map_err(io_err("truncate", path))?;
            f.sync_all().map_err(io_err("truncate", path))?;
            break;
        }
        each(n, &line)?;
        good += got as u64;
        n += 1;
    }
    Ok(n)
}

/// runs.csv and the journal, open for appending while the sweep runs.
pub(crate) struct RunsWriter {
    runs: BufWriter<File>,
    journal: BufWriter<File>,
    runs_path: PathBuf,
    journal_path: PathBuf,
}

impl RunsWriter {
    pub fn open(dir: &Path) -> Result<RunsWriter, SweepError> {
        let runs_path = dir.join(RUNS);
        let journal_path = dir.join(JOURNAL);
        let open = |p: &Path| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(io_err("open", p))
        };
        Ok(RunsWriter {
            runs: BufWriter::new(open(&runs_path)?),
            journal: BufWriter::new(open(&journal_path)?),
            runs_path,
            journal_path,
        })
    }

    /// Appends rows to runs.csv (no flush).
    pub fn write(&mut self, line: &[u8]) -> Result<(), SweepError> {
        self.runs
            .write_all(line)
            .map_err(io_err("write", &self.runs_path))
    }

    /// Hands the rows written so far to the operating system.
    pub fn flush(&mut self) -> Result<(), SweepError> {
        self.runs.flush().map_err(io_err("write", &self.runs_path))
    }

    /// Records a row finished ahead of order, durably enough to survive a kill of the process.
    pub fn journal(&mut self, line: &[u8]) -> Result<(), SweepError> {
        let err = io_err("write", &self.journal_path);
        self.journal.write_all(line).map_err(&err)?;
        self.journal.flush().map_err(&err)
    }

    /// Flushes and syncs runs.csv and removes the journal (every row is in runs.csv).
    pub fn close(mut self, complete: bool) -> Result<(), SweepError> {
        self.flush()?;
        self.journal
            .flush()
            .map_err(io_err("write", &self.journal_path))?;
        let f = self.runs.get_ref();
        f.sync_all().map_err(io_err("sync", &self.runs_path))?;
        if complete {
            drop(self.journal);
            std::fs::remove_file(&self.journal_path)
                .map_err(io_err("remove", &self.journal_path))?;
        }
        Ok(())
    }
}

/// Creates runs.csv with its header, atomically.
pub(crate) fn create_runs(dir: &Path, head: &ManifestHead) -> Result<(), SweepError> {
    crate::output::write_atomic(&dir.join(RUNS), &runs_header(head))
        .map_err(io_err("write", &dir.join(RUNS)))
}

/// Streams the step rows of one run to `steps/run_<id>.<ext>`.
pub(crate) enum StepsWriter {
    Csv {
        w: Box<csv::Writer<AtomicFile>>,
        path: PathBuf,
        run_id: String,
    },
    #[cfg(feature = "parquet")]
    Parquet {
        rows: super::parquet::StepRows,
        path: PathBuf,
    },
}

impl StepsWriter {
    pub fn create(
        dir: &Path,
        run_id: u64,
        format: Format,
        columns: &Columns,
    ) -> Result<StepsWriter, SweepError> {
        let names = &columns.names;
        let path = dir.join(super::Sweep::steps_file(run_id, format));
        match format {
            Format::Csv => {
                let f = AtomicFile::create(&path).map_err(io_err("write", &path))?;
                let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(f);
                let header = std::iter::once("run_id").chain(names.iter().copied());
                w.write_record(header).map_err(|e| SweepError::Io {
                    action: "write",
                    path: path.display().to_string(),
                    source: std::io::Error::other(e),
                })?;
                Ok(StepsWriter::Csv {
                    w: Box::new(w),
                    path,
                    run_id: run_id.to_string(),
                })
            }
            #[cfg(feature = "parquet")]
            Format::Parquet => Ok(StepsWriter::Parquet {
                rows: super::parquet::StepRows::new(run_id, columns),
                path,
            }),
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => Err(SweepError::Parquet {
                path: path.display().to_string(),
                message: "this build has no Parquet support (build with `--features parquet`)"
                    .into(),
            }),
        }
    }

    pub fn row(&mut self, m: &StepMetrics) -> Result<(), SweepError> {
        match self {
            StepsWriter::Csv { w, path, run_id } => {
                let err = |e: csv::Error| SweepError::Io {
                    action: "write",
                    path: path.display().to_string(),
                    source: std::io::Error::other(e),
                };
                w.write_field(run_id.as_bytes()).map_err(err)?;
                w.serialize(m).map_err(err)
            }
            #[cfg(feature = "parquet")]
            StepsWriter::Parquet { rows, .. } => {
                rows.push(m);
                Ok(())
            }
        }
    }

    pub fn commit(self) -> Result<(), SweepError> {
        match self {
            StepsWriter::Csv { w, path, .. } => {
                let f = w.into_inner().map_err(|e| SweepError::Io {
                    action: "write",
                    path: path.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                f.commit().map_err(io_err("write", &path))
            }
            #[cfg(feature = "parquet")]
            StepsWriter::Parquet { rows, path } => rows.write(&path),
        }
    }
}

/// Writes points.csv, sensitivity.csv (Sobol' and Morris designs) and the Parquet copies from a
/// complete runs.csv, then the final manifest.
pub(crate) fn finalize(dir: &Path, head: &ManifestHead, design: &Design) -> Result<(), SweepError> {
    if head.shard.is_none() {
        let means = write_points(dir, head, design)?;
        write_sensitivity(dir, head, design, &means)?;
        #[cfg(feature = "parquet")]
        if head.format == Format::Parquet {
            super::parquet::tables(dir, head)?;
        }
    }
    let mut done = head.clone();
    done.complete = true;
    write_manifest(dir, &done, &mut |emit| {
        let path = dir.join(RUNS);
        let width = RUN_COLUMNS.len() + head.parameters.len() + head.metrics.len();
        let mut first = true;
        complete_lines(&path, |_, line| {
            if std::mem::take(&mut first) {
                return Ok(());
            }
            let row = parse_row(line, width).ok_or_else(|| bad_row(&path, line))?;
            emit(row.spec, if row.ok { "ok" } else { "failed" }, &row.error)
                .map_err(io_err("write", &dir.join(MANIFEST)))
        })?;
        Ok(())
    })
}

pub(crate) fn bad_row(path: &Path, line: &[u8]) -> SweepError {
    let text = String::from_utf8_lossy(line);
    let short: String = text.trim_end().chars().take(60).collect();
    SweepError::Folder {
        path: path.display().to_string(),
        message: format!("`{short}` is not a row of this sweep"),
    }
}

/// points.csv: per point, the parameters, run counts and per metric the mean, s.d. and 10/50/90 %
/// quantiles of its ok runs' finite values. Returns the point means (points × metrics) when the
/// design has sensitivity indices, else nothing.
fn write_points(dir: &Path, head: &ManifestHead, design: &Design) -> Result<Vec<f64>, SweepError> {
    let d = head.parameters.len();
    let m = head.metrics.len();
    let width = RUN_COLUMNS.len() + d + m;
    let keep_means = matches!(design.kind(), DesignKind::Sobol | DesignKind::Morris);
    let mut means = Vec::new();
    let path = dir.join(POINTS);
    let err = io_err("write", &path);
    let mut out = csv::Writer::from_writer(AtomicFile::create(&path).map_err(&err)?);
    let csv_err = |e: csv::Error| SweepError::Io {
        action: "write",
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    };
    let mut header: Vec<String> = vec!["point_id".into()];
    header.extend(head.parameters.iter().cloned());
    header.extend(["n_runs".to_string(), "n_ok".to_string()]);
    for name in &head.metrics {
        for s in ["mean", "sd", "p10", "p50", "p90"] {
            header.push(format!("{name}_{s}"));
        }
    }
    out.write_record(&header).map_err(csv_err)?;

    let runs_path = dir.join(RUNS);
    let mut group: Vec<Row> = Vec::new();
    let mut flush = |group: &mut Vec<Row>,
                     out: &mut csv::Writer<AtomicFile>|
     -> Result<(), SweepError> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        let mut rec: Vec<String> = vec![first.spec.point_id.to_string()];
        rec.extend((0..d).map(|j| {
            first
                .record
                .get(RUN_COLUMNS.len() + j)
                .unwrap_or("")
                .to_string()
        }));
        let ok: Vec<&Row> = group.iter().filter(|r| r.ok).collect();
        rec.push(group.len().to_string());
        rec.push(ok.len().to_string());
        let mut vals = Vec::with_capacity(ok.len());
        for k in 0..m {
            vals.clear();
            vals.extend(
                ok.iter()
                    .filter_map(|r| r.record.get(RUN_COLUMNS.len() + d + k)?.parse::<f64>().ok())
                    .filter(|v| v.is_finite()),
            );
            let mu = mean(&vals);
            vals.sort_by(f64::total_cmp);
            rec.push(fmt_f64(mu));
            rec.push(fmt_f64(sd(&vals)));
            for p in [0.1, 0.5, 0.9] {
                rec.push(fmt_f64(quantile_sorted(&vals, p)));
            }
            if keep_means {
                means.push(mu);
            }
        }
        out.write_record(&rec).map_err(|e| SweepError::Io {
            action: "write",
            path: dir.join(POINTS).display().to_string(),
            source: std::io::Error::other(e),
        })?;
        group.clear();
        Ok(())
    };
    let mut first = true;
    complete_lines(&runs_path, |_, line| {
        if std::mem::take(&mut first) {
            return Ok(());
        }
        let row = parse_row(line, width).ok_or_else(|| bad_row(&runs_path, line))?;
        if group
            .first()
            .is_some_and(|g| g.spec.point_id != row.spec.point_id)
        {
            flush(&mut group, &mut out)?;
        }
        group.push(row);
        Ok(())
    })?;
    flush(&mut group, &mut out)?;
    let f = out.into_inner().map_err(|e| SweepError::Io {
        action: "write",
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    f.commit().map_err(&err)?;
    Ok(means)
}

/// sensitivity.csv of a Sobol' or Morris design, per metric and parameter.
fn write_sensitivity(
    dir: &Path,
    head: &ManifestHead,
    design: &Design,
    means: &[f64],
) -> Result<(), SweepError> {
    let path = dir.join(SENSITIVITY);
    let m = head.metrics.len();
    let d = head.parameters.len();
    let column =
        |k: usize| -> Vec<f64> { means.iter().skip(k).step_by(m.max(1)).copied().collect() };
    let mut w = csv::Writer::from_writer(Vec::new());
    match design.kind() {
        DesignKind::Sobol => {
            let _ = w.write_record([
                "metric",
                "parameter",
                "S1",
                "S1_lo",
                "S1_hi",
                "ST",
                "ST_lo",
                "ST_hi",
            ]);
            for (k, name) in head.metrics.iter().enumerate() {
                let idx = sobol_indices(&column(k), d, head.sweep.bootstrap, BOOTSTRAP_SEED);
                for (p, s) in head.parameters.iter().zip(idx) {
                    let f = [s.s1, s.s1_lo, s.s1_hi, s.st, s.st_lo, s.st_hi].map(fmt_f64);
                    let mut rec = vec![name.clone(), p.clone()];
                    rec.extend(f);
                    let _ = w.write_record(&rec);
                }
            }
        }
        DesignKind::Morris => {
            let _ = w.write_record(["metric", "parameter", "mu_star", "mu", "sigma"]);
            for (k, name) in head.metrics.iter().enumerate() {
                for (p, s) in head
                    .parameters
                    .iter()
                    .zip(morris_indices(&column(k), design))
                {
                    let mut rec = vec![name.clone(), p.clone()];
                    rec.extend([s.mu_star, s.mu, s.sigma].map(fmt_f64));
                    let _ = w.write_record(&rec);
                }
            }
        }
        _ => return Ok(()),
    }
    let bytes = w.into_inner().unwrap_or_default();
    crate::output::write_atomic(&path, &bytes).map_err(io_err("write", &path))
}

/// Reads the journal's complete rows at or after position `from` of the slice.
pub(crate) fn read_journal(
    dir: &Path,
    from: u64,
    width: usize,
    positions: impl Fn(u64) -> Option<u64>,
) -> Result<BTreeMap<u64, (bool, Vec<u8>)>, SweepError> {
    let path = dir.join(JOURNAL);
    let mut out = BTreeMap::new();
    complete_lines(&path, |_, line| {
        let row = parse_row(line, width).ok_or_else(|| bad_row(&path, line))?;
        if let Some(pos) = positions(row.spec.run_id)
            && pos >= from
        {
            out.insert(pos, (row.ok, line.to_vec()));
        }
        Ok(())
    })?;
    Ok(out)
}
