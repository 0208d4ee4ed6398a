//! P2, awareness, adoption and deboarding (MODEL.md §7.1). Parallel over fixed-size chunks of
//! customers; each customer writes only its own status. Deboarded customers are listed in id order
//! so that P7 sells their escrow.

use rayon::prelude::*;

use super::snapshot::Snapshot;
use super::{CHUNK, StepBuf, StepCtx};
use crate::rng::{EntityKind, Purpose, Stream};
use crate::scenario::{ContagionScope, NetworkScope};
use crate::state::{Ecosystem, Status, World};

/// ln Σ e^{x_k}, stable; −∞ for an empty set.
pub fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Per (segment, category): the platform's aggregated "core" utility of the top search results
/// (quality, reputation, price with fees and token friction at the customer's expected volume, no
/// customer-specific terms): ln Σ e^{core/μ} under logit, max core under max_utility.
fn platform_core(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot) -> Vec<f64> {
    let p = ctx.p;
    let mean_theta: Vec<f64> = p
        .segments
        .iter()
        .map(|sp| {
            let r = sp.first as usize..(sp.first + sp.size) as usize;
            let n = r.len().max(1) as f64;
            w.customers.theta[r].iter().map(|&t| t as f64).sum::<f64>() / n
        })
        .collect();
    let n_cat = p.categories.len();
    let pl = &p.s.platform;
    let o = &w.offerings;
    let mut out = vec![f64::NEG_INFINITY; p.segments.len() * n_cat];
    for (si, (seg, sp)) in p.s.segments.iter().zip(&p.segments).enumerate() {
        for c in 0..n_cat {
            let (fx, gas) = if seg.uses_gateway {
                (seg.gateway_fee_rate, 0.0)
            } else {
                let gas = pl.gas_per_channel_op_usd
                    / (sp.expected_requests * pl.channel_expiry_steps as f64).max(1.0);
                (p.exchange_fee(), gas)
            };
            let core = snap.top[c].iter().map(|&j| {
                let j = j as usize;
                let gross = snap.price_usd[j] * (1.0 + p.buyer_fee() - snap.gtm_subsidy).max(0.0);
                let own_net = match p.s.network_effects.network_scope {
                    NetworkScope::Ecosystem => 0.0,
                    // Per-offering bases cannot be factored out of the sum: use the segment's mean θ.
                    NetworkScope::Offering => mean_theta[si] * snap.net_same[j],
                };
                seg.quality_weight_usd * snap.quality[j]
                    + seg.reputation_weight_usd * o.reputation[j]
                    - gross * (1.0 + fx)
                    - gas
                    + own_net
            });
            out[si * n_cat + c] = if sp.mu > 0.0 {
                log_sum_exp(core.map(|v| v / sp.mu))
            } else {
                core.fold(f64::NEG_INFINITY, f64::max)
            };
        }
    }
    out
}

/// ΔW_i of §7.1: the expected gain of onboarding over the horizon, net of the onboarding cost.
fn onboarding_gain(ctx: &StepCtx<'_>, w: &World, snap: &Snapshot, core: &[f64], i: usize) -> f64 {
    let p = ctx.p;
    let cu = &w.customers;
    let si = cu.segment[i] as usize;
    let (seg, sp) = (&p.s.segments[si], &p.segments[si]);
    let n_cat = p.categories.len();
    let mu = sp.mu;
    let theta = cu.theta[i] as f64;
    let o = &w.offerings;
    let mut gain = 0.0;
    for c in 0..n_cat {
        let need = sp.needs[c];
        if need == 0.0 {
            continue;
        }
        let base = cu.value_mult[i] * p.categories[c].value_usd;
        let last = cu.last_offering[i * n_cat + c];
        let inc = snap.incumbents_in[c].iter().map(|&j| {
            let ju = j as usize;
            let Ecosystem::Incumbent(k) = o.ecosystem[ju] else {
                unreachable!()
            };
            let mut v = base
                + seg.quality_weight_usd * snap.quality[ju]
                + seg.reputation_weight_usd * o.reputation[ju]
                - snap.price_usd[ju]
                + theta * snap.net_same[ju];
            if last == j {
                v += seg.switching_cost_usd + p.s.incumbents[k as usize].extra_switching_cost_usd;
            }
            v
        });
        let plat_same = match p.s.network_effects.network_scope {
            NetworkScope::Ecosystem => snap.platform_same,
            NetworkScope::Offering => 0.0,
        };
        let plat = base + theta * (plat_same + snap.net_cross[c]);
        let outside = seg.outside_option.then_some(0.0);
        let (ls_inc, ls_all) = if mu > 0.0 {
            let inc_terms = outside.into_iter().chain(inc.map(|v| v / mu));
            let ls_inc = mu * log_sum_exp(inc_terms.clone());
            let ls_all = mu
                * log_sum_exp(inc_terms.chain(std::iter::once(plat / mu + core[si * n_cat + c])));
            (ls_inc, ls_all)
        } else {
            let m_inc = outside
                .into_iter()
                .chain(inc)
                .fold(f64::NEG_INFINITY, f64::max);
            (m_inc, m_inc.max(plat + core[si * n_cat + c]))
        };
        if ls_all.is_finite() {
            gain += need * (ls_all - if ls_inc.is_finite() { ls_inc } else { ls_all });
        }
    }
    let kappa = if seg.uses_gateway {
        seg.gateway_onboarding_cost_usd
    } else {
        seg.token_onboarding_cost_usd
    };
    // Airdropped tokens the customer kept lower its onboarding cost (§7.13).
    let credit = w.gtm.kappa_credit_usd.get(i).copied().unwrap_or(0.0) as f64;
    p.s.adoption.adoption_horizon_steps * sp.expected_requests * gain - (kappa - credit).max(0.0)
}

