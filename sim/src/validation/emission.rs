//! V11, the emission schedule (MODEL.md §8, §7.11): a geometric schedule mints E₁(1 − d)^m at
//! t = mP (D30: the first tranche at t = 0), so after step t the cumulative mint is the closed form
//! E₁(1 − (1 − d)^m)/d with m = ⌊t/P⌋ + 1 tranches. Tolerance: `tolerance_base_units_per_tranche`
//! (1) base unit of rounding per tranche, at every step.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory};
use crate::error::SimError;
use crate::scenario::{EmissionSchedule, Scenario, ScenarioError};
use crate::units::TOKEN_UNIT;

/// `kind = "emission"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Allowed rounding, in base units per tranche minted so far.
    pub tolerance_base_units_per_tranche: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            tolerance_base_units_per_tranche: 1.0,
        }
    }
}

impl Params {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        src.require(
            self.tolerance_base_units_per_tranche >= 0.0,
            "validation.tolerance_base_units_per_tranche",
            || {
                format!(
                    "must be >= 0, got {}",
                    self.tolerance_base_units_per_tranche
                )
            },
        )
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        src.require(
            s.token.emission.schedule == EmissionSchedule::Geometric,
            "token.emission.schedule",
            || "must be \"geometric\" for the emission case".into(),
        )
    }
}

/// The checks of V11 on `minted[t]`, the cumulative mint (base units) after step t.
pub fn check(par: &Params, first: f64, decay: f64, period: u32, minted: &[i128]) -> Vec<Check> {
    let unit = TOKEN_UNIT as f64;
    let tranches = |t: usize| t as u32 / period.max(1) + 1;
    let mut worst = (0usize, 0.0f64);
    for (t, &m) in minted.iter().enumerate() {
        let want = theory::geometric_cumulative(first, decay, tranches(t)) * unit;
        let per = (m as f64 - want).abs() / tranches(t) as f64;
        if per > worst.1 {
            worst = (t, per);
        }
    }
    let last = minted.len().saturating_sub(1);
    let m_last = tranches(last);
    let want_last = theory::geometric_cumulative(first, decay, m_last);
    let got_last = minted.last().copied().unwrap_or(0) as f64 / unit;
    vec![
        Check::new(
            format!(
                "max_t |minted_t − E₁(1 − (1 − d)^m)/d| per tranche (base units; worst at step {})",
                worst.0
            ),
            0.0,
            worst.1,
            worst.1,
            par.tolerance_base_units_per_tranche,
        ),
        Check::new(
            format!("cumulative mint after {m_last} tranches (tokens)"),
            want_last,
            got_last,
            (got_last - want_last).abs(),
            par.tolerance_base_units_per_tranche * m_last as f64 / unit,
        ),
    ]
}

pub(super) fn run(par: &Params, s: &Scenario, report: &mut CaseReport) -> Result<(), SimError> {
    let e = &s.token.emission;
    let mut minted = Vec::with_capacity(s.run.steps as usize);
    simulate(s, |sim, _| minted.push(sim.ledger.minted()))?;
    report.checks = check(
        par,
        e.first_tranche_tokens,
        e.decay,
        e.period_steps,
        &minted,
    );
    let m = (minted.len().saturating_sub(1) as u32) / e.period_steps.max(1) + 1;
    report.notes.push(format!(
        "E₁ = {}, d = {}, P = {} steps, {} steps: {m} tranches minted {:.8} tokens, closed form {:.8}; the schedule's limit E₁/d = {} tokens",
        num(e.first_tranche_tokens),
        num(e.decay),
        e.period_steps,
        minted.len(),
        minted.last().copied().unwrap_or(0) as f64 / TOKEN_UNIT as f64,
        theory::geometric_cumulative(e.first_tranche_tokens, e.decay, m),
        num(e.first_tranche_tokens / e.decay)
    ));
    let mut plot = Plot::new(
        "cumulative",
        "V11 emission: cumulative mint vs E₁(1 − (1 − d)^m)/d",
        "step",
        "tokens",
    );
    let unit = TOKEN_UNIT as f64;
    plot.series.push(Series::line(
        "model (ledger)",
        Role::Model,
        minted
            .iter()
            .enumerate()
            .map(|(t, &m)| (t as f64, m as f64 / unit))
            .collect(),
    ));
    plot.series.push(Series {
        step: true,
        ..Series::line(
            "closed form",
            Role::Theory,
            (0..minted.len())
                .map(|t| {
                    let m = t as u32 / e.period_steps.max(1) + 1;
                    (
                        t as f64,
                        theory::geometric_cumulative(e.first_tranche_tokens, e.decay, m),
                    )
                })
                .collect(),
        )
    });
    report.plots.push(plot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phases::token::tranche;
    use crate::scenario::EmissionParams;

    fn path(shift: u32) -> Vec<i128> {
        let e = EmissionParams {
            schedule: EmissionSchedule::Geometric,
            first_tranche_tokens: 15e6,
            decay: 0.015,
            period_steps: 30,
            ..EmissionParams::default()
        };
        let mut cum = 0;
        (0..360u32)
            .map(|t| {
                if t >= shift * 30 && (t - shift * 30).is_multiple_of(30) {
                    cum += tranche(&e, (t - shift * 30) / 30);
                }
                cum
            })
            .collect()
    }

    #[test]
    fn the_engine_schedule_passes_and_one_off_by_a_period_fails() {
        let par = Params::default();
        let good = check(&par, 15e6, 0.015, 30, &path(0));
        assert!(good.iter().all(|c| c.pass), "{good:?}");
        assert!((good[1].expected - 165.87e6).abs() < 0.01e6);
        let late = check(&par, 15e6, 0.015, 30, &path(1));
        assert!(late.iter().all(|c| !c.pass), "{late:?}");
        // A schedule whose decay compounds one period too early fails too.
        let early = check(&par, 15e6 * 0.985, 0.015, 30, &path(0));
        assert!(!early[0].pass);
    }
}
