//! `fixed`: the posted price never changes (p = p₀, the offering's initial price).

use serde::{Deserialize, Serialize};

use super::OfferingView;

/// `fixed` has no parameters: the initial price of the offering is the price.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Params {}

/// Returns the current price unchanged.
pub fn next_price(_p: &Params, view: &OfferingView) -> f64 {
    view.price
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_price_whatever_the_cost_and_demand() {
        for (price, cost, demand) in [(0.004, 0.001, 0.0), (0.01, 0.05, 1e6)] {
            let view = OfferingView {
                price,
                marginal_cost_usd: cost,
                token_price_usd: 0.5,
                demand_ewma: demand,
                capacity: None,
                step: 10,
            };
            assert_eq!(next_price(&Params {}, &view), price);
        }
    }
}
