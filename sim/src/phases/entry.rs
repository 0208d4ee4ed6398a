//! Developers and entry (MODEL.md §7.12), at the end of P9. Developers become aware by a Bass
//! hazard (on active providers / pool); every `entry_review_steps` each aware developer evaluates
//! the expected profit Π_c of entering each category, picks a category by logit on Π_c and enters
//! with probability Λ(Π_c/scale). Decisions are made in parallel from the step's aggregates; the
//! entrants' firms get ids sequentially in developer order, so id allocation is deterministic.

use rayon::prelude::*;

use super::init::{compute_cost0, push_offering};
use super::{CHUNK, StepBuf, StepCtx};
use crate::ledger::{Account, Ledger};
use crate::policy::pricing::PricingRule;
use crate::rng::{EntityKind, Purpose, Stream};
use crate::scenario::{CapacityMode, QuoteCurrency};
use crate::state::{DevStatus, Ecosystem, Status, World};
use crate::units::usd_to_nano;

/// Π_c of §7.12 for one more entrant in a category (USD over the horizon, before grants).
pub fn expected_profit(ctx: &StepCtx<'_>, q_hat: f64, n_c: u32, price: f64, cost: f64) -> f64 {
    let d = &ctx.p.s.developers;
    let fs = ctx.p.seller_fee_ppm as f64 / 1e6;
    let per = q_hat / (n_c as f64 + 1.0);
    d.entry_horizon_steps
        * ((1.0 - fs) * price * per
            - cost * per
            - ctx.p.s.providers.fixed_cost_usd_per_step
            - d.outside_wage_usd)
        - d.entry_cost_usd
}

/// What an entrant would face in one category this step.
#[derive(Clone, Copy, Debug)]
pub struct Prospect {
    /// Π_c before grants and entry-cost discounts (USD over the horizon).
    pub profit: f64,
    /// The entrant's price p̄ (USD per request).
    pub price: f64,
    /// Q̂ (requests per step).
    pub q_hat: f64,
    /// Active platform offerings.
    pub n: u32,
    /// Whether the category is composite.
    pub composite: bool,
    /// Whether it can be entered (a composite needs every input category supplied).
    pub eligible: bool,
}

/// Per category: active platform offerings, the sum of their USD prices, the first incumbent's
/// price (NaN if none), from `price_usd` (one USD price per offering).
pub fn category_stats(
    w: &World,
    n_cat: usize,
    price_usd: &[f64],
) -> (Vec<u32>, Vec<f64>, Vec<f64>) {
    let o = &w.offerings;
    let mut count = vec![0u32; n_cat];
    let mut price_sum = vec![0.0f64; n_cat];
    let mut incumbent_price = vec![f64::NAN; n_cat];
    for (j, &pj) in price_usd.iter().enumerate().take(o.len()) {
        let c = o.category[j] as usize;
        match o.ecosystem[j] {
            Ecosystem::Platform => {
                if o.active[j] {
                    count[c] += 1;
                    price_sum[c] += pj;
                }
            }
            Ecosystem::Incumbent(_) => {
                if incumbent_price[c].is_nan() {
                    incumbent_price[c] = pj;
                }
            }
        }
    }
    (count, price_sum, incumbent_price)
}

/// Every offering's posted price in USD at the last mid price (what P0 sees).
pub fn prices_now(w: &World) -> Vec<f64> {
    let o = &w.offerings;
    let mid = w.token_price.usd_per_token();
    (0..o.len())
        .map(|j| match o.quote[j] {
            QuoteCurrency::Usd => o.price[j],
            QuoteCurrency::Token => o.price[j] * mid,
        })
        .collect()
}

