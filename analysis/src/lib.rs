//! mindmarket-analysis: everything after a run or a sweep. It reads output folders (never the
//! engine: this crate does not depend on `mindmarket-sim`), computes statistics across
//! replications, and draws the charts and the HTML report.
//!
//! - [`run::RunFolder`], [`sweep::SweepFolder`], [`folder::Folder`]: read `mindmarket run` and
//!   `mindmarket sweep` outputs (CSV; Parquet with the `parquet` feature) into [`table::Table`]s.
//! - [`stats`]: mean, standard deviation, type-7 quantiles, bootstrap intervals (fixed seed,
//!   [`rng::SplitMix64`]), paired differences.
//! - [`series`]: time to a threshold and tipping detection on one series.
//! - [`grid`]: a summary metric over two parameters as an `ndarray::Array2` (the tipping map).
//! - [`compare`]: A/B comparison of two runs or two sweep arms with common random numbers.
//! - [`charts`]: the standard charts of a run or sweep folder as [`plot::Chart`] values;
//!   [`plot`]: rendering them to PNG and SVG with an embedded font; [`report`]: one
//!   self-contained HTML page.
//!
//! Invariant: nothing here draws random numbers from the environment; the same folder gives the
//! same statistics, the same pictures and the same report (up to the report's file paths).

pub mod catalog;
pub mod charts;
pub mod compare;
pub mod error;
pub mod fmt;
pub mod folder;
pub mod grid;
pub mod plot;
pub mod report;
pub mod rng;
pub mod run;
pub mod series;
pub mod stats;
pub mod sweep;
pub mod table;

pub use error::{Error, Result};
pub use folder::Folder;
