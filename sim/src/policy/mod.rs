//! Policies: the pluggable decision rules of the model.
//!
//! Each pricing rule and each go-to-market strategy is one file plus one enum variant in its
//! `mod.rs` (the single registration point). Policies are pure functions of a read-only view.

pub mod gtm;
pub mod pricing;
