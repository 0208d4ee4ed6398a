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
    /// Run a scenario and write its outputs (steps.csv, categories.csv, agents.csv, summary.json,
    /// scenario.resolved.toml).
    Run(commands::run::RunArgs),
    /// Validate a scenario without running it.
    Check(commands::check::CheckArgs),
    /// Run an experiment: a design of parameter values × replications, in parallel, streamed to
    /// a sweep folder (manifest.json, runs.csv, points.csv, sensitivity.csv, steps/); resumable
    /// (--resume) and shardable (--shard K/N).
    Sweep(commands::sweep::SweepArgs),
    /// Join the shard folders of a sweep into one folder identical to the unsharded sweep's.
    Merge(commands::merge::MergeArgs),
    /// Draw the charts of a run or sweep folder (PNG and/or SVG, into DIR/plots/).
    Plot(commands::plot::PlotArgs),
    /// Write one self-contained HTML report of a run or sweep folder (DIR/report.html).
    Report(commands::report::ReportArgs),
    /// Compare two runs or two sweep arms with common random numbers: paired differences with
    /// 95 % bootstrap intervals.
    Compare(commands::compare::CompareArgs),
    /// Run the analytic validation cases (scenarios/validation/, MODEL.md §8): a table of expected
    /// vs observed values with tolerances; exit code 2 if any case fails.
    Validate(commands::validate::ValidateArgs),
    /// List the built-in scenarios (MODEL.md §9) with the question each answers.
    Scenarios(commands::scenarios::ScenariosArgs),
}
