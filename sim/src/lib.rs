//! mindmarket-sim: the engine and the model of the AI-services market.
//!
//! A [`Simulation`] runs a resolved [`Scenario`] step by step; each step is a fixed list of phase
//! functions (see [`phases`]) over struct-of-arrays state ([`state`]), with all money moved by the
//! integer [`ledger`]. The crate is pure computation plus the output sinks in [`output`]: it never
//! reads the environment, the clock or the process arguments. See ARCHITECTURE.md for the code map
//! and the invariants.

pub mod engine;
pub mod error;
pub mod exchange;
pub mod ledger;
pub mod metrics;
pub mod output;
pub mod params;
pub mod phases;
pub mod policy;
pub mod rng;
pub mod scenario;
pub mod state;
pub mod sweep;
pub mod units;
pub mod validation;

pub use engine::Simulation;
pub use error::SimError;
pub use metrics::StepMetrics;
pub use scenario::{Scenario, ScenarioError};

/// The program version recorded in every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
