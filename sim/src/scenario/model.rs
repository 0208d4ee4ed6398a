//! The scenario as typed data: every table and key of a scenario TOML file, with its default.
//!
//! This file only declares the shape and the defaults. Parsing with good errors lives in `load.rs`,
//! range checks in `validate.rs`, `--set` overrides in `overrides.rs`. Key names follow the reference
//! model (../shared/MODEL.md); docs/SCENARIOS.md documents every key and a tidy test checks that.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::policy::gtm::GtmPolicy;
use crate::policy::pricing::PricingRule;

/// A whole scenario file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Format version of the file; only 1 exists.
    pub schema_version: u32,
    /// Program version that resolved this scenario (written into `scenario.resolved.toml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_version: Option<String>,
    /// `[run]`: name, seed, steps.
    pub run: RunParams,
    /// `[engine]`: rationing, rounds, threads.
    pub engine: EngineParams,
    /// `[[categories]]`: the service categories (defaults of MODEL.md §5 when empty).
    pub categories: Vec<Category>,
    /// `[[segments]]`: customer segments (defaults of MODEL.md §5 when empty).
    pub segments: Vec<Segment>,
    /// `[adoption]`: awareness, onboarding, deboarding.
    pub adoption: AdoptionParams,
    /// `[network_effects]`.
    pub network_effects: NetworkParams,
    /// `[platform]`: fees, search, reputation, gas.
    pub platform: PlatformParams,
    /// `[incumbent]`: a single centralized incumbent (shorthand for one `[[incumbents]]` entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incumbent: Option<Incumbent>,
    /// `[[incumbents]]`: centralized incumbents (0–5).
    pub incumbents: Vec<Incumbent>,
    /// `[providers]`: provider economics and the initial platform offerings.
    pub providers: ProviderParams,
    /// `[b2b]`: composite agents' procurement.
    pub b2b: B2bParams,
    /// `[pricing]`: bounds shared by all pricing rules.
    pub pricing: PricingParams,
    /// `[developers]`: entry of new platform providers.
    pub developers: DeveloperParams,
    /// `[token]`: genesis supply and its allocation.
    pub token: TokenParams,
    /// `[exchange]`: the token/USD pool.
    pub exchange: ExchangeParams,
    /// `[speculators]`: noise and momentum traders.
    pub speculators: SpeculatorParams,
    /// `[gtm]`: go-to-market policies.
    pub gtm: GtmParams,
    /// `[output]`: what is recorded.
    pub output: OutputParams,
    /// `[sweep]` (alias `[experiment]`): an experiment over this scenario, typed and checked by
    /// `crate::sweep` (`mindmarket run` ignores it).
    #[serde(alias = "experiment", skip_serializing_if = "Option::is_none")]
    pub sweep: Option<toml::Table>,
    /// `[validation]`: the analytic case this scenario checks, typed and checked by
    /// `crate::validation` (`mindmarket run` ignores it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<toml::Table>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            schema_version: 1,
            program_version: None,
            run: RunParams::default(),
            engine: EngineParams::default(),
            categories: Vec::new(),
            segments: Vec::new(),
            adoption: AdoptionParams::default(),
            network_effects: NetworkParams::default(),
            platform: PlatformParams::default(),
            incumbent: None,
            incumbents: Vec::new(),
            providers: ProviderParams::default(),
            b2b: B2bParams::default(),
            pricing: PricingParams::default(),
            developers: DeveloperParams::default(),
            token: TokenParams::default(),
            exchange: ExchangeParams::default(),
            speculators: SpeculatorParams::default(),
            gtm: GtmParams::default(),
            output: OutputParams::default(),
            sweep: None,
            validation: None,
        }
    }
}

/// `[run]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RunParams {
    /// Scenario label, used for the default output folder.
    pub name: String,
    /// Master seed: all randomness derives from it.
    pub seed: u64,
    /// Run index (replication); part of every random key.
    pub run: u64,
    /// Number of steps.
    pub steps: u32,
    /// Calendar days per step; Δt = step_days/365 years.
    pub step_days: f64,
}

impl Default for RunParams {
    fn default() -> Self {
        RunParams {
            name: String::new(),
            seed: 42,
            run: 0,
            steps: 365,
            step_days: 1.0,
        }
    }
}

/// Capacity rationing rule of the matching phase.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rationing {
    /// Accept intents in lottery-key order until capacity is exhausted.
    Lottery,
    /// Each intent gets ⌊n·K/Σn⌋, remainders by largest remainder, ties by key.
    ProRata,
    /// Intents of the offering's subscribers first, then the others by lottery.
    Priority,
}

