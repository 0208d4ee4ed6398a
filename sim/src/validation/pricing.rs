//! V3, V4, V5: textbook price outcomes of the pricing rules in the engine (MODEL.md §8).
//!
//! - V3 (`bertrand`): identical offerings with cost c, unlimited capacity and max-utility
//!   customers, `undercut_lowest` with a tick: from `from_step` on every price is in
//!   [c, c + tolerance] (tolerance defaults to the tick) and every firm's realized margin per
//!   request is at most the tolerance.
//! - V4 (`monopoly_linear`): one offering facing `uniform_quantiles` values on [v_lo, v_hi]:
//!   linear demand, p* = max(v_lo, (v_hi + c)/2); the offering's rule (e.g. `profit_hill_climb`)
//!   must end within `tolerance` (relative) of p*. With `oracle`, a companion run of one step
//!   with `monopoly_oracle` must post the discrete optimum p_d* (scanned here independently of the
//!   rule) to `oracle_tolerance` and sell to exactly N − k* customers.
//! - V5 (`logit_markup`): n symmetric `logit_best_response` sellers under logit demand:
//!   p* = c + μn/(n − 1) without an outside option, else the fixed point of p = c + μ/(1 − s(p));
//!   relative error ≤ `tolerance` from `from_step` on.

use serde::Deserialize;

use super::{CaseReport, Check, Plot, Role, Series, Source, num, simulate, theory, with_overrides};
use crate::error::SimError;
use crate::policy::pricing::PricingRule;
use crate::scenario::{CapacityMode, ChoiceModel, Dist, QuoteCurrency, Scenario, ScenarioError};

/// `kind = "bertrand"`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BertrandParams {
    /// First step checked (MODEL.md: 100).
    pub from_step: Option<u32>,
    /// Allowed p − c and margin per request (USD); absent = the rule's tick.
    pub tolerance: Option<f64>,
}

/// `kind = "monopoly_linear"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonopolyParams {
    /// Allowed relative error of the final price (MODEL.md: 1 %).
    pub tolerance: f64,
    /// First step checked (absent: the last step only).
    pub from_step: Option<u32>,
    /// Also run the one-step `monopoly_oracle` companion.
    pub oracle: bool,
    /// Allowed relative error of the oracle's price against the discrete optimum.
    pub oracle_tolerance: f64,
}

impl Default for MonopolyParams {
    fn default() -> Self {
        MonopolyParams {
            tolerance: 0.01,
            from_step: None,
            oracle: true,
            oracle_tolerance: 1e-12,
        }
    }
}

/// `kind = "logit_markup"`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkupParams {
    /// Allowed relative error (MODEL.md: 0.5 %).
    pub tolerance: f64,
    /// First step checked (absent: the last step only).
    pub from_step: Option<u32>,
}

impl Default for MarkupParams {
    fn default() -> Self {
        MarkupParams {
            tolerance: 0.005,
            from_step: None,
        }
    }
}

/// Common preconditions: neutral baseline, everyone onboarded, one category, no incumbent,
/// platform offerings on demand in USD with the given rule and one marginal cost (returned).
fn market(s: &Scenario, src: &Source<'_>, rule: &str) -> Result<f64, ScenarioError> {
    super::neutral(s, src, &[])?;
    super::all_onboarded(s, src)?;
    src.require(s.categories.len() == 1, "categories", || {
        "the pricing cases need exactly one category".into()
    })?;
    src.require(s.incumbents.is_empty(), "incumbents", || {
        "the pricing cases have no incumbent".into()
    })?;
    src.require(!s.providers.initial.is_empty(), "providers.initial", || {
        "needs platform offerings".into()
    })?;
    let mut cost = None;
    for (i, g) in s.providers.initial.iter().enumerate() {
        let key = |k: &str| format!("providers.initial[{i}].{k}");
        src.require(
            g.capacity_mode == CapacityMode::OnDemand,
            &key("capacity_mode"),
            || "must be \"on_demand\" (unlimited capacity)".into(),
        )?;
        src.require(
            g.quote_currency == QuoteCurrency::Usd,
            &key("quote_currency"),
            || "must be \"usd\"".into(),
        )?;
        src.require(g.pricing.kind() == rule, &key("pricing"), || {
            format!("must be {{ kind = \"{rule}\" }} for this case")
        })?;
        let Some(c) = g.marginal_cost_usd else {
            return Err(src.error(
                &key("marginal_cost_usd"),
                "must be set: c is the case's cost",
            ));
        };
        if let Some(c0) = cost {
            src.require(c == c0, &key("marginal_cost_usd"), || {
                format!("must equal the other offerings' cost {c0}")
            })?;
        }
        cost = Some(c);
    }
    src.require(
        s.platform.search_results_k as usize >= super::platform_groups(s).len(),
        "platform.search_results_k",
        || "must show every offering".into(),
    )?;
    Ok(cost.unwrap_or(0.0))
}

