//! Command-line arguments (clap derive). Each subcommand's arguments live beside its code in
//! `commands/<name>.rs`; this enum is the one registration point.

use clap::{Parser, Subcommand};

use crate::commands;

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
    Run(commands::run::RunArgs),
    /// Validate a scenario without running it.
    Check(commands::check::CheckArgs),
}
