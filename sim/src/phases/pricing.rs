//! P3, pricing and costs (MODEL.md §7.6): each offering's pricing rule sets its posted price every
//! `reprice_every` steps, within the global floor (`price_floor_usd`, default the full marginal
//! cost for every rule but `fixed` and `subscription`) and cap (`price_cap_usd`); the snapshot gets
//! every offering's price in USD and its own marginal cost (P4 adds composites' inputs).
//!
//! Rules read an [`OfferingView`] of their offering and a [`MarketView`] of its category, both
//! built here from the snapshot: other offerings' prices are their last posted ones, so the
//! parallel pass over offerings is order-independent; each offering writes only its own price and
//! its own `policy_state` slot. Rules work in USD; token-quoted offerings convert the result at
//! the snapshot mid price (an unchanged USD price keeps the quoted price exactly).
//!
//! The full marginal cost c of a rule is known before P4 only as an estimate: own cost
//! ([`super::cost::own_cost_usd`]) plus, for a
//! composite, each recipe slot's units at the gross price of the supplier P4 would pick without
//! taste shocks (quality, reputation and last step's prices), grossed up by the seller fee
//! c/(1 − f_s) for platform offerings.

use rayon::prelude::*;

use super::StepCtx;
use super::cost::own_cost_usd;
use super::snapshot::Snapshot;
use crate::policy::pricing::{MarketView, OfferingView, RivalView, SegmentView};
use crate::scenario::{CapacityMode, Dist, QuoteCurrency};
use crate::state::{Ecosystem, NONE, World};

/// Mean of a per-customer multiplier distribution.
pub fn dist_mean(d: &Dist) -> f64 {
    match *d {
        Dist::Const { value } => value,
        Dist::Uniform { min, max } | Dist::UniformQuantiles { min, max } => 0.5 * (min + max),
        Dist::Lognormal { median, sigma } => median * (0.5 * sigma * sigma).exp(),
    }
}

/// The network term before θ_i of offering `j` (same-side, plus the platform's cross-side term).
fn net_usd(w: &World, snap: &Snapshot, j: usize) -> f64 {
    let o = &w.offerings;
    let same = snap.net_same.get(j).copied().unwrap_or(0.0);
    match o.ecosystem[j] {
        Ecosystem::Platform => {
            same + snap
                .net_cross
                .get(o.category[j] as usize)
                .copied()
                .unwrap_or(0.0)
        }
        Ecosystem::Incumbent(_) => same,
    }
}

/// Quality as customers see it on the snapshot.
fn quality(w: &World, snap: &Snapshot, j: usize) -> f64 {
    snap.quality
        .get(j)
        .copied()
        .unwrap_or(w.offerings.quality[j])
}

/// Estimated input cost per request of composite `j` (USD, gross of the buyer fee): per recipe
/// slot, units × the gross price of the supplier P4 would pick without taste shocks (highest
/// b2b utility, incl. the switching bonus of last step's supplier, at last step's prices among
/// the sub-category's top k and incumbents, ties to the lower id). 0 for atomic offerings and
/// incumbents.
pub fn input_cost_estimate_usd(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, j: usize) -> f64 {
    let o = &w.offerings;
    if !o.is_platform(j) {
        return 0.0;
    }
    let b = &ctx.p.s.b2b;
    let fb = ctx.p.buyer_fee();
    let wd = super::b2b::width(ctx);
    let mut total = 0.0;
    for (k, &(ck, u)) in ctx.p.categories[o.category[j] as usize]
        .recipe
        .iter()
        .enumerate()
    {
        let ck = ck as usize;
        let prev = w
            .supplier_prev
            .get(super::b2b::slot(wd, j, k))
            .copied()
            .unwrap_or(NONE);
        let mut best = (f64::NEG_INFINITY, NONE, 0.0);
        for &s in snap.top[ck].iter().chain(&snap.incumbents_in[ck]) {
            let su = s as usize;
            if su == j {
                continue;
            }
            let price = super::subscription::b2b_price(w, &snap.price_usd, su);
            let gross = if o.is_platform(su) {
                price * (1.0 + fb)
            } else {
                price
            };
            let mut v = b.b2b_quality_weight_usd * quality(w, snap, su)
                + b.b2b_reputation_weight_usd * o.reputation[su]
                - gross;
            if s == prev {
                v += b.b2b_switching_cost_usd;
            }
            if v > best.0 || (v == best.0 && s < best.1) {
                best = (v, s, gross);
            }
        }
        if best.1 != NONE {
            total += u as f64 * best.2;
        }
    }
    total
}

