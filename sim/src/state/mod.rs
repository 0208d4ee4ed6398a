//! Simulation state: struct-of-arrays tables indexed by dense `u32` ids, plus the aggregate state
//! of the platform and the exchange. Phases read and write these columns; balances are not here
//! (they live in the [`crate::ledger::Ledger`]).

mod customers;
mod developers;
pub mod gtm;
mod offerings;

pub use customers::{Customers, Status};
pub use developers::{DevStatus, Developers};
pub use offerings::{Ecosystem, Offerings};

/// Marker for "no offering".
pub const NONE: u32 = u32::MAX;

/// The whole mutable state of a run, except balances.
#[derive(Clone, Debug)]
pub struct World {
    /// Customers.
    pub customers: Customers,
    /// Offerings (platform providers and incumbent offerings).
    pub offerings: Offerings,
    /// Potential developers (supply side).
    pub developers: Developers,
    /// Step about to run (0-based).
    pub step: u32,
    /// Token price of the last batch (USD per token).
    pub token_price_usd: f64,
    /// Exact price of the last batch (nano-USD per base unit).
    pub token_price: crate::units::Price,
    /// Cumulative platform requests served (network base option).
    pub cum_requests_platform: u64,
    /// Cumulative requests served by each incumbent.
    pub cum_requests_incumbent: Vec<u64>,
    /// Customers active on the platform at the end of the last step.
    pub active_platform: u64,
    /// Customers active with each incumbent at the end of the last step.
    pub active_incumbent: Vec<u64>,
    /// Onboarded customers per segment at the end of the last step.
    pub onboarded_by_segment: Vec<u64>,
    /// Q̂_c: EWMA of platform requests demanded per category (negative = no observation yet).
    pub category_demand_platform: Vec<f64>,
    /// EWMA of the requests of onboarded customers' jobs per category (negative = none yet).
    pub category_demand_onboarded: Vec<f64>,
    /// Deboarded customers whose escrow unlocks at a step: (step, customer), in order.
    pub escrow_release: std::collections::VecDeque<(u32, u32)>,
    /// Last step's supplier per composite recipe slot (for the B2B switching bonus).
    pub supplier_prev: Vec<u32>,
    /// Customers who ever onboarded.
    pub cum_adopters_platform: u64,
    /// Customers who ever used each incumbent (approximated by any incumbent use).
    pub cum_adopters_incumbent: Vec<u64>,
    /// APY of the last completed staking window.
    pub staking_apy: f64,
    /// Batch prices of the last two steps (USD per token), for speculators' momentum.
    pub price_history: [f64; 2],
    /// Tokens burned up to the end of the last recorded step (for the per-step `burned_tokens`).
    pub burned_seen: i128,
    /// Go-to-market state (MODEL.md §7.13).
    pub gtm: gtm::GtmState,
    /// Customers' subscriptions (empty unless subscription offerings are possible).
    pub subs: crate::phases::subscription::Subscriptions,
}
