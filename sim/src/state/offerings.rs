//! Offerings (the unit of customer choice) as struct-of-arrays: platform providers, composites and
//! incumbent offerings share one table so that choice sets are plain id lists. An offering's firm
//! owns its ledger accounts (token wallet, fiat cash). Ids are dense and never reused.

use crate::policy::pricing::PricingRule;
use crate::scenario::{CapacityMode, QuoteCurrency};

/// Which ecosystem an offering belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ecosystem {
    /// The decentralized platform.
    Platform,
    /// Incumbent k.
    Incumbent(u8),
}

/// The offering table.
#[derive(Clone, Debug, Default)]
pub struct Offerings {
    /// Ecosystem.
    pub ecosystem: Vec<Ecosystem>,
    /// Category index.
    pub category: Vec<u16>,
    /// Listed and trading (false after exit).
    pub active: Vec<bool>,
    /// Pricing rule.
    pub rule: Vec<PricingRule>,
    /// Quote currency of `price`.
    pub quote: Vec<QuoteCurrency>,
    /// Posted price per request in the quote currency.
    pub price: Vec<f64>,
    /// Intrinsic quality.
    pub q0: Vec<f64>,
    /// Current quality.
    pub quality: Vec<f64>,
    /// Depreciated learning data (requests).
    pub data: Vec<f64>,
    /// Marginal cost set in the scenario (USD), final if present.
    pub cost_override: Vec<Option<f64>>,
    /// Compute cost of one request-slot at t = 0 (USD).
    pub compute_cost0_usd: Vec<f64>,
    /// Capacity mode.
    pub capacity_mode: Vec<CapacityMode>,
    /// Planned reserved capacity for the next step (u64::MAX = unlimited).
    pub capacity: Vec<u64>,
    /// Reputation in [0, 1].
    pub reputation: Vec<f64>,
    /// Demand forecast (requests per step); negative = no observation yet.
    pub demand_ewma: Vec<f64>,
    /// Profit EWMA (USD per step); NaN-free, starts at 0.
    pub profit_ewma: Vec<f64>,
    /// Consecutive steps with a profit EWMA below the outside wage.
    pub loss_steps: Vec<u32>,
    /// Cumulative requests served.
    pub cum_requests: Vec<u64>,
    /// Step of entry.
    pub born: Vec<u32>,
    /// Step of exit (u32::MAX while active).
    pub exited: Vec<u32>,
    /// Cumulative revenue (USD at each step's price).
    pub cum_revenue_usd: Vec<f64>,
    /// Cumulative profit (USD).
    pub cum_profit_usd: Vec<f64>,
    /// Tokens received per step, ring of `provider_hold_steps` slots, flattened.
    pub received_ring: Vec<i128>,
    /// Revenue per step over the concentration window, ring, flattened.
    pub revenue_ring: Vec<f64>,
    /// Tokens still to be sold after exit.
    pub pending_exit_sale: Vec<bool>,
    /// The developer who founded the offering's firm (`NONE` for initial and incumbent offerings).
    pub founder: Vec<u32>,
    /// Memory of the offering's pricing rule (hill-climb, learned markup, anchor), written in P3.
    pub policy_state: Vec<crate::policy::pricing::PolicyState>,
}

impl Offerings {
    /// Number of offerings (active or not).
    pub fn len(&self) -> usize {
        self.category.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.category.is_empty()
    }

    /// Whether offering `j` is on the platform.
    pub fn is_platform(&self, j: usize) -> bool {
        self.ecosystem[j] == Ecosystem::Platform
    }
}
