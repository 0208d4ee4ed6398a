//! Integration tests of `mindmarket plot` and `mindmarket compare` through the real binary: the
//! files exist, PNGs have the right size and dark text pixels in the title area (the embedded font
//! renders with no system fonts), SVGs carry the title text, bad input exits with code 2 and a
//! message naming the path, and the A/B comparison prints its table and sentences.

mod util;

use std::path::{Path, PathBuf};

use util::Dir;

/// A hand-made sweep folder of the analysis crate's tests (3 × 3 grid × 3 replications, steps/).
fn sweep_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("analysis/tests/fixtures")
        .join(name)
}

/// Runs tests/data/tiny.toml into `out` with extra arguments.
fn run_tiny(dir: &Dir, out: &str, extra: &[&str]) {
    let scenario = dir.copy_data("tiny.toml");
    dir.command()
        .args(["run", scenario.as_str(), "--out", out, "--quiet"])
        .args(extra)
        .run();
}

/// Decodes a PNG: (width, height, RGB bytes).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Pixels darker than a luminance of 90/255 in the rectangle [x0, x1) × [y0, y1).
fn dark_pixels(w: u32, rgb: &[u8], (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * w + x) * 3) as usize;
            let l =
                0.2126 * rgb[i] as f64 + 0.7152 * rgb[i + 1] as f64 + 0.0722 * rgb[i + 2] as f64;
            n += (l < 90.0) as usize;
        }
    }
    n
}

#[test]
fn plot_run_folder_writes_legible_png_and_svg() {
    let dir = Dir::new("plot-run");
    run_tiny(&dir, "run", &[]);
    let out = dir
        .command()
        .args(["plot", "run", "--format", "both"])
        .run();
    assert!(
        out.stdout.contains("wrote 24 chart files"),
        "{}",
        out.describe()
    );
    let files = dir.list("run/plots");
    for id in [
        "overview",
        "token_price",
        "gmv_usd",
        "gmv_tokens",
        "request_share",
        "category_share",
        "active_customers",
        "active_providers",
        "velocity",
        "treasury",
        "hhi",
        "gini",
    ] {
        for ext in ["png", "svg"] {
            assert!(
                files.contains(&format!("{id}.{ext}")),
                "{id}.{ext} missing: {files:?}"
            );
        }
    }
    let (w, h, rgb) = decode_png(&dir.join("run/plots/token_price.png"));
    assert_eq!((w, h), (1200, 675));
    // The title "Token price — tiny (seed 7)" sits top left: dark anti-aliased glyph pixels there.
    let title = dark_pixels(w, &rgb, (15, 12, 420, 42));
    assert!(title > 300, "title area has {title} dark pixels");
    // Nothing dark in a strip of the header right of the title (no stray text).
    assert_eq!(dark_pixels(w, &rgb, (900, 12, 1190, 42)), 0);
    let (ow, oh, orgb) = decode_png(&dir.join("run/plots/overview.png"));
    assert!(ow >= 1200 && oh >= 600, "{ow}×{oh}");
    assert!(dark_pixels(ow, &orgb, (10, 10, 400, 40)) > 200);
    let svg = dir.read("run/plots/token_price.svg");
    assert!(
        svg.starts_with("<svg") || svg.contains("<svg "),
        "not an SVG"
    );
    assert!(
        svg.contains("Token price — tiny (seed 7)"),
        "title text missing from the SVG"
    );
    assert!(svg.contains("USD per token"), "y unit missing");
    assert!(!svg.contains("NaN"), "NaN coordinates in the SVG");
}

#[test]
fn plot_selected_metrics_into_another_folder() {
    let dir = Dir::new("plot-select");
    run_tiny(&dir, "run", &[]);
    dir.command()
        .args([
            "plot",
            "run",
            "--metrics",
            "token_price,gini_provider_revenue",
            "--out",
            "pics",
        ])
        .run();
    assert_eq!(
        dir.list("pics"),
        vec![
            "gini_provider_revenue.png",
            "overview.png",
            "token_price.png"
        ]
    );
    let one = dir
        .command()
        .args([
            "plot",
            "run",
            "--metrics",
            "velocity",
            "--format",
            "svg",
            "--out",
            "one",
        ])
        .run();
    assert!(
        one.stdout.contains("wrote 1 chart files"),
        "{}",
        one.describe()
    );
    assert_eq!(dir.list("one"), vec!["velocity.svg"]);
}

