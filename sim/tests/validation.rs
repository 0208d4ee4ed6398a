//! The analytic validation cases of MODEL.md §8 in the default test suite (docs/VALIDATION.md):
//! V1–V8 and V11, read from `scenarios/validation/` and run at their `quick` sizes through the
//! real engine. V9 and V10 (tier 2, about a minute each) are only loaded and checked here; CI runs
//! them with `mindmarket validate`. Each test prints its table rows (`cargo test -- --nocapture`).

use std::path::PathBuf;

use mindmarket_sim::validation::{self, CaseReport, Kind, Verdict};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/validation")
}

fn path(stem: &str) -> PathBuf {
    dir().join(format!("{stem}.toml"))
}

/// Loads `stem` at its quick size, runs it on two workers and prints its rows.
fn run(stem: &str) -> CaseReport {
    let case = validation::load_case(&path(stem), true).unwrap_or_else(|e| panic!("{e}"));
    let r = validation::run_case(&case, 2).unwrap_or_else(|e| panic!("{}: {e}", case.id));
    for c in &r.checks {
        eprintln!(
            "{} {:<70} expected {:<14.8} observed {:<14.8} error {:<12.4e} tolerance {:<12.4e} {}",
            r.id,
            c.name,
            c.expected,
            c.observed,
            c.error,
            c.tolerance,
            if c.pass { "pass" } else { "FAIL" }
        );
    }
    for n in &r.notes {
        eprintln!("    {n}");
    }
    assert!(
        !r.plots.is_empty(),
        "{}: every case draws its model against the theory",
        r.id
    );
    r
}

fn assert_pass(stem: &str) {
    let r = run(stem);
    assert_eq!(
        r.verdict(),
        Verdict::Pass,
        "{} fails:\n{:#?}\n{:#?}",
        r.id,
        r.checks.iter().filter(|c| !c.pass).collect::<Vec<_>>(),
        r.notes
    );
}

#[test]
fn v1_bass_diffusion() {
    assert_pass("v1_bass");
}

#[test]
fn v2_logit_shares_and_surplus() {
    assert_pass("v2_logit_shares");
}

#[test]
fn v3_bertrand_prices_reach_marginal_cost() {
    assert_pass("v3_bertrand");
}

#[test]
fn v4_monopoly_price_under_linear_demand() {
    assert_pass("v4_monopoly_linear");
}

#[test]
fn v5_logit_markups() {
    assert_pass("v5_logit_markup");
}

#[test]
fn v6_conservation_and_equation_of_exchange() {
    assert_pass("v6_conservation");
}

#[test]
fn v7_buterin_mc_equals_th() {
    assert_pass("v7_buterin_mc_th");
}

#[test]
fn v8_amm_closed_forms() {
    assert_pass("v8_amm_closed_forms");
}

#[test]
fn v11_emission_schedule() {
    assert_pass("v11_emission");
}

#[test]
fn every_case_file_loads_at_both_sizes_and_v1_to_v11_are_there() {
    let files = validation::discover(&dir()).unwrap();
    let mut ids = Vec::new();
    for f in &files {
        for quick in [false, true] {
            let c = validation::load_case(f, quick).unwrap_or_else(|e| panic!("{e}"));
            if !quick {
                ids.push(c.id.clone());
            }
        }
    }
    let want: Vec<String> = (1..=11).map(|k| format!("V{k}")).collect();
    assert_eq!(ids, want, "one file per case, in case order");
    // Every kind is used by exactly one shipped case.
    let kinds: Vec<&str> = files
        .iter()
        .map(|f| validation::load_case(f, false).unwrap().kind.name())
        .collect();
    for k in Kind::examples() {
        assert_eq!(
            kinds.iter().filter(|&&x| x == k.name()).count(),
            1,
            "{}",
            k.name()
        );
    }
}

#[test]
fn docs_describe_every_case_and_kind() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/VALIDATION.md"),
    )
    .expect("docs/VALIDATION.md exists");
    for k in Kind::examples() {
        assert!(
            doc.contains(&format!("`{}`", k.name())),
            "docs/VALIDATION.md lacks `{}`",
            k.name()
        );
    }
    for f in validation::discover(&dir()).unwrap() {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(doc.contains(&name), "docs/VALIDATION.md lacks {name}");
    }
}
