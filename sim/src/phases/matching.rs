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
    let rounds = p.s.engine.max_match_rounds.max(1);
    // Current target of each job in this round.
    let mut target: Vec<u32> = buf.jobs.iter().map(|j| j.choice).collect();
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
                    choose(ctx, w, snap, job, job.remaining, full_ref).offering
                })
                .collect();
            target = retarget;
        }
        let mut intents: Vec<Intent> = buf
            .jobs
            .iter()
            .enumerate()
            .filter(|(k, j)| j.remaining > 0 && target[*k] != NONE)
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
            let asked: Vec<u64> = seg
                .iter()
                .map(|x| buf.jobs[x.4 as usize].remaining as u64)
                .collect();
            let total: u64 = asked.iter().sum();
            buf.demanded[off] += total;
            let cap = buf.remaining[off];
            let grants: Vec<u64> = if cap == u64::MAX || total <= cap {
                asked.clone()
            } else {
                match p.s.engine.rationing {
                    Rationing::ProRata => ration(cap, &asked, total),
                    Rationing::Lottery | Rationing::Priority => {
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
