//! `logit_best_response`: the price that maximizes (p − c)·s_j(p) with rivals at their snapshot
//! prices (MODEL.md §7.6), s_j(p) = Σ_s w_s P_sj(p), P_sj the logit probability of segment s's
//! representative customer (`MarketView::segments`) over the visible offerings (incumbents and the
//! search top k), j itself, and the outside option if enabled. The first-order condition
//!
//!   (p − c) · Σ_s w_s g_s P_sj(1 − P_sj)/μ_s = Σ_s w_s P_sj
//!
//! is solved by bisection on [c, c + max_s (μ_s/g_s)/(1 − max_s P_sj(c))], the upper end capped at
//! `price_cap_usd`, 64 iterations. g_s is the posted-to-paid factor of j for s (platform:
//! (1 + f_b)(1 + f_x); incumbents: 1), so fees scale μ_s to μ_s/g_s; with g = 1 and one segment the
//! condition is MODEL.md's (p − c)(1 − s_j) = μ (V5).
//!
//! Segments with μ_s = 0 (`max_utility`) are left out unless `mu_estimate` is set; without any
//! logit segment the price is kept. When P_sj(c) = 1 (no rival, no outside option) the bracket is
//! unbounded: the rule returns the cap, or keeps the price without one.

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView, RivalView, SegmentView, in_range};

/// Parameters of `logit_best_response`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// μ used for every segment (USD), in (0, 1]; absent = each segment's own μ_s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mu_estimate: Option<f64>,
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self.mu_estimate {
            Some(mu) => in_range("mu_estimate", mu, 0.0, 1.0, true),
            None => Ok(()),
        }
    }
}

/// One segment's demand for j: weight, μ, price slope, j's non-price utility and the rivals'
/// utilities (fixed on the snapshot).
struct SegDemand {
    w: f64,
    mu: f64,
    g: f64,
    a: f64,
    others: Vec<f64>,
}

impl SegDemand {
    fn new(s: &SegmentView, w: f64, mu: f64, own: &RivalView, rivals: &[&RivalView]) -> SegDemand {
        let mut others: Vec<f64> = rivals.iter().map(|r| s.utility(r, r.price_usd)).collect();
        if s.outside_option {
            others.push(0.0);
        }
        SegDemand {
            w,
            mu,
            g: s.price_slope(own.ecosystem),
            a: s.non_price_utility(own),
            others,
        }
    }

    /// P_sj at posted price `p` (log-sum-exp with the largest utility factored out).
    fn prob(&self, p: f64) -> f64 {
        let vj = self.a - self.g * p;
        let m = self.others.iter().copied().fold(vj, f64::max);
        let ej = ((vj - m) / self.mu).exp();
        let rest: f64 = self.others.iter().map(|&v| ((v - m) / self.mu).exp()).sum();
        ej / (ej + rest)
    }
}

/// The FOC residual (p − c)·Σ w g P(1 − P)/μ − Σ w P: negative at c, non-negative at the bracket's
/// upper end.
fn foc(segs: &[SegDemand], p: f64, c: f64) -> f64 {
    let (mut slope, mut share) = (0.0, 0.0);
    for s in segs {
        let q = s.prob(p);
        slope += s.w * s.g * q * (1.0 - q) / s.mu;
        share += s.w * q;
    }
    (p - c) * slope - share
}

