//! `profit_hill_climb`: p ← p·(1 ± η_p), keeping the direction while the realized profit EWMA
//! rises and reversing it otherwise; η_p decays by `decay` per reprice down to `step_min`
//! (MODEL.md §7.6). The realized profit per step is read from the offering's cumulative profit
//! between reprices; the first reprice only records the baseline (the price p₀ is observed first),
//! and the first move is upward.

use serde::{Deserialize, Serialize};

use super::{OfferingView, PolicyState, hill_climb, in_range};

/// Parameters of `profit_hill_climb`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// η_p: initial relative step, in (0, 1).
    pub step: f64,
    /// Smallest step, in (0, step].
    pub step_min: f64,
    /// Decay of the step per reprice, in (0, 1].
    pub decay: f64,
    /// EWMA weight of the realized profit, in (0, 1].
    pub profit_alpha: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
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
        check_climb(self.step, self.step_min, self.decay, self.profit_alpha)
    }
}

/// Range checks shared with `call_auction`.
pub(crate) fn check_climb(
    step: f64,
    step_min: f64,
    decay: f64,
    alpha: f64,
) -> Result<(), (&'static str, String)> {
    in_range("step", step, 0.0, 0.999, true)?;
    in_range("step_min", step_min, 0.0, step, true)?;
    in_range("decay", decay, 0.0, 1.0, true)?;
    in_range("profit_alpha", alpha, 0.0, 1.0, true)
}

/// The current USD price times the hill-climb's move.
pub fn next_price(p: &Params, view: &OfferingView, state: &mut PolicyState) -> f64 {
    let first = !state.started;
    let factor = hill_climb(state, view, p.step, p.step_min, p.decay, p.profit_alpha);
    if first {
        state.anchor_usd = view.price_usd;
    }
    view.price_usd * factor
}

#[cfg(test)]
mod tests {
    use super::super::testkit::view;
    use super::*;

    #[test]
    fn climbs_while_profit_rises_then_turns_back() {
        let p = Params {
            step: 0.1,
            step_min: 0.01,
            decay: 1.0,
            profit_alpha: 1.0,
        };
        let mut st = PolicyState::default();
        let mut v = view(0.010, 0.002);
        assert_eq!(next_price(&p, &v, &mut st), 0.010, "baseline step keeps p0");
        // Profits 5, 8 (rising): up, up.
        v.step = 1;
        v.cum_profit_usd = 5.0;
        let p1 = next_price(&p, &v, &mut st);
        assert!((p1 - 0.011).abs() < 1e-15);
        v.step = 2;
        v.cum_profit_usd = 13.0;
        v.price_usd = p1;
        let p2 = next_price(&p, &v, &mut st);
        assert!((p2 - 0.0121).abs() < 1e-15);
        // Profit 6 (< 8): reverse, p2 × 0.9.
        v.step = 3;
        v.cum_profit_usd = 19.0;
        v.price_usd = p2;
        assert!((next_price(&p, &v, &mut st) - 0.01089).abs() < 1e-15);
    }

    #[test]
    fn ewma_smooths_the_realized_profit() {
        let p = Params {
            step: 0.1,
            step_min: 0.01,
            decay: 1.0,
            profit_alpha: 0.5,
        };
        let mut st = PolicyState::default();
        let mut v = view(0.01, 0.002);
        next_price(&p, &v, &mut st);
        for (t, cum) in [(1, 10.0), (2, 18.0)] {
            v.step = t;
            v.cum_profit_usd = cum;
            next_price(&p, &v, &mut st);
        }
        // EWMA: 10, then 0.5·10 + 0.5·8 = 9 < 10: reversed.
        assert_eq!(st.profit_ewma_usd, 9.0);
        assert_eq!(st.direction, -1.0);
    }
}
