//! `undercut_incumbent`: p = max(c·(1 + m_min), p_I − d), with `mode = "discount"` (d = δ·p_I) or
//! `"utility_parity"` (d such that the segment-average customer gets V_j = V_I + ε_margin,
//! ε_margin = `[pricing] epsilon_margin_usd`) (MODEL.md §7.6).
//!
//! The reference incumbent I is the other incumbent offering of the category with the highest
//! weighted mean utility (representative customers of `MarketView::segments`, the offering's
//! weights; ties to the lower id; the lowest price when there are no segments). The
//! segment-average customer is the weighted mean of the representative customers, without
//! switching bonus: p_j solves Σ_s w_s (A_js − g_s p_j) = Σ_s w_s (A_Is − p_I + ε), A the
//! non-price utility and g_s the posted-to-paid factor of j. Without an incumbent the price is kept.

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView, RivalView, in_range};
use crate::state::Ecosystem;

/// How far below the incumbent to price.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// d = δ·p_I.
    Discount,
    /// d such that V_j = V_I + ε_margin for the segment-average customer.
    UtilityParity,
}

/// Parameters of `undercut_incumbent`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Discount or utility parity.
    pub mode: Mode,
    /// δ: relative discount in `discount` mode, in [0, 1].
    pub discount: f64,
    /// m_min: the price never goes below c·(1 + m_min), in [0, 5].
    pub min_markup: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: Mode::Discount,
            discount: 0.2,
            min_markup: 0.05,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("discount", self.discount, 0.0, 1.0, false)?;
        in_range("min_markup", self.min_markup, 0.0, 5.0, false)
    }
}

/// Weighted mean over segments of `f(segment)`; `None` without positive weight.
fn mean(market: &MarketView, w: &[f64], f: impl Fn(&super::SegmentView) -> f64) -> Option<f64> {
    let total: f64 = w.iter().sum();
    (total > 0.0).then(|| {
        market
            .segments
            .iter()
            .zip(w)
            .map(|(s, &ws)| ws * f(s))
            .sum::<f64>()
            / total
    })
}

/// The reference incumbent of the category for offering `view`.
pub fn reference_incumbent<'a>(
    view: &OfferingView,
    market: &'a MarketView,
) -> Option<&'a RivalView> {
    let w = market.weights(view.ecosystem);
    let mut best: Option<(&RivalView, f64)> = None;
    for r in market
        .rivals(view.id)
        .filter(|r| matches!(r.ecosystem, Ecosystem::Incumbent(_)))
    {
        let score = mean(market, &w, |s| s.utility(r, r.price_usd)).unwrap_or(-r.price_usd);
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((r, score));
        }
    }
    best.map(|b| b.0)
}

