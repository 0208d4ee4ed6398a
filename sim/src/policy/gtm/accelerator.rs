//! `accelerator` (MODEL.md §7.13): every `cohort_every_steps` from `start_step` (inside the window)
//! `cohort_size` aware developers are selected (`selection = "skill"`: the most skilled;
//! `"random"`: uniformly by hashed keys; `"category_gap"`: the most skilled, assigned round-robin to
//! the categories with the largest uncovered demand, then the least-supplied ones) and enter at once,
//! skipping the entry draw, each with one platform offering: q0 = 0.3 + 0.4·skill + `quality_boost`
//! (capped at q_max), reserved capacity `cohort_capacity`, the entrant price of §7.12, the developers'
//! pricing mix, `[developers] entrant_cash_usd`. Under `skill` and `random` a developer picks the
//! category of highest expected profit Π_c (§7.12; ties to the lower index).
//! Each grantee's grant `grant_tokens` (or `grant_usd` in tokens at max(p, `grant_price_floor_usd`))
//! moves at selection from the grants pool (then the treasury) to the `Vesting` account and vests
//! linearly over `vesting_steps` (⌊G/L⌋ per step, the remainder at the last step). Of each vested
//! amount v, e = ⌊v·`platform_spend_share`⌋ is earmarked for platform services (bought in P4 like
//! the studio, `spend_recipe`; empty = one unit of each atomic category) and ⌊(v − e)·
//! `grantee_sell_share`⌋ is sold in the next P7 (the grantee sell pressure). A grantee's ranking
//! score is multiplied by (1 + `visibility_boost`) for `visibility_steps` after entry. When a
//! grantee exits, its unvested grant returns to the treasury.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CheckCtx, CheckErr, gtm_params, in_range, recipe_ref};
use crate::units::{PPM, mul_div_floor, share_to_ppm, split_floor};

/// How a cohort is selected.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// The most skilled aware developers (ties to the lower id).
    Skill,
    /// The categories with the largest gaps get the most skilled developers.
    CategoryGap,
    /// Aware developers drawn uniformly.
    Random,
}

gtm_params! {
    /// Parameters of `accelerator`.
    pub struct Params {
        /// Steps between cohorts, in [1, 3650].
        pub cohort_every_steps: u32 = 180,
        /// Developers per cohort, in [0, 10⁵].
        pub cohort_size: u32 = 10,
        /// Grant per grantee (tokens), in [0, 10¹⁰].
        pub grant_tokens: f64 = 150_000.0,
        /// Grant fixed in USD (tokens at max(p, `grant_price_floor_usd`)); replaces `grant_tokens`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub grant_usd: Option<f64> = None,
        /// Vesting period (steps), in [1, 3650].
        pub vesting_steps: u32 = 180,
        /// Added to a grantee's intrinsic quality, in [0, 1].
        pub quality_boost: f64 = 0.1,
        /// Ranking score × (1 + boost) while boosted, in [0, 100].
        pub visibility_boost: f64 = 0.5,
        /// Steps the visibility boost lasts, in [0, 3650].
        pub visibility_steps: u32 = 90,
        /// Share of each vested amount spent on platform services, in [0, 1].
        pub platform_spend_share: f64 = 0.25,
        /// Share of the rest of each vested amount the grantee sells, in [0, 1].
        pub grantee_sell_share: f64 = 0.7,
        /// Cohort selection.
        pub selection: Selection = Selection::Skill,
        /// Initial reserved capacity of a grantee's offering (requests per step), in [1, 10⁹].
        pub cohort_capacity: u64 = 300,
        /// Units per category of the grantees' platform purchases (empty = one of each atomic
        /// category).
        pub spend_recipe: BTreeMap<String, u32> = BTreeMap::new(),
    }
}

