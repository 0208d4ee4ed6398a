//! P4, B2B procurement of composite offerings (MODEL.md §7.5), in two serial passes over category
//! depth levels: requests from the deepest level down, grants from depth 0 up, so that a composite
//! secures its inputs before it grants capacity to others and before end customers are served.
//! Composites are few (O(offerings)), so both passes are sequential and in id order.

use super::snapshot::Snapshot;
use super::{StepBuf, StepCtx};
use crate::rng::{EntityKind, Purpose, hash_key, key, splitmix64};
use crate::state::{Ecosystem, NONE, World};

/// Width of a composite's supplier row (the longest recipe).
pub fn width(ctx: &StepCtx<'_>) -> usize {
    ctx.p
        .categories
        .iter()
        .map(|c| c.recipe.len())
        .max()
        .unwrap_or(0)
        .max(1)
}

/// Index of recipe slot `k` of offering `j` in [`StepBuf::supply`].
pub fn slot(width: usize, j: usize, k: usize) -> usize {
    j * width + k
}

/// U(0,1) from a 64-bit hash, as in `rng::Stream::uniform` (52 bits, strictly inside (0, 1)).
pub fn unit(h: u64) -> f64 {
    ((h >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// Picks a supplier for composite `j`, recipe slot `k`, in category `ck` (logit over visible
/// platform offerings and incumbents; argmax with ties by id when the scale is 0).
fn pick_supplier(
    ctx: &StepCtx<'_>,
    w: &World,
    snap: &Snapshot,
    j: usize,
    k: usize,
    ck: usize,
    prev: u32,
) -> u32 {
    let b = &ctx.p.s.b2b;
    let fb = ctx.p.buyer_fee();
    let base = hash_key(&[
        key(
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            EntityKind::Offering,
            j as u64,
            Purpose::B2b,
        ),
        k as u64,
    ]);
    let o = &w.offerings;
    let mut best = (f64::NEG_INFINITY, NONE);
    for &s in snap.top[ck].iter().chain(&snap.incumbents_in[ck]) {
        let su = s as usize;
        if su == j {
            continue;
        }
        let price = match o.ecosystem[su] {
            Ecosystem::Platform => snap.b2b_usd[su] * (1.0 + fb),
            Ecosystem::Incumbent(_) => snap.b2b_usd[su],
        };
        let mut u = b.b2b_quality_weight_usd * snap.quality[su]
            + b.b2b_reputation_weight_usd * o.reputation[su]
            - price;
        if s == prev {
            u += b.b2b_switching_cost_usd;
        }
        if b.b2b_logit_scale_usd > 0.0 {
            let g = -(-unit(splitmix64(
                base ^ (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ))
            .ln())
            .ln();
            u += b.b2b_logit_scale_usd * g;
        }
        if u > best.0 || (u == best.0 && s < best.1) {
            best = (u, s);
        }
    }
    best.1
}

/// The platform supplier a go-to-market buyer picks in category `ck`: the composites' supplier
/// logit over the category's top `search_results_k` platform offerings (no incumbents), `exclude`
/// left out, Gumbel shocks from `base`; `NONE` if there is none.
fn pick_platform_supplier(
    ctx: &StepCtx<'_>,
    w: &World,
    snap: &Snapshot,
    base: u64,
    ck: usize,
    exclude: usize,
) -> u32 {
    let b = &ctx.p.s.b2b;
    let fb = ctx.p.buyer_fee();
    let o = &w.offerings;
    let mut best = (f64::NEG_INFINITY, NONE);
    for &s in &snap.top[ck] {
        let su = s as usize;
        if su == exclude {
            continue;
        }
        let mut u = b.b2b_quality_weight_usd * snap.quality[su]
            + b.b2b_reputation_weight_usd * o.reputation[su]
            - snap.b2b_usd[su] * (1.0 + fb);
        if b.b2b_logit_scale_usd > 0.0 {
            let g = -(-unit(splitmix64(
                base ^ (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ))
            .ln())
            .ln();
            u += b.b2b_logit_scale_usd * g;
        }
        if u > best.0 || (u == best.0 && s < best.1) {
            best = (u, s);
        }
    }
    best.1
}

/// Runs P4: fills `buf.supply`, `buf.capacity_now`, `buf.remaining`, `buf.granted_out` and adds
/// the input costs of composites to `snap.cost_usd`.
pub fn procure(ctx: &StepCtx<'_>, w: &mut World, snap: &mut Snapshot, buf: &mut StepBuf) {
    let p = ctx.p;
    let o = &w.offerings;
    let n = o.len();
    let wd = width(ctx);
    buf.supply.clear();
    buf.supply.resize(n * wd, (NONE, 0));
    buf.granted_out.clear();
    buf.granted_out.resize(n, 0);
    buf.capacity_now.clear();
    buf.capacity_now
        .extend((0..n).map(|j| if o.active[j] { o.capacity[j] } else { 0 }));
    let depth_of = |j: usize| p.categories[o.category[j] as usize].depth;
    let is_composite = |j: usize| o.active[j] && o.is_platform(j) && depth_of(j) > 0;

    if w.supplier_prev.len() != n * wd {
        w.supplier_prev.resize(n * wd, NONE);
    }
    // Pass 1: requests, deepest level first.
    let mut requests_in = vec![0u64; n];
    // (supplier, lottery key, composite, slot, units)
    let mut requests: Vec<(u32, u64, u32, u16, u64)> = Vec::new();
    for d in (1..=p.max_depth).rev() {
        for j in (0..n).filter(|&j| is_composite(j) && depth_of(j) == d) {
            let dhat = o.demand_ewma[j].max(0.0) * (1.0 + p.s.b2b.b2b_reserve_buffer)
                + requests_in[j] as f64;
            let recipe = &p.categories[o.category[j] as usize].recipe;
            for (k, &(ck, u)) in recipe.iter().enumerate() {
                let s = pick_supplier(
                    ctx,
                    w,
                    snap,
                    j,
                    k,
                    ck as usize,
                    w.supplier_prev[slot(wd, j, k)],
                );
                buf.supply[slot(wd, j, k)].0 = s;
                if s == NONE {
                    continue;
                }
                let units = (dhat * u as f64).ceil() as u64;
                requests_in[s as usize] += units;
                let lk = hash_key(&[
                    ctx.seed,
                    ctx.run,
                    ctx.step as u64,
                    0xB2B,
                    j as u64,
                    k as u64,
                ]);
                requests.push((s, lk, j as u32, k as u16, units));
            }
        }
    }
    // Go-to-market platform buyers (the studio, accelerator grantees), after the composites: each
    // picks one platform supplier per recipe slot by the supplier logit and asks for ⌊budget /
    // Σ_k u_k p̂_k⌋ recipe units.
    let bw = buf.gtm.buyer_width.max(1);
    let nb = buf.gtm.buyers.len();
    buf.gtm.buyer_supply.clear();
    buf.gtm.buyer_supply.resize(nb * bw, (NONE, 0));
    let fb = p.buyer_fee();
    for b in 0..nb {
        let buyer = &buf.gtm.buyers[b];
        let exclude = buyer.grantee.map_or(usize::MAX, |g| g.0 as usize);
        let base = hash_key(&[
            key(
                ctx.seed,
                ctx.run,
                ctx.step as u64,
                EntityKind::Platform,
                b as u64,
                Purpose::B2b,
            ),
            buyer.policy as u64,
        ]);
        let mut unit_cost = 0.0;
        let mut picks = Vec::with_capacity(buyer.recipe.len());
        for (k, &(ck, u)) in buyer.recipe.iter().enumerate() {
            let s = pick_platform_supplier(
                ctx,
                w,
                snap,
                hash_key(&[base, k as u64]),
                ck as usize,
                exclude,
            );
            if s != NONE {
                unit_cost += u as f64 * snap.b2b_usd[s as usize] * (1.0 + fb);
            }
            picks.push(s);
        }
        if unit_cost <= 0.0 {
            continue;
        }
        let units = (crate::units::nano_to_usd(buyer.budget_nano) / unit_cost).floor();
        if units < 1.0 {
            continue;
        }
        for (k, &s) in picks.iter().enumerate() {
            buf.gtm.buyer_supply[b * bw + k].0 = s;
            if s == NONE {
                continue;
            }
            let want = (units * buyer.recipe[k].1 as f64).min(1e15) as u64;
            requests_in[s as usize] += want;
            let lk = hash_key(&[
                ctx.seed,
                ctx.run,
                ctx.step as u64,
                0x57D,
                b as u64,
                k as u64,
            ]);
            requests.push((s, lk, (n + b) as u32, k as u16, want));
        }
    }
    requests.sort_unstable();

    // Pass 2: grants, from depth 0 upward. A composite's own capacity is capped by its inputs.
    let mut start = 0;
    let mut by_supplier: Vec<(usize, usize)> = vec![(0, 0); n];
    while start < requests.len() {
        let s = requests[start].0 as usize;
        let mut end = start;
        while end < requests.len() && requests[end].0 as usize == s {
            end += 1;
        }
        by_supplier[s] = (start, end);
        start = end;
    }
    for d in 0..=p.max_depth {
        for s in (0..n).filter(|&j| o.active[j] && depth_of(j) == d) {
            if is_composite(s) {
                let recipe = &p.categories[o.category[s] as usize].recipe;
                let mut cap = o.capacity[s];
                for (k, &(_, u)) in recipe.iter().enumerate() {
                    let (sup, granted) = buf.supply[slot(wd, s, k)];
                    cap = if sup == NONE {
                        0
                    } else {
                        cap.min(granted / u as u64)
                    };
                }
                buf.capacity_now[s] = cap;
            }
            let (a, b) = by_supplier[s];
            if a == b {
                continue;
            }
            let avail = buf.capacity_now[s];
            let asked: u64 = requests[a..b].iter().map(|r| r.4).sum();
            let grants = ration(
                avail,
                &requests[a..b].iter().map(|r| r.4).collect::<Vec<_>>(),
                asked,
            );
            let mut total = 0;
            for (r, g) in requests[a..b].iter().zip(grants) {
                if (r.2 as usize) < n {
                    buf.supply[slot(wd, r.2 as usize, r.3 as usize)].1 = g;
                } else {
                    buf.gtm.buyer_supply[(r.2 as usize - n) * bw + r.3 as usize].1 = g;
                }
                total += g;
            }
            buf.granted_out[s] = total;
        }
    }
    buf.remaining.clear();
    buf.remaining.extend((0..n).map(|j| {
        let c = buf.capacity_now[j];
        if c == u64::MAX {
            c
        } else {
            c - buf.granted_out[j].min(c)
        }
    }));

    // Composite full cost: own cost plus inputs at the chosen suppliers' prices; quality as
    // customers see it: Cobb–Douglas q_own^α₀ Π q_k^α_k with α_k = (1 − α₀)/K (§7.5).
    let fb = p.buyer_fee();
    let a0 = p.s.b2b.own_quality_weight;
    for j in (0..n).filter(|&j| is_composite(j)) {
        let recipe = &p.categories[o.category[j] as usize].recipe;
        let ak = (1.0 - a0) / recipe.len() as f64;
        let mut q = o.quality[j].max(0.0).powf(a0);
        for (k, &(_, u)) in recipe.iter().enumerate() {
            let s = buf.supply[slot(wd, j, k)].0;
            if s != NONE {
                let s = s as usize;
                let gross = if o.is_platform(s) { 1.0 + fb } else { 1.0 };
                let price = snap.b2b_usd[s];
                snap.cost_usd[j] += u as f64 * price * gross;
                q *= snap.quality[s].max(0.0).powf(ak);
            } else {
                q = 0.0;
            }
        }
        snap.quality[j] = q;
    }
    for j in 0..n {
        for k in 0..wd {
            w.supplier_prev[slot(wd, j, k)] = buf.supply[slot(wd, j, k)].0;
        }
    }
}

/// Splits `avail` units among requests pro rata (all granted if they fit), with the largest
/// remainders first and ties in request order (requests are sorted by lottery key).
pub fn ration(avail: u64, asked: &[u64], total: u64) -> Vec<u64> {
    if avail == u64::MAX || total <= avail {
        return asked.to_vec();
    }
    let mut grants: Vec<u64> = asked
        .iter()
        .map(|&a| ((a as u128 * avail as u128) / total as u128) as u64)
        .collect();
    let given: u64 = grants.iter().sum();
    let mut order: Vec<(u128, usize)> = asked
        .iter()
        .enumerate()
        .map(|(i, &a)| ((a as u128 * avail as u128) % total as u128, i))
        .collect();
    order.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    for &(_, i) in order.iter().take((avail - given) as usize) {
        grants[i] += 1;
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::ration;

    #[test]
    fn ration_is_pro_rata_with_largest_remainders() {
        assert_eq!(ration(100, &[30, 20], 50), vec![30, 20], "all fit");
        // 10 units for 3 + 3 + 4 = 10 asked: fits exactly.
        assert_eq!(ration(10, &[3, 3, 4], 10), vec![3, 3, 4]);
        // 5 units for 4 + 4 + 2: quotas 2, 2, 1 exactly.
        assert_eq!(ration(5, &[4, 4, 2], 10), vec![2, 2, 1]);
        // 4 units for 3 + 3 + 3: quotas 1.33 each: floors 1,1,1, one extra to the first (tie by order).
        assert_eq!(ration(4, &[3, 3, 3], 9), vec![2, 1, 1]);
        // 7 units for 1 + 9: quotas 0.7 and 6.3: floors 0 and 6, the extra goes to the larger remainder.
        assert_eq!(ration(7, &[1, 9], 10), vec![1, 6]);
        assert_eq!(ration(u64::MAX, &[5], 5), vec![5]);
    }
}
