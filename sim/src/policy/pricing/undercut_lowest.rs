//! `undercut_lowest` (Bertrand): if the offering's price is ≥ the lowest rival price (a tie counts
//! as not lowest), p = max(c, min_rival − tick); otherwise the price is unchanged (MODEL.md §7.6).
//! Rivals are every other active offering of the category, at their last posted prices; prices are
//! compared as the customer pays them before exchange friction (platform: posted × (1 + f_b)), and
//! the tick is in posted USD. Without rivals the price is unchanged.

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView, in_range};

/// Parameters of `undercut_lowest`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Undercut (USD per request), in [0, 1].
    pub tick: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { tick: 1e-4 }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("tick", self.tick, 0.0, 1.0, false)
    }
}

/// One Bertrand move against the snapshot.
pub fn next_price(p: &Params, view: &OfferingView, market: &MarketView) -> f64 {
    let lowest = market
        .rivals(view.id)
        .map(|r| r.paid_usd)
        .fold(f64::INFINITY, f64::min);
    if !lowest.is_finite() {
        return view.price_usd;
    }
    let g = market.paid_factor(view.ecosystem);
    if view.price_usd * g >= lowest {
        (lowest / g - p.tick).max(view.marginal_cost_usd)
    } else {
        view.price_usd
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, rival, view};
    use super::*;
    use crate::state::Ecosystem::{Incumbent, Platform};

    #[test]
    fn undercuts_by_a_tick_down_to_cost() {
        let p = Params::default();
        let m = market(
            vec![rival(1, Platform, 0.0099), rival(2, Incumbent(0), 0.012)],
            vec![],
        );
        // 0.010 ≥ 0.0099: undercut to 0.0098.
        assert!((next_price(&p, &view(0.010, 0.002), &m) - 0.0098).abs() < 1e-15);
        // Already lowest: unchanged.
        assert_eq!(next_price(&p, &view(0.0098, 0.002), &m), 0.0098);
        // A tie is not lowest.
        assert!((next_price(&p, &view(0.0099, 0.002), &m) - 0.0098).abs() < 1e-15);
        // Never below cost: rival at 0.00205 → max(c, 0.00195) = c.
        let m = market(vec![rival(1, Platform, 0.00205)], vec![]);
        assert_eq!(next_price(&p, &view(0.003, 0.002), &m), 0.002);
        // Both at cost: stays at cost.
        let m = market(vec![rival(1, Platform, 0.002)], vec![]);
        assert_eq!(next_price(&p, &view(0.002, 0.002), &m), 0.002);
        // No rivals: unchanged.
        assert_eq!(
            next_price(&p, &view(0.01, 0.002), &market(vec![], vec![])),
            0.01
        );
    }

    #[test]
    fn compares_paid_prices_across_ecosystems() {
        // Buyer fee 10 %: a platform price of 0.0095 costs the customer 0.01045 ≥ incumbent's 0.0100.
        let mut m = market(vec![rival(1, Incumbent(0), 0.0100)], vec![]);
        m.buyer_fee_factor = 1.1;
        let p = next_price(&Params::default(), &view(0.0095, 0.002), &m);
        assert!((p - (0.0100 / 1.1 - 1e-4)).abs() < 1e-15, "{p}");
    }
}
