//! Range and consistency checks of a typed scenario: the first problem found, as a [`ScenarioError`].
//!
//! Every numeric key is checked against its allowed range (docs/SCENARIOS.md lists them; they follow
//! MODEL.md §2.1, table 7.2-A and table 10-A), non-finite floats are rejected, and cross-key rules are
//! enforced: unique names, references to existing categories, an acyclic recipe graph, fee and share
//! sums, incumbent count. This file only reads the scenario; it never fills defaults.

use std::collections::{BTreeMap, BTreeSet};

use super::load::{ScenarioError, nearest};
use super::model::{
    AdoptionParams, B2bParams, Category, DeveloperParams, Dist, ExchangeParams, Incumbent,
    NetworkParams, OutputParams, PlatformParams, PricingParams, ProviderGroup, ProviderParams,
    RunParams, Scenario, Segment, TokenParams,
};

/// Most incumbents a scenario may declare (`[incumbent]` and `[[incumbents]]` together).
pub const MAX_INCUMBENTS: usize = 5;
/// Most customers over all segments.
pub const MAX_TOTAL_CUSTOMERS: u64 = 10_000_000;

/// Checks a scenario (usually a resolved one); errors carry no file and no line.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    validate_with_source(s, "<scenario>", None)
}

/// Checks a scenario; errors name `file` and, when `source` (the scenario's TOML text) is given, the
/// line and column of the offending key (or of its nearest enclosing table present in the text).
pub fn validate_with_source(
    s: &Scenario,
    file: &str,
    source: Option<&str>,
) -> Result<(), ScenarioError> {
    let c = Checker { file, source };
    c.scenario(s)
}

/// An allowed range.
#[derive(Clone, Copy, Debug)]
enum R {
    /// `>= lo`.
    Ge(f64),
    /// `> lo`.
    Gt(f64),
    /// `[lo, hi]`.
    In(f64, f64),
    /// `(lo, hi]`.
    OpenLo(f64, f64),
}

impl R {
    fn contains(self, v: f64) -> bool {
        match self {
            R::Ge(lo) => v >= lo,
            R::Gt(lo) => v > lo,
            R::In(lo, hi) => v >= lo && v <= hi,
            R::OpenLo(lo, hi) => v > lo && v <= hi,
        }
    }

    fn describe(self) -> String {
        match self {
            R::Ge(lo) => format!(">= {lo}"),
            R::Gt(lo) => format!("> {lo}"),
            R::In(lo, hi) => format!("in [{lo}, {hi}]"),
            R::OpenLo(lo, hi) => format!("in ({lo}, {hi}]"),
        }
    }
}

/// Probability-like share: `[0, 1]`.
const UNIT: R = R::In(0.0, 1.0);
/// EWMA weight: `(0, 1]`.
const ALPHA: R = R::OpenLo(0.0, 1.0);
/// Non-negative.
const NONNEG: R = R::Ge(0.0);

struct Checker<'a> {
    file: &'a str,
    source: Option<&'a str>,
}

type Res = Result<(), ScenarioError>;

