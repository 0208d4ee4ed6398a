//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// mindmarket: agent-based simulator of the AI-services market (decentralized agents vs
/// centralized incumbents, with tokens).
#[derive(Parser, Debug)]
#[command(name = "mindmarket", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and write its outputs (steps.csv, agents.csv, summary.json,
    /// scenario.resolved.toml).
    Run(RunArgs),
    /// Validate a scenario without running it.
    Check(CheckArgs),
}

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

/// `mindmarket run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Output folder (default: out/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores, or RAYON_NUM_THREADS). Never changes the results.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar and no summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `mindmarket check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}
