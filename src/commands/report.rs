//! `mindmarket report`: one self-contained `report.html` (inline SVG, no network) for a run or
//! sweep folder.

use std::path::PathBuf;

use anyhow::{Context, Result};
use mindmarket_analysis::{Folder, charts, report};

/// `mindmarket report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A run folder (from `mindmarket run`) or a sweep folder (from `mindmarket sweep`).
    pub dir: PathBuf,
    /// Output file (default: DIR/report.html).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only these charts and metrics, comma-separated (as for `mindmarket plot`).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub metrics: Vec<String>,
}

/// Runs the command.
pub fn run(a: ReportArgs) -> Result<()> {
    let folder = Folder::open(&a.dir)?;
    let metrics = super::clean_list(&a.metrics);
    let html = match &folder {
        Folder::Run(run) => {
            let list = charts::run_charts_with_overview(run, &metrics)?;
            report::run_report(run, &list)?
        }
        Folder::Sweep(sweep) => {
            let s = charts::sweep_charts(sweep, &metrics)?;
            let (chosen, _) = charts::sweep_metrics(sweep, &metrics)?;
            report::sweep_report(sweep, &s, &chosen)?
        }
    };
    let out = a.out.clone().unwrap_or_else(|| a.dir.join("report.html"));
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&out, html).with_context(|| format!("cannot write {}", out.display()))?;
    super::plot::emit(&format!(
        "wrote {} (self-contained: open it in any browser)\n",
        out.display()
    ))
}
