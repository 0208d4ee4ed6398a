//! Pricing rules (MODEL.md §7.6): the registration point, the read-only views the rules read, the
//! per-offering policy state, and the global bounds.
//!
//! To add a rule: create `my_rule.rs` with `Params` (MODEL.md's defaults,
//! `#[serde(default, deny_unknown_fields)]`) and a pure `next_price`, add one variant to
//! [`PricingRule`] and one arm to each `match` below, and one entry to [`PricingRule::examples`].
//! The registry-wide tests then check that it round-trips through TOML and keeps prices finite,
//! non-negative and within the floor and the cap.
//!
//! Every rule works in USD per request: it reads the snapshot (other offerings' prices fixed at their
//! last posted value, so the parallel P3 is order-independent) and returns the next posted price in
//! USD, before the global bounds. P3 ([`crate::phases::pricing`]) applies [`PricingRule::price_usd`]
//! (rule + floor + cap) and converts the result to the offering's quote currency at the snapshot mid
//! price; an unchanged USD price keeps the quoted price bit for bit.

use serde::{Deserialize, Serialize};

use crate::state::Ecosystem;

pub mod call_auction;
pub mod cost_plus;
pub mod fixed;
pub mod limit_pricing;
pub mod logit_best_response;
pub mod monopoly_oracle;
pub mod profit_hill_climb;
pub mod subscription;
pub mod surge;
pub mod undercut_incumbent;
pub mod undercut_lowest;

/// What a pricing rule may read about its own offering (built by P3 from the snapshot and the
/// offering's columns).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OfferingView {
    /// Offering id.
    pub id: u32,
    /// Ecosystem (platform or incumbent k).
    pub ecosystem: Ecosystem,
    /// Current posted price, in the offering's quote currency.
    pub price: f64,
    /// Current posted price in USD per request (token quotes at the snapshot mid price).
    pub price_usd: f64,
    /// c: full marginal cost per request (USD): own cost, plus for composites the inputs at the
    /// prices of the suppliers P4 would pick without taste shocks (last step's prices), grossed up
    /// by the seller fee, c/(1 − f_s), for platform offerings.
    pub marginal_cost_usd: f64,
    /// F_j: fixed cost per step (USD); 0 for incumbents.
    pub fixed_cost_usd: f64,
    /// Token mid price (USD per token) of the snapshot.
    pub token_price_usd: f64,
    /// D̂_j: demand forecast (requests per step, served + unserved + B2B granted); `None` before the
    /// first observation.
    pub demand_ewma: Option<f64>,
    /// Reserved capacity planned for this step (requests), `None` if unlimited.
    pub capacity: Option<u64>,
    /// Current quality.
    pub quality: f64,
    /// Current reputation.
    pub reputation: f64,
    /// Network term of the offering's ecosystem before θ_i (USD per request).
    pub net_usd: f64,
    /// List price p_list (USD per request): incumbents' `price_usd_per_1m_tokens` ×
    /// `tokens_per_request`/10⁶; `None` for platform offerings.
    pub list_price_usd: Option<f64>,
    /// The engine's profit EWMA (USD per step, weight `profit_ewma_alpha`).
    pub profit_ewma_usd: f64,
    /// Cumulative realized profit (USD); differences between reprices give the realized profit.
    pub cum_profit_usd: f64,
    /// Step being priced.
    pub step: u32,
}

/// One offering of the category as rules see a rival (and themselves) on the snapshot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RivalView {
    /// Offering id.
    pub id: u32,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Last posted price in USD per request.
    pub price_usd: f64,
    /// Price the customer pays per request before exchange friction and gas: posted × (1 + f_b)
    /// on the platform, posted for incumbents (the price `undercut_lowest` compares).
    pub paid_usd: f64,
    /// Quality.
    pub quality: f64,
    /// Reputation.
    pub reputation: f64,
    /// Network term before θ_i (USD per request).
    pub net_usd: f64,
    /// In the representative customer's choice set: an incumbent, or in the category's search top k.
    pub visible: bool,
}

