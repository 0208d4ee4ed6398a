//! Subscriptions, engine side (MODEL.md §7.2, §7.4, §7.6, §7.9; the rule's parameters and
//! arithmetic are `crate::policy::pricing::subscription`).
//!
//! Each customer holds at most one subscription per category: (offering, until_step). In choice
//! (P5) a subscriber sees its subscribed offering at price 0 and other `subscription` offerings at
//! the non-subscriber price fee/E[n] (E[n] the customer's expected requests per step in the
//! category, `non_subscriber_price_usd`); choosing a subscription offering one is not subscribed
//! to subscribes for `period_steps` (recorded after matching, [`subscribe`]). In matching (P6),
//! without an `overage_price`, a customer's requests beyond `cap_requests` per step are not served
//! by its subscription and go to the next round; under `rationing = "priority"` subscribers are
//! served first. Every step of the period the subscriber is charged `step_charge_usd(n)` for its n
//! requests served by the offering (the fee, plus overage), paid like a fill in P8 ([`charges`]);
//! the subscription renews at its end if the customer's last job in the category went to it
//! ([`renew`]); it ends when the customer deboards or the offering exits.

use super::{StepBuf, StepCtx};
use crate::policy::pricing::{PricingRule, subscription};
use crate::state::{NONE, Status, World};
use crate::units::usd_to_nano;

/// Every customer's subscriptions: row `customer × categories + category`.
#[derive(Clone, Debug, Default)]
pub struct Subscriptions {
    /// Subscribed offering (`NONE` if none).
    pub offering: Vec<u32>,
    /// First step after the period (the subscription is active while t < until).
    pub until: Vec<u32>,
}

impl Subscriptions {
    /// Whether subscriptions can occur in this run (empty tables otherwise).
    pub fn enabled(&self) -> bool {
        !self.offering.is_empty()
    }

    /// The active subscription of slot `k` at step `t`.
    pub fn active(&self, k: usize, t: u32) -> Option<u32> {
        match self.offering.get(k) {
            Some(&j) if j != NONE && t < self.until[k] => Some(j),
            _ => None,
        }
    }
}

/// Whether a scenario can have subscription offerings (initial groups, incumbents, the entrants'
/// pricing mix, the override, in-house teams).
pub fn possible(s: &crate::scenario::Scenario) -> bool {
    let is = |r: &PricingRule| matches!(r, PricingRule::Subscription(_));
    s.providers.initial.iter().any(|g| is(&g.pricing))
        || s.incumbents
            .iter()
            .chain(&s.incumbent)
            .any(|i| is(&i.pricing))
        || s.developers
            .developer_pricing_mix
            .contains_key("subscription")
        || s.pricing.platform_rule_override == "subscription"
        || s.gtm
            .policies
            .iter()
            .any(|p| matches!(p, crate::policy::gtm::GtmPolicy::DemandFirst(d) if is(&d.pricing)))
}

/// Allocates the tables when subscriptions are possible.
pub fn init(s: &crate::scenario::Scenario, w: &mut World) {
    if possible(s) {
        let n = w.customers.len() * w.customers.n_categories;
        w.subs = Subscriptions {
            offering: vec![NONE; n],
            until: vec![0; n],
        };
    }
}

/// The price customer `i` sees for a request of subscription offering `j` in category `c`: 0 if
/// subscribed to it, else the non-subscriber price at the customer's expected requests per step in
/// the category. `None` if `j` is not a subscription offering.
pub fn choice_price(ctx: &StepCtx<'_>, w: &World, i: usize, c: usize, j: usize) -> Option<f64> {
    let PricingRule::Subscription(sp) = &w.offerings.rule[j] else {
        return None;
    };
    let k = i * w.customers.n_categories + c;
    if w.subs.active(k, ctx.step) == Some(j as u32) {
        return Some(0.0);
    }
    let si = w.customers.segment[i] as usize;
    let seg = &ctx.p.segments[si];
    let expected = seg.expected_requests * seg.needs.get(c).copied().unwrap_or(0.0);
    Some(sp.non_subscriber_price_usd(expected))
}

/// The subscription parameters of offering `j`, if it sells subscriptions.
pub fn params(w: &World, j: usize) -> Option<&subscription::Params> {
    match &w.offerings.rule[j] {
        PricingRule::Subscription(sp) => Some(sp),
        _ => None,
    }
}

