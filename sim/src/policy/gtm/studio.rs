//! `studio` (MODEL.md §7.13): a for-profit studio sells AI products to off-platform enterprises.
//! Its licensing revenue R_t = `revenue_usd_per_step` × (1 + `growth_per_year`)^(tΔt) (t counted
//! from `start_step`) arrives each step of the window in fiat from the outside world, and is split:
//! (i) φ_s·R_t (`token_conversion_share`) is converted into tokens by a buy order in P7, every step
//! (`conversion = "every_step"`) or spread evenly over the next `twap_steps` steps (`"twap"`), and
//! the tokens bought go to the studio's wallet (`token_use = "hold"`), to the treasury
//! (`"treasury"`), are burned (`"burn"`), or are kept for platform purchases (`"spend"`);
//! (ii) `platform_spend_share`·R_t is the studio's budget for platform services: in P4 it buys
//! `studio_recipe` units (each recipe slot from a supplier chosen by the composites' supplier
//! logit) like a composite, pays from its spend tokens first and buys the rest in P7;
//! (iii) `treasury_usd_share`·R_t goes to the treasury's cash; (iv) the rest leaves the model.
//! φ_s + `platform_spend_share` + `treasury_usd_share` ≤ 1 is checked. The studio spends its own
//! money, so the strategy's budget keys do not apply to it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CheckCtx, CheckErr, gtm_params, in_range, recipe_ref};

/// What the studio does with the tokens it buys.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    /// Kept in the studio's wallet.
    Hold,
    /// Sent to the treasury.
    Treasury,
    /// Burned.
    Burn,
    /// Kept for the studio's platform purchases.
    Spend,
}

/// How the conversion is scheduled.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// The whole step's conversion is bought in that step.
    EveryStep,
    /// Each step's conversion is spread evenly over the next `twap_steps` steps.
    Twap,
}

gtm_params! {
    /// Parameters of `studio`.
    pub struct Params {
        /// Licensing revenue at `start_step` (USD per step), in [0, 10⁹].
        pub revenue_usd_per_step: f64 = 5_000.0,
        /// Yearly growth of the revenue, in [−1, 10].
        pub growth_per_year: f64 = 0.5,
        /// φ_s: share of revenue converted into tokens, in [0, 1].
        pub token_conversion_share: f64 = 0.5,
        /// What the converted tokens are for.
        pub token_use: TokenUse = TokenUse::Treasury,
        /// Share of revenue spent on platform services, in [0, 1].
        pub platform_spend_share: f64 = 0.2,
        /// Conversion schedule.
        pub conversion: Conversion = Conversion::EveryStep,
        /// Steps of the TWAP, in [1, 90].
        pub twap_steps: u32 = 7,
        /// Units of each category bought per studio "request".
        pub studio_recipe: BTreeMap<String, u32> = BTreeMap::from([("chat_llm".to_string(), 1)]),
        /// Share of revenue paid to the treasury in USD, in [0, 1].
        pub treasury_usd_share: f64 = 0.0,
    }
}

impl Params {
    /// Range and reference checks.
    pub fn check(&self, cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
        in_range("revenue_usd_per_step", self.revenue_usd_per_step, 0.0, 1e9)?;
        in_range("growth_per_year", self.growth_per_year, -1.0, 10.0)?;
        in_range(
            "token_conversion_share",
            self.token_conversion_share,
            0.0,
            1.0,
        )?;
        in_range("platform_spend_share", self.platform_spend_share, 0.0, 1.0)?;
        in_range("treasury_usd_share", self.treasury_usd_share, 0.0, 1.0)?;
        in_range("twap_steps", self.twap_steps as f64, 1.0, 90.0)?;
        let total =
            self.token_conversion_share + self.platform_spend_share + self.treasury_usd_share;
        if total > 1.0 + 1e-12 {
            return Err((
                "token_conversion_share".into(),
                format!(
                    "token_conversion_share + platform_spend_share + treasury_usd_share must be <= 1, got {total}"
                ),
            ));
        }
        if self.platform_spend_share > 0.0 && self.studio_recipe.is_empty() {
            return Err((
                "studio_recipe".into(),
                "must name at least one category when platform_spend_share > 0".into(),
            ));
        }
        // The recipe is read only when the studio buys platform services.
        if self.platform_spend_share > 0.0 || self.token_use == TokenUse::Spend {
            recipe_ref("studio_recipe", &self.studio_recipe, cx)?;
        }
        Ok(())
    }
}

