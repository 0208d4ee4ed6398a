//! Errors of the simulation library: scenario errors (re-exported from `scenario`) and run errors.
//!
//! The library never prints or exits; the binary turns these into messages and exit codes.

use crate::ledger::AccountRef;
pub use crate::scenario::ScenarioError;

/// An error that stops a run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Tokens or fiat were created or destroyed outside mint, burn and the outside world: a bug.
    #[error(
        "conservation violated at step {step}: token error {tokens_error} base units, fiat error {usd_error} nano-USD (this is a bug in mindmarket; please report it with the scenario)"
    )]
    Conservation {
        /// Step at whose end the check failed.
        step: u32,
        /// Σ token balances − (genesis + minted − burned).
        tokens_error: i128,
        /// Σ fiat balances including the outside world (must be 0).
        usd_error: i128,
    },
    /// An account that may never be negative was driven negative.
    #[error(
        "negative balance at step {step}: {account} holds {balance} (this is a bug in mindmarket)"
    )]
    NegativeBalance {
        /// Step.
        step: u32,
        /// The account.
        account: AccountRef,
        /// Its balance.
        balance: i128,
    },
    /// A transfer asked for more than the payer holds (a bug: phases must cut payments first).
    #[error("insufficient funds at step {step}: {account} holds {balance}, asked to pay {amount}")]
    Insufficient {
        /// Step.
        step: u32,
        /// The paying account.
        account: AccountRef,
        /// Its balance.
        balance: i128,
        /// The amount asked for.
        amount: i128,
    },
    /// Writing an output failed.
    #[error("cannot write {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The thread pool could not be built.
    #[error("cannot build the thread pool: {0}")]
    ThreadPool(String),
}
