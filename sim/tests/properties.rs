//! Property tests on random small scenarios: tokens and fiat are conserved exactly at every step,
//! no balance that must stay non-negative goes negative, fills never exceed capacity, and request
//! shares sum to one.

mod common;

use mindmarket_sim::ledger::Account;
use mindmarket_sim::state::NONE;
use mindmarket_sim::{Simulation, scenario};
use proptest::prelude::*;

#[allow(clippy::too_many_arguments)]
fn scenario_text(
    customers: u32,
    providers: u32,
    steps: u32,
    buyer_fee: f64,
    seller_fee: f64,
    burn: f64,
    price: f64,
    capacity: u64,
    token_quote: bool,
    pro_rata: bool,
    pool_usd: f64,
    hold: u32,
    composite: bool,
    mech: (u8, bool, bool, bool, bool),
) -> String {
    let (model, emission, staking, speculators, gateway) = mech;
    let model = ["cpmm", "log_impact", "exogenous"][model as usize % 3];
    format!(
        r#"
[run]
steps = {steps}
[engine]
rationing = "{rationing}"
[[categories]]
name = "a"
[[categories]]
name = "b"
base_value_usd = 0.01
[[categories]]
name = "c"
base_value_usd = 0.06
tokens_per_request = 4000
recipe = {{ a = 2, b = 1 }}
[[segments]]
name = "s"
size = {customers}
jobs_per_step = 0.8
requests_per_job_median = 30
token_onboarding_cost_usd = 1
initial_aware_share = 0.8
uses_gateway = {gateway}
[adoption]
adoption_rule = "immediate"
deboard_after_steps = 5
[platform]
buyer_fee_rate = {buyer_fee}
seller_fee_rate = {seller_fee}
fee_burn_share = {burn}
[incumbent]
[providers]
provider_hold_steps = {hold}
exit_patience_steps = 6
[[providers.initial]]
count = {providers}
category = "a"
price = {price}
capacity = {capacity}
quote_currency = "{quote}"
[[providers.initial]]
count = 2
category = "b"
price = 0.002
capacity = {capacity}
[[providers.initial]]
count = {composites}
category = "c"
price = 0.02
capacity = {capacity}
[exchange]
pool_usd = {pool_usd}
model = "{model}"
vol_per_year = 0.5
[token.emission]
schedule = "{schedule}"
period_steps = 3
first_tranche_tokens = 1e5
[token.staking]
enabled = {staking}
window_steps = 4
reward_tokens_per_window = 100
[speculators]
enabled = {speculators}
noise_usd_sd = 500
momentum = 1
genesis_share = 0.01
[developers]
developer_pool = 50
initial_aware_devs = 50
outside_wage_usd = 0
entry_cost_usd = 0
entry_review_steps = 2
"#,
        schedule = if emission { "geometric" } else { "none" },
        rationing = if pro_rata { "pro_rata" } else { "lottery" },
        quote = if token_quote { "token" } else { "usd" },
        composites = composite as u32,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_small_scenarios_conserve_money_and_respect_capacity(
        customers in 1u32..300,
        providers in 1u32..10,
        steps in 1u32..20,
        buyer_fee in 0.0f64..0.1,
        seller_fee in 0.0f64..0.2,
        burn in 0.0f64..1.0,
        price in 0.0005f64..0.05,
        capacity in 1u64..400,
        token_quote in any::<bool>(),
        pro_rata in any::<bool>(),
        pool_usd in 1_000.0f64..1e7,
        hold in 1u32..4,
        composite in any::<bool>(),
        seed in 0u64..1000,
        mech in (0u8..3, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    ) {
        let text = scenario_text(customers, providers, steps, buyer_fee, seller_fee, burn, price, capacity, token_quote, pro_rata, pool_usd, hold, composite, mech);
        let s = scenario::from_str(&text, "prop").unwrap();
        let mut s = scenario::resolve(s, mindmarket_sim::VERSION, "prop").unwrap();
        s.run.seed = seed;
        let mut sim = Simulation::new(&s, 2).unwrap();
        let genesis = sim.ledger.total_supply();
        while !sim.finished() {
            let m = sim.step().expect("no step fails: conservation and sign checks run inside");
            prop_assert_eq!(m.conservation_error_tokens, 0);
            prop_assert_eq!(m.conservation_error_usd, 0);
            prop_assert_eq!(sim.ledger.token_error(), 0);
            prop_assert_eq!(sim.ledger.usd_error(), 0);
            // Supply changes only by the recorded mints and burns.
            prop_assert_eq!(sim.ledger.total_supply(), genesis + sim.ledger.minted() - sim.ledger.burned());
            prop_assert!(sim.ledger.check(m.step).is_ok());
            for a in [Account::Treasury, Account::Pool, Account::Passive, Account::GrantsPool, Account::StakingRewards, Account::PassiveStake, Account::Speculators] {
                prop_assert!(sim.ledger.tokens(a) >= 0 && sim.ledger.usd(a) >= 0);
            }
            prop_assert!(sim.ledger.customer_tokens().iter().all(|&b| b >= 0));
            // Fills never exceed the step's capacity for end customers plus B2B grants.
            let buf = sim.last_step();
            // (Entrants of this step have no slots in the step's buffers.)
            let mut filled = vec![0u64; buf.capacity_now.len()];
            for f in &buf.fills {
                filled[f.offering as usize] += f.n as u64;
            }
            for (j, &f) in filled.iter().enumerate() {
                let cap = buf.capacity_now[j];
                prop_assert!(cap == u64::MAX || f + buf.granted_out[j] <= cap, "offering {} filled {} + granted {} > capacity {}", j, f, buf.granted_out[j], cap);
            }
            for job in &buf.jobs {
                prop_assert!(job.served + job.remaining <= job.n);
                prop_assert!(job.choice != NONE || job.served == 0);
            }
            let req = m.requests_platform + m.requests_incumbent;
            if req > 0 {
                let inc_share = m.requests_incumbent as f64 / req as f64;
                prop_assert!((m.platform_share_requests + inc_share - 1.0).abs() < 1e-12);
            }
            prop_assert!(m.token_price_usd.is_finite() && m.token_price_usd > 0.0);
        }
    }
}