/// R_t (USD) at step `t` with Δt = `dt_years`: 0 outside the window.
pub fn revenue_usd(p: &Params, t: u32, dt_years: f64) -> f64 {
    if !p.common().in_window(t) {
        return 0.0;
    }
    let years = (t - p.start_step) as f64 * dt_years;
    p.revenue_usd_per_step * (1.0 + p.growth_per_year).max(0.0).powf(years)
}

/// The split of a revenue of `r` nano-USD: (converted, platform budget, to the treasury, leaves),
/// each ⌊r·share⌋ (shares in ppm), the rest leaving the model.
pub fn split(p: &Params, r: i128) -> (i128, i128, i128, i128) {
    use crate::units::{share_to_ppm, split_floor};
    let c = split_floor(r, share_to_ppm(p.token_conversion_share));
    let s = split_floor(r, share_to_ppm(p.platform_spend_share));
    let t = split_floor(r, share_to_ppm(p.treasury_usd_share));
    (c, s, t, r - c - s - t)
}

/// The conversion bought at this step from the ring of the last `twap_steps` conversions
/// (`ring[k]` is the conversion of step k mod len): their sum / len, floored; every step's whole
/// conversion under `every_step` (`ring` of length 1). The remainders of the floors are carried by
/// `carry` (nano-USD) so that the total bought equals the total converted.
pub fn twap_buy(ring: &[i128], carry: &mut i128) -> i128 {
    let n = ring.len().max(1) as i128;
    let total: i128 = ring.iter().sum::<i128>() + *carry;
    let buy = total / n;
    *carry = total - buy * n;
    buy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revenue_grows_and_splits() {
        let p = Params {
            start_step: 365,
            growth_per_year: 1.0,
            ..Params::default()
        };
        assert_eq!(revenue_usd(&p, 364, 1.0 / 365.0), 0.0);
        assert_eq!(revenue_usd(&p, 365, 1.0 / 365.0), 5_000.0);
        assert!((revenue_usd(&p, 730, 1.0 / 365.0) - 10_000.0).abs() < 1e-9);
        // 5 000 USD: 50 % converted, 20 % platform services, 10 % treasury, 20 % leaves.
        let q = Params {
            treasury_usd_share: 0.1,
            ..Params::default()
        };
        let r = 5_000 * 1_000_000_000;
        assert_eq!(
            split(&q, r),
            (
                2_500_000_000_000,
                1_000_000_000_000,
                500_000_000_000,
                1_000_000_000_000
            )
        );
    }

    #[test]
    fn twap_spreads_and_carries() {
        let mut carry = 0;
        // Conversions 7, 0, 0 over a 3-step TWAP: 7/3 = 2 (carry 1) per step while in the ring.
        assert_eq!(twap_buy(&[7, 0, 0], &mut carry), 2);
        assert_eq!(carry, 1);
        assert_eq!(twap_buy(&[7, 0, 0], &mut carry), 2);
        assert_eq!(carry, 2);
        assert_eq!(twap_buy(&[7, 0, 0], &mut carry), 3);
        assert_eq!(carry, 0);
        assert_eq!(twap_buy(&[0, 0, 0], &mut carry), 0);
        let mut c = 0;
        assert_eq!(twap_buy(&[42], &mut c), 42);
    }

    #[test]
    fn shares_must_fit() {
        let cats = vec!["chat_llm".to_string()];
        let cx = CheckCtx {
            categories: &cats,
            composite: &[false],
            segments: &[],
            steps: 10,
        };
        let p = Params {
            token_conversion_share: 0.7,
            platform_spend_share: 0.4,
            ..Params::default()
        };
        assert_eq!(p.check(&cx).unwrap_err().0, "token_conversion_share");
        let p = Params {
            studio_recipe: BTreeMap::from([("chat".to_string(), 1)]),
            ..Params::default()
        };
        let e = p.check(&cx).unwrap_err();
        assert_eq!(e.0, "studio_recipe.chat");
        assert!(e.1.contains("did you mean `chat_llm`"), "{}", e.1);
    }
}