fn from_step_ok(src: &Source<'_>, s: &Scenario, from: Option<u32>) -> Result<(), ScenarioError> {
    if let Some(f) = from {
        src.require(f < s.run.steps, "validation.from_step", || {
            format!("must be below run.steps = {}", s.run.steps)
        })?;
    }
    Ok(())
}

impl BertrandParams {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        if let Some(t) = self.tolerance {
            super::positive(src, "tolerance", t)?;
        }
        Ok(())
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        market(s, src, "undercut_lowest")?;
        src.require(
            super::platform_groups(s).len() >= 2,
            "providers.initial",
            || "Bertrand needs at least two offerings".into(),
        )?;
        for (i, g) in s.segments.iter().enumerate() {
            src.require(
                g.choice_model == ChoiceModel::MaxUtility,
                &format!("segments[{i}].choice_model"),
                || "must be \"max_utility\" (homogeneous goods)".into(),
            )?;
        }
        from_step_ok(src, s, self.from_step)
    }
}

fn tick(s: &Scenario) -> f64 {
    match &s.providers.initial[0].pricing {
        PricingRule::UndercutLowest(p) => p.tick,
        _ => 0.0,
    }
}

/// The checks of V3: `prices[t][j]` posted after step t, `margins[t][j]` realized profit per
/// served request (None when nothing was served), checked from `from` on.
pub fn check_bertrand(
    c: f64,
    tol: f64,
    from: usize,
    prices: &[Vec<f64>],
    margins: &[Vec<Option<f64>>],
) -> Vec<Check> {
    let late = |v: &[Vec<f64>]| -> Vec<f64> { v.iter().skip(from).flatten().copied().collect() };
    let p = late(prices);
    let max = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = p.iter().copied().fold(f64::INFINITY, f64::min);
    let m: Vec<f64> = margins
        .iter()
        .skip(from)
        .flatten()
        .filter_map(|x| *x)
        .collect();
    let worst = m
        .iter()
        .copied()
        .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
    vec![
        Check::new(
            format!("max price from step {from} − c (USD)"),
            c,
            max,
            max - c,
            tol,
        ),
        Check::new(
            format!("min price from step {from} ≥ c (USD)"),
            c,
            min,
            (c - min).max(0.0),
            0.0,
        ),
        Check::new(
            format!("max |profit per request| from step {from} (USD)"),
            0.0,
            worst,
            if m.is_empty() { f64::NAN } else { worst.abs() },
            tol,
        ),
    ]
}

pub(super) fn run_bertrand(
    par: &BertrandParams,
    s: &Scenario,
    report: &mut CaseReport,
) -> Result<(), SimError> {
    let c = s.providers.initial[0].marginal_cost_usd.unwrap_or(0.0);
    let tick = tick(s);
    let tol = par.tolerance.unwrap_or(tick);
    let from = par.from_step.unwrap_or(100) as usize;
    let (prices, margins) = price_paths(s)?;
    report.checks = check_bertrand(c, tol, from, &prices, &margins);
    let reached = prices
        .iter()
        .position(|p| p.iter().all(|&x| x >= c && x <= c + tol));
    report.notes.push(format!(
        "c = {}, tick = {}, tolerance = {}; every price first in [c, c + tolerance] after step {}; final prices {:?}",
        num(c),
        num(tick),
        num(tol),
        reached.map_or("never".into(), |k| k.to_string()),
        prices.last().map(|p| p.iter().map(|x| num(*x)).collect::<Vec<_>>()).unwrap_or_default()
    ));
    report.plots.push(price_plot(
        "V3 Bertrand: posted prices vs marginal cost",
        &prices,
        vec![(c, "c".into()), (c + tol, "c + tolerance".into())],
    ));
    Ok(())
}