/// `[engine]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EngineParams {
    /// Capacity rationing rule.
    pub rationing: Rationing,
    /// Matching rounds (rejected demand re-chooses in later rounds).
    pub max_match_rounds: u32,
    /// Whether the marginal intent may be partially filled.
    pub allow_partial_fill: bool,
    /// Check conservation of tokens and fiat every step.
    pub check_invariants: bool,
    /// Worker threads; 0 = all cores. The CLI's `--threads` overrides it. Never changes results.
    pub threads: usize,
}

impl Default for EngineParams {
    fn default() -> Self {
        EngineParams {
            rationing: Rationing::Lottery,
            max_match_rounds: 2,
            allow_partial_fill: true,
            check_invariants: true,
            threads: 0,
        }
    }
}

/// `[[categories]]`: a service category.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Category {
    /// Unique name.
    pub name: String,
    /// Value of one request before quality (USD).
    pub base_value_usd: f64,
    /// LLM tokens per request (drives compute cost).
    pub tokens_per_request: f64,
    /// Sub-category → units per request; a category with a recipe is composite.
    pub recipe: BTreeMap<String, u32>,
    /// Quality ceiling.
    pub q_max: f64,
}

impl Default for Category {
    fn default() -> Self {
        Category {
            name: String::new(),
            base_value_usd: 0.02,
            tokens_per_request: 1500.0,
            recipe: BTreeMap::new(),
            q_max: 1.0,
        }
    }
}

/// Distribution of a per-customer multiplier.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Every customer gets `value`.
    Const {
        /// The value.
        value: f64,
    },
    /// Uniform on [min, max].
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Deterministic quantiles: customer i of N gets min + (max − min)(i + 0.5)/N.
    UniformQuantiles {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// exp(N(ln median, sigma)).
    Lognormal {
        /// Median.
        median: f64,
        /// Log-scale standard deviation.
        sigma: f64,
    },
}

impl Dist {
    /// The constant distribution.
    pub fn one() -> Dist {
        Dist::Const { value: 1.0 }
    }
}

/// Customer choice rule.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceModel {
    /// Multinomial logit (Gumbel taste shocks of scale `logit_scale_usd`).
    Logit,
    /// Deterministic utility maximization.
    MaxUtility,
}

/// `[[segments]]`: a customer segment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Segment {
    /// Unique name.
    pub name: String,
    /// Number of customers.
    pub size: u32,
    /// m_s: scales the category value.
    pub value_multiplier: f64,
    /// Heterogeneity of the value multiplier across customers (multiplies `value_multiplier`).
    pub value_dist: Dist,
    /// Category → weight of the job mix; empty = uniform over categories.
    pub needs: BTreeMap<String, f64>,
    /// Job arrival rate per step (Bernoulli if ≤ 1, Poisson above).
    pub jobs_per_step: f64,
    /// Median requests per job.
    pub requests_per_job_median: f64,
    /// Log-scale s.d. of requests per job.
    pub requests_per_job_sigma: f64,
    /// Spend cap per step (USD); absent = unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_usd_per_step: Option<f64>,
    /// w_q: value of +1 quality per request (USD).
    pub quality_weight_usd: f64,
    /// w_r: value of +1 reputation per request (USD).
    pub reputation_weight_usd: f64,
    /// Choice rule.
    pub choice_model: ChoiceModel,
    /// μ_s: scale of the taste shocks (USD).
    pub logit_scale_usd: f64,
    /// Bonus for the offering used last in the category (USD per request).
    pub switching_cost_usd: f64,
    /// κ_s: one-off cost of getting a wallet and learning the platform (USD).
    pub token_onboarding_cost_usd: f64,
    /// Pays in fiat through the gateway (holds no escrow, opens no channels).
    pub uses_gateway: bool,
    /// Onboarding cost of gateway users (replaces κ_s).
    pub gateway_onboarding_cost_usd: f64,
    /// Gateway fee on payments (replaces the exchange fee in the token friction).
    pub gateway_fee_rate: f64,
    /// H_b: escrow target in steps of expected spend.
    pub prefund_steps: f64,
    /// EWMA weight of `spend_ewma_usd`.
    pub spend_ewma_alpha: f64,
    /// EWMA weight of satisfaction.
    pub satisfaction_alpha: f64,
    /// Share of customers aware of the platform at t = 0.
    pub initial_aware_share: f64,
    /// Bass innovation coefficient (per year).
    pub bass_p: f64,
    /// Bass imitation coefficient (per year).
    pub bass_q: f64,
    /// θ_i: individual weight on the network terms.
    pub network_weight_dist: Dist,
    /// Whether the outside option (utility 0) is in the choice set.
    pub outside_option: bool,
    /// How much free calls (`gtm` `subsidy`) lower the price a customer sees in choice, in [0, 1].
    pub free_calls_sensitivity: f64,
}

