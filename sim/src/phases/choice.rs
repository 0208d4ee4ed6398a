//! P5, jobs and choice (MODEL.md §7.2): each customer draws its jobs (arrival, category, size) and
//! chooses, per job, one offering from its visible choice set or the outside option, by
//! multinomial logit (Gumbel-max with counter-based taste shocks) or by maximum utility.
//! Parallel over fixed-size chunks of customers; each chunk returns its jobs, concatenated in
//! customer order.

use rayon::prelude::*;

use super::b2b::unit;
use super::snapshot::Snapshot;
use super::{CHUNK, Job, StepCtx};
use crate::rng::{EntityKind, Purpose, Stream, hash_key, key, splitmix64};
use crate::scenario::Segment;
use crate::state::{Ecosystem, NONE, Status, World};

/// Deterministic utility V_ij (USD per request) of offering `j` for customer `i` and a job of `n`
/// requests in category `c` (MODEL.md §7.2, §7.3).
#[allow(clippy::too_many_arguments)]
pub fn utility(
    ctx: &StepCtx<'_>,
    w: &World,
    snap: &Snapshot,
    seg: &Segment,
    expected_n: f64,
    i: usize,
    c: usize,
    j: usize,
    n: f64,
) -> f64 {
    let p = ctx.p;
    let o = &w.offerings;
    let cu = &w.customers;
    let theta = cu.theta[i] as f64;
    let last = cu.last_offering[i * cu.n_categories + c] == j as u32;
    let mut v = cu.value_mult[i] * p.categories[c].value_usd
        + seg.quality_weight_usd * snap.quality[j]
        + seg.reputation_weight_usd * o.reputation[j];
    // A subscription offering: 0 for its subscribers, fee/E[n] for the others (§7.2).
    let price = super::subscription::choice_price(ctx, w, i, c, j).unwrap_or(snap.price_usd[j]);
    match o.ecosystem[j] {
        Ecosystem::Platform => {
            // The go-to-market subsidy σ lowers the customer's price; free calls lower it by their
            // share of the job, weighted by the segment's `free_calls_sensitivity` (§7.2, §7.13).
            let mut gross = price * (1.0 + p.buyer_fee() - snap.gtm_subsidy).max(0.0);
            if let Some(&left) = w.gtm.free_calls_left.get(i)
                && left > 0
            {
                let share = (left as f64 / n.max(1.0)).min(1.0);
                gross *= 1.0 - seg.free_calls_sensitivity * share;
            }
            let pl = &p.s.platform;
            // Token friction φ: exchange fee on the payment, plus channel-open gas spread over the
            // channel's life when the customer has no channel with this provider (its last one).
            let (fx, gateway) = if seg.uses_gateway {
                (seg.gateway_fee_rate, true)
            } else {
                (p.exchange_fee(), false)
            };
            let gas = if last || gateway {
                0.0
            } else {
                pl.gas_per_channel_op_usd
                    / n.max(expected_n * pl.channel_expiry_steps as f64).max(1.0)
            };
            v -= gross * (1.0 + fx) + gas;
            v += theta * (snap.net_same[j] + snap.net_cross[c]);
            if last {
                v += seg.switching_cost_usd;
            }
        }
        Ecosystem::Incumbent(k) => {
            v -= price;
            v += theta * snap.net_same[j];
            if last {
                v += seg.switching_cost_usd + p.s.incumbents[k as usize].extra_switching_cost_usd;
            }
        }
    }
    v
}

/// Gumbel taste shock of option `j` (`NONE` = outside option) for a job, from its taste key.
fn gumbel(taste_key: u64, j: u32) -> f64 {
    -(-unit(splitmix64(
        taste_key ^ (j as u64 ^ 0xA5A5_0000).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    ))
    .ln())
    .ln()
}

/// The outcome of one choice.
pub struct Choice {
    /// Bid per request when the job bids in a call auction (`offering` = `auction::AUCTION`).
    pub bid: f64,
    /// For an auction bid: the best alternative's utility (which the bid is net of) less the
    /// outside option's, so that a winner's surplus over the outside option is
    /// (bid − p_c)·`price_factor` + alt.
    pub alt: f64,
    /// Chosen offering or `NONE`.
    pub offering: u32,
    /// Requests after the budget cap.
    pub n: u32,
    /// U_chosen − U_outside per request (USD), 0 for the outside option.
    pub surplus: f64,
}

