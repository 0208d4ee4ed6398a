//! V8, constant-product AMM closed forms (MODEL.md §8), through the engine and through the pure
//! functions of `exchange`.
//!
//! Engine: the scenario's customers buy tokens every step (fee 0, providers never sell): after
//! buys totalling F_t USD the pool's mid is p₀(1 + F_t/x₀)² and x·y = k up to rounding dust,
//! which may only raise k (≤ 1 base unit per order). With `single_buy` overrides, a companion run
//! makes one buy of B USD with the scenario's fee: tokens out = y₀B(1 − f)/(x₀ + B(1 − f)).
//! Pure: (a) F = `total_buy_usd` split over `splits` orders in `batches` batches, fee 0; (b) one
//! buy of F with fee `fee_rate`; (c) a batch with B = S·p₀ inside the bid–ask band leaves the pool
//! unchanged. Tolerance: `tolerance` relative plus one base unit (or nano-USD) per order.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory, with_overrides};
use crate::error::SimError;
use crate::exchange::{Branch, Pool, clear_batch, swap_usd_for_tokens};
use crate::ledger::Account;
use crate::scenario::{ExchangeModel, Scenario, ScenarioError};
use crate::units::{TOKEN_UNIT, USD_UNIT};

/// `kind = "amm_closed_forms"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Allowed relative error (on top of one base unit per order).
    pub tolerance: f64,
    /// F of the pure checks (USD).
    pub total_buy_usd: f64,
    /// Exchange fee of the pure checks (b) and (c).
    pub fee_rate: f64,
    /// Orders of pure check (a).
    pub splits: u32,
    /// Batches of pure check (a).
    pub batches: u32,
    /// `--set` overrides of the engine's single-buy companion (empty: no companion).
    pub single_buy: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            tolerance: 1e-9,
            total_buy_usd: 1e6,
            fee_rate: 0.003,
            splits: 7,
            batches: 3,
            single_buy: Vec::new(),
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        super::positive(src, "tolerance", self.tolerance)?;
        super::positive(src, "total_buy_usd", self.total_buy_usd)?;
        src.require(
            (0.0..0.1).contains(&self.fee_rate),
            "validation.fee_rate",
            || format!("must be in [0, 0.1), got {}", self.fee_rate),
        )?;
        src.require(
            self.splits >= 1 && self.batches >= 1 && self.batches <= self.splits,
            "validation.splits",
            || "need splits ≥ batches ≥ 1".into(),
        )
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        src.require(
            s.exchange.model == ExchangeModel::Cpmm,
            "exchange.model",
            || "must be \"cpmm\"".into(),
        )?;
        src.require(s.exchange.fee_rate == 0.0, "exchange.fee_rate", || {
            "must be 0 in the main run (x·y = k exactly); the single-buy companion sets a fee"
                .into()
        })?;
        src.require(
            s.providers.provider_sell_share == 0.0,
            "providers.provider_sell_share",
            || "must be 0: the engine path is a sequence of buys".into(),
        )?;
        src.require(!s.speculators.enabled, "speculators.enabled", || {
            "must be false".into()
        })?;
        src.require(!s.token.staking.enabled, "token.staking.enabled", || {
            "must be false".into()
        })?;
        src.require(s.token.pool_share > 0.0, "token.pool_share", || {
            "must be > 0".into()
        })
    }
}

/// The pool of the scenario at t = 0 (nano-USD, base units).
fn genesis_pool(s: &Scenario, fee: f64) -> Pool {
    let g = (s.token.genesis_supply_tokens * TOKEN_UNIT as f64).round() as i128;
    Pool {
        usd: (s.exchange.pool_usd * USD_UNIT as f64).round() as i128,
        tokens: crate::units::split_floor(g, crate::units::share_to_ppm(s.token.pool_share)),
        fee_bps: (fee * 1e4).round() as u32,
    }
}

/// USD per token of x nano-USD and y base units.
fn usd_per_token(x: f64, y: f64) -> f64 {
    x / y * TOKEN_UNIT as f64 / USD_UNIT as f64
}