impl OfferingView {
    /// The offering as a rival sees it (visible), with the market's posted-to-paid factor.
    pub fn as_rival(&self, market: &MarketView) -> RivalView {
        RivalView {
            id: self.id,
            ecosystem: self.ecosystem,
            price_usd: self.price_usd,
            paid_usd: self.price_usd * market.paid_factor(self.ecosystem),
            quality: self.quality,
            reputation: self.reputation,
            net_usd: self.net_usd,
            visible: true,
        }
    }
}

impl RivalView {
    /// Whether this is a platform offering.
    pub fn is_platform(&self) -> bool {
        self.ecosystem == Ecosystem::Platform
    }
}

/// The representative customer of one segment in one category (MODEL.md §7.6,
/// `logit_best_response`): mean value, weights, logit scale, mean θ, frictions, and the segment's
/// weight in the category's requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentView {
    /// m_s · E[value_dist] · v_c (USD per request).
    pub value_usd: f64,
    /// m_s · v_c (USD per request): the value of a multiplier draw of 1 (for `monopoly_oracle`).
    pub value_base_usd: f64,
    /// `(min, max)` of the segment's `value_dist` when it is `uniform_quantiles`.
    pub value_quantiles: Option<(f64, f64)>,
    /// w_q,s (USD per unit of quality).
    pub quality_weight_usd: f64,
    /// w_r,s (USD per unit of reputation).
    pub reputation_weight_usd: f64,
    /// μ_s (USD); 0 under `max_utility`.
    pub mu_usd: f64,
    /// Mean θ_i of the segment (mean of `network_weight_dist`).
    pub theta_mean: f64,
    /// Whether the outside option (utility 0) is in the choice set.
    pub outside_option: bool,
    /// Posted-to-paid factor of platform prices: (1 + f_b)(1 + f_x), f_x the exchange fee (the
    /// gateway fee for gateway users).
    pub platform_factor: f64,
    /// Channel-open gas per request of a platform offering the customer has no channel with:
    /// `gas_per_channel_op_usd` / max(1, E[n]·`channel_expiry_steps`); 0 for gateway users.
    pub platform_gas_usd: f64,
    /// Weight for platform offerings: onboarded customers × needs_s,c × E[n_s] (requests per step
    /// that can reach a platform offering).
    pub weight_platform: f64,
    /// Weight for incumbents: size × needs_s,c × E[n_s].
    pub weight_all: f64,
    /// Segment size (customers).
    pub size: u32,
}

impl SegmentView {
    /// Deterministic utility of offering `r` at posted USD price `p` for this representative
    /// customer (no switching bonus).
    pub fn utility(&self, r: &RivalView, p: f64) -> f64 {
        self.non_price_utility(r) - self.price_slope(r.ecosystem) * p
    }

    /// Utility of `r` without the price term: value + w_q q + w_r r + θ̄ N − gas (platform).
    pub fn non_price_utility(&self, r: &RivalView) -> f64 {
        let gas = if r.is_platform() {
            self.platform_gas_usd
        } else {
            0.0
        };
        self.value_usd
            + self.quality_weight_usd * r.quality
            + self.reputation_weight_usd * r.reputation
            + self.theta_mean * r.net_usd
            - gas
    }

    /// dV/dp: how much one USD of posted price costs the customer.
    pub fn price_slope(&self, eco: Ecosystem) -> f64 {
        match eco {
            Ecosystem::Platform => self.platform_factor,
            Ecosystem::Incumbent(_) => 1.0,
        }
    }
}

