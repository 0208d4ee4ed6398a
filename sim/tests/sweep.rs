//! Sweeps through the library: design expansion, seeds and common random numbers, byte-identical
//! folders for any worker count and any sharding, resume after a stop (with a journal and a torn
//! last line), failed runs, points.csv statistics, sensitivity files, and the errors of bad sweep
//! tables (key paths, lines, suggestions).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use mindmarket_sim::sweep::{
    self, DesignKind, Format, Observer, Outcome, RunOptions, Shard, Sweep,
};

/// A small scenario (250 customers, 2 categories, 12 steps: ~15 ms a run) and its sweep table.
const SCENARIO: &str = r#"schema_version = 1
[run]
name = "sweep_test"
seed = 11
steps = 12

[[categories]]
name = "chat"
base_value_usd = 0.02
[[categories]]
name = "embed"
base_value_usd = 0.004
tokens_per_request = 500

[[segments]]
name = "dev"
size = 150
jobs_per_step = 0.6
requests_per_job_median = 20
token_onboarding_cost_usd = 5
initial_aware_share = 0.5
bass_p = 0.5
bass_q = 1.0
[[segments]]
name = "app"
size = 100
jobs_per_step = 0.4
requests_per_job_median = 10
token_onboarding_cost_usd = 5
initial_aware_share = 0.3

[incumbent]
name = "big"

[[providers.initial]]
count = 3
category = "chat"
price = 0.004
capacity = 100
[[providers.initial]]
count = 2
category = "embed"
price = 0.0008
capacity = 200

[exchange]
pool_usd = 1e5
"#;

const GRID: &str = r#"
[sweep]
design = "grid"
replications = 3
[sweep.parameters]
"platform.seller_fee_rate" = [0.0, 0.05]
"segments[0].switching_cost_usd" = [0.001, 0.004]
"#;

