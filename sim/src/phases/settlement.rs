//! P8, settlement (MODEL.md §7.9): every accepted job and every B2B purchase is paid through the
//! ledger in a fixed order (end-customer fills in matching order, then composites from the deepest
//! level down), fees go to the treasury and a share of them is burned, firms pay their costs to the
//! outside world. A payer short of tokens has its payment cut (the requests count as unpaid).

use super::b2b::{slot, width};
use super::snapshot::Snapshot;
use super::{StepBuf, StepCtx};
use crate::error::SimError;
use crate::ledger::{Account, Flow, Ledger};
use crate::scenario::{CapacityMode, QuoteCurrency};
use crate::state::{Ecosystem, NONE, World};
use crate::units::{PPM, Price, TOKEN_UNIT, mul_div_ceil, mul_div_floor, nano_to_usd, split_floor, usd_to_nano};

/// Gross of `n` requests at a USD price, in whole nano-USD (the same rounding in P7 and P8).
pub fn gross_nano(n: u64, price_usd: f64) -> i128 {
    usd_to_nano(n as f64 * price_usd)
}

/// Token price per request in base units for a token quote.
pub fn price_base(price_tokens: f64) -> i128 {
    (price_tokens * TOKEN_UNIT as f64).round() as i128
}

/// Before P7: what each customer and composite must pay this step (USD quotes in nano-USD
/// including the buyer fee; token quotes as exact token amounts).
pub fn tally_spend(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, buf: &mut StepBuf) {
    let fb = ctx.p.buyer_fee_ppm;
    let n = w.customers.len();
    buf.spend_nano.clear();
    buf.spend_nano.resize(n, 0);
    buf.need_tokens.clear();
    buf.need_tokens.resize(n, 0);
    let o = &w.offerings;
    for f in &buf.fills {
        let j = f.offering as usize;
        if !o.is_platform(j) {
            continue;
        }
        let i = buf.jobs[f.job as usize].customer as usize;
        match o.quote[j] {
            QuoteCurrency::Usd => {
                let g = gross_nano(f.n as u64, snap.price_usd[j]);
                buf.spend_nano[i] += g + mul_div_ceil(g, fb as i128, PPM);
            }
            QuoteCurrency::Token => {
                let g = f.n as i128 * price_base(o.price[j]);
                buf.need_tokens[i] += g + split_floor(g, fb);
            }
        }
    }
    buf.b2b_spend_nano.clear();
    buf.b2b_spend_nano.resize(o.len(), 0);
    let wd = width(ctx);
    for j in 0..o.len() {
        let recipe = &ctx.p.categories[o.category[j] as usize].recipe;
        if !o.is_platform(j) || recipe.is_empty() || buf.served[j] == 0 {
            continue;
        }
        for (k, &(_, u)) in recipe.iter().enumerate() {
            let s = buf.supply[slot(wd, j, k)].0;
            if s != NONE && o.is_platform(s as usize) {
                let units = buf.served[j] * u as u64;
                let g = gross_nano(units, snap.price_usd[s as usize]);
                buf.b2b_spend_nano[j] += g + mul_div_ceil(g, fb as i128, PPM);
            }
        }
    }
}

/// Pays gross `g` (base units) from `payer` to platform offering `to`, with fees; cuts `g` to what
/// the payer holds. Returns the gross actually paid.
#[allow(clippy::too_many_arguments)]
fn pay_platform(
    ctx: &StepCtx<'_>,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    payer: Account,
    to: u32,
    g: i128,
    flow: Flow,
) -> Result<i128, SimError> {
    let p = ctx.p;
    let (fb, fs) = (p.buyer_fee_ppm, p.seller_fee_ppm);
    let have = ledger.tokens(payer);
    let mut g = g;
    if g + split_floor(g, fb) > have {
        // The largest g' with g' + ⌊f_b·g'⌋ ≤ have.
        g = g.min(mul_div_floor(have, PPM, PPM + fb as i128));
    }
    let (s, b) = (split_floor(g, fs), split_floor(g, fb));
    ledger.transfer_tokens(ctx.step, payer, Account::Offering(to), g - s, flow)?;
    ledger.transfer_tokens(ctx.step, payer, Account::Treasury, s + b, Flow::Fee)?;
    buf.settle.fees_tokens += s + b;
    buf.received_tokens[to as usize] += g - s;
    Ok(g)
}

