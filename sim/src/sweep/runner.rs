//! Running a sweep folder: prepare or resume it, execute its runs in parallel, stream runs.csv in
//! run order, and finalize.
//!
//! `workers` scoped threads each take the next run position from an atomic counter and run it
//! single-threaded (or on `threads_per_run` engine threads). The calling thread is the only
//! writer: a result that arrives in order is appended to runs.csv at once (with every buffered
//! successor), one that arrives early is appended to `runs.journal` and held in a reorder buffer.
//! A worker never starts a run more than [`WINDOW`] positions past the last one written, so the
//! buffer, like everything else, is bounded whatever the number of runs. The bytes of runs.csv do
//! not depend on the number of workers: rows are formatted by the run alone and written in order.
//!
//! Each worker has one rayon pool of `threads_per_run` threads, built when the sweep starts and
//! shared by all the runs it executes ([`Simulation::with_pool`]); its run loop runs inside that
//! pool, so a one-thread run's phases run inline on the worker's pool thread. Nothing is started
//! per run, so memory does not grow with the number of runs. (The workers are not one rayon pool
//! for all: a rayon worker that waits keeps stealing its pool's jobs, which could nest one worker
//! loop inside another, fan one run's phases out to the other workers and stall the ordered
//! writer. A pool of one worker holds only that worker's jobs.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use super::io::{self, Format, ManifestHead, RunsWriter, Shard, Slice, StepsWriter};
use super::spec::RUN_COLUMNS;
use super::summary::{Accumulator, integer_valued};
use super::{Sweep, SweepError, io_err};
use crate::Simulation;

/// Most runs a worker may run ahead of the last one written (a constant: never derived from the
/// number of threads, although nothing in the output depends on it).
pub const WINDOW: u64 = 1024;

/// How to run a sweep folder.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The output folder.
    pub out: PathBuf,
    /// Runs executed at the same time (≥ 1).
    pub workers: usize,
    /// Engine threads of each run (≥ 1; results do not depend on it).
    pub threads_per_run: usize,
    /// Only this slice of the runs.
    pub shard: Option<Shard>,
    /// Continue a folder a previous invocation started (or start it if there is none).
    pub resume: bool,
    /// Output format.
    pub format: Format,
}

/// Progress reports and stop requests; the binary draws its progress bar from these.
pub trait Observer: Sync {
    /// The folder is ready: `total` runs in this folder, `done` of them already done (resume),
    /// `failed` of those failed.
    fn start(&self, _total: u64, _done: u64, _failed: u64) {}
    /// A run finished (called on the writer thread, in completion order).
    fn finished(&self, _run_id: u64, _ok: bool) {}
    /// Whether to stop starting runs (runs in flight finish and are recorded).
    fn stop_requested(&self) -> bool {
        false
    }
}

/// An observer that reports nothing and never stops.
impl Observer for () {}

/// What a call to [`run`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Runs in this folder (the shard's, or all).
    pub total: u64,
    /// Runs done, including those done before a resume.
    pub done: u64,
    /// Of those, failed.
    pub failed: u64,
    /// Runs executed by this call.
    pub ran: u64,
    /// Whether every run is done and the summary files are written.
    pub complete: bool,
    /// The first failed run (lowest run id) and its error.
    pub first_failure: Option<(u64, String)>,
}

struct Finished {
    pos: u64,
    run_id: u64,
    ok: bool,
    line: Vec<u8>,
}

