//! V9, critical mass and tipping (Rohlfs 1974; Economides & Himmelberg 1995; MODEL.md §8): one
//! platform offering at a fixed price p, customers of network weight θ_i = (i + 0.5)/N
//! (`uniform_quantiles` on [0, 1]) who join when v + θ_i·w·B/x_ref ≥ p, B the platform's active
//! customers of the last step (`active_window_steps = 1`, linear form). In shares n = B/N the
//! map is n' = 1 − c/n with c = (p − v)·x_ref/(w N); its fulfilled-expectation equilibria are
//! n_{L,H} = (1 ∓ sqrt(1 − 4c))/2 (0.2 and 0.8 for c = 0.16).
//!
//! For every n₀ of `initial_shares` (`[network_effects] initial_active_share`): below n_L the share
//! is 0 after `collapse_within_steps`; above, it is within `tolerance_customers`/N of n_H at the
//! end of the run. With `fulfilled`, a companion run with `expectations = "fulfilled"` must land
//! on n_H or 0 in its first step (the in-step fixed point).

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory, with_overrides};
use crate::error::SimError;
use crate::scenario::{
    CapacityMode, ChoiceModel, Dist, Expectations, NetForm, NetworkBase, NetworkScope,
    QuoteCurrency, Scenario, ScenarioError,
};

/// `kind = "critical_mass"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Initial active shares n₀ to run.
    pub initial_shares: Vec<f64>,
    /// Steps within which a start below n_L must collapse to 0.
    pub collapse_within_steps: u32,
    /// Allowed distance from n_H at the end, in customers.
    pub tolerance_customers: f64,
    /// Also run the `expectations = "fulfilled"` companions.
    pub fulfilled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            initial_shares: vec![0.19, 0.21, 0.5, 0.9],
            collapse_within_steps: 50,
            tolerance_customers: 2.0,
            fulfilled: true,
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        src.require(
            !self.initial_shares.is_empty()
                && self.initial_shares.iter().all(|x| (0.0..=1.0).contains(x)),
            "validation.initial_shares",
            || "must list shares in [0, 1]".into(),
        )?;
        src.require(
            self.tolerance_customers >= 0.0,
            "validation.tolerance_customers",
            || "must be >= 0".into(),
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
        src.require(s.segments.len() == 1, "segments", || {
            "needs exactly one segment".into()
        })?;
        src.require(s.categories.len() == 1, "categories", || {
            "needs exactly one category".into()
        })?;
        src.require(s.incumbents.is_empty(), "incumbents", || {
            "must be empty".into()
        })?;
        let g = &s.segments[0];
        src.require(
            g.network_weight_dist == (Dist::UniformQuantiles { min: 0.0, max: 1.0 }),
            "segments[0].network_weight_dist",
            || "must be { kind = \"uniform_quantiles\", min = 0, max = 1 }".into(),
        )?;
        src.require(
            matches!(g.value_dist, Dist::Const { .. }),
            "segments[0].value_dist",
            || "must be `const`".into(),
        )?;
        src.require(
            g.choice_model == ChoiceModel::MaxUtility,
            "segments[0].choice_model",
            || "must be \"max_utility\"".into(),
        )?;
        src.require(g.outside_option, "segments[0].outside_option", || {
            "must be true".into()
        })?;
        let ne = &s.network_effects;
        src.require(
            ne.same_side_weight_usd > 0.0,
            "network_effects.same_side_weight_usd",
            || "must be > 0".into(),
        )?;
        src.require(
            ne.same_side_form == NetForm::Linear,
            "network_effects.same_side_form",
            || "must be \"linear\"".into(),
        )?;
        src.require(
            ne.network_scope == NetworkScope::Ecosystem,
            "network_effects.network_scope",
            || "must be \"ecosystem\"".into(),
        )?;
        src.require(
            ne.network_base == NetworkBase::ActiveCustomers,
            "network_effects.network_base",
            || "must be \"active_customers\"".into(),
        )?;
        src.require(
            ne.active_window_steps == 1,
            "network_effects.active_window_steps",
            || "must be 1 (everyone re-decides every step)".into(),
        )?;
        src.require(
            ne.initial_network_base == 0.0,
            "network_effects.initial_network_base",
            || "must be 0".into(),
        )?;
        src.require(
            ne.expectations == Expectations::Adaptive,
            "network_effects.expectations",
            || "must be \"adaptive\" (the fulfilled companion sets it)".into(),
        )?;
        src.require(
            super::platform_groups(s).len() == 1,
            "providers.initial",
            || "needs exactly one platform offering".into(),
        )?;
        let o = &s.providers.initial[0];
        src.require(
            o.quote_currency == QuoteCurrency::Usd,
            "providers.initial[0].quote_currency",
            || "must be \"usd\"".into(),
        )?;
        src.require(
            o.pricing.kind() == "fixed",
            "providers.initial[0].pricing",
            || "must be { kind = \"fixed\" }".into(),
        )?;
        src.require(
            o.capacity_mode == CapacityMode::OnDemand,
            "providers.initial[0].capacity_mode",
            || "must be \"on_demand\"".into(),
        )?;
        let c = threshold(s);
        let Some((lo, _)) = theory::critical_mass_roots(c) else {
            return Err(src.error(
                "providers.initial[0].price",
                format!("c = (p − v)·x_ref/(w N) = {c} exceeds 1/4: no interior equilibrium"),
            ));
        };
        src.require(
            !self.initial_shares.contains(&lo),
            "validation.initial_shares",
            || format!("must not contain the unstable equilibrium n_L = {lo}"),
        )?;
        src.require(
            self.collapse_within_steps <= s.run.steps,
            "validation.collapse_within_steps",
            || "must not exceed run.steps".into(),
        )
    }
}

