//! V7, Buterin's MC = T·H (Little's law L = λW; MODEL.md §8): customers spend a constant T USD per
//! step at a USD-quoted price and keep H_b = `prefund_steps` of spend in escrow
//! (`spend_ewma_alpha = 1`); the provider sells what it receives H_s = `provider_hold_steps`
//! later; the whole genesis M_g starts in a fee-free constant-product pool with x₀ USD. In steady
//! state the tokens held for transactions are T·H/p with H = H_b + H_s, so
//! p·(M_g − y_pool) = T·H and, with y_pool = sqrt(k/p), k = x₀·M_g,
//! p* = [(sqrt(k) + sqrt(k + 4 M_g T H))/(2 M_g)]².
//! Checks, for every step from `from_step`: |p_t/p* − 1| ≤ `tolerance` and
//! |p_t(M_g − y_t)/(T H) − 1| ≤ `tolerance`; with `fee_variant`, a companion run with that exchange
//! fee asserts only the second relation.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory, with_overrides};
use crate::error::SimError;
use crate::ledger::Account;
use crate::scenario::{CapacityMode, EmissionSchedule, QuoteCurrency, Scenario, ScenarioError};
use crate::units::TOKEN_UNIT;

/// `kind = "buterin_mc_th"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// First step checked.
    pub from_step: u32,
    /// Allowed relative error of both relations.
    pub tolerance: f64,
    /// Exchange fee of the companion run that asserts only p(M_g − y) = T·H (absent: none).
    pub fee_variant: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            from_step: 50,
            tolerance: 0.005,
            fee_variant: Some(0.003),
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        super::positive(src, "tolerance", self.tolerance)?;
        if let Some(f) = self.fee_variant {
            src.require((0.0..0.1).contains(&f), "validation.fee_variant", || {
                format!("must be in [0, 0.1), got {f}")
            })?;
        }
        Ok(())
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        super::neutral(s, src, &[])?;
        super::all_onboarded(s, src)?;
        src.require(self.from_step < s.run.steps, "validation.from_step", || {
            format!("must be below run.steps = {}", s.run.steps)
        })?;
        src.require(s.incumbents.is_empty(), "incumbents", || {
            "must be empty".into()
        })?;
        for (i, g) in s.segments.iter().enumerate() {
            let key = |k: &str| format!("segments[{i}].{k}");
            src.require(g.jobs_per_step == 1.0, &key("jobs_per_step"), || {
                "must be 1 (a constant spend T)".into()
            })?;
            src.require(
                g.requests_per_job_sigma == 0.0,
                &key("requests_per_job_sigma"),
                || "must be 0 (a constant spend T)".into(),
            )?;
            src.require(g.spend_ewma_alpha == 1.0, &key("spend_ewma_alpha"), || {
                "must be 1 (the escrow target is H_b × this step's spend)".into()
            })?;
            src.require(!g.uses_gateway, &key("uses_gateway"), || {
                "must be false (gateway users hold no escrow)".into()
            })?;
            src.require(
                g.budget_usd_per_step.is_none(),
                &key("budget_usd_per_step"),
                || "must be absent".into(),
            )?;
        }
        let groups = super::platform_groups(s);
        src.require(groups.len() == 1, "providers.initial", || {
            "the case has exactly one platform offering".into()
        })?;
        let g = &s.providers.initial[0];
        src.require(
            g.quote_currency == QuoteCurrency::Usd,
            "providers.initial[0].quote_currency",
            || "must be \"usd\" (T is constant in USD)".into(),
        )?;
        src.require(
            g.pricing.kind() == "fixed",
            "providers.initial[0].pricing",
            || "must be { kind = \"fixed\" }".into(),
        )?;
        src.require(
            g.capacity_mode == CapacityMode::OnDemand,
            "providers.initial[0].capacity_mode",
            || "must be \"on_demand\"".into(),
        )?;
        src.require(
            g.marginal_cost_usd == Some(0.0),
            "providers.initial[0].marginal_cost_usd",
            || "must be 0: the provider's only flow is its token revenue".into(),
        )?;
        src.require(
            s.providers.provider_sell_share == 1.0,
            "providers.provider_sell_share",
            || "must be 1 (providers sell all revenue)".into(),
        )?;
        let t = &s.token;
        src.require(
            t.treasury_share == 0.0 && t.pool_share == 1.0,
            "token.pool_share",
            || "genesis must be all in the pool: pool_share = 1, treasury_share = 0".into(),
        )?;
        src.require(
            t.emission.schedule == EmissionSchedule::None,
            "token.emission.schedule",
            || "must be \"none\"".into(),
        )?;
        src.require(!t.staking.enabled, "token.staking.enabled", || {
            "must be false".into()
        })?;
        src.require(
            !s.speculators.enabled && s.speculators.genesis_share == 0.0,
            "speculators.enabled",
            || "speculators must be off and hold no genesis".into(),
        )?;
        Ok(())
    }
}