/// Runs P2: updates statuses, lists deboarders in `buf.deboarded`, counts new awareness and
/// onboarding.
pub fn adopt(ctx: &StepCtx<'_>, w: &mut World, snap: &Snapshot, buf: &mut StepBuf) {
    let p = ctx.p;
    let ad = &p.s.adoption;
    let core = platform_core(ctx, w, snap);
    let total_onboarded: u64 = snap.onboarded_by_segment.iter().sum();
    let contagion: Vec<f64> = p
        .segments
        .iter()
        .enumerate()
        .map(|(si, sp)| match ad.bass_contagion_scope {
            ContagionScope::Segment => snap.onboarded_by_segment[si] as f64 / sp.size.max(1) as f64,
            ContagionScope::Global => total_onboarded as f64 / p.customers.max(1) as f64,
        })
        .collect();
    let t1 = ctx.step + 1;
    let n = w.customers.len();
    let boost = &buf.gtm.bass_boost;
    let world: &World = w;
    let results: Vec<(Vec<Status>, Vec<u32>, u64, u64)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let cu = &world.customers;
            let range = k * CHUNK..((k + 1) * CHUNK).min(n);
            let mut status = Vec::with_capacity(range.len());
            let (mut deboarded, mut aware_now, mut onboarded_now) = (Vec::new(), 0u64, 0u64);
            for i in range {
                let si = cu.segment[i] as usize;
                let seg = &p.s.segments[si];
                let mut st = cu.status[i];
                let (seed, run, t) = (ctx.seed, ctx.run, ctx.step as u64);
                match st {
                    Status::Unaware => {
                        // Go-to-market marketing adds to Bass p (§7.1, §7.13).
                        let bp = seg.bass_p + boost.get(si).copied().unwrap_or(0.0);
                        let h = 1.0 - (-(bp + seg.bass_q * contagion[si]) * p.dt_years).exp();
                        let mut r = Stream::new(
                            seed,
                            run,
                            t,
                            EntityKind::Customer,
                            i as u64,
                            Purpose::Awareness,
                        );
                        if r.bernoulli(h) {
                            aware_now += 1;
                            st = Status::Aware;
                            if p.immediate_adoption {
                                st = Status::Onboarded;
                                onboarded_now += 1;
                            }
                        }
                    }
                    Status::Aware => {
                        let mut r = Stream::new(
                            seed,
                            run,
                            t,
                            EntityKind::Customer,
                            i as u64,
                            Purpose::Adoption,
                        );
                        let onboard = if p.immediate_adoption {
                            true
                        } else if r.bernoulli(seg.jobs_per_step.min(1.0)) {
                            let dw = onboarding_gain(ctx, world, snap, &core, i);
                            let prob = 1.0 / (1.0 + (-dw / ad.adoption_logit_scale_usd).exp());
                            r.bernoulli(prob)
                        } else {
                            false
                        };
                        if onboard {
                            st = Status::Onboarded;
                            onboarded_now += 1;
                        }
                    }
                    Status::Onboarded => {
                        let since = cu.last_platform_use[i].max(cu.onboarded_at[i]);
                        let idle = ad.deboard_after_steps > 0
                            && t1.saturating_sub(since) > ad.deboard_after_steps;
                        let unhappy = (cu.satisfaction[i] as f64) < ad.deboard_satisfaction;
                        if idle || unhappy {
                            st = Status::Aware;
                            deboarded.push(i as u32);
                        }
                    }
                }
                status.push(st);
            }
            (status, deboarded, aware_now, onboarded_now)
        })
        .collect();
    let cu = &mut w.customers;
    let free = buf.gtm.free_calls.map(|x| x.1);
    let free_left = &mut w.gtm.free_calls_left;
    let credit = &mut w.gtm.kappa_credit_usd;
    let mut at = 0;
    buf.deboarded.clear();
    // Airdrops in P0 may already have made customers aware this step.
    buf.onboarded_now = 0;
    for (status, deboarded, aware_now, onboarded_now) in results {
        for (k, st) in status.into_iter().enumerate() {
            if st == Status::Onboarded && cu.status[at + k] != Status::Onboarded {
                cu.onboarded_at[at + k] = t1;
                cu.satisfaction[at + k] = 1.0;
                // New customers during a `subsidy` window get their free calls.
                if let Some(nf) = free
                    && let Some(x) = free_left.get_mut(at + k)
                {
                    *x = nf;
                }
                if let Some(x) = credit.get_mut(at + k) {
                    *x = 0.0;
                }
            }
            cu.status[at + k] = st;
        }
        at += CHUNK;
        buf.deboarded.extend(deboarded);
        buf.aware_now += aware_now;
        buf.onboarded_now += onboarded_now;
    }
}

#[cfg(test)]
mod tests {
    use super::log_sum_exp;

    #[test]
    fn log_sum_exp_matches_the_direct_formula() {
        let xs = [0.0, 1.0, -2.0];
        let direct = xs.iter().map(|x: &f64| x.exp()).sum::<f64>().ln();
        assert!((log_sum_exp(xs.iter().copied()) - direct).abs() < 1e-14);
        assert!((log_sum_exp([1000.0, 1000.0].into_iter()) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_sum_exp(std::iter::empty()), f64::NEG_INFINITY);
    }
}