fn load(sweep_table: &str) -> Sweep {
    let text = format!("{SCENARIO}{sweep_table}");
    Sweep::from_text(&text, "t.toml", "t", Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(sweep_table: &str) -> mindmarket_sim::ScenarioError {
    let text = format!("{SCENARIO}{sweep_table}");
    Sweep::from_text(&text, "t.toml", "t", Path::new(".")).expect_err("an invalid sweep table")
}

/// Line (1-based) of the first line of the combined text that contains `needle`.
fn line_of(sweep_table: &str, needle: &str) -> u32 {
    let text = format!("{SCENARIO}{sweep_table}");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle") as u32
        + 1
}

fn opts(out: &Path, workers: usize) -> RunOptions {
    RunOptions {
        out: out.to_path_buf(),
        workers,
        threads_per_run: 1,
        shard: None,
        resume: false,
        format: Format::Csv,
    }
}

fn run(s: &Sweep, o: &RunOptions) -> Outcome {
    sweep::run(s, o, &()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
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
    assert_eq!(names(&ta), names(&tb), "{} vs {}", a.display(), b.display());
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

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// runs.csv or points.csv as (header, rows of fields).
fn table(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn grid_and_zip_expand_in_order() {
    let s = load(GRID);
    assert_eq!((s.n_points(), s.n_runs()), (4, 12));
    let v: Vec<Vec<f64>> = (0..4)
        .map(|p| {
            s.design
                .values(p)
                .iter()
                .map(|x| x.as_float().unwrap())
                .collect()
        })
        .collect();
    // The first parameter varies slowest.
    assert_eq!(
        v,
        vec![
            vec![0.0, 0.001],
            vec![0.0, 0.004],
            vec![0.05, 0.001],
            vec![0.05, 0.004]
        ]
    );
    assert_eq!(
        s.spec.parameters[0].key, "platform.seller_fee_rate",
        "the order written"
    );
    assert_eq!(
        s.point_overrides(3),
        vec![
            "platform.seller_fee_rate=0.05".to_string(),
            "segments[0].switching_cost_usd=0.004".into()
        ]
    );
    let sc = s.point_scenario(2).unwrap();
    assert_eq!(
        (
            sc.platform.seller_fee_rate,
            sc.segments[0].switching_cost_usd
        ),
        (0.05, 0.001)
    );

    // Written in reverse alphabetical order: the file's order wins; ranges expand.
    let s = load(
        r#"
[sweep]
[sweep.parameters]
"segments[1].size" = { range = [100, 300, 100] }
"platform.buyer_fee_rate" = { linspace = [0.0, 0.1, 3] }
"exchange.pool_usd" = { logspace = [1e4, 1e6, 3] }
"#,
    );
    assert_eq!(s.spec.design, DesignKind::Grid);
    assert_eq!(s.n_points(), 27);
    let keys: Vec<&str> = s.spec.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "segments[1].size",
            "platform.buyer_fee_rate",
            "exchange.pool_usd"
        ]
    );
    let last = s.design.values(26);
    assert_eq!(last[0], toml::Value::Integer(300));
    assert_eq!(last[1], toml::Value::Float(0.1));
    assert_eq!(last[2], toml::Value::Float(1e6));
    assert!((s.design.values(1)[2].as_float().unwrap() - 1e5).abs() < 1e-6);

    // Zip: matched lists, strings and booleans allowed; dotted keys are key paths too.
    let s = load(
        r#"
[experiment]
design = "zip"
[experiment.parameters]
"platform.seller_fee_rate" = [0.0, 0.01, 0.02]
engine.rationing = ["lottery", "pro_rata", "lottery"]
engine.allow_partial_fill = [true, false, true]
"#,
    );
    assert_eq!(s.n_points(), 3);
    assert_eq!(
        s.design.values(1),
        vec![
            toml::Value::Float(0.01),
            toml::Value::from("pro_rata"),
            toml::Value::Boolean(false)
        ]
    );
    let sc = s.point_scenario(1).unwrap();
    assert_eq!(
        sc.engine.rationing,
        mindmarket_sim::scenario::Rationing::ProRata
    );
    assert!(!sc.engine.allow_partial_fill);
    // No parameters: one point (Monte Carlo replications of the scenario).
    let s = load("[sweep]\nreplications = 5\n");
    assert_eq!((s.n_points(), s.n_runs()), (1, 5));
}

#[test]
fn sampling_designs_stratify_and_follow_their_seed() {
    let table = |design: &str, seed: u64| {
        format!(
            r#"
[sweep]
design = "{design}"
samples = 50
design_seed = {seed}
[sweep.parameters]
"platform.seller_fee_rate" = {{ uniform = [0.0, 0.1] }}
"exchange.pool_usd" = {{ log_uniform = [1e4, 1e6] }}
"segments[0].size" = {{ int_uniform = [100, 199] }}
"engine.rationing" = {{ choice = ["lottery", "pro_rata"] }}
"#
        )
    };
    let s = load(&table("latin_hypercube", 1));
    assert_eq!(s.n_points(), 50);
    // Every parameter has exactly one point in each of the 50 strata of its unit coordinate.
    for j in 0..4 {
        let mut strata: Vec<usize> = (0..50)
            .map(|p| (s.design.unit(p)[j] * 50.0) as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..50).collect::<Vec<_>>(), "parameter {j}");
    }
    // 100 integers in 50 strata: one of {100 + 2i, 101 + 2i} for each i.
    let mut sizes: Vec<i64> = (0..50)
        .map(|p| s.design.values(p)[2].as_integer().unwrap())
        .collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes.iter().map(|v| (v - 100) / 2).collect::<Vec<_>>(),
        (0..50).collect::<Vec<i64>>()
    );
    for p in 0..50 {
        let v = s.design.values(p);
        let fee = v[0].as_float().unwrap();
        let pool = v[1].as_float().unwrap();
        assert!((0.0..=0.1).contains(&fee) && (1e4..=1e6).contains(&pool));
        assert!(matches!(v[3].as_str(), Some("lottery" | "pro_rata")));
    }
    let again = load(&table("latin_hypercube", 1));
    let other = load(&table("latin_hypercube", 2));
    assert_eq!(again.design.values(7), s.design.values(7));
    assert_ne!(other.design.values(7), s.design.values(7));

    let r = load(&table("random", 1));
    let fees: Vec<f64> = (0..50)
        .map(|p| r.design.values(p)[0].as_float().unwrap())
        .collect();
    assert!(fees.iter().all(|f| (0.0..=0.1).contains(f)));
    let m = fees.iter().sum::<f64>() / 50.0;
    assert!(
        (m - 0.05).abs() < 0.02,
        "mean of 50 uniforms on [0, 0.1]: {m}"
    );
}

#[test]
fn sobol_and_morris_designs_have_their_sizes() {
    let s = load(
        r#"
[sweep]
design = "sobol"
samples = 8
[sweep.parameters]
"platform.seller_fee_rate" = { uniform = [0.0, 0.1] }
"segments[0].size" = { int_uniform = [100, 200] }
"#,
    );
    assert_eq!(s.n_points(), 8 * 4, "N (d + 2)");
    assert!(s.warnings.is_empty());
    // Row 1 of the Sobol' sequence is all ½: A, AB1, AB2, B of row 1 are the midpoints.
    assert_eq!(s.design.values(4)[0], toml::Value::Float(0.05));
    assert_eq!(s.design.values(4)[1], toml::Value::Integer(150));
    let w = load(
        r#"
[sweep]
design = "sobol"
samples = 10
[sweep.parameters]
"platform.seller_fee_rate" = { uniform = [0.0, 0.1] }
"#,
    );
    assert!(
        w.warnings[0].contains("not a power of two"),
        "{:?}",
        w.warnings
    );
    let m = load(
        r#"
[sweep]
design = "morris"
trajectories = 5
levels = 6
[sweep.parameters]
"platform.seller_fee_rate" = { uniform = [0.0, 0.1] }
"segments[0].size" = { int_uniform = [100, 200] }
"exchange.pool_usd" = { log_uniform = [1e4, 1e6] }
"#,
    );
    assert_eq!(m.n_points(), 5 * 4, "r (d + 1)");
    assert_eq!(m.spec.levels, Some(6));
}

#[test]
fn seeds_follow_common_random_numbers() {
    let s = load(GRID);
    assert!(s.spec.common_random_numbers);
    for r in 0..3u32 {
        let a = s.run_spec(u64::from(r)); // point 0
        let b = s.run_spec(9 + u64::from(r)); // point 3
        assert_eq!(
            (a.point_id, b.point_id, a.replicate, b.replicate),
            (0, 3, r, r)
        );
        assert_eq!(
            (a.seed, a.run),
            (11, u64::from(r)),
            "the scenario's seed, run = replicate"
        );
        assert_eq!(
            (a.seed, a.run),
            (b.seed, b.run),
            "replicate {r} shares its seed across points"
        );
        let sc = s.run_scenario(9 + u64::from(r)).unwrap();
        assert_eq!((sc.run.seed, sc.run.run), (11, u64::from(r)));
    }
    let s = load(&GRID.replace(
        "replications = 3",
        "replications = 3\ncommon_random_numbers = false\nseed = 5",
    ));
    let (a, b) = (s.run_spec(1), s.run_spec(10));
    assert_eq!((a.replicate, b.replicate), (1, 1));
    assert_ne!(a.seed, b.seed, "independent streams per point");
    assert_eq!(
        a.seed,
        s.run_spec(2).seed,
        "one seed per point, replicates by run index"
    );
    assert_eq!(a.seed, mindmarket_sim::rng::hash_key(&[5, 0]));

    // With common random numbers two points with the same values give the same runs; without,
    // they differ. (Zip with a repeated value.)
    let dir = tempfile::tempdir().unwrap();
    let zip = |crn: bool| {
        format!(
            "[sweep]\ndesign = \"zip\"\nreplications = 2\ncommon_random_numbers = {crn}\n[sweep.parameters]\n\"platform.seller_fee_rate\" = [0.01, 0.01]\n"
        )
    };
    for crn in [true, false] {
        let out = dir.path().join(format!("crn_{crn}"));
        let s = load(&zip(crn));
        run(&s, &opts(&out, 2));
        let (h, rows) = table(&out.join("runs.csv"));
        let first_metric = h
            .iter()
            .position(|c| c == "final_platform_share_requests")
            .unwrap();
        let metrics = |r: &Vec<String>| r[first_metric..].to_vec();
        assert_eq!(
            rows[0][3],
            if crn {
                "11".into()
            } else {
                mindmarket_sim::rng::hash_key(&[11, 0]).to_string()
            }
        );
        let same = metrics(&rows[0]) == metrics(&rows[2]) && metrics(&rows[1]) == metrics(&rows[3]);
        assert_eq!(same, crn, "crn = {crn}: {rows:?}");
    }
}

#[test]
fn bad_sweep_tables_name_the_key() {
    let t = "[sweep]\ndesign = \"sobool\"\n";
    let e = load_err(t);
    assert_eq!(e.key_path, "sweep.design");
    assert_eq!(e.line, Some(line_of(t, "sobool")));
    assert_eq!(e.suggestion.as_deref(), Some("sobol"));
    assert!(e.to_string().contains("unknown variant `sobool`"), "{e}");

    let t = "[sweep]\nreplicatons = 3\n";
    let e = load_err(t);
    assert_eq!(
        (e.key_path.as_str(), e.suggestion.as_deref()),
        ("sweep.replicatons", Some("replications"))
    );
    assert_eq!(e.line, Some(line_of(t, "replicatons")));

    let t = "[sweep]\n[sweep.parameters]\n\"platform.seller_fee_rate\" = 0.5\n";
    let e = load_err(t);
    assert_eq!(e.key_path, "sweep.parameters.\"platform.seller_fee_rate\"");
    assert_eq!(e.line, Some(line_of(t, "seller_fee_rate")));
    assert!(e.message.contains("to fix a value"), "{e}");

    let t = "[sweep]\n[[sweep.metrics]]\ncolumn = \"token_price_us\"\nstat = \"final\"\n";
    let e = load_err(t);
    assert_eq!(
        (e.key_path.as_str(), e.suggestion.as_deref()),
        ("sweep.metrics[0].column", Some("token_price_usd"))
    );

    for (table, key, part) in [
        (
            "[sweep]\nsamples = 10\n",
            "sweep.samples",
            "not used by design `grid`",
        ),
        (
            "[sweep]\ndesign = \"random\"\n",
            "sweep.samples",
            "needs `samples`",
        ),
        ("[sweep]\nreplications = 0\n", "sweep.replications", ">= 1"),
        (
            "[sweep]\ndesign = \"morris\"\ntrajectories = 4\nlevels = 5\n[sweep.parameters]\n\"a.b\" = { uniform = [0, 1] }\n",
            "sweep.levels",
            "even",
        ),
        (
            "[sweep]\ndesign = \"zip\"\n[sweep.parameters]\n\"a.b\" = [1, 2]\n\"a.c\" = [1, 2, 3]\n",
            "sweep.parameters.\"a.c\"",
            "equal length",
        ),
        (
            "[sweep]\ndesign = \"sobol\"\nsamples = 8\n[sweep.parameters]\n\"a.b\" = [1, 2]\n",
            "sweep.parameters.\"a.b\"",
            "continuous or integer range",
        ),
        (
            "[sweep]\n[sweep.parameters]\n\"a.b\" = { uniform = [0, 1] }\n",
            "sweep.parameters.\"a.b\"",
            "distributions need design",
        ),
        (
            "[sweep]\n[sweep.parameters]\n\"run.seed\" = [1, 2]\n",
            "sweep.parameters.\"run.seed\"",
            "replications",
        ),
        (
            "[sweep]\n[sweep.parameters]\n\"a..b\" = [1, 2]\n",
            "sweep.parameters.\"a..b\"",
            "invalid key",
        ),
        (
            "[sweep]\n[sweep.parameters]\n\"a.b\" = { logspace = [0, 1, 3] }\n",
            "sweep.parameters.\"a.b\"",
            "not exponents",
        ),
        (
            "[sweep]\n[[sweep.metrics]]\ncolumn = \"step\"\nstat = \"first_step_ge\"\n",
            "sweep.metrics[0]",
            "needs a `threshold`",
        ),
        (
            "[sweep]\n[[sweep.metrics]]\ncolumn = \"step\"\nstat = \"final\"\n[[sweep.metrics]]\ncolumn = \"step\"\nstat = \"final\"\n",
            "sweep.metrics[1]",
            "used twice",
        ),
    ] {
        let e = load_err(table);
        assert_eq!(e.key_path, key, "{table}: {e}");
        assert!(e.message.contains(part), "{table}: {e}");
        assert!(e.line.is_some(), "{table}: {e} has a line");
    }
    // A scenario without a sweep table.
    let e = Sweep::from_text(SCENARIO, "t.toml", "t", Path::new(".")).unwrap_err();
    assert!(e.message.contains("no `[sweep]` table"), "{e}");
}

#[test]
fn sweep_files_name_a_base_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("base.toml"), format!("{SCENARIO}{GRID}")).unwrap();
    let file = dir.path().join("sub/s.toml");
    std::fs::write(
        &file,
        r#"schema_version = 1
base = "../base.toml"
[overrides]
"run.steps" = 5
segments = [{ name = "only", size = 50 }]
"run.name" = "renamed"
[sweep]
replications = 2
[sweep.parameters]
"segments[0].jobs_per_step" = [0.2, 0.4]
"#,
    )
    .unwrap();
    let s = Sweep::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            s.base.run.steps,
            s.base.run.name.as_str(),
            s.base.segments.len()
        ),
        (5, "renamed", 1)
    );
    assert_eq!(s.n_runs(), 4, "the base's own [sweep] is ignored");
    assert_eq!(s.point_scenario(1).unwrap().segments[0].jobs_per_step, 0.4);

    std::fs::write(&file, "base = \"../base.toml\"\noverides = {}\n[sweep]\n").unwrap();
    let e = Sweep::load(&file).unwrap_err();
    assert_eq!(
        (e.key_path.as_str(), e.suggestion.as_deref()),
        ("overides", Some("overrides"))
    );
    std::fs::write(&file, "base = \"../missing.toml\"\n[sweep]\n").unwrap();
    let e = Sweep::load(&file).unwrap_err();
    assert!(
        e.to_string().contains("missing.toml") && e.message.contains("cannot read"),
        "{e}"
    );
    std::fs::write(
        &file,
        "base = \"../base.toml\"\n[overrides]\n\"platform.seller_fee_rate\" = 2.0\n[sweep]\n",
    )
    .unwrap();
    let e = Sweep::load(&file).unwrap_err();
    assert_eq!(
        e.key_path, "platform.seller_fee_rate",
        "an invalid base is an error at once: {e}"
    );
}