impl Default for Segment {
    fn default() -> Self {
        Segment {
            name: String::new(),
            size: 1000,
            value_multiplier: 1.0,
            value_dist: Dist::one(),
            needs: BTreeMap::new(),
            jobs_per_step: 0.5,
            requests_per_job_median: 100.0,
            requests_per_job_sigma: 1.0,
            budget_usd_per_step: None,
            quality_weight_usd: 0.02,
            reputation_weight_usd: 0.005,
            choice_model: ChoiceModel::Logit,
            logit_scale_usd: 0.003,
            switching_cost_usd: 0.002,
            token_onboarding_cost_usd: 100.0,
            uses_gateway: false,
            gateway_onboarding_cost_usd: 20.0,
            gateway_fee_rate: 0.0,
            prefund_steps: 7.0,
            spend_ewma_alpha: 0.2,
            satisfaction_alpha: 0.1,
            initial_aware_share: 0.0,
            bass_p: 0.03,
            bass_q: 0.38,
            network_weight_dist: Dist::one(),
            outside_option: true,
            free_calls_sensitivity: 1.0,
        }
    }
}

/// How aware customers decide to onboard.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AdoptionRule {
    /// Onboard with probability Λ(ΔW/μ_adopt) (logsum gain net of onboarding cost).
    Logit,
    /// Aware ⇒ onboarded.
    Immediate,
}

/// Scope of the installed base in the Bass contagion term.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContagionScope {
    /// A_s/N_s within the segment.
    Segment,
    /// A/N over all customers.
    Global,
}

/// `[adoption]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdoptionParams {
    /// Onboarding decision rule.
    pub adoption_rule: AdoptionRule,
    /// H_adopt: horizon of the onboarding gain (steps).
    pub adoption_horizon_steps: f64,
    /// μ_adopt: scale of the onboarding logit (USD).
    pub adoption_logit_scale_usd: f64,
    /// Steps without platform use before deboarding (0 = off).
    pub deboard_after_steps: u32,
    /// Satisfaction below which a customer deboards (0 = off).
    pub deboard_satisfaction: f64,
    /// Scope of the Bass contagion term.
    pub bass_contagion_scope: ContagionScope,
    /// Share of customers whose last offering is the incumbent at t = 0.
    pub initial_incumbent_users: f64,
}

impl Default for AdoptionParams {
    fn default() -> Self {
        AdoptionParams {
            adoption_rule: AdoptionRule::Logit,
            adoption_horizon_steps: 180.0,
            adoption_logit_scale_usd: 10.0,
            deboard_after_steps: 60,
            deboard_satisfaction: 0.3,
            bass_contagion_scope: ContagionScope::Segment,
            initial_incumbent_users: 0.6,
        }
    }
}

/// Functional form g(x) of a network term.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NetForm {
    /// ln(1 + x/x_ref).
    Log1p,
    /// ln x (0 for x ≤ 0).
    Log,
    /// x/x_ref.
    Linear,
    /// (x/x_ref)^γ.
    Power,
}

/// What counts as an ecosystem's installed base.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NetworkBase {
    /// Customers with a request in the last `active_window_steps`.
    ActiveCustomers,
    /// Cumulative requests served.
    CumulativeRequests,
    /// Customers who ever onboarded (platform) or ever used the incumbent.
    CumulativeAdopters,
}

/// Where the same-side network term is counted.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NetworkScope {
    /// One installed base per ecosystem (the platform, each incumbent).
    Ecosystem,
    /// One installed base per offering (the Pólya-urn case, V10).
    Offering,
}

/// How customers form expectations of the network size.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Expectations {
    /// Last step's installed base (adaptive).
    Adaptive,
    /// The installed base is iterated to a fixed point within the step (validation V9).
    Fulfilled,
}

