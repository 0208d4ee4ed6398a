//! Shared helpers for the sim crate's integration tests: a tiny but busy scenario with every
//! mechanism of the engine switched on, and a runner.
#![allow(dead_code)]

use mindmarket_sim::{Scenario, Simulation, StepMetrics, scenario};

/// A small scenario with every mechanism of the engine on: onboarding and deboarding, a gateway
/// segment, logit choice, rationing, composites with reservation fees, fees and burns, token and USD
/// quotes, developers' entry and exits, emission, staking, speculators and the exchange. Vary it
/// with `--set`-style overrides.
pub const TINY: &str = r#"
schema_version = 1
[run]
name = "tiny"
seed = 7
steps = 40

[[categories]]
name = "chat"
base_value_usd = 0.02
[[categories]]
name = "embed"
base_value_usd = 0.004
tokens_per_request = 500
[[categories]]
name = "agent"
base_value_usd = 0.05
tokens_per_request = 3500
recipe = { chat = 2, embed = 1 }

[[segments]]
name = "dev"
size = 600
jobs_per_step = 0.6
requests_per_job_median = 40
token_onboarding_cost_usd = 5
initial_aware_share = 0.6
bass_p = 0.5
bass_q = 1.0
[[segments]]
name = "ent"
size = 150
value_multiplier = 2.0
jobs_per_step = 1.5
requests_per_job_median = 200
requests_per_job_sigma = 0.5
token_onboarding_cost_usd = 20
initial_aware_share = 0.5
switching_cost_usd = 0.001
budget_usd_per_step = 3.0
[[segments]]
name = "app"
size = 300
value_multiplier = 0.5
jobs_per_step = 0.5
requests_per_job_median = 10
initial_aware_share = 0.5
uses_gateway = true
gateway_onboarding_cost_usd = 1
gateway_fee_rate = 0.01

[adoption]
deboard_after_steps = 10

[platform]
buyer_fee_rate = 0.01
seller_fee_rate = 0.03
fee_burn_share = 0.5
search_results_k = 3
explore_slots = 1

[incumbent]
name = "big"

[providers]
fixed_cost_usd_per_step = 0.2
exit_patience_steps = 15
data_pooling_share = 0.1

[developers]
developer_pool = 400
initial_aware_devs = 100
outside_wage_usd = 0.5
entry_cost_usd = 10
entry_review_steps = 5
composite_entry_share = 0.2

[b2b]
reservation_fee_share = 0.2

[token.emission]
schedule = "geometric"
period_steps = 10
first_tranche_tokens = 1e6
decay = 0.05
allocation = { treasury = 0.5, grants = 0.3, staking_rewards = 0.2 }

[token.staking]
enabled = true
window_steps = 8
reward_tokens_per_window = 1000

[speculators]
enabled = true
noise_usd_sd = 300
momentum = 1.0
momentum_scale_usd = 1000
genesis_share = 0.02

[[providers.initial]]
count = 6
category = "chat"
price = 0.004
capacity = 300
[[providers.initial]]
count = 2
category = "chat"
price = 0.15
quote_currency = "token"
capacity_mode = "on_demand"
[[providers.initial]]
count = 3
category = "embed"
price = 0.001
capacity = 800
[[providers.initial]]
count = 2
category = "agent"
price = 0.012
capacity = 100

[exchange]
fee_rate = 0.003
pool_usd = 50000.0
"#;

/// Parses, overrides and resolves scenario text.
pub fn resolve(text: &str, overrides: &[&str]) -> Scenario {
    let sets: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let s = scenario::from_str_with_overrides(text, "test", &sets).expect("scenario parses");
    scenario::resolve(s, mindmarket_sim::VERSION, "test").expect("scenario resolves")
}

/// Runs every step on `threads` workers; returns the rows and the final digest.
pub fn run(s: &Scenario, threads: usize) -> (Vec<StepMetrics>, u64, Vec<u64>) {
    let mut sim = Simulation::new(s, threads).expect("simulation builds");
    let mut rows = Vec::new();
    let mut digests = Vec::new();
    while !sim.finished() {
        rows.push(sim.step().expect("step runs"));
        digests.push(sim.state_digest());
    }
    (rows, sim.state_digest(), digests)
}