#[test]
fn folders_are_identical_for_any_worker_count_and_sharding() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(&GRID.replace("replications = 3", "replications = 3\nrecord_steps = 5"));
    let reference = dir.path().join("w1");
    let o = run(&s, &opts(&reference, 1));
    assert_eq!(
        (o.total, o.done, o.failed, o.ran, o.complete),
        (12, 12, 0, 12, true)
    );
    let names: Vec<String> = std::fs::read_dir(&reference)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for f in [
        "manifest.json",
        "runs.csv",
        "points.csv",
        "scenario.resolved.toml",
        "steps",
    ] {
        assert!(names.contains(&f.to_string()), "{f} in {names:?}");
    }
    assert!(!reference.join("runs.journal").exists());
    // Steps: every 5th step and the last, with the run id in front.
    let steps = read(&reference.join("steps/run_000007.csv"));
    let lines: Vec<&str> = steps.lines().collect();
    assert!(lines[0].starts_with("run_id,step,"));
    let steps_col: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(steps_col, ["0", "5", "10", "11"]);
    assert!(lines[1..].iter().all(|l| l.starts_with("7,")));

    for workers in [2, 3, 5] {
        let out = dir.path().join(format!("w{workers}"));
        run(&s, &opts(&out, workers));
        assert_same_tree(&reference, &out);
    }
    // Engine pools of several threads per worker, shared by the worker's runs.
    for (workers, per_run) in [(1, 2), (2, 3)] {
        let out = dir.path().join(format!("w{workers}x{per_run}"));
        let mut o = opts(&out, workers);
        o.threads_per_run = per_run;
        run(&s, &o);
        assert_same_tree(&reference, &out);
    }
    // Shards: 3 slices and 5 slices (more shards than some need), merged in any order.
    for n in [3u64, 5, 13] {
        let mut shard_dirs = Vec::new();
        for k in (0..n).rev() {
            let out = dir.path().join(format!("s{n}_{k}"));
            let mut o = opts(&out, 2);
            o.shard = Some(Shard { k, n });
            let r = run(&s, &o);
            assert_eq!(r.total, (12 - k.min(12)).div_ceil(n));
            assert!(!out.join("points.csv").exists(), "a shard holds runs only");
            shard_dirs.push(out);
        }
        let merged = dir.path().join(format!("m{n}"));
        let m = sweep::merge(&shard_dirs, &merged).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.runs, m.failed), (12, 0));
        assert_same_tree(&reference, &merged);
        // Merging again into the same folder is allowed and changes nothing.
        sweep::merge(&shard_dirs, &merged).unwrap();
        assert_same_tree(&reference, &merged);
        if n == 3 {
            let e = sweep::merge(&shard_dirs[..2], &dir.path().join("bad")).unwrap_err();
            assert!(e.to_string().contains("missing shard(s) 0/3"), "{e}");
            let e = sweep::merge(
                &[shard_dirs[0].clone(), reference.clone()],
                &dir.path().join("bad2"),
            )
            .unwrap_err();
            assert!(e.to_string().contains("is not a shard"), "{e}");
        }
    }
    // A folder that holds a sweep is not overwritten without --resume.
    let e = sweep::run(&s, &opts(&reference, 1), &()).unwrap_err();
    assert!(e.to_string().contains("--resume"), "{e}");
    // A different sweep cannot resume it.
    let other = load(&GRID.replace("replications = 3", "replications = 4"));
    let mut o = opts(&reference, 1);
    o.resume = true;
    let e = sweep::run(&other, &o, &()).unwrap_err();
    assert!(
        e.to_string().contains("different sweep") && e.to_string().contains("n_runs"),
        "{e}"
    );
}

