//! Entry of new platform providers (MODEL.md §7.12, aggregated form), at the end of P9. Every
//! `entry_review_steps`, each category draws a Poisson number of potential entrants; each enters
//! with probability Λ(Π_c/scale), where Π_c is the expected profit over the entry horizon net of
//! the outside wage and the entry cost. Entrants get ids in category order, then draw order, so
//! id allocation is deterministic.

use super::init::{compute_cost0, push_offering};
use super::{StepBuf, StepCtx};
use crate::ledger::{Account, Ledger};
use crate::policy::pricing::PricingRule;
use crate::rng::{EntityKind, Purpose, Stream};
use crate::scenario::{CapacityMode, QuoteCurrency};
use crate::state::{Ecosystem, World};
use crate::units::usd_to_nano;

/// Π_c of §7.12 for one more entrant in category `c` (USD over the horizon).
pub fn expected_profit(ctx: &StepCtx<'_>, q_hat: f64, n_c: u32, price: f64, cost: f64) -> f64 {
    let d = &ctx.p.s.developers;
    let fs = ctx.p.seller_fee_ppm as f64 / 1e6;
    let per = q_hat / (n_c as f64 + 1.0);
    d.entry_horizon_steps
        * ((1.0 - fs) * price * per - cost * per - ctx.p.s.providers.fixed_cost_usd_per_step - d.outside_wage_usd)
        - d.entry_cost_usd
}

/// Updates the category demand forecasts and lets entrants in.
pub fn enter(ctx: &StepCtx<'_>, w: &mut World, ledger: &mut Ledger, buf: &mut StepBuf, price_usd: &[f64]) {
    let p = ctx.p;
    let d = &p.s.developers;
    let n_cat = p.categories.len();
    let o = &w.offerings;
    // Platform demand (served + unserved) and incumbent requests per category this step.
    let mut plat = vec![0u64; n_cat];
    let mut inc = vec![0u64; n_cat];
    let mut count = vec![0u32; n_cat];
    let mut price_sum = vec![0.0f64; n_cat];
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
            Ecosystem::Incumbent(_) => inc[c] += buf.served[j],
        }
    }
    let a = d.category_demand_alpha;
    for c in 0..n_cat {
        for (ewma, x) in [(&mut w.category_demand_platform[c], plat[c]), (&mut w.category_demand_incumbent[c], inc[c])] {
            *ewma = if *ewma < 0.0 { x as f64 } else { (1.0 - a) * *ewma + a * x as f64 };
        }
    }
    buf.entrants = 0;
    if d.entry_rate_per_step <= 0.0 || !(ctx.step + 1).is_multiple_of(d.entry_review_steps.max(1)) {
        return;
    }
    for c in 0..n_cat {
        let covered = count[c] > 0;
        let q_hat = if covered {
            w.category_demand_platform[c]
        } else {
            d.entry_share_prior * w.category_demand_incumbent[c]
        };
        let incumbent_price = w
            .offerings
            .ecosystem
            .iter()
            .enumerate()
            .filter(|&(j, e)| *e != Ecosystem::Platform && w.offerings.category[j] as usize == c)
            .map(|(j, _)| price_usd[j])
            .next();
        let cost = compute_cost0(p, c, 1.0) / p.s.providers.util_target;
        let price = if covered {
            price_sum[c] / count[c] as f64
        } else {
            incumbent_price.unwrap_or(p.categories[c].value_usd).max(cost * (1.0 + d.entrant_markup))
        };
        let profit = expected_profit(ctx, q_hat, count[c], price, cost);
        let prob = 1.0 / (1.0 + (-profit / d.entry_logit_scale_usd).exp());
        let mut r = Stream::new(ctx.seed, ctx.run, ctx.step as u64, EntityKind::Category, c as u64, Purpose::DevEntry);
        let candidates = r.poisson(d.entry_rate_per_step * d.entry_review_steps as f64);
        for _ in 0..candidates {
            if !r.bernoulli(prob) {
                continue;
            }
            let skill = r.beta(2.0, 3.0);
            let capacity = (q_hat / ((count[c] as f64 + 1.0) * p.s.providers.util_target)).ceil().max(1.0) as u64;
            let id = push_offering(
                p,
                &mut w.offerings,
                ledger,
                Ecosystem::Platform,
                c as u16,
                PricingRule::default(),
                QuoteCurrency::Usd,
                price,
                0.3 + 0.4 * skill,
                0.0,
                None,
                compute_cost0(p, c, 1.0),
                CapacityMode::Reserved,
                capacity.min(1 << 40),
                ctx.step + 1,
            );
            ledger.endow_usd(Account::Offering(id), usd_to_nano(d.entrant_cash_usd));
            buf.entrants += 1;
        }
    }
}
