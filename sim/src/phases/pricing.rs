//! P3, pricing and costs: each offering's pricing rule sets its posted price (every
//! `reprice_every` steps, capped by `price_cap_usd`); the snapshot gets every offering's price in
//! USD and its full marginal cost. Parallel over offerings; each writes only its own slot.

use rayon::prelude::*;

use super::StepCtx;
use super::snapshot::Snapshot;
use crate::policy::pricing::OfferingView;
use crate::scenario::{CapacityMode, QuoteCurrency};
use crate::state::{Ecosystem, World};

/// Own marginal cost per request (USD) of offering `j` at step `t`, before B2B inputs (§7.7).
pub fn own_cost_usd(ctx: &StepCtx<'_>, w: &World, j: usize) -> f64 {
    let o = &w.offerings;
    if let Some(c) = o.cost_override[j] {
        return c;
    }
    let pr = &ctx.p.s.providers;
    let years = ctx.step as f64 * ctx.p.dt_years;
    let k = o.compute_cost0_usd[j] * (1.0 - pr.compute_cost_decline_per_year).powf(years);
    match (o.ecosystem[j], o.capacity_mode[j]) {
        (Ecosystem::Incumbent(_), _) => k,
        (_, CapacityMode::Reserved) => k / pr.util_target,
        (_, CapacityMode::OnDemand) => k * (1.0 + pr.on_demand_premium),
    }
}

/// Compute cost of one request-slot at step `t` (USD), without utilization or premium.
pub fn slot_cost_usd(ctx: &StepCtx<'_>, w: &World, j: usize) -> f64 {
    let pr = &ctx.p.s.providers;
    let years = ctx.step as f64 * ctx.p.dt_years;
    w.offerings.compute_cost0_usd[j] * (1.0 - pr.compute_cost_decline_per_year).powf(years)
}

/// Runs P3: new prices in `w`, USD prices and own costs in `snap`.
pub fn price(ctx: &StepCtx<'_>, w: &mut World, snap: &mut Snapshot) {
    let reprice = ctx.step.is_multiple_of(ctx.p.s.pricing.reprice_every.max(1));
    let cap = ctx.p.s.pricing.price_cap_usd;
    let mid = snap.mid_usd;
    let costs: Vec<f64> = (0..w.offerings.len()).into_par_iter().map(|j| own_cost_usd(ctx, w, j)).collect();
    let o = &mut w.offerings;
    let prices: Vec<f64> = (0..o.len())
        .into_par_iter()
        .map(|j| {
            if !reprice || !o.active[j] {
                return o.price[j];
            }
            let view = OfferingView {
                price: o.price[j],
                marginal_cost_usd: costs[j],
                token_price_usd: mid,
                demand_ewma: o.demand_ewma[j].max(0.0),
                capacity: (o.capacity[j] != u64::MAX).then_some(o.capacity[j]),
                step: ctx.step,
            };
            let mut p = o.rule[j].next_price(&view);
            if let Some(cap_usd) = cap {
                let cap_q = match o.quote[j] {
                    QuoteCurrency::Usd => cap_usd,
                    QuoteCurrency::Token => cap_usd / mid,
                };
                p = p.min(cap_q);
            }
            if p.is_finite() { p.max(0.0) } else { o.price[j] }
        })
        .collect();
    o.price = prices;
    snap.price_usd = (0..o.len())
        .map(|j| match o.quote[j] {
            QuoteCurrency::Usd => o.price[j],
            QuoteCurrency::Token => o.price[j] * mid,
        })
        .collect();
    snap.cost_usd = costs;
}