/// Per step, per platform offering: posted prices, and realized margins per request (None when
/// nothing was served).
type Paths = (Vec<Vec<f64>>, Vec<Vec<Option<f64>>>);

/// Posted prices and realized margins per request after every step.
fn price_paths(s: &Scenario) -> Result<Paths, SimError> {
    let mut prices = Vec::new();
    let mut margins = Vec::new();
    simulate(s, |sim, _| {
        let o = &sim.world.offerings;
        let b = sim.last_step();
        let ids: Vec<usize> = (0..o.len()).filter(|&j| o.is_platform(j)).collect();
        prices.push(ids.iter().map(|&j| o.price[j]).collect());
        margins.push(
            ids.iter()
                .map(|&j| {
                    let n = b.served.get(j).copied().unwrap_or(0);
                    (n > 0).then(|| {
                        let rev = b.revenue_usd.get(j).copied().unwrap_or(0.0);
                        (rev - b.cost_usd.get(j).copied().unwrap_or(0.0)) / n as f64
                    })
                })
                .collect(),
        );
    })?;
    Ok((prices, margins))
}

fn price_plot(title: &str, prices: &[Vec<f64>], hlines: Vec<(f64, String)>) -> Plot {
    let mut plot = Plot::new("prices", title, "step", "USD per request");
    let n = prices.first().map_or(0, |p| p.len());
    for j in 0..n {
        plot.series.push(Series::line(
            format!("offering {j}"),
            Role::Model,
            prices
                .iter()
                .enumerate()
                .map(|(t, p)| (t as f64, p[j]))
                .collect(),
        ));
    }
    plot.hlines = hlines;
    plot
}

impl MonopolyParams {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        super::positive(src, "tolerance", self.tolerance)?;
        super::positive(src, "oracle_tolerance", self.oracle_tolerance)
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        let rule = s
            .providers
            .initial
            .first()
            .map_or("profit_hill_climb", |g| g.pricing.kind());
        market(s, src, rule)?;
        super::unit_jobs(s, src)?;
        src.require(
            super::platform_groups(s).len() == 1,
            "providers.initial",
            || "the monopoly case has exactly one offering".into(),
        )?;
        src.require(s.segments.len() == 1, "segments", || {
            "the monopoly case needs exactly one segment".into()
        })?;
        let g = &s.segments[0];
        src.require(
            matches!(g.value_dist, Dist::UniformQuantiles { .. }),
            "segments[0].value_dist",
            || "must be `uniform_quantiles` (deterministic linear demand)".into(),
        )?;
        src.require(
            g.choice_model == ChoiceModel::MaxUtility,
            "segments[0].choice_model",
            || "must be \"max_utility\"".into(),
        )?;
        src.require(g.outside_option, "segments[0].outside_option", || {
            "must be true: customers who value the service below the price do not buy".into()
        })?;
        from_step_ok(src, s, self.from_step)
    }
}

/// Values per request at the ends of the `uniform_quantiles` distribution: m v_c [min, max].
fn value_range(s: &Scenario) -> (f64, f64) {
    let g = &s.segments[0];
    let base = g.value_multiplier * s.categories[0].base_value_usd;
    match g.value_dist {
        Dist::UniformQuantiles { min, max } => (base * min, base * max),
        _ => (base, base),
    }
}