/// Check (b): `tokens_out` base units for one buy of `buy` nano-USD against (x0, y0) with a fee
/// of `fee_bps` basis points. The closed form y₀B(1 − f)/(x₀ + B(1 − f)) is evaluated exactly in
/// integers (f = fee_bps/10⁴, so it is ⌊y₀·B·g/(10⁴x₀ + g·B)⌋ with g = 10⁴ − fee_bps): a float
/// evaluation would carry an error of several base units at these magnitudes.
pub fn check_single_buy(
    label: &str,
    x0: i128,
    y0: i128,
    fee_bps: u32,
    buy: i128,
    tokens_out: i128,
    tol: f64,
) -> Check {
    let g = 10_000 - fee_bps as i128;
    let want = crate::units::mul_div_floor(y0, buy * g, 10_000 * x0 + g * buy);
    Check::new(
        format!(
            "{label}tokens out of one buy of {} USD = y₀B(1 − f)/(x₀ + B(1 − f)), fee {} (base units)",
            num(buy as f64 / USD_UNIT as f64),
            fee_bps as f64 / 1e4
        ),
        want as f64,
        tokens_out as f64,
        (tokens_out - want).abs() as f64,
        1.0 + tol * want as f64,
    )
}

/// Check (a): the mid after buys `f_usd` (nano-USD) vs p₀(1 + F/x₀)², allowing `orders` base units.
pub fn check_mid(
    label: &str,
    x0: i128,
    y0: i128,
    x: i128,
    y: i128,
    orders: u64,
    tol: f64,
) -> Check {
    let f = (x - x0) as f64;
    let want = usd_per_token(x0 as f64, y0 as f64) * (1.0 + f / x0 as f64).powi(2);
    let got = usd_per_token(x as f64, y as f64);
    Check::new(
        format!(
            "{label}mid after buys of F = {} USD vs p₀(1 + F/x₀)², relative",
            num(f / USD_UNIT as f64)
        ),
        want,
        got,
        (got / want - 1.0).abs(),
        tol + orders as f64 / y as f64,
    )
}

