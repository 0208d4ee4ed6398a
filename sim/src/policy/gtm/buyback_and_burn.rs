//! `buyback_and_burn` (MODEL.md §7.13): each step of the window the treasury spends
//! min(`usd_per_step`, (cash − queued obligations)⁺) of its USD on a buy order in P7; the tokens
//! bought are burned. It never makes the treasury sell tokens (§7.11): it needs USD income such as
//! a studio's `treasury_usd_share`.

use super::{CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `buyback_and_burn`.
    pub struct Params {
        /// USD spent per step, at most, in [0, 10⁹].
        pub usd_per_step: f64 = 0.0,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("usd_per_step", self.usd_per_step, 0.0, 1e9)
    }
}

/// The step's buy (nano-USD): min(`want`, (cash − queued)⁺).
pub fn buy_nano(want: i128, cash: i128, queued: i128) -> i128 {
    want.min((cash - queued).max(0)).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_only_free_cash() {
        assert_eq!(buy_nano(100, 1000, 200), 100);
        assert_eq!(buy_nano(100, 250, 200), 50);
        assert_eq!(buy_nano(100, 150, 200), 0);
        assert_eq!(buy_nano(0, 1000, 0), 0);
    }
}