/// What a pricing rule may read about its category (built once per category by P3).
#[derive(Clone, Debug, PartialEq)]
pub struct MarketView {
    /// Category index.
    pub category: u16,
    /// Every active offering of the category (the pricing offering included), by id.
    pub offerings: Vec<RivalView>,
    /// Representative customer per segment, by segment index.
    pub segments: Vec<SegmentView>,
    /// Platform share of the category's requests: Σ platform D̂ / Σ D̂ over the category's active
    /// offerings (`demand_ewma`); 0 before any demand.
    pub platform_share: f64,
    /// `[pricing] price_cap_usd`.
    pub price_cap_usd: Option<f64>,
    /// `[pricing] epsilon_margin_usd`.
    pub epsilon_margin_usd: f64,
    /// 1 + f_b: posted-to-paid factor of platform prices before exchange friction.
    pub buyer_fee_factor: f64,
}

impl MarketView {
    /// The rivals of offering `id`: every other active offering of the category.
    pub fn rivals(&self, id: u32) -> impl Iterator<Item = &RivalView> {
        self.offerings.iter().filter(move |r| r.id != id)
    }

    /// The view of offering `id` itself as a rival sees it, if listed.
    pub fn own(&self, id: u32) -> Option<&RivalView> {
        self.offerings.iter().find(|r| r.id == id)
    }

    /// Posted-to-paid factor (before exchange friction) of an offering of ecosystem `eco`.
    pub fn paid_factor(&self, eco: Ecosystem) -> f64 {
        match eco {
            Ecosystem::Platform => self.buyer_fee_factor,
            Ecosystem::Incumbent(_) => 1.0,
        }
    }

    /// Segment weights for an offering of ecosystem `eco`: onboarded-based for platform offerings,
    /// size-based for incumbents; size-based if the former are all 0; equal if all are 0.
    pub fn weights(&self, eco: Ecosystem) -> Vec<f64> {
        let platform: Vec<f64> = self
            .segments
            .iter()
            .map(|s| s.weight_platform.max(0.0))
            .collect();
        let all: Vec<f64> = self
            .segments
            .iter()
            .map(|s| s.weight_all.max(0.0))
            .collect();
        let positive = |v: &[f64]| v.iter().any(|&x| x > 0.0 && x.is_finite());
        if eco == Ecosystem::Platform && positive(&platform) {
            platform
        } else if positive(&all) {
            all
        } else {
            vec![1.0; self.segments.len()]
        }
    }
}

/// Per-offering memory of the adaptive rules (profit hill-climb, learned auction markup, anchor
/// price). One slot per offering in `Offerings::policy_state`, written only by its offering in P3.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyState {
    /// Whether the rule has run once (and initialized the fields below).
    pub started: bool,
    /// Step of the last reprice.
    pub last_step: u32,
    /// `cum_profit_usd` at the last reprice.
    pub last_cum_profit_usd: f64,
    /// The rule's own EWMA of realized profit per step (weight `profit_alpha`).
    pub profit_ewma_usd: f64,
    /// Realized-profit observations folded into `profit_ewma_usd`.
    pub observations: u32,
    /// Hill-climb direction: +1 (raise) or −1 (cut).
    pub direction: f64,
    /// Current hill-climb step η_p.
    pub step_size: f64,
    /// Learned markup m_j (`call_auction`).
    pub markup: f64,
    /// USD price at the first reprice (`limit_pricing`'s list price for platform offerings).
    pub anchor_usd: f64,
}

impl Default for PolicyState {
    fn default() -> Self {
        PolicyState {
            started: false,
            last_step: 0,
            last_cum_profit_usd: 0.0,
            profit_ewma_usd: 0.0,
            observations: 0,
            direction: 1.0,
            step_size: 0.0,
            markup: 0.0,
            anchor_usd: 0.0,
        }
    }
}