/// c = (p − v)·x_ref/(w N) of the scenario.
pub fn threshold(s: &Scenario) -> f64 {
    let g = &s.segments[0];
    let v = g.value_multiplier
        * s.categories[0].base_value_usd
        * match g.value_dist {
            Dist::Const { value } => value,
            _ => 1.0,
        };
    let p = s.providers.initial[0].price;
    let ne = &s.network_effects;
    (p - v) * ne.same_side_x_ref / (ne.same_side_weight_usd * super::customers(s) as f64)
}

/// The check of one start n₀ on its share path `share[t]` (after step t).
pub fn check_start(
    n0: f64,
    roots: (f64, f64),
    customers: f64,
    within: usize,
    tol_customers: f64,
    share: &[f64],
    label: &str,
) -> Check {
    if n0 < roots.0 {
        let at = within.min(share.len()).saturating_sub(1);
        let got = share.get(at).copied().unwrap_or(f64::NAN);
        Check::new(
            format!("{label}n₀ = {n0} < n_L: share after {within} steps"),
            0.0,
            got,
            got.abs(),
            0.0,
        )
    } else {
        let got = share.last().copied().unwrap_or(f64::NAN);
        Check::new(
            format!(
                "{label}n₀ = {n0} > n_L: share after {} steps vs n_H (tolerance {tol_customers}/N)",
                share.len()
            ),
            roots.1,
            got,
            (got - roots.1).abs(),
            tol_customers / customers,
        )
    }
}

