//! `liquidity` (MODEL.md §7.13): at `start_step` (alias `step`) the treasury deposits `usd` of its
//! cash and `tokens` of its tokens into the exchange pool (the treasury owns the pool's LP share).
//! Under `cpmm` the mid price becomes (x + usd)/(y + tokens). A deposit larger than what the treasury
//! holds is cut to its holdings and the strategy records the shortfall.

use super::{CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `liquidity`.
    pub struct Params {
        /// USD added to the pool, in [0, 10¹⁰].
        pub usd: f64 = 0.0,
        /// Tokens added to the pool, in [0, 10¹¹].
        pub tokens: f64 = 0.0,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("usd", self.usd, 0.0, 1e10)?;
        in_range("tokens", self.tokens, 0.0, 1e11)
    }
}

/// The pool's mid price (USD per token) after a deposit of `usd` and `tokens` into reserves
/// `x` (USD) and `y` (tokens).
pub fn mid_after(x: f64, y: f64, usd: f64, tokens: f64) -> f64 {
    (x + usd) / (y + tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposits_move_the_mid() {
        // 2e6 USD / 1e8 tokens = 0.02; adding 1e6 USD and 2.5e7 tokens: 3e6/1.25e8 = 0.024.
        assert!((mid_after(2e6, 1e8, 1e6, 2.5e7) - 0.024).abs() < 1e-15);
        // A balanced deposit keeps the price.
        assert!((mid_after(2e6, 1e8, 2e5, 1e7) - 0.02).abs() < 1e-15);
    }
}
