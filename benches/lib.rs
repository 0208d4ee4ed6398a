//! Shared helpers for the criterion benches and the scale runs.
//!
//! [`scenario`] builds the benchmark scenario in code, so that a bench does not depend on a file
//! on disk and can be scaled to any number of customers: the default six categories, the four
//! segments of `scenarios/baseline.toml` in its proportions (2 % enterprise, 20 % startup_dev,
//! 5 % crypto_native, 73 % consumer_app), one incumbent, and the baseline's 1 940 platform
//! providers (not scaled with the customers). Initial awareness is set high enough that customers
//! onboard within the first few steps, so a step after a short warm-up exercises the platform's
//! search, matching, settlement and token trade, not only the incumbent.

use mindmarket_sim::Scenario;
use mindmarket_sim::scenario;

/// The customer counts of the `step` bench.
pub const SIZES: [u32; 3] = [10_000, 100_000, 1_000_000];

/// Steps run before measuring, so that onboarding, escrow funding and the first trades have
/// happened.
pub const WARMUP_STEPS: u32 = 5;

/// The first step index that is not measured: a bench times steps `WARMUP_STEPS..MEASURE_UNTIL`
/// of a run, then starts a fresh run (outside the timings). Measuring steps of one young market
/// keeps the figure independent of how many iterations criterion happens to run: from step ~90 on
/// (`exit_patience_steps` = 90) unprofitable providers exit, at 10k customers nearly all of them
/// (1 940 → 50), and later steps are cheaper steps of a different market.
pub const MEASURE_UNTIL: u32 = 85;

/// Segment shares of `scenarios/baseline.toml`, in per mille: enterprise, startup_dev,
/// crypto_native, consumer_app.
const SHARES_PER_MILLE: [u32; 4] = [20, 200, 50, 730];

/// Sizes of the four segments for `customers` customers, in the baseline's proportions. The last
/// segment takes the rounding remainder, so the sizes always sum to `customers`.
///
/// # Panics
/// If `customers` is below 1 000 (every segment must be non-empty).
pub fn segment_sizes(customers: u32) -> [u32; 4] {
    assert!(
        customers >= 1_000,
        "the bench scenario needs at least 1 000 customers, got {customers}"
    );
    let mut sizes = [0u32; 4];
    let mut rest = customers;
    for (size, &share) in sizes.iter_mut().zip(&SHARES_PER_MILLE[..3]) {
        *size = (u64::from(customers) * u64::from(share) / 1_000) as u32;
        rest -= *size;
    }
    sizes[3] = rest;
    sizes
}

/// The benchmark scenario's TOML text for `customers` customers (see the crate docs).
pub fn scenario_toml(customers: u32) -> String {
    let [enterprise, startup, crypto, consumer] = segment_sizes(customers);
    format!(
        r#"schema_version = 1

[run]
seed = 42
steps = 100000       # the maximum: a bench may run many steps, and none of them is the "last"
step_days = 1.0

[engine]
rationing = "lottery"
max_match_rounds = 2

# No [[categories]]: the six default categories.

# The segments of scenarios/baseline.toml, scaled to {customers} customers, with more initial
# awareness so that the platform is in use after the warm-up.
[[segments]]
name = "enterprise"
size = {enterprise}
value_multiplier = 2.0
jobs_per_step = 0.9
requests_per_job_median = 2_000
token_onboarding_cost_usd = 1_000
bass_p = 0.05
bass_q = 0.40
initial_aware_share = 0.30

[[segments]]
name = "startup_dev"
size = {startup}
value_multiplier = 1.0
jobs_per_step = 0.5
requests_per_job_median = 100
token_onboarding_cost_usd = 100
bass_p = 0.10
bass_q = 0.80
initial_aware_share = 0.30

[[segments]]
name = "crypto_native"
size = {crypto}
value_multiplier = 1.0
jobs_per_step = 0.4
requests_per_job_median = 50
token_onboarding_cost_usd = 5
bass_p = 0.20
bass_q = 1.00
initial_aware_share = 0.50

[[segments]]
name = "consumer_app"
size = {consumer}
value_multiplier = 0.5
jobs_per_step = 0.2
requests_per_job_median = 20
token_onboarding_cost_usd = 50
bass_p = 0.02
bass_q = 0.60
initial_aware_share = 0.30

[adoption]
adoption_rule = "logit"
initial_incumbent_users = 0.6

[network_effects]
same_side_weight_usd = 0.001
cross_side_weight_usd = 0.002

[platform]
buyer_fee_rate = 0.0
seller_fee_rate = 0.02
fee_burn_share = 0.25
search_results_k = 10
explore_slots = 2

[incumbent]
name = "bigco"
q0 = 0.5
initial_data = 1e9
price_usd_per_1m_tokens = 4.0

[providers]
fixed_cost_usd_per_step = 1.0
exit_patience_steps = 90

[[providers.initial]]
count = 600
category = "chat_llm"
price = 0.004
capacity = 500

[[providers.initial]]
count = 400
category = "code_assist"
price = 0.008
capacity = 300

[[providers.initial]]
count = 300
category = "vision"
price = 0.003
capacity = 300

[[providers.initial]]
count = 200
category = "speech"
price = 0.0025
capacity = 300

[[providers.initial]]
count = 400
category = "embeddings"
price = 0.0008
capacity = 1_000

[[providers.initial]]
count = 40
category = "agent_orchestration"
price = 0.020
capacity = 100
quote_currency = "usd"

[token]
genesis_supply_tokens = 1e9
treasury_share = 0.4
pool_share = 0.1

[exchange]
fee_rate = 0.003
pool_usd = 2e6
"#
    )
}

/// The resolved benchmark scenario for `customers` customers (see the crate docs).
///
/// # Panics
/// If `customers` is below 1 000 or above the validator's limit, or if the scenario no longer
/// parses or validates (a scenario-format change that this crate must follow).
pub fn scenario(customers: u32) -> Scenario {
    let text = scenario_toml(customers);
    let s = scenario::from_str(&text, "bench")
        .unwrap_or_else(|e| panic!("the bench scenario does not parse: {e}"));
    scenario::resolve(s, mindmarket_sim::VERSION, "bench")
        .unwrap_or_else(|e| panic!("the bench scenario does not validate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mindmarket_sim::Simulation;

    #[test]
    fn segment_sizes_follow_the_baseline_proportions() {
        assert_eq!(segment_sizes(100_000), [2_000, 20_000, 5_000, 73_000]);
        assert_eq!(segment_sizes(1_000_000), [20_000, 200_000, 50_000, 730_000]);
        assert_eq!(segment_sizes(12_345).iter().sum::<u32>(), 12_345);
    }

    #[test]
    fn scenario_resolves_and_runs_two_steps() {
        let s = scenario(2_000);
        assert_eq!(s.run.name, "bench");
        assert_eq!(s.categories.len(), 6);
        assert_eq!(s.incumbents.len(), 1);
        assert_eq!(s.segments.iter().map(|g| g.size).sum::<u32>(), 2_000);
        assert_eq!(
            s.providers.initial.iter().map(|g| g.count).sum::<u32>(),
            1_940
        );
        let mut sim = Simulation::new(&s, 1).expect("the simulation starts");
        for _ in 0..2 {
            let m = sim.step().expect("a step runs");
            // The bench is meant to exercise the platform, not only the incumbent.
            assert!(m.onboarded_customers > 0, "nobody onboarded: {m:?}");
            assert!(m.requests_platform > 0, "no platform requests: {m:?}");
        }
        assert_eq!(sim.step_index(), 2);
    }
}
