//! V10, increasing-returns lock-in as a Pólya urn (Arthur 1989; MODEL.md §8): one customer with
//! one one-request job per step chooses by logit (no outside option) between two identical
//! offerings whose utility includes θ·w·ln(B_j), B_j = the offering's cumulative requests +
//! `initial_network_base` (1). With θ·w = μ the choice probability is B_j/ΣB: a Pólya urn started
//! at (1, 1), whose final share is Beta(1, 1) = Uniform(0, 1). Over `replications` runs (`[run]
//! run` = 0 … R − 1) the Kolmogorov–Smirnov distance to Uniform(0, 1) must be at most
//! `ks_coefficient`/sqrt(R) (1.95: the 0.1 % level). Companion: with θ·w =
//! `companion_weight_multiple`·μ (super-linear returns), at least `companion_min_share` of the runs
//! end outside `companion_band`.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory};
use crate::error::SimError;
use crate::scenario::{
    CapacityMode, ChoiceModel, Dist, NetForm, NetworkScope, QuoteCurrency, Scenario, ScenarioError,
};

/// `kind = "polya_urn"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Runs (replication indices 0 … R − 1).
    pub replications: u32,
    /// KS critical value coefficient: D ≤ coefficient/sqrt(R).
    pub ks_coefficient: f64,
    /// θ·w of the companion in units of μ (0: no companion).
    pub companion_weight_multiple: f64,
    /// The band the companion's shares must leave.
    pub companion_band: [f64; 2],
    /// Share of companion runs that must end outside the band.
    pub companion_min_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            replications: 1000,
            ks_coefficient: 1.95,
            companion_weight_multiple: 2.0,
            companion_band: [0.05, 0.95],
            companion_min_share: 0.9,
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        src.require(self.replications >= 2, "validation.replications", || {
            "must be >= 2".into()
        })?;
        super::positive(src, "ks_coefficient", self.ks_coefficient)?;
        src.require(
            self.companion_weight_multiple >= 0.0,
            "validation.companion_weight_multiple",
            || "must be >= 0".into(),
        )?;
        let [a, b] = self.companion_band;
        src.require(
            (0.0..=1.0).contains(&a) && a < b && b <= 1.0,
            "validation.companion_band",
            || "must be [lo, hi] with 0 ≤ lo < hi ≤ 1".into(),
        )?;
        src.require(
            (0.0..=1.0).contains(&self.companion_min_share),
            "validation.companion_min_share",
            || "must be in [0, 1]".into(),
        )
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        super::neutral(s, src, &["network_effects.same_side_weight_usd"])?;
        super::all_onboarded(s, src)?;
        super::unit_jobs(s, src)?;
        src.require(super::customers(s) == 1, "segments", || {
            "the urn has exactly one customer (one draw per step)".into()
        })?;
        src.require(s.categories.len() == 1, "categories", || {
            "needs exactly one category".into()
        })?;
        src.require(s.incumbents.is_empty(), "incumbents", || {
            "must be empty".into()
        })?;
        let g = &s.segments[0];
        src.require(
            g.choice_model == ChoiceModel::Logit && g.logit_scale_usd > 0.0,
            "segments[0].logit_scale_usd",
            || "must be > 0 under choice_model = \"logit\"".into(),
        )?;
        src.require(!g.outside_option, "segments[0].outside_option", || {
            "must be false (the urn has two colours)".into()
        })?;
        src.require(
            matches!(g.network_weight_dist, Dist::Const { .. }),
            "segments[0].network_weight_dist",
            || "must be `const`".into(),
        )?;
        let ne = &s.network_effects;
        src.require(
            ne.network_scope == NetworkScope::Offering,
            "network_effects.network_scope",
            || "must be \"offering\" (each offering's own cumulative requests)".into(),
        )?;
        src.require(
            ne.same_side_form == NetForm::Log,
            "network_effects.same_side_form",
            || "must be \"log\"".into(),
        )?;
        src.require(
            ne.initial_network_base == 1.0,
            "network_effects.initial_network_base",
            || "must be 1 (the urn starts with one ball of each colour: Beta(1, 1))".into(),
        )?;
        let a = exponent(s);
        src.require((a - 1.0).abs() < 1e-12, "network_effects.same_side_weight_usd", || {
            format!("θ·same_side_weight_usd must equal logit_scale_usd (exponent 1), got exponent {a}")
        })?;
        src.require(
            super::platform_groups(s).len() == 2,
            "providers.initial",
            || "needs exactly two platform offerings".into(),
        )?;
        src.require(
            s.platform.search_results_k >= 2,
            "platform.search_results_k",
            || "must show both offerings".into(),
        )?;
        let groups = super::platform_groups(s);
        for (i, o) in s.providers.initial.iter().enumerate() {
            let key = |k: &str| format!("providers.initial[{i}].{k}");
            src.require(o.price == groups[0].price, &key("price"), || {
                "both offerings must have the same price".into()
            })?;
            src.require(
                o.quote_currency == QuoteCurrency::Usd,
                &key("quote_currency"),
                || "must be \"usd\"".into(),
            )?;
            src.require(o.pricing.kind() == "fixed", &key("pricing"), || {
                "must be { kind = \"fixed\" }".into()
            })?;
            src.require(
                o.capacity_mode == CapacityMode::OnDemand,
                &key("capacity_mode"),
                || "must be \"on_demand\"".into(),
            )?;
        }
        Ok(())
    }
}