/// The best response to the snapshot.
pub fn next_price(p: &Params, view: &OfferingView, market: &MarketView) -> f64 {
    let c = view.marginal_cost_usd;
    let own = view.as_rival(market);
    let rivals: Vec<&RivalView> = market.rivals(view.id).filter(|r| r.visible).collect();
    let weights = market.weights(view.ecosystem);
    let segs: Vec<SegDemand> = market
        .segments
        .iter()
        .zip(&weights)
        .filter_map(|(s, &w)| {
            let mu = p.mu_estimate.unwrap_or(s.mu_usd);
            (w > 0.0 && mu > 0.0 && mu.is_finite()).then(|| SegDemand::new(s, w, mu, &own, &rivals))
        })
        .collect();
    if segs.is_empty() {
        return view.price_usd;
    }
    let max_p = segs.iter().map(|s| s.prob(c)).fold(0.0, f64::max);
    let max_mu = segs.iter().map(|s| s.mu / s.g).fold(0.0, f64::max);
    let mut hi = c + max_mu / (1.0 - max_p);
    if let Some(cap) = market.price_cap_usd {
        if cap <= c {
            return cap;
        }
        hi = hi.min(cap);
    } else if !hi.is_finite() {
        return view.price_usd;
    }
    let mut lo = c;
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if foc(&segs, mid, c) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, rival, segment, view};
    use super::*;
    use crate::state::Ecosystem::{Incumbent, Platform};

    #[test]
    fn symmetric_nash_is_a_fixed_point_v5() {
        // One segment, 3 symmetric offerings, no outside option: p* = c + μN/(N − 1) = 0.0035.
        let m = market(
            vec![rival(1, Platform, 0.0035), rival(2, Platform, 0.0035)],
            vec![segment(0.02, 0.001, false)],
        );
        let p = next_price(&Params::default(), &view(0.01, 0.002), &m);
        assert!((p - 0.0035).abs() < 1e-12, "{p}");
    }

    #[test]
    fn best_response_solves_the_one_segment_condition() {
        // Rivals at 0.004 and 0.005, outside option, v = 0.02: (p − c)(1 − s(p)) = μ at the answer.
        let m = market(
            vec![rival(1, Platform, 0.004), rival(2, Incumbent(0), 0.005)],
            vec![segment(0.02, 0.002, true)],
        );
        let p = next_price(&Params::default(), &view(0.01, 0.002), &m);
        let e = |x: f64| ((0.02 - x) / 0.002).exp();
        let s = e(p) / (1.0 + e(p) + e(0.004) + e(0.005));
        assert!(
            ((p - 0.002) * (1.0 - s) - 0.002).abs() < 1e-12,
            "p = {p}, s = {s}"
        );
        // mu_estimate replaces μ_s.
        let q = next_price(
            &Params {
                mu_estimate: Some(0.001),
            },
            &view(0.01, 0.002),
            &m,
        );
        let e = |x: f64| ((0.02 - x) / 0.001).exp();
        let s = e(q) / (1.0 + e(q) + e(0.004) + e(0.005));
        assert!(((q - 0.002) * (1.0 - s) - 0.001).abs() < 1e-12);
    }

    #[test]
    fn two_segments_satisfy_the_weighted_condition() {
        let mut s2 = segment(0.05, 0.004, true);
        s2.weight_platform = 3.0;
        s2.platform_factor = 1.05;
        let m = market(
            vec![rival(1, Platform, 0.006)],
            vec![segment(0.02, 0.001, true), s2],
        );
        let p = next_price(&Params::default(), &view(0.01, 0.003), &m);
        let prob = |v: f64, mu: f64, g: f64, x: f64| {
            let ej = ((v - g * x) / mu).exp();
            ej / (1.0 + ej + ((v - g * 0.006) / mu).exp())
        };
        let (p1, p2) = (prob(0.02, 0.001, 1.0, p), prob(0.05, 0.004, 1.05, p));
        let lhs = (p - 0.003) * (p1 * (1.0 - p1) / 0.001 + 3.0 * 1.05 * p2 * (1.0 - p2) / 0.004);
        assert!((lhs - (p1 + 3.0 * p2)).abs() < 1e-9, "{lhs}");
    }

    #[test]
    fn degenerate_cases() {
        // Max-utility segments only: keep the price.
        let m = market(
            vec![rival(1, Platform, 0.004)],
            vec![segment(0.02, 0.0, true)],
        );
        assert_eq!(next_price(&Params::default(), &view(0.01, 0.002), &m), 0.01);
        // Alone without an outside option: the cap, or the current price without one.
        let mut m = market(vec![], vec![segment(0.02, 0.001, false)]);
        assert_eq!(next_price(&Params::default(), &view(0.01, 0.002), &m), 0.01);
        m.price_cap_usd = Some(0.05);
        assert_eq!(next_price(&Params::default(), &view(0.01, 0.002), &m), 0.05);
        // Invisible rivals are not in the choice set.
        let mut r = rival(1, Platform, 0.0035);
        r.visible = false;
        let m = market(vec![r], vec![segment(0.02, 0.001, false)]);
        assert_eq!(next_price(&Params::default(), &view(0.01, 0.002), &m), 0.01);
    }
}
