//! Pricing rules in the engine: every registered rule runs in a small busy scenario with tokens
//! conserved, and two analytic cases of MODEL.md §8 hold: V3 (Bertrand with equal costs:
//! `undercut_lowest` drives both prices to marginal cost) and V5 (logit best responses converge to
//! the differentiated-Bertrand equilibrium p* = c + μN/(N − 1)).

use mindmarket_sim::policy::pricing::PricingRule;
use mindmarket_sim::{Scenario, Simulation, scenario};

fn resolve(text: &str) -> Scenario {
    let s =
        scenario::from_str(text, "pricing_rules.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    scenario::resolve(s, mindmarket_sim::VERSION, "pricing_rules")
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A small scenario with `rule` on the incumbent (`fixed` for `surge` and `subscription`, which an
/// incumbent cannot use) and on platform groups of every kind (reserved,
/// on demand unless the rule is `surge`, token-quoted, composite).
fn busy(rule: &str) -> String {
    // `call_auction` and `subscription` offerings must quote in USD.
    let (quote, token_price) = if rule == "call_auction" || rule == "subscription" {
        ("usd", 0.003)
    } else {
        ("token", 0.15)
    };
    let on_demand = if rule == "surge" {
        "reserved"
    } else {
        "on_demand"
    };
    format!(
        r#"
schema_version = 1
[run]
seed = 11
steps = 20
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
recipe = {{ chat = 2, embed = 1 }}
[[segments]]
name = "dev"
size = 300
jobs_per_step = 0.8
requests_per_job_median = 40
token_onboarding_cost_usd = 5
initial_aware_share = 0.7
value_dist = {{ kind = "uniform_quantiles", min = 0.5, max = 1.5 }}
[[segments]]
name = "ent"
size = 80
value_multiplier = 2.0
jobs_per_step = 1.5
requests_per_job_median = 200
choice_model = "max_utility"
initial_aware_share = 0.5
token_onboarding_cost_usd = 20
budget_usd_per_step = 3.0
[platform]
buyer_fee_rate = 0.01
seller_fee_rate = 0.03
fee_burn_share = 0.5
search_results_k = 3
[incumbent]
name = "big"
pricing = {{ kind = "{inc_rule}" }}
[pricing]
price_cap_usd = 0.2
[providers]
fixed_cost_usd_per_step = 0.2
[[providers.initial]]
count = 3
category = "chat"
price = 0.004
capacity = 300
pricing = {{ kind = "{rule}" }}
[[providers.initial]]
count = 2
category = "chat"
price = {token_price}
quote_currency = "{quote}"
capacity_mode = "{on_demand}"
pricing = {{ kind = "{rule}" }}
[[providers.initial]]
count = 2
category = "embed"
price = 0.001
capacity = 800
pricing = {{ kind = "{rule}" }}
[[providers.initial]]
count = 2
category = "agent"
price = 0.012
capacity = 100
pricing = {{ kind = "{rule}" }}
[exchange]
fee_rate = 0.003
pool_usd = 50000.0
"#,
        inc_rule = if rule == "surge" || rule == "subscription" {
            "fixed"
        } else {
            rule
        },
    )
}

#[test]
fn every_rule_runs_with_tokens_conserved() {
    for rule in PricingRule::examples() {
        let s = resolve(&busy(rule.kind()));
        let mut sim = Simulation::new(&s, 1).expect("simulation builds");
        for step in 0..20 {
            sim.step()
                .unwrap_or_else(|e| panic!("{}: step {step}: {e}", rule.kind()));
            assert_eq!(sim.ledger.token_error(), 0, "{}: step {step}", rule.kind());
            for (j, &p) in sim.world.offerings.price.iter().enumerate() {
                assert!(
                    p.is_finite() && p >= 0.0,
                    "{}: offering {j} price {p}",
                    rule.kind()
                );
            }
        }
        let o = &sim.world.offerings;
        assert!(
            o.rule.iter().filter(|r| r.kind() == rule.kind()).count() >= 9,
            "{}",
            rule.kind()
        );
    }
}

#[test]
fn surge_on_demand_is_a_scenario_error() {
    let text = busy("surge").replace(
        "capacity_mode = \"reserved\"",
        "capacity_mode = \"on_demand\"",
    );
    let s = scenario::from_str(&text, "t.toml").unwrap();
    let e = scenario::resolve(s, mindmarket_sim::VERSION, "t")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("providers.initial[1].pricing.kind") && e.contains("reserved capacity"),
        "{e}"
    );
}

#[test]
fn rule_parameters_and_bounds_are_range_checked() {
    let err = |text: String| {
        let s = scenario::from_str(&text, "t.toml").unwrap();
        scenario::resolve(s, mindmarket_sim::VERSION, "t")
            .unwrap_err()
            .to_string()
    };
    let e = err(busy("cost_plus").replacen(
        "{ kind = \"cost_plus\" }",
        "{ kind = \"cost_plus\", markup = 9.0 }",
        2,
    ));
    // The incumbent's rule is checked first (incumbents are validated before provider groups).
    assert!(
        e.contains("incumbent.pricing.markup") && e.contains("in [0, 5]"),
        "{e}"
    );
    let e = err(busy("fixed").replace(
        "price_cap_usd = 0.2",
        "price_cap_usd = 0.2\nprice_floor_usd = 0.3",
    ));
    assert!(
        e.contains("pricing.price_floor_usd") && e.contains("<= price_cap_usd"),
        "{e}"
    );
    let e = err(busy("fixed").replace("price_cap_usd = 0.2", "epsilon_margin_usd = -1.0"));
    assert!(e.contains("pricing.epsilon_margin_usd"), "{e}");
}

/// MODEL.md §8's neutral baseline with one segment of one-request jobs, no incumbent, no entry.
fn neutral(segment: &str, groups: &str, steps: u32) -> String {
    format!(
        r#"
schema_version = 1
[run]
seed = 3
steps = {steps}
[[categories]]
name = "x"
base_value_usd = 0.02
[[segments]]
name = "s"
size = 2000
jobs_per_step = 1.0
requests_per_job_median = 1
requests_per_job_sigma = 0.0
quality_weight_usd = 0.0
reputation_weight_usd = 0.0
switching_cost_usd = 0.0
initial_aware_share = 1.0
{segment}
[adoption]
adoption_rule = "immediate"
deboard_after_steps = 0
deboard_satisfaction = 0.0
[network_effects]
same_side_weight_usd = 0.0
cross_side_weight_usd = 0.0
[platform]
gas_per_channel_op_usd = 0.0
rating_noise = 0.0
failure_rate = 0.0
[providers]
learning_exponent = 0.0
on_demand_premium = 0.0
fixed_cost_usd_per_step = 0.0
exit_patience_steps = 0
{groups}
[developers]
developer_pool = 0
[exchange]
fee_rate = 0.0
"#
    )
}

fn group(price: f64, rule: &str) -> String {
    format!(
        r#"
[[providers.initial]]
count = 1
category = "x"
q0_min = 0.5
q0_max = 0.5
price = {price}
capacity_mode = "on_demand"
marginal_cost_usd = 0.002
pricing = {rule}
"#
    )
}

/// V3: Bertrand with equal costs. From p₀ = (0.010, 0.012), `undercut_lowest` with tick 1e-4
/// brings both prices into [c, c + tick] by step 100 and keeps them there.
#[test]
fn v3_bertrand_prices_reach_marginal_cost() {
    let c = 0.002;
    let tick = 1e-4;
    let rule = format!("{{ kind = \"undercut_lowest\", tick = {tick} }}");
    let groups = group(0.010, &rule) + &group(0.012, &rule);
    let s = resolve(&neutral("choice_model = \"max_utility\"", &groups, 120));
    let mut sim = Simulation::new(&s, 2).unwrap();
    let mut reached = None;
    for step in 0..120u32 {
        sim.step().unwrap();
        assert_eq!(sim.ledger.token_error(), 0);
        let p = &sim.world.offerings.price;
        let inside = p.iter().all(|&x| (c..=c + tick).contains(&x));
        if inside && reached.is_none() {
            reached = Some(step);
        }
        if step >= 99 {
            assert!(inside, "step {step}: prices {p:?}");
        }
    }
    let reached = reached.unwrap();
    assert!(reached < 100, "reached at step {reached}");
    eprintln!(
        "V3: both prices in [c, c + tick] from step {reached}: {:?}",
        sim.world.offerings.price
    );
}

/// V5: differentiated Bertrand with logit demand. Three symmetric offerings, c = 0.002, μ = 0.001,
/// no outside option, `logit_best_response`: every price within 0.5 % of 0.0035 after 200 steps.
#[test]
fn v5_logit_best_responses_reach_the_nash_price() {
    let rule = "{ kind = \"logit_best_response\" }";
    let groups = group(0.005, rule) + &group(0.008, rule) + &group(0.0025, rule);
    let seg = "choice_model = \"logit\"\nlogit_scale_usd = 0.001\noutside_option = false";
    let s = resolve(&neutral(seg, &groups, 200));
    let mut sim = Simulation::new(&s, 2).unwrap();
    for _ in 0..200 {
        sim.step().unwrap();
        assert_eq!(sim.ledger.token_error(), 0);
    }
    let want = 0.002 + 0.001 * 3.0 / 2.0;
    for &p in &sim.world.offerings.price {
        assert!((p / want - 1.0).abs() <= 0.005, "price {p} vs {want}");
    }
    eprintln!(
        "V5: prices after 200 steps {:?} (expected {want})",
        sim.world.offerings.price
    );
}

/// V4 (demand module): one offering facing N customers with values v_i = 0.02 (i + 0.5)/N and an
/// outside option; `monopoly_oracle` posts the discrete optimum, `profit_hill_climb` from 0.005
/// ends within 1 % of p* = (v_max + c)/2 = 0.011 after 2 000 steps.
fn v4(n: u32, rule: &str, steps: u32) -> Simulation {
    let seg = format!(
        "size = {n}\nchoice_model = \"max_utility\"\nvalue_dist = {{ kind = \"uniform_quantiles\", min = 0.0, max = 1.0 }}"
    );
    let text = neutral(&seg, &group(0.005, rule), steps).replace("size = 2000\n", "");
    let s = resolve(&text);
    let mut sim = Simulation::new(&s, 2).unwrap();
    for _ in 0..steps {
        sim.step().unwrap();
        assert_eq!(sim.ledger.token_error(), 0);
    }
    sim
}

#[test]
fn v4_monopoly_oracle_posts_the_discrete_optimum() {
    let sim = v4(100_000, "{ kind = \"monopoly_oracle\" }", 1);
    let p = sim.world.offerings.price[0];
    assert!((p / 0.0110001 - 1.0).abs() < 1e-12, "{p}");
    // The marginal customer (k = 55 000, indifferent) buys: Q = 45 000.
    assert_eq!(sim.last_step().served[0], 45_000);
}

#[test]
fn v4_profit_hill_climb_finds_the_monopoly_price() {
    let sim = v4(10_000, "{ kind = \"profit_hill_climb\" }", 2000);
    let p = sim.world.offerings.price[0];
    assert!((p / 0.011 - 1.0).abs() <= 0.01, "{p}");
    eprintln!("V4: profit_hill_climb after 2000 steps: {p} (p* = 0.011)");
}
