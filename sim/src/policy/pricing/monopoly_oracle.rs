//! `monopoly_oracle` (test-only, for validation V4): the discrete monopoly optimum against a
//! `uniform_quantiles` value distribution. For the first segment with such a `value_dist`
//! {min, max} and N customers, customer k (ascending) values a request at
//! R_k = (m_s v_c (min + (max − min)(k + 0.5)/N) + w_q q + w_r r + θ̄ N_j − gas)/g, so at price R_k
//! the N − k customers k…N − 1 buy (indifferent customers buy, outside option assumed). The rule
//! scans all N candidates, maximizes (R_k − c)(N − k) (ties to the lower price) and returns that
//! R_k; rivals are ignored. It tests the demand module alone; do not use it in scenarios about
//! markets. Without such a segment the price is kept.

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView};

/// `monopoly_oracle` has no parameters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {}

/// The discrete optimum R_k*.
pub fn next_price(_p: &Params, view: &OfferingView, market: &MarketView) -> f64 {
    let Some((seg, (lo, hi))) = market
        .segments
        .iter()
        .find_map(|s| s.value_quantiles.filter(|_| s.size > 0).map(|q| (s, q)))
    else {
        return view.price_usd;
    };
    let own = view.as_rival(market);
    let extra = seg.non_price_utility(&own) - seg.value_usd;
    let g = seg.price_slope(view.ecosystem);
    let n = seg.size as u64;
    let c = view.marginal_cost_usd;
    let mut best = (f64::NEG_INFINITY, view.price_usd);
    for k in 0..n {
        let u = lo + (hi - lo) * (k as f64 + 0.5) / n as f64;
        let r = (seg.value_base_usd * u + extra) / g;
        let profit = (r - c) * (n - k) as f64;
        if profit > best.0 {
            best = (profit, r);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, segment, view};
    use super::*;

    #[test]
    fn finds_the_discrete_optimum_of_v4() {
        // v_i = 0.02 (i + 0.5)/N, N = 100 000, c = 0.002: p_d* = 0.0110001 (Q = 45 000).
        let mut s = segment(0.01, 0.0, true);
        s.value_base_usd = 0.02;
        s.value_quantiles = Some((0.0, 1.0));
        s.size = 100_000;
        let m = market(vec![], vec![s]);
        let p = next_price(&Params {}, &view(0.005, 0.002), &m);
        assert!((p / 0.0110001 - 1.0).abs() < 1e-12, "{p}");
        // Within v_max/(N p*) of the continuous optimum (v_max + c)/2.
        assert!((p / 0.011 - 1.0).abs() <= 0.02 / (100_000.0 * 0.011));
    }

    #[test]
    fn small_case_by_hand() {
        // N = 4, values 0.125, 0.375, 0.625, 0.875 (× 1 USD), c = 0.1:
        // profits 0.025·4, 0.275·3, 0.525·2, 0.775·1 → 0.1, 0.825, 1.05, 0.775: k = 2, p = 0.625.
        let mut s = segment(0.5, 0.0, true);
        s.value_base_usd = 1.0;
        s.value_quantiles = Some((0.0, 1.0));
        s.size = 4;
        let m = market(vec![], vec![s]);
        assert_eq!(next_price(&Params {}, &view(0.3, 0.1), &m), 0.625);
        // No quantile segment: unchanged.
        let m = market(vec![], vec![segment(0.5, 0.0, true)]);
        assert_eq!(next_price(&Params {}, &view(0.3, 0.1), &m), 0.3);
    }
}
