//! The analysis crate on the hand-made folders of `tests/fixtures/` (written by
//! `make_fixtures.py`): reading, grids, charts, the report and comparisons, without the engine.

use std::path::{Path, PathBuf};

use mindmarket_analysis::charts::{self, sweep_charts};
use mindmarket_analysis::compare::{self, Arm};
use mindmarket_analysis::grid::{grid_pairs, grid2};
use mindmarket_analysis::plot::{self, Body, ImageFormat};
use mindmarket_analysis::run::RunFolder;
use mindmarket_analysis::sweep::{Sensitivity, SweepFolder};
use mindmarket_analysis::{Folder, report, series};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// The formula make_fixtures.py uses for the grid's final platform share.
fn grid_share(data: f64, switching: f64) -> f64 {
    let z = 2.0 - 0.9 * (data / 1e8).log10() * 1.5 - 400.0 * (switching - 0.001);
    let v = 1.0 / (1.0 + (-z).exp());
    (v * 1e6).round() / 1e6
}

#[test]
fn grid_sweep_reads_and_averages_cells_exactly() {
    let s = SweepFolder::open(&fixture("sweep_grid")).unwrap();
    assert_eq!(
        s.manifest.parameters,
        vec![
            "incumbents[0].initial_data",
            "segments[0].switching_cost_usd"
        ]
    );
    assert_eq!(s.rows().len(), 27);
    assert_eq!(s.n_failed(), 1);
    assert_eq!(s.point_ids().len(), 9);
    assert_eq!(s.seeds_label(), "seed 42, 3 replications");
    assert!(s.has_steps());
    assert!(s.sensitivity.is_none());
    assert_eq!(
        grid_pairs(&s),
        vec![(
            s.manifest.parameters[0].clone(),
            s.manifest.parameters[1].clone()
        )]
    );
    let g = grid2(
        &s,
        "final_platform_share_requests",
        &s.manifest.parameters[1],
        &s.manifest.parameters[0],
    )
    .unwrap();
    assert_eq!(g.mean.dim(), (3, 3), "[y = data, x = switching]");
    let datas = [1e8, 1e9, 1e10];
    let sw = [0.001, 0.002, 0.004];
    for (iy, d) in datas.iter().enumerate() {
        for (ix, c) in sw.iter().enumerate() {
            let want = grid_share(*d, *c);
            assert!(
                (g.mean[[iy, ix]] - want).abs() < 1e-9,
                "cell ({iy},{ix}): {} vs {want}",
                g.mean[[iy, ix]]
            );
        }
    }
    // The failed run (point 4, replicate 1) is left out: that cell has two runs.
    assert_eq!(g.n[[1, 1]], 2);
    assert_eq!(g.n[[0, 0]], 3);
    let levels: Vec<String> = g.xs.iter().map(|l| l.0.clone()).collect();
    assert_eq!(levels, vec!["0.001", "0.002", "0.004"]);
    // Point labels name parameters in words with units.
    assert_eq!(
        s.point_label(0),
        "initial data = 100M · switching cost = 0.001 USD"
    );
    // Step series of a point: one per finished replication.
    let ps = s.point_series(4, "platform_share_requests").unwrap();
    assert_eq!((ps.steps.len(), ps.runs.len()), (10, 2));
}