/// `[network_effects]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkParams {
    /// θ_same of the platform (USD per request).
    pub same_side_weight_usd: f64,
    /// θ_cross: weight on the number of platform offerings in the category (USD per request).
    pub cross_side_weight_usd: f64,
    /// g of the same-side term.
    pub same_side_form: NetForm,
    /// g of the cross-side term.
    pub cross_side_form: NetForm,
    /// x_ref of the same-side term (customers or requests).
    pub same_side_x_ref: f64,
    /// x_ref of the cross-side term (offerings).
    pub cross_side_x_ref: f64,
    /// γ of the power form.
    pub power_gamma: f64,
    /// What the installed base counts.
    pub network_base: NetworkBase,
    /// Per ecosystem or per offering.
    pub network_scope: NetworkScope,
    /// Adaptive or fulfilled expectations.
    pub expectations: Expectations,
    /// Added to every installed base.
    pub initial_network_base: f64,
    /// n₀: customers 0 … ⌊n₀N⌋ − 1 count as active platform users at t = 0.
    pub initial_active_share: f64,
    /// Window that defines an active customer (steps).
    pub active_window_steps: u32,
}

impl Default for NetworkParams {
    fn default() -> Self {
        NetworkParams {
            same_side_weight_usd: 0.001,
            cross_side_weight_usd: 0.002,
            same_side_form: NetForm::Log1p,
            cross_side_form: NetForm::Log1p,
            same_side_x_ref: 10_000.0,
            cross_side_x_ref: 1.0,
            power_gamma: 0.5,
            network_base: NetworkBase::ActiveCustomers,
            network_scope: NetworkScope::Ecosystem,
            expectations: Expectations::Adaptive,
            initial_network_base: 0.0,
            initial_active_share: 0.0,
            active_window_steps: 30,
        }
    }
}

/// `[platform]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformParams {
    /// f_b: fee on the buyer, share of the gross.
    pub buyer_fee_rate: f64,
    /// f_s: fee on the seller, share of the gross.
    pub seller_fee_rate: f64,
    /// Share of the step's fee credit that is burned.
    pub fee_burn_share: f64,
    /// Platform offerings shown per search (top by ranking score).
    pub search_results_k: u32,
    /// Extra offerings drawn uniformly from the rest of the category.
    pub explore_slots: u32,
    /// Reputation of a new offering.
    pub reputation_default: f64,
    /// c_r: weight of the old reputation.
    pub reputation_conservatism: f64,
    /// Amount scale of ratings (USD).
    pub reputation_amount_ref_usd: f64,
    /// Ranking exponent on reputation.
    pub rank_reputation_exponent: f64,
    /// Ranking exponent on quality.
    pub rank_quality_exponent: f64,
    /// Rating noise s.d.
    pub rating_noise: f64,
    /// Probability that a served job fails (rated 0).
    pub failure_rate: f64,
    /// Gas per payment-channel operation (USD), spread over the channel life in the token friction.
    pub gas_per_channel_op_usd: f64,
    /// Channel lifetime (steps); a deboarded customer's escrow stays locked this long, then is sold.
    pub channel_expiry_steps: u32,
    /// Steps between a provider's payment-channel claims (each costs one gas fee).
    pub claim_every_steps: u32,
    /// Normalization group of reputation: the whole category, or each ecosystem separately.
    pub reputation_scope: ReputationScope,
}

/// Normalization group of reputation scores (MODEL.md §7.8).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReputationScope {
    /// Max over all offerings of the category, incumbents included.
    Category,
    /// Max separately over the platform's offerings and over each incumbent's.
    Ecosystem,
}

impl Default for PlatformParams {
    fn default() -> Self {
        PlatformParams {
            buyer_fee_rate: 0.0,
            seller_fee_rate: 0.0,
            fee_burn_share: 0.0,
            search_results_k: 10,
            explore_slots: 2,
            reputation_default: 0.3,
            reputation_conservatism: 0.9,
            reputation_amount_ref_usd: 1.0,
            rank_reputation_exponent: 1.0,
            rank_quality_exponent: 1.0,
            rating_noise: 0.1,
            failure_rate: 0.01,
            gas_per_channel_op_usd: 2.0,
            channel_expiry_steps: 30,
            claim_every_steps: 7,
            reputation_scope: ReputationScope::Category,
        }
    }
}

/// `[incumbent]` / `[[incumbents]]`: a centralized provider with one offering per category.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Incumbent {
    /// Name.
    pub name: String,
    /// Intrinsic quality before data learning.
    pub q0: f64,
    /// Initial data stock (requests).
    pub initial_data: f64,
    /// List price per 1M LLM tokens (USD); per request × `tokens_per_request`/10⁶.
    pub price_usd_per_1m_tokens: f64,
    /// Serving throughput multiple of a platform provider (lowers compute cost).
    pub throughput_multiplier: f64,
    /// θ_same on the incumbent's own installed base (USD per request).
    pub same_side_weight_usd: f64,
    /// Integration lock-in added to the segment switching cost (USD per request).
    pub extra_switching_cost_usd: f64,
    /// ρ_I: share of its other categories' volume that each offering learns from.
    pub data_pooling_share: f64,
    /// b of the incumbent's scale learning (compute cost falls with its cumulative volume).
    pub scale_learning_exponent: f64,
    /// Pricing rule of its offerings.
    pub pricing: PricingRule,
    /// Marginal cost per request (USD); absent = computed from compute cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marginal_cost_usd: Option<f64>,
}