/// Runs P8 at batch price `pt`.
pub fn settle(
    ctx: &StepCtx<'_>,
    w: &mut World,
    snap: &Snapshot,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    pt: Price,
) -> Result<(), SimError> {
    let p = ctx.p;
    let step = ctx.step;
    let n_off = w.offerings.len();
    let pt_usd = pt.usd_per_token();
    let tok_usd = |g: i128| g as f64 / TOKEN_UNIT as f64 * pt_usd;
    buf.received_tokens.clear();
    buf.received_tokens.resize(n_off, 0);
    buf.revenue_usd.clear();
    buf.revenue_usd.resize(n_off, 0.0);
    buf.cost_usd.clear();
    buf.cost_usd.resize(n_off, 0.0);

    // End-customer fills, in matching order.
    for k in 0..buf.fills.len() {
        let f = buf.fills[k];
        let j = f.offering as usize;
        let i = buf.jobs[f.job as usize].customer;
        match w.offerings.ecosystem[j] {
            Ecosystem::Platform => {
                let g = match w.offerings.quote[j] {
                    QuoteCurrency::Usd => pt.tokens_for_usd_floor(gross_nano(f.n as u64, snap.price_usd[j])),
                    QuoteCurrency::Token => f.n as i128 * price_base(w.offerings.price[j]),
                };
                let paid = pay_platform(ctx, ledger, buf, Account::Customer(i), f.offering, g, Flow::Payment)?;
                if paid < g {
                    let paid_n = if g > 0 { mul_div_floor(f.n as i128, paid, g) } else { 0 };
                    buf.settle.unpaid_requests += f.n as u64 - paid_n as u64;
                }
                buf.settle.gross_platform_tokens += paid;
                buf.revenue_usd[j] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm));
            }
            Ecosystem::Incumbent(_) => {
                let g = gross_nano(f.n as u64, snap.price_usd[j]);
                ledger.transfer_usd(step, Account::External, Account::Offering(f.offering), g, Flow::IncumbentRevenue)?;
                buf.settle.incumbent_usd += g;
                buf.revenue_usd[j] += nano_to_usd(g);
            }
        }
    }

    // B2B purchases, composites from the deepest level down, then by id.
    let wd = width(ctx);
    let o = &w.offerings;
    let mut composites: Vec<usize> = (0..n_off)
        .filter(|&j| o.is_platform(j) && !p.categories[o.category[j] as usize].recipe.is_empty() && buf.served[j] > 0)
        .collect();
    composites.sort_by_key(|&j| (std::cmp::Reverse(p.categories[o.category[j] as usize].depth), j));
    for j in composites {
        let recipe = p.categories[w.offerings.category[j] as usize].recipe.clone();
        for (k, &(_, u)) in recipe.iter().enumerate() {
            let s = buf.supply[slot(wd, j, k)].0;
            if s == NONE {
                continue;
            }
            let units = buf.served[j] * u as u64;
            let su = s as usize;
            buf.served[su] += units;
            let g_usd = gross_nano(units, snap.price_usd[su]);
            if w.offerings.is_platform(su) {
                let g = pt.tokens_for_usd_floor(g_usd);
                let paid = pay_platform(ctx, ledger, buf, Account::Offering(j as u32), s, g, Flow::B2b)?;
                buf.settle.gross_b2b_tokens += paid;
                let v = tok_usd(paid);
                buf.revenue_usd[su] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm));
                buf.cost_usd[j] += v * (1.0 + p.buyer_fee());
            } else {
                ledger.transfer_usd(step, Account::Offering(j as u32), Account::Offering(s), g_usd, Flow::B2b)?;
                buf.settle.b2b_incumbent_usd += g_usd;
                buf.revenue_usd[su] += nano_to_usd(g_usd);
                buf.cost_usd[j] += nano_to_usd(g_usd);
            }
        }
    }

    // Costs: fixed cost of platform firms, compute (reserved: the whole capacity; on demand and
    // incumbents: per request served), paid to the outside world.
    let pr = &p.s.providers;
    let o = &w.offerings;
    for j in 0..n_off {
        if !o.active[j] {
            continue;
        }
        let served = buf.served[j] as f64;
        let compute = match (o.cost_override[j], o.ecosystem[j], o.capacity_mode[j]) {
            (Some(c), _, _) => c * served,
            (None, Ecosystem::Incumbent(_), _) => super::pricing::slot_cost_usd(ctx, w, j) * served,
            (None, _, CapacityMode::OnDemand) => {
                super::pricing::slot_cost_usd(ctx, w, j) * (1.0 + pr.on_demand_premium) * served
            }
            (None, _, CapacityMode::Reserved) => {
                let cap = buf.capacity_now[j];
                let cap = if cap == u64::MAX { served } else { o.capacity[j] as f64 };
                super::pricing::slot_cost_usd(ctx, w, j) * cap
            }
        };
        let fixed = if o.is_platform(j) { pr.fixed_cost_usd_per_step } else { 0.0 };
        let cost = usd_to_nano(compute + fixed);
        ledger.transfer_usd(step, Account::Offering(j as u32), Account::External, cost, Flow::Cost)?;
        buf.cost_usd[j] += nano_to_usd(cost);
    }

    // Fee burn: a share of the step's fee credit.
    let burn = split_floor(buf.settle.fees_tokens, p.fee_burn_ppm);
    ledger.burn(step, Account::Treasury, burn)?;
    buf.settle.burned_tokens = burn;
    Ok(())
}