impl Params {
    /// Range and reference checks.
    pub fn check(&self, cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
        in_range(
            "cohort_every_steps",
            self.cohort_every_steps as f64,
            1.0,
            3650.0,
        )?;
        in_range("cohort_size", self.cohort_size as f64, 0.0, 1e5)?;
        in_range("grant_tokens", self.grant_tokens, 0.0, 1e10)?;
        if let Some(u) = self.grant_usd {
            in_range("grant_usd", u, 0.0, 1e9)?;
        }
        in_range("vesting_steps", self.vesting_steps as f64, 1.0, 3650.0)?;
        in_range("quality_boost", self.quality_boost, 0.0, 1.0)?;
        in_range("visibility_boost", self.visibility_boost, 0.0, 100.0)?;
        in_range(
            "visibility_steps",
            self.visibility_steps as f64,
            0.0,
            3650.0,
        )?;
        in_range("platform_spend_share", self.platform_spend_share, 0.0, 1.0)?;
        in_range("grantee_sell_share", self.grantee_sell_share, 0.0, 1.0)?;
        in_range("cohort_capacity", self.cohort_capacity as f64, 1.0, 1e9)?;
        recipe_ref("spend_recipe", &self.spend_recipe, cx)
    }
}

/// Whether a cohort is selected at step `t`.
pub fn cohort_at(p: &Params, t: u32) -> bool {
    p.common().in_window(t) && (t - p.start_step).is_multiple_of(p.cohort_every_steps.max(1))
}

/// The amount of a grant `total` vesting at its k-th step (0-based) of `steps`: ⌊total/steps⌋, and
/// the remainder on the last step; 0 past the end.
pub fn vest(total: i128, steps: u32, k: u32) -> i128 {
    let l = steps.max(1);
    let each = total / l as i128;
    if k + 1 < l {
        each
    } else if k + 1 == l {
        total - each * (l as i128 - 1)
    } else {
        0
    }
}

/// A vested amount v split into (earmarked for platform services, sold, kept).
pub fn split_vested(v: i128, platform_spend_share: f64, sell_share: f64) -> (i128, i128, i128) {
    let e = split_floor(v, share_to_ppm(platform_spend_share));
    let s = mul_div_floor(v - e, share_to_ppm(sell_share) as i128, PPM);
    (e, s, v - e - s)
}

/// Selection order of a cohort among `candidates` (aware developers, ascending id) by skill:
/// highest first, ties to the lower id; at most `size`.
pub fn by_skill(candidates: &[u32], skill: &[f32], size: u32) -> Vec<u32> {
    let mut c = candidates.to_vec();
    c.sort_by(|&a, &b| {
        skill[b as usize]
            .total_cmp(&skill[a as usize])
            .then(a.cmp(&b))
    });
    c.truncate(size as usize);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vesting_is_linear_with_the_remainder_last() {
        // 1 000 over 3 steps: 333, 333, 334.
        let v: Vec<i128> = (0..4).map(|k| vest(1000, 3, k)).collect();
        assert_eq!(v, vec![333, 333, 334, 0]);
        assert_eq!(
            (0..180)
                .map(|k| vest(15_000_000_000_000, 180, k))
                .sum::<i128>(),
            15_000_000_000_000
        );
        assert_eq!(vest(5, 1, 0), 5);
    }

    #[test]
    fn vested_tokens_split_into_spend_sell_keep() {
        // v = 1 000: 25 % earmarked (250), 70 % of the remaining 750 sold (525), 225 kept.
        assert_eq!(split_vested(1000, 0.25, 0.7), (250, 525, 225));
        assert_eq!(split_vested(1000, 0.0, 1.0), (0, 1000, 0));
        assert_eq!(split_vested(7, 0.5, 0.5), (3, 2, 2));
    }

    #[test]
    fn cohorts_by_skill_and_schedule() {
        let skill = [0.2f32, 0.9, 0.5, 0.9, 0.1];
        assert_eq!(by_skill(&[0, 1, 2, 3, 4], &skill, 3), vec![1, 3, 2]);
        assert_eq!(by_skill(&[4, 0], &skill, 5), vec![0, 4]);
        let p = Params {
            start_step: 30,
            end_step: Some(400),
            ..Params::default()
        };
        assert!(cohort_at(&p, 30) && cohort_at(&p, 210) && cohort_at(&p, 390));
        assert!(!cohort_at(&p, 29) && !cohort_at(&p, 31) && !cohort_at(&p, 570));
    }
}