/// The prospects of every category (§7.12), from the category forecasts in `w` and the stats of
/// [`category_stats`].
pub fn prospects(
    ctx: &StepCtx<'_>,
    w: &World,
    count: &[u32],
    price_sum: &[f64],
    incumbent_price: &[f64],
) -> Vec<Prospect> {
    let p = ctx.p;
    let d = &p.s.developers;
    (0..p.categories.len())
        .map(|c| {
            let covered = count[c] > 0;
            let q_hat = if covered {
                w.category_demand_platform[c].max(0.0)
            } else {
                d.entry_share_prior * w.category_demand_onboarded[c].max(0.0)
            };
            let years = ctx.step as f64 * p.dt_years;
            let decline = (1.0 - p.s.providers.compute_cost_decline_per_year).powf(years);
            // A composite also buys its inputs: Σ u_k × the mean platform price of input k with
            // the buyer fee (its own compute cost alone would make composites look cheap).
            let recipe = &p.categories[c].recipe;
            let inputs: f64 = recipe
                .iter()
                .filter(|&&(k, _)| count[k as usize] > 0)
                .map(|&(k, u)| {
                    u as f64 * price_sum[k as usize] / count[k as usize] as f64
                        * (1.0 + p.buyer_fee())
                })
                .sum();
            let cost = compute_cost0(p, c, 1.0) * decline / p.s.providers.util_target + inputs;
            let price = if covered {
                price_sum[c] / count[c] as f64
            } else {
                let reference = if incumbent_price[c].is_nan() {
                    p.categories[c].value_usd
                } else {
                    incumbent_price[c]
                };
                reference.max(cost * (1.0 + d.entrant_markup))
            };
            let composite = !recipe.is_empty();
            Prospect {
                profit: expected_profit(ctx, q_hat, count[c], price, cost),
                price,
                q_hat,
                n: count[c],
                composite,
                eligible: !composite || recipe.iter().all(|&(k, _)| count[k as usize] > 0),
            }
        })
        .collect()
}

/// The pricing rule a platform offering uses: `[pricing] platform_rule_override` when it names a
/// rule, else `own`.
pub fn platform_rule(p: &crate::params::Params, own: PricingRule) -> PricingRule {
    let name = p.s.pricing.platform_rule_override.as_str();
    if name == "none" {
        return own;
    }
    PricingRule::examples()
        .into_iter()
        .find(|r| r.kind() == name)
        .unwrap_or(own)
}

/// The rule of developer `k`'s new firm: a draw from `[developers] developer_pricing_mix` (kinds in
/// name order, default parameters) from Stream(Developer, k, Pricing); `fixed` when the mix is
/// empty; the override when set.
pub fn entrant_rule(ctx: &StepCtx<'_>, k: u32) -> PricingRule {
    let mix = &ctx.p.s.developers.developer_pricing_mix;
    let total: f64 = mix.values().filter(|w| **w > 0.0).sum();
    let mut rule = PricingRule::default();
    if total > 0.0 {
        let mut acc = 0.0;
        let cum: Vec<f64> = mix
            .values()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        let mut r = Stream::new(
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            EntityKind::Developer,
            k as u64,
            Purpose::Pricing,
        );
        let pick = r.categorical(&cum);
        if let Some(name) = mix.keys().nth(pick)
            && let Some(found) = PricingRule::examples()
                .into_iter()
                .find(|x| x.kind() == name)
        {
            rule = found;
        }
    }
    platform_rule(ctx.p, rule)
}

/// Founds a platform firm with one offering in category `c` (born at `born`), reserved capacity
/// `capacity`, price `price`, intrinsic quality `q0`, `[developers] entrant_cash_usd` of cash from
/// the outside world; `founder` becomes `Active`. Returns the offering id.
#[allow(clippy::too_many_arguments)]
pub fn found_firm(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    founder: Option<u32>,
    c: usize,
    rule: PricingRule,
    price: f64,
    q0: f64,
    capacity: u64,
    born: u32,
) -> u32 {
    let p = ctx.p;
    let id = push_offering(
        p,
        &mut w.offerings,
        ledger,
        Ecosystem::Platform,
        c as u16,
        rule,
        QuoteCurrency::Usd,
        price,
        q0.min(p.categories[c].q_max),
        0.0,
        None,
        compute_cost0(p, c, 1.0),
        CapacityMode::Reserved,
        capacity.clamp(1, 1 << 40),
        born,
    );
    if let Some(k) = founder {
        w.offerings.founder[id as usize] = k;
        w.developers.status[k as usize] = DevStatus::Active;
        w.developers.firm[k as usize] = id;
    }
    ledger.endow_usd(
        Account::Offering(id),
        usd_to_nano(p.s.developers.entrant_cash_usd),
    );
    id
}