/// The price per request a B2B buyer (a composite, a go-to-market buyer) pays offering `j`: its
/// posted price, or for a subscription offering (whose posted price, the subscribers' marginal
/// price, is 0) its fee per included request, `fee_usd_per_step / cap_requests`. Ratings are
/// weighted by the same price (P9).
pub fn b2b_price(w: &World, price_usd: &[f64], j: usize) -> f64 {
    match params(w, j) {
        Some(sp) => sp.fee_usd_per_step / sp.cap_requests.max(1) as f64,
        None => price_usd[j],
    }
}

/// Whether customer `i`'s job in category `c` is a subscriber of offering `j` at step `t`.
pub fn subscribed(w: &World, i: usize, c: usize, j: u32, t: u32) -> bool {
    w.subs.enabled() && w.subs.active(i * w.customers.n_categories + c, t) == Some(j)
}

/// After matching: a job whose first-round choice is a subscription offering the customer is not
/// subscribed to subscribes for `period_steps` (replacing another subscription in the category).
pub fn subscribe(ctx: &StepCtx<'_>, w: &mut World, buf: &StepBuf) {
    if !w.subs.enabled() {
        return;
    }
    let t = ctx.step;
    let nc = w.customers.n_categories;
    for job in &buf.jobs {
        let j = job.choice;
        if j == NONE || j as usize >= w.offerings.len() {
            continue;
        }
        let Some(sp) = params(w, j as usize) else {
            continue;
        };
        let period = sp.period_steps.max(1);
        let k = job.customer as usize * nc + job.category as usize;
        if w.subs.active(k, t) != Some(j) {
            w.subs.offering[k] = j;
            w.subs.until[k] = t + period;
        }
    }
}

/// P6b: the step's subscription charges (customer, offering, nano-USD), in (customer, category)
/// order, for active subscriptions of onboarded customers to active offerings; n is the requests
/// the offering served the customer this step. Adds them (with the buyer fee) to the customers'
/// USD spend for P7.
pub fn charges(ctx: &StepCtx<'_>, w: &World, buf: &mut StepBuf) -> Vec<(u32, u32, i128)> {
    let mut out = Vec::new();
    if !w.subs.enabled() {
        return out;
    }
    let t = ctx.step;
    let nc = w.customers.n_categories;
    // Requests served per (customer, offering) this step, for the overage.
    let mut used: std::collections::BTreeMap<(u32, u32), u64> = std::collections::BTreeMap::new();
    for f in &buf.fills {
        if params(w, f.offering as usize).is_some() {
            let i = buf.jobs[f.job as usize].customer;
            *used.entry((i, f.offering)).or_default() += f.n as u64;
        }
    }
    let fb = ctx.p.buyer_fee_ppm as i128;
    for k in 0..w.subs.offering.len() {
        let Some(j) = w.subs.active(k, t) else {
            continue;
        };
        let i = (k / nc) as u32;
        if w.customers.status[i as usize] != Status::Onboarded || !w.offerings.active[j as usize] {
            continue;
        }
        let Some(sp) = params(w, j as usize) else {
            continue;
        };
        let n = used.get(&(i, j)).copied().unwrap_or(0);
        let g = usd_to_nano(sp.step_charge_usd(n));
        if g > 0 {
            buf.spend_nano[i as usize] += g + crate::units::mul_div_ceil(g, fb, crate::units::PPM);
            out.push((i, j, g));
        }
    }
    out
}

/// End of P9: subscriptions ending now renew if the customer's last job in the category went to
/// the offering; subscriptions of deboarded customers or exited offerings end.
pub fn renew(ctx: &StepCtx<'_>, w: &mut World) {
    if !w.subs.enabled() {
        return;
    }
    let t1 = ctx.step + 1;
    let nc = w.customers.n_categories;
    for k in 0..w.subs.offering.len() {
        let j = w.subs.offering[k];
        if j == NONE {
            continue;
        }
        let i = k / nc;
        if !w.offerings.active[j as usize] || w.customers.status[i] != Status::Onboarded {
            w.subs.offering[k] = NONE;
            continue;
        }
        if w.subs.until[k] == t1 {
            if w.customers.last_offering[k] == j {
                let period = params(w, j as usize).map_or(1, |sp| sp.period_steps.max(1));
                w.subs.until[k] = t1 + period;
            } else {
                w.subs.offering[k] = NONE;
            }
        }
    }
}

/// Active subscriptions at the end of step `t`.
pub fn count(w: &World, t: u32) -> u64 {
    (0..w.subs.offering.len())
        .filter(|&k| w.subs.active(k, t + 1).is_some())
        .count() as u64
}
