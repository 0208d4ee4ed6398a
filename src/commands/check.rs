//! `mindmarket check`: validate a scenario without running it.

use anyhow::Result;

use super::ScenarioArgs;
use super::run::load;

/// `mindmarket check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The scenario and overrides.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

/// Runs the command.
pub fn run(a: CheckArgs) -> Result<()> {
    let s = load(&a.scenario)?;
    let customers: u64 = s.segments.iter().map(|g| g.size as u64).sum();
    let offerings: u64 = s
        .providers
        .initial
        .iter()
        .map(|g| g.count as u64)
        .sum::<u64>()
        + (s.incumbents.len() * s.categories.len()) as u64;
    println!(
        "{}: ok — scenario `{}`, {} steps, {} categories, {} segments ({} customers), {} initial offerings, seed {}",
        a.scenario.scenario.display(),
        s.run.name,
        s.run.steps,
        s.categories.len(),
        s.segments.len(),
        customers,
        offerings,
        s.run.seed
    );
    Ok(())
}
