//! P9, state update: ratings and reputation (§7.8), data and quality (§7.7), demand forecasts and
//! reserved-capacity plans (§7.4), profits and exit (§7.12), and the customers' satisfaction, last
//! offerings, activity and spend averages (§3.1). Ratings are drawn per fill from counter-based
//! keys and aggregated sequentially in fill order; per-customer columns are written by their owner.

use rayon::prelude::*;

use super::b2b::unit;
use super::{StepBuf, StepCtx};
use crate::ledger::{Account, Ledger};
use crate::metrics::WINDOW;
use crate::rng::{EntityKind, Purpose, hash_key, key, splitmix64};
use crate::scenario::CapacityMode;
use crate::state::{Ecosystem, NONE, Status, World};
use crate::units::nano_to_usd;

/// Rating of one served fill (MODEL.md §7.8): 0 on failure, else clip(q + N(0, noise), 0, 1).
pub fn rating(ctx: &StepCtx<'_>, customer: u32, job: u16, offering: u32, quality: f64) -> f64 {
    let pl = &ctx.p.s.platform;
    let k = hash_key(&[
        key(
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            EntityKind::Customer,
            customer as u64,
            Purpose::Rating,
        ),
        job as u64,
        offering as u64,
    ]);
    if unit(splitmix64(k ^ 1)) < pl.failure_rate {
        return 0.0;
    }
    if pl.rating_noise == 0.0 {
        return quality.clamp(0.0, 1.0);
    }
    let (u1, u2) = (unit(splitmix64(k ^ 2)), unit(splitmix64(k ^ 3)));
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (quality + pl.rating_noise * z).clamp(0.0, 1.0)
}

