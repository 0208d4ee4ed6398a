//! Integration tests of the `mindmarket` binary: `check` and `run` on the tiny scenarios of
//! `tests/data/`, through the real command line (exit codes, messages, output files, determinism,
//! reproducibility, `--set`, atomicity of the output folder, terminal behaviour).

mod util;

use serde_json::Value;
use util::Dir;

/// The tiny valid scenario (30 steps, 500 customers): runs in a fraction of a second.
const TINY: &str = "tiny.toml";

/// The five files of a run folder, sorted.
const RUN_FILES: [&str; 5] = [
    "agents.csv",
    "categories.csv",
    "scenario.resolved.toml",
    "steps.csv",
    "summary.json",
];

/// Columns `steps.csv` must have (among others).
const REQUIRED_COLUMNS: [&str; 22] = [
    "step",
    "onboarded_customers",
    "active_customers_platform",
    "active_customers_incumbent",
    "active_providers",
    "requests_platform",
    "requests_incumbent",
    "unserved_requests",
    "gmv_platform_usd",
    "gmv_incumbent_usd",
    "gmv_b2b_usd",
    "token_price_usd",
    "total_supply",
    "treasury_tokens",
    "pool_tokens",
    "pool_usd",
    "platform_share_requests",
    "hhi_offerings",
    "gini_provider_revenue",
    "velocity",
    "conservation_error_tokens",
    "conservation_error_usd",
];

/// Runs `tests/data/tiny.toml` (copied into `dir`) into `out` quietly, with `extra` arguments.
fn run_tiny(dir: &Dir, out: &str, extra: &[&str]) -> util::Out {
    let scenario = dir.copy_data(TINY);
    dir.command()
        .args(["run", scenario.as_str(), "--out", out, "--quiet"])
        .args(extra)
        .run()
}

/// `steps.csv` of a run folder as (header, rows), each row split on commas (every field is a
/// number, so no quoting occurs).
fn steps_table(dir: &Dir, out: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = dir.read(format!("{out}/steps.csv"));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("steps.csv has a header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            r.len(),
            header.len(),
            "row {i} of {out}/steps.csv has the wrong width"
        );
    }
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("steps.csv lacks column `{name}`; header: {header:?}"))
}

