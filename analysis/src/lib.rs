//! mindmarket-analysis: statistics across runs, aggregation and plots (filled by later issues).
