//! The step schedule, one file per phase, run in order by `engine.rs`:
//! P0 [`token`] and [`gtm`] → P1 [`snapshot`] → P2 [`adoption`] → P3 [`pricing`] →
//! P4 [`b2b`] → P5 [`choice`] → P6 [`matching`] → P7 [`trade`] → P8 [`settlement`] →
//! P9 [`update`] → P10 `metrics`.
//!
//! Parallel phases write only their own output slots; cross-entity effects are buffered and
//! committed sequentially in a fixed order. Chunk sizes are constants.

pub mod adoption;
pub mod auction;
pub mod b2b;
pub mod choice;
pub mod cost;
pub mod entry;
pub mod gtm;
pub mod init;
pub mod matching;
pub mod pricing;
pub mod settlement;
pub mod snapshot;
pub mod subscription;
pub mod token;
pub mod trade;
pub mod update;

use crate::params::Params;

/// Customers per parallel work item. A constant: never derived from the thread count.
pub const CHUNK: usize = 4096;

/// What every phase knows about the step it runs in.
#[derive(Clone, Copy)]
pub struct StepCtx<'a> {
    /// Master seed.
    pub seed: u64,
    /// Run index.
    pub run: u64,
    /// Step index.
    pub step: u32,
    /// Parameters.
    pub p: &'a Params,
}

/// One customer job of the step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Job {
    /// Customer id.
    pub customer: u32,
    /// Job index within the customer's step.
    pub idx: u16,
    /// Category.
    pub category: u16,
    /// Requests.
    pub n: u32,
    /// Requests not yet served (after matching: unserved).
    pub remaining: u32,
    /// Offering chosen in the first round (`NONE` = outside option).
    pub choice: u32,
    /// Realized surplus per request of the first choice over the outside option (USD).
    pub surplus: f32,
    /// Requests served.
    pub served: u32,
    /// Sum of ratings given (platform fills).
    pub rating_sum: f32,
    /// Number of rated fills.
    pub rated: u16,
    /// Bid per request in a call auction (USD; 0 otherwise): the gross bid net of `alt`.
    pub bid: f32,
    /// For a call-auction bid: the utility per request of the customer's best alternative
    /// (incumbents, outside option; the bid is net of it) less the outside option's, so that a
    /// winner's surplus over the outside option is (bid − p_c)·k + alt, k the customer's fees per
    /// unit of price (`auction::price_factor`) (USD; 0 otherwise).
    pub alt: f32,
}

/// Requests of one job served by one offering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Index into the step's job list.
    pub job: u32,
    /// Offering.
    pub offering: u32,
    /// Requests served.
    pub n: u32,
}

/// Per-step buffers and flows, reset at the start of each step.
#[derive(Clone, Debug, Default)]
pub struct StepBuf {
    /// Jobs, in customer order.
    pub jobs: Vec<Job>,
    /// Fills, in matching order (round, offering, lottery key).
    pub fills: Vec<Fill>,
    /// Capacity left for end customers, per offering (u64::MAX = unlimited).
    pub remaining: Vec<u64>,
    /// Effective capacity this step (after B2B), per offering.
    pub capacity_now: Vec<u64>,
    /// Requests demanded (all rounds), per offering.
    pub demanded: Vec<u64>,
    /// Requests served to end customers and composites, per offering.
    pub served: Vec<u64>,
    /// B2B units granted to composites, per supplier offering.
    pub granted_out: Vec<u64>,
    /// Supplier per composite and recipe slot: (supplier, units granted), flattened by `b2b::slot`.
    pub supply: Vec<(u32, u64)>,
    /// Revenue this step (USD), per offering.
    pub revenue_usd: Vec<f64>,
    /// Costs this step (USD), per offering.
    pub cost_usd: Vec<f64>,
    /// Tokens received this step, per offering.
    pub received_tokens: Vec<i128>,
    /// USD-quoted platform spend this step (incl. buyer fee, nano-USD), per customer.
    pub spend_nano: Vec<i128>,
    /// Token-quoted platform need this step (gross + buyer fee, base units), per customer.
    pub need_tokens: Vec<i128>,
    /// B2B platform spend this step (incl. buyer fee, nano-USD), per composite offering.
    pub b2b_spend_nano: Vec<i128>,
    /// Customers deboarded this step (their escrow is sold in P7).
    pub deboarded: Vec<u32>,
    /// Customers newly onboarded this step.
    pub onboarded_now: u64,
    /// Customers newly aware this step.
    pub aware_now: u64,
    /// Exchange flows of the step.
    pub exchange: ExchangeFlows,
    /// Settlement flows of the step.
    pub settle: SettleFlows,
    /// Offerings that entered this step.
    pub entrants: u32,
    /// Offerings that exited this step.
    pub exits: u32,
    /// Bad debt written off this step (USD).
    pub bad_debt_usd: f64,
    /// Tokens minted this step.
    pub minted_tokens: i128,
    /// Speculators' flow this step: (buy USD in nano, sell tokens).
    pub speculator_flow: (i128, i128),
    /// Customers whose escrow was released and sold this step (deboarded earlier).
    pub escrow_released: u64,
    /// Gas paid this step by providers for channel claims (USD).
    pub gas_usd: f64,
    /// Tokens the treasury paid out this step (staking rewards).
    pub treasury_outlay_tokens: i128,
    /// Go-to-market effects and flows of the step (MODEL.md §7.13).
    pub gtm: gtm::GtmStep,
    /// Subscription charges of the step: (customer, offering, nano-USD), paid in P8.
    pub sub_charges: Vec<(u32, u32, i128)>,
    /// Subscription charges paid this step (base units).
    pub sub_paid_tokens: i128,
    /// Call-auction clearing price per offering this step (USD per request; 0 = not cleared).
    pub clear_price: Vec<f64>,
}

/// What the exchange batch did.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeFlows {
    /// Σ buy orders (nano-USD).
    pub buy_usd: i128,
    /// Σ sell orders (base units).
    pub sell_tokens: i128,
}

/// What settlement did (integers are exact).
#[derive(Clone, Copy, Debug, Default)]
pub struct SettleFlows {
    /// Σ gross of end-customer platform jobs (base units).
    pub gross_platform_tokens: i128,
    /// Σ gross of B2B purchases from platform suppliers (base units).
    pub gross_b2b_tokens: i128,
    /// Σ incumbent revenue from end customers (nano-USD).
    pub incumbent_usd: i128,
    /// Σ incumbent revenue from composites (nano-USD).
    pub b2b_incumbent_usd: i128,
    /// Σ fees credited to the treasury (base units).
    pub fees_tokens: i128,
    /// Fees burned (base units).
    pub burned_tokens: i128,
    /// Requests served but not paid (payer short).
    pub unpaid_requests: u64,
}