/// Chooses for job `job` of customer `i`, skipping offerings for which `excluded` is true. The
/// choice set and the taste shocks are functions of (seed, run, step, customer, job index) only,
/// so a later matching round re-chooses with the same draws.
pub fn choose(
    ctx: &StepCtx<'_>,
    w: &World,
    snap: &Snapshot,
    job: &Job,
    n: u32,
    excluded: &[bool],
    first: bool,
) -> Choice {
    let p = ctx.p;
    let i = job.customer as usize;
    let c = job.category as usize;
    let si = w.customers.segment[i] as usize;
    let seg = &p.s.segments[si];
    let sp = &p.segments[si];
    let mu = sp.mu;
    let ck = |purpose| {
        hash_key(&[
            key(
                ctx.seed,
                ctx.run,
                ctx.step as u64,
                EntityKind::Customer,
                i as u64,
                purpose,
            ),
            job.idx as u64,
        ])
    };
    // A call-auction category (§7.6): an onboarded customer bids in the first round; in a re-choice
    // only the incumbents and the outside option remain.
    let auction = snap.auction_qbar.get(c).is_some_and(|q| !q.is_nan());
    let onboarded = w.customers.status[i] == Status::Onboarded;
    let taste = ck(Purpose::Taste);
    if auction && first && onboarded {
        // A bidder pays at most what leaves it as well off as its best alternative: its bid is
        // the posted price at which winning (with the asks' mean quality, reputation and network
        // term, fees and gas, and its taste draw for the auction) is worth as much as the best
        // incumbent or the outside option (taste draws included: the same as a choice's), so that
        // auction demand is a logit demand like any other.
        let shock = |j: u32| if mu > 0.0 { mu * gumbel(taste, j) } else { 0.0 };
        let outside = if seg.outside_option {
            shock(NONE)
        } else {
            f64::NEG_INFINITY
        };
        let mut alt = outside;
        for &j in &snap.incumbents_in[c] {
            let v = utility(
                ctx,
                w,
                snap,
                seg,
                sp.expected_requests,
                i,
                c,
                j as usize,
                n as f64,
            );
            alt = alt.max(v + shock(j));
        }
        let alt = if alt.is_finite() { alt } else { 0.0 };
        let value = super::auction::value_at_zero(ctx, w, snap, i, c, n as f64)
            + shock(super::auction::AUCTION);
        // The highest posted price p with value − p·k ≥ alt (k: fees per unit of price).
        let k = super::auction::price_factor(ctx, w, snap, i);
        return Choice {
            bid: (value - alt) / k,
            // A winner's surplus over the outside option is (bid − p_c)·k + this.
            alt: if outside.is_finite() {
                alt - outside
            } else {
                alt
            },
            offering: super::auction::AUCTION,
            n,
            surplus: 0.0,
        };
    }
    let nf = n as f64;
    let mut best_u = if seg.outside_option {
        if mu > 0.0 {
            mu * gumbel(taste, NONE)
        } else {
            0.0
        }
    } else {
        f64::NEG_INFINITY
    };
    let outside_u = best_u;
    let mut best_j = NONE;
    // Ties under max_utility: of the m tied offerings in id order, take index k mod m (k = the
    // job's lottery key); an offering tied with the outside option wins (indifferent customers buy).
    let mut tied: [u32; 16] = [NONE; 16];
    let mut n_tied = 0usize;
    let mut consider = |j: u32| {
        let ju = j as usize;
        if excluded.get(ju).copied().unwrap_or(false) {
            return;
        }
        let v = utility(ctx, w, snap, seg, sp.expected_requests, i, c, ju, nf);
        let u = if mu > 0.0 {
            v + mu * gumbel(taste, j)
        } else {
            v
        };
        if u > best_u || (best_j == NONE && u == best_u && mu == 0.0) {
            best_u = u;
            best_j = j;
            tied[0] = j;
            n_tied = 1;
        } else if u == best_u && mu == 0.0 && best_j != NONE && n_tied < tied.len() {
            tied[n_tied] = j;
            n_tied += 1;
        }
    };
    for &j in &snap.incumbents_in[c] {
        consider(j);
    }
    if onboarded && !auction {
        for &j in &snap.top[c] {
            consider(j);
        }
        let rest = &snap.rest[c];
        let slots = p.s.platform.explore_slots as usize;
        if !rest.is_empty() && slots > 0 {
            let mut r = Stream::from_key(ck(Purpose::Explore));
            let mut picked = [NONE; 32];
            for s in 0..slots.min(rest.len()).min(picked.len()) {
                // Draw distinct members of the rest by rejection (bounded tries).
                for _ in 0..8 {
                    let j = rest[r.below(rest.len() as u64) as usize];
                    if !picked[..s].contains(&j) {
                        picked[s] = j;
                        consider(j);
                        break;
                    }
                }
            }
        }
    }
    if n_tied > 1 {
        let mut t = tied[..n_tied].to_vec();
        t.sort_unstable();
        let k = hash_key(&[ck(Purpose::Lottery), 0]);
        best_j = t[(k % n_tied as u64) as usize];
    }
    if best_j == NONE {
        return Choice {
            bid: 0.0,
            alt: 0.0,
            offering: NONE,
            n,
            surplus: 0.0,
        };
    }
    let mut n_eff = n;
    if let Some(budget) = seg.budget_usd_per_step {
        let bj = best_j as usize;
        let unit_price = match w.offerings.ecosystem[bj] {
            Ecosystem::Platform => {
                snap.price_usd[bj] * (1.0 + p.buyer_fee() - snap.gtm_subsidy).max(0.0)
            }
            Ecosystem::Incumbent(_) => snap.price_usd[bj],
        };
        if unit_price > 0.0 {
            n_eff = n_eff.min((budget / unit_price).floor().min(u32::MAX as f64) as u32);
        }
        if n_eff == 0 {
            return Choice {
                bid: 0.0,
                alt: 0.0,
                offering: NONE,
                n,
                surplus: 0.0,
            };
        }
    }
    let surplus = if outside_u.is_finite() {
        best_u - outside_u
    } else {
        0.0
    };
    Choice {
        bid: 0.0,
        alt: 0.0,
        offering: best_j,
        n: n_eff,
        surplus,
    }
}

