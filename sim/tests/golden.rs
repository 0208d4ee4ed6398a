//! Golden-file test (rust-analyzer's data-driven `check`): each `tests/golden/<name>.toml` is run
//! and its `steps.csv`, `agents.csv` and `categories.csv` are compared byte for byte with `tests/golden/<name>/`.
//!
//! The expected files are a regression pin, not an independent oracle: they were produced by the
//! program and reviewed (conservation columns zero, supply falling only by the recorded burns, B2B
//! purchases present). Regenerate them deliberately with `UPDATE_GOLDEN=1 cargo test --test golden`
//! after a change of behaviour, and review the diff. Floating-point columns depend on libm's `exp`
//! and `ln`, so the pin is for x86-64 Linux (glibc), the CI platform.

use std::path::Path;

use mindmarket_sim::output::RunWriter;
use mindmarket_sim::{Simulation, scenario};

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let s = scenario::load_resolved(&dir.join(format!("{name}.toml")), &[], "golden").unwrap();
    let mut sim = Simulation::new(&s, 2).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut w = RunWriter::create(
        out.path(),
        1,
        s.run.steps,
        sim.params.categories.len() as u32,
    )
    .unwrap();
    let mut supply_prev = sim.ledger.total_supply();
    while !sim.finished() {
        let m = sim.step().unwrap();
        // Independent checks that hold whatever the pinned numbers are.
        assert_eq!(
            (m.conservation_error_tokens, m.conservation_error_usd),
            (0, 0)
        );
        let supply = sim.ledger.total_supply();
        let burned = (m.burned_tokens * 1e8).round() as i128;
        assert_eq!(
            supply,
            supply_prev - burned,
            "supply changes only by burns at step {}",
            m.step
        );
        supply_prev = supply;
        // The per-category rows add up to the step's totals.
        let c = &m.categories;
        assert_eq!(c.len(), sim.params.categories.len());
        let sum = |f: fn(&mindmarket_sim::metrics::CategoryMetrics) -> u64| -> u64 {
            c.iter().map(f).sum()
        };
        assert_eq!(sum(|c| c.requests_platform), m.requests_platform);
        assert_eq!(sum(|c| c.requests_incumbent), m.requests_incumbent);
        assert_eq!(sum(|c| c.active_providers), m.active_providers);
        assert_eq!(
            c.iter().filter(|c| c.active_providers > 0).count() as u32,
            m.categories_covered
        );
        let rev_p: f64 = c.iter().map(|c| c.revenue_platform_usd).sum();
        let rev_i: f64 = c.iter().map(|c| c.revenue_incumbent_usd).sum();
        if rev_p + rev_i > 0.0 {
            assert!((rev_p / (rev_p + rev_i) - m.platform_share_revenue).abs() < 1e-12);
        }
        assert!(
            c.iter()
                .all(|c| (0.0..=1.0).contains(&c.platform_share_requests)
                    && (0.0..=1.0).contains(&c.platform_share_revenue))
        );
        w.step(&m).unwrap();
    }
    let summary = w.summary(&sim, &scenario::scenario_hash(&s));
    assert!(
        summary.headline.total_gmv_b2b_usd > 0.0,
        "composites bought from other agents"
    );
    w.finish(&sim, &summary, &scenario::to_toml(&s)).unwrap();
    let expected_dir = dir.join(name);
    for file in ["steps.csv", "agents.csv", "categories.csv"] {
        let got = std::fs::read_to_string(out.path().join(file)).unwrap();
        let path = expected_dir.join(file);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&expected_dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{name}/{file} differs from the golden file at line {}:\n got: {}\nwant: {}\n(UPDATE_GOLDEN=1 regenerates it after a deliberate change)",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}

#[test]
fn tiny() {
    check("tiny");
}
