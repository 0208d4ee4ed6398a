//! `subsidy` (MODEL.md §7.2, §7.9, §7.13): during the window the treasury pays a share σ =
//! `subsidy_share` of every platform request's gross: customers see the price p(1 + f_b − σ) in
//! choice and pay g + ⌊f_b g⌋ − ⌊σ g⌋, and the treasury pays ⌊σ g⌋ to the provider, which still
//! receives g − ⌊f_s g⌋. A customer who onboards during the window gets `free_calls_per_new_customer`
//! free calls: the first min(n, left) requests of its platform jobs cost it nothing; they are paid by
//! the treasury (`free_call_payer = "treasury"`, the provider receives their gross net of the seller
//! fee) or given by the provider (`"provider"`, the SingularityNET daemons' `free_calls`). In choice,
//! a job whose requests are all free sees the price × (1 − `free_calls_sensitivity`) of its segment.
//! The treasury also pays `provider_bonus_usd` per platform request served. σ ≤ 1 − f_s is checked
//! against the seller fee. Treasury payments that the treasury's tokens, the strategy's budget or
//! `gtm_budget_usd_per_step` cannot cover are cut pro rata (the provider bears the cut) and the
//! strategy stops when a budget or the treasury runs out.

use serde::{Deserialize, Serialize};

use super::{CheckErr, gtm_params, in_range};
use crate::units::{share_to_ppm, split_floor};

/// Who pays for free calls.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FreeCallPayer {
    /// The provider serves them for nothing.
    Provider,
    /// The treasury pays the provider.
    Treasury,
}

gtm_params! {
    /// Parameters of `subsidy`.
    pub struct Params {
        /// σ: share of the gross the treasury pays, in [0, 1] (and ≤ 1 − seller fee).
        pub subsidy_share: f64 = 0.2,
        /// Free calls of a customer who onboards during the window, in [0, 10⁹].
        pub free_calls_per_new_customer: u32 = 10,
        /// Who pays for free calls.
        pub free_call_payer: FreeCallPayer = FreeCallPayer::Provider,
        /// Bonus per platform request served, paid by the treasury to the provider (USD), in [0, 1].
        pub provider_bonus_usd: f64 = 0.0,
    }
}

impl Params {
    /// Range checks (σ against the seller fee is checked with the scenario).
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("subsidy_share", self.subsidy_share, 0.0, 1.0)?;
        in_range(
            "free_calls_per_new_customer",
            self.free_calls_per_new_customer as f64,
            0.0,
            1e9,
        )?;
        in_range("provider_bonus_usd", self.provider_bonus_usd, 0.0, 1.0)
    }
}

/// The flows of one paid platform fill of gross `g` (base units): (customer → provider,
/// customer → treasury, treasury → provider) = (g − s − u, s + b, u) with s = ⌊f_s g⌋,
/// b = ⌊f_b g⌋, u = ⌊σ g⌋ (shares in ppm); the customer pays g + b − u, the provider gets g − s.
pub fn fill_flows(g: i128, seller_ppm: u32, buyer_ppm: u32, sigma: f64) -> (i128, i128, i128) {
    let s = split_floor(g, seller_ppm);
    let b = split_floor(g, buyer_ppm);
    let u = split_floor(g, share_to_ppm(sigma)).min(g - s);
    (g - s - u, s + b, u)
}

/// Free requests of a job of `n` requests when the customer has `left` free calls: (free, left
/// after).
pub fn free_part(n: u32, left: u32) -> (u32, u32) {
    let f = n.min(left);
    (f, left - f)
}

/// The customer's price factor of a platform request in choice: 1 + f_b − σ (never below 0).
pub fn price_factor(buyer_fee: f64, sigma: f64) -> f64 {
    (1.0 + buyer_fee - sigma).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidized_fill_flows() {
        // g = 1 000, f_s = 3 %, f_b = 1 %, σ = 20 %: provider gets 970 = 770 + 200, treasury 40.
        let (cp, ct, tp) = fill_flows(1000, 30_000, 10_000, 0.2);
        assert_eq!((cp, ct, tp), (770, 40, 200));
        assert_eq!(cp + tp, 1000 - 30);
        // The customer pays g + b − u = 1000 + 10 − 200 = 810.
        assert_eq!(cp + ct, 810);
        // σ = 1 − f_s: the customer pays only fees.
        assert_eq!(fill_flows(1000, 30_000, 0, 0.97), (0, 30, 970));
        assert_eq!(fill_flows(1000, 0, 0, 0.0), (1000, 0, 0));
    }

    #[test]
    fn free_calls_and_prices() {
        assert_eq!(free_part(30, 10), (10, 0));
        assert_eq!(free_part(4, 10), (4, 6));
        assert_eq!(free_part(4, 0), (0, 0));
        assert!((price_factor(0.01, 0.2) - 0.81).abs() < 1e-15);
        assert_eq!(price_factor(0.0, 1.0), 0.0);
    }
}