impl Default for Incumbent {
    fn default() -> Self {
        Incumbent {
            name: "incumbent".into(),
            q0: 0.5,
            initial_data: 1e9,
            price_usd_per_1m_tokens: 4.0,
            throughput_multiplier: 3.0,
            same_side_weight_usd: 0.002,
            extra_switching_cost_usd: 0.002,
            data_pooling_share: 1.0,
            scale_learning_exponent: 0.1,
            pricing: PricingRule::default(),
            marginal_cost_usd: None,
        }
    }
}

/// Whether capacity is reserved (paid every step) or on demand (unlimited, premium per request).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CapacityMode {
    /// Pay for K every step; K is planned from the demand forecast.
    Reserved,
    /// Unlimited; pay `on_demand_premium` on the compute cost per request served.
    OnDemand,
}

/// Currency a price is quoted in.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuoteCurrency {
    /// USD, converted at the step's token price.
    Usd,
    /// Tokens; the USD price moves with the token price.
    Token,
}

/// `[providers]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderParams {
    /// GPU cost per hour (USD).
    pub gpu_hour_cost_usd: f64,
    /// Serving throughput (LLM tokens per second).
    pub tokens_per_second: f64,
    /// Target utilization of reserved capacity.
    pub util_target: f64,
    /// Premium on the computed compute cost for on-demand capacity.
    pub on_demand_premium: f64,
    /// Yearly exogenous decline of computed compute cost.
    pub compute_cost_decline_per_year: f64,
    /// Fixed cost per firm per step (USD).
    pub fixed_cost_usd_per_step: f64,
    /// Share of received tokens sold.
    pub provider_sell_share: f64,
    /// H_s: tokens received at t are sold at t + H_s.
    pub provider_hold_steps: u32,
    /// EWMA weight of the demand forecast.
    pub demand_ewma_alpha: f64,
    /// EWMA weight of the profit average.
    pub profit_ewma_alpha: f64,
    /// η: learning exponent of quality in data.
    pub learning_exponent: f64,
    /// D_ref: data scale of learning (requests).
    pub data_ref_requests: f64,
    /// δ_D: data depreciation per step.
    pub data_depreciation_per_step: f64,
    /// ρ_D: share of the category's other platform volume each platform offering learns from.
    pub data_pooling_share: f64,
    /// Exogenous rise of every offering's intrinsic quality q0 per year (capped at q_max).
    pub quality_drift_per_year: f64,
    /// V_ref of scale learning (requests).
    pub scale_ref_requests: f64,
    /// b: compute cost ∝ (1 + cum_requests/V_ref)^(−b) for platform offerings.
    pub scale_learning_exponent: f64,
    /// A firm exits when its cash is below −max_debt_usd.
    pub max_debt_usd: f64,
    /// An independent firm exits when its profit EWMA stays below `[developers] outside_wage_usd`
    /// this many steps (0 = never).
    pub exit_patience_steps: u32,
    /// Initial platform offerings.
    pub initial: Vec<ProviderGroup>,
}

impl Default for ProviderParams {
    fn default() -> Self {
        ProviderParams {
            gpu_hour_cost_usd: 2.5,
            tokens_per_second: 1500.0,
            util_target: 0.7,
            on_demand_premium: 0.3,
            compute_cost_decline_per_year: 0.5,
            fixed_cost_usd_per_step: 20.0,
            provider_sell_share: 1.0,
            provider_hold_steps: 1,
            demand_ewma_alpha: 0.2,
            profit_ewma_alpha: 0.1,
            learning_exponent: 0.25,
            data_ref_requests: 1e6,
            data_depreciation_per_step: 0.002,
            data_pooling_share: 0.0,
            quality_drift_per_year: 0.0,
            scale_ref_requests: 1e9,
            scale_learning_exponent: 0.0,
            max_debt_usd: 10_000.0,
            exit_patience_steps: 90,
            initial: Vec::new(),
        }
    }
}

