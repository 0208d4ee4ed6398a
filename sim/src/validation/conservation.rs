//! V6, exact conservation and the equation of exchange (MODEL.md §8): a scenario with every
//! mechanism on runs with each of `threads` worker counts. At the end of every step, exactly in
//! integers: Σ token accounts = genesis + minted − burned, Σ fiat accounts incl. the outside world =
//! 0, no forbidden negative balance (`Ledger::check`), every active platform firm's cash ≥
//! −`max_debt_usd`; the gross paid to platform offerings read from the ledger's transfer log
//! (flows Payment + Fee, and B2b + B2bFee for B2B) equals the gross settlement accumulated for the
//! metrics, and the row's `gmv_platform_tokens`; the log's mint and burn equal the row's; with PQ
//! from the log and M, V from the row, M·V = PQ to `identity_tolerance` (relative). Rows and state
//! digests are bit-identical for every thread count.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num};
use crate::Simulation;
use crate::StepMetrics;
use crate::error::SimError;
use crate::ledger::{Account, Flow};
use crate::scenario::{EmissionSchedule, Scenario, ScenarioError};
use crate::units::{TOKEN_UNIT, USD_UNIT};

/// `kind = "conservation"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Worker-thread counts whose runs must be bit-identical.
    pub threads: Vec<usize>,
    /// Allowed relative error of M·V = PQ.
    pub identity_tolerance: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threads: vec![1, 2, 8, 16],
            identity_tolerance: 1e-12,
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        src.require(
            !self.threads.is_empty() && self.threads.iter().all(|&t| (1..=1024).contains(&t)),
            "validation.threads",
            || "must list thread counts in [1, 1024]".into(),
        )?;
        src.require(
            self.identity_tolerance >= 0.0,
            "validation.identity_tolerance",
            || "must be >= 0".into(),
        )
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        let on = |ok: bool, key: &str, what: &str| {
            src.require(ok, key, || {
                format!("the conservation case runs every mechanism: {what}")
            })
        };
        on(
            s.token.emission.schedule != EmissionSchedule::None,
            "token.emission.schedule",
            "emission must be on",
        )?;
        on(
            s.token.staking.enabled,
            "token.staking.enabled",
            "staking must be on",
        )?;
        on(
            s.speculators.enabled,
            "speculators.enabled",
            "speculators must trade",
        )?;
        on(
            s.platform.seller_fee_rate > 0.0 && s.platform.fee_burn_share > 0.0,
            "platform.fee_burn_share",
            "seller fees and a fee burn must be on",
        )?;
        on(
            s.developers.developer_pool > 0,
            "developers.developer_pool",
            "developers must enter",
        )?;
        on(
            s.categories.iter().any(|c| !c.recipe.is_empty()),
            "categories",
            "a composite category is needed (B2B payments)",
        )?;
        on(
            !s.incumbents.is_empty(),
            "incumbents",
            "an incumbent is needed",
        )?;
        Ok(())
    }
}

/// What one run observed, summed over steps.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tally {
    rows: Vec<StepMetrics>,
    digests: Vec<u64>,
    /// Steps whose `Ledger::check` failed, and the largest |token error| and |fiat error|.
    failed_checks: u64,
    token_error: i128,
    usd_error: i128,
    /// Smallest cash + max_debt over active platform firms and steps (nano-USD).
    debt_margin: i128,
    /// Σ gross from the log, Σ from settlement, Σ |difference| per step: platform and B2B.
    log_platform: i128,
    settle_platform: i128,
    diff_platform: i128,
    log_b2b: i128,
    settle_b2b: i128,
    diff_b2b: i128,
    /// Σ |log − row| of the platform gross (base units, the row's f64 rounded).
    diff_row: i128,
    /// Σ |log − row| of mint and burn (base units).
    diff_mint_burn: i128,
    /// Largest relative error of M·V = PQ, and the (PQ, M·V) path.
    identity: f64,
    mv: Vec<(f64, f64)>,
}

