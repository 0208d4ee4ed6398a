//! Pricing rules: the registration point.
//!
//! To add a rule: create `my_rule.rs` with `Params` and `next_price`, add one variant to
//! [`PricingRule`] and one arm to each `match` below, and add one entry to [`PricingRule::examples`].
//! The registry-wide tests then check it round-trips through TOML and keeps prices within bounds.

use serde::{Deserialize, Serialize};

pub mod fixed;

/// What a pricing rule may read about its own offering (from the step's snapshot).
#[derive(Clone, Copy, Debug)]
pub struct OfferingView {
    /// Current posted price, in the offering's quote currency.
    pub price: f64,
    /// Full marginal cost per request (USD).
    pub marginal_cost_usd: f64,
    /// Token mid price (USD per token) of the snapshot.
    pub token_price_usd: f64,
    /// Demand forecast (requests per step).
    pub demand_ewma: f64,
    /// Reserved capacity (requests per step), `None` if unlimited.
    pub capacity: Option<u64>,
    /// Step being priced.
    pub step: u32,
}

/// A pricing rule, tagged by `kind` in TOML: `pricing = { kind = "fixed" }`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PricingRule {
    /// The price never changes.
    Fixed(fixed::Params),
}

impl Default for PricingRule {
    fn default() -> Self {
        PricingRule::Fixed(fixed::Params::default())
    }
}

impl PricingRule {
    /// The rule's `kind` as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            PricingRule::Fixed(_) => "fixed",
        }
    }

    /// Next posted price, in the offering's quote currency, before the global floor and cap.
    pub fn next_price(&self, view: &OfferingView) -> f64 {
        match self {
            PricingRule::Fixed(p) => fixed::next_price(p, view),
        }
    }

    /// One default instance of every registered rule (registry-wide tests loop over these).
    pub fn examples() -> Vec<PricingRule> {
        vec![PricingRule::Fixed(fixed::Params::default())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Wrap {
        pricing: PricingRule,
    }

    #[test]
    fn every_rule_round_trips_through_toml() {
        for rule in PricingRule::examples() {
            let text = toml::to_string(&Wrap { pricing: rule.clone() }).unwrap();
            assert!(text.contains(&format!("kind = \"{}\"", rule.kind())), "{text}");
            let back: Wrap = toml::from_str(&text).unwrap();
            assert_eq!(back.pricing, rule);
        }
    }

    #[test]
    fn every_rule_gives_finite_non_negative_prices() {
        for rule in PricingRule::examples() {
            for &(price, cost) in &[(0.0, 0.0), (0.004, 0.001), (1.0, 2.0)] {
                let view = OfferingView {
                    price,
                    marginal_cost_usd: cost,
                    token_price_usd: 0.02,
                    demand_ewma: 10.0,
                    capacity: Some(100),
                    step: 3,
                };
                let p = rule.next_price(&view);
                assert!(p.is_finite() && p >= 0.0, "{} gave {p}", rule.kind());
            }
        }
    }
}
