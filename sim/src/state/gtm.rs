//! Go-to-market runtime state (MODEL.md §7.13): per-strategy progress (budget used, stop), the
//! treasury's USD obligations queue (§7.11), open bounties, vesting grants, in-house firms,
//! grantees, visibility boosts, per-customer free calls and airdrop credits, per-developer workshop
//! discounts, the studio's conversion schedule, and the event log. Sparse maps are `BTreeMap`s
//! (iteration in id order); per-entity vectors are empty unless a strategy needs them.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::ledger::Account;
use crate::policy::gtm::Spent;

/// One strategy's progress.
#[derive(Clone, Debug, Default)]
pub struct PolicyRt {
    /// Selected by `[gtm] arm`.
    pub on: bool,
    /// Step at which it stopped (budget or treasury exhausted, or unable to pay).
    pub stopped: Option<u32>,
    /// Budget used.
    pub spent: Spent,
    /// Whether its one-off start action has run (seeding, in-house teams, airdrop, liquidity).
    pub started: bool,
    /// Whether its funding has ended (demand_first: in-house teams released).
    pub released: bool,
}

/// A USD obligation of the treasury, paid in P8 in queue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Obligation {
    /// Step it was incurred.
    pub step: u32,
    /// The strategy (index in `[gtm] policies`).
    pub policy: u32,
    /// Who is paid (an in-house firm's cash, or the outside world for marketing).
    pub to: Account,
    /// Amount still owed (nano-USD).
    pub nano: i128,
}

/// An open RFAI bounty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounty {
    /// The strategy.
    pub policy: u32,
    /// Category.
    pub category: u16,
    /// Tokens held in the `Bounties` account (base units).
    pub amount: i128,
    /// Step of posting.
    pub posted: u32,
    /// Step at which it is awarded or refunded.
    pub deadline: u32,
}

/// A grant vesting linearly into a grantee's wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VestingGrant {
    /// The strategy.
    pub policy: u32,
    /// The grantee's offering.
    pub offering: u32,
    /// The grant (base units).
    pub total: i128,
    /// Released so far.
    pub released: i128,
    /// Vesting steps.
    pub steps: u32,
    /// Next vesting step index.
    pub k: u32,
}

/// An in-house firm (demand_first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InHouse {
    /// The strategy paying it.
    pub policy: u32,
    /// Consecutive steps with salary still queued at the end of the step.
    pub unpaid_steps: u32,
}

/// An accelerator grantee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grantee {
    /// The strategy.
    pub policy: u32,
    /// Tokens earmarked for platform purchases (base units).
    pub earmark: i128,
    /// Tokens to sell in the next P7.
    pub to_sell: i128,
}

/// A recorded go-to-market event (summary.json `gtm_events`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GtmEvent {
    /// Step.
    pub step: u32,
    /// The strategy's index in `[gtm] policies`.
    pub policy: u32,
    /// Its kind.
    pub kind: &'static str,
    /// What happened: `started`, `budget_exhausted`, `treasury_exhausted`, `unpaid_stop`,
    /// `funding_ended`, `inhouse_exit_unpaid`, `bounty_posted`, `bounty_awarded`,
    /// `bounty_refunded`, `cohort`, `workshop`, `airdrop`, `liquidity`, `cap_scaled`.
    pub event: &'static str,
    /// Details (amounts, ids).
    pub detail: String,
}

/// All go-to-market state.
#[derive(Clone, Debug, Default)]
pub struct GtmState {
    /// Per strategy, in `[gtm] policies` order.
    pub rt: Vec<PolicyRt>,
    /// The treasury's USD obligations, oldest first.
    pub queue: VecDeque<Obligation>,
    /// Event log.
    pub events: Vec<GtmEvent>,
    /// Open bounties, in posting order.
    pub bounties: Vec<Bounty>,
    /// Vesting grants, in award order.
    pub vesting: Vec<VestingGrant>,
    /// In-house firms by offering id.
    pub inhouse: BTreeMap<u32, InHouse>,
    /// Accelerator grantees by offering id.
    pub grantees: BTreeMap<u32, Grantee>,
    /// Visibility boosts by offering id: (factor − 1, first step without it).
    pub visibility: BTreeMap<u32, (f64, u32)>,
    /// Free calls left per customer (empty unless a `subsidy` gives free calls).
    pub free_calls_left: Vec<u32>,
    /// Onboarding-cost credit per customer from airdropped tokens (USD; empty unless an airdrop
    /// reaches customers).
    pub kappa_credit_usd: Vec<f32>,
    /// Entry-cost discount per developer from workshops (share; empty unless `workshops`).
    pub entry_discount: Vec<f32>,
    /// The studio's conversions of the last `twap_steps` steps (nano-USD), ring by step.
    pub studio_ring: Vec<i128>,
    /// Remainder of the TWAP floors (nano-USD).
    pub studio_carry: i128,
    /// Cumulative go-to-market spend (USD).
    pub spend_cum_usd: f64,
    /// Spend per step over the last 30 steps (USD), ring by step (CAC and runway windows).
    pub spend_ring: Vec<f64>,
    /// New onboarded customers per step over the last 30 steps, ring by step.
    pub onboarded_ring: Vec<u64>,
}

impl GtmState {
    /// Tokens held in open bounties (base units).
    pub fn open_bounty_tokens(&self) -> i128 {
        self.bounties.iter().map(|b| b.amount).sum()
    }

    /// USD owed by the treasury (nano-USD).
    pub fn queued_nano(&self) -> i128 {
        self.queue.iter().map(|o| o.nano).sum()
    }
}
