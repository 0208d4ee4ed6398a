//! Output sinks: the only module that touches the filesystem. A run folder gets `steps.csv` (one
//! row per recorded step), `categories.csv` (one row per recorded step and category), `agents.csv` (final state per offering), `summary.json` (headline
//! results, conservation check, and a `timing` block) and `scenario.resolved.toml`. Every file is
//! written to a temporary name and renamed when complete, so an interrupted run never leaves a
//! file that looks complete.

mod atomic;
mod summary;

pub use atomic::{AtomicFile, write_atomic};
pub use summary::{RunSummary, SummaryAccumulator, Timing};

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Simulation;
use crate::error::SimError;
use crate::ledger::Account;
use crate::metrics::StepMetrics;
use crate::state::Ecosystem;
use crate::units::{TOKEN_UNIT, nano_to_usd};

fn io(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Streams a run into a folder.
pub struct RunWriter {
    dir: PathBuf,
    steps: csv::Writer<AtomicFile>,
    categories: csv::Writer<AtomicFile>,
    record_every: u32,
    last_steps: u32,
    acc: SummaryAccumulator,
}

impl RunWriter {
    /// Creates the folder and starts `steps.csv` (as a temporary file).
    pub fn create(
        dir: &Path,
        record_every: u32,
        total_steps: u32,
        categories: u32,
    ) -> Result<RunWriter, SimError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join("steps.csv");
        let file = AtomicFile::create(&path).map_err(io(&path))?;
        let cpath = dir.join("categories.csv");
        let cfile = AtomicFile::create(&cpath).map_err(io(&cpath))?;
        Ok(RunWriter {
            dir: dir.to_path_buf(),
            steps: csv::Writer::from_writer(file),
            categories: csv::Writer::from_writer(cfile),
            record_every: record_every.max(1),
            last_steps: total_steps,
            acc: SummaryAccumulator::new(categories),
        })
    }

    /// Records one step (written if it is a recorded step or the last one).
    pub fn step(&mut self, m: &StepMetrics) -> Result<(), SimError> {
        self.acc.add(m);
        if m.step.is_multiple_of(self.record_every) || m.step + 1 == self.last_steps {
            let path = self.dir.join("steps.csv");
            self.steps.serialize(m).map_err(|e| SimError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let cpath = self.dir.join("categories.csv");
            for c in &m.categories {
                self.categories.serialize(c).map_err(|e| SimError::Io {
                    path: cpath.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            }
        }
        Ok(())
    }

    /// The summary so far (without timing).
    pub fn summary(&self, sim: &Simulation, scenario_hash: &str) -> RunSummary {
        self.acc.summary(sim, scenario_hash)
    }

    /// Writes `agents.csv`, `summary.json` and `scenario.resolved.toml`, then completes
    /// `steps.csv`; each file appears only when whole.
    pub fn finish(
        self,
        sim: &Simulation,
        summary: &RunSummary,
        resolved_toml: &str,
    ) -> Result<(), SimError> {
        let steps_path = self.dir.join("steps.csv");
        let file = self.steps.into_inner().map_err(|e| SimError::Io {
            path: steps_path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let cats_path = self.dir.join("categories.csv");
        let cats = self.categories.into_inner().map_err(|e| SimError::Io {
            path: cats_path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let mut json = serde_json::to_string_pretty(summary).expect("summary serializes");
        json.push('\n');
        // Stage every file under its temporary name first; rename only when all are written, so
        // a failure leaves a previous run's files untouched (steps.csv is renamed last).
        let mut staged = Vec::new();
        for (name, bytes) in [
            ("agents.csv", agents_csv(sim)),
            ("summary.json", json.into_bytes()),
            ("scenario.resolved.toml", resolved_toml.as_bytes().to_vec()),
        ] {
            let path = self.dir.join(name);
            let mut f = AtomicFile::create(&path).map_err(io(&path))?;
            f.write_all(&bytes).map_err(io(&path))?;
            staged.push((path, f));
        }
        staged.push((cats_path, cats));
        for (path, f) in staged {
            f.commit().map_err(io(&path))?;
        }
        file.commit().map_err(io(&steps_path))?;
        Ok(())
    }
}

/// One row of `agents.csv`.
#[derive(Serialize)]
struct AgentRow<'a> {
    id: u32,
    ecosystem: String,
    category: &'a str,
    composite: bool,
    active: bool,
    born_step: u32,
    exit_step: Option<u32>,
    pricing: &'static str,
    quote_currency: &'static str,
    price: f64,
    quality: f64,
    reputation: f64,
    capacity: Option<u64>,
    demand_ewma: f64,
    cum_requests: u64,
    cum_revenue_usd: f64,
    cum_profit_usd: f64,
    wallet_tokens: f64,
    cash_usd: f64,
}

/// The final state of every offering, as CSV bytes.
pub fn agents_csv(sim: &Simulation) -> Vec<u8> {
    let o = &sim.world.offerings;
    let p = &sim.params;
    let mut w = csv::Writer::from_writer(Vec::new());
    for j in 0..o.len() {
        let cat = &p.categories[o.category[j] as usize];
        let row = AgentRow {
            id: j as u32,
            ecosystem: match o.ecosystem[j] {
                Ecosystem::Platform => "platform".into(),
                Ecosystem::Incumbent(k) => format!("incumbent:{}", p.s.incumbents[k as usize].name),
            },
            category: &cat.name,
            composite: !cat.recipe.is_empty(),
            active: o.active[j],
            born_step: o.born[j],
            exit_step: (o.exited[j] != u32::MAX).then_some(o.exited[j]),
            pricing: o.rule[j].kind(),
            quote_currency: match o.quote[j] {
                crate::scenario::QuoteCurrency::Usd => "usd",
                crate::scenario::QuoteCurrency::Token => "token",
            },
            price: o.price[j],
            quality: o.quality[j],
            reputation: o.reputation[j],
            capacity: (o.capacity[j] != u64::MAX).then_some(o.capacity[j]),
            demand_ewma: o.demand_ewma[j].max(0.0),
            cum_requests: o.cum_requests[j],
            cum_revenue_usd: o.cum_revenue_usd[j],
            cum_profit_usd: o.cum_profit_usd[j],
            wallet_tokens: sim.ledger.tokens(Account::Offering(j as u32)) as f64
                / TOKEN_UNIT as f64,
            cash_usd: nano_to_usd(sim.ledger.usd(Account::Offering(j as u32))),
        };
        w.serialize(row).expect("in-memory CSV");
    }
    w.into_inner().expect("in-memory CSV")
}
