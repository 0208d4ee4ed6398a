//! Compute costs (MODEL.md §7.7): the cost of one request-slot, falling exogenously by
//! `compute_cost_decline_per_year` and, optionally, with the offering's cumulative volume (scale
//! learning); the full marginal cost the pricing rules and the entry decision use.

use super::StepCtx;
use crate::scenario::CapacityMode;
use crate::state::{Ecosystem, World};

/// Cost of one request-slot at full utilization at this step (USD), before utilization and premium.
pub fn slot_cost_usd(ctx: &StepCtx<'_>, w: &World, j: usize) -> f64 {
    let pr = &ctx.p.s.providers;
    let o = &w.offerings;
    let years = ctx.step as f64 * ctx.p.dt_years;
    let b = match o.ecosystem[j] {
        Ecosystem::Platform => pr.scale_learning_exponent,
        Ecosystem::Incumbent(k) => ctx.p.s.incumbents[k as usize].scale_learning_exponent,
    };
    let scale = if b > 0.0 {
        (1.0 + o.cum_requests[j] as f64 / pr.scale_ref_requests).powf(-b)
    } else {
        1.0
    };
    o.compute_cost0_usd[j] * (1.0 - pr.compute_cost_decline_per_year).powf(years) * scale
}

/// Full own marginal cost per request (USD), before B2B inputs: a configured `marginal_cost_usd` as
/// is; otherwise the slot cost divided by `util_target` (reserved) or with `on_demand_premium`
/// (on demand); incumbents pay the slot cost.
pub fn own_cost_usd(ctx: &StepCtx<'_>, w: &World, j: usize) -> f64 {
    let o = &w.offerings;
    if let Some(c) = o.cost_override[j] {
        return c;
    }
    let pr = &ctx.p.s.providers;
    let k = slot_cost_usd(ctx, w, j);
    match (o.ecosystem[j], o.capacity_mode[j]) {
        (Ecosystem::Incumbent(_), _) => k,
        (_, CapacityMode::Reserved) => k / pr.util_target,
        (_, CapacityMode::OnDemand) => k * (1.0 + pr.on_demand_premium),
    }
}