fn summary(dir: &Dir, out: &str) -> Value {
    let text = dir.read(format!("{out}/summary.json"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{out}/summary.json: {e}\n{text}"))
}

/// `summary.json` with its `timing` object removed (the only part not covered by determinism).
fn summary_without_timing(dir: &Dir, out: &str) -> Value {
    let mut v = summary(dir, out);
    let timing = v
        .as_object_mut()
        .expect("summary.json is an object")
        .remove("timing");
    assert!(
        timing.is_some_and(|t| t.is_object()),
        "{out}/summary.json has a `timing` object"
    );
    v
}

/// Asserts that two run folders hold byte-identical outputs (summary.json modulo `timing`).
fn assert_same_run(dir: &Dir, a: &str, b: &str) {
    for f in [
        "steps.csv",
        "categories.csv",
        "agents.csv",
        "scenario.resolved.toml",
    ] {
        assert!(
            dir.read_bytes(format!("{a}/{f}")) == dir.read_bytes(format!("{b}/{f}")),
            "{a}/{f} and {b}/{f} differ"
        );
    }
    assert_eq!(
        summary_without_timing(dir, a),
        summary_without_timing(dir, b),
        "{a}/summary.json and {b}/summary.json differ (timing removed)"
    );
}

// ---------------------------------------------------------------------------------------------
// 1–2. `check`
// ---------------------------------------------------------------------------------------------

#[test]
fn check_valid_scenario_prints_ok() {
    let dir = Dir::new("check_ok");
    let f = dir.copy_data(TINY);
    let out = dir.command().args(["check", f.as_str()]).run();
    assert!(out.stdout.contains("tiny.toml: ok"), "{}", out.describe());
    assert!(out.stdout.contains("30 steps"), "{}", out.describe());
    assert!(
        out.stdout.contains("2 segments (500 customers)"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.is_empty(), "{}", out.describe());
    assert!(dir.list(".") == [TINY], "check writes no files");
}

#[test]
fn check_unknown_key_typo_suggests_the_key() {
    let dir = Dir::new("check_typo");
    let f = dir.copy_data("typo_key.toml");
    let out = dir.command().args(["check", f.as_str()]).fail();
    out.stderr_has(&[
        "typo_key.toml:9:1: platform.seller_fe_rate: unknown field `seller_fe_rate`",
        "did you mean `seller_fee_rate`?",
    ]);
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn check_negative_budget_in_second_segment() {
    let dir = Dir::new("check_budget");
    let f = dir.copy_data("negative_budget.toml");
    let out = dir.command().args(["check", f.as_str()]).fail();
    out.stderr_has(&[
        "negative_budget.toml:18:",
        "segments[1].budget_usd_per_step",
        ">= 0",
        "-5",
    ]);
}

#[test]
fn check_toml_syntax_error_has_the_line() {
    let dir = Dir::new("check_syntax");
    let f = dir.copy_data("syntax_error.toml");
    let out = dir.command().args(["check", f.as_str()]).fail();
    out.stderr_has(&["syntax_error.toml:7:", "run.name"]);
}

#[test]
fn check_recipe_cycle_names_both_categories() {
    let dir = Dir::new("check_cycle");
    let f = dir.copy_data("recipe_cycle.toml");
    let out = dir.command().args(["check", f.as_str()]).fail();
    out.stderr_has(&[
        "recipe_cycle.toml:10:",
        "categories: recipe cycle",
        "alpha",
        "beta",
    ]);
}

#[test]
fn check_unknown_category_in_provider_group() {
    let dir = Dir::new("check_group");
    let f = dir.copy_data("unknown_provider_category.toml");
    let out = dir.command().args(["check", f.as_str()]).fail();
    out.stderr_has(&[
        "unknown_provider_category.toml:24:",
        "providers.initial[1].category",
        "unknown category `embedings`",
        "did you mean `embeddings`?",
    ]);
}

#[test]
fn check_missing_file_names_it() {
    let dir = Dir::new("check_missing");
    let out = dir.command().args(["check", "nope.toml"]).fail();
    out.stderr_has(&["nope.toml", "cannot read"]);
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new("usage");
    dir.command().arg("run").fail();
    let f = dir.copy_data(TINY);
    dir.command()
        .args(["run", f.as_str(), "--no-such-flag"])
        .fail();
    dir.command()
        .args(["run", f.as_str(), "--threads", "many"])
        .fail();
}

// ---------------------------------------------------------------------------------------------
// 3. `run` outputs
// ---------------------------------------------------------------------------------------------

#[test]
fn run_writes_exactly_the_five_files() {
    let dir = Dir::new("run_files");
    let out = run_tiny(&dir, "o", &[]);
    assert!(
        out.stdout.is_empty(),
        "--quiet prints nothing on stdout\n{}",
        out.describe()
    );
    assert_eq!(dir.list("o"), RUN_FILES);
    assert!(!dir.list("o").iter().any(|f| f.ends_with(".tmp")));
    // Nothing is written outside the output folder.
    assert_eq!(dir.list("."), ["o", TINY]);
}

#[test]
fn steps_csv_has_the_columns_one_row_per_step_and_exact_conservation() {
    let dir = Dir::new("steps_csv");
    run_tiny(&dir, "o", &[]);
    let (header, rows) = steps_table(&dir, "o");
    for c in REQUIRED_COLUMNS {
        column(&header, c);
    }
    assert_eq!(rows.len(), 30, "one row per step");
    let step = column(&header, "step");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[step], i.to_string(), "row {i} is step {i}");
    }
    for c in ["conservation_error_tokens", "conservation_error_usd"] {
        let k = column(&header, c);
        for (i, r) in rows.iter().enumerate() {
            let v: f64 = r[k]
                .parse()
                .unwrap_or_else(|e| panic!("{c} at row {i}: {e}"));
            assert_eq!(v, 0.0, "{c} at step {i} is {}", r[k]);
        }
    }
}

#[test]
fn summary_json_records_conservation_seed_version_hash_and_timing() {
    let dir = Dir::new("summary");
    run_tiny(&dir, "o", &[]);
    let s = summary(&dir, "o");
    assert_eq!(s["conservation"]["ok"], Value::Bool(true), "{s:#}");
    assert_eq!(s["seed"], Value::from(7u64), "{s:#}");
    assert_eq!(
        s["program_version"],
        Value::from(env!("CARGO_PKG_VERSION")),
        "{s:#}"
    );
    let hash = s["scenario_hash"]
        .as_str()
        .expect("scenario_hash is a string");
    assert_eq!(hash.len(), 16, "{hash}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    assert!(s["timing"].is_object(), "{s:#}");
    assert_eq!(s["steps"], Value::from(30u32), "{s:#}");
}

#[test]
fn default_output_folder_is_out_slash_name() {
    let dir = Dir::new("default_out");
    let f = dir.copy_data(TINY);
    dir.command().args(["run", f.as_str(), "--quiet"]).run();
    assert_eq!(dir.list("out/tiny"), RUN_FILES);
}

// ---------------------------------------------------------------------------------------------
// 4–5. Determinism and reproducibility
// ---------------------------------------------------------------------------------------------

#[test]
fn thread_count_never_changes_the_results() {
    let dir = Dir::new("threads");
    let f = dir.copy_data(TINY);
    for t in ["1", "2", "4"] {
        dir.command()
            .args(["run", f.as_str(), "--quiet", "--threads", t, "--out"])
            .arg(format!("t{t}"))
            .run();
    }
    dir.command()
        .env("RAYON_NUM_THREADS", "3")
        .args(["run", f.as_str(), "--quiet", "--out", "env3"])
        .run();
    for other in ["t2", "t4", "env3"] {
        assert_same_run(&dir, "t1", other);
    }
    // The thread counts did take effect (they are recorded in `timing`).
    for (out, n) in [("t1", 1u64), ("t2", 2), ("t4", 4), ("env3", 3)] {
        assert_eq!(
            summary(&dir, out)["timing"]["threads"],
            Value::from(n),
            "{out}"
        );
    }
}

#[test]
fn resolved_scenario_reproduces_the_run() {
    let dir = Dir::new("resolved");
    run_tiny(&dir, "x", &[]);
    let resolved = dir.read("x/scenario.resolved.toml");
    assert!(resolved.contains("seed = 7"), "{resolved}");
    assert!(resolved.contains(&format!(
        "program_version = \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    dir.command()
        .args(["run", "x/scenario.resolved.toml", "--quiet", "--out", "y"])
        .run();
    assert_same_run(&dir, "x", "y");
    // And `check` accepts it.
    dir.command()
        .args(["check", "x/scenario.resolved.toml"])
        .run();
}

#[test]
fn another_seed_gives_another_run() {
    let dir = Dir::new("seed");
    run_tiny(&dir, "a", &[]);
    run_tiny(&dir, "b", &["--seed", "8"]);
    assert!(dir.read_bytes("a/steps.csv") != dir.read_bytes("b/steps.csv"));
    assert_eq!(summary(&dir, "b")["seed"], Value::from(8u64));
    assert_ne!(
        summary(&dir, "a")["scenario_hash"],
        summary(&dir, "b")["scenario_hash"]
    );
}

// ---------------------------------------------------------------------------------------------
// 6. `--set`, `--steps`, `--seed`
// ---------------------------------------------------------------------------------------------

#[test]
fn set_run_steps() {
    let dir = Dir::new("set_steps");
    run_tiny(&dir, "o", &["--set", "run.steps=5"]);
    let (_, rows) = steps_table(&dir, "o");
    assert_eq!(rows.len(), 5);
    assert_eq!(summary(&dir, "o")["steps"], Value::from(5u32));
}

#[test]
fn set_rejects_invalid_values_with_the_key_path() {
    let dir = Dir::new("set_invalid");
    let f = dir.copy_data(TINY);
    let cases: [(&str, &[&str]); 5] = [
        (
            "segments[0].size=0",
            &["segments[0].size", "must be in [1, 10000000], got 0"],
        ),
        (
            "segments[1].size=abc",
            &["segments[1].size", "invalid type"],
        ),
        ("run.steps=-3", &["run.steps"]),
        ("segments[5].size=3", &["segments[5]", "past the end"]),
        (
            "platform.seller_fe_rate=0.1",
            &["platform.seller_fe_rate", "did you mean `seller_fee_rate`?"],
        ),
    ];
    for (set, expect) in cases {
        let check = dir
            .command()
            .args(["check", f.as_str(), "--set", set])
            .fail();
        let run = dir
            .command()
            .args(["run", f.as_str(), "--quiet", "--out", "never", "--set", set])
            .fail();
        for out in [check, run] {
            out.stderr_has(&["tiny.toml (after --set)"])
                .stderr_has(expect);
        }
    }
    assert!(
        !dir.join("never").exists(),
        "a rejected run creates no output folder"
    );
}

#[test]
fn steps_and_seed_flags_are_recorded_in_the_resolved_scenario() {
    let dir = Dir::new("flags");
    run_tiny(&dir, "o", &["--steps", "7", "--seed", "9"]);
    let resolved = dir.read("o/scenario.resolved.toml");
    let lines: Vec<&str> = resolved.lines().map(str::trim).collect();
    assert!(lines.contains(&"seed = 9"), "{resolved}");
    assert!(lines.contains(&"steps = 7"), "{resolved}");
    let (_, rows) = steps_table(&dir, "o");
    assert_eq!(rows.len(), 7);
    assert_eq!(summary(&dir, "o")["seed"], Value::from(9u64));
}

// ---------------------------------------------------------------------------------------------
// 7. Atomicity and output-path errors
// ---------------------------------------------------------------------------------------------

/// The bytes of the five run files of `out`.
fn snapshot(dir: &Dir, out: &str) -> Vec<(String, Vec<u8>)> {
    RUN_FILES
        .iter()
        .map(|f| (f.to_string(), dir.read_bytes(format!("{out}/{f}"))))
        .collect()
}

#[test]
fn failed_run_leaves_a_previous_run_untouched() {
    let dir = Dir::new("atomic_load");
    run_tiny(&dir, "o", &[]);
    let before = snapshot(&dir, "o");
    // Invalid scenario file.
    let bad = dir.copy_data("negative_budget.toml");
    dir.command()
        .args(["run", bad.as_str(), "--quiet", "--out", "o"])
        .fail()
        .stderr_has(&["segments[1].budget_usd_per_step"]);
    // Valid file, invalid override.
    let f = dir.copy_data(TINY);
    dir.command()
        .args([
            "run",
            f.as_str(),
            "--quiet",
            "--out",
            "o",
            "--set",
            "run.steps=0",
            "--seed",
            "1",
        ])
        .fail()
        .stderr_has(&["run.steps"]);
    // A write failure at the start (a folder squats on `steps.csv.tmp`).
    dir.create_dir("o/steps.csv.tmp");
    dir.command()
        .args(["run", f.as_str(), "--quiet", "--out", "o", "--seed", "1"])
        .fail()
        .stderr_has(&["steps.csv"]);
    std::fs::remove_dir(dir.join("o/steps.csv.tmp")).unwrap();
    assert_eq!(dir.list("o"), RUN_FILES, "no stray files");
    assert!(
        snapshot(&dir, "o") == before,
        "the previous run's files are unchanged"
    );
}

/// A run that fails while writing its final files must not leave a mix of old and new files
/// (regression: `RunWriter::finish` used to commit `agents.csv` before writing `summary.json`).
#[test]
fn failure_while_finishing_leaves_a_previous_run_untouched() {
    let dir = Dir::new("atomic_finish");
    run_tiny(&dir, "o", &[]);
    let before = snapshot(&dir, "o");
    // A folder squats on `summary.json.tmp`: the run fails after its steps, at `finish`.
    dir.create_dir("o/summary.json.tmp");
    let f = dir.copy_data(TINY);
    dir.command()
        .args(["run", f.as_str(), "--quiet", "--out", "o", "--seed", "1"])
        .fail()
        .stderr_has(&["summary.json"]);
    std::fs::remove_dir(dir.join("o/summary.json.tmp")).unwrap();
    assert_eq!(dir.list("o"), RUN_FILES, "no stray files");
    for ((name, old), (_, new)) in before.iter().zip(snapshot(&dir, "o")) {
        assert!(*old == new, "o/{name} was changed by a failed run");
    }
}

#[test]
fn output_path_under_a_regular_file_fails_cleanly() {
    let dir = Dir::new("out_under_file");
    dir.create("afile", "not a folder\n");
    let f = dir.copy_data(TINY);
    let out = dir
        .command()
        .args(["run", f.as_str(), "--quiet", "--out", "afile/sub"])
        .fail();
    out.stderr_has(&["afile/sub"]);
    // The output path itself is a regular file.
    let out = dir
        .command()
        .args(["run", f.as_str(), "--quiet", "--out", "afile"])
        .fail();
    out.stderr_has(&["afile"]);
    assert_eq!(dir.read("afile"), "not a folder\n");
}

// ---------------------------------------------------------------------------------------------
// 8. Terminal behaviour
// ---------------------------------------------------------------------------------------------

#[test]
fn no_progress_bar_without_a_terminal() {
    let dir = Dir::new("no_tty");
    let f = dir.copy_data(TINY);
    // Not quiet: a summary on stdout, but no escape codes anywhere (stderr is a pipe).
    let out = dir.command().args(["run", f.as_str(), "--out", "o"]).run();
    assert!(
        !out.stderr.contains("\x1b["),
        "escape codes on stderr\n{}",
        out.describe()
    );
    assert!(
        !out.stdout.contains("\x1b["),
        "escape codes on stdout\n{}",
        out.describe()
    );
    assert!(out.stdout.contains("wrote o/"), "{}", out.describe());
    assert!(
        out.stdout.contains("conservation exact"),
        "{}",
        out.describe()
    );
    // Quiet: nothing on stdout, nothing on stderr.
    let out = dir
        .command()
        .args(["run", f.as_str(), "--out", "q", "--quiet"])
        .run();
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(out.stderr.is_empty(), "{}", out.describe());
}