/// The check of V4 (and V5): max relative price error from `from` on.
pub fn check_price(name: &str, expected: f64, from: usize, prices: &[Vec<f64>], tol: f64) -> Check {
    let (mut worst, mut err) = (f64::NAN, 0.0f64);
    for p in prices.iter().skip(from).flatten() {
        let e = (p / expected - 1.0).abs();
        if e >= err || worst.is_nan() {
            (worst, err) = (*p, e);
        }
    }
    if prices.len() <= from {
        err = f64::NAN;
    }
    Check::new(
        format!("{name} from step {from}, relative"),
        expected,
        worst,
        err,
        tol,
    )
}

pub(super) fn run_monopoly(
    par: &MonopolyParams,
    s: &Scenario,
    report: &mut CaseReport,
) -> Result<(), SimError> {
    let c = s.providers.initial[0].marginal_cost_usd.unwrap_or(0.0);
    let (lo, hi) = value_range(s);
    let p_star = theory::monopoly_linear(c, lo, hi);
    let from = par.from_step.unwrap_or(s.run.steps.saturating_sub(1)) as usize;
    let (prices, _) = price_paths(s)?;
    report.checks.push(check_price(
        &format!(
            "price of `{}` vs p* = max(v_lo, (v_hi + c)/2)",
            s.providers.initial[0].pricing.kind()
        ),
        p_star,
        from,
        &prices,
        par.tolerance,
    ));
    let n = s.segments[0].size as usize;
    report.notes.push(format!(
        "N = {n}, values on [{}, {}], c = {}: p* = {}, Q* = {} customers; final price {}",
        num(lo),
        num(hi),
        num(c),
        num(p_star),
        num(n as f64 * ((hi - p_star) / (hi - lo)).clamp(0.0, 1.0)),
        prices.last().map_or("none".into(), |p| num(p[0]))
    ));
    let mut plot = price_plot(
        "V4 monopoly under linear demand: posted price vs p*",
        &prices,
        vec![(p_star, "p*".into()), (c, "c".into())],
    );
    if par.oracle {
        let (k_star, p_d) = theory::monopoly_discrete(
            c,
            &(0..n)
                .map(|k| lo + (hi - lo) * (k as f64 + 0.5) / n as f64)
                .collect::<Vec<_>>(),
        );
        let oracle = with_overrides(
            s,
            &[
                "providers.initial[0].pricing={ kind = \"monopoly_oracle\" }".into(),
                "run.steps=1".into(),
            ],
        )?;
        let mut posted = 0.0;
        let mut sold = 0u64;
        simulate(&oracle, |sim, m| {
            posted = sim.world.offerings.price[0];
            sold = m.requests_platform;
        })?;
        report.checks.push(Check::rel(
            "monopoly_oracle price vs the discrete optimum p_d*",
            p_d,
            posted,
            par.oracle_tolerance,
        ));
        report.checks.push(Check::abs(
            "monopoly_oracle quantity vs N − k* (customers)",
            (n - k_star) as f64,
            sold as f64,
            0.0,
        ));
        report.checks.push(Check::new(
            "discrete optimum p_d* vs p*, relative (bound v_hi/(N p*))",
            p_star,
            p_d,
            (p_d / p_star - 1.0).abs(),
            hi / (n as f64 * p_star),
        ));
        plot.hlines.push((p_d, "p_d* (oracle)".into()));
    }
    report.plots.push(plot);
    Ok(())
}

impl MarkupParams {
    pub(super) fn check(&self, src: &Source<'_>) -> Result<(), ScenarioError> {
        super::positive(src, "tolerance", self.tolerance)
    }

    pub(super) fn preconditions(
        &self,
        s: &Scenario,
        src: &Source<'_>,
    ) -> Result<(), ScenarioError> {
        market(s, src, "logit_best_response")?;
        src.require(
            super::platform_groups(s).len() >= 2,
            "providers.initial",
            || "needs at least two symmetric offerings".into(),
        )?;
        src.require(s.segments.len() == 1, "segments", || {
            "the logit-markup case needs exactly one segment".into()
        })?;
        let g = &s.segments[0];
        src.require(
            g.choice_model == ChoiceModel::Logit && g.logit_scale_usd > 0.0,
            "segments[0].logit_scale_usd",
            || "must be > 0 under choice_model = \"logit\"".into(),
        )?;
        src.require(
            matches!(g.value_dist, Dist::Const { .. }),
            "segments[0].value_dist",
            || "must be `const` (one outside-option value)".into(),
        )?;
        for (i, o) in s.providers.initial.iter().enumerate() {
            if let PricingRule::LogitBestResponse(p) = &o.pricing
                && let Some(m) = p.mu_estimate
            {
                src.require(
                    m == g.logit_scale_usd,
                    &format!("providers.initial[{i}].pricing.mu_estimate"),
                    || "must be absent or equal to the customers' logit_scale_usd".into(),
                )?;
            }
        }
        from_step_ok(src, s, self.from_step)
    }
}