fn run_once(s: &Scenario, threads: usize) -> Result<Tally, SimError> {
    let mut s = s.clone();
    // Checked here, so that a violation is a failed check rather than a stopped run.
    s.engine.check_invariants = false;
    let max_debt = (s.providers.max_debt_usd * USD_UNIT as f64).round() as i128;
    let mut sim = Simulation::new(&s, threads)?;
    let mut t = Tally {
        debt_margin: i128::MAX,
        ..Tally::default()
    };
    while !sim.finished() {
        let step = sim.step_index();
        let m = sim.step()?;
        let l = &sim.ledger;
        if l.check(step).is_err() {
            t.failed_checks += 1;
        }
        t.token_error = t.token_error.max(l.token_error().abs());
        t.usd_error = t.usd_error.max(l.usd_error().abs());
        let o = &sim.world.offerings;
        for j in 0..o.len() {
            if o.active[j] && o.is_platform(j) {
                t.debt_margin = t
                    .debt_margin
                    .min(l.usd(Account::Offering(j as u32)) + max_debt);
            }
        }
        let f = sim.last_flows();
        let b = sim.last_step();
        let gp = f.tokens[Flow::Payment as usize] + f.tokens[Flow::Fee as usize];
        let gb = f.tokens[Flow::B2b as usize] + f.tokens[Flow::B2bFee as usize];
        t.log_platform += gp;
        t.settle_platform += b.settle.gross_platform_tokens;
        t.diff_platform += (gp - b.settle.gross_platform_tokens).abs();
        t.log_b2b += gb;
        t.settle_b2b += b.settle.gross_b2b_tokens;
        t.diff_b2b += (gb - b.settle.gross_b2b_tokens).abs();
        let unit = TOKEN_UNIT as f64;
        t.diff_row += (gp - (m.gmv_platform_tokens * unit).round() as i128).abs();
        t.diff_mint_burn +=
            (f.tokens[Flow::Emission as usize] - (m.minted_tokens * unit).round() as i128).abs()
                + (f.tokens[Flow::Burn as usize] - (m.burned_tokens * unit).round() as i128).abs();
        let pq = (gp + gb) as f64;
        let mv = m.velocity * m.circulating_supply * unit;
        let e = if pq > 0.0 {
            (mv - pq).abs() / pq
        } else if mv == 0.0 {
            0.0
        } else {
            f64::INFINITY
        };
        t.identity = t.identity.max(e);
        t.mv.push((pq / unit, mv / unit));
        t.digests.push(sim.state_digest());
        t.rows.push(m);
    }
    Ok(t)
}

