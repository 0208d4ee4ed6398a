//! `rfai`, requests for AI (MODEL.md §7.13; `singnet/snet-rfai`): every `every_steps` from
//! `start_step` (inside the window) the treasury posts `bounties` bounties of `bounty_tokens` (or
//! `bounty_usd` paid in tokens at max(p, `grant_price_floor_usd`)), from the grants pool first, on
//! the categories with the largest uncovered demand (no active platform offering: ranked by the
//! onboarded customers' demand forecast of §7.12), then the largest unserved demand of the last
//! step; a category holds at most one open bounty. The tokens wait in the `Bounties` account.
//! `submission_steps` after posting, the bounty is split equally (⌊B/m⌋ each) among the m offerings
//! that entered its category since the posting, are still active and have quality ≥ `min_quality`;
//! the remainder, or all of it when none qualifies, is refunded to the treasury and to the
//! strategy's budget. Developers count an open bounty in their entry decision as G_c = bounty value /
//! (qualifying entrants so far + 1).

use super::{CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `rfai`.
    pub struct Params {
        /// Steps between postings, in [1, 3650].
        pub every_steps: u32 = 30,
        /// Bounties posted each time, in [0, 1000].
        pub bounties: u32 = 2,
        /// Tokens per bounty, in [0, 10¹⁰].
        pub bounty_tokens: f64 = 100_000.0,
        /// Bounty fixed in USD (paid in tokens at max(p, `grant_price_floor_usd`)); replaces
        /// `bounty_tokens` when set.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bounty_usd: Option<f64> = None,
        /// Quality an entrant needs to claim a share, in [0, 1].
        pub min_quality: f64 = 0.5,
        /// Steps entrants have after posting, in [1, 3650].
        pub submission_steps: u32 = 60,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("every_steps", self.every_steps as f64, 1.0, 3650.0)?;
        in_range("bounties", self.bounties as f64, 0.0, 1000.0)?;
        in_range("bounty_tokens", self.bounty_tokens, 0.0, 1e10)?;
        if let Some(u) = self.bounty_usd {
            in_range("bounty_usd", u, 0.0, 1e9)?;
        }
        in_range("min_quality", self.min_quality, 0.0, 1.0)?;
        in_range(
            "submission_steps",
            self.submission_steps as f64,
            1.0,
            3650.0,
        )
    }
}

/// Whether bounties are posted at step `t`.
pub fn posting_at(p: &Params, t: u32) -> bool {
    p.common().in_window(t) && (t - p.start_step).is_multiple_of(p.every_steps.max(1))
}

/// The categories to post on: uncovered categories with demand (by `uncovered_demand`, highest
/// first), then covered ones with unserved demand (by `unserved`), ties to the lower index,
/// skipping categories in `open`; at most `count`.
pub fn targets(
    covered: &[bool],
    uncovered_demand: &[f64],
    unserved: &[f64],
    open: &[bool],
    count: u32,
) -> Vec<usize> {
    let n = covered.len();
    let mut unc: Vec<usize> = (0..n)
        .filter(|&c| !covered[c] && !open[c] && uncovered_demand[c] > 0.0)
        .collect();
    unc.sort_by(|&a, &b| {
        uncovered_demand[b]
            .total_cmp(&uncovered_demand[a])
            .then(a.cmp(&b))
    });
    let mut cov: Vec<usize> = (0..n)
        .filter(|&c| covered[c] && !open[c] && unserved[c] > 0.0)
        .collect();
    cov.sort_by(|&a, &b| unserved[b].total_cmp(&unserved[a]).then(a.cmp(&b)));
    unc.into_iter().chain(cov).take(count as usize).collect()
}

/// Splits a bounty of `amount` base units equally among `m` claimants: (each share, refund).
pub fn split(amount: i128, m: usize) -> (i128, i128) {
    if m == 0 {
        return (0, amount);
    }
    let each = amount / m as i128;
    (each, amount - each * m as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_prefer_uncovered_then_unserved() {
        let covered = [true, false, false, true, true];
        let uncovered = [0.0, 10.0, 30.0, 0.0, 0.0];
        let unserved = [5.0, 0.0, 0.0, 0.0, 7.0];
        let none = [false; 5];
        assert_eq!(
            targets(&covered, &uncovered, &unserved, &none, 3),
            vec![2, 1, 4]
        );
        assert_eq!(
            targets(&covered, &uncovered, &unserved, &none, 10),
            vec![2, 1, 4, 0]
        );
        let open = [false, false, true, false, false];
        assert_eq!(
            targets(&covered, &uncovered, &unserved, &open, 2),
            vec![1, 4]
        );
    }

    #[test]
    fn bounties_split_equally_and_refund_the_rest() {
        assert_eq!(split(100, 3), (33, 1));
        assert_eq!(split(100, 0), (0, 100));
        assert_eq!(split(10_000_000_000_000, 4), (2_500_000_000_000, 0));
        let p = Params {
            start_step: 5,
            ..Params::default()
        };
        assert!(
            posting_at(&p, 5) && posting_at(&p, 35) && !posting_at(&p, 6) && !posting_at(&p, 4)
        );
    }
}
