//! Call auctions, engine side (MODEL.md §7.6; the ask rule is `crate::policy::pricing::call_auction`).
//!
//! A category clears by call auction when it has an active platform offering priced by
//! `call_auction` (an auction category). After P4, [`qbar`] gives each auction category the
//! capacity-weighted quality q̄ of its admissible asks (quality ≥ the ask's `min_quality`, capacity
//! left). In P5 an onboarded customer with a job in an auction category does not choose: it bids
//! b_i = (W_i + με_iA − A_i)/k_i per request for its n requests, the posted price at which winning
//! is worth as much as its best alternative: W_i = m_i v_c + w_q q̄ + w_r r̄ + θ_i(N̄_same + N_cross)
//! − φ the utility of winning at price 0 ([`value_at_zero`]: MODEL.md's m_i v_c + w_q q̄ − φ plus
//! the reputation and network terms that the choice utility also counts, with the asks' capacity-
//! weighted means of [`means`]; φ the channel gas of a new provider, 0 for gateway users),
//! A_i = max(best incumbent's V_iI + με_iI, με_i0) the utility of its best alternative with the
//! same taste draws as a choice, and k_i = (1 + f_b − σ)(1 + fee) what it pays per unit of price
//! ([`price_factor`]); marked by [`AUCTION`]. In P6, before the matching rounds,
//! [`clear`] clears each auction category (categories in index order): asks a_j (the posted price)
//! for their capacity sorted by (a_j, id), bid requests sorted by (−b_i, lottery key); the crossing
//! volume Q is the largest volume at which the Q-th bid is ≥ the Q-th ask; the clearing price is
//! p_c = (marginal ask + marginal bid)/2; the first Q bid requests win and are assigned, in bid
//! order, to the asks with a_j ≤ p_c in ask order, each ask taking a quota pro rata to its capacity
//! (largest remainders, ties in ask order). Every winning ask is paid p_c per request (the engine
//! sets its price for the step's settlement to p_c). A bid's unfilled requests re-choose in the next
//! round among the incumbents and the outside option only; if that is the outside option, they are
//! dropped (priced out, not unserved).

use super::b2b::ration;
use super::snapshot::Snapshot;
use super::{Fill, StepBuf, StepCtx};
use crate::policy::pricing::PricingRule;
use crate::rng::hash_key;
use crate::state::{NONE, World};

/// The first-round target of a job that bid in a call auction.
pub const AUCTION: u32 = u32::MAX - 1;

/// Per category, the capacity-weighted means over its admissible asks (quality ≥ the ask's
/// `min_quality`, capacity left) of quality q̄, reputation r̄ and the same-side network term, which
/// a bidder expects of whichever seller it wins; NaN in all three if it is not an auction
/// category, 0 if it is one without an admissible ask.
#[allow(clippy::type_complexity)]
pub fn means(
    w: &World,
    snap: &Snapshot,
    buf: &StepBuf,
    n_cat: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let o = &w.offerings;
    let mut sum = vec![[0.0f64; 3]; n_cat];
    let mut weight = vec![0.0f64; n_cat];
    let mut auction = vec![false; n_cat];
    for j in 0..o.len() {
        let PricingRule::CallAuction(cp) = &o.rule[j] else {
            continue;
        };
        if !o.active[j] || !o.is_platform(j) {
            continue;
        }
        let c = o.category[j] as usize;
        auction[c] = true;
        let q = snap.quality[j];
        let cap = buf
            .remaining
            .get(j)
            .copied()
            .unwrap_or(0)
            .min(1_000_000_000) as f64;
        if q >= cp.min_quality && cap > 0.0 {
            sum[c][0] += q * cap;
            sum[c][1] += o.reputation[j] * cap;
            sum[c][2] += snap.net_same[j] * cap;
            weight[c] += cap;
        }
    }
    let mean = |k: usize| -> Vec<f64> {
        (0..n_cat)
            .map(|c| {
                if !auction[c] {
                    f64::NAN
                } else if weight[c] > 0.0 {
                    sum[c][k] / weight[c]
                } else {
                    0.0
                }
            })
            .collect()
    };
    (mean(0), mean(1), mean(2))
}

/// What customer `i` pays per unit of the posted price on the platform: (1 + f_b − σ)⁺ × (1 +
/// exchange or gateway fee), as in the choice utility (§7.2), floored at 0.1 so that a full
/// subsidy cannot make a bid unbounded.
pub fn price_factor(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, i: usize) -> f64 {
    let p = ctx.p;
    let seg = &p.s.segments[w.customers.segment[i] as usize];
    let fx = if seg.uses_gateway {
        seg.gateway_fee_rate
    } else {
        p.exchange_fee()
    };
    ((1.0 + p.buyer_fee() - snap.gtm_subsidy).max(0.0) * (1.0 + fx)).max(0.1)
}