#[test]
fn grid_sweep_charts_cover_fans_curves_heatmaps_and_distributions() {
    let s = SweepFolder::open(&fixture("sweep_grid")).unwrap();
    let out = sweep_charts(&s, &[]).unwrap();
    let ids: Vec<&str> = out.charts.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&"fan_platform_share_requests"), "{ids:?}");
    assert!(
        ids.iter()
            .any(|i| i.starts_with("response_final_platform_share_requests_vs_")),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .any(|i| i.starts_with("heatmap_final_platform_share_requests")),
        "{ids:?}"
    );
    // Nine points: a histogram of all runs (ECDFs are drawn for up to six points).
    assert!(
        ids.contains(&"hist_final_platform_share_requests"),
        "{ids:?}"
    );
    // Columns the fixture's steps lack are reported, not fatal.
    assert!(
        out.skipped.iter().any(|m| m.contains("sensitivity")),
        "{:?}",
        out.skipped
    );
    let heat = out
        .charts
        .iter()
        .find(|c| c.id.starts_with("heatmap_final_platform"))
        .unwrap();
    match &heat.body {
        Body::Heatmap(h) => {
            assert_eq!(h.threshold.as_ref().map(|t| t.0), Some(0.5));
            assert!(heat.subtitle.contains("tipped"), "{}", heat.subtitle);
        }
        other => panic!("not a heatmap: {other:?}"),
    }
    // Every chart renders to both formats.
    let dir = tempfile::tempdir().unwrap();
    for c in &out.charts {
        for f in [ImageFormat::Png, ImageFormat::Svg] {
            let p = plot::save(c, dir.path(), f).unwrap();
            assert!(
                std::fs::metadata(&p).unwrap().len() > 1000,
                "{}",
                p.display()
            );
        }
    }
    // Selecting a metric: only its charts; an unknown one is an error naming the metrics.
    let one = sweep_charts(&s, &["mean_gmv_platform_usd".to_string()]).unwrap();
    assert!(
        one.charts
            .iter()
            .all(|c| c.id.contains("mean_gmv_platform_usd")),
        "{:?}",
        one.charts.len()
    );
    let e = sweep_charts(&s, &["nope".to_string()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown metric `nope`") && e.contains("final_platform_share_requests"),
        "{e}"
    );
}

#[test]
fn sobol_and_morris_sweeps_give_sensitivity_bars_and_no_heatmap() {
    let s = SweepFolder::open(&fixture("sweep_sobol")).unwrap();
    let Some(Sensitivity::Sobol(rows)) = &s.sensitivity else {
        panic!("expected Sobol indices")
    };
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0].s1, (0.62, 0.54, 0.70));
    assert!(grid_pairs(&s).is_empty(), "random points form no grid");
    let out = sweep_charts(&s, &[]).unwrap();
    assert!(
        out.charts
            .iter()
            .any(|c| c.id == "sensitivity_final_platform_share_requests")
    );
    assert!(out.charts.iter().all(|c| !c.id.starts_with("heatmap_")));
    assert!(
        out.skipped.iter().any(|m| m.contains("no steps/")),
        "{:?}",
        out.skipped
    );
    assert!(
        out.skipped.iter().any(|m| m.contains("full grid")),
        "{:?}",
        out.skipped
    );
    let m = SweepFolder::open(&fixture("sweep_morris")).unwrap();
    let Some(Sensitivity::Morris(rows)) = &m.sensitivity else {
        panic!("expected Morris indices")
    };
    assert_eq!(rows[1].mu_star, 0.12);
    let out = sweep_charts(&m, &[]).unwrap();
    let bars = out
        .charts
        .iter()
        .find(|c| c.id.starts_with("sensitivity_"))
        .unwrap();
    plot::to_svg(bars).unwrap();
}