/// Runs P9.
pub fn update(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &Ledger,
    buf: &mut StepBuf,
    snap: &super::snapshot::Snapshot,
) {
    let price_usd = &snap.price_usd;
    let p = ctx.p;
    let pl = &p.s.platform;
    let pr = &p.s.providers;
    let t1 = ctx.step + 1;
    let n_off = w.offerings.len();
    let n_cat = p.categories.len();

    // Ratings per fill (parallel, by fill index), aggregated in fill order.
    let ratings: Vec<f64> = {
        let jobs = &buf.jobs;
        buf.fills
            .par_iter()
            .with_min_len(1024)
            .map(|f| {
                let job = &jobs[f.job as usize];
                rating(
                    ctx,
                    job.customer,
                    job.idx,
                    f.offering,
                    snap.quality[f.offering as usize],
                )
            })
            .collect()
    };
    // The amount a rating is weighted by is n × the price per request; a subscription's posted
    // (marginal) price is 0, so its requests count at the fee per included request.
    let unit_price: Vec<f64> = (0..n_off)
        .map(|j| super::subscription::b2b_price(w, price_usd, j))
        .collect();
    let mut agg = vec![0.0f64; n_off];
    let mut rated = vec![false; n_off];
    for (f, &r) in buf.fills.iter().zip(&ratings) {
        let j = f.offering as usize;
        let amount = f.n as f64 * unit_price[j];
        agg[j] += r * (1.0 + amount / pl.reputation_amount_ref_usd).log10();
        rated[j] = true;
        let job = &mut buf.jobs[f.job as usize];
        if w.offerings.is_platform(j) {
            job.rating_sum += r as f32;
            job.rated += 1;
        }
    }
    let d: Vec<f64> = agg.iter().map(|a| (1.0 + a).log10()).collect();
    // Normalization groups: the category, or (category, ecosystem) under `reputation_scope =
    // "ecosystem"` (group index c·(1 + incumbents) + ecosystem).
    let n_eco = 1 + p.s.incumbents.len();
    let group = |j: usize| -> usize {
        let c = w.offerings.category[j] as usize;
        match pl.reputation_scope {
            crate::scenario::ReputationScope::Category => c,
            crate::scenario::ReputationScope::Ecosystem => {
                c * n_eco
                    + match w.offerings.ecosystem[j] {
                        Ecosystem::Platform => 0,
                        Ecosystem::Incumbent(k) => 1 + k as usize,
                    }
            }
        }
    };
    let mut max_d = vec![0.0f64; n_cat * n_eco];
    for j in 0..n_off {
        if rated[j] {
            let g = group(j);
            max_d[g] = max_d[g].max(d[j]);
        }
    }
    let groups: Vec<usize> = (0..n_off).map(group).collect();

    // Offerings. In-house firms funded by the treasury do not exit for low profit (§7.13).
    let inhouse = &w.gtm.inhouse;
    let o = &mut w.offerings;
    let cr = pl.reputation_conservatism;
    let served_platform_by_cat = {
        let mut v = vec![0u64; n_cat];
        for j in 0..n_off {
            if o.is_platform(j) {
                v[o.category[j] as usize] += buf.served[j];
            }
        }
        v
    };
    let served_by_incumbent = {
        let mut v = vec![0u64; p.s.incumbents.len()];
        for j in 0..n_off {
            if let Ecosystem::Incumbent(k) = o.ecosystem[j] {
                v[k as usize] += buf.served[j];
            }
        }
        v
    };
    let hold = pr.provider_hold_steps as usize;
    let slot = ctx.step as usize % hold;
    let wslot = ctx.step as usize % WINDOW;
    buf.exits = 0;
    for j in 0..n_off {
        if !o.active[j] {
            continue;
        }
        let c = o.category[j] as usize;
        // Reputation.
        let g = groups[j];
        o.reputation[j] = if rated[j] && max_d[g] > 0.0 {
            cr * o.reputation[j] + (1.0 - cr) * d[j] / max_d[g]
        } else {
            cr * o.reputation[j]
        };
        // Data and quality.
        let served = buf.served[j];
        let pooled = match o.ecosystem[j] {
            Ecosystem::Platform => {
                pr.data_pooling_share * (served_platform_by_cat[c] - served) as f64
            }
            Ecosystem::Incumbent(k) => {
                p.s.incumbents[k as usize].data_pooling_share
                    * (served_by_incumbent[k as usize] - served) as f64
            }
        };
        o.data[j] = (1.0 - pr.data_depreciation_per_step) * o.data[j] + served as f64 + pooled;
        if pr.quality_drift_per_year > 0.0 {
            o.q0[j] = (o.q0[j] + pr.quality_drift_per_year * p.dt_years).min(p.categories[c].q_max);
        }
        o.quality[j] = super::init::quality(p, p.categories[c].q_max, o.q0[j], o.data[j]);
        o.cum_requests[j] += served;
        // Demand forecast: end-customer requests demanded (served + unserved); B2B units are
        // forecast by the buyers (§7.5) and added to the capacity plan below.
        let demand = buf.demanded[j] as f64;
        let a = pr.demand_ewma_alpha;
        o.demand_ewma[j] = if o.demand_ewma[j] < 0.0 {
            demand
        } else {
            (1.0 - a) * o.demand_ewma[j] + a * demand
        };
        // Reserved capacity plan: ⌈forecast/util⌉ within ±50 % of the current K, at least 1.
        if o.capacity_mode[j] == CapacityMode::Reserved && o.is_platform(j) {
            let k = o.capacity[j];
            let want =
                ((o.demand_ewma[j] + buf.granted_out[j] as f64) / pr.util_target).ceil() as u64;
            o.capacity[j] = want.clamp(k / 2, k.div_ceil(2) + k).max(1);
        }
        // Profit and exit.
        let profit = buf.revenue_usd[j] - buf.cost_usd[j];
        let b = pr.profit_ewma_alpha;
        o.profit_ewma[j] = (1.0 - b) * o.profit_ewma[j] + b * profit;
        o.cum_revenue_usd[j] += buf.revenue_usd[j];
        o.cum_profit_usd[j] += profit;
        o.revenue_ring[j * WINDOW + wslot] = buf.revenue_usd[j];
        o.received_ring[j * hold + slot] = buf.received_tokens[j];
        if o.is_platform(j) {
            // An independent firm is losing when it earns less than its founder's outside wage.
            let wage = p.s.developers.outside_wage_usd;
            o.loss_steps[j] = if o.profit_ewma[j] < wage {
                o.loss_steps[j] + 1
            } else {
                0
            };
            let cash = nano_to_usd(ledger.usd(Account::Offering(j as u32)));
            let broke = cash < -pr.max_debt_usd;
            let tired = pr.exit_patience_steps > 0
                && o.loss_steps[j] >= pr.exit_patience_steps
                && !inhouse.contains_key(&(j as u32));
            if broke || tired {
                o.active[j] = false;
                o.exited[j] = ctx.step;
                o.pending_exit_sale[j] = true;
                buf.exits += 1;
                let k = o.founder[j];
                if k != NONE {
                    w.developers.status[k as usize] = crate::state::DevStatus::Exited;
                }
            }
        }
    }
    for (k, v) in served_by_incumbent.iter().enumerate() {
        w.cum_requests_incumbent[k] += v;
    }
    w.cum_requests_platform += served_platform_by_cat.iter().sum::<u64>();

    // Per job: the offering that served it first (a rejected job may be served in a later round)
    // and the requests the platform and the incumbents served.
    let mut served_by = vec![NONE; buf.jobs.len()];
    let mut by_platform = vec![0u32; buf.jobs.len()];
    let mut by_incumbent = vec![0u32; buf.jobs.len()];
    for f in &buf.fills {
        let k = f.job as usize;
        if served_by[k] == NONE {
            served_by[k] = f.offering;
        }
        if w.offerings.is_platform(f.offering as usize) {
            by_platform[k] += f.n;
        } else {
            by_incumbent[k] += f.n;
        }
    }
    // Customers: last offering, activity, satisfaction (sequential over jobs, in customer order).
    // Satisfaction is the platform's report card: every job whose first choice was a platform
    // offering moves it towards (share of the job the platform served) × (mean rating of the
    // platform fills), also when the platform served none of it and an incumbent took the rest.
    let cu = &mut w.customers;
    for (k, job) in buf.jobs.iter().enumerate() {
        let i = job.customer as usize;
        if job.choice != NONE && w.offerings.is_platform(job.choice as usize) {
            let served_frac = by_platform[k] as f32 / job.n.max(1) as f32;
            let mean_rating = if job.rated > 0 {
                job.rating_sum / job.rated as f32
            } else {
                0.0
            };
            let a = p.s.segments[cu.segment[i] as usize].satisfaction_alpha as f32;
            cu.satisfaction[i] = (1.0 - a) * cu.satisfaction[i] + a * served_frac * mean_rating;
        }
        if job.served == 0 {
            continue;
        }
        cu.last_offering[i * n_cat + job.category as usize] = served_by[k];
        if by_platform[k] > 0 {
            cu.last_platform_use[i] = t1;
        }
        if by_incumbent[k] > 0 {
            cu.last_incumbent_use[i] = t1;
        }
    }
    // Spend averages of onboarded customers (parallel, own slot).
    let spend = &buf.spend_nano;
    let segs = &p.s.segments;
    cu.spend_ewma_usd
        .par_iter_mut()
        .with_min_len(super::CHUNK)
        .zip(cu.status.par_iter())
        .zip(cu.segment.par_iter())
        .enumerate()
        .for_each(|(i, ((e, st), sg))| {
            if *st != Status::Onboarded {
                return;
            }
            let s = nano_to_usd(spend[i]);
            let a = segs[*sg as usize].spend_ewma_alpha;
            *e = if *e < 0.0 {
                if s > 0.0 { s } else { *e }
            } else {
                (1.0 - a) * *e + a * s
            };
        });
}