/// The undercut price against the reference incumbent.
pub fn next_price(p: &Params, view: &OfferingView, market: &MarketView) -> f64 {
    let Some(inc) = reference_incumbent(view, market) else {
        return view.price_usd;
    };
    let floor = view.marginal_cost_usd * (1.0 + p.min_markup);
    let pi = inc.price_usd;
    let target = match p.mode {
        Mode::Discount => pi * (1.0 - p.discount),
        Mode::UtilityParity => {
            let own = view.as_rival(market);
            let w = market.weights(view.ecosystem);
            let eps = market.epsilon_margin_usd;
            let gap = mean(market, &w, |s| {
                s.non_price_utility(&own) - s.non_price_utility(inc) + pi - eps
            });
            let slope = mean(market, &w, |s| s.price_slope(view.ecosystem));
            match (gap, slope) {
                (Some(g), Some(k)) if k > 0.0 => g / k,
                _ => pi - eps,
            }
        }
    };
    floor.max(target)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, rival, segment, view};
    use super::*;
    use crate::state::Ecosystem::{Incumbent, Platform};

    #[test]
    fn discount_mode_undercuts_the_incumbent_by_a_share() {
        let m = market(
            vec![rival(1, Incumbent(0), 0.006), rival(2, Platform, 0.001)],
            vec![segment(0.02, 0.003, true)],
        );
        // 0.006 × 0.8 = 0.0048.
        assert!((next_price(&Params::default(), &view(0.01, 0.002), &m) - 0.0048).abs() < 1e-15);
        // Cost floor: max(0.005 × 1.05, 0.0048) = 0.00525.
        assert!((next_price(&Params::default(), &view(0.01, 0.005), &m) - 0.00525).abs() < 1e-15);
        // No incumbent: unchanged.
        let m = market(vec![rival(2, Platform, 0.001)], vec![]);
        assert_eq!(next_price(&Params::default(), &view(0.01, 0.002), &m), 0.01);
    }

    #[test]
    fn utility_parity_matches_the_average_customers_utility() {
        // Incumbent: q = 0.8, r = 0.9, price 0.006, network 0.002. Platform j: q = 0.5, r = 0.5.
        // Segments: w_q 0.02, w_r 0.005, θ̄ 1, gas 0.001, factor 1.02 (weights 3 and 1, second θ̄ 0).
        let mut inc = rival(1, Incumbent(0), 0.006);
        inc.quality = 0.8;
        inc.reputation = 0.9;
        inc.net_usd = 0.002;
        let mut s1 = segment(0.02, 0.003, true);
        s1.quality_weight_usd = 0.02;
        s1.reputation_weight_usd = 0.005;
        s1.platform_gas_usd = 0.001;
        s1.platform_factor = 1.02;
        s1.weight_platform = 3.0;
        let mut s2 = s1;
        s2.theta_mean = 0.0;
        s2.weight_platform = 1.0;
        let mut v = view(0.01, 0.0);
        v.net_usd = 0.001;
        let m = market(vec![inc], vec![s1, s2]);
        let p = Params {
            mode: Mode::UtilityParity,
            ..Params::default()
        };
        let got = next_price(&p, &v, &m);
        // Non-price gap A_j − A_I per segment: 0.02(0.5 − 0.8) + 0.005(0.5 − 0.9) + θ̄(0.001 − 0.002) − 0.001
        // = −0.006 − 0.002 − 0.001θ̄ − 0.001: −0.010 (θ̄ = 1), −0.009 (θ̄ = 0); mean (3, 1): −0.00975.
        // p = (−0.00975 + 0.006 − 0.0001)/1.02.
        let want = (-0.00975 + 0.006 - 0.0001) / 1.02;
        assert!(want < 0.0);
        assert_eq!(got, 0.0f64.max(want), "the floor c(1+m) = 0 binds");
        // With a better platform offering the parity price is positive and exact.
        v.quality = 1.0;
        v.reputation = 1.0;
        // Gap: 0.02·0.2 + 0.005·0.1 − 0.001θ̄ − 0.001 = 0.0035 − 0.001θ̄: 0.0025, 0.0035; mean 0.00275.
        let want = (0.00275 + 0.006 - 0.0001) / 1.02;
        assert!((next_price(&p, &v, &m) - want).abs() < 1e-15);
        // The customer's utilities then differ by exactly ε on average.
        let own = v.as_rival(&m);
        let du: f64 = [(s1, 3.0), (s2, 1.0)]
            .iter()
            .map(|(s, w)| w * (s.utility(&own, want) - s.utility(&inc, 0.006)))
            .sum::<f64>()
            / 4.0;
        assert!((du - 1e-4).abs() < 1e-15, "{du}");
    }

    #[test]
    fn the_reference_is_the_incumbent_customers_like_best() {
        let m = market(
            vec![
                rival(1, Incumbent(0), 0.004),
                rival(2, Incumbent(1), 0.006),
                rival(3, Platform, 0.001),
            ],
            vec![segment(0.02, 0.003, true)],
        );
        assert_eq!(reference_incumbent(&view(0.01, 0.0), &m).unwrap().id, 1);
        let mut m2 = m.clone();
        m2.offerings[1].quality = 1.0;
        m2.segments[0].quality_weight_usd = 0.02; // +0.01 utility beats a 0.002 price gap
        assert_eq!(reference_incumbent(&view(0.01, 0.0), &m2).unwrap().id, 2);
    }
}