/// `[[providers.initial]]`: a group of identical-by-rule platform offerings present at t = 0.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderGroup {
    /// Number of offerings (one firm each).
    pub count: u32,
    /// Category name; composite if the category has a recipe.
    pub category: String,
    /// Intrinsic quality: each offering draws q0 uniformly in [min, max].
    pub q0_min: f64,
    /// Upper end of q0.
    pub q0_max: f64,
    /// Initial price per request, in `quote_currency`.
    pub price: f64,
    /// Currency of `price`.
    pub quote_currency: QuoteCurrency,
    /// Pricing rule.
    pub pricing: PricingRule,
    /// Capacity mode.
    pub capacity_mode: CapacityMode,
    /// Initial reserved capacity (requests per step).
    pub capacity: u64,
    /// Marginal cost per request (USD); absent = computed from compute cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marginal_cost_usd: Option<f64>,
    /// Initial fiat cash of each firm (USD, issued from the outside world).
    pub initial_cash_usd: f64,
}

impl Default for ProviderGroup {
    fn default() -> Self {
        ProviderGroup {
            count: 1,
            category: String::new(),
            q0_min: 0.4,
            q0_max: 0.7,
            price: 0.004,
            quote_currency: QuoteCurrency::Usd,
            pricing: PricingRule::default(),
            capacity_mode: CapacityMode::Reserved,
            capacity: 1000,
            marginal_cost_usd: None,
            initial_cash_usd: 5_000.0,
        }
    }
}

/// `[b2b]`: composite procurement.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct B2bParams {
    /// Forecast buffer on the composite's own demand.
    pub b2b_reserve_buffer: f64,
    /// Logit scale of supplier choice (USD).
    pub b2b_logit_scale_usd: f64,
    /// Quality weight of supplier choice (USD).
    pub b2b_quality_weight_usd: f64,
    /// Reputation weight of supplier choice (USD).
    pub b2b_reputation_weight_usd: f64,
    /// Bonus for last step's supplier (USD per unit).
    pub b2b_switching_cost_usd: f64,
    /// Share of the price paid on granted but unused units.
    pub reservation_fee_share: f64,
    /// α₀: weight of the composite's own quality in q = q_own^α₀ Π q_k^α_k (the rest split equally).
    pub own_quality_weight: f64,
}

impl Default for B2bParams {
    fn default() -> Self {
        B2bParams {
            b2b_reserve_buffer: 0.1,
            b2b_logit_scale_usd: 0.001,
            b2b_quality_weight_usd: 0.02,
            b2b_reputation_weight_usd: 0.005,
            b2b_switching_cost_usd: 0.0,
            reservation_fee_share: 0.0,
            own_quality_weight: 0.4,
        }
    }
}

/// `[pricing]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PricingParams {
    /// Lower bound of every rule's price (USD per request); absent = the offering's full marginal
    /// cost for every rule except `fixed` and `subscription` (no floor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_floor_usd: Option<f64>,
    /// Upper bound of every rule's price (USD per request); absent = none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_cap_usd: Option<f64>,
    /// Steps between re-pricing.
    pub reprice_every: u32,
    /// ε_margin: the utility edge `undercut_incumbent` in `utility_parity` mode leaves (USD).
    pub epsilon_margin_usd: f64,
    /// `"none"`, or a pricing-rule `kind` that every platform offering uses instead of its own (with
    /// the rule's default parameters): initial groups, entrants, in-house and seeded firms.
    pub platform_rule_override: String,
}

impl Default for PricingParams {
    fn default() -> Self {
        PricingParams {
            price_floor_usd: None,
            price_cap_usd: None,
            reprice_every: 1,
            epsilon_margin_usd: 1e-4,
            platform_rule_override: "none".into(),
        }
    }
}