pub(super) fn run_markup(
    par: &MarkupParams,
    s: &Scenario,
    report: &mut CaseReport,
) -> Result<(), SimError> {
    let g = &s.segments[0];
    let c = s.providers.initial[0].marginal_cost_usd.unwrap_or(0.0);
    let mu = g.logit_scale_usd;
    let n = super::platform_groups(s).len();
    let value = g.value_multiplier
        * s.categories[0].base_value_usd
        * match g.value_dist {
            Dist::Const { value } => value,
            _ => 1.0,
        };
    let p_star = theory::logit_nash_price(c, mu, n, g.outside_option.then_some(value));
    let from = par.from_step.unwrap_or(s.run.steps.saturating_sub(1)) as usize;
    let (prices, _) = price_paths(s)?;
    report.checks.push(check_price(
        if g.outside_option {
            "price vs p* solving p = c + μ/(1 − s(p))"
        } else {
            "price vs p* = c + μn/(n − 1)"
        },
        p_star,
        from,
        &prices,
        par.tolerance,
    ));
    report.notes.push(format!(
        "n = {n}, c = {}, μ = {}, outside option {}: p* = {}; final prices {:?}",
        num(c),
        num(mu),
        if g.outside_option {
            format!("of value {}", num(value))
        } else {
            "none".into()
        },
        num(p_star),
        prices
            .last()
            .map(|p| p.iter().map(|x| num(*x)).collect::<Vec<_>>())
            .unwrap_or_default()
    ));
    report.plots.push(price_plot(
        "V5 logit best responses: posted prices vs the Nash price",
        &prices,
        vec![(p_star, "p*".into()), (c, "c".into())],
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_stuck_above_cost_fails_bertrand() {
        let (c, tick) = (0.002, 1e-4);
        // Undercutting down to c: passes from step 100.
        let path: Vec<Vec<f64>> = (0..150)
            .map(|t| {
                let p = (0.010 - t as f64 * tick).max(c);
                vec![p, (p + tick).max(c)]
            })
            .collect();
        let margins: Vec<Vec<Option<f64>>> =
            path.iter().map(|p| vec![Some(p[0] - c), None]).collect();
        assert!(
            check_bertrand(c, tick, 100, &path, &margins)
                .iter()
                .all(|x| x.pass)
        );
        // A broken rule that stops undercutting at 2c.
        let stuck: Vec<Vec<f64>> = path
            .iter()
            .map(|p| p.iter().map(|x| x.max(2.0 * c)).collect())
            .collect();
        let m: Vec<Vec<Option<f64>>> = stuck.iter().map(|p| vec![Some(p[0] - c), None]).collect();
        let checks = check_bertrand(c, tick, 100, &stuck, &m);
        assert!(!checks[0].pass && !checks[2].pass, "{checks:?}");
        // And one that undercuts below cost.
        let below: Vec<Vec<f64>> = path.iter().map(|p| vec![p[0] - 2.0 * tick, p[1]]).collect();
        assert!(!check_bertrand(c, tick, 100, &below, &margins)[1].pass);
    }

    #[test]
    fn price_check_reads_the_late_steps() {
        let prices = vec![vec![0.005], vec![0.0109], vec![0.01101]];
        assert!(check_price("p", 0.011, 2, &prices, 0.01).pass);
        assert!(!check_price("p", 0.011, 0, &prices, 0.01).pass);
        assert!(
            !check_price("p", 0.011, 3, &prices, 0.01).pass,
            "no step checked"
        );
    }
}