pub(super) fn run(
    par: &Params,
    s: &Scenario,
    workers: usize,
    report: &mut CaseReport,
) -> Result<(), SimError> {
    let c = threshold(s);
    let roots = theory::critical_mass_roots(c).unwrap_or((f64::NAN, f64::NAN));
    let n = super::customers(s);
    let nf = n as f64;
    let mut configs: Vec<(f64, bool)> = par.initial_shares.iter().map(|&x| (x, false)).collect();
    if par.fulfilled {
        configs.extend(par.initial_shares.iter().map(|&x| (x, true)));
    }
    let paths: Vec<Vec<f64>> = super::par_map(
        &configs,
        workers,
        |&(n0, fulfilled)| -> Result<Vec<f64>, SimError> {
            let mut sets = vec![format!("network_effects.initial_active_share={n0}")];
            if fulfilled {
                sets.push("network_effects.expectations=\"fulfilled\"".into());
                sets.push("run.steps=2".into());
            }
            let run = with_overrides(s, &sets)?;
            let mut share = Vec::new();
            simulate(&run, |_, m| {
                share.push(m.active_customers_platform as f64 / nf)
            })?;
            Ok(share)
        },
    )
    .into_iter()
    .collect::<Result<_, _>>()?;
    let within = par.collapse_within_steps as usize;
    let mut plot = Plot::new(
        "tipping",
        format!(
            "V9 critical mass: platform share from several n₀ (N = {n}, c = {})",
            num(c)
        ),
        "step (−1: the initial base n₀)",
        "active share",
    );
    let horizon = within.max(60).min(s.run.steps as usize);
    for (&(n0, fulfilled), share) in configs.iter().zip(&paths) {
        if fulfilled {
            let first = &share[..1];
            let mut ch = check_start(
                n0,
                roots,
                nf,
                1,
                par.tolerance_customers,
                first,
                "fulfilled, ",
            );
            ch.name = format!(
                "fulfilled expectations, n₀ = {n0}: share after the first step vs {}",
                if n0 < roots.0 { "0" } else { "n_H" }
            );
            if n0 > roots.0 {
                ch.tolerance = par.tolerance_customers / nf;
            }
            report.checks.push(ch);
            continue;
        }
        report.checks.push(check_start(
            n0,
            roots,
            nf,
            within,
            par.tolerance_customers,
            share,
            "",
        ));
        let zero = share.iter().position(|&x| x == 0.0);
        report.notes.push(format!(
            "n₀ = {n0}: share {} after step 0, {} at the end{}",
            num(share[0]),
            num(*share.last().unwrap_or(&0.0)),
            zero.map_or(String::new(), |k| format!(", 0 from step {k}"))
        ));
        let start = (n0 * nf).floor() / nf;
        let mut model = vec![(-1.0, start)];
        model.extend(
            share
                .iter()
                .take(horizon)
                .enumerate()
                .map(|(t, &x)| (t as f64, x)),
        );
        plot.series.push(Series::line(
            format!("model, n₀ = {n0}"),
            Role::Model,
            model,
        ));
        let mut x = start;
        let mut map = vec![(-1.0, start)];
        map.extend((0..horizon).map(|t| {
            x = theory::critical_mass_step(x, c, n);
            (t as f64, x)
        }));
        plot.series
            .push(Series::line("exact map n' = 1 − c/n", Role::Theory, map));
    }
    plot.hlines.push((roots.0, "n_L".into()));
    plot.hlines.push((roots.1, "n_H".into()));
    report.notes.insert(
        0,
        format!(
            "c = {}: n_L = {}, n_H = {}",
            num(c),
            num(roots.0),
            num(roots.1)
        ),
    );
    report.plots.push(plot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_map_passes_and_a_map_without_the_network_term_fails() {
        let n = 100_000u64;
        let roots = theory::critical_mass_roots(0.16).unwrap();
        let path = |n0: f64, c: f64| {
            let mut x = n0;
            (0..300)
                .map(|_| {
                    x = theory::critical_mass_step(x, c, n);
                    x
                })
                .collect::<Vec<_>>()
        };
        for n0 in [0.19, 0.21, 0.5, 0.9] {
            assert!(
                check_start(n0, roots, n as f64, 50, 2.0, &path(n0, 0.16), "").pass,
                "{n0}"
            );
        }
        // A broken network term that halves the installed base (c doubles): nothing tips.
        assert!(!check_start(0.5, roots, n as f64, 50, 2.0, &path(0.5, 0.32), "").pass);
        // A lagged base that never falls: a start below n_L stays up.
        assert!(!check_start(0.19, roots, n as f64, 50, 2.0, &vec![0.19; 300], "").pass);
    }
}
