//! `limit_pricing` (incumbents): p = p_list while the platform's request share in the category is
//! below `share_trigger`, else p = max(c·(1 + m_min), p_list·(1 − cut)) (MODEL.md §7.6, §7.14).
//! p_list is the incumbent's list price (`price_usd_per_1m_tokens` × `tokens_per_request`/10⁶);
//! a platform offering using the rule takes its price at the first reprice as p_list. The share is
//! the platform's share of the category's demand forecasts (`MarketView::platform_share`).

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView, PolicyState, in_range};

/// Parameters of `limit_pricing`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// s_trig: platform share that triggers the cut, in [0, 1].
    pub share_trigger: f64,
    /// Relative price cut once triggered, in [0, 1].
    pub cut: f64,
    /// m_min: the cut price never goes below c·(1 + m_min), in [0, 5].
    pub min_markup: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            share_trigger: 0.1,
            cut: 0.3,
            min_markup: 0.05,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("share_trigger", self.share_trigger, 0.0, 1.0, false)?;
        in_range("cut", self.cut, 0.0, 1.0, false)?;
        in_range("min_markup", self.min_markup, 0.0, 5.0, false)
    }
}

/// The list price, or the cut price once the platform's share reaches the trigger.
pub fn next_price(
    p: &Params,
    view: &OfferingView,
    market: &MarketView,
    state: &mut PolicyState,
) -> f64 {
    if !state.started {
        state.started = true;
        state.anchor_usd = view.price_usd;
    }
    let list = view.list_price_usd.unwrap_or(state.anchor_usd);
    if market.platform_share < p.share_trigger {
        list
    } else {
        (view.marginal_cost_usd * (1.0 + p.min_markup)).max(list * (1.0 - p.cut))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, view};
    use super::*;
    use crate::state::Ecosystem;

    #[test]
    fn cuts_once_the_platform_share_reaches_the_trigger() {
        let p = Params::default();
        let mut v = view(0.005, 0.002);
        v.ecosystem = Ecosystem::Incumbent(0);
        v.list_price_usd = Some(0.006);
        let mut m = market(vec![], vec![]);
        let mut st = PolicyState::default();
        m.platform_share = 0.05;
        assert_eq!(
            next_price(&p, &v, &m, &mut st),
            0.006,
            "below the trigger: list"
        );
        m.platform_share = 0.1;
        // 0.006 × 0.7 = 0.0042 ≥ 0.002 × 1.05.
        assert!((next_price(&p, &v, &m, &mut st) - 0.0042).abs() < 1e-15);
        // A high cost binds: max(0.005 × 1.05, 0.0042) = 0.00525.
        v.marginal_cost_usd = 0.005;
        assert!((next_price(&p, &v, &m, &mut st) - 0.00525).abs() < 1e-15);
        // Share back under the trigger: list again.
        m.platform_share = 0.0;
        assert_eq!(next_price(&p, &v, &m, &mut st), 0.006);
    }

    #[test]
    fn platform_offerings_use_their_first_price_as_list() {
        let p = Params::default();
        let mut st = PolicyState::default();
        let mut m = market(vec![], vec![]);
        assert_eq!(next_price(&p, &view(0.01, 0.002), &m, &mut st), 0.01);
        m.platform_share = 0.5;
        assert!((next_price(&p, &view(0.02, 0.002), &m, &mut st) - 0.007).abs() < 1e-15);
    }
}