/// The utility of winning in auction category `c` at price 0 for customer `i` and a job of `n`
/// requests, per request: MODEL.md's m_i v_c + w_q q̄ − φ, plus what the choice utility (§7.2)
/// also counts for any platform offering: w_r r̄ and θ_i (same-side + cross-side network terms),
/// with the means of [`means`] (φ the channel gas of a new provider, 0 for gateway users).
pub fn value_at_zero(
    ctx: &StepCtx<'_>,
    w: &World,
    snap: &Snapshot,
    i: usize,
    c: usize,
    n: f64,
) -> f64 {
    let p = ctx.p;
    let seg = &p.s.segments[w.customers.segment[i] as usize];
    let sp = &p.segments[w.customers.segment[i] as usize];
    let pl = &p.s.platform;
    let gas = if seg.uses_gateway {
        0.0
    } else {
        pl.gas_per_channel_op_usd
            / n.max(sp.expected_requests * pl.channel_expiry_steps as f64)
                .max(1.0)
    };
    let theta = w.customers.theta[i] as f64;
    w.customers.value_mult[i] * p.categories[c].value_usd
        + seg.quality_weight_usd * snap.auction_qbar[c]
        + seg.reputation_weight_usd * snap.auction_rbar[c]
        + theta * (snap.auction_netbar[c] + snap.net_cross[c])
        - gas
}

/// The crossing of bids (price, units; highest first) and asks (price, units; lowest first): the
/// largest volume Q at which the Q-th bid unit is ≥ the Q-th ask unit, and the marginal ask and bid
/// (the prices of the Q-th units); (0, 0, 0) when nothing crosses.
pub fn cross(bids: &[(f64, u64)], asks: &[(f64, u64)]) -> (u64, f64, f64) {
    let (mut bi, mut ai) = (0usize, 0usize);
    let (mut bleft, mut aleft) = (
        bids.first().map_or(0, |x| x.1),
        asks.first().map_or(0, |x| x.1),
    );
    let (mut q, mut mb, mut ma) = (0u64, 0.0f64, 0.0f64);
    while bi < bids.len() && ai < asks.len() {
        if bleft == 0 {
            bi += 1;
            bleft = bids.get(bi).map_or(0, |x| x.1);
            continue;
        }
        if aleft == 0 {
            ai += 1;
            aleft = asks.get(ai).map_or(0, |x| x.1);
            continue;
        }
        if bids[bi].0 < asks[ai].0 {
            break;
        }
        let x = bleft.min(aleft);
        q += x;
        mb = bids[bi].0;
        ma = asks[ai].0;
        bleft -= x;
        aleft -= x;
    }
    (q, ma, mb)
}

