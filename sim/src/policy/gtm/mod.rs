//! Go-to-market strategies: the registration point.
//!
//! A strategy is one file plus one variant of [`GtmPolicy`]; it acts through the hooks below, which
//! the engine calls at fixed points of the step (P0 events, P8 outlays). No strategy is registered
//! yet: `[gtm] policies = [...]` with any entry is a scenario error naming the unknown variant.

use serde::{Deserialize, Serialize};

/// A go-to-market policy, tagged by `kind` in TOML.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GtmPolicy {}

impl GtmPolicy {
    /// The policy's `kind` as written in TOML.
    pub fn kind(&self) -> &'static str {
        match *self {}
    }

    /// One default instance of every registered policy (registry-wide tests loop over these).
    pub fn examples() -> Vec<GtmPolicy> {
        Vec::new()
    }
}
