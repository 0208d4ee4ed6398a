//! Customers as struct-of-arrays. Customers are laid out segment by segment; a customer's id is its
//! index. Escrow balances are ledger accounts, not columns here.

/// Platform adoption status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    /// Does not know the platform.
    Unaware = 0,
    /// Knows it, not onboarded.
    Aware = 1,
    /// Holds an escrow and can buy from platform offerings.
    Onboarded = 2,
}

/// The customer table.
#[derive(Clone, Debug, Default)]
pub struct Customers {
    /// Segment index.
    pub segment: Vec<u16>,
    /// Adoption status.
    pub status: Vec<Status>,
    /// Individual value multiplier (m_s times the segment's `value_dist` draw); f64 so that
    /// deterministic value quantiles (V4) compare exactly with prices.
    pub value_mult: Vec<f64>,
    /// θ_i, the weight on network terms.
    pub theta: Vec<f32>,
    /// Last offering used per category, flattened `[customer * n_categories + category]`.
    pub last_offering: Vec<u32>,
    /// EWMA of platform job outcomes.
    pub satisfaction: Vec<f32>,
    /// 1 + the last step with a platform request (0 = never).
    pub last_platform_use: Vec<u32>,
    /// 1 + the step of the last onboarding (0 = never onboarded).
    pub onboarded_at: Vec<u32>,
    /// 1 + the last step with an incumbent request (0 = never).
    pub last_incumbent_use: Vec<u32>,
    /// EWMA of platform spend per step (USD); negative = no observation yet.
    pub spend_ewma_usd: Vec<f64>,
    /// Number of categories (row width of `last_offering`).
    pub n_categories: usize,
}

impl Customers {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.segment.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.segment.is_empty()
    }

    /// Approximate heap bytes per customer (for the memory estimate).
    pub fn bytes_per_customer(&self) -> usize {
        2 + 1 + 8 + 4 + 4 * self.n_categories + 4 + 4 + 4 + 4 + 8 + 16
    }
}
