//! `mindmarket report` opened in a real browser: Debian's headless Chromium renders the report of
//! a run folder and of a sweep folder to a screenshot (a non-blank PNG) and dumps the DOM, which
//! must have the report's sections and headings and inline SVG charts.
//!
//! Chromium is required: without it this test fails and says how to install it
//! (`apt-get install -y chromium`), unless MINDMARKET_SKIP_BROWSER=1 is set.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use util::Dir;

/// The Chromium binary: $MINDMARKET_CHROMIUM, or `chromium` / `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MINDMARKET_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium, or None when the test is explicitly skipped; panics with install advice otherwise.
fn browser_or_skip() -> Option<PathBuf> {
    if let Some(c) = chromium() {
        return Some(c);
    }
    if std::env::var("MINDMARKET_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("MINDMARKET_SKIP_BROWSER=1: skipping the browser test (chromium not found)");
        return None;
    }
    panic!(
        "this test opens the HTML report in headless Chromium, which is not installed.\n\
         Install it with:  sudo apt-get update && sudo apt-get install -y chromium\n\
         (or point MINDMARKET_CHROMIUM at a Chromium binary; set MINDMARKET_SKIP_BROWSER=1 to skip)"
    );
}

/// Runs Chromium headless on `page` with `mode` (`--screenshot=…` or `--dump-dom`), killing it
/// after 90 s; returns stdout.
fn run_chromium(chrome: &Path, dir: &Dir, page: &Path, mode: &str) -> String {
    let profile = tempfile::tempdir().expect("profile folder");
    let out_path = profile.path().join("stdout.txt");
    let err_path = profile.path().join("stderr.txt");
    let url = format!(
        "file://{}",
        page.canonicalize().expect("report path").display()
    );
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(&url)
        .current_dir(dir.path())
        .env("HOME", profile.path())
        .stdin(Stdio::null())
        // Files, not pipes: the DOM is larger than a pipe buffer and Chromium would block on it.
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chrome.display()));
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for chromium") {
            break st;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s ({mode})");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        status.success(),
        "chromium failed ({mode}): {status}\n{stderr}"
    );
    std::fs::read_to_string(&out_path).expect("chromium's stdout")
}

/// Checks that `shot` is a PNG of the window size with real content: text, and (when `charts`)
/// coloured chart pixels.
fn assert_non_blank_screenshot(shot: &Path, charts: bool) {
    let file = std::fs::File::open(shot)
        .unwrap_or_else(|e| panic!("no screenshot {}: {e}", shot.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!((info.width, info.height), (1280, 2000), "screenshot size");
    let bpp = info.color_type.samples();
    let px = buf[..info.buffer_size()].chunks(bpp);
    let (mut dark, mut colored, mut total) = (0usize, 0usize, 0usize);
    for p in px {
        total += 1;
        let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
        dark += (r + g + b < 200) as usize;
        colored += ((r - b).abs() > 60 || (g - b).abs() > 60) as usize;
    }
    assert!(
        dark > total / 500,
        "screenshot has almost no dark (text) pixels: {dark} of {total}"
    );
    if charts {
        assert!(
            colored > total / 1000,
            "screenshot has almost no coloured (chart) pixels: {colored} of {total}"
        );
    }
}

#[test]
fn run_report_renders_in_headless_chromium() {
    let Some(chrome) = browser_or_skip() else {
        return;
    };
    let dir = Dir::new("report-run");
    let scenario = dir.copy_data("tiny.toml");
    dir.command()
        .args(["run", scenario.as_str(), "--out", "run", "--quiet"])
        .run();
    dir.command().args(["report", "run"]).run();
    let page = dir.join("run/report.html");
    let html = dir.read("run/report.html");
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"),
        "not self-contained"
    );
    run_chromium(
        &chrome,
        &dir,
        &page,
        &format!("--screenshot={}", dir.join("shot.png").display()),
    );
    // The first 2000 pixels of the page hold the tables and the overview chart.
    assert_non_blank_screenshot(&dir.join("shot.png"), true);
    let dom = run_chromium(&chrome, &dir, &page, "--dump-dom");
    for needle in [
        "<section id=\"summary\">",
        "<section id=\"headline\">",
        "<section id=\"charts\">",
        "<section id=\"notes\">",
        "<h2>Scenario</h2>",
        "<h2>Headline results</h2>",
        "<h2>Charts</h2>",
        "Final platform request share",
        "scenario hash",
        "id=\"chart-overview\"",
        "id=\"chart-token_price\"",
        "<svg",
    ] {
        assert!(dom.contains(needle), "the rendered DOM lacks {needle:?}");
    }
    assert!(
        dom.matches("<svg").count() >= 11,
        "expected the overview and 10 charts as inline SVG"
    );
}

#[test]
fn sweep_report_renders_in_headless_chromium() {
    let Some(chrome) = browser_or_skip() else {
        return;
    };
    let dir = Dir::new("report-sweep");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("analysis/tests/fixtures/sweep_sobol");
    dir.command()
        .arg("report")
        .arg(&fixture)
        .args(["--out", "sweep.html"])
        .run();
    let page = dir.join("sweep.html");
    run_chromium(
        &chrome,
        &dir,
        &page,
        &format!("--screenshot={}", dir.join("shot.png").display()),
    );
    assert_non_blank_screenshot(&dir.join("shot.png"), false);
    let dom = run_chromium(&chrome, &dir, &page, "--dump-dom");
    for needle in [
        "<section id=\"summary\">",
        "<section id=\"headline\">",
        "<section id=\"points\">",
        "<section id=\"sensitivity\">",
        "<section id=\"charts\">",
        "<h2>Design points</h2>",
        "<h2>Sensitivity indices</h2>",
        "platform.seller_fee_rate",
        "id=\"chart-sensitivity_final_platform_share_requests\"",
    ] {
        assert!(dom.contains(needle), "the rendered DOM lacks {needle:?}");
    }
}