/// Runs (or resumes) a sweep into `opts.out`.
pub fn run(sweep: &Sweep, opts: &RunOptions, obs: &dyn Observer) -> Result<Outcome, SweepError> {
    let dir = opts.out.as_path();
    let mut head = sweep.manifest_head(opts.format);
    head.shard = opts.shard;
    let slice = Slice::new(sweep.n_runs(), opts.shard);
    let total = slice.len();
    let width = RUN_COLUMNS.len() + head.parameters.len() + head.metrics.len();
    let position = |run_id: u64| -> Option<u64> {
        let (k, n) = opts.shard.map_or((0, 1), |s| (s.k, s.n));
        (run_id % n == k && run_id < sweep.n_runs()).then_some(run_id / n)
    };

    prepare(dir, sweep, &head, opts.resume)?;

    // What is done: the rows of runs.csv (a prefix of the slice), then the journal.
    let runs_path = dir.join(io::RUNS);
    let header = io::runs_header(&head);
    let (mut done, mut failed) = (0u64, 0u64);
    let mut first_failure: Option<(u64, String)> = None;
    io::complete_lines(&runs_path, |i, line| {
        if i == 0 {
            return if line == header.as_slice() {
                Ok(())
            } else {
                Err(SweepError::Folder {
                    path: runs_path.display().to_string(),
                    message: "its header is not this sweep's".into(),
                })
            };
        }
        let row = io::parse_row(line, width).ok_or_else(|| io::bad_row(&runs_path, line))?;
        if row.spec.run_id != slice.run_id(done) || done >= total {
            return Err(io::bad_row(&runs_path, line));
        }
        if !row.ok {
            failed += 1;
            first_failure.get_or_insert((row.spec.run_id, row.error));
        }
        done += 1;
        Ok(())
    })?;
    let restored = io::read_journal(dir, done, width, position)?;
    let restored_failed = restored.values().filter(|(ok, _)| !ok).count() as u64;
    obs.start(
        total,
        done + restored.len() as u64,
        failed + restored_failed,
    );

    let mut writer = RunsWriter::open(dir)?;
    let state = Shared {
        next: AtomicU64::new(done),
        written: Mutex::new(done),
        advanced: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    let mut buffer: BTreeMap<u64, (u64, bool, Vec<u8>)> = BTreeMap::new();
    for (pos, (ok, line)) in &restored {
        buffer.insert(*pos, (slice.run_id(*pos), *ok, line.clone()));
    }
    let skip: Vec<u64> = restored.keys().copied().collect();
    let mut ran = 0u64;
    let mut write_error: Option<SweepError> = None;

    // Writes every buffered row that is next in order.
    let drain = |buffer: &mut BTreeMap<u64, (u64, bool, Vec<u8>)>,
                 done: &mut u64,
                 failed: &mut u64,
                 first_failure: &mut Option<(u64, String)>,
                 writer: &mut RunsWriter|
     -> Result<(), SweepError> {
        let start = *done;
        while let Some((run_id, ok, line)) = buffer.remove(done) {
            writer.write(&line)?;
            if !ok {
                *failed += 1;
                if first_failure.is_none() {
                    let width = RUN_COLUMNS.len() + head.parameters.len() + head.metrics.len();
                    let error = io::parse_row(&line, width)
                        .map(|r| r.error)
                        .unwrap_or_default();
                    *first_failure = Some((run_id, error));
                }
            }
            *done += 1;
        }
        if *done > start {
            writer.flush()?;
        }
        Ok(())
    };
    drain(
        &mut buffer,
        &mut done,
        &mut failed,
        &mut first_failure,
        &mut writer,
    )?;
    *state.written.lock().map_err(|_| poisoned())? = done;

    if done < total {
        let (tx, rx) = mpsc::channel::<Finished>();
        let workers = opts
            .workers
            .max(1)
            .min(usize::try_from(total - done).unwrap_or(usize::MAX));
        let integer: Vec<bool> = sweep
            .spec
            .metrics
            .iter()
            .map(|m| {
                integer_valued(
                    m,
                    sweep
                        .columns
                        .index(&m.column)
                        .map_or(super::summary::ColumnKind::Float, |i| {
                            sweep.columns.kinds[i]
                        }),
                )
            })
            .collect();
        let ctx = RunCtx {
            sweep,
            dir,
            format: opts.format,
            threads: opts.threads_per_run.max(1),
            integer: &integer,
        };
        // One engine pool per worker, shared by its runs (never one per run).
        let pools = (0..workers)
            .map(|w| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(ctx.threads)
                    .thread_name(move |i| format!("sweep-{w}-engine-{i}"))
                    .build()
                    .map(Arc::new)
                    .map_err(|e| SweepError::Workers(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        std::thread::scope(|scope| -> Result<(), SweepError> {
            for (w, pool) in pools.into_iter().enumerate() {
                let tx = tx.clone();
                let (state, ctx, skip, slice) = (&state, &ctx, &skip, slice);
                std::thread::Builder::new()
                    .name(format!("sweep-{w}"))
                    .spawn_scoped(scope, move || {
                        pool.install(|| worker(state, ctx, &pool, skip, slice, total, obs, tx))
                    })
                    .map_err(|e| SweepError::Workers(e.to_string()))?;
            }
            drop(tx);
            for f in rx {
                ran += 1;
                obs.finished(f.run_id, f.ok);
                if write_error.is_some() {
                    continue;
                }
                let result = if f.pos == done {
                    buffer.insert(f.pos, (f.run_id, f.ok, f.line));
                    drain(
                        &mut buffer,
                        &mut done,
                        &mut failed,
                        &mut first_failure,
                        &mut writer,
                    )
                } else {
                    let r = writer.journal(&f.line);
                    buffer.insert(f.pos, (f.run_id, f.ok, f.line));
                    r
                };
                match result {
                    Ok(()) => {
                        if let Ok(mut w) = state.written.lock() {
                            *w = done;
                        }
                        state.advanced.notify_all();
                    }
                    Err(e) => {
                        write_error = Some(e);
                        state.stop.store(true, Ordering::SeqCst);
                        state.advanced.notify_all();
                    }
                }
            }
            Ok(())
        })?;
    }
    if let Some(e) = write_error {
        return Err(e);
    }
    let complete = done == total;
    writer.close(complete)?;
    if complete {
        io::finalize(dir, &head, &sweep.design)?;
    }
    Ok(Outcome {
        total,
        done,
        failed,
        ran,
        complete,
        first_failure,
    })
}

fn poisoned() -> SweepError {
    SweepError::Workers("a worker thread panicked while holding the sweep's lock".into())
}

struct Shared {
    next: AtomicU64,
    written: Mutex<u64>,
    advanced: Condvar,
    stop: AtomicBool,
}

struct RunCtx<'a> {
    sweep: &'a Sweep,
    dir: &'a Path,
    format: Format,
    threads: usize,
    integer: &'a [bool],
}

#[allow(clippy::too_many_arguments)]
fn worker(
    state: &Shared,
    ctx: &RunCtx<'_>,
    pool: &Arc<rayon::ThreadPool>,
    skip: &[u64],
    slice: Slice,
    total: u64,
    obs: &dyn Observer,
    tx: mpsc::Sender<Finished>,
) {
    loop {
        if state.stop.load(Ordering::SeqCst) || obs.stop_requested() {
            return;
        }
        let pos = state.next.fetch_add(1, Ordering::SeqCst);
        if pos >= total {
            return;
        }
        if skip.binary_search(&pos).is_ok() {
            continue;
        }
        // Stay within the reorder window.
        {
            let Ok(mut w) = state.written.lock() else {
                return;
            };
            while pos >= *w + WINDOW {
                if state.stop.load(Ordering::SeqCst) || obs.stop_requested() {
                    return;
                }
                // The timeout only bounds how late a stop request is noticed; no result
                // depends on it.
                w = match state.advanced.wait_timeout(w, Duration::from_millis(200)) {
                    Ok((w, _)) => w,
                    Err(_) => return,
                };
            }
        }
        let run_id = slice.run_id(pos);
        let (ok, line) = execute(ctx, pool, run_id);
        if tx
            .send(Finished {
                pos,
                run_id,
                ok,
                line,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Runs one run and formats its runs.csv row; every failure (an invalid point, an engine error,
/// a panic, an unwritable steps file) becomes a failed row with the message.
fn execute(ctx: &RunCtx<'_>, pool: &Arc<rayon::ThreadPool>, run_id: u64) -> (bool, Vec<u8>) {
    let sweep = ctx.sweep;
    let spec = sweep.run_spec(run_id);
    let values = sweep.design.values(spec.point_id);
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| simulate(ctx, pool, run_id)));
    let (ok, error, metrics) = match result {
        Ok(Ok(m)) => (true, String::new(), m),
        Ok(Err(e)) => (false, e, Vec::new()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            (
                false,
                format!(
                    "the engine panicked: {msg} (this is a bug in mindmarket; please report it with the scenario)"
                ),
                Vec::new(),
            )
        }
    };
    let metrics = if ok {
        metrics
    } else {
        vec![f64::NAN; sweep.spec.metrics.len()]
    };
    (
        ok,
        io::format_row(&spec, ok, &error, &values, &metrics, ctx.integer),
    )
}

/// Builds and runs a run's simulation, streaming its summary metrics (and step rows).
/// `pool` is the worker's engine pool (the caller runs on one of its threads).
fn simulate(
    ctx: &RunCtx<'_>,
    pool: &Arc<rayon::ThreadPool>,
    run_id: u64,
) -> Result<Vec<f64>, String> {
    let sweep = ctx.sweep;
    let s = sweep.run_scenario(run_id).map_err(|e| e.to_string())?;
    let mut sim = Simulation::with_pool(&s, Arc::clone(pool)).map_err(|e| error_chain(&e))?;
    let mut acc = Accumulator::new(&sweep.spec.metrics, &sweep.columns);
    let every = sweep.spec.record_steps;
    let mut steps = if every > 0 {
        Some(
            StepsWriter::create(ctx.dir, run_id, ctx.format, &sweep.columns)
                .map_err(|e| error_chain(&e))?,
        )
    } else {
        None
    };
    let last = s.run.steps.saturating_sub(1);
    let mut failure = None;
    while !sim.finished() {
        match sim.step() {
            Ok(m) => {
                acc.add(&m);
                if let Some(w) = steps.as_mut()
                    && (m.step.is_multiple_of(every) || m.step == last)
                    && let Err(e) = w.row(&m)
                {
                    failure = Some(error_chain(&e));
                    break;
                }
            }
            Err(e) => {
                failure = Some(error_chain(&e));
                break;
            }
        }
    }
    // The step rows of a failed run are kept: they show what led to the failure.
    if let Some(w) = steps
        && let Err(e) = w.commit()
    {
        failure.get_or_insert(error_chain(&e));
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(acc.finish()),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Makes the folder ready: a fresh one gets its manifest (all runs pending), the resolved base
/// and runs.csv's header; an existing one must hold this very sweep (with `resume`).
fn prepare(dir: &Path, sweep: &Sweep, head: &ManifestHead, resume: bool) -> Result<(), SweepError> {
    let existing = io::read_head(dir)?;
    match existing {
        Some(old) => {
            if !resume {
                return Err(SweepError::Folder {
                    path: dir.display().to_string(),
                    message: "already holds a sweep (manifest.json): pass --resume to continue it, or choose another --out".into(),
                });
            }
            let mut was = old.clone();
            was.complete = false;
            if let Some(diff) = io::head_difference(&was, head) {
                return Err(SweepError::Folder {
                    path: dir.display().to_string(),
                    message: format!("holds a different sweep, cannot resume it: {diff}"),
                });
            }
            // A first attempt killed before its folder was complete.
            let resolved = dir.join(io::RESOLVED);
            if !resolved.exists() {
                let text = crate::scenario::to_toml(&sweep.base);
                crate::output::write_atomic(&resolved, text.as_bytes())
                    .map_err(io_err("write", &resolved))?;
            }
            if sweep.spec.record_steps > 0 {
                let steps = dir.join(io::STEPS);
                std::fs::create_dir_all(&steps).map_err(io_err("create", &steps))?;
            }
            if !dir.join(io::RUNS).exists() {
                io::create_runs(dir, head)?;
            }
            // Temporary files of steps that were being written when the sweep was killed.
            let steps = dir.join(io::STEPS);
            if let Ok(entries) = std::fs::read_dir(&steps) {
                for e in entries.flatten() {
                    if e.file_name().to_string_lossy().ends_with(".tmp") {
                        let p = e.path();
                        std::fs::remove_file(&p).map_err(io_err("remove", &p))?;
                    }
                }
            }
            Ok(())
        }
        None => {
            // Leftover temporary files (a first attempt killed while writing its manifest) do
            // not count.
            if let Ok(entries) = std::fs::read_dir(dir)
                && entries
                    .flatten()
                    .any(|e| !e.file_name().to_string_lossy().ends_with(".tmp"))
            {
                return Err(SweepError::Folder {
                    path: dir.display().to_string(),
                    message: "exists and is not empty (and holds no sweep manifest): choose another --out".into(),
                });
            }
            std::fs::create_dir_all(dir).map_err(io_err("create", dir))?;
            // The manifest first: from then on the folder is this sweep's, and --resume completes it.
            let slice = Slice::new(sweep.n_runs(), head.shard);
            io::write_manifest(dir, head, &mut |emit| {
                for pos in 0..slice.len() {
                    emit(sweep.run_spec(slice.run_id(pos)), "pending", "")
                        .map_err(io_err("write", &dir.join(io::MANIFEST)))?;
                }
                Ok(())
            })?;
            let resolved = crate::scenario::to_toml(&sweep.base);
            let path = dir.join(io::RESOLVED);
            crate::output::write_atomic(&path, resolved.as_bytes())
                .map_err(io_err("write", &path))?;
            if sweep.spec.record_steps > 0 {
                let steps = dir.join(io::STEPS);
                std::fs::create_dir_all(&steps).map_err(io_err("create", &steps))?;
            }
            io::create_runs(dir, head)
        }
    }
}