/// T (USD per step), H (steps), M_g (tokens) and k (USD·tokens) of the scenario.
pub fn parameters(s: &Scenario) -> (f64, f64, f64, f64) {
    let price = s.providers.initial[0].price * (1.0 + s.platform.buyer_fee_rate);
    let t: f64 = s
        .segments
        .iter()
        .map(|g| g.size as f64 * g.requests_per_job_median.round().max(1.0) * price)
        .sum();
    let h_b = s.segments[0].prefund_steps;
    let h = h_b + s.providers.provider_hold_steps as f64;
    let m_g = s.token.genesis_supply_tokens * s.token.pool_share;
    (t, h, m_g, s.exchange.pool_usd * m_g)
}

/// The steady state of V7: p* and T·H.
#[derive(Clone, Copy, Debug)]
pub struct Steady {
    /// p* (USD per token).
    pub price: f64,
    /// T·H (USD).
    pub th: f64,
}

/// The checks of V7 on `prices[t]` (batch price, USD per token) and `held[t]` = M_g − y_t (tokens
/// outside the pool) from step `from`: [price relation, p(M_g − y) = T·H].
pub fn check(st: Steady, from: usize, prices: &[f64], held: &[f64], tol: f64) -> [Check; 2] {
    let worst = |xs: &mut dyn Iterator<Item = f64>| {
        xs.fold((f64::NAN, 0.0f64), |m, x| {
            let e = (x - 1.0).abs();
            if m.0.is_nan() || e > m.1 { (x, e) } else { m }
        })
    };
    let (p_ratio, p_err) = worst(&mut prices.iter().skip(from).map(|p| p / st.price));
    let (mc_ratio, mc_err) = worst(
        &mut prices
            .iter()
            .zip(held)
            .skip(from)
            .map(|(p, h)| p * h / st.th),
    );
    let empty = prices.len() <= from;
    [
        Check::new(
            format!("max |p_t/p* − 1| from step {from} (worst p_t/p*)"),
            1.0,
            p_ratio,
            if empty { f64::NAN } else { p_err },
            tol,
        ),
        Check::new(
            format!("max |p_t(M_g − y_t)/(T·H) − 1| from step {from} (worst ratio)"),
            1.0,
            mc_ratio,
            if empty { f64::NAN } else { mc_err },
            tol,
        ),
    ]
}

struct Path {
    prices: Vec<f64>,
    held: Vec<f64>,
    escrow_usd: f64,
    provider_usd: f64,
}

fn simulate_path(s: &Scenario, m_g: f64) -> Result<Path, SimError> {
    let unit = TOKEN_UNIT as f64;
    let mut path = Path {
        prices: Vec::new(),
        held: Vec::new(),
        escrow_usd: 0.0,
        provider_usd: 0.0,
    };
    simulate(s, |sim, m| {
        let p = m.token_price_usd;
        path.prices.push(p);
        path.held
            .push(m_g - sim.ledger.tokens(Account::Pool) as f64 / unit);
        path.escrow_usd = m.escrow_tokens * p;
        path.provider_usd = sim.ledger.tokens(Account::Offering(0)) as f64 / unit * p;
    })?;
    Ok(path)
}