/// The representative customers of category `c` (MODEL.md §7.6, `logit_best_response`). Weights:
/// the segment's expected requests per step in c, E[n_s] × needs_s,c × customers, counting only
/// onboarded customers (snapshot) for platform offerings.
fn segment_views(ctx: &StepCtx<'_>, snap: &Snapshot, c: usize) -> Vec<SegmentView> {
    let p = ctx.p;
    let fb = p.buyer_fee();
    let pl = &p.s.platform;
    let v_c = p.categories[c].value_usd;
    p.s.segments
        .iter()
        .zip(&p.segments)
        .enumerate()
        .map(|(si, (seg, sp))| {
            let (fx, gas) = if seg.uses_gateway {
                (seg.gateway_fee_rate, 0.0)
            } else {
                let n = (sp.expected_requests * pl.channel_expiry_steps as f64).max(1.0);
                (p.exchange_fee(), pl.gas_per_channel_op_usd / n)
            };
            let per_customer = sp.expected_requests * sp.needs.get(c).copied().unwrap_or(0.0);
            let onboarded = snap.onboarded_by_segment.get(si).copied().unwrap_or(0) as f64;
            let value_base = seg.value_multiplier * v_c;
            SegmentView {
                value_usd: value_base * dist_mean(&seg.value_dist),
                value_base_usd: value_base,
                value_quantiles: match seg.value_dist {
                    Dist::UniformQuantiles { min, max } => Some((min, max)),
                    _ => None,
                },
                quality_weight_usd: seg.quality_weight_usd,
                reputation_weight_usd: seg.reputation_weight_usd,
                mu_usd: sp.mu,
                theta_mean: dist_mean(&seg.network_weight_dist),
                outside_option: seg.outside_option,
                platform_factor: (1.0 + fb) * (1.0 + fx),
                platform_gas_usd: gas,
                weight_platform: onboarded * per_customer,
                weight_all: sp.size as f64 * per_customer,
                size: sp.size,
            }
        })
        .collect()
}

/// The market views of every category, from the snapshot (last step's prices).
pub fn market_views(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot) -> Vec<MarketView> {
    let o = &w.offerings;
    let n_cat = ctx.p.categories.len();
    let fb = ctx.p.buyer_fee();
    let pr = &ctx.p.s.pricing;
    let mut visible = vec![false; o.len()];
    for &j in snap
        .top
        .iter()
        .flatten()
        .chain(snap.incumbents_in.iter().flatten())
    {
        visible[j as usize] = true;
    }
    let mut by_cat: Vec<Vec<RivalView>> = vec![Vec::new(); n_cat];
    let mut demand = vec![(0.0f64, 0.0f64); n_cat];
    for (j, &vis) in visible.iter().enumerate() {
        if !o.active[j] {
            continue;
        }
        let c = o.category[j] as usize;
        let platform = o.is_platform(j);
        let d = o.demand_ewma[j].max(0.0);
        demand[c].1 += d;
        if platform {
            demand[c].0 += d;
        }
        let price_usd = snap.price_usd[j];
        by_cat[c].push(RivalView {
            id: j as u32,
            ecosystem: o.ecosystem[j],
            price_usd,
            paid_usd: if platform {
                price_usd * (1.0 + fb)
            } else {
                price_usd
            },
            quality: quality(w, snap, j),
            reputation: o.reputation[j],
            net_usd: net_usd(w, snap, j),
            visible: vis,
        });
    }
    by_cat
        .into_iter()
        .enumerate()
        .map(|(c, offerings)| MarketView {
            category: c as u16,
            offerings,
            segments: segment_views(ctx, snap, c),
            platform_share: if demand[c].1 > 0.0 {
                demand[c].0 / demand[c].1
            } else {
                0.0
            },
            price_cap_usd: pr.price_cap_usd,
            epsilon_margin_usd: pr.epsilon_margin_usd,
            buyer_fee_factor: 1.0 + fb,
        })
        .collect()
}

