//! Merging shard folders into one sweep folder identical to the unsharded run: the rows of the
//! shards' runs.csv interleaved back into run order (run r is row r / N of shard r mod N, so the
//! merge streams with one open reader per shard), their step files linked or copied, and the
//! summary files and manifest written by the same code as an unsharded sweep.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::design::Design;
use super::io::{self, ManifestHead};
use super::spec::RUN_COLUMNS;
use super::{SweepError, io_err};
use crate::output::AtomicFile;

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Runs in the merged sweep.
    pub runs: u64,
    /// Of those, failed.
    pub failed: u64,
    /// The first failed run and its error.
    pub first_failure: Option<(u64, String)>,
}

fn folder(path: &Path, message: impl Into<String>) -> SweepError {
    SweepError::Folder {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Merges the shard folders `dirs` (all N shards of one sweep, in any order) into `out`, which
/// must not exist, be empty, or hold an earlier merge of the same sweep.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeOutcome, SweepError> {
    if dirs.is_empty() {
        return Err(folder(out, "no shard folders to merge"));
    }
    let mut shards: Vec<(ManifestHead, PathBuf)> = Vec::new();
    for d in dirs {
        let head =
            io::read_head(d)?.ok_or_else(|| folder(d, "holds no sweep (no manifest.json)"))?;
        let Some(shard) = head.shard else {
            return Err(folder(
                d,
                "is not a shard (its manifest has no `shard`); only `--shard K/N` folders are merged",
            ));
        };
        if !head.complete {
            return Err(folder(
                d,
                format!(
                    "shard {}/{} is not complete: finish it with `mindmarket sweep … --shard {}/{} --resume`",
                    shard.k, shard.n, shard.k, shard.n
                ),
            ));
        }
        shards.push((head, d.clone()));
    }
    shards.sort_by_key(|(h, _)| h.shard.map(|s| s.k));
    let mut merged = shards[0].0.clone();
    merged.shard = None;
    merged.complete = false;
    let n = shards[0].0.shard.map_or(1, |s| s.n);
    for (h, d) in &shards {
        let mut same = h.clone();
        same.shard = None;
        same.complete = false;
        if let Some(diff) = io::head_difference(&merged, &same) {
            return Err(folder(
                d,
                format!(
                    "is a shard of a different sweep than {}: {diff}",
                    shards[0].1.display()
                ),
            ));
        }
    }
    let ks: Vec<u64> = shards
        .iter()
        .filter_map(|(h, _)| h.shard.map(|s| s.k))
        .collect();
    if let Some(w) = ks.windows(2).find(|w| w[0] == w[1]) {
        return Err(folder(out, format!("shard {}/{n} is given twice", w[0])));
    }
    let shard_ns: Vec<u64> = shards
        .iter()
        .filter_map(|(h, _)| h.shard.map(|s| s.n))
        .collect();
    if shard_ns.iter().any(|&x| x != n) {
        return Err(folder(
            out,
            "the folders are shards of different splits (N differs)",
        ));
    }
    let missing: Vec<String> = (0..n)
        .filter(|k| !ks.contains(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(folder(
            out,
            format!("missing shard(s) {}", missing.join(", ")),
        ));
    }
    let design =
        Design::new(&merged.sweep).map_err(|m| folder(&shards[0].1.join(io::MANIFEST), m))?;

    prepare_out(out, &merged)?;

    // runs.csv: run r comes from shard r mod N.
    let header = io::runs_header(&merged);
    let width = RUN_COLUMNS.len() + merged.parameters.len() + merged.metrics.len();
    let mut readers = Vec::new();
    for (_, d) in &shards {
        let p = d.join(io::RUNS);
        let mut r = BufReader::new(File::open(&p).map_err(io_err("read", &p))?);
        let mut first = Vec::new();
        r.read_until(b'\n', &mut first)
            .map_err(io_err("read", &p))?;
        if first != header {
            return Err(folder(&p, "its header differs from the other shards'"));
        }
        readers.push((r, p));
    }
    let runs_path = out.join(io::RUNS);
    let err = io_err("write", &runs_path);
    let mut w = AtomicFile::create(&runs_path).map_err(&err)?;
    w.write_all(&header).map_err(&err)?;
    let (mut failed, mut first_failure) = (0u64, None);
    let mut line = Vec::new();
    for run_id in 0..merged.n_runs {
        let (r, p) = &mut readers[(run_id % n) as usize];
        line.clear();
        r.read_until(b'\n', &mut line).map_err(io_err("read", p))?;
        if line.last() != Some(&b'\n') {
            return Err(folder(p, format!("ends before run {run_id}")));
        }
        let row = io::parse_row(&line, width).ok_or_else(|| io::bad_row(p, &line))?;
        if row.spec.run_id != run_id {
            return Err(folder(
                p,
                format!("has run {} where run {run_id} belongs", row.spec.run_id),
            ));
        }
        if !row.ok {
            failed += 1;
            first_failure.get_or_insert((run_id, row.error));
        }
        w.write_all(&line).map_err(&err)?;
    }
    for (r, p) in &mut readers {
        line.clear();
        if r.read_until(b'\n', &mut line).map_err(io_err("read", p))? > 0 {
            return Err(folder(p, "has rows beyond its share of the runs"));
        }
    }
    w.commit().map_err(&err)?;

    // The resolved base scenario, and the step files (hard links where possible).
    let resolved = shards[0].1.join(io::RESOLVED);
    copy(&resolved, &out.join(io::RESOLVED))?;
    if merged.record_steps > 0 {
        let steps = out.join(io::STEPS);
        std::fs::create_dir_all(&steps).map_err(io_err("create", &steps))?;
        for (_, d) in &shards {
            let src = d.join(io::STEPS);
            let Ok(entries) = std::fs::read_dir(&src) else {
                continue;
            };
            let mut names: Vec<std::ffi::OsString> = entries
                .flatten()
                .map(|e| e.file_name())
                .filter(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("run_") && !n.ends_with(".tmp")
                })
                .collect();
            names.sort();
            for name in names {
                link_or_copy(&src.join(&name), &steps.join(&name))?;
            }
        }
    }
    io::finalize(out, &merged, &design)?;
    Ok(MergeOutcome {
        runs: merged.n_runs,
        failed,
        first_failure,
    })
}

fn prepare_out(out: &Path, merged: &ManifestHead) -> Result<(), SweepError> {
    match io::read_head(out)? {
        Some(old) => {
            let mut was = old.clone();
            was.complete = false;
            if was.shard.is_some() || io::head_difference(&was, merged).is_some() {
                return Err(folder(
                    out,
                    "already holds a different sweep: choose another --out",
                ));
            }
        }
        None => {
            if let Ok(entries) = std::fs::read_dir(out)
                && entries
                    .flatten()
                    .any(|e| !e.file_name().to_string_lossy().ends_with(".tmp"))
            {
                return Err(folder(out, "exists and is not empty: choose another --out"));
            }
        }
    }
    std::fs::create_dir_all(out).map_err(io_err("create", out))
}

fn copy(src: &Path, dest: &Path) -> Result<(), SweepError> {
    let bytes = std::fs::read(src).map_err(io_err("read", src))?;
    crate::output::write_atomic(dest, &bytes).map_err(io_err("write", dest))
}

fn link_or_copy(src: &Path, dest: &Path) -> Result<(), SweepError> {
    if dest.exists() {
        std::fs::remove_file(dest).map_err(io_err("replace", dest))?;
    }
    if std::fs::hard_link(src, dest).is_ok() {
        return Ok(());
    }
    copy(src, dest)
}