#[test]
fn run_folder_charts_and_report() {
    let run = RunFolder::open(&fixture("run_small")).unwrap();
    assert_eq!((run.info.scenario.as_str(), run.info.seed), ("small", 7));
    assert_eq!(run.headline("tipped_at"), Some(22.0));
    let list = charts::run_charts(&run, &[]).unwrap();
    assert_eq!(list.len(), mindmarket_analysis::catalog::HEADLINE.len());
    assert!(list.iter().all(|c| c.title.contains("small (seed 7)")));
    let one = charts::run_charts(&run, &["gini".into(), "hhi_platform".into()]).unwrap();
    assert_eq!(one.len(), 2);
    let e = charts::run_charts(&run, &["bogus".into()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown metric `bogus`") && e.contains("token_price"),
        "{e}"
    );
    let overview = charts::run_overview(&run, &list);
    let html = report::run_report(&run, &[overview]).unwrap();
    for id in ["summary", "headline", "charts", "notes"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(
        html.contains("<svg")
            && !html.contains("<script")
            && !html.contains("http://www.w3.org/1999/xlink\" href=\"http")
    );
    // The tipping detector finds the logistic rise of the fixture's share (centred on step 20).
    let steps = run.steps.num("step").unwrap();
    let share = run.steps.num("platform_share_requests").unwrap();
    let t = series::tipping_point(steps, share, 0.3).unwrap();
    assert!((17.0..=23.0).contains(&t.at), "{t:?}");
    assert_eq!(
        series::time_to_threshold(steps, share, 0.3, series::Direction::Above, 3),
        Some(20.0)
    );
}

#[test]
fn sweep_report_has_points_and_sensitivity() {
    let s = SweepFolder::open(&fixture("sweep_sobol")).unwrap();
    let c = sweep_charts(&s, &[]).unwrap();
    let (metrics, _) = charts::sweep_metrics(&s, &[]).unwrap();
    let html = report::sweep_report(&s, &c, &metrics).unwrap();
    for id in [
        "summary",
        "headline",
        "points",
        "sensitivity",
        "charts",
        "notes",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(html.contains("platform.seller_fee_rate"));
}

#[test]
fn arms_of_one_sweep_pair_on_seed_and_run() {
    let s = SweepFolder::open(&fixture("sweep_grid")).unwrap();
    let a = Arm::from_sweep(&s, &compare::parse_arm("point_id=0").unwrap(), "A").unwrap();
    let b = Arm::from_sweep(&s, &compare::parse_arm("point_id=2").unwrap(), "B").unwrap();
    let c = compare::compare(a, b, &["final_platform_share_requests".into()]).unwrap();
    assert_eq!(c.pairs.len(), 3);
    let p = c.metrics[0].paired.as_ref().unwrap();
    // Same replicate noise in both arms: every paired difference is the formula's difference.
    let want = grid_share(1e8, 0.004) - grid_share(1e8, 0.001);
    assert!(
        (p.mean_diff - want).abs() < 1e-9 && p.sd_diff.abs() < 1e-9,
        "{p:?}"
    );
    assert_eq!(p.n_b_lower, 3);
    let chart = compare::difference_chart(&c, "platform_share_requests")
        .unwrap()
        .unwrap();
    plot::to_svg(&chart).unwrap();
    // Arms by parameter value pair on (seed, run, other parameters): 3 levels × 3 runs, one failed.
    let a = Arm::from_sweep(
        &s,
        &compare::parse_arm("segments[0].switching_cost_usd=0.001").unwrap(),
        "A",
    )
    .unwrap();
    let b = Arm::from_sweep(
        &s,
        &compare::parse_arm("segments[0].switching_cost_usd=0.002").unwrap(),
        "B",
    )
    .unwrap();
    let c = compare::compare(a, b, &[]).unwrap();
    assert_eq!((c.pairs.len(), c.unpaired_a), (8, 1));
    let e = Arm::from_sweep(&s, &compare::parse_arm("nope=1").unwrap(), "A")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no column `nope`"), "{e}");
}

#[test]
fn bad_folders_give_errors_that_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    let e = Folder::open(&missing).unwrap_err().to_string();
    assert!(e.contains("nothing-here") && e.contains("not found"), "{e}");
    let e = Folder::open(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("summary.json") && e.contains("neither a run folder"),
        "{e}"
    );
    std::fs::write(dir.path().join("manifest.json"), "{ not json").unwrap();
    let e = Folder::open(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("manifest.json") && e.contains("not valid JSON"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("manifest.json"),
        "{\"parameters\": [\"a\"]}",
    )
    .unwrap();
    let e = Folder::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("runs.csv") && e.contains("not found"), "{e}");
    std::fs::write(
        dir.path().join("runs.csv"),
        "run_id,point_id,status\n0,0,ok\n",
    )
    .unwrap();
    let e = Folder::open(dir.path()).unwrap_err().to_string();
    assert!(e.contains("runs.csv") && e.contains("parameter `a`"), "{e}");
    std::fs::write(
        dir.path().join("runs.csv"),
        "run_id,point_id,status,a\n0,0,ok,1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sensitivity.csv"),
        "metric,parameter,x\nm,a,1\n",
    )
    .unwrap();
    let e = Folder::open(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("sensitivity.csv") && e.contains("neither Sobol"),
        "{e}"
    );
    // A run folder with a broken steps.csv.
    let run = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("run_small").join("summary.json"),
        run.path().join("summary.json"),
    )
    .unwrap();
    std::fs::write(run.path().join("steps.csv"), "step,x\n0,1\n1\n").unwrap();
    let e = Folder::open(run.path()).unwrap_err().to_string();
    assert!(e.contains("steps.csv") && e.contains("row 3"), "{e}");
}