#[test]
fn plot_sweep_folder_draws_fans_heatmaps_and_curves() {
    let dir = Dir::new("plot-sweep");
    let out = dir
        .command()
        .arg("plot")
        .arg(sweep_fixture("sweep_grid"))
        .args(["--out", "p"])
        .run();
    let files = dir.list("p");
    for prefix in [
        "fan_platform_share_requests",
        "heatmap_final_platform_share_requests",
        "response_",
        "hist_",
    ] {
        assert!(
            files.iter().any(|f| f.starts_with(prefix)),
            "{prefix}… missing: {files:?}"
        );
    }
    assert!(
        out.stderr.contains("sensitivity"),
        "the missing sensitivity.csv is reported\n{}",
        out.describe()
    );
    let heat = files
        .iter()
        .find(|f| f.starts_with("heatmap_final_platform_share"))
        .unwrap();
    let (w, h, rgb) = decode_png(&dir.join("p").join(heat));
    assert_eq!((w, h), (1200, 675));
    assert!(dark_pixels(w, &rgb, (15, 12, 500, 42)) > 300);
    let sobol = dir
        .command()
        .arg("plot")
        .arg(sweep_fixture("sweep_sobol"))
        .args(["--out", "s"])
        .run();
    assert!(
        dir.list("s").iter().any(|f| f.starts_with("sensitivity_")),
        "{}",
        sobol.describe()
    );
    assert!(sobol.stderr.contains("no steps/"), "{}", sobol.describe());
}

#[test]
fn plot_errors_exit_2_and_name_the_problem() {
    let dir = Dir::new("plot-errors");
    dir.command()
        .args(["plot", "nowhere"])
        .fail()
        .stderr_has(&["nowhere", "not found"]);
    dir.create_dir("empty");
    dir.command()
        .args(["plot", "empty"])
        .fail()
        .stderr_has(&["empty", "neither a run folder"]);
    run_tiny(&dir, "run", &[]);
    dir.command()
        .args(["plot", "run", "--metrics", "bogus"])
        .fail()
        .stderr_has(&["unknown metric `bogus`", "token_price"]);
    dir.create("broken/summary.json", "{\"headline\": {}}");
    dir.create("broken/steps.csv", "step,token_price_usd\n0,0.02\n1\n");
    dir.command()
        .args(["plot", "broken"])
        .fail()
        .stderr_has(&["broken/steps.csv", "row 3"]);
    dir.command()
        .args(["report", "nowhere"])
        .fail()
        .stderr_has(&["nowhere"]);
    dir.command()
        .args(["compare", "run"])
        .fail()
        .stderr_has(&["two folders"]);
    dir.command()
        .args(["compare", "run", "nowhere"])
        .fail()
        .stderr_has(&["nowhere", "not found"]);
}

#[test]
fn compare_two_runs_with_the_same_seed() {
    let dir = Dir::new("compare-runs");
    run_tiny(&dir, "a", &[]);
    run_tiny(&dir, "b", &["--set", "platform.seller_fee_rate=0.05"]);
    let out = dir
        .command()
        .args(["compare", "a", "b", "--out", "cmp"])
        .run();
    assert!(
        out.stdout
            .contains("paired with common random numbers: 1 pair(s), seed 7, run 0"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("Final platform request share: B "),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("no confidence interval"),
        "{}",
        out.describe()
    );
    let files = dir.list("cmp");
    assert!(
        files.contains(&"comparison.csv".to_string())
            && files.contains(&"diff_platform_share_requests.png".to_string()),
        "{files:?}"
    );
    let csv = dir.read("cmp/comparison.csv");
    assert!(
        csv.starts_with("metric,n_pairs,mean_a,mean_b,mean_diff,"),
        "{csv}"
    );
    assert!(csv.contains("\nfinal_platform_share_requests,1,"), "{csv}");
}

#[test]
fn compare_two_arms_of_a_sweep() {
    let dir = Dir::new("compare-arms");
    let out = dir
        .command()
        .args(["compare"])
        .arg(sweep_fixture("sweep_grid"))
        .args([
            "--arm",
            "point_id=0",
            "--arm",
            "point_id=2",
            "--metrics",
            "final_platform_share_requests",
            "--out",
            "ab",
        ])
        .run();
    assert!(
        out.stdout.contains("3 pair(s), seed 42, run 0–2"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout.contains("B is lower than A by 19.1 pp"),
        "{}",
        out.describe()
    );
    assert!(
        out.stdout
            .contains("B higher in 0 of 3 paired runs — clear at 95%"),
        "{}",
        out.describe()
    );
    assert!(
        dir.list("ab")
            .contains(&"diff_platform_share_requests.png".to_string())
    );
    dir.command()
        .arg("compare")
        .arg(sweep_fixture("sweep_grid"))
        .args(["--arm", "point_id=0", "--arm", "point_id=99"])
        .fail()
        .stderr_has(&["no finished run", "point_id=99"]);
}