/// Stops starting runs after `n` have finished.
struct StopAfter {
    n: u64,
    seen: AtomicU64,
}

impl Observer for StopAfter {
    fn finished(&self, _run_id: u64, _ok: bool) {
        self.seen.fetch_add(1, Ordering::SeqCst);
    }
    fn stop_requested(&self) -> bool {
        self.seen.load(Ordering::SeqCst) >= self.n
    }
}

#[test]
fn resume_redoes_no_finished_run_and_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(&GRID.replace("replications = 3", "replications = 5\nrecord_steps = 4"));
    let reference = dir.path().join("ref");
    run(&s, &opts(&reference, 2));

    // 1. A stop injected after 7 runs, then --resume.
    let out = dir.path().join("stopped");
    let stop = StopAfter {
        n: 7,
        seen: AtomicU64::new(0),
    };
    let o = sweep::run(&s, &opts(&out, 2), &stop).unwrap();
    assert!(!o.complete && o.done >= 7 && o.done < 20, "{o:?}");
    let manifest = read(&out.join("manifest.json"));
    assert!(manifest.contains("\"complete\": false") && manifest.contains("\"pending\""));
    let mut ro = opts(&out, 2);
    ro.resume = true;
    let o2 = run(&s, &ro);
    assert!(o2.complete);
    assert_eq!(o2.ran + o.ran, 20, "no run was redone: {o:?} then {o2:?}");
    assert_same_tree(&reference, &out);

    // 2. A kill mid-way, crafted: runs.csv holds runs 0–5 and a torn line, the journal runs 8
    //    and 11 (finished ahead of order) and a torn line, and points.csv is gone.
    let out = dir.path().join("killed");
    copy_dir(&reference, &out);
    let runs = read(&reference.join("runs.csv"));
    let lines: Vec<&str> = runs.lines().collect();
    let mut partial: String = lines[..7].iter().map(|l| format!("{l}\n")).collect();
    partial.push_str(&lines[7][..lines[7].len() / 2]);
    std::fs::write(out.join("runs.csv"), partial).unwrap();
    let journal = format!("{}\n{}\n{}", lines[9], lines[12], &lines[13][..10]);
    std::fs::write(out.join("runs.journal"), journal).unwrap();
    std::fs::remove_file(out.join("points.csv")).unwrap();
    std::fs::write(out.join("steps/run_000006.csv.tmp"), "half a file").unwrap();
    let mut ro = opts(&out, 2);
    ro.resume = true;
    let o3 = run(&s, &ro);
    assert_eq!(
        o3.ran,
        20 - 6 - 2,
        "runs 8 and 11 came from the journal: {o3:?}"
    );
    assert_same_tree(&reference, &out);

    // 3. Resuming a complete sweep runs nothing and rewrites the same files.
    let o4 = run(&s, &ro);
    assert_eq!((o4.ran, o4.complete), (0, true));
    assert_same_tree(&reference, &out);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn failed_runs_are_recorded_and_the_sweep_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(
        r#"
[sweep]
replications = 2
[sweep.parameters]
"platform.seller_fee_rate" = [0.0, 0.9, 0.02]
"#,
    );
    let out = dir.path().join("f");
    let o = run(&s, &opts(&out, 2));
    assert_eq!((o.total, o.done, o.failed, o.complete), (6, 6, 2, true));
    let (id, err) = o.first_failure.clone().unwrap();
    assert_eq!(id, 2);
    assert!(
        err.contains("platform.seller_fee_rate") && err.contains("0.9"),
        "{err}"
    );
    let (h, rows) = table(&out.join("runs.csv"));
    let status: Vec<&str> = rows.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(status, ["ok", "ok", "failed", "failed", "ok", "ok"]);
    assert!(
        rows[2][6].contains("point 1") && rows[2][6].contains("platform.seller_fee_rate"),
        "{:?}",
        rows[2]
    );
    assert!(
        rows[2][h.len() - 7..].iter().all(String::is_empty),
        "a failed run has no metrics"
    );
    let (_, points) = table(&out.join("points.csv"));
    assert_eq!(
        (
            points[1][2].as_str(),
            points[1][3].as_str(),
            points[1][4].as_str()
        ),
        ("2", "0", "")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).unwrap();
    let r2 = &manifest["runs"][2];
    assert_eq!(r2["status"], "failed");
    assert!(r2["error"].as_str().unwrap().contains("seller_fee_rate"));
    assert_eq!(manifest["runs"][0]["error"], serde_json::Value::Null);

    // A key path past the end of the base's segments: every point fails, none crashes.
    let s = load("[sweep]\n[sweep.parameters]\n\"segments[9].size\" = [10, 20]\n");
    let o = run(&s, &opts(&dir.path().join("g"), 2));
    assert_eq!((o.failed, o.complete), (2, true));
    assert!(
        o.first_failure
            .unwrap()
            .1
            .contains("index 9 is past the end of `segments` (2 elements)")
    );
}