/// Draws one customer's jobs for the step and makes the first-round choices.
fn customer_jobs(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, i: usize, out: &mut Vec<Job>) {
    let p = ctx.p;
    let si = w.customers.segment[i] as usize;
    let seg = &p.s.segments[si];
    let sp = &p.segments[si];
    let (seed, run, t) = (ctx.seed, ctx.run, ctx.step as u64);
    let mut arrive = Stream::new(
        seed,
        run,
        t,
        EntityKind::Customer,
        i as u64,
        Purpose::JobArrival,
    );
    let count = if seg.jobs_per_step <= 1.0 {
        arrive.bernoulli(seg.jobs_per_step) as u64
    } else {
        arrive.poisson(seg.jobs_per_step)
    }
    .min(u16::MAX as u64);
    if count == 0 {
        return;
    }
    let mut cat = Stream::new(
        seed,
        run,
        t,
        EntityKind::Customer,
        i as u64,
        Purpose::JobCategory,
    );
    let mut size = Stream::new(
        seed,
        run,
        t,
        EntityKind::Customer,
        i as u64,
        Purpose::JobSize,
    );
    let none = [false; 0];
    for idx in 0..count as u16 {
        let c = cat.categorical(&sp.needs_cum) as u16;
        let n = if seg.requests_per_job_sigma > 0.0 {
            size.lognormal(seg.requests_per_job_median.ln(), seg.requests_per_job_sigma)
        } else {
            seg.requests_per_job_median
        }
        .round()
        .clamp(1.0, u32::MAX as f64) as u32;
        let mut job = Job {
            customer: i as u32,
            idx,
            category: c,
            n,
            remaining: 0,
            choice: NONE,
            surplus: 0.0,
            served: 0,
            rating_sum: 0.0,
            rated: 0,
            bid: 0.0,
            alt: 0.0,
        };
        let ch = choose(ctx, w, snap, &job, n, &none, true);
        job.bid = ch.bid as f32;
        job.alt = ch.alt as f32;
        job.choice = ch.offering;
        job.n = ch.n;
        job.remaining = if ch.offering == NONE { 0 } else { ch.n };
        job.surplus = ch.surplus as f32;
        out.push(job);
    }
}

/// Runs P5: the step's jobs in customer order.
pub fn choose_all(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot) -> Vec<Job> {
    let n = w.customers.len();
    let chunks: Vec<Vec<Job>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut out = Vec::new();
            for i in k * CHUNK..((k + 1) * CHUNK).min(n) {
                customer_jobs(ctx, w, snap, i, &mut out);
            }
            out
        })
        .collect();
    chunks.concat()
}
