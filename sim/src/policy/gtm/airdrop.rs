//! `airdrop` (MODEL.md §7.13): at `start_step` (alias `step`) the treasury splits `tokens_total`
//! equally (⌊T/m⌋ each, the remainder stays) among `recipients_count` members (default: all) of
//! `recipients`: `"random_customers"` (any customer), `"aware"` (customers aware of the platform or
//! onboarded) or `"developers"` (the firms of active platform offerings), drawn uniformly without
//! replacement: the m members with the smallest hashed keys. Customer recipients become aware and
//! hold the tokens in their escrow; a share `sell_share` of every recipient's tokens is sold in the
//! same step's P7. The value of what a customer keeps lowers its onboarding cost κ (to at least 0)
//! until it onboards.

use serde::{Deserialize, Serialize};

use super::{CheckErr, gtm_params, in_range};

/// Who receives an airdrop.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Recipients {
    /// Any customer.
    RandomCustomers,
    /// Customers aware of the platform (or onboarded).
    Aware,
    /// Active platform firms.
    Developers,
}

gtm_params! {
    /// Parameters of `airdrop`.
    pub struct Params {
        /// Tokens airdropped in total, in [0, 10¹¹].
        pub tokens_total: f64 = 0.0,
        /// Who receives them.
        pub recipients: Recipients = Recipients::Aware,
        /// How many receive them (absent = every member of the class).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub recipients_count: Option<u32> = None,
        /// Share of the airdrop each recipient sells at once, in [0, 1].
        pub sell_share: f64 = 0.5,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("tokens_total", self.tokens_total, 0.0, 1e11)?;
        if let Some(n) = self.recipients_count {
            in_range("recipients_count", n as f64, 1.0, 1e8)?;
        }
        in_range("sell_share", self.sell_share, 0.0, 1.0)
    }
}

/// The m recipients among `candidates` with the smallest keys (ties to the lower id), in id order.
pub fn pick(candidates: &[u32], key: impl Fn(u32) -> u64, m: usize) -> Vec<u32> {
    let mut c: Vec<(u64, u32)> = candidates.iter().map(|&i| (key(i), i)).collect();
    if m < c.len() {
        c.select_nth_unstable(m);
        c.truncate(m);
    }
    let mut ids: Vec<u32> = c.into_iter().map(|x| x.1).collect();
    ids.sort_unstable();
    ids
}

/// Each recipient's share of `total` base units among `m`: ⌊total/m⌋.
pub fn share(total: i128, m: usize) -> i128 {
    if m == 0 { 0 } else { total / m as i128 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_smallest_keys_and_splits() {
        let key = |i: u32| [50u64, 10, 40, 20, 30][i as usize];
        assert_eq!(pick(&[0, 1, 2, 3, 4], key, 2), vec![1, 3]);
        assert_eq!(pick(&[0, 1, 2, 3, 4], key, 9), vec![0, 1, 2, 3, 4]);
        assert_eq!(pick(&[2, 4], key, 1), vec![4]);
        assert_eq!(share(1000, 3), 333);
        assert_eq!(share(1000, 0), 0);
    }
}