/// The urn's exponent a = θ·w/μ (choice probability ∝ B_j^a).
fn exponent(s: &Scenario) -> f64 {
    let g = &s.segments[0];
    let theta = match g.network_weight_dist {
        Dist::Const { value } => value,
        _ => f64::NAN,
    };
    theta * s.network_effects.same_side_weight_usd / g.logit_scale_usd
}

/// KS check of final shares against Uniform(0, 1).
pub fn check_ks(shares: &[f64], coefficient: f64) -> Check {
    let d = theory::ks_uniform(shares);
    Check::new(
        format!(
            "KS distance of {} final shares to Uniform(0, 1) (tolerance {coefficient}/sqrt(R))",
            shares.len()
        ),
        0.0,
        d,
        d,
        coefficient / (shares.len() as f64).sqrt(),
    )
}

/// Lock-in check: the share of runs ending outside `band` must be at least `min`.
pub fn check_lockin(shares: &[f64], band: [f64; 2], min: f64, multiple: f64) -> Check {
    let out = shares
        .iter()
        .filter(|&&x| x < band[0] || x > band[1])
        .count() as f64
        / shares.len() as f64;
    Check::new(
        format!(
            "θ = {multiple}μ: share of runs ending outside [{}, {}] (at least {min})",
            band[0], band[1]
        ),
        min,
        out,
        (min - out).max(0.0),
        0.0,
    )
}

fn final_shares(s: &Scenario, replications: u32, workers: usize) -> Result<Vec<f64>, SimError> {
    let runs: Vec<u64> = (0..replications as u64).collect();
    super::par_map(&runs, workers, |&r| {
        let mut run = s.clone();
        run.run.run = r;
        let mut share = 0.0;
        let steps = run.run.steps;
        simulate(&run, |sim, m| {
            if m.step + 1 == steps {
                let c = &sim.world.offerings.cum_requests;
                share = c[0] as f64 / (c[0] + c[1]).max(1) as f64;
            }
        })?;
        Ok(share)
    })
    .into_iter()
    .collect()
}

fn ecdf(label: &str, role: Role, shares: &[f64]) -> Series {
    let mut x = shares.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let mut pts = vec![(0.0, 0.0)];
    pts.extend(x.iter().enumerate().map(|(i, &v)| (v, (i + 1) as f64 / n)));
    pts.push((1.0, 1.0));
    Series {
        step: true,
        ..Series::line(label, role, pts)
    }
}

pub(super) fn run(
    par: &Params,
    s: &Scenario,
    workers: usize,
    report: &mut CaseReport,
) -> Result<(), SimError> {
    let shares = final_shares(s, par.replications, workers)?;
    report.checks.push(check_ks(&shares, par.ks_coefficient));
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    report.notes.push(format!(
        "{} runs of {} steps, μ = {}; mean final share {} (1/2 expected)",
        shares.len(),
        s.run.steps,
        num(s.segments[0].logit_scale_usd),
        num(mean)
    ));
    let mut plot = Plot::new(
        "ecdf",
        format!(
            "V10 Pólya urn: ECDF of the final share over {} runs vs Uniform(0, 1)",
            shares.len()
        ),
        "final share of offering 0",
        "cumulative probability",
    );
    plot.series.push(ecdf("model, θ = μ", Role::Model, &shares));
    plot.series.push(Series::line(
        "Uniform(0, 1)",
        Role::Theory,
        vec![(0.0, 0.0), (1.0, 1.0)],
    ));
    if par.companion_weight_multiple > 0.0 {
        let mut c = s.clone();
        c.network_effects.same_side_weight_usd *= par.companion_weight_multiple;
        let lock = final_shares(&c, par.replications, workers)?;
        report.checks.push(check_lockin(
            &lock,
            par.companion_band,
            par.companion_min_share,
            par.companion_weight_multiple,
        ));
        plot.series.push(ecdf(
            &format!("model, θ = {}μ", par.companion_weight_multiple),
            Role::Reference,
            &lock,
        ));
    }
    report.plots.push(plot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::splitmix64;

    fn urn(a: f64, runs: u64, draws: u32) -> Vec<f64> {
        (0..runs)
            .map(|r| {
                let (mut b0, mut b1) = (1.0f64, 1.0f64);
                let mut h = r.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 17;
                for _ in 0..draws {
                    h = splitmix64(h);
                    let u = (h >> 11) as f64 / (1u64 << 53) as f64;
                    if u < b0.powf(a) / (b0.powf(a) + b1.powf(a)) {
                        b0 += 1.0;
                    } else {
                        b1 += 1.0;
                    }
                }
                (b0 - 1.0) / draws as f64
            })
            .collect()
    }

    #[test]
    fn a_polya_urn_passes_and_an_urn_without_reinforcement_fails() {
        let good = urn(1.0, 1000, 500);
        assert!(check_ks(&good, 1.95).pass, "{:?}", check_ks(&good, 1.95));
        // Broken: the network term ignored (a = 0): shares pile up at 1/2.
        assert!(!check_ks(&urn(0.0, 1000, 500), 1.95).pass);
        // Lock-in with a = 2, none with a = 1.
        assert!(check_lockin(&urn(2.0, 500, 500), [0.05, 0.95], 0.9, 2.0).pass);
        assert!(!check_lockin(&good, [0.05, 0.95], 0.9, 1.0).pass);
    }
}
