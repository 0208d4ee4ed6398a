//! V2, logit market shares and surplus (McFadden 1974; Small & Rosen 1981; MODEL.md §8): J
//! one-request jobs in one step choose among fixed-price platform offerings of deterministic
//! utility V_j = m·v_c − p_j and the outside option (utility 0) by the engine's Gumbel-max rule.
//! Expected shares s_j = e^{V_j/μ}/(1 + Σ_k e^{V_k/μ}) (outside option included) and mean surplus
//! per job μ ln(1 + Σ_k e^{V_k/μ}), read from `customer_surplus_usd`.
//!
//! Tolerances from the sampling error: |ŝ_j − s_j| ≤ `sd_multiple`·sqrt(s_j(1 − s_j)/J) for every
//! option, and the surplus within `sd_multiple` standard errors (the sample s.d. of the per-job
//! surplus over sqrt(J)).

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, theory};
use crate::Simulation;
use crate::error::SimError;
use crate::scenario::{CapacityMode, ChoiceModel, Dist, QuoteCurrency, Scenario, ScenarioError};
use crate::state::NONE;

/// `kind = "logit_shares"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Allowed error in sampling standard deviations (shares) or standard errors (surplus).
    pub sd_multiple: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { sd_multiple: 4.0 }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        super::positive(src, "sd_multiple", self.sd_multiple)
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        super::neutral(s, src, &[])?;
        super::all_onboarded(s, src)?;
        super::unit_jobs(s, src)?;
        src.require(s.segments.len() == 1, "segments", || {
            "the logit case needs exactly one segment".into()
        })?;
        src.require(s.categories.len() == 1, "categories", || {
            "the logit case needs exactly one category".into()
        })?;
        src.require(s.incumbents.is_empty(), "incumbents", || {
            "the logit case has no incumbent".into()
        })?;
        let g = &s.segments[0];
        src.require(
            g.choice_model == ChoiceModel::Logit && g.logit_scale_usd > 0.0,
            "segments[0].logit_scale_usd",
            || "must be > 0 under choice_model = \"logit\"".into(),
        )?;
        src.require(g.outside_option, "segments[0].outside_option", || {
            "must be true: shares and surplus are relative to the outside option".into()
        })?;
        src.require(
            matches!(g.value_dist, Dist::Const { .. }),
            "segments[0].value_dist",
            || "must be `const`: every customer has the same V_j".into(),
        )?;
        let groups = super::platform_groups(s);
        src.require(!groups.is_empty(), "providers.initial", || {
            "needs at least one platform offering".into()
        })?;
        src.require(
            s.platform.search_results_k as usize >= groups.len(),
            "platform.search_results_k",
            || format!("must show every offering ({} offerings)", groups.len()),
        )?;
        for (i, g) in s.providers.initial.iter().enumerate() {
            src.require(
                g.capacity_mode == CapacityMode::OnDemand,
                &format!("providers.initial[{i}].capacity_mode"),
                || "must be \"on_demand\" (unlimited capacity)".into(),
            )?;
            src.require(
                g.quote_currency == QuoteCurrency::Usd,
                &format!("providers.initial[{i}].quote_currency"),
                || "must be \"usd\"".into(),
            )?;
            src.require(
                g.pricing.kind() == "fixed",
                &format!("providers.initial[{i}].pricing"),
                || "must be { kind = \"fixed\" } (prices set V_j)".into(),
            )?;
        }
        Ok(())
    }
}

/// V_j of every platform offering, in id order, from the scenario.
pub fn utilities(s: &Scenario) -> Vec<f64> {
    let g = &s.segments[0];
    let m = g.value_multiplier
        * match g.value_dist {
            Dist::Const { value } => value,
            _ => 1.0,
        };
    let v = m * s.categories[0].base_value_usd;
    super::platform_groups(s)
        .iter()
        .map(|o| v - o.price)
        .collect()
}