#[test]
fn points_csv_matches_hand_computed_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(&GRID.replace("replications = 3", "replications = 7"));
    let out = dir.path().join("p");
    run(&s, &opts(&out, 2));
    let (rh, runs) = table(&out.join("runs.csv"));
    let (ph, points) = table(&out.join("points.csv"));
    assert_eq!(
        ph[..5],
        [
            "point_id",
            "platform.seller_fee_rate",
            "segments[0].switching_cost_usd",
            "n_runs",
            "n_ok"
        ]
    );
    assert_eq!(points.len(), 4);
    for metric in &s.spec.metrics {
        let col = rh.iter().position(|c| *c == metric.name).unwrap();
        for (p, row) in points.iter().enumerate() {
            let mut x: Vec<f64> = runs
                .iter()
                .filter(|r| r[1] == p.to_string())
                .filter_map(|r| r[col].parse::<f64>().ok())
                .collect();
            x.sort_by(f64::total_cmp);
            let field = |suffix: &str| {
                let i = ph
                    .iter()
                    .position(|c| *c == format!("{}_{suffix}", metric.name))
                    .unwrap();
                row[i].parse::<f64>().ok()
            };
            if x.is_empty() {
                assert_eq!(field("mean"), None);
                continue;
            }
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            // Type 7: h = (n − 1)p, between x[⌊h⌋] and x[⌊h⌋ + 1].
            let q = |p: f64| {
                let h = (n - 1.0) * p;
                let lo = h.floor() as usize;
                x[lo] + (h - lo as f64) * (x[(lo + 1).min(x.len() - 1)] - x[lo])
            };
            let close = |a: Option<f64>, b: f64| {
                a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
            };
            assert!(close(field("mean"), mean), "{} point {p}", metric.name);
            assert!(
                close(field("p10"), q(0.1))
                    && close(field("p50"), q(0.5))
                    && close(field("p90"), q(0.9))
            );
            if x.len() > 1 {
                let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                assert!(close(field("sd"), sd), "{} point {p}", metric.name);
            }
        }
    }
}