/// Updates the category demand forecasts, developer awareness, and lets entrants in.
pub fn enter(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    price_usd: &[f64],
) {
    let p = ctx.p;
    let d = &p.s.developers;
    let n_cat = p.categories.len();
    let o = &w.offerings;
    // Platform demand (served + unserved), active providers and mean platform price per category.
    let mut plat = vec![0u64; n_cat];
    for j in 0..o.len().min(buf.demanded.len()) {
        if o.is_platform(j) {
            plat[o.category[j] as usize] += buf.demanded[j];
        }
    }
    let (count, price_sum, incumbent_price) = category_stats(w, n_cat, price_usd);
    let mut onboarded_demand = vec![0u64; n_cat];
    for job in &buf.jobs {
        if w.customers.status[job.customer as usize] == Status::Onboarded {
            onboarded_demand[job.category as usize] += job.n as u64;
        }
    }
    let a = d.category_demand_alpha;
    for c in 0..n_cat {
        for (ewma, x) in [
            (&mut w.category_demand_platform[c], plat[c]),
            (&mut w.category_demand_onboarded[c], onboarded_demand[c]),
        ] {
            *ewma = if *ewma < 0.0 {
                x as f64
            } else {
                (1.0 - a) * *ewma + a * x as f64
            };
        }
    }

    // Awareness (parallel over developers, own slot); go-to-market marketing raises Bass p.
    let active: u32 = count.iter().sum();
    let pool = w.developers.len().max(1) as f64;
    let h = 1.0
        - (-(d.dev_bass_p + buf.gtm.dev_boost + d.dev_bass_q * active as f64 / pool) * p.dt_years)
            .exp();
    let (seed, run, t) = (ctx.seed, ctx.run, ctx.step as u64);
    w.developers
        .status
        .par_iter_mut()
        .with_min_len(CHUNK)
        .enumerate()
        .for_each(|(k, st)| {
            if *st == DevStatus::Unaware
                && Stream::new(
                    seed,
                    run,
                    t,
                    EntityKind::Developer,
                    k as u64,
                    Purpose::DevAwareness,
                )
                .bernoulli(h)
            {
                *st = DevStatus::Aware;
            }
        });

    buf.entrants = 0;
    // `demand_first` keeps third-party supply closed until its `open_supply_step`.
    if !(ctx.step + 1).is_multiple_of(d.entry_review_steps.max(1)) || buf.gtm.entry_closed {
        return;
    }
    let mut prospects = prospects(ctx, w, &count, &price_sum, &incumbent_price);
    // Open RFAI bounties count as expected grants G_c (value / (qualifying entrants so far + 1)).
    let grants = super::gtm::expected_grants_usd(ctx, w);
    for (x, g) in prospects.iter_mut().zip(&grants) {
        x.profit += g;
    }
    let discount = &w.gtm.entry_discount;
    let scale = d.entry_logit_scale_usd;
    let any_composite = prospects.iter().any(|x| x.composite && x.eligible);
    // Decisions (parallel, pure): (developer, category) for each entrant, in developer order.
    let devs = &w.developers;
    let decisions: Vec<Vec<(u32, u16)>> = (0..devs.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut out = Vec::new();
            for k in chunk * CHUNK..((chunk + 1) * CHUNK).min(devs.len()) {
                if devs.status[k] != DevStatus::Aware {
                    continue;
                }
                let mut r = Stream::new(
                    seed,
                    run,
                    t,
                    EntityKind::Developer,
                    k as u64,
                    Purpose::DevEntry,
                );
                let want_composite = any_composite && r.bernoulli(d.composite_entry_share);
                // Logit over eligible categories of the chosen kind (Gumbel-max).
                let mut best = (f64::NEG_INFINITY, usize::MAX);
                for (c, x) in prospects.iter().enumerate() {
                    if !x.eligible || x.composite != want_composite {
                        r.gumbel(); // keep one draw per category so streams stay aligned
                        continue;
                    }
                    let bonus = discount.get(k).copied().unwrap_or(0.0) as f64 * d.entry_cost_usd;
                    let u = (x.profit + bonus) / scale + r.gumbel();
                    if u > best.0 {
                        best = (u, c);
                    }
                }
                if best.1 == usize::MAX {
                    continue;
                }
                let bonus = discount.get(k).copied().unwrap_or(0.0) as f64 * d.entry_cost_usd;
                let prob = 1.0 / (1.0 + (-(prospects[best.1].profit + bonus) / scale).exp());
                if r.bernoulli(prob) {
                    out.push((k as u32, best.1 as u16));
                }
            }
            out
        })
        .collect();
    for (k, c) in decisions.into_iter().flatten() {
        let x = prospects[c as usize];
        let skill = w.developers.skill[k as usize] as f64;
        let capacity = (x.q_hat / ((x.n as f64 + 1.0) * p.s.providers.util_target))
            .ceil()
            .max(1.0) as u64;
        let rule = entrant_rule(ctx, k);
        found_firm(
            ctx,
            w,
            ledger,
            Some(k),
            c as usize,
            rule,
            x.price,
            0.3 + 0.4 * skill,
            capacity.min(1 << 40),
            ctx.step + 1,
        );
        buf.entrants += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    const TEXT: &str = r#"
schema_version = 1
[[categories]]
name = "chat"
base_value_usd = 0.02
[[categories]]
name = "embed"
base_value_usd = 0.004
[[categories]]
name = "agent"
base_value_usd = 0.05
recipe = { chat = 2, embed = 1 }
[[segments]]
name = "s"
size = 10
[platform]
buyer_fee_rate = 0.01
"#;

    #[test]
    fn a_composite_prospect_pays_for_its_inputs() {
        let s = crate::scenario::from_str(TEXT, "t").unwrap();
        let s = crate::scenario::resolve(s, "test", "t").unwrap();
        let p = Params::new(&s);
        let (mut w, _) = crate::phases::init::init(&p);
        w.category_demand_platform = vec![1000.0; 3];
        let ctx = StepCtx {
            seed: 1,
            run: 0,
            step: 0,
            p: &p,
        };
        // Two chat offerings at 0.004 and 0.006 (mean 0.005), one embed at 0.001, one agent.
        let count = [2, 1, 1];
        let price_sum = [0.010, 0.001, 0.03];
        let x = prospects(&ctx, &w, &count, &price_sum, &[f64::NAN; 3]);
        // By hand: inputs = (2 × 0.005 + 1 × 0.001) × 1.01 = 0.01111 USD per request; the
        // entrant shares Q̂ = 1000 with the one incumbent agent: 500 requests a step.
        let own = compute_cost0(&p, 2, 1.0) / p.s.providers.util_target;
        let without = expected_profit(&ctx, 1000.0, 1, 0.03, own);
        let inputs = (2.0 * 0.005 + 0.001) * 1.01;
        let horizon = p.s.developers.entry_horizon_steps;
        assert!(x[2].composite && x[2].eligible);
        assert!(
            (without - x[2].profit - horizon * inputs * 500.0).abs() < 1e-6,
            "{} vs {}",
            x[2].profit,
            without
        );
        // An atomic category has no inputs.
        let chat_own = compute_cost0(&p, 0, 1.0) / p.s.providers.util_target;
        assert!((x[0].profit - expected_profit(&ctx, 1000.0, 2, 0.005, chat_own)).abs() < 1e-9);
    }
}