impl Checker<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::new(self.file, path, message).located_in(self.source)
    }

    /// A float key: finite and in range.
    fn f(&self, path: &str, v: f64, r: R) -> Res {
        if !v.is_finite() {
            return Err(self.err(path, format!("must be a finite number, got {v}")));
        }
        if !r.contains(v) {
            return Err(self.err(path, format!("must be {}, got {v}", r.describe())));
        }
        Ok(())
    }

    /// An integer key in range.
    fn n(&self, path: &str, v: u64, r: R) -> Res {
        // Integers of scenario keys are far below 2^53: the conversion is exact.
        let x = v as f64;
        if !r.contains(x) {
            return Err(self.err(path, format!("must be {}, got {v}", r.describe())));
        }
        Ok(())
    }

    fn scenario(&self, s: &Scenario) -> Res {
        if s.schema_version != 1 {
            return Err(self.err(
                "schema_version",
                format!(
                    "must be 1 (the only format version), got {}",
                    s.schema_version
                ),
            ));
        }
        self.run(&s.run)?;
        self.engine(s)?;
        self.categories(&s.categories)?;
        let names: BTreeSet<&str> = s.categories.iter().map(|c| c.name.as_str()).collect();
        self.segments(&s.segments, &names)?;
        self.adoption(&s.adoption)?;
        self.network(&s.network_effects)?;
        self.platform(&s.platform)?;
        self.incumbents(s)?;
        self.providers(&s.providers, &names)?;
        self.b2b(&s.b2b)?;
        self.pricing(&s.pricing)?;
        self.developers(&s.developers)?;
        self.token(&s.token)?;
        self.exchange(&s.exchange)?;
        self.extensions(s)?;
        self.gtm(s)?;
        self.output(&s.output)
    }

    /// `[gtm]`, the go-to-market keys of `[token]`, `[developers] developer_pricing_mix`,
    /// `[pricing] platform_rule_override` and `free_calls_sensitivity`.
    fn gtm(&self, s: &Scenario) -> Res {
        use crate::policy::gtm::{CheckCtx, GtmPolicy};
        use crate::policy::pricing::PricingRule;
        let t = &s.token;
        self.f(
            "token.treasury_max_sell_share_per_step",
            t.treasury_max_sell_share_per_step,
            UNIT,
        )?;
        self.f(
            "token.grant_price_floor_usd",
            t.grant_price_floor_usd,
            R::In(0.0, 1e3),
        )?;
        for (i, g) in s.segments.iter().enumerate() {
            self.f(
                &format!("segments[{i}].free_calls_sensitivity"),
                g.free_calls_sensitivity,
                UNIT,
            )?;
        }
        let kinds: Vec<&'static str> = PricingRule::examples()
            .iter()
            .map(|r| r.kind())
            .filter(|k| *k != "monopoly_oracle")
            .collect();
        let mut total = 0.0;
        for (kind, &share) in &s.developers.developer_pricing_mix {
            let key = format!("developers.developer_pricing_mix.{kind}");
            if !kinds.contains(&kind.as_str()) {
                return Err(self
                    .err(
                        &key,
                        format!(
                            "unknown pricing rule `{kind}` (one of {})",
                            kinds.join(", ")
                        ),
                    )
                    .with_suggestion(nearest(kind, kinds.iter().copied())));
            }
            self.f(&key, share, NONNEG)?;
            total += share;
        }
        if !s.developers.developer_pricing_mix.is_empty() && total <= 0.0 {
            return Err(self.err(
                "developers.developer_pricing_mix",
                "the shares must not all be 0 (leave the table empty for `fixed`)",
            ));
        }
        let o = s.pricing.platform_rule_override.as_str();
        if o != "none" {
            if !kinds.contains(&o) {
                return Err(self
                    .err(
                        "pricing.platform_rule_override",
                        format!("must be \"none\" or a pricing rule kind, got `{o}`"),
                    )
                    .with_suggestion(nearest(o, kinds.iter().copied().chain(["none"]))));
            }
            if matches!(o, "call_auction" | "subscription")
                && let Some(i) = s
                    .providers
                    .initial
                    .iter()
                    .position(|g| g.quote_currency == super::model::QuoteCurrency::Token)
            {
                return Err(self.err(
                    &format!("providers.initial[{i}].quote_currency"),
                    format!("`{o}` offerings (pricing.platform_rule_override) are quoted in USD"),
                ));
            }
            if o == "surge"
                && s.providers
                    .initial
                    .iter()
                    .any(|g| g.capacity_mode == super::model::CapacityMode::OnDemand)
            {
                return Err(self.err(
                    "pricing.platform_rule_override",
                    "`surge` needs reserved capacity, and some [[providers.initial]] group is on_demand",
                ));
            }
        }
        let g = &s.gtm;
        if let Some(cap) = g.gtm_budget_usd_per_step {
            self.f("gtm.gtm_budget_usd_per_step", cap, R::Gt(0.0))?;
        }
        self.n(
            "gtm.unpaid_stop_steps",
            g.unpaid_stop_steps.into(),
            R::In(1.0, 100_000.0),
        )?;
        let arms: BTreeSet<&str> = g
            .policies
            .iter()
            .flat_map(|p| p.common().arms.iter().map(|a| a.as_str()))
            .collect();
        if !g.arm.is_empty() && g.arm != "none" && !arms.contains(g.arm.as_str()) {
            return Err(self
                .err(
                    "gtm.arm",
                    format!(
                        "no policy runs in arm `{}` (arms named by the policies: {})",
                        g.arm,
                        arms.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_suggestion(nearest(&g.arm, arms.iter().copied())));
        }
        let categories: Vec<String> = s.categories.iter().map(|c| c.name.clone()).collect();
        let composite: Vec<bool> = s.categories.iter().map(|c| !c.recipe.is_empty()).collect();
        let segments: Vec<String> = s.segments.iter().map(|x| x.name.clone()).collect();
        let cx = CheckCtx {
            categories: &categories,
            composite: &composite,
            segments: &segments,
            steps: s.run.steps,
        };
        for (i, p) in g.policies.iter().enumerate() {
            if let Err((key, msg)) = p.check(&cx) {
                return Err(self.err(&format!("gtm.policies[{i}].{key}"), msg));
            }
            if let GtmPolicy::Subsidy(x) = p
                && x.subsidy_share > 1.0 - s.platform.seller_fee_rate + 1e-12
            {
                return Err(self.err(
                    &format!("gtm.policies[{i}].subsidy_share"),
                    format!(
                        "must be <= 1 - platform.seller_fee_rate = {}, got {}",
                        1.0 - s.platform.seller_fee_rate,
                        x.subsidy_share
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Keys added with the full market mechanics (token supply, exchange models, speculators,
    /// network options, gateway, B2B and provider extensions).
    fn extensions(&self, s: &Scenario) -> Res {
        let e = &s.token.emission;
        self.n(
            "token.emission.period_steps",
            e.period_steps.into(),
            R::In(1.0, 3650.0),
        )?;
        self.f(
            "token.emission.first_tranche_tokens",
            e.first_tranche_tokens,
            R::In(0.0, 1e11),
        )?;
        self.f("token.emission.decay", e.decay, UNIT)?;
        self.f(
            "token.emission.tokens_per_period",
            e.tokens_per_period,
            R::In(0.0, 1e11),
        )?;
        for (i, &x) in e.table.iter().enumerate() {
            self.f(&format!("token.emission.table[{i}]"), x, R::In(0.0, 1e11))?;
        }
        let a = &e.allocation;
        self.f("token.emission.allocation.treasury", a.treasury, UNIT)?;
        self.f("token.emission.allocation.grants", a.grants, UNIT)?;
        self.f(
            "token.emission.allocation.staking_rewards",
            a.staking_rewards,
            UNIT,
        )?;
        let total = a.treasury + a.grants + a.staking_rewards;
        if (total - 1.0).abs() > 1e-9 {
            return Err(self.err(
                "token.emission.allocation",
                format!("the shares must sum to 1, got {total}"),
            ));
        }
        let st = &s.token.staking;
        self.n(
            "token.staking.window_steps",
            st.window_steps.into(),
            R::In(1.0, 3650.0),
        )?;
        self.f("token.staking.base_share", st.base_share, UNIT)?;
        self.f("token.staking.elasticity", st.elasticity, R::In(0.0, 100.0))?;
        self.f("token.staking.hurdle_apy", st.hurdle_apy, R::In(0.0, 10.0))?;
        self.f(
            "token.staking.reward_tokens_per_window",
            st.reward_tokens_per_window,
            R::In(0.0, 1e11),
        )?;
        self.f("token.staking.auto_restake", st.auto_restake, UNIT)?;
        let sp = &s.speculators;
        self.f("speculators.noise_usd_sd", sp.noise_usd_sd, R::In(0.0, 1e7))?;
        self.f("speculators.momentum", sp.momentum, R::In(-5.0, 5.0))?;
        self.f(
            "speculators.momentum_scale_usd",
            sp.momentum_scale_usd,
            R::In(0.0, 1e9),
        )?;
        self.f(
            "speculators.genesis_share",
            sp.genesis_share,
            R::In(0.0, 0.5),
        )?;
        if s.token.treasury_share + s.token.pool_share + sp.genesis_share > 1.0 + 1e-12 {
            return Err(self.err(
                "speculators.genesis_share",
                "token.treasury_share + token.pool_share + speculators.genesis_share must be <= 1",
            ));
        }
        let ex = &s.exchange;
        self.f("exchange.depth_usd", ex.depth_usd, R::OpenLo(0.0, 1e12))?;
        self.f("exchange.impact_lambda", ex.impact_lambda, R::In(0.0, 10.0))?;
        self.f(
            "exchange.drift_per_year",
            ex.drift_per_year,
            R::In(-1.0, 1.0),
        )?;
        self.f("exchange.vol_per_year", ex.vol_per_year, R::In(0.0, 3.0))?;
        let ne = &s.network_effects;
        self.f(
            "network_effects.initial_active_share",
            ne.initial_active_share,
            UNIT,
        )?;
        let pr = &s.providers;
        self.f("providers.data_pooling_share", pr.data_pooling_share, UNIT)?;
        self.f(
            "providers.quality_drift_per_year",
            pr.quality_drift_per_year,
            R::In(0.0, 1.0),
        )?;
        self.f(
            "providers.scale_ref_requests",
            pr.scale_ref_requests,
            R::OpenLo(0.0, 1e15),
        )?;
        self.f(
            "providers.scale_learning_exponent",
            pr.scale_learning_exponent,
            UNIT,
        )?;
        for (i, inc) in s.incumbents.iter().chain(&s.incumbent).enumerate() {
            let key = if s.incumbents.is_empty() {
                "incumbent".to_string()
            } else {
                format!("incumbents[{i}]")
            };
            self.f(
                &format!("{key}.scale_learning_exponent"),
                inc.scale_learning_exponent,
                UNIT,
            )?;
        }
        for (i, g) in s.segments.iter().enumerate() {
            self.f(
                &format!("segments[{i}].gateway_onboarding_cost_usd"),
                g.gateway_onboarding_cost_usd,
                R::In(0.0, 1e5),
            )?;
            self.f(
                &format!("segments[{i}].gateway_fee_rate"),
                g.gateway_fee_rate,
                R::In(0.0, 0.1),
            )?;
        }
        self.n(
            "platform.claim_every_steps",
            s.platform.claim_every_steps.into(),
            R::In(1.0, 365.0),
        )?;
        let b = &s.b2b;
        self.f(
            "b2b.b2b_switching_cost_usd",
            b.b2b_switching_cost_usd,
            R::In(0.0, 0.05),
        )?;
        self.f("b2b.reservation_fee_share", b.reservation_fee_share, UNIT)?;
        self.f("b2b.own_quality_weight", b.own_quality_weight, UNIT)
    }

    fn run(&self, r: &RunParams) -> Res {
        self.n("run.steps", r.steps.into(), R::In(1.0, 100_000.0))?;
        let d = r.step_days;
        if !d.is_finite() || !(1.0 / 24.0..=30.0).contains(&d) {
            return Err(self.err("run.step_days", format!("must be in [1/24, 30], got {d}")));
        }
        Ok(())
    }

    fn engine(&self, s: &Scenario) -> Res {
        let e = &s.engine;
        self.n(
            "engine.max_match_rounds",
            e.max_match_rounds.into(),
            R::In(1.0, 5.0),
        )?;
        self.n("engine.threads", e.threads as u64, R::In(0.0, 1024.0))
    }

    fn categories(&self, cats: &[Category]) -> Res {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, c) in cats.iter().enumerate() {
            let p = format!("categories[{i}]");
            self.name(&format!("{p}.name"), &c.name, "category", &mut seen)?;
            self.f(
                &format!("{p}.base_value_usd"),
                c.base_value_usd,
                R::In(0.0, 1.0),
            )?;
            self.f(
                &format!("{p}.tokens_per_request"),
                c.tokens_per_request,
                R::In(100.0, 1e4),
            )?;
            self.f(&format!("{p}.q_max"), c.q_max, R::OpenLo(0.0, 1.0))?;
        }
        let names: Vec<&str> = cats.iter().map(|c| c.name.as_str()).collect();
        for (i, c) in cats.iter().enumerate() {
            for (sub, &units) in &c.recipe {
                let p = format!("categories[{i}].recipe.{sub}");
                if !seen.contains_key(sub.as_str()) {
                    return Err(self
                        .err(
                            &p,
                            format!("unknown category `{sub}` in the recipe of `{}`", c.name),
                        )
                        .with_suggestion(nearest(sub, names.iter().copied())));
                }
                self.n(&p, units.into(), R::Ge(1.0))?;
            }
        }
        self.recipe_cycles(cats, &seen)
    }

    /// Depth-first search over the recipe graph; the first cycle found is the error.
    fn recipe_cycles(&self, cats: &[Category], index: &BTreeMap<&str, usize>) -> Res {
        // 0 = unvisited, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; cats.len()];
        for root in 0..cats.len() {
            if state[root] != 0 {
                continue;
            }
            // Iterative DFS: (node, next recipe entry to visit).
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            state[root] = 1;
            while let Some(top) = stack.last_mut() {
                let (node, k) = *top;
                top.1 += 1;
                if k >= cats[node].recipe.len() {
                    state[node] = 2;
                    stack.pop();
                    continue;
                }
                let child = cats[node]
                    .recipe
                    .keys()
                    .nth(k)
                    .and_then(|c| index.get(c.as_str()));
                let Some(&ch) = child else { continue };
                if state[ch] == 0 {
                    state[ch] = 1;
                    stack.push((ch, 0));
                } else if state[ch] == 1 {
                    let from = stack.iter().position(|&(n, _)| n == ch).unwrap_or(0);
                    let mut names: Vec<&str> = stack[from..]
                        .iter()
                        .map(|&(n, _)| cats[n].name.as_str())
                        .collect();
                    names.push(cats[ch].name.as_str());
                    let e = ScenarioError::new(
                        self.file,
                        "categories",
                        format!("recipe cycle {}", names.join(" -> ")),
                    );
                    let at = format!("categories[{ch}].recipe");
                    let (line, column) = self
                        .source
                        .and_then(|t| super::load::locate_key(t, &at))
                        .map_or((None, None), |(l, c)| (Some(l), Some(c)));
                    return Err(ScenarioError { line, column, ..e });
                }
            }
        }
        Ok(())
    }

    /// A unique, non-empty name.
    fn name<'s>(
        &self,
        path: &str,
        name: &'s str,
        what: &str,
        seen: &mut BTreeMap<&'s str, usize>,
    ) -> Res {
        if name.trim().is_empty() {
            return Err(self.err(path, format!("{what} name must not be empty")));
        }
        let n = seen.len();
        if seen.insert(name, n).is_some() {
            return Err(self.err(path, format!("duplicate {what} name `{name}`")));
        }
        Ok(())
    }

    fn dist(&self, path: &str, d: &Dist) -> Res {
        match *d {
            Dist::Const { value } => self.f(&format!("{path}.value"), value, NONNEG),
            Dist::Uniform { min, max } | Dist::UniformQuantiles { min, max } => {
                self.f(&format!("{path}.min"), min, NONNEG)?;
                self.f(&format!("{path}.max"), max, NONNEG)?;
                if min > max {
                    return Err(self.err(
                        &format!("{path}.min"),
                        format!("min must be <= max, got min = {min} > max = {max}"),
                    ));
                }
                Ok(())
            }
            Dist::Lognormal { median, sigma } => {
                self.f(&format!("{path}.median"), median, R::Gt(0.0))?;
                self.f(&format!("{path}.sigma"), sigma, NONNEG)
            }
        }
    }

    fn segments(&self, segs: &[Segment], cats: &BTreeSet<&str>) -> Res {
        let mut seen = BTreeMap::new();
        let mut total: u64 = 0;
        for (i, s) in segs.iter().enumerate() {
            let p = |k: &str| format!("segments[{i}].{k}");
            self.name(&p("name"), &s.name, "segment", &mut seen)?;
            self.n(&p("size"), s.size.into(), R::In(1.0, 1e7))?;
            total += u64::from(s.size);
            self.f(&p("value_multiplier"), s.value_multiplier, R::In(0.1, 10.0))?;
            self.dist(&p("value_dist"), &s.value_dist)?;
            for (cat, &w) in &s.needs {
                let path = p(&format!("needs.{cat}"));
                if !cats.contains(cat.as_str()) {
                    return Err(self
                        .err(&path, format!("unknown category `{cat}`"))
                        .with_suggestion(nearest(cat, cats.iter().copied())));
                }
                self.f(&path, w, NONNEG)?;
            }
            if !s.needs.is_empty() && s.needs.values().all(|&w| w == 0.0) {
                return Err(self.err(&p("needs"), "weights must not all be 0"));
            }
            self.f(&p("jobs_per_step"), s.jobs_per_step, R::In(0.0, 50.0))?;
            self.f(
                &p("requests_per_job_median"),
                s.requests_per_job_median,
                R::In(1.0, 1e6),
            )?;
            self.f(
                &p("requests_per_job_sigma"),
                s.requests_per_job_sigma,
                R::In(0.0, 3.0),
            )?;
            if let Some(b) = s.budget_usd_per_step {
                self.f(&p("budget_usd_per_step"), b, NONNEG)?;
            }
            self.f(
                &p("quality_weight_usd"),
                s.quality_weight_usd,
                R::In(0.0, 0.2),
            )?;
            self.f(
                &p("reputation_weight_usd"),
                s.reputation_weight_usd,
                R::In(0.0, 0.05),
            )?;
            self.f(&p("logit_scale_usd"), s.logit_scale_usd, R::In(0.0, 0.05))?;
            self.f(
                &p("switching_cost_usd"),
                s.switching_cost_usd,
                R::In(0.0, 0.05),
            )?;
            self.f(
                &p("token_onboarding_cost_usd"),
                s.token_onboarding_cost_usd,
                R::In(0.0, 1e5),
            )?;
            self.f(&p("prefund_steps"), s.prefund_steps, R::In(0.0, 90.0))?;
            self.f(&p("spend_ewma_alpha"), s.spend_ewma_alpha, ALPHA)?;
            self.f(&p("satisfaction_alpha"), s.satisfaction_alpha, ALPHA)?;
            self.f(&p("initial_aware_share"), s.initial_aware_share, UNIT)?;
            self.f(&p("bass_p"), s.bass_p, R::In(0.0, 1.0))?;
            self.f(&p("bass_q"), s.bass_q, R::In(0.0, 2.0))?;
            self.dist(&p("network_weight_dist"), &s.network_weight_dist)?;
        }
        if total > MAX_TOTAL_CUSTOMERS {
            return Err(self.err(
                "segments",
                format!("total customers must be <= {MAX_TOTAL_CUSTOMERS}, got {total}"),
            ));
        }
        Ok(())
    }

    fn adoption(&self, a: &AdoptionParams) -> Res {
        let p = |k: &str| format!("adoption.{k}");
        self.f(
            &p("adoption_horizon_steps"),
            a.adoption_horizon_steps,
            R::In(1.0, 3650.0),
        )?;
        self.f(
            &p("adoption_logit_scale_usd"),
            a.adoption_logit_scale_usd,
            R::In(0.01, 1e4),
        )?;
        self.n(
            &p("deboard_after_steps"),
            a.deboard_after_steps.into(),
            R::In(0.0, 3650.0),
        )?;
        self.f(&p("deboard_satisfaction"), a.deboard_satisfaction, UNIT)?;
        self.f(
            &p("initial_incumbent_users"),
            a.initial_incumbent_users,
            UNIT,
        )
    }

    fn network(&self, n: &NetworkParams) -> Res {
        let p = |k: &str| format!("network_effects.{k}");
        self.f(&p("same_side_weight_usd"), n.same_side_weight_usd, NONNEG)?;
        self.f(&p("cross_side_weight_usd"), n.cross_side_weight_usd, NONNEG)?;
        self.f(&p("same_side_x_ref"), n.same_side_x_ref, R::Ge(1.0))?;
        self.f(&p("cross_side_x_ref"), n.cross_side_x_ref, R::Ge(1.0))?;
        self.f(&p("power_gamma"), n.power_gamma, R::In(0.0, 2.0))?;
        self.f(&p("initial_network_base"), n.initial_network_base, NONNEG)?;
        self.n(
            &p("active_window_steps"),
            n.active_window_steps.into(),
            R::In(1.0, 365.0),
        )
    }

    fn platform(&self, pl: &PlatformParams) -> Res {
        let p = |k: &str| format!("platform.{k}");
        self.f(&p("buyer_fee_rate"), pl.buyer_fee_rate, R::In(0.0, 0.3))?;
        self.f(&p("seller_fee_rate"), pl.seller_fee_rate, R::In(0.0, 0.3))?;
        if pl.seller_fee_rate + pl.buyer_fee_rate >= 1.0 {
            return Err(self.err(
                &p("seller_fee_rate"),
                format!(
                    "seller_fee_rate + buyer_fee_rate must be < 1, got {}",
                    pl.seller_fee_rate + pl.buyer_fee_rate
                ),
            ));
        }
        self.f(&p("fee_burn_share"), pl.fee_burn_share, UNIT)?;
        self.n(
            &p("search_results_k"),
            pl.search_results_k.into(),
            R::In(0.0, 1000.0),
        )?;
        self.n(
            &p("explore_slots"),
            pl.explore_slots.into(),
            R::In(0.0, 32.0),
        )?;
        self.f(&p("reputation_default"), pl.reputation_default, UNIT)?;
        self.f(
            &p("reputation_conservatism"),
            pl.reputation_conservatism,
            UNIT,
        )?;
        self.f(
            &p("reputation_amount_ref_usd"),
            pl.reputation_amount_ref_usd,
            R::Gt(0.0),
        )?;
        self.f(
            &p("rank_reputation_exponent"),
            pl.rank_reputation_exponent,
            R::In(0.0, 10.0),
        )?;
        self.f(
            &p("rank_quality_exponent"),
            pl.rank_quality_exponent,
            R::In(0.0, 10.0),
        )?;
        self.f(&p("rating_noise"), pl.rating_noise, R::In(0.0, 0.5))?;
        self.f(&p("failure_rate"), pl.failure_rate, R::In(0.0, 0.5))?;
        self.f(
            &p("gas_per_channel_op_usd"),
            pl.gas_per_channel_op_usd,
            R::In(0.0, 100.0),
        )?;
        self.n(
            &p("channel_expiry_steps"),
            pl.channel_expiry_steps.into(),
            R::In(1.0, 365.0),
        )
    }

    fn incumbents(&self, s: &Scenario) -> Res {
        if s.incumbent.is_some() && !s.incumbents.is_empty() {
            return Err(self.err(
                "incumbent",
                "use either `[incumbent]` or `[[incumbents]]`, not both",
            ));
        }
        let total = s.incumbents.len() + usize::from(s.incumbent.is_some());
        if total > MAX_INCUMBENTS {
            return Err(self.err(
                "incumbents",
                format!("at most {MAX_INCUMBENTS} incumbents are allowed, got {total}"),
            ));
        }
        if let Some(inc) = &s.incumbent {
            self.incumbent("incumbent", inc)?;
        }
        for (i, inc) in s.incumbents.iter().enumerate() {
            self.incumbent(&format!("incumbents[{i}]"), inc)?;
        }
        Ok(())
    }

    fn incumbent(&self, prefix: &str, inc: &Incumbent) -> Res {
        let p = |k: &str| format!("{prefix}.{k}");
        if inc.name.trim().is_empty() {
            return Err(self.err(&p("name"), "incumbent name must not be empty"));
        }
        self.f(&p("q0"), inc.q0, UNIT)?;
        self.f(&p("initial_data"), inc.initial_data, NONNEG)?;
        // Incumbents have unlimited capacity: `surge` is rejected like on on-demand offerings.
        if let Err((key, msg)) = inc.pricing.check(true) {
            return Err(self.err(&p(&format!("pricing.{key}")), msg));
        }
        // Subscriptions are charged in tokens from customers' escrow; an incumbent is paid in
        // fiat and holds no token wallet it would sell (MODEL.md §7.14).
        if matches!(
            inc.pricing,
            crate::policy::pricing::PricingRule::Subscription(_)
        ) {
            return Err(self.err(
                &p("pricing.kind"),
                "an incumbent cannot sell subscriptions (they are paid in tokens; incumbents are paid in fiat): use `fixed`, `cost_plus`, `limit_pricing` or another per-request rule",
            ));
        }
        self.f(
            &p("price_usd_per_1m_tokens"),
            inc.price_usd_per_1m_tokens,
            R::In(0.1, 100.0),
        )?;
        self.f(
            &p("throughput_multiplier"),
            inc.throughput_multiplier,
            R::In(0.1, 100.0),
        )?;
        self.f(&p("same_side_weight_usd"), inc.same_side_weight_usd, NONNEG)?;
        self.f(
            &p("extra_switching_cost_usd"),
            inc.extra_switching_cost_usd,
            R::In(0.0, 0.05),
        )?;
        self.f(&p("data_pooling_share"), inc.data_pooling_share, UNIT)?;
        if let Some(c) = inc.marginal_cost_usd {
            self.f(&p("marginal_cost_usd"), c, NONNEG)?;
        }
        Ok(())
    }

    fn providers(&self, pr: &ProviderParams, cats: &BTreeSet<&str>) -> Res {
        let p = |k: &str| format!("providers.{k}");
        self.f(
            &p("gpu_hour_cost_usd"),
            pr.gpu_hour_cost_usd,
            R::In(0.1, 20.0),
        )?;
        self.f(
            &p("tokens_per_second"),
            pr.tokens_per_second,
            R::In(10.0, 1e5),
        )?;
        self.f(&p("util_target"), pr.util_target, ALPHA)?;
        self.f(
            &p("on_demand_premium"),
            pr.on_demand_premium,
            R::In(0.0, 2.0),
        )?;
        let d = pr.compute_cost_decline_per_year;
        self.f(&p("compute_cost_decline_per_year"), d, R::In(0.0, 0.95))?;
        self.f(
            &p("fixed_cost_usd_per_step"),
            pr.fixed_cost_usd_per_step,
            R::In(0.0, 1e5),
        )?;
        self.f(&p("provider_sell_share"), pr.provider_sell_share, UNIT)?;
        self.n(
            &p("provider_hold_steps"),
            pr.provider_hold_steps.into(),
            R::In(1.0, 365.0),
        )?;
        self.f(&p("demand_ewma_alpha"), pr.demand_ewma_alpha, ALPHA)?;
        self.f(&p("profit_ewma_alpha"), pr.profit_ewma_alpha, ALPHA)?;
        self.f(&p("learning_exponent"), pr.learning_exponent, UNIT)?;
        self.f(&p("data_ref_requests"), pr.data_ref_requests, R::Gt(0.0))?;
        self.f(
            &p("data_depreciation_per_step"),
            pr.data_depreciation_per_step,
            UNIT,
        )?;
        self.f(&p("max_debt_usd"), pr.max_debt_usd, NONNEG)?;
        for (i, g) in pr.initial.iter().enumerate() {
            self.group(&format!("providers.initial[{i}]"), g, cats)?;
        }
        Ok(())
    }

    fn group(&self, prefix: &str, g: &ProviderGroup, cats: &BTreeSet<&str>) -> Res {
        let p = |k: &str| format!("{prefix}.{k}");
        if !cats.contains(g.category.as_str()) {
            return Err(self
                .err(&p("category"), format!("unknown category `{}`", g.category))
                .with_suggestion(nearest(&g.category, cats.iter().copied())));
        }
        self.f(&p("q0_min"), g.q0_min, UNIT)?;
        self.f(&p("q0_max"), g.q0_max, UNIT)?;
        if g.q0_min > g.q0_max {
            return Err(self.err(
                &p("q0_min"),
                format!("q0_min must be <= q0_max, got {} > {}", g.q0_min, g.q0_max),
            ));
        }
        self.f(&p("price"), g.price, NONNEG)?;
        // The pricing rule's parameters, and `surge` only on reserved capacity.
        let on_demand = g.capacity_mode == super::model::CapacityMode::OnDemand;
        if let Err((key, msg)) = g.pricing.check(on_demand) {
            return Err(self.err(&p(&format!("pricing.{key}")), msg));
        }
        if let Some(c) = g.marginal_cost_usd {
            self.f(&p("marginal_cost_usd"), c, NONNEG)?;
        }
        // Call auctions and subscriptions clear and charge in USD.
        if g.quote_currency == super::model::QuoteCurrency::Token
            && matches!(
                g.pricing,
                crate::policy::pricing::PricingRule::CallAuction(_)
                    | crate::policy::pricing::PricingRule::Subscription(_)
            )
        {
            return Err(self.err(
                &p("quote_currency"),
                format!("`{}` offerings are quoted in USD", g.pricing.kind()),
            ));
        }
        self.f(&p("initial_cash_usd"), g.initial_cash_usd, NONNEG)
    }

    fn b2b(&self, b: &B2bParams) -> Res {
        let p = |k: &str| format!("b2b.{k}");
        self.f(&p("b2b_reserve_buffer"), b.b2b_reserve_buffer, UNIT)?;
        self.f(
            &p("b2b_logit_scale_usd"),
            b.b2b_logit_scale_usd,
            R::In(0.0, 0.05),
        )?;
        self.f(
            &p("b2b_quality_weight_usd"),
            b.b2b_quality_weight_usd,
            R::In(0.0, 0.2),
        )?;
        self.f(
            &p("b2b_reputation_weight_usd"),
            b.b2b_reputation_weight_usd,
            R::In(0.0, 0.05),
        )
    }

    fn developers(&self, d: &DeveloperParams) -> Res {
        let p = |k: &str| format!("developers.{k}");
        self.n(
            &p("developer_pool"),
            d.developer_pool.into(),
            R::In(0.0, 1e7),
        )?;
        self.n(
            &p("initial_aware_devs"),
            d.initial_aware_devs.into(),
            R::In(0.0, 1e7),
        )?;
        self.f(&p("dev_bass_p"), d.dev_bass_p, R::In(0.0, 1.0))?;
        self.f(&p("dev_bass_q"), d.dev_bass_q, R::In(0.0, 2.0))?;
        self.f(&p("composite_entry_share"), d.composite_entry_share, UNIT)?;
        self.n(
            &p("entry_review_steps"),
            d.entry_review_steps.into(),
            R::In(1.0, 365.0),
        )?;
        self.f(&p("outside_wage_usd"), d.outside_wage_usd, R::In(0.0, 1e5))?;
        self.f(
            &p("entry_horizon_steps"),
            d.entry_horizon_steps,
            R::In(1.0, 3650.0),
        )?;
        self.f(&p("entry_cost_usd"), d.entry_cost_usd, R::In(0.0, 1e7))?;
        self.f(
            &p("entry_logit_scale_usd"),
            d.entry_logit_scale_usd,
            R::In(0.01, 1e7),
        )?;
        self.f(&p("entry_share_prior"), d.entry_share_prior, UNIT)?;
        self.f(&p("category_demand_alpha"), d.category_demand_alpha, ALPHA)?;
        self.f(&p("entrant_cash_usd"), d.entrant_cash_usd, R::In(0.0, 1e9))?;
        self.f(&p("entrant_markup"), d.entrant_markup, R::In(0.0, 5.0))
    }

    fn pricing(&self, pr: &PricingParams) -> Res {
        if let Some(cap) = pr.price_cap_usd {
            self.f("pricing.price_cap_usd", cap, R::Gt(0.0))?;
        }
        if let Some(floor) = pr.price_floor_usd {
            self.f("pricing.price_floor_usd", floor, R::In(0.0, 1e3))?;
            if let Some(cap) = pr.price_cap_usd
                && floor > cap
            {
                return Err(self.err(
                    "pricing.price_floor_usd",
                    format!("must be <= price_cap_usd, got {floor} > {cap}"),
                ));
            }
        }
        self.f(
            "pricing.epsilon_margin_usd",
            pr.epsilon_margin_usd,
            R::In(0.0, 0.01),
        )?;
        self.n(
            "pricing.reprice_every",
            pr.reprice_every.into(),
            R::In(1.0, 365.0),
        )
    }

    fn token(&self, t: &TokenParams) -> Res {
        self.f(
            "token.genesis_supply_tokens",
            t.genesis_supply_tokens,
            R::OpenLo(0.0, 1e11),
        )?;
        self.f("token.treasury_share", t.treasury_share, UNIT)?;
        self.f("token.pool_share", t.pool_share, R::OpenLo(0.0, 1.0))?;
        if t.treasury_share + t.pool_share > 1.0 {
            return Err(self.err(
                "token.pool_share",
                format!(
                    "treasury_share + pool_share must be <= 1, got {}",
                    t.treasury_share + t.pool_share
                ),
            ));
        }
        self.f("token.treasury_usd", t.treasury_usd, R::In(0.0, 1e9))
    }

    fn exchange(&self, e: &ExchangeParams) -> Res {
        self.f("exchange.fee_rate", e.fee_rate, R::In(0.0, 0.1))?;
        self.f("exchange.pool_usd", e.pool_usd, R::In(1e3, 1e9))
    }

    fn output(&self, o: &OutputParams) -> Res {
        self.n(
            "output.record_every",
            o.record_every.into(),
            R::In(1.0, 100_000.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{default_categories, default_segments};

    fn resolved() -> Scenario {
        Scenario {
            categories: default_categories(),
            segments: default_segments(),
            ..Scenario::default()
        }
    }

    fn msg(s: &Scenario) -> String {
        validate(s).map_or_else(|e| e.to_string(), |()| "ok".into())
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(msg(&resolved()), "ok");
        assert_eq!(msg(&Scenario::default()), "ok");
    }

    #[test]
    fn range_messages() {
        let mut s = resolved();
        s.platform.failure_rate = 1.5;
        assert_eq!(
            msg(&s),
            "<scenario>: platform.failure_rate: must be in [0, 0.5], got 1.5"
        );
        let mut s = resolved();
        s.providers.util_target = 0.0;
        assert_eq!(
            msg(&s),
            "<scenario>: providers.util_target: must be in (0, 1], got 0"
        );
        let mut s = resolved();
        s.segments[2].logit_scale_usd = f64::NAN;
        assert_eq!(
            msg(&s),
            "<scenario>: segments[2].logit_scale_usd: must be a finite number, got NaN"
        );
        let mut s = resolved();
        s.run.steps = 0;
        assert_eq!(
            msg(&s),
            "<scenario>: run.steps: must be in [1, 100000], got 0"
        );
        let mut s = resolved();
        s.engine.max_match_rounds = 6;
        assert!(msg(&s).contains("engine.max_match_rounds: must be in [1, 5], got 6"));
        let mut s = resolved();
        s.run.step_days = 0.01;
        assert!(msg(&s).contains("run.step_days: must be in [1/24, 30], got 0.01"));
    }

    #[test]
    fn cross_key_rules() {
        let mut s = resolved();
        s.schema_version = 2;
        assert!(msg(&s).contains("schema_version: must be 1"));

        let mut s = resolved();
        s.token.treasury_share = 0.6;
        s.token.pool_share = 0.5;
        assert!(msg(&s).contains("treasury_share + pool_share must be <= 1, got 1.1"));

        let mut s = resolved();
        s.incumbent = Some(Incumbent::default());
        s.incumbents = vec![Incumbent::default()];
        assert!(msg(&s).contains("not both"));

        let mut s = resolved();
        s.incumbents = vec![Incumbent::default(); 6];
        assert!(msg(&s).contains("at most 5 incumbents are allowed, got 6"));

        let mut s = resolved();
        s.segments[1].name = "enterprise".into();
        assert!(msg(&s).contains("segments[1].name: duplicate segment name `enterprise`"));

        let mut s = resolved();
        s.categories[0].name = String::new();
        assert!(msg(&s).contains("categories[0].name: category name must not be empty"));

        let mut s = resolved();
        s.segments[0].size = 10_000_000;
        assert!(msg(&s).contains("segments: total customers must be <= 10000000, got 10980000"));

        let mut s = resolved();
        s.segments[0].network_weight_dist = Dist::Uniform { min: 2.0, max: 1.0 };
        assert!(msg(&s).contains("network_weight_dist.min: min must be <= max"));

        let mut s = resolved();
        s.segments[0].value_dist = Dist::Lognormal {
            median: 0.0,
            sigma: 1.0,
        };
        assert!(msg(&s).contains("value_dist.median: must be > 0, got 0"));

        let mut s = resolved();
        s.providers.initial = vec![ProviderGroup {
            category: "chat_llm".into(),
            q0_min: 0.8,
            q0_max: 0.2,
            ..ProviderGroup::default()
        }];
        assert!(msg(&s).contains("providers.initial[0].q0_min: q0_min must be <= q0_max"));

        let mut s = resolved();
        s.providers.initial = vec![ProviderGroup {
            category: "visoin".into(),
            ..ProviderGroup::default()
        }];
        let e = validate(&s).unwrap_err();
        assert_eq!(e.key_path, "providers.initial[0].category");
        assert_eq!(e.suggestion.as_deref(), Some("vision"));
    }

    #[test]
    fn recipe_checks() {
        let mut s = resolved();
        s.categories[5].recipe.insert("chat".into(), 1);
        let e = validate(&s).unwrap_err();
        assert_eq!(e.key_path, "categories[5].recipe.chat");
        assert_eq!(e.suggestion.as_deref(), Some("chat_llm"));

        let mut s = resolved();
        s.categories[5].recipe.insert("vision".into(), 0);
        assert!(msg(&s).contains("categories[5].recipe.vision: must be >= 1, got 0"));

        let mut s = resolved();
        s.categories[0].recipe.insert("code_assist".into(), 1);
        s.categories[1].recipe.insert("chat_llm".into(), 1);
        assert!(msg(&s).ends_with("categories: recipe cycle chat_llm -> code_assist -> chat_llm"));

        let mut s = resolved();
        s.categories[2].recipe.insert("vision".into(), 1);
        assert!(msg(&s).ends_with("categories: recipe cycle vision -> vision"));

        // A diamond is not a cycle.
        let mut s = resolved();
        s.categories[1].recipe.insert("chat_llm".into(), 1);
        s.categories[5].recipe.insert("code_assist".into(), 1);
        assert_eq!(msg(&s), "ok");
    }
}
