//! The subcommands, one file each; `cli.rs` registers them.

pub mod check;
pub mod compare;
pub mod merge;
pub mod plot;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod sweep;
pub mod validate;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::cli::Command;

/// Options shared by commands that load a scenario.
#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// Scenario TOML file.
    pub scenario: PathBuf,
    /// Override a key: `--set segments[0].size=500` (repeatable; applied before validation).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Master seed (same as `--set run.seed=N`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of steps (same as `--set run.steps=N`).
    #[arg(long)]
    pub steps: Option<u32>,
}

/// A comma-separated `--metrics`-style list as given: trimmed, empty entries dropped.
pub fn clean_list(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Runs a parsed command line.
pub fn dispatch(cli: crate::cli::Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Plot(a) => plot::run(a),
        Command::Report(a) => report::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Scenarios(a) => scenarios::run(a),
    }
}
