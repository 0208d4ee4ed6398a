//! `mindmarket run`: one scenario, one run folder.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use mindmarket_sim::output::{RunWriter, Timing};
use mindmarket_sim::{Scenario, Simulation, scenario};

use super::ScenarioArgs;

/// `mindmarket run`.
#[derive(clap::Args, Debug)]
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

/// Loads, overrides and resolves a scenario.
pub fn load(a: &ScenarioArgs) -> Result<Scenario> {
    let mut sets = Vec::new();
    if let Some(seed) = a.seed {
        sets.push(format!("run.seed={seed}"));
    }
    if let Some(steps) = a.steps {
        sets.push(format!("run.steps={steps}"));
    }
    sets.extend(a.set.iter().cloned());
    Ok(scenario::load_resolved(
        &a.scenario,
        &sets,
        mindmarket_sim::VERSION,
    )?)
}

/// Runs the command.
pub fn run(a: RunArgs) -> Result<()> {
    let s = load(&a.scenario)?;
    let out: PathBuf = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&s.run.name));
    let threads = a.threads.unwrap_or(s.engine.threads);
    let mut sim = Simulation::new(&s, threads)?;
    let hash = scenario::scenario_hash(&s);
    let resolved = scenario::to_toml(&s);
    let steps = s.run.steps;
    let mut writer = RunWriter::create(
        &out,
        s.output.record_every,
        steps,
        sim.params.categories.len() as u32,
    )?;
    let pb = if a.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(steps as u64).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} step {pos}/{len} ({eta}) {msg}",
            )
            .expect("valid template"),
        )
    };
    let start = Instant::now();
    while !sim.finished() {
        let m = sim
            .step()
            .with_context(|| format!("run of {} stopped", a.scenario.scenario.display()))?;
        writer.step(&m)?;
        pb.set_message(format!(
            "token {:.4} USD, platform share {:.3}",
            m.token_price_usd, m.platform_share_requests
        ));
        pb.inc(1);
    }
    let wall = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let mut summary = writer.summary(&sim, &hash);
    summary.timing = Timing {
        wall_seconds: wall,
        steps_per_second: steps as f64 / wall.max(1e-9),
        customer_steps_per_second: steps as f64 * sim.params.customers as f64 / wall.max(1e-9),
        threads: sim.threads(),
    };
    writer.finish(&sim, &summary, &resolved)?;
    if !a.quiet {
        let h = &summary.headline;
        println!(
            "wrote {}/ (steps.csv, categories.csv, agents.csv, summary.json, scenario.resolved.toml)",
            out.display()
        );
        println!(
            "{} steps × {} customers in {:.2} s on {} threads: {:.3e} customer-steps/s",
            steps,
            sim.params.customers,
            wall,
            summary.timing.threads,
            summary.timing.customer_steps_per_second
        );
        println!(
            "platform share {:.3}, onboarded {}, token {:.5} → {:.5} USD, platform GMV {:.0} USD, B2B GMV {:.0} USD, conservation {}",
            h.final_platform_share_requests,
            h.final_onboarded_customers,
            h.token_price_first_usd,
            h.token_price_last_usd,
            h.total_gmv_platform_usd,
            h.total_gmv_b2b_usd,
            if summary.conservation.ok {
                "exact (error 0)"
            } else {
                "VIOLATED"
            }
        );
    }
    Ok(())
}