/// A pricing rule, tagged by `kind` in TOML: `pricing = { kind = "cost_plus", markup = 0.5 }`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PricingRule {
    /// The price never changes.
    Fixed(fixed::Params),
    /// Markup over full cost.
    CostPlus(cost_plus::Params),
    /// Demand-responsive price (reserved capacity only).
    Surge(surge::Params),
    /// Asks in a category-level call auction (cleared by the engine).
    CallAuction(call_auction::Params),
    /// Fee per step, marginal price 0.
    Subscription(subscription::Params),
    /// Undercut the incumbent by a discount or to utility parity.
    UndercutIncumbent(undercut_incumbent::Params),
    /// Bertrand: undercut the lowest rival by a tick.
    UndercutLowest(undercut_lowest::Params),
    /// Hill-climb on realized profit.
    ProfitHillClimb(profit_hill_climb::Params),
    /// Best response to the snapshot under logit demand.
    LogitBestResponse(logit_best_response::Params),
    /// Incumbent: list price until the platform's share reaches a trigger, then a cut.
    LimitPricing(limit_pricing::Params),
    /// Test-only: the discrete monopoly optimum of a `uniform_quantiles` value distribution (V4).
    MonopolyOracle(monopoly_oracle::Params),
}

impl Default for PricingRule {
    fn default() -> Self {
        PricingRule::Fixed(fixed::Params::default())
    }
}

impl PricingRule {
    /// The rule's `kind` as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            PricingRule::Fixed(_) => "fixed",
            PricingRule::CostPlus(_) => "cost_plus",
            PricingRule::Surge(_) => "surge",
            PricingRule::CallAuction(_) => "call_auction",
            PricingRule::Subscription(_) => "subscription",
            PricingRule::UndercutIncumbent(_) => "undercut_incumbent",
            PricingRule::UndercutLowest(_) => "undercut_lowest",
            PricingRule::ProfitHillClimb(_) => "profit_hill_climb",
            PricingRule::LogitBestResponse(_) => "logit_best_response",
            PricingRule::LimitPricing(_) => "limit_pricing",
            PricingRule::MonopolyOracle(_) => "monopoly_oracle",
        }
    }

    /// Next posted price in USD per request, before the global floor and cap. Adaptive rules update
    /// `state` (their own offering's slot).
    pub fn next_price(
        &self,
        view: &OfferingView,
        market: &MarketView,
        state: &mut PolicyState,
    ) -> f64 {
        match self {
            PricingRule::Fixed(p) => fixed::next_price(p, view),
            PricingRule::CostPlus(p) => cost_plus::next_price(p, view),
            PricingRule::Surge(p) => surge::next_price(p, view, market),
            PricingRule::CallAuction(p) => call_auction::next_price(p, view, state),
            PricingRule::Subscription(p) => subscription::next_price(p, view),
            PricingRule::UndercutIncumbent(p) => undercut_incumbent::next_price(p, view, market),
            PricingRule::UndercutLowest(p) => undercut_lowest::next_price(p, view, market),
            PricingRule::ProfitHillClimb(p) => profit_hill_climb::next_price(p, view, state),
            PricingRule::LogitBestResponse(p) => logit_best_response::next_price(p, view, market),
            PricingRule::LimitPricing(p) => limit_pricing::next_price(p, view, market, state),
            PricingRule::MonopolyOracle(p) => monopoly_oracle::next_price(p, view, market),
        }
    }

    /// The price floor (USD) of this rule for an offering of full marginal cost `cost_usd`:
    /// `[pricing] price_floor_usd` when configured, else the marginal cost, except `fixed` (no
    /// floor unless configured) and `subscription` (never: its posted price is the marginal price 0).
    pub fn floor_usd(&self, configured: Option<f64>, cost_usd: f64) -> f64 {
        match self {
            PricingRule::Subscription(_) => 0.0,
            PricingRule::Fixed(_) => configured.unwrap_or(0.0),
            _ => configured.unwrap_or(cost_usd),
        }
        .max(0.0)
    }

    /// The bounded next price in USD: the rule's price (the current one if it is not finite),
    /// raised to the floor, then lowered to the cap (the cap wins when floor > cap), never below 0.
    pub fn price_usd(
        &self,
        view: &OfferingView,
        market: &MarketView,
        state: &mut PolicyState,
        floor_configured: Option<f64>,
    ) -> f64 {
        let raw = self.next_price(view, market, state);
        let raw = if raw.is_finite() { raw } else { view.price_usd };
        let cost = if view.marginal_cost_usd.is_finite() {
            view.marginal_cost_usd
        } else {
            0.0
        };
        let mut p = raw.max(self.floor_usd(floor_configured, cost));
        if let Some(cap) = market.price_cap_usd {
            p = p.min(cap);
        }
        if p.is_finite() { p.max(0.0) } else { 0.0 }
    }

    /// Checks the rule's parameters; on failure returns the parameter's key and the message.
    /// `on_demand` says whether the offering has unlimited (`on_demand`) capacity.
    pub fn check(&self, on_demand: bool) -> Result<(), (&'static str, String)> {
        match self {
            PricingRule::Fixed(_) | PricingRule::MonopolyOracle(_) => Ok(()),
            PricingRule::CostPlus(p) => p.check(),
            PricingRule::Surge(p) => {
                if on_demand {
                    return Err((
                        "kind",
                        "`surge` needs reserved capacity (utilization is 0 on `on_demand` offerings); \
                         use capacity_mode = \"reserved\" or another rule"
                            .into(),
                    ));
                }
                p.check()
            }
            PricingRule::CallAuction(p) => p.check(),
            PricingRule::Subscription(p) => p.check(),
            PricingRule::UndercutIncumbent(p) => p.check(),
            PricingRule::UndercutLowest(p) => p.check(),
            PricingRule::ProfitHillClimb(p) => p.check(),
            PricingRule::LogitBestResponse(p) => p.check(),
            PricingRule::LimitPricing(p) => p.check(),
        }
    }

    /// One default instance of every registered rule (registry-wide tests loop over these).
    pub fn examples() -> Vec<PricingRule> {
        vec![
            PricingRule::Fixed(fixed::Params::default()),
            PricingRule::CostPlus(cost_plus::Params::default()),
            PricingRule::Surge(surge::Params::default()),
            PricingRule::CallAuction(call_auction::Params::default()),
            PricingRule::Subscription(subscription::Params::default()),
            PricingRule::UndercutIncumbent(undercut_incumbent::Params::default()),
            PricingRule::UndercutLowest(undercut_lowest::Params::default()),
            PricingRule::ProfitHillClimb(profit_hill_climb::Params::default()),
            PricingRule::LogitBestResponse(logit_best_response::Params::default()),
            PricingRule::LimitPricing(limit_pricing::Params::default()),
            PricingRule::MonopolyOracle(monopoly_oracle::Params::default()),
        ]
    }
}