#[test]
fn sobol_and_morris_sweeps_write_sensitivity_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = load(
        r#"
[sweep]
design = "sobol"
samples = 4
bootstrap = 50
[sweep.parameters]
"platform.seller_fee_rate" = { uniform = [0.0, 0.1] }
"segments[0].switching_cost_usd" = { log_uniform = [0.0005, 0.01] }
[[sweep.metrics]]
column = "onboarded_customers"
stat = "final"
[[sweep.metrics]]
column = "requests_platform"
stat = "mean"
name = "platform_requests"
"#,
    );
    let out = dir.path().join("sobol");
    run(&s, &opts(&out, 2));
    let text = read(&out.join("sensitivity.csv"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "metric,parameter,S1,S1_lo,S1_hi,ST,ST_lo,ST_hi");
    assert_eq!(lines.len(), 1 + 2 * 2);
    assert!(lines[3].starts_with("platform_requests,platform.seller_fee_rate,"));
    assert_eq!(table(&out.join("runs.csv")).1.len(), 16);

    let s = load(
        r#"
[sweep]
design = "morris"
trajectories = 3
[sweep.parameters]
"platform.seller_fee_rate" = { uniform = [0.0, 0.1] }
"segments[0].size" = { int_uniform = [50, 150] }
"#,
    );
    let out = dir.path().join("morris");
    run(&s, &opts(&out, 2));
    let text = read(&out.join("sensitivity.csv"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "metric,parameter,mu_star,mu,sigma");
    assert_eq!(lines.len(), 1 + 7 * 2);
    // A parameter that does not move the onboarded count has μ* = 0; size does move it.
    let size_row = lines
        .iter()
        .find(|l| l.starts_with("final_onboarded_customers,segments[0].size,"))
        .unwrap();
    let mu_star: f64 = size_row.split(',').nth(2).unwrap().parse().unwrap();
    assert!(mu_star > 0.0, "{size_row}");
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_files_are_written() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let s = load(&GRID.replace("replications = 3", "replications = 2\nrecord_steps = 3"));
    let out = dir.path().join("pq");
    let mut o = opts(&out, 2);
    o.format = Format::Parquet;
    run(&s, &o);
    let rows = |p: &Path| {
        SerializedFileReader::new(std::fs::File::open(p).unwrap())
            .unwrap()
            .metadata()
            .file_metadata()
            .num_rows()
    };
    assert_eq!(rows(&out.join("runs.parquet")), 8);
    assert_eq!(rows(&out.join("points.parquet")), 4);
    assert_eq!(rows(&out.join("steps/run_000003.parquet")), 5);
    assert!(out.join("runs.csv").exists() && !out.join("steps/run_000003.csv").exists());
}
