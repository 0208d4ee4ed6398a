//! `mindmarket sweep` and `mindmarket merge` through the real binary: the shipped quick sweep and
//! its dry run, byte-identical folders for any `--threads` and any `--shard` split after `merge`,
//! a sweep killed with SIGKILL and resumed, failed runs (exit code 2 after every run), and input
//! errors.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::Dir;

/// The shipped quick sweep (base = ../baseline.toml).
fn quick() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps/quick.toml")
}

/// A small sweep over tests/data/tiny.toml (copied beside it): 5 × 2 points × `reps`.
fn small(dir: &Dir, reps: u32, extra: &str) -> String {
    dir.copy_data("tiny.toml");
    dir.create(
        "small.toml",
        format!(
            r#"base = "tiny.toml"
[overrides]
"run.steps" = 20
[sweep]
replications = {reps}
record_steps = 5
{extra}
[sweep.parameters]
"platform.seller_fee_rate" = {{ linspace = [0.0, 0.08, 5] }}
"segments[0].switching_cost_usd" = [0.001, 0.004]
"#
        ),
    );
    "small.toml".into()
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb));
    for ((p, x), (_, y)) in ta.iter().zip(&tb) {
        assert!(
            x == y,
            "{} differs between {} and {}",
            p.display(),
            a.display(),
            b.display()
        );
    }
}

#[test]
fn quick_sweep_dry_run_and_run() {
    let dir = Dir::new("sweep-quick");
    let q = quick();
    let out = dir
        .command()
        .args(["sweep".as_ref(), q.as_os_str(), "--dry-run".as_ref()])
        .run();
    for part in [
        "scenario `quick`",
        "design grid: 2 parameters, 6 points × 4 replications = 24 runs",
        "platform.seller_fee_rate : 3 values",
        "common random numbers: run.seed = 42",
        "points: the scenarios of 6 points are all valid",
        "memory: ≈",
        "per run (5000 customers)",
        "output: ≈",
        "steps/: 7 rows per run",
        "time: calibration of point 0",
        "dry run: nothing written",
    ] {
        assert!(
            out.stdout.contains(part),
            "dry run lacks {part:?}\n{}",
            out.describe()
        );
    }
    assert!(!dir.join("out").exists(), "a dry run writes nothing");

    let out = dir
        .command()
        .args([
            "sweep".as_ref(),
            q.as_os_str(),
            "--out".as_ref(),
            "q".as_ref(),
        ])
        .run();
    assert!(
        out.stdout.contains("sweep: 24 runs: 24 ok, 0 failed"),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr.is_empty(),
        "no progress bar off a terminal\n{}",
        out.describe()
    );
    assert_eq!(
        dir.list("q"),
        [
            "manifest.json",
            "points.csv",
            "runs.csv",
            "scenario.resolved.toml",
            "steps"
        ]
    );
    assert_eq!(dir.list("q/steps").len(), 24);
    let manifest: serde_json::Value = serde_json::from_str(&dir.read("q/manifest.json")).unwrap();
    assert_eq!(manifest["n_runs"], 24);
    assert_eq!(manifest["complete"], true);
    assert_eq!(
        manifest["parameters"][1],
        "network_effects.cross_side_weight_usd"
    );
    assert_eq!(manifest["runs"].as_array().unwrap().len(), 24);
    assert_eq!(manifest["runs"][5]["seed"], 42);
    assert_eq!(manifest["runs"][5]["run"], 1);
    assert_eq!(dir.read("q/points.csv").lines().count(), 7);
}

#[test]
fn threads_and_shards_give_identical_folders() {
    let dir = Dir::new("sweep-shards");
    let f = small(&dir, 2, "");
    dir.command()
        .args(["sweep", &f, "--out", "ref", "--threads", "2", "-q"])
        .run();
    dir.command()
        .args(["sweep", &f, "--out", "t1", "--threads", "1", "-q"])
        .run();
    dir.command()
        .args(["sweep", &f, "--out", "t3", "--threads", "3", "-q"])
        .run();
    assert_same_tree(&dir.join("ref"), &dir.join("t1"));
    assert_same_tree(&dir.join("ref"), &dir.join("t3"));
    for k in 0..3 {
        let out = dir
            .command()
            .args([
                "sweep",
                &f,
                "--shard",
                &format!("{k}/3"),
                "--out",
                &format!("shard_{k}"),
            ])
            .run();
        assert!(
            out.stdout.contains(&format!("(shard {k}/3)")),
            "{}",
            out.describe()
        );
    }
    let out = dir
        .command()
        .args(["merge", "shard_2", "shard_0", "shard_1", "--out", "merged"])
        .run();
    assert!(
        out.stdout.contains("merged 3 shard folders"),
        "{}",
        out.describe()
    );
    assert_same_tree(&dir.join("ref"), &dir.join("merged"));
    let out = dir
        .command()
        .args(["merge", "shard_0", "shard_1", "--out", "bad"])
        .fail();
    out.stderr_has(&["missing shard(s) 2/3"]);
    let out = dir.command().args(["sweep", &f, "--shard", "3/3"]).output();
    assert_eq!(out.code, Some(2), "{}", out.describe());
    assert!(out.stderr.contains("0 <= K < N"), "{}", out.describe());
}

