//! `fixed`: the posted price never changes (p = p₀, the offering's initial price). No floor applies
//! unless `[pricing] price_floor_usd` is configured.

use serde::{Deserialize, Serialize};

use super::OfferingView;

/// `fixed` has no parameters: the initial price of the offering is the price.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {}

/// Returns the current price unchanged (P3 then keeps the quoted price bit for bit).
pub fn next_price(_p: &Params, view: &OfferingView) -> f64 {
    view.price_usd
}

#[cfg(test)]
mod tests {
    use super::super::testkit::view;
    use super::*;

    #[test]
    fn keeps_the_price_whatever_the_cost_and_demand() {
        for (price, cost, demand) in [(0.004, 0.001, 0.0), (0.01, 0.05, 1e6)] {
            let mut v = view(price, cost);
            v.demand_ewma = Some(demand);
            assert_eq!(next_price(&Params {}, &v), price);
        }
    }
}
