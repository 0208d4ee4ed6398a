//! `mindmarket plot`: the charts of a run or sweep folder as PNG and/or SVG files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mindmarket_analysis::plot::{self, Chart, ImageFormat};
use mindmarket_analysis::{Folder, charts};

/// Image formats to write.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// PNG only.
    Png,
    /// SVG only.
    Svg,
    /// PNG and SVG.
    Both,
}

impl FormatArg {
    /// The formats.
    pub fn formats(self) -> &'static [ImageFormat] {
        match self {
            FormatArg::Png => &[ImageFormat::Png],
            FormatArg::Svg => &[ImageFormat::Svg],
            FormatArg::Both => &[ImageFormat::Png, ImageFormat::Svg],
        }
    }
}

/// `mindmarket plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// A run folder (from `mindmarket run`) or a sweep folder (from `mindmarket sweep`).
    pub dir: PathBuf,
    /// Image format.
    #[arg(long, value_enum, default_value = "png")]
    pub format: FormatArg,
    /// Only these charts, comma-separated. Run folder: token_price, gmv_usd, gmv_tokens,
    /// request_share, category_share, active_customers, active_providers, velocity, treasury, hhi, gini, or any
    /// steps.csv column. Sweep folder: summary metrics (`all` for every one) or step columns.
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub metrics: Vec<String>,
    /// Output folder (default: DIR/plots/).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Prints `text` on stdout; a closed pipe (`… | head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Writes `charts` in every format into `out`; returns the paths.
pub fn write_charts(charts: &[Chart], out: &Path, format: FormatArg) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Vec::new();
    for c in charts {
        for f in format.formats() {
            written.push(plot::save(c, out, *f)?);
        }
    }
    Ok(written)
}

/// Runs the command.
pub fn run(a: PlotArgs) -> Result<()> {
    let folder = Folder::open(&a.dir)?;
    let out = a.out.clone().unwrap_or_else(|| a.dir.join("plots"));
    let metrics = super::clean_list(&a.metrics);
    let (list, skipped) = match &folder {
        Folder::Run(run) => {
            let list = charts::run_charts_with_overview(run, &metrics)?;
            (list, Vec::new())
        }
        Folder::Sweep(sweep) => {
            let s = charts::sweep_charts(sweep, &metrics)?;
            (s.charts, s.skipped)
        }
    };
    let written = write_charts(&list, &out, a.format)?;
    for s in &skipped {
        eprintln!("note: {s}");
    }
    let mut text = format!(
        "wrote {} chart files to {}/\n",
        written.len(),
        out.display()
    );
    for p in &written {
        text.push_str(&format!(
            "  {}\n",
            p.file_name().unwrap_or_default().to_string_lossy()
        ));
    }
    emit(&text)
}
