//! `call_auction` (pricing side): the offering's ask in its category's uniform-price call auction,
//! a_j = c·(1 + m_j) per request for its capacity K_j, with the markup m_j learned by the profit
//! hill-climb (MODEL.md §7.6): (1 + m_j) ← (1 + m_j)(1 ± η), m_j ≥ 0, starting at `ask_markup`.
//! The ask is posted as the offering's price; clearing (bids, crossing volume, p_c written as the
//! price of every winning ask) is the engine's P5/P6 (see the `call_auction clearing` paragraph).

use serde::{Deserialize, Serialize};

use super::profit_hill_climb::check_climb;
use super::{OfferingView, PolicyState, hill_climb, in_range};

/// Parameters of `call_auction`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Minimum quality of an ask admitted to the auction, in [0, 1] (used by the clearing).
    pub min_quality: f64,
    /// Initial markup m_j of the ask over c, in [0, 5].
    pub ask_markup: f64,
    /// Hill-climb step on (1 + m_j), as `profit_hill_climb`'s `step`.
    pub step: f64,
    /// Smallest step.
    pub step_min: f64,
    /// Step decay per reprice.
    pub decay: f64,
    /// EWMA weight of the realized profit.
    pub profit_alpha: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_quality: 0.0,
            ask_markup: 0.2,
            step: 0.05,
            step_min: 0.001,
            decay: 0.99,
            profit_alpha: 0.5,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("min_quality", self.min_quality, 0.0, 1.0, false)?;
        in_range("ask_markup", self.ask_markup, 0.0, 5.0, false)?;
        check_climb(self.step, self.step_min, self.decay, self.profit_alpha)
    }
}

/// The ask c·(1 + m_j) after one hill-climb move of (1 + m_j).
pub fn next_price(p: &Params, view: &OfferingView, state: &mut PolicyState) -> f64 {
    let first = !state.started;
    let factor = hill_climb(state, view, p.step, p.step_min, p.decay, p.profit_alpha);
    if first {
        state.markup = p.ask_markup;
        state.anchor_usd = view.price_usd;
    } else {
        state.markup = ((1.0 + state.markup) * factor - 1.0).max(0.0);
    }
    view.marginal_cost_usd * (1.0 + state.markup)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::view;
    use super::*;

    #[test]
    fn asks_cost_plus_learned_markup() {
        let p = Params {
            step: 0.1,
            decay: 1.0,
            profit_alpha: 1.0,
            ..Params::default()
        };
        let mut st = PolicyState::default();
        let mut v = view(0.01, 0.002);
        // First ask: 0.002 × 1.2.
        assert!((next_price(&p, &v, &mut st) - 0.0024).abs() < 1e-15);
        // First profit observation: (1 + m) × 1.1 = 1.32 → ask 0.00264.
        v.step = 1;
        v.cum_profit_usd = 3.0;
        assert!((next_price(&p, &v, &mut st) - 0.00264).abs() < 1e-15);
        // Profit falls: (1.32 × 0.9) = 1.188 → m = 0.188; the cost changed to 0.001.
        v.step = 2;
        v.cum_profit_usd = 4.0;
        v.marginal_cost_usd = 0.001;
        assert!((next_price(&p, &v, &mut st) - 0.001188).abs() < 1e-15);
        assert!((st.markup - 0.188).abs() < 1e-12);
    }

    #[test]
    fn markup_never_goes_negative() {
        let p = Params {
            ask_markup: 0.0,
            step: 0.5,
            decay: 1.0,
            profit_alpha: 1.0,
            ..Params::default()
        };
        let mut st = PolicyState::default();
        let mut v = view(0.01, 0.002);
        next_price(&p, &v, &mut st);
        for t in 1..6 {
            v.step = t;
            v.cum_profit_usd = -(t as f64); // falling profit: reversals
            let a = next_price(&p, &v, &mut st);
            assert!(a >= 0.002 && st.markup >= 0.0, "{a}");
        }
    }
}