/// The checks of V2: `counts[0]` outside-option jobs, `counts[1 + j]` jobs choosing offering j,
/// out of J = Σ counts; surplus per job with its sample standard deviation.
pub fn check(
    par: &Params,
    v: &[f64],
    mu: f64,
    counts: &[u64],
    surplus_mean: f64,
    surplus_sd: f64,
) -> Vec<Check> {
    let jobs: u64 = counts.iter().sum();
    let jf = jobs as f64;
    let s = theory::logit_shares(v, mu, true);
    let mut out: Vec<Check> = s
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(k, (&sk, &c))| {
            let name = if k == 0 {
                "share of the outside option".to_string()
            } else {
                format!("share of offering {} (V = {})", k - 1, num(v[k - 1]))
            };
            Check::abs(
                name,
                sk,
                c as f64 / jf,
                par.sd_multiple * (sk * (1.0 - sk) / jf).sqrt(),
            )
        })
        .collect();
    out.push(Check::abs(
        "mean surplus per job = μ ln(1 + Σ e^{V/μ}) (USD)",
        theory::logit_surplus(v, mu),
        surplus_mean,
        par.sd_multiple * surplus_sd / jf.sqrt(),
    ));
    out
}

pub(super) fn run(par: &Params, s: &Scenario, report: &mut CaseReport) -> Result<(), SimError> {
    let v = utilities(s);
    let mu = s.segments[0].logit_scale_usd;
    let mut sim = Simulation::new(s, 1)?;
    let m = sim.step()?;
    let jobs = &sim.last_step().jobs;
    let mut counts = vec![0u64; v.len() + 1];
    let (mut sum, mut sum2) = (0.0f64, 0.0f64);
    for j in jobs {
        let k = if j.choice == NONE {
            0
        } else {
            j.choice as usize + 1
        };
        counts[k] += 1;
        let x = j.served as f64 * j.surplus as f64;
        sum += x;
        sum2 += x * x;
    }
    let jf = jobs.len() as f64;
    let sample_mean = sum / jf;
    let sd = ((sum2 / jf - sample_mean * sample_mean) * jf / (jf - 1.0))
        .max(0.0)
        .sqrt();
    let metric_mean = m.customer_surplus_usd / jf;
    report.checks = check(par, &v, mu, &counts, metric_mean, sd);
    report.notes.push(format!(
        "J = {} one-request jobs in one step, μ = {}; V = {:?}; surplus from customer_surplus_usd / J (the per-job sample mean is {}, s.d. {})",
        jobs.len(),
        num(mu),
        v.iter().map(|x| num(*x)).collect::<Vec<_>>(),
        num(sample_mean),
        num(sd)
    ));
    let expected = theory::logit_shares(&v, mu, true);
    let mut plot = Plot::new(
        "shares",
        format!("V2 logit shares: J = {} jobs, μ = {}", jobs.len(), num(mu)),
        "option (0 = outside, then offerings by id)",
        "share of jobs",
    );
    plot.series.push(Series::points(
        "model",
        Role::Model,
        counts
            .iter()
            .enumerate()
            .map(|(k, &c)| (k as f64, c as f64 / jf))
            .collect(),
    ));
    plot.series.push(Series::points(
        "logit formula",
        Role::Theory,
        expected
            .iter()
            .enumerate()
            .map(|(k, &x)| (k as f64, x))
            .collect(),
    ));
    report.plots.push(plot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theoretical_counts_pass_and_a_wrong_scale_fails() {
        let v = [0.010, 0.012, 0.008, 0.011];
        let j = 1_000_000u64;
        let counts = |mu: f64| -> Vec<u64> {
            theory::logit_shares(&v, mu, true)
                .iter()
                .map(|s| (s * j as f64).round() as u64)
                .collect()
        };
        let par = Params::default();
        let surplus = theory::logit_surplus(&v, 0.002);
        let good = check(&par, &v, 0.002, &counts(0.002), surplus, 0.004);
        assert!(good.iter().all(|c| c.pass), "{good:?}");
        // The engine drawing shocks of the wrong scale (μ = 0.0025 instead of 0.002).
        let wrong = check(&par, &v, 0.002, &counts(0.0025), surplus, 0.004);
        assert!(wrong.iter().filter(|c| !c.pass).count() >= 3, "{wrong:?}");
        // A surplus without the outside option's shock (μ γ too high).
        let biased = check(
            &par,
            &v,
            0.002,
            &counts(0.002),
            surplus + 0.002 * 0.5772,
            0.004,
        );
        assert!(!biased.last().unwrap().pass);
    }
}