#[test]
fn a_killed_sweep_resumes_to_the_same_bytes() {
    let dir = Dir::new("sweep-kill");
    let f = small(&dir, 6, "");
    dir.command()
        .args(["sweep", &f, "--out", "ref", "-q"])
        .run();

    // Start the same sweep on one thread, kill -9 it once runs.csv has rows.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mindmarket"))
        .current_dir(dir.path())
        .args(["sweep", &f, "--out", "killed", "--threads", "1", "-q"])
        .env_remove("RAYON_NUM_THREADS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mindmarket");
    let runs = dir.join("killed/runs.csv");
    let start = Instant::now();
    loop {
        let rows =
            std::fs::read_to_string(&runs).map_or(0, |t| t.lines().count().saturating_sub(1));
        if rows >= 3 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no rows after 60 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let manifest = dir.read("killed/manifest.json");
    assert!(
        manifest.contains("\"complete\": false"),
        "killed before the end"
    );
    // Complete rows only (a kill can leave a partial last line).
    let done = dir.read("killed/runs.csv").matches('\n').count() - 1;
    assert!(done < 60, "killed mid-way: {done} of 60 runs written");
    // As if the kill had torn the last row.
    let mut f2 = std::fs::OpenOptions::new()
        .append(true)
        .open(&runs)
        .unwrap();
    std::io::Write::write_all(&mut f2, b"59,29,5,7,5,o").unwrap();
    drop(f2);

    let out = dir.command().args(["sweep", &f, "--out", "killed"]).fail();
    out.stderr_has(&["already holds a sweep", "--resume"]);
    let out = dir
        .command()
        .args(["sweep", &f, "--out", "killed", "--resume"])
        .run();
    assert!(
        out.stdout
            .contains(&format!("({done} done before, {} run now)", 60 - done)),
        "{}",
        out.describe()
    );
    assert_same_tree(&dir.join("ref"), &dir.join("killed"));
}

#[test]
fn failed_runs_finish_the_sweep_and_exit_2() {
    let dir = Dir::new("sweep-fail");
    dir.copy_data("tiny.toml");
    dir.create(
        "bad.toml",
        r#"base = "tiny.toml"
[overrides]
"run.steps" = 10
[sweep]
replications = 2
[sweep.parameters]
"platform.seller_fee_rate" = [0.0, 0.02, 0.7]
"#,
    );
    let out = dir
        .command()
        .args(["sweep", "bad.toml", "--out", "f"])
        .fail();
    assert!(
        out.stdout.contains("sweep: 6 runs: 4 ok, 2 failed"),
        "{}",
        out.describe()
    );
    out.stderr_has(&[
        "2 of 6 runs failed",
        "every file is written",
        "First failure: run 4",
        "platform.seller_fee_rate",
    ]);
    assert_eq!(
        dir.list("f"),
        [
            "manifest.json",
            "points.csv",
            "runs.csv",
            "scenario.resolved.toml"
        ]
    );
    let runs = dir.read("f/runs.csv");
    assert_eq!(runs.lines().filter(|l| l.contains(",failed,")).count(), 2);
}

#[test]
fn input_errors_name_the_key_and_exit_2() {
    let dir = Dir::new("sweep-errors");
    dir.copy_data("tiny.toml");
    dir.create(
        "s.toml",
        "base = \"tiny.toml\"\n[sweep]\ndesign = \"sobool\"\n",
    );
    let out = dir.command().args(["sweep", "s.toml"]).fail();
    out.stderr_has(&[
        "s.toml:3:1: sweep.design: unknown variant `sobool`",
        "did you mean `sobol`?",
    ]);
    dir.create("s2.toml", "base = \"tiny.toml\"\n[sweep]\n[sweep.parameters]\n\"platform.seller_fee_rate\" = { uniform = [0, 0.1] }\n");
    let out = dir.command().args(["sweep", "s2.toml", "--dry-run"]).fail();
    out.stderr_has(&[
        "sweep.parameters.\"platform.seller_fee_rate\"",
        "distributions need design",
    ]);
    let out = dir.command().args(["sweep", "tiny.toml"]).fail();
    out.stderr_has(&["no `[sweep]` table"]);
    if !cfg!(feature = "parquet") {
        dir.create("ok.toml", "base = \"tiny.toml\"\n[sweep]\n");
        let out = dir
            .command()
            .args(["sweep", "ok.toml", "--format", "parquet"])
            .fail();
        out.stderr_has(&["without Parquet support", "--features parquet"]);
    }
}