pub(super) fn run(par: &Params, s: &Scenario, report: &mut CaseReport) -> Result<(), SimError> {
    let mut tallies = Vec::new();
    for &threads in &par.threads {
        tallies.push((threads, run_once(s, threads)?));
    }
    let (t0, first) = &tallies[0];
    let worst = |f: &dyn Fn(&Tally) -> f64| {
        tallies
            .iter()
            .map(|(_, t)| f(t))
            .fold(0.0f64, |a, b| if b.is_nan() || b > a { b } else { a })
    };
    let c = &mut report.checks;
    c.push(Check::new(
        "steps failing Ledger::check (conservation, signs), all thread counts",
        0.0,
        worst(&|t| t.failed_checks as f64),
        worst(&|t| t.failed_checks as f64),
        0.0,
    ));
    c.push(Check::new(
        "max |Σ token balances − (genesis + minted − burned)| (base units)",
        0.0,
        worst(&|t| t.token_error as f64),
        worst(&|t| t.token_error as f64),
        0.0,
    ));
    c.push(Check::new(
        "max |Σ fiat balances incl. external| (nano-USD)",
        0.0,
        worst(&|t| t.usd_error as f64),
        worst(&|t| t.usd_error as f64),
        0.0,
    ));
    let margin = tallies
        .iter()
        .map(|(_, t)| t.debt_margin)
        .min()
        .unwrap_or(0);
    let margin_usd = if margin == i128::MAX {
        f64::INFINITY
    } else {
        margin as f64 / USD_UNIT as f64
    };
    c.push(Check::new(
        "min over active platform firms of cash + max_debt_usd (USD, must be ≥ 0)",
        0.0,
        margin_usd,
        (-margin_usd).max(0.0),
        0.0,
    ));
    let unit = TOKEN_UNIT as f64;
    c.push(Check::new(
        "Σ_t |platform gross: log (Payment + Fee) − settlement| (base units)",
        first.log_platform as f64 / unit,
        first.settle_platform as f64 / unit,
        worst(&|t| t.diff_platform as f64),
        0.0,
    ));
    c.push(Check::new(
        "Σ_t |B2B gross: log (B2b + B2bFee) − settlement| (base units)",
        first.log_b2b as f64 / unit,
        first.settle_b2b as f64 / unit,
        worst(&|t| t.diff_b2b as f64),
        0.0,
    ));
    c.push(Check::new(
        "Σ_t |platform gross: log − row gmv_platform_tokens| (base units)",
        first.log_platform as f64 / unit,
        first.rows.iter().map(|m| m.gmv_platform_tokens).sum(),
        worst(&|t| t.diff_row as f64),
        0.0,
    ));
    c.push(Check::new(
        "Σ_t |mint and burn: log − row| (base units)",
        0.0,
        worst(&|t| t.diff_mint_burn as f64),
        worst(&|t| t.diff_mint_burn as f64),
        0.0,
    ));
    c.push(Check::new(
        "max_t |M·V − PQ|/PQ (PQ from the log, M and V from the row)",
        0.0,
        worst(&|t| t.identity),
        worst(&|t| t.identity),
        par.identity_tolerance,
    ));
    let mut differing = 0u64;
    for (threads, t) in &tallies[1..] {
        let rows = t
            .rows
            .iter()
            .zip(&first.rows)
            .filter(|(a, b)| a != b)
            .count()
            + t.rows.len().abs_diff(first.rows.len());
        let digests = t
            .digests
            .iter()
            .zip(&first.digests)
            .filter(|(a, b)| a != b)
            .count();
        if rows + digests > 0 {
            report.notes.push(format!(
                "{threads} threads: {rows} rows and {digests} state digests differ from {t0} thread(s)"
            ));
        }
        differing += (rows + digests) as u64;
    }
    report.checks.push(Check::new(
        format!(
            "rows and state digests differing from {t0} thread(s) (threads {:?})",
            par.threads
        ),
        0.0,
        differing as f64,
        differing as f64,
        0.0,
    ));
    // Every mechanism must have been exercised, or the identities above prove less than they say.
    let rows = &first.rows;
    let any = |f: &dyn Fn(&StepMetrics) -> bool| rows.iter().any(f);
    let mechanisms: [(&str, bool); 11] = [
        ("onboarding", any(&|m| m.new_onboarded > 0)),
        ("deboarding", any(&|m| m.deboarded > 0)),
        (
            "rationing (unserved requests)",
            any(&|m| m.unserved_requests > 0),
        ),
        ("B2B purchases", any(&|m| m.gmv_b2b_usd > 0.0)),
        ("incumbent sales", any(&|m| m.requests_incumbent > 0)),
        ("developer entry", any(&|m| m.entrants > 0)),
        ("firm exit", any(&|m| m.exits > 0)),
        ("emission", any(&|m| m.minted_tokens > 0.0)),
        ("fee burn", any(&|m| m.burned_tokens > 0.0)),
        ("staking", any(&|m| m.staked_tokens > 0.0)),
        (
            "speculators",
            any(&|m| m.speculator_buy_usd > 0.0 || m.speculator_sell_tokens > 0.0),
        ),
    ];
    let idle: Vec<&str> = mechanisms.iter().filter(|m| !m.1).map(|m| m.0).collect();
    report.checks.push(Check::new(
        format!("mechanisms never exercised (of {})", mechanisms.len()),
        0.0,
        idle.len() as f64,
        idle.len() as f64,
        0.0,
    ));
    if !idle.is_empty() {
        report
            .notes
            .push(format!("never exercised: {}", idle.join(", ")));
    }
    let last = first.rows.last();
    report.notes.push(format!(
        "{} steps, {} customers; totals over the run: platform gross {} tokens, B2B gross {} tokens, minted {} tokens, burned {} tokens; final price {} USD",
        first.rows.len(),
        super::customers(s),
        num(first.log_platform as f64 / unit),
        num(first.log_b2b as f64 / unit),
        num(last.map_or(0.0, |m| m.minted_cum)),
        num(last.map_or(0.0, |m| m.burned_cum)),
        num(last.map_or(0.0, |m| m.token_price_usd)),
    ));
    let mut plot = Plot::new(
        "exchange_identity",
        "V6 equation of exchange: PQ from the transfer log vs M·V from the metrics",
        "step",
        "tokens per step",
    );
    plot.series.push(Series::line(
        "M·V (metrics)",
        Role::Model,
        first
            .mv
            .iter()
            .enumerate()
            .map(|(k, x)| (k as f64, x.1))
            .collect(),
    ));
    plot.series.push(Series::line(
        "PQ (transfer log)",
        Role::Theory,
        first
            .mv
            .iter()
            .enumerate()
            .map(|(k, x)| (k as f64, x.0))
            .collect(),
    ));
    report.plots.push(plot);
    Ok(())
}