/// Clears every auction category; fills `buf.fills`, `buf.clear_price`, and the served,
/// remaining and demanded counts; sets each bidding job's served, remaining, surplus and (when it
/// won requests) its first-round choice to its first seller.
pub fn clear(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, buf: &mut StepBuf) {
    let o = &w.offerings;
    buf.clear_price.clear();
    buf.clear_price.resize(o.len(), 0.0);
    let n_cat = ctx.p.categories.len();
    if snap.auction_qbar.iter().all(|q| q.is_nan()) {
        return;
    }
    // Bids by category: (−bid, key, job index, requests).
    let mut bids: Vec<Vec<(f64, u64, u32, u64)>> = vec![Vec::new(); n_cat];
    for (k, job) in buf.jobs.iter().enumerate() {
        if job.choice != AUCTION || job.remaining == 0 {
            continue;
        }
        let key = hash_key(&[
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            0,
            job.customer as u64,
            job.idx as u64,
        ]);
        bids[job.category as usize].push((job.bid as f64, key, k as u32, job.remaining as u64));
    }
    for (c, mut b) in bids.into_iter().enumerate() {
        if b.is_empty() {
            continue;
        }
        b.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        // Asks: (ask, id, capacity).
        let mut asks: Vec<(f64, u32, u64)> = Vec::new();
        for j in 0..o.len() {
            let PricingRule::CallAuction(cp) = &o.rule[j] else {
                continue;
            };
            if !o.active[j] || !o.is_platform(j) || o.category[j] as usize != c {
                continue;
            }
            let cap = buf.remaining[j];
            if snap.quality[j] >= cp.min_quality && cap > 0 {
                asks.push((snap.price_usd[j], j as u32, cap.min(1 << 50)));
            }
        }
        if asks.is_empty() {
            continue;
        }
        asks.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        // Crossing volume and marginal prices.
        let units_b: Vec<(f64, u64)> = b.iter().map(|x| (x.0, x.3)).collect();
        let units_a: Vec<(f64, u64)> = asks.iter().map(|x| (x.0, x.2)).collect();
        let (q, ma, mb) = cross(&units_b, &units_a);
        if q == 0 {
            continue;
        }
        let pc = 0.5 * (ma + mb);
        let sellers: Vec<(f64, u32, u64)> = asks.into_iter().filter(|a| a.0 <= pc).collect();
        let caps: Vec<u64> = sellers.iter().map(|a| a.2).collect();
        let quotas = ration(q, &caps, caps.iter().sum());
        // Assign the first Q bid requests, in bid order, to the sellers' quotas in ask order.
        let mut s = 0usize;
        let mut sleft = quotas[0];
        let mut left = q;
        for &(bid, _, k, n) in &b {
            if left == 0 {
                break;
            }
            let mut take = n.min(left);
            left -= take;
            let job_k = k as usize;
            // Surplus over the outside option (`Job::alt`).
            let kf = price_factor(ctx, w, snap, buf.jobs[job_k].customer as usize);
            buf.jobs[job_k].surplus = ((bid - pc) * kf) as f32 + buf.jobs[job_k].alt;
            while take > 0 {
                while sleft == 0 {
                    s += 1;
                    sleft = quotas[s];
                }
                let x = take.min(sleft);
                let j = sellers[s].1;
                take -= x;
                sleft -= x;
                let job = &mut buf.jobs[job_k];
                job.remaining -= x as u32;
                job.served += x as u32;
                buf.fills.push(Fill {
                    job: k,
                    offering: j,
                    n: x as u32,
                });
                buf.served[j as usize] += x;
                buf.demanded[j as usize] += x;
                if buf.remaining[j as usize] != u64::MAX {
                    buf.remaining[j as usize] -= x;
                }
                buf.clear_price[j as usize] = pc;
            }
        }
    }
    // A bidding job that won requests has its first seller as its first-round choice.
    let mut first = vec![NONE; buf.jobs.len()];
    for f in &buf.fills {
        if first[f.job as usize] == NONE {
            first[f.job as usize] = f.offering;
        }
    }
    for (k, job) in buf.jobs.iter_mut().enumerate() {
        if job.choice == AUCTION {
            job.choice = first[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cross;

    #[test]
    fn crossing_volume_and_price_by_hand() {
        // Bids 10 @ 0.05 and 10 @ 0.02; asks 5 @ 0.01, 10 @ 0.03, 10 @ 0.04: Q = 10, marginal
        // ask 0.03, marginal bid 0.05.
        let bids = [(0.05, 10), (0.02, 10)];
        let asks = [(0.01, 5), (0.03, 10), (0.04, 10)];
        assert_eq!(cross(&bids, &asks), (10, 0.03, 0.05));
        // Everything crosses: Q = all bids, marginal bid the lowest.
        assert_eq!(
            cross(&[(0.05, 3), (0.04, 2)], &[(0.01, 100)]),
            (5, 0.01, 0.04)
        );
        // Nothing crosses.
        assert_eq!(cross(&[(0.01, 3)], &[(0.02, 3)]), (0, 0.0, 0.0));
        assert_eq!(cross(&[], &[(0.02, 3)]), (0, 0.0, 0.0));
        // A zero-capacity ask is skipped.
        assert_eq!(
            cross(&[(0.05, 2)], &[(0.01, 0), (0.02, 5)]),
            (2, 0.02, 0.05)
        );
    }

    #[test]
    fn quotas_by_hand() {
        // Bids 10 @ 0.05 and 10 @ 0.02; asks 5 @ 0.01, 10 @ 0.03, 10 @ 0.04.
        // Unit by unit: units 1–5 cross (0.05 ≥ 0.01), 6–10 cross (0.05 ≥ 0.03), unit 11 is a bid
        // of 0.02 against an ask of 0.03: no. Q = 10, marginal bid 0.05, marginal ask 0.03,
        // p_c = 0.04; sellers with ask ≤ 0.04 are all three (caps 5, 10, 10): quotas of 10 pro rata
        // 2, 4, 4.
        let quotas = super::ration(10, &[5, 10, 10], 25);
        assert_eq!(quotas, vec![2, 4, 4]);
        assert!((0.5f64 * (0.03 + 0.05) - 0.04).abs() < 1e-15);
    }
}