/// A range check of one rule parameter: `Err((key, message))` when `v` is not finite or outside
/// `[lo, hi]` (`lo_open`: `(lo, hi]`).
pub(crate) fn in_range(
    key: &'static str,
    v: f64,
    lo: f64,
    hi: f64,
    lo_open: bool,
) -> Result<(), (&'static str, String)> {
    let ok = v.is_finite() && (if lo_open { v > lo } else { v >= lo }) && v <= hi;
    if ok {
        Ok(())
    } else {
        let range = if lo_open {
            format!("in ({lo}, {hi}]")
        } else {
            format!("in [{lo}, {hi}]")
        };
        Err((key, format!("must be {range}, got {v}")))
    }
}

/// The profit hill-climb shared by `profit_hill_climb` and `call_auction`: observes the realized
/// profit per step since the last reprice, folds it into the rule's EWMA, keeps the direction while
/// the EWMA rises and reverses it otherwise, and returns the multiplicative move 1 ± η_p (1 on the
/// first call, which only records the baseline). η_p then decays by `decay` down to `step_min`.
pub(crate) fn hill_climb(
    state: &mut PolicyState,
    view: &OfferingView,
    step: f64,
    step_min: f64,
    decay: f64,
    alpha: f64,
) -> f64 {
    if !state.started {
        // The baseline; callers initialize their own fields (they test `started` before the call).
        state.started = true;
        state.step_size = step;
        state.direction = 1.0;
        state.last_step = view.step;
        state.last_cum_profit_usd = view.cum_profit_usd;
        state.observations = 0;
        return 1.0;
    }
    let dt = view.step.saturating_sub(state.last_step).max(1) as f64;
    let realized = (view.cum_profit_usd - state.last_cum_profit_usd) / dt;
    state.last_step = view.step;
    state.last_cum_profit_usd = view.cum_profit_usd;
    if !realized.is_finite() {
        return 1.0;
    }
    let ewma = if state.observations == 0 {
        realized
    } else {
        (1.0 - alpha) * state.profit_ewma_usd + alpha * realized
    };
    if state.observations > 0 && ewma <= state.profit_ewma_usd {
        state.direction = -state.direction;
    }
    state.profit_ewma_usd = ewma;
    state.observations = state.observations.saturating_add(1);
    let factor = 1.0 + state.direction * state.step_size;
    state.step_size = (state.step_size * decay).max(step_min);
    factor
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Hand-built views for the rules' unit tests.
    use super::*;

    /// A platform offering with the given price and cost, everything else neutral.
    pub fn view(price_usd: f64, cost: f64) -> OfferingView {
        OfferingView {
            id: 0,
            ecosystem: Ecosystem::Platform,
            price: price_usd,
            price_usd,
            marginal_cost_usd: cost,
            fixed_cost_usd: 0.0,
            token_price_usd: 1.0,
            demand_ewma: None,
            capacity: None,
            quality: 0.5,
            reputation: 0.5,
            net_usd: 0.0,
            list_price_usd: None,
            profit_ewma_usd: 0.0,
            cum_profit_usd: 0.0,
            step: 0,
        }
    }

    /// A rival with neutral attributes, visible.
    pub fn rival(id: u32, eco: Ecosystem, price_usd: f64) -> RivalView {
        RivalView {
            id,
            ecosystem: eco,
            price_usd,
            paid_usd: price_usd,
            quality: 0.5,
            reputation: 0.5,
            net_usd: 0.0,
            visible: true,
        }
    }

    /// A neutral segment: value `v`, logit scale `mu`, no weights on quality, reputation, network.
    pub fn segment(v: f64, mu: f64, outside: bool) -> SegmentView {
        SegmentView {
            value_usd: v,
            value_base_usd: v,
            value_quantiles: None,
            quality_weight_usd: 0.0,
            reputation_weight_usd: 0.0,
            mu_usd: mu,
            theta_mean: 1.0,
            outside_option: outside,
            platform_factor: 1.0,
            platform_gas_usd: 0.0,
            weight_platform: 1.0,
            weight_all: 1.0,
            size: 1000,
        }
    }

    /// A market with the given offerings and segments, no cap.
    pub fn market(offerings: Vec<RivalView>, segments: Vec<SegmentView>) -> MarketView {
        MarketView {
            category: 0,
            offerings,
            segments,
            platform_share: 0.0,
            price_cap_usd: None,
            epsilon_margin_usd: 1e-4,
            buyer_fee_factor: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use proptest::prelude::*;

    #[derive(Serialize, Deserialize)]
    struct Wrap {
        pricing: PricingRule,
    }

    #[test]
    fn every_rule_round_trips_through_toml() {
        let kinds: Vec<&str> = PricingRule::examples().iter().map(|r| r.kind()).collect();
        let mut unique = kinds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), kinds.len(), "duplicate kinds: {kinds:?}");
        for rule in PricingRule::examples() {
            let text = toml::to_string(&Wrap {
                pricing: rule.clone(),
            })
            .unwrap();
            assert!(
                text.contains(&format!("kind = \"{}\"", rule.kind())),
                "{text}"
            );
            let back: Wrap = toml::from_str(&text).unwrap();
            assert_eq!(back.pricing, rule);
            // The defaults are what an inline table with only `kind` gives.
            let bare: Wrap =
                toml::from_str(&format!("pricing = {{ kind = \"{}\" }}", rule.kind())).unwrap();
            assert_eq!(bare.pricing, rule);
            assert!(
                rule.check(false).is_ok(),
                "{} defaults fail their own check",
                rule.kind()
            );
        }
    }

    #[test]
    fn unknown_parameters_are_rejected() {
        let e = toml::from_str::<Wrap>("pricing = { kind = \"cost_plus\", markupp = 0.2 }");
        assert!(e.is_err());
    }

    #[test]
    fn surge_is_rejected_on_demand_only() {
        let s = PricingRule::Surge(surge::Params::default());
        assert!(s.check(false).is_ok());
        assert_eq!(s.check(true).unwrap_err().0, "kind");
    }

    #[test]
    fn floor_defaults_to_cost_except_fixed_and_subscription() {
        for rule in PricingRule::examples() {
            let f = rule.floor_usd(None, 0.003);
            match rule.kind() {
                "fixed" | "subscription" => assert_eq!(f, 0.0),
                _ => assert_eq!(f, 0.003, "{}", rule.kind()),
            }
            let g = rule.floor_usd(Some(0.001), 0.003);
            assert_eq!(
                g,
                if rule.kind() == "subscription" {
                    0.0
                } else {
                    0.001
                }
            );
        }
    }

    #[test]
    fn hill_climb_keeps_direction_while_profit_rises_and_reverses_otherwise() {
        let mut st = PolicyState::default();
        let mut v = view(0.01, 0.002);
        // First call: baseline only.
        assert_eq!(hill_climb(&mut st, &v, 0.1, 0.01, 0.5, 1.0), 1.0);
        // Profit 10 then 20: first observation moves up by 0.1 (η then halves to 0.05).
        v.step = 1;
        v.cum_profit_usd = 10.0;
        assert!((hill_climb(&mut st, &v, 0.1, 0.01, 0.5, 1.0) - 1.1).abs() < 1e-15);
        v.step = 2;
        v.cum_profit_usd = 30.0;
        assert!((hill_climb(&mut st, &v, 0.1, 0.01, 0.5, 1.0) - 1.05).abs() < 1e-15);
        // Profit falls to 5: reverse, η = 0.025.
        v.step = 3;
        v.cum_profit_usd = 35.0;
        assert!((hill_climb(&mut st, &v, 0.1, 0.01, 0.5, 1.0) - 0.975).abs() < 1e-15);
        // Profit flat (5): reverse again; η floors at step_min 0.0125 → 0.01 later.
        v.step = 5; // two steps since the last reprice: 10 over 2 steps = 5 per step
        v.cum_profit_usd = 45.0;
        assert!((hill_climb(&mut st, &v, 0.1, 0.01, 0.5, 1.0) - 1.0125).abs() < 1e-15);
        assert_eq!(st.step_size, 0.01);
    }

    fn arb_eco() -> impl Strategy<Value = Ecosystem> {
        prop_oneof![
            Just(Ecosystem::Platform),
            Just(Ecosystem::Incumbent(0)),
            Just(Ecosystem::Incumbent(1))
        ]
    }

    prop_compose! {
        fn arb_rival(id: u32)(eco in arb_eco(), p in 0.0..0.1f64, q in 0.0..1.0f64, r in 0.0..1.0f64,
                              net in 0.0..0.01f64, visible in any::<bool>()) -> RivalView {
            RivalView { id, ecosystem: eco, price_usd: p, paid_usd: p * 1.01, quality: q, reputation: r,
                        net_usd: net, visible }
        }
    }

    prop_compose! {
        fn arb_segment()(v in 0.0..0.1f64, mu in prop_oneof![Just(0.0), 1e-5..0.05f64], wq in 0.0..0.2f64,
                         wr in 0.0..0.05f64, theta in 0.0..2.0f64, out in any::<bool>(),
                         fx in 1.0..1.2f64, gas in 0.0..0.01f64, wp in 0.0..1e6f64, wa in 0.0..1e6f64,
                         q in prop::option::of((0.0..1.0f64, 1.0..2.0f64)), size in 1u32..3000)
                         -> SegmentView {
            SegmentView { value_usd: v, value_base_usd: v, value_quantiles: q, quality_weight_usd: wq,
                          reputation_weight_usd: wr, mu_usd: mu, theta_mean: theta, outside_option: out,
                          platform_factor: fx, platform_gas_usd: gas, weight_platform: wp,
                          weight_all: wa, size }
        }
    }

    prop_compose! {
        fn arb_case()(price in 0.0..0.2f64, cost in 0.0..0.05f64, fixed in 0.0..50.0f64,
                      demand in prop::option::of(0.0..1e5f64), cap in prop::option::of(0u64..100_000),
                      inc in any::<bool>(), q in 0.0..1.0f64, list in 0.0..0.05f64,
                      cum in -1e4..1e4f64, step in 0u32..1000, share in 0.0..1.0f64,
                      rivals in prop::collection::vec(arb_rival(0), 0..6),
                      segments in prop::collection::vec(arb_segment(), 0..4),
                      price_cap in prop::option::of(1e-4..0.1f64),
                      floor in prop::option::of(0.0..0.02f64))
                      -> (OfferingView, MarketView, Option<f64>) {
            let eco = if inc { Ecosystem::Incumbent(0) } else { Ecosystem::Platform };
            let view = OfferingView {
                id: 100, ecosystem: eco, price, price_usd: price, marginal_cost_usd: cost,
                fixed_cost_usd: fixed, token_price_usd: 0.02, demand_ewma: demand, capacity: cap,
                quality: q, reputation: q, net_usd: 0.001, list_price_usd: inc.then_some(list),
                profit_ewma_usd: cum / 100.0, cum_profit_usd: cum, step,
            };
            let mut offerings: Vec<RivalView> = rivals.into_iter().enumerate()
                .map(|(k, r)| RivalView { id: k as u32, ..r }).collect();
            offerings.push(RivalView { id: 100, ecosystem: eco, price_usd: price, paid_usd: price,
                                       quality: q, reputation: q, net_usd: 0.001, visible: true });
            let market = MarketView { category: 0, offerings, segments, platform_share: share,
                                      price_cap_usd: price_cap, epsilon_margin_usd: 1e-4,
                                      buyer_fee_factor: 1.01 };
            (view, market, floor)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Every rule gives finite, non-negative prices within the floor and the cap, over several
        /// consecutive reprices (so that the adaptive rules' state is exercised too).
        #[test]
        fn every_rule_gives_bounded_finite_prices((view, market, floor) in arb_case(),
                                                  profits in prop::collection::vec(-100.0..100.0f64, 4)) {
            for rule in PricingRule::examples() {
                let mut st = PolicyState::default();
                let mut v = view;
                for (k, dp) in profits.iter().enumerate() {
                    let p = rule.price_usd(&v, &market, &mut st, floor);
                    prop_assert!(p.is_finite() && p >= 0.0, "{} gave {}", rule.kind(), p);
                    let lo = rule.floor_usd(floor, v.marginal_cost_usd);
                    let cap = market.price_cap_usd.unwrap_or(f64::INFINITY);
                    prop_assert!(p <= cap, "{} gave {} above the cap {}", rule.kind(), p, cap);
                    prop_assert!(p >= lo.min(cap), "{} gave {} below the floor {}", rule.kind(), p, lo);
                    v.price_usd = p;
                    v.price = p;
                    v.step += 1 + k as u32;
                    v.cum_profit_usd += dp;
                }
            }
        }
    }
}