/// Runs P3: new prices (and policy states) in `w`, USD prices and own costs in `snap`.
pub fn price(ctx: &StepCtx<'_>, w: &mut World, snap: &mut Snapshot) {
    let pr = &ctx.p.s.pricing;
    let reprice = ctx.step.is_multiple_of(pr.reprice_every.max(1));
    let mid = snap.mid_usd;
    let n = w.offerings.len();
    let costs: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|j| own_cost_usd(ctx, w, j))
        .collect();
    if reprice {
        let markets = market_views(ctx, w, snap);
        let fs = ctx.p.seller_fee_ppm as f64 / 1e6;
        let fixed = ctx.p.s.providers.fixed_cost_usd_per_step;
        let mut states = std::mem::take(&mut w.offerings.policy_state);
        let (wr, sn) = (&*w, &*snap);
        let prices: Vec<f64> = states
            .par_iter_mut()
            .enumerate()
            .map(|(j, st)| {
                let o = &wr.offerings;
                if !o.active[j] {
                    return o.price[j];
                }
                let platform = o.is_platform(j);
                let c = o.category[j] as usize;
                let full_cost = if platform {
                    (costs[j] + input_cost_estimate_usd(ctx, wr, sn, j)) / (1.0 - fs).max(1e-9)
                } else {
                    costs[j]
                };
                let list_price_usd = match o.ecosystem[j] {
                    Ecosystem::Incumbent(k) => Some(
                        ctx.p.s.incumbents[k as usize].price_usd_per_1m_tokens
                            * ctx.p.categories[c].tokens_per_request
                            / 1e6,
                    ),
                    Ecosystem::Platform => None,
                };
                let view = OfferingView {
                    id: j as u32,
                    ecosystem: o.ecosystem[j],
                    price: o.price[j],
                    price_usd: sn.price_usd[j],
                    marginal_cost_usd: full_cost,
                    fixed_cost_usd: if platform { fixed } else { 0.0 },
                    token_price_usd: mid,
                    demand_ewma: (o.demand_ewma[j] >= 0.0).then_some(o.demand_ewma[j]),
                    capacity: (o.capacity[j] != u64::MAX
                        && o.capacity_mode[j] == CapacityMode::Reserved)
                        .then_some(o.capacity[j]),
                    quality: quality(wr, sn, j),
                    reputation: o.reputation[j],
                    net_usd: net_usd(wr, sn, j),
                    list_price_usd,
                    profit_ewma_usd: o.profit_ewma[j],
                    cum_profit_usd: o.cum_profit_usd[j],
                    step: ctx.step,
                };
                let p_usd = o.rule[j].price_usd(&view, &markets[c], st, pr.price_floor_usd);
                if p_usd == view.price_usd {
                    return o.price[j];
                }
                match o.quote[j] {
                    QuoteCurrency::Usd => p_usd,
                    QuoteCurrency::Token if mid > 0.0 && mid.is_finite() => p_usd / mid,
                    QuoteCurrency::Token => o.price[j],
                }
            })
            .collect();
        w.offerings.policy_state = states;
        w.offerings.price = prices;
    }
    let o = &w.offerings;
    snap.price_usd = (0..o.len())
        .map(|j| match o.quote[j] {
            QuoteCurrency::Usd => o.price[j],
            QuoteCurrency::Token => o.price[j] * mid,
        })
        .collect();
    snap.b2b_usd = (0..o.len())
        .map(|j| super::subscription::b2b_price(w, &snap.price_usd, j))
        .collect();
    snap.cost_usd = costs;
}
