//! `subscription` (pricing side): a fee per step for up to `cap_requests` requests, marginal price 0,
//! optional per-request overage; the period and renewal are the engine's (MODEL.md §7.6): a
//! non-subscriber who chooses the offering subscribes for `period_steps`, the fee is charged in P8
//! of every step of the period, requests beyond the cap pay `overage_price` (absent: they are not
//! served by the subscription and re-choose), and the subscription renews if the customer's last
//! job in the category went to it. The posted price is the marginal price 0; no floor applies.

use serde::{Deserialize, Serialize};

use super::{OfferingView, in_range};

/// Parameters of `subscription`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// P_sub: fee per step of the period (USD), in [0, 10⁶].
    pub fee_usd_per_step: f64,
    /// Requests per step included in the fee.
    pub cap_requests: u64,
    /// Price per request beyond the cap (USD); absent = no overage (beyond-cap requests re-choose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overage_price: Option<f64>,
    /// Subscription period (steps), in [1, 365].
    pub period_steps: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            fee_usd_per_step: 1.0,
            cap_requests: 1000,
            overage_price: None,
            period_steps: 30,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("fee_usd_per_step", self.fee_usd_per_step, 0.0, 1e6, false)?;
        in_range("cap_requests", self.cap_requests as f64, 0.0, 1e12, false)?;
        if let Some(o) = self.overage_price {
            in_range("overage_price", o, 0.0, 1e3, false)?;
        }
        in_range("period_steps", self.period_steps as f64, 1.0, 365.0, false)
    }

    /// What a subscriber pays in one step for `n` requests (USD): the fee, plus the overage on
    /// requests beyond the cap (0 for them without an overage price: they are not served).
    pub fn step_charge_usd(&self, n: u64) -> f64 {
        self.fee_usd_per_step
            + self.overage_price.unwrap_or(0.0) * n.saturating_sub(self.cap_requests) as f64
    }

    /// The per-request price a non-subscriber sees in choice (MODEL.md §7.2: fee/E[n]), for
    /// `expected_requests` E[n] per step in the category: the step charge at E[n] over max(E[n], 1).
    pub fn non_subscriber_price_usd(&self, expected_requests: f64) -> f64 {
        let n = expected_requests.max(0.0);
        let over = self.overage_price.unwrap_or(0.0) * (n - self.cap_requests as f64).max(0.0);
        (self.fee_usd_per_step + over) / n.max(1.0)
    }
}

/// The marginal price of a subscriber's request: 0.
pub fn next_price(_p: &Params, _view: &OfferingView) -> f64 {
    0.0
}

#[cfg(test)]
mod tests {
    use super::super::testkit::view;
    use super::*;

    #[test]
    fn marginal_price_is_zero_and_charges_follow_the_cap() {
        let p = Params {
            fee_usd_per_step: 2.0,
            cap_requests: 100,
            overage_price: Some(0.01),
            period_steps: 30,
        };
        assert_eq!(next_price(&p, &view(0.01, 0.002)), 0.0);
        assert_eq!(p.step_charge_usd(50), 2.0);
        assert!((p.step_charge_usd(150) - 2.5).abs() < 1e-15);
        // Non-subscriber: 2/40 = 0.05 per request; above the cap (200): (2 + 1)/200 = 0.015.
        assert!((p.non_subscriber_price_usd(40.0) - 0.05).abs() < 1e-15);
        assert!((p.non_subscriber_price_usd(200.0) - 0.015).abs() < 1e-15);
        assert_eq!(p.non_subscriber_price_usd(0.0), 2.0);
        let no_over = Params {
            overage_price: None,
            ..p
        };
        assert_eq!(no_over.step_charge_usd(1000), 2.0);
    }
}