/// `[developers]`: potential providers (MODEL.md §7.12). Developers become aware of the platform
/// by a Bass hazard, review entry every `entry_review_steps`, and enter a category as an
/// independent firm when the expected profit beats their outside wage.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeveloperParams {
    /// Number of potential developers.
    pub developer_pool: u32,
    /// Developers aware of the platform at t = 0.
    pub initial_aware_devs: u32,
    /// Bass innovation coefficient of developer awareness (per year).
    pub dev_bass_p: f64,
    /// Bass imitation coefficient, on active providers / pool (per year).
    pub dev_bass_q: f64,
    /// Steps between a developer's entry reviews.
    pub entry_review_steps: u32,
    /// w: a developer's outside wage per step (USD); firms earning less for `exit_patience_steps` exit.
    pub outside_wage_usd: f64,
    /// H_e: horizon of the entry decision (steps).
    pub entry_horizon_steps: f64,
    /// E_c: one-off cost of entering (USD).
    pub entry_cost_usd: f64,
    /// Scale of the entry logits (USD).
    pub entry_logit_scale_usd: f64,
    /// Share of entries that create composites (when every recipe category has a provider).
    pub composite_entry_share: f64,
    /// Q̂_c prior of an uncovered category, as a share of the onboarded customers' demand in it.
    pub entry_share_prior: f64,
    /// EWMA weight of the category demand forecast Q̂_c.
    pub category_demand_alpha: f64,
    /// Initial cash of an entrant's firm (USD, issued from the outside world).
    pub entrant_cash_usd: f64,
    /// Markup over marginal cost of an entrant's price in a category with no platform price.
    pub entrant_markup: f64,
    /// Pricing rule kind → share of entrants that use it (default parameters); empty = `fixed`.
    pub developer_pricing_mix: BTreeMap<String, f64>,
}

impl Default for DeveloperParams {
    fn default() -> Self {
        DeveloperParams {
            developer_pool: 20_000,
            initial_aware_devs: 200,
            dev_bass_p: 0.02,
            dev_bass_q: 0.3,
            entry_review_steps: 7,
            outside_wage_usd: 150.0,
            entry_horizon_steps: 180.0,
            entry_cost_usd: 5_000.0,
            entry_logit_scale_usd: 2_000.0,
            composite_entry_share: 0.1,
            entry_share_prior: 0.05,
            category_demand_alpha: 0.1,
            entrant_cash_usd: 1_000.0,
            entrant_markup: 0.3,
            developer_pricing_mix: BTreeMap::from([
                ("cost_plus".to_string(), 0.4),
                ("undercut_incumbent".to_string(), 0.3),
                ("surge".to_string(), 0.2),
                ("profit_hill_climb".to_string(), 0.1),
            ]),
        }
    }
}

/// `[token]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TokenParams {
    /// Genesis supply (whole tokens).
    pub genesis_supply_tokens: f64,
    /// Share of genesis to the treasury.
    pub treasury_share: f64,
    /// Share of genesis to the exchange pool.
    pub pool_share: f64,
    /// Initial treasury cash (USD, issued from the outside world).
    pub treasury_usd: f64,
    /// Most of its tokens the treasury sells per step to pay its queued USD obligations.
    pub treasury_max_sell_share_per_step: f64,
    /// Floor price (USD per token) at which grants fixed in USD are converted into tokens (0 = off).
    pub grant_price_floor_usd: f64,
    /// `[token.emission]`: new tokens minted on a schedule.
    pub emission: EmissionParams,
    /// `[token.staking]`: staking windows and rewards.
    pub staking: StakingParams,
}

impl Default for TokenParams {
    fn default() -> Self {
        TokenParams {
            genesis_supply_tokens: 1e9,
            treasury_share: 0.4,
            pool_share: 0.1,
            treasury_usd: 0.0,
            treasury_max_sell_share_per_step: 0.001,
            grant_price_floor_usd: 0.0,
            emission: EmissionParams::default(),
            staking: StakingParams::default(),
        }
    }
}

/// Emission schedule kind.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmissionSchedule {
    /// No emission.
    None,
    /// `tokens_per_period` every period.
    Constant,
    /// E₁(1 − d)^{m−1} in period m.
    Geometric,
    /// The listed tranches, one per period, then nothing.
    Table,
}

/// Shares of each tranche (integer split; the remainder goes to the treasury).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmissionAllocation {
    /// To the treasury.
    pub treasury: f64,
    /// To the treasury's grants pool.
    pub grants: f64,
    /// To the staking reward pool.
    pub staking_rewards: f64,
}

impl Default for EmissionAllocation {
    fn default() -> Self {
        EmissionAllocation {
            treasury: 0.7,
            grants: 0.3,
            staking_rewards: 0.0,
        }
    }
}

/// `[token.emission]` (MODEL.md §7.11).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmissionParams {
    /// Schedule kind.
    pub schedule: EmissionSchedule,
    /// Steps per period; a tranche is minted at the first step of each period (t = 0, P, 2P, …).
    pub period_steps: u32,
    /// E₁: first tranche of the geometric schedule (tokens).
    pub first_tranche_tokens: f64,
    /// d: decline per period of the geometric schedule.
    pub decay: f64,
    /// Tranche of the constant schedule (tokens).
    pub tokens_per_period: f64,
    /// Tranches of the table schedule (tokens).
    pub table: Vec<f64>,
    /// Split of each tranche.
    pub allocation: EmissionAllocation,
}