pub(super) fn run(par: &Params, s: &Scenario, report: &mut CaseReport) -> Result<(), SimError> {
    let p0 = genesis_pool(s, 0.0);
    let (x0, y0) = (p0.usd, p0.tokens);
    let k0 = x0 as f64 * y0 as f64;
    // Engine path.
    let mut path = Vec::new();
    let (mut orders, mut sells, mut buys_logged) = (0u64, 0i128, 0i128);
    let (mut k_drop, mut worst) = (0.0f64, None::<Check>);
    simulate(s, |sim, m| {
        let x = sim.ledger.usd(Account::Pool);
        let y = sim.ledger.tokens(Account::Pool);
        let b = sim.last_step();
        orders += b.spend_nano.iter().filter(|&&v| v > 0).count() as u64;
        sells += b.exchange.sell_tokens;
        buys_logged += b.exchange.buy_usd;
        k_drop = k_drop.max(1.0 - x as f64 * y as f64 / k0);
        let c = check_mid("", x0, y0, x, y, orders.max(1), par.tolerance);
        if worst
            .as_ref()
            .is_none_or(|w| c.error - c.tolerance > w.error - w.tolerance)
        {
            worst = Some(c);
        }
        path.push((m.step as f64, x, y));
    })?;
    let (xt, yt) = path.last().map_or((x0, y0), |p| (p.1, p.2));
    let c = &mut report.checks;
    c.push(check_mid(
        "engine, final: ",
        x0,
        y0,
        xt,
        yt,
        orders.max(1),
        par.tolerance,
    ));
    if let Some(w) = worst {
        c.push(Check {
            name: format!("engine, worst step: {}", w.name),
            ..w
        });
    }
    c.push(Check::new(
        "engine: 1 − min_t x_t·y_t/k (k never decreases)",
        0.0,
        k_drop,
        k_drop.max(0.0),
        0.0,
    ));
    c.push(Check::new(
        "engine: pool USD gained − Σ buy orders (nano-USD)",
        buys_logged as f64,
        (xt - x0) as f64,
        ((xt - x0) - buys_logged).abs() as f64,
        0.0,
    ));
    c.push(Check::new(
        "engine: tokens sold to the pool (a buys-only path)",
        0.0,
        sells as f64,
        sells as f64,
        0.0,
    ));
    report.notes.push(format!(
        "engine: x₀ = {} USD, y₀ = {} tokens, p₀ = {}; {} buy orders over {} steps totalling F = {} USD; final mid {} (closed form {})",
        num(x0 as f64 / USD_UNIT as f64),
        num(y0 as f64 / TOKEN_UNIT as f64),
        num(usd_per_token(x0 as f64, y0 as f64)),
        orders,
        path.len(),
        num((xt - x0) as f64 / USD_UNIT as f64),
        num(usd_per_token(xt as f64, yt as f64)),
        num(usd_per_token(x0 as f64, y0 as f64) * (1.0 + (xt - x0) as f64 / x0 as f64).powi(2)),
    ));
    if !par.single_buy.is_empty() {
        let single = with_overrides(s, &par.single_buy)?;
        let fee = single.exchange.fee_rate;
        let p1 = genesis_pool(&single, fee);
        let mut after = (p1.usd, p1.tokens);
        let mut n_orders = 0usize;
        let mut one = true;
        simulate(&single, |sim, _| {
            if one {
                after = (
                    sim.ledger.usd(Account::Pool),
                    sim.ledger.tokens(Account::Pool),
                );
                n_orders = sim
                    .last_step()
                    .spend_nano
                    .iter()
                    .filter(|&&v| v > 0)
                    .count();
                one = false;
            }
        })?;
        report.checks.push(check_single_buy(
            "engine: ",
            p1.usd,
            p1.tokens,
            p1.fee_bps,
            after.0 - p1.usd,
            p1.tokens - after.1,
            par.tolerance,
        ));
        report.notes.push(format!(
            "engine single buy ({}): {} buy order(s) in the first step",
            par.single_buy.join(", "),
            n_orders
        ));
    }
    // Pure functions.
    let f = (par.total_buy_usd * USD_UNIT as f64).round() as i128;
    let weights: Vec<i128> = (1..=par.splits as i128).collect();
    let total_w: i128 = weights.iter().sum();
    let mut amounts: Vec<i128> = weights.iter().map(|w| f * w / total_w).collect();
    amounts[0] += f - amounts.iter().sum::<i128>();
    let mut pool = p0;
    let mut k_ok = true;
    let per = (par.splits / par.batches) as usize;
    let mut pure_path = vec![(0.0, usd_per_token(x0 as f64, y0 as f64))];
    let mut spent = 0i128;
    for b in 0..par.batches as usize {
        let end = if b + 1 == par.batches as usize {
            amounts.len()
        } else {
            (b + 1) * per
        };
        let batch = &amounts[b * per..end];
        let r = clear_batch(&pool, batch, &[], &[]);
        let before = pool.usd as f64 * pool.tokens as f64;
        pool = r.pool_after;
        k_ok &= pool.usd as f64 * pool.tokens as f64 >= before;
        spent += batch.iter().sum::<i128>();
        pure_path.push((
            spent as f64 / USD_UNIT as f64,
            usd_per_token(pool.usd as f64, pool.tokens as f64),
        ));
    }
    report.checks.push(check_mid(
        &format!(
            "pure (a), {} orders in {} batches: ",
            par.splits, par.batches
        ),
        x0,
        y0,
        pool.usd,
        pool.tokens,
        par.splits as u64,
        par.tolerance,
    ));
    report.checks.push(Check::new(
        "pure (a): batches where x·y decreased",
        0.0,
        (!k_ok) as u8 as f64,
        (!k_ok) as u8 as f64,
        0.0,
    ));
    let pf = Pool {
        fee_bps: (par.fee_rate * 1e4).round() as u32,
        ..p0
    };
    let r = clear_batch(&pf, &[f], &[], &[]);
    report.checks.push(check_single_buy(
        "pure (b): ",
        x0,
        y0,
        pf.fee_bps,
        f,
        r.tokens_out[0],
        par.tolerance,
    ));
    let closed = theory::cpmm_tokens_out(
        x0 as f64 / USD_UNIT as f64,
        y0 as f64 / TOKEN_UNIT as f64,
        par.total_buy_usd,
        pf.fee_bps as f64 / 1e4,
    );
    report.notes.push(format!(
        "pure (b): one buy of {} USD at fee {} returns {:.8} tokens (closed form in floating point: {:.1})",
        num(par.total_buy_usd),
        pf.fee_bps as f64 / 1e4,
        r.tokens_out[0] as f64 / TOKEN_UNIT as f64,
        closed
    ));
    report.checks.push(Check::new(
        "pure (b): batch of one buy − single swap (base units)",
        swap_usd_for_tokens(&pf, f) as f64,
        r.tokens_out[0] as f64,
        (r.tokens_out[0] - swap_usd_for_tokens(&pf, f)).abs() as f64,
        0.0,
    ));
    // (c) B = S·p₀ inside the band.
    let buy = (1000.0 * USD_UNIT as f64) as i128;
    let sell = crate::units::mul_div_floor(buy, y0, x0);
    let r = clear_batch(&pf, &[buy], &[sell], &[]);
    let mid0 = usd_per_token(x0 as f64, y0 as f64);
    let mid1 = usd_per_token(r.pool_after.usd as f64, r.pool_after.tokens as f64);
    report.checks.push(Check::new(
        format!(
            "pure (c): B = S·p₀ crosses inside the band (branch {:?}), mid change, relative",
            r.branch
        ),
        mid0,
        mid1,
        if r.branch == Branch::Cross {
            (mid1 / mid0 - 1.0).abs()
        } else {
            f64::INFINITY
        },
        par.tolerance + 2.0 / y0 as f64,
    ));
    let mut plot = Plot::new(
        "mid_price",
        "V8 constant-product pool: mid price vs p₀(1 + F/x₀)²",
        "USD bought so far (F)",
        "USD per token",
    );
    let mut engine = vec![(0.0, usd_per_token(x0 as f64, y0 as f64))];
    engine.extend(path.iter().map(|&(_, x, y)| {
        (
            (x - x0) as f64 / USD_UNIT as f64,
            usd_per_token(x as f64, y as f64),
        )
    }));
    plot.series
        .push(Series::points("engine (fee 0)", Role::Model, engine));
    plot.series.push(Series::points(
        "pure batches (fee 0)",
        Role::Reference,
        pure_path,
    ));
    let fmax = (par.total_buy_usd).max((xt - x0) as f64 / USD_UNIT as f64);
    plot.series.push(Series::line(
        "p₀(1 + F/x₀)²",
        Role::Theory,
        (0..=50)
            .map(|i| {
                let fi = fmax * i as f64 / 50.0;
                (
                    fi,
                    theory::cpmm_mid_after(
                        x0 as f64 / USD_UNIT as f64,
                        y0 as f64 / TOKEN_UNIT as f64,
                        fi,
                    ),
                )
            })
            .collect(),
    ));
    report.plots.push(plot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_passes_and_a_fee_charged_twice_fails() {
        let pool = Pool {
            usd: 1_000_000 * USD_UNIT,
            tokens: 1_000_000_000 * TOKEN_UNIT,
            fee_bps: 30,
        };
        let f = 1_000_000 * USD_UNIT;
        let r = clear_batch(&pool, &[f], &[], &[]);
        let ok = check_single_buy("", pool.usd, pool.tokens, 30, f, r.tokens_out[0], 1e-9);
        assert!(ok.pass && ok.error == 0.0, "{ok:?}");
        assert!((ok.expected / 1e8 - 499_248_873.3).abs() < 0.05);
        // A broken pool that takes the fee twice (on the way in and again on the way out).
        let twice =
            theory::cpmm_tokens_out(pool.usd as f64, pool.tokens as f64, f as f64 * 0.997, 0.003);
        let bad = check_single_buy("", pool.usd, pool.tokens, 30, f, twice as i128, 1e-9);
        assert!(!bad.pass, "{bad:?}");
    }

    #[test]
    fn mid_after_buys() {
        let (x0, y0) = (1_000_000 * USD_UNIT, 1_000_000_000 * TOKEN_UNIT);
        let pool = Pool {
            usd: x0,
            tokens: y0,
            fee_bps: 0,
        };
        let r = clear_batch(&pool, &[400_000 * USD_UNIT, 600_000 * USD_UNIT], &[], &[]);
        let c = check_mid("", x0, y0, r.pool_after.usd, r.pool_after.tokens, 2, 1e-9);
        assert!(c.pass && (c.expected - 0.004).abs() < 1e-15, "{c:?}");
        // A pool that keeps the fee-free invariant but charges 30 bp drifts off the closed form.
        let r = clear_batch(
            &Pool {
                fee_bps: 30,
                ..pool
            },
            &[1_000_000 * USD_UNIT],
            &[],
            &[],
        );
        assert!(!check_mid("", x0, y0, r.pool_after.usd, r.pool_after.tokens, 1, 1e-9).pass);
    }
}