pub(super) fn run(par: &Params, s: &Scenario, report: &mut CaseReport) -> Result<(), SimError> {
    let (t, h, m_g, k) = parameters(s);
    let p_star = theory::buterin_price(k, m_g, t, h);
    let th = t * h;
    let from = par.from_step as usize;
    let st = Steady { price: p_star, th };
    let main = simulate_path(s, m_g)?;
    report.checks = check(st, from, &main.prices, &main.held, par.tolerance).to_vec();
    let h_b = s.segments[0].prefund_steps;
    let h_s = s.providers.provider_hold_steps as f64;
    report.notes.push(format!(
        "T = {} USD/step, H = H_b + H_s = {} + {} steps, M_g = {} tokens, x₀ = {} USD: p* = {} USD/token; final p = {}",
        num(t),
        num(h_b),
        num(h_s),
        num(m_g),
        num(s.exchange.pool_usd),
        num(p_star),
        num(main.prices.last().copied().unwrap_or(0.0))
    ));
    report.notes.push(format!(
        "at the last step customers' escrow is worth {} USD = {} × H_b·T, the provider's wallet {} USD = {} × H_s·T (Little's law wants 1 and 1)",
        num(main.escrow_usd),
        num(main.escrow_usd / (h_b * t)),
        num(main.provider_usd),
        num(main.provider_usd / (h_s * t)),
    ));
    let mut plot = Plot::new(
        "price",
        "V7 MC = T·H: token price vs the steady state p*",
        "step",
        "USD per token",
    );
    plot.series.push(Series::line(
        "model p_t (fee 0)",
        Role::Model,
        main.prices
            .iter()
            .enumerate()
            .map(|(k, &p)| (k as f64, p))
            .collect(),
    ));
    plot.hlines.push((p_star, "p*".into()));
    let mut ratio = Plot::new(
        "mc_th",
        "V7 MC = T·H: p_t·(M_g − y_t)/(T·H)",
        "step",
        "ratio",
    );
    ratio.series.push(Series::line(
        "model (fee 0)",
        Role::Model,
        main.prices
            .iter()
            .zip(&main.held)
            .enumerate()
            .map(|(k, (p, y))| (k as f64, p * y / th))
            .collect(),
    ));
    ratio.hlines.push((1.0, "Little's law".into()));
    if let Some(fee) = par.fee_variant {
        let v = with_overrides(s, &[format!("exchange.fee_rate={fee}")])?;
        let var = simulate_path(&v, m_g)?;
        let [_, mc] = check(st, from, &var.prices, &var.held, par.tolerance);
        report.checks.push(Check {
            name: format!("fee {fee}: {}", mc.name),
            ..mc
        });
        report.notes.push(format!(
            "fee {fee}: final p = {}, escrow {} × H_b·T, provider {} × H_s·T",
            num(var.prices.last().copied().unwrap_or(0.0)),
            num(var.escrow_usd / (h_b * t)),
            num(var.provider_usd / (h_s * t)),
        ));
        ratio.series.push(Series::line(
            format!("model (fee {fee})"),
            Role::Reference,
            var.prices
                .iter()
                .zip(&var.held)
                .enumerate()
                .map(|(k, (p, y))| (k as f64, p * y / th))
                .collect(),
        ));
    }
    report.plots.push(plot);
    report.plots.push(ratio);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steady_state_passes_and_an_over_held_escrow_fails() {
        let (k, m_g, t, h) = (1e15, 1e9, 1e4, 8.0);
        let p = theory::buterin_price(k, m_g, t, h);
        let held = t * h / p;
        let prices = vec![p; 100];
        let st = Steady {
            price: p,
            th: t * h,
        };
        let good = check(st, 50, &prices, &vec![held; 100], 0.005);
        assert!(good.iter().all(|c| c.pass), "{good:?}");
        // Customers that never sell escrow above target hold 10 % too much.
        let over = check(st, 50, &prices, &vec![1.1 * held; 100], 0.005);
        assert!(!over[1].pass);
    }
}
