//! `demand_first` (MODEL.md §7.13): secure demand before opening supply. At `start_step` the
//! treasury funds `inhouse_teams` in-house firms (one platform offering each, quality
//! `inhouse_q0`) in the categories with the highest potential demand (Σ over segments of size ×
//! expected requests × the segment's share of the category, ties to the lower index, wrapping
//! round when there are more teams than categories); each team's salary
//! `inhouse_cost_usd_per_step` is a treasury USD obligation every step of the window (FIFO queue,
//! §7.11), and `marketing_usd_per_step` another (paid to the outside world). An enterprise-sales
//! boost `sales_boost_bass_p` (per year) is added to the Bass p of the `target_segments` during the
//! window. Third-party developers may not enter before `open_supply_step` (absolute step).
//! When the funding stops (end of the window, budget or treasury exhausted) the in-house firms exit,
//! or with `spin_off = true` continue as independent firms under the usual exit rule; a team whose
//! salary stays unpaid for `[providers] exit_patience_steps` steps exits.

use crate::policy::pricing::PricingRule;

use super::{CheckCtx, CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `demand_first`.
    pub struct Params {
        /// Number of in-house teams (firms), in [0, 1000].
        pub inhouse_teams: u32 = 6,
        /// Intrinsic quality q0 of an in-house offering, in [0, 1].
        pub inhouse_q0: f64 = 0.6,
        /// Salary of one team per step (USD), a treasury obligation.
        pub inhouse_cost_usd_per_step: f64 = 1_500.0,
        /// Initial reserved capacity of an in-house offering (requests per step), in [1, 10⁹].
        pub inhouse_capacity: u64 = 1_000,
        /// Pricing rule of the in-house offerings; the initial price is an entrant's in an
        /// uncovered category (§7.12).
        pub pricing: PricingRule = PricingRule::default(),
        /// Segments reached by enterprise sales.
        pub target_segments: Vec<String> = vec!["enterprise".to_string()],
        /// Bass p added to the target segments during the window (per year), in [0, 1].
        pub sales_boost_bass_p: f64 = 0.05,
        /// First step at which third-party developers may enter.
        pub open_supply_step: u32 = 180,
        /// Marketing and sales cost per step (USD), a treasury obligation paid to the outside world.
        pub marketing_usd_per_step: f64 = 0.0,
        /// Whether in-house firms continue as independent firms when the funding stops.
        pub spin_off: bool = false,
    }
}

impl Params {
    /// Range and reference checks.
    pub fn check(&self, cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
        in_range("inhouse_teams", self.inhouse_teams as f64, 0.0, 1000.0)?;
        in_range("inhouse_q0", self.inhouse_q0, 0.0, 1.0)?;
        in_range(
            "inhouse_cost_usd_per_step",
            self.inhouse_cost_usd_per_step,
            0.0,
            1e7,
        )?;
        in_range("inhouse_capacity", self.inhouse_capacity as f64, 1.0, 1e9)?;
        in_range("sales_boost_bass_p", self.sales_boost_bass_p, 0.0, 1.0)?;
        in_range(
            "marketing_usd_per_step",
            self.marketing_usd_per_step,
            0.0,
            1e7,
        )?;
        if let Err((k, m)) = self.pricing.check(false) {
            return Err((format!("pricing.{k}"), m));
        }
        for (i, s) in self.target_segments.iter().enumerate() {
            if !cx.segments.iter().any(|x| x == s) {
                let hint = super::nearest(s, cx.segments.iter().map(|x| x.as_str()))
                    .map(|x| format!(" (did you mean `{x}`?)"))
                    .unwrap_or_default();
                return Err((
                    format!("target_segments[{i}]"),
                    format!("unknown segment `{s}`{hint}"),
                ));
            }
        }
        Ok(())
    }
}

/// The categories of the in-house teams: categories ranked by potential demand (highest first, ties
/// to the lower index), team k taking the (k mod n)-th; categories with no demand are skipped.
pub fn team_categories(potential_demand: &[f64], teams: u32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..potential_demand.len())
        .filter(|&c| potential_demand[c] > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        potential_demand[b]
            .total_cmp(&potential_demand[a])
            .then(a.cmp(&b))
    });
    if order.is_empty() {
        return Vec::new();
    }
    (0..teams as usize)
        .map(|k| order[k % order.len()])
        .collect()
}

/// Whether third-party entry is open at step `t` under this policy.
pub fn supply_open(p: &Params, t: u32) -> bool {
    t >= p.open_supply_step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_go_to_the_largest_categories_and_wrap() {
        // Demand 5, 9, 9, 0, 1: order 1, 2 (tie to the lower index), 0, 4; category 3 has none.
        let d = [5.0, 9.0, 9.0, 0.0, 1.0];
        assert_eq!(team_categories(&d, 3), vec![1, 2, 0]);
        assert_eq!(team_categories(&d, 6), vec![1, 2, 0, 4, 1, 2]);
        assert!(team_categories(&[0.0, 0.0], 4).is_empty());
        assert!(team_categories(&d, 0).is_empty());
    }

    #[test]
    fn supply_opens_at_the_step() {
        let p = Params::default();
        assert!(!supply_open(&p, 179) && supply_open(&p, 180));
        // Salaries of the defaults: 6 × 1 500 = 9 000 USD per step (MODEL.md §7.11).
        assert_eq!(
            p.inhouse_teams as f64 * p.inhouse_cost_usd_per_step,
            9_000.0
        );
    }
}