impl Default for EmissionParams {
    fn default() -> Self {
        EmissionParams {
            schedule: EmissionSchedule::None,
            period_steps: 30,
            first_tranche_tokens: 15e6,
            decay: 0.015,
            tokens_per_period: 0.0,
            table: Vec::new(),
            allocation: EmissionAllocation::default(),
        }
    }
}

/// `[token.staking]` (MODEL.md §7.11).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StakingParams {
    /// Whether staking windows run.
    pub enabled: bool,
    /// Window length (steps).
    pub window_steps: u32,
    /// s₀: share of idle tokens staked at zero excess APY.
    pub base_share: f64,
    /// e: response of the staked share to last window's APY over the hurdle.
    pub elasticity: f64,
    /// APY hurdle.
    pub hurdle_apy: f64,
    /// Reward paid by the treasury per window (tokens), capped at its balance.
    pub reward_tokens_per_window: f64,
    /// Share of stake plus reward that stays staked into the next window.
    pub auto_restake: f64,
}

impl Default for StakingParams {
    fn default() -> Self {
        StakingParams {
            enabled: false,
            window_steps: 30,
            base_share: 0.2,
            elasticity: 2.0,
            hurdle_apy: 0.05,
            reward_tokens_per_window: 0.0,
            auto_restake: 0.8,
        }
    }
}

/// `[speculators]` (MODEL.md §7.10).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SpeculatorParams {
    /// Whether the speculators trade.
    pub enabled: bool,
    /// s.d. of the noise flow per step (USD).
    pub noise_usd_sd: f64,
    /// Momentum coefficient.
    pub momentum: f64,
    /// Scale of the momentum flow (USD).
    pub momentum_scale_usd: f64,
    /// Share of genesis taken from the passive holders into the speculators' wallet.
    pub genesis_share: f64,
}

impl Default for SpeculatorParams {
    fn default() -> Self {
        SpeculatorParams {
            enabled: false,
            noise_usd_sd: 10_000.0,
            momentum: 0.0,
            momentum_scale_usd: 1e5,
            genesis_share: 0.0,
        }
    }
}

/// How the token price is formed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeModel {
    /// Constant-product pool, one uniform price per batch.
    Cpmm,
    /// ln p_t = ln p_{t−1} + λ(B − S·p_{t−1})/depth; the pool is the counterparty.
    LogImpact,
    /// Geometric Brownian motion (or constant) price; the pool is the counterparty.
    Exogenous,
}

/// `[exchange]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExchangeParams {
    /// Pool fee (rounded to whole basis points).
    pub fee_rate: f64,
    /// Initial pool USD (issued from the outside world).
    pub pool_usd: f64,
    /// Price formation model.
    pub model: ExchangeModel,
    /// Depth of the `log_impact` model (USD).
    pub depth_usd: f64,
    /// λ of the `log_impact` model.
    pub impact_lambda: f64,
    /// Drift of the `exogenous` price (per year).
    pub drift_per_year: f64,
    /// Volatility of the `exogenous` price (per year).
    pub vol_per_year: f64,
}

impl Default for ExchangeParams {
    fn default() -> Self {
        ExchangeParams {
            fee_rate: 0.003,
            pool_usd: 2e6,
            model: ExchangeModel::Cpmm,
            depth_usd: 1e6,
            impact_lambda: 1.0,
            drift_per_year: 0.0,
            vol_per_year: 0.8,
        }
    }
}

/// `[gtm]`: go-to-market strategies (MODEL.md §7.13), composed in order.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GtmParams {
    /// Strategies, in order (the order of their outlays and obligations).
    pub policies: Vec<GtmPolicy>,
    /// Cap on all strategies' treasury outlays per step (USD); absent = none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtm_budget_usd_per_step: Option<f64>,
    /// The arm to run: strategies whose `arms` list is not empty run only when it holds this name.
    pub arm: String,
    /// A strategy whose oldest unpaid USD obligation is this many steps old stops (the treasury
    /// cannot pay it).
    pub unpaid_stop_steps: u32,
}

impl Default for GtmParams {
    fn default() -> Self {
        GtmParams {
            policies: Vec::new(),
            gtm_budget_usd_per_step: None,
            arm: String::new(),
            unpaid_stop_steps: 60,
        }
    }
}

/// `[output]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutputParams {
    /// Write one `steps.csv` row every this many steps (the last step is always written).
    pub record_every: u32,
}

impl Default for OutputParams {
    fn default() -> Self {
        OutputParams { record_every: 1 }
    }
}
