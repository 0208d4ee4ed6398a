//! Every scenario shipped under `scenarios/` (the built-in scenarios of `scenarios/builtin/` and the
//! validation cases of `scenarios/validation/` included; sweep files of `scenarios/sweeps/`, which
//! name a base scenario, excluded) loads, resolves and runs a few steps. Large populations are
//! shrunk to at most 2 000 customers per segment and 2 000 potential developers so that the test
//! stays fast; the scenario's own `[sweep]` table, if any, is checked by `mindmarket sweep`.

use std::path::{Path, PathBuf};

use mindmarket_sim::{Simulation, scenario};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "sweeps") {
                continue;
            }
            scenario_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shipped_scenario_loads_and_runs_a_few_steps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files = Vec::new();
    scenario_files(&root, &mut files);
    assert!(files.len() >= 2, "{files:?}");
    let builtin = files
        .iter()
        .filter(|p| p.to_string_lossy().contains("builtin"))
        .count();
    // MODEL.md §9's six built-in scenarios; every one must load and run.
    assert!(builtin >= 6, "scenarios/builtin/ has {builtin} files");
    for path in files {
        let label = path.display().to_string();
        // First: the file as shipped loads and resolves.
        let s = scenario::load_resolved(&path, &[], "test").unwrap_or_else(|e| panic!("{e}"));
        // Then a shrunk copy runs a few steps.
        let mut sets = vec!["run.steps=3".to_string()];
        for (i, g) in s.segments.iter().enumerate() {
            if g.size > 2_000 {
                sets.push(format!("segments[{i}].size=2000"));
            }
        }
        if s.developers.developer_pool > 2_000 {
            sets.push("developers.developer_pool=2000".into());
            sets.push(format!(
                "developers.initial_aware_devs={}",
                s.developers.initial_aware_devs.min(2_000)
            ));
        }
        let small = scenario::load_resolved(&path, &sets, "test")
            .unwrap_or_else(|e| panic!("{label} (shrunk): {e}"));
        let mut sim = Simulation::new(&small, 2).unwrap_or_else(|e| panic!("{label}: {e}"));
        while !sim.finished() {
            let m = sim.step().unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(
                (m.conservation_error_tokens, m.conservation_error_usd),
                (0, 0),
                "{label}"
            );
        }
    }
}
