//! `summary.json`: headline results accumulated over the steps, the conservation check, and a
//! `timing` block (the only part of any output that differs between runs of the same scenario and
//! seed: wall time and thread count are measured by the caller, never by this crate).

use serde::Serialize;

use crate::Simulation;
use crate::metrics::StepMetrics;

/// Steps the critical-mass conditions must hold for (MODEL.md §7.15).
pub const CRITICAL_HOLD: u32 = 30;
/// Platform request share that counts as critical mass.
pub const CRITICAL_SHARE: f64 = 0.05;

/// Most go-to-market events listed in summary.json.
pub const MAX_EVENTS: usize = 10_000;

/// Wall-clock figures supplied by the caller.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timing {
    /// Wall time of the step loop (seconds).
    pub wall_seconds: f64,
    /// Steps per second.
    pub steps_per_second: f64,
    /// Customers × steps per second.
    pub customer_steps_per_second: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// Conservation outcome.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Conservation {
    /// Whether the ledger was checked at the end of every step.
    pub checked_every_step: bool,
    /// max |Σ token balances − supply| over steps (base units).
    pub max_abs_error_tokens: i128,
    /// max |Σ fiat balances| over steps (nano-USD).
    pub max_abs_error_usd: i128,
    /// Whether both are zero.
    pub ok: bool,
}

/// `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Run index.
    pub run: u64,
    /// Program version.
    pub program_version: String,
    /// Hash of the resolved scenario.
    pub scenario_hash: String,
    /// Steps run.
    pub steps: u32,
    /// Customers.
    pub customers: u64,
    /// Offerings ever listed (platform and incumbent).
    pub offerings: u64,
    /// Headline results.
    pub headline: Headline,
    /// Conservation check.
    pub conservation: Conservation,
    /// The last step's metrics.
    pub final_step: StepMetrics,
    /// Go-to-market events (MODEL.md §7.13): starts, budget or treasury exhaustion, stops,
    /// bounties, cohorts, workshops, airdrops; at most [`MAX_EVENTS`], the first ones.
    pub gtm_events: Vec<crate::state::gtm::GtmEvent>,
    /// Wall time and throughput (not covered by the determinism guarantee).
    pub timing: Timing,
}

/// Headline figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Headline {
    /// First step of a 30-step stretch with platform share ≥ 5 % and ≥ 80 % of categories covered.
    pub time_to_critical_mass: Option<u32>,
    /// First step with a platform request share ≥ 50 %.
    pub tipped_at: Option<u32>,
    /// Platform request share at the last step.
    pub final_platform_share_requests: f64,
    /// Onboarded customers at the last step.
    pub final_onboarded_customers: u64,
    /// Peak onboarded customers.
    pub peak_onboarded_customers: u64,
    /// Σ platform GMV (USD).
    pub total_gmv_platform_usd: f64,
    /// Σ incumbent GMV (USD).
    pub total_gmv_incumbent_usd: f64,
    /// Σ B2B GMV (USD).
    pub total_gmv_b2b_usd: f64,
    /// Token price at the first and last step (USD).
    pub token_price_first_usd: f64,
    /// Token price at the last step (USD).
    pub token_price_last_usd: f64,
    /// Lowest batch price (USD).
    pub token_price_min_usd: f64,
    /// Highest batch price (USD).
    pub token_price_max_usd: f64,
    /// Σ unserved requests.
    pub total_unserved_requests: u64,
    /// Mean per-step velocity.
    pub mean_velocity: f64,
    /// Σ go-to-market treasury outlays (USD).
    pub total_gtm_spend_usd: f64,
    /// Go-to-market strategies stopped by their budget, the treasury or unpaid obligations.
    pub gtm_stops: u32,
}

/// Accumulates the headline figures step by step.
#[derive(Clone, Debug, Default)]
pub struct SummaryAccumulator {
    h: Headline,
    c: Conservation,
    steps: u32,
    streak: u32,
    velocity_sum: f64,
    last: StepMetrics,
    categories: u32,
}

impl SummaryAccumulator {
    /// An empty accumulator for a scenario with `categories` categories.
    pub fn new(categories: u32) -> SummaryAccumulator {
        SummaryAccumulator {
            categories,
            ..SummaryAccumulator::default()
        }
    }

    /// Adds one step.
    pub fn add(&mut self, m: &StepMetrics) {
        let h = &mut self.h;
        if self.steps == 0 {
            h.token_price_first_usd = m.token_price_usd;
            h.token_price_min_usd = m.token_price_usd;
            h.token_price_max_usd = m.token_price_usd;
        }
        self.steps += 1;
        h.token_price_last_usd = m.token_price_usd;
        h.token_price_min_usd = h.token_price_min_usd.min(m.token_price_usd);
        h.token_price_max_usd = h.token_price_max_usd.max(m.token_price_usd);
        h.total_gmv_platform_usd += m.gmv_platform_usd;
        h.total_gmv_incumbent_usd += m.gmv_incumbent_usd;
        h.total_gmv_b2b_usd += m.gmv_b2b_usd;
        h.total_unserved_requests += m.unserved_requests;
        h.total_gtm_spend_usd = m.gtm_spend_cum_usd;
        h.gtm_stops += m.gtm_stops;
        h.final_platform_share_requests = m.platform_share_requests;
        h.final_onboarded_customers = m.onboarded_customers;
        h.peak_onboarded_customers = h.peak_onboarded_customers.max(m.onboarded_customers);
        self.velocity_sum += m.velocity;
        h.mean_velocity = self.velocity_sum / self.steps as f64;
        if h.tipped_at.is_none() && m.platform_share_requests >= 0.5 {
            h.tipped_at = Some(m.step);
        }
        let covered = m.categories_covered as f64 >= 0.8 * self.categories as f64;
        if covered && m.platform_share_requests >= CRITICAL_SHARE {
            self.streak += 1;
            if self.streak == CRITICAL_HOLD && h.time_to_critical_mass.is_none() {
                h.time_to_critical_mass = Some(m.step + 1 - CRITICAL_HOLD);
            }
        } else {
            self.streak = 0;
        }
        self.c.max_abs_error_tokens = self
            .c
            .max_abs_error_tokens
            .max(m.conservation_error_tokens.abs());
        self.c.max_abs_error_usd = self.c.max_abs_error_usd.max(m.conservation_error_usd.abs());
        self.last = m.clone();
    }

    /// The summary (timing left at zero; the caller fills it in).
    pub fn summary(&self, sim: &Simulation, scenario_hash: &str) -> RunSummary {
        let s = &sim.params.s;
        let mut c = self.c.clone();
        c.checked_every_step = s.engine.check_invariants;
        c.ok = c.max_abs_error_tokens == 0 && c.max_abs_error_usd == 0;
        RunSummary {
            scenario: s.run.name.clone(),
            seed: s.run.seed,
            run: s.run.run,
            program_version: crate::VERSION.to_string(),
            scenario_hash: scenario_hash.to_string(),
            steps: self.steps,
            customers: sim.params.customers as u64,
            offerings: sim.world.offerings.len() as u64,
            headline: self.h.clone(),
            conservation: c,
            final_step: self.last.clone(),
            gtm_events: sim.gtm_events().iter().take(MAX_EVENTS).cloned().collect(),
            timing: Timing::default(),
        }
    }
}
