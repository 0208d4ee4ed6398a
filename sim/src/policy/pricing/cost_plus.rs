//! `cost_plus`: p = (1 + m)·(c + F_j/max(D̂_j, 1)), the fixed cost per step F_j spread over the
//! demand forecast when `include_fixed` (MODEL.md §7.6). Before the first demand observation the
//! fixed-cost share is left out (a whole step's fixed cost on one request would price a newcomer
//! out of the market before it has seen any demand).

use serde::{Deserialize, Serialize};

use super::{OfferingView, in_range};

/// Parameters of `cost_plus`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// m: markup over full cost, in [0, 5].
    pub markup: f64,
    /// Whether the fixed cost per step, spread over D̂_j, is part of the cost.
    pub include_fixed: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            markup: 0.3,
            include_fixed: true,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("markup", self.markup, 0.0, 5.0, false)
    }
}

/// (1 + m)·(c + F/max(D̂, 1)); the fixed-cost share is left out until the first demand
/// observation (a whole step's fixed cost on one request would price a newcomer out).
pub fn next_price(p: &Params, view: &OfferingView) -> f64 {
    let fixed_share = match (p.include_fixed, view.demand_ewma) {
        (true, Some(d)) => view.fixed_cost_usd / d.max(1.0),
        _ => 0.0,
    };
    (1.0 + p.markup) * (view.marginal_cost_usd + fixed_share)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::view;
    use super::*;

    #[test]
    fn marks_up_marginal_plus_fixed_cost_share() {
        let mut v = view(0.01, 0.002);
        v.fixed_cost_usd = 20.0;
        v.demand_ewma = Some(10_000.0);
        // 1.3 × (0.002 + 20/10 000) = 1.3 × 0.004 = 0.0052.
        assert!((next_price(&Params::default(), &v) - 0.0052).abs() < 1e-15);
        // Without the fixed cost: 1.3 × 0.002.
        let p = Params {
            include_fixed: false,
            ..Params::default()
        };
        assert!((next_price(&p, &v) - 0.0026).abs() < 1e-15);
        // D̂ below 1 counts as 1: 1.5 × (0.002 + 20) = 30.003.
        v.demand_ewma = Some(0.2);
        let p = Params {
            markup: 0.5,
            include_fixed: true,
        };
        assert!((next_price(&p, &v) - 30.003).abs() < 1e-12);
        // No observation yet: the fixed cost is left out.
        v.demand_ewma = None;
        assert!((next_price(&p, &v) - 0.003).abs() < 1e-15);
    }
}
