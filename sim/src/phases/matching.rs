//! P6, matching against capacity (MODEL.md §7.4). Intents are sorted by (offering, lottery key,
//! customer, job index), a total order, so the outcome never depends on which thread came first.
//! Per offering, intents are accepted in key order until capacity is exhausted (`lottery`, the
//! marginal intent partially filled if allowed) or pro rata with largest remainders (`pro_rata`).
//! Rejected demand re-chooses in the next round among offerings with capacity left, with the same
//! taste draws; after the last round it is unserved.

use rayon::prelude::*;

use super::b2b::ration;
use super::choice::choose;
use super::snapshot::Snapshot;
use super::{Fill, StepBuf, StepCtx};
use crate::rng::hash_key;
use crate::scenario::Rationing;
use crate::state::{NONE, World};

/// One intent: (offering, lottery key, customer, job index, index into the job list).
type Intent = (u32, u64, u32, u16, u32);

/// Runs P6 over `buf.jobs`, filling `buf.fills`, `buf.demanded`, `buf.served` and updating
/// `buf.remaining`.
pub fn match_jobs(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, buf: &mut StepBuf) {
    let p = ctx.p;
    let n_off = w.offerings.len();
    buf.fills.clear();
    buf.demanded.clear();
    buf.demanded.resize(n_off, 0);
    buf.served.clear();
    buf.served.resize(n_off, 0);
    let mut full = vec![false; n_off];
    // Requests served per (customer, subscription offering) this step, across rounds.
    let mut sub_used: std::collections::BTreeMap<(u32, u32), u64> = Default::default();
    let rounds = p.s.engine.max_match_rounds.max(1);
    // Call auctions clear first (MODEL.md §7.6); their bids' unfilled requests re-choose in round 1.
    let bidder: Vec<bool> = buf
        .jobs
        .iter()
        .map(|j| j.choice == super::auction::AUCTION)
        .collect();
    super::auction::clear(ctx, w, snap, buf);
    // Current target of each job in this round.
    let mut target: Vec<u32> = buf
        .jobs
        .iter()
        .zip(&bidder)
        .map(|(j, &b)| if b { super::auction::AUCTION } else { j.choice })
        .collect();
    for round in 0..rounds {
        if round > 0 {
            // Re-choose for jobs with rejected demand, excluding full offerings (parallel, per job).
            let jobs = &buf.jobs;
            let full_ref = &full;
            let retarget: Vec<u32> = (0..jobs.len())
                .into_par_iter()
                .with_min_len(1024)
                .map(|k| {
                    let job = &jobs[k];
                    if job.remaining == 0 || target[k] == NONE {
                        return NONE;
                    }
                    choose(ctx, w, snap, job, job.remaining, full_ref, false).offering
                })
                .collect();
            target = retarget;
            // A bid priced out of its auction that now prefers the outside option leaves.
            for (k, job) in buf.jobs.iter_mut().enumerate() {
                if bidder[k] && job.remaining > 0 {
                    if target[k] == NONE {
                        job.remaining = 0;
                    } else if job.choice == NONE {
                        job.choice = target[k];
                    }
                }
            }
        }
        let mut intents: Vec<Intent> = buf
            .jobs
            .iter()
            .enumerate()
            .filter(|(k, j)| {
                j.remaining > 0 && target[*k] != NONE && target[*k] != super::auction::AUCTION
            })
            .map(|(k, j)| {
                let key = hash_key(&[
                    ctx.seed,
                    ctx.run,
                    ctx.step as u64,
                    round as u64,
                    j.customer as u64,
                    j.idx as u64,
                ]);
                (target[k], key, j.customer, j.idx, k as u32)
            })
            .collect();
        if intents.is_empty() {
            // Round 0 may be empty when every job bid in an auction: their rest re-chooses next.
            if round == 0
                && bidder
                    .iter()
                    .zip(&buf.jobs)
                    .any(|(&b, j)| b && j.remaining > 0)
            {
                continue;
            }
            break;
        }
        intents.par_sort_unstable();
        let mut a = 0;
        while a < intents.len() {
            let off = intents[a].0 as usize;
            let mut b = a;
            while b < intents.len() && intents[b].0 as usize == off {
                b += 1;
            }
            let seg = &intents[a..b];
            // A subscription without overage serves at most `cap_requests` per customer and step;
            // the rest goes to the next round (MODEL.md §7.6).
            let sub_cap = super::subscription::params(w, off)
                .filter(|sp| sp.overage_price.is_none())
                .map(|sp| sp.cap_requests);
            // Several jobs of one customer may ask in the same segment: what the earlier ones ask
            // counts against the cap of the later ones (in key order).
            let mut seg_asked: std::collections::BTreeMap<u32, u64> = Default::default();
            let asked: Vec<u64> = seg
                .iter()
                .map(|x| {
                    let n = buf.jobs[x.4 as usize].remaining as u64;
                    match sub_cap {
                        Some(c) => {
                            let before = sub_used.get(&(x.2, off as u32)).copied().unwrap_or(0);
                            let this = seg_asked.entry(x.2).or_default();
                            let a = n.min(c.saturating_sub(before + *this));
                            *this += a;
                            a
                        }
                        None => n,
                    }
                })
                .collect();
            let total: u64 = asked.iter().sum();
            buf.demanded[off] += total;
            let cap = buf.remaining[off];
            let grants: Vec<u64> = if cap == u64::MAX || total <= cap {
                asked.clone()
            } else {
                match p.s.engine.rationing {
                    Rationing::ProRata => ration(cap, &asked, total),
                    Rationing::Priority => {
                        // The offering's subscribers first, then the others, each in key order.
                        let mut order: Vec<usize> = (0..seg.len()).collect();
                        order.sort_by_key(|&k| {
                            let job = &buf.jobs[seg[k].4 as usize];
                            !super::subscription::subscribed(
                                w,
                                job.customer as usize,
                                job.category as usize,
                                off as u32,
                                ctx.step,
                            )
                        });
                        let mut left = cap;
                        let mut g = vec![0u64; seg.len()];
                        for k in order {
                            let n = asked[k];
                            let x = if n <= left || p.s.engine.allow_partial_fill {
                                n.min(left)
                            } else {
                                0
                            };
                            left -= x;
                            g[k] = x;
                        }
                        g
                    }
                    Rationing::Lottery => {
                        let mut left = cap;
                        asked
                            .iter()
                            .map(|&n| {
                                let g = if n <= left || p.s.engine.allow_partial_fill {
                                    n.min(left)
                                } else {
                                    0
                                };
                                left -= g;
                                g
                            })
                            .collect()
                    }
                }
            };
            let mut used = 0;
            for (x, g) in seg.iter().zip(grants) {
                if g == 0 {
                    continue;
                }
                if sub_cap.is_some() {
                    *sub_used.entry((x.2, off as u32)).or_default() += g;
                }
                let job = &mut buf.jobs[x.4 as usize];
                job.remaining -= g as u32;
                job.served += g as u32;
                used += g;
                buf.fills.push(Fill {
                    job: x.4,
                    offering: off as u32,
                    n: g as u32,
                });
            }
            buf.served[off] += used;
            if cap != u64::MAX {
                buf.remaining[off] = cap - used;
                full[off] = buf.remaining[off] == 0;
            }
            a = b;
        }
    }
}
