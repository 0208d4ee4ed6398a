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
struct Prospect {
    profit: f64,
    price: f64,
    q_hat: f64,
    n: u32,
    composite: bool,
    eligible: bool,
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
    let mut count = vec![0u32; n_cat];
    let mut price_sum = vec![0.0f64; n_cat];
    let mut incumbent_price = vec![f64::NAN; n_cat];
    for (j, &pj) in price_usd.iter().enumerate().take(o.len()) {
        let c = o.category[j] as usize;
        match o.ecosystem[j] {
            Ecosystem::Platform => {
                plat[c] += buf.demanded[j];
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

    // Awareness (parallel over developers, own slot).
    let active: u32 = count.iter().sum();
    let pool = w.developers.len().max(1) as f64;
    let h = 1.0 - (-(d.dev_bass_p + d.dev_bass_q * active as f64 / pool) * p.dt_years).exp();
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
    if !(ctx.step + 1).is_multiple_of(d.entry_review_steps.max(1)) {
        return;
    }
    let prospects: Vec<Prospect> = (0..n_cat)
        .map(|c| {
            let covered = count[c] > 0;
            let q_hat = if covered {
                w.category_demand_platform[c].max(0.0)
            } else {
                d.entry_share_prior * w.category_demand_onboarded[c].max(0.0)
            };
            let years = ctx.step as f64 * p.dt_years;
            let decline = (1.0 - p.s.providers.compute_cost_decline_per_year).powf(years);
            let cost = compute_cost0(p, c, 1.0) * decline / p.s.providers.util_target;
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
            let recipe = &p.categories[c].recipe;
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
        .collect();
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
                    let u = x.profit / scale + r.gumbel();
                    if u > best.0 {
                        best = (u, c);
                    }
                }
                if best.1 == usize::MAX {
                    continue;
                }
                let prob = 1.0 / (1.0 + (-prospects[best.1].profit / scale).exp());
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
        let id = push_offering(
            p,
            &mut w.offerings,
            ledger,
            Ecosystem::Platform,
            c,
            PricingRule::default(),
            QuoteCurrency::Usd,
            x.price,
            0.3 + 0.4 * skill,
            0.0,
            None,
            compute_cost0(p, c as usize, 1.0),
            CapacityMode::Reserved,
            capacity.min(1 << 40),
            ctx.step + 1,
        );
        w.offerings.founder[id as usize] = k;
        w.developers.status[k as usize] = DevStatus::Active;
        w.developers.firm[k as usize] = id;
        ledger.endow_usd(Account::Offering(id), usd_to_nano(d.entrant_cash_usd));
        buf.entrants += 1;
    }
}
