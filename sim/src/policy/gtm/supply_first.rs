//! `supply_first` (MODEL.md §7.13): seed supply before marketing to customers. At `start_step`,
//! `seed_providers_per_category` independent firms per category are founded by the most skilled
//! developers not yet active (q0 = 0.3 + 0.4·skill, reserved capacity `seed_capacity`, the
//! entrant price of §7.12, the developers' pricing mix, `[developers] entrant_cash_usd`), and each
//! receives a grant of `seed_grant_tokens` (or `seed_grant_usd` paid in tokens at
//! max(p, `grant_price_floor_usd`)) from the grants pool, then the treasury. Developer marketing
//! adds `dev_marketing_boost_bass_p` to the developers' Bass p during the window; customer
//! marketing adds `customer_marketing_boost_bass_p` to every segment's Bass p from
//! `start_step + customer_marketing_delay_steps` to the end of the window; `marketing_usd_per_step`
//! is a treasury obligation paid to the outside world while the window lasts. The grant sits in the
//! firm's wallet: it is sold only to cover negative cash (the forced sale of §7.9), so it keeps a
//! seeded firm alive through its losses.

use super::{CheckCtx, CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `supply_first`.
    pub struct Params {
        /// Seeded firms per category, in [0, 1000].
        pub seed_providers_per_category: u32 = 3,
        /// Grant per seeded firm (tokens), in [0, 10¹⁰].
        pub seed_grant_tokens: f64 = 200_000.0,
        /// Grant per seeded firm fixed in USD (paid in tokens at max(p, `grant_price_floor_usd`));
        /// replaces `seed_grant_tokens` when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub seed_grant_usd: Option<f64> = None,
        /// Initial reserved capacity of a seeded offering (requests per step), in [1, 10⁹].
        pub seed_capacity: u64 = 500,
        /// Whether composite categories are seeded too.
        pub seed_composites: bool = true,
        /// Added to `[developers] dev_bass_p` during the window (per year), in [0, 1].
        pub dev_marketing_boost_bass_p: f64 = 0.05,
        /// Added to every segment's `bass_p` once customer marketing starts (per year), in [0, 1].
        pub customer_marketing_boost_bass_p: f64 = 0.05,
        /// Steps after `start_step` before customer marketing starts.
        pub customer_marketing_delay_steps: u32 = 180,
        /// Marketing cost per step (USD), a treasury obligation paid to the outside world.
        pub marketing_usd_per_step: f64 = 0.0,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self, _cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
        in_range(
            "seed_providers_per_category",
            self.seed_providers_per_category as f64,
            0.0,
            1000.0,
        )?;
        in_range("seed_grant_tokens", self.seed_grant_tokens, 0.0, 1e10)?;
        if let Some(u) = self.seed_grant_usd {
            in_range("seed_grant_usd", u, 0.0, 1e9)?;
        }
        in_range("seed_capacity", self.seed_capacity as f64, 1.0, 1e9)?;
        in_range(
            "dev_marketing_boost_bass_p",
            self.dev_marketing_boost_bass_p,
            0.0,
            1.0,
        )?;
        in_range(
            "customer_marketing_boost_bass_p",
            self.customer_marketing_boost_bass_p,
            0.0,
            1.0,
        )?;
        in_range(
            "marketing_usd_per_step",
            self.marketing_usd_per_step,
            0.0,
            1e7,
        )
    }
}

/// Whether customer marketing runs at step `t` (inside the window, after the delay).
pub fn customer_marketing(p: &Params, t: u32) -> bool {
    p.common().in_window(t)
        && t >= p
            .start_step
            .saturating_add(p.customer_marketing_delay_steps)
}

/// The grant of one seeded firm in base units, at mid price `price_usd` and the grant floor.
pub fn grant_base_units(p: &Params, price_usd: f64, floor_usd: f64) -> i128 {
    match p.seed_grant_usd {
        Some(usd) => super::usd_grant_tokens(usd, price_usd, floor_usd),
        None => crate::units::tokens_to_base(p.seed_grant_tokens),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketing_is_delayed_and_grants_convert() {
        let p = Params {
            start_step: 10,
            end_step: Some(400),
            ..Params::default()
        };
        assert!(!customer_marketing(&p, 189) && customer_marketing(&p, 190));
        assert!(customer_marketing(&p, 399) && !customer_marketing(&p, 400));
        assert_eq!(grant_base_units(&p, 0.02, 0.0), 200_000 * 100_000_000);
        let usd = Params {
            seed_grant_usd: Some(1_000.0),
            ..p
        };
        // 1 000 USD at 0.02 → 50 000 tokens; at the floor 0.05 → 20 000.
        assert_eq!(grant_base_units(&usd, 0.02, 0.0), 50_000 * 100_000_000);
        assert_eq!(grant_base_units(&usd, 0.02, 0.05), 20_000 * 100_000_000);
    }
}
