//! Go-to-market strategies (MODEL.md §7.13) in the engine: every registered strategy round-trips
//! through scenario TOML and keeps tokens and fiat conserved when switched on in a small scenario;
//! budgets and the treasury are enforced (a strategy that cannot pay stops and is reported, never a
//! panic); the per-step cap scales outlays; arms select strategies; subsidies settle exactly; the
//! documentation names every strategy and key; results do not depend on the thread count.

mod common;

use common::{TINY, resolve, run};
use mindmarket_sim::ledger::{Account, Flow};
use mindmarket_sim::policy::gtm::GtmPolicy;
use mindmarket_sim::{Scenario, Simulation, StepMetrics, scenario};

/// TINY with treasury cash, a longer run, and `policies` (inline TOML tables, comma-separated).
fn with(policies: &str, extra: &[&str]) -> Scenario {
    let mut sets = vec![
        "run.steps=60".to_string(),
        "token.treasury_usd=20000".to_string(),
        format!("gtm.policies=[{policies}]"),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = sets.iter().map(|s| s.as_str()).collect();
    resolve(TINY, &refs)
}

/// Runs to the end; checks conservation and finite, non-negative prices every step.
fn run_checked(s: &Scenario) -> (Vec<StepMetrics>, Simulation) {
    let mut sim = Simulation::new(s, 2).expect("builds");
    let mut rows = Vec::new();
    while !sim.finished() {
        let m = sim.step().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (m.conservation_error_tokens, m.conservation_error_usd),
            (0, 0)
        );
        assert!(m.token_price_usd.is_finite() && m.token_price_usd > 0.0);
        for (j, &p) in sim.world.offerings.price.iter().enumerate() {
            assert!(p.is_finite() && p >= 0.0, "offering {j} price {p}");
        }
        rows.push(m);
    }
    (rows, sim)
}

fn inline(p: &GtmPolicy) -> String {
    toml::Value::try_from(p).unwrap().to_string()
}

#[test]
fn every_strategy_round_trips_and_conserves_tokens() {
    // TINY's categories are chat, embed, agent: name them in the studio's recipe.
    for p in GtmPolicy::examples() {
        let mut p = p;
        if let GtmPolicy::Studio(st) = &mut p {
            st.studio_recipe = [("chat".to_string(), 1), ("embed".to_string(), 2)].into();
        }
        if let GtmPolicy::DemandFirst(d) = &mut p {
            d.target_segments = vec!["ent".to_string()];
            d.open_supply_step = 20;
            d.inhouse_cost_usd_per_step = 50.0;
        }
        if let GtmPolicy::Rfai(r) = &mut p {
            r.every_steps = 10;
            r.submission_steps = 15;
            r.min_quality = 0.0;
        }
        if let GtmPolicy::Accelerator(a) = &mut p {
            a.cohort_every_steps = 20;
            a.cohort_size = 3;
            a.vesting_steps = 10;
        }
        let s = with(&inline(&p), &[]);
        assert_eq!(s.gtm.policies.len(), 1, "{}", p.kind());
        // The resolved scenario round-trips through TOML.
        let text = scenario::to_toml(&s);
        let back = scenario::from_str(&text, "resolved").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, s, "{}", p.kind());
        let (rows, sim) = run_checked(&s);
        // Something happened for the strategies that spend.
        let spent: f64 = rows.iter().map(|m| m.gtm_spend_usd).sum();
        match p.kind() {
            "fee_holiday" | "studio" => assert_eq!(spent, 0.0, "{}", p.kind()),
            "workshops" => {}
            "rfai" => assert!(sim.gtm_events().iter().any(|e| e.event == "bounty_posted")),
            kind => assert!(spent > 0.0, "{kind} spent nothing"),
        }
        assert!(
            (rows.last().unwrap().gtm_spend_cum_usd - spent).abs() < 1e-6 * spent.max(1.0),
            "{}",
            p.kind()
        );
        let _ = sim;
    }
}

#[test]
fn a_budget_larger_than_the_treasury_stops_cleanly_and_is_reported() {
    // The treasury holds 100 tokens; seed grants of 1e6 tokens each cannot be paid.
    let s = with(
        "{ kind = \"supply_first\", seed_providers_per_category = 2, seed_grant_tokens = 1e6, budget_tokens = 1e9 }",
        &[
            "token.treasury_share=0.0000001",
            "token.emission.schedule=\"none\"",
        ],
    );
    let (rows, sim) = run_checked(&s);
    let ev = sim.gtm_events();
    assert!(
        ev.iter()
            .any(|e| e.event == "treasury_exhausted" && e.kind == "supply_first"),
        "{ev:?}"
    );
    assert_eq!(rows.iter().map(|m| m.gtm_stops).sum::<u32>(), 1);
    // It paid what there was at step 0 (nothing: the treasury's share rounds to 0 ppm).
    assert_eq!(sim.world.gtm.rt[0].spent.tokens, 0);
    assert_eq!(sim.world.gtm.rt[0].stopped, Some(0));
}

/// A binding USD budget records `budget_exhausted`; unpayable salaries stop the strategy.
#[test]
fn a_binding_usd_budget_is_reported() {
    // A USD budget that binds: at TINY's 0.0005 USD per token a 60 000-token grant is worth 30
    // USD, so the second seeded firm gets 20 USD of its grant, then the strategy stops.
    let s = with(
        "{ kind = \"supply_first\", seed_providers_per_category = 2, seed_grant_tokens = 60000, budget_usd = 50 }",
        &[],
    );
    let (_, sim) = run_checked(&s);
    let e = sim
        .gtm_events()
        .iter()
        .find(|e| e.event == "budget_exhausted")
        .expect("budget event");
    assert_eq!(e.step, 0);
    let spent = sim.world.gtm.rt[0].spent.usd_nano;
    assert!(spent <= 50_000_000_000 && spent > 45_000_000_000, "{spent}");

    // Salaries the treasury can never pay (no cash, no sells): the strategy stops after
    // `unpaid_stop_steps`, its obligations are cancelled and the in-house firms exit.
    let s = with(
        "{ kind = \"demand_first\", inhouse_teams = 2, target_segments = [\"ent\"] }",
        &[
            "token.treasury_usd=0",
            "token.treasury_max_sell_share_per_step=0",
            "gtm.unpaid_stop_steps=10",
        ],
    );
    let (rows, sim) = run_checked(&s);
    let ev = sim.gtm_events();
    assert!(
        ev.iter().any(|e| e.event == "unpaid_stop" && e.step == 10),
        "{ev:?}"
    );
    assert!(ev.iter().any(|e| e.event == "funding_ended"), "{ev:?}");
    assert_eq!(rows.last().unwrap().inhouse_providers, 0);
    assert_eq!(rows.last().unwrap().obligations_queued_usd, 0.0);
}

#[test]
fn salaries_are_paid_from_treasury_sells_when_cash_runs_out() {
    let s = with(
        "{ kind = \"demand_first\", inhouse_teams = 2, target_segments = [\"ent\"], inhouse_cost_usd_per_step = 20 }",
        &[
            "token.treasury_usd=0",
            "token.treasury_max_sell_share_per_step=0.01",
        ],
    );
    let (rows, sim) = run_checked(&s);
    assert!(rows.iter().any(|m| m.treasury_sell_tokens > 0.0));
    let paid: f64 = rows.iter().map(|m| m.obligations_paid_usd).sum();
    // 2 teams × 20 USD × 60 steps; sells pay with a one-step lag (P7 before P8) at most.
    assert!(paid > 0.9 * 2.0 * 20.0 * 60.0, "{paid}");
    assert!(sim.gtm_events().iter().all(|e| e.event != "unpaid_stop"));
    assert_eq!(rows[0].inhouse_providers, 2);
}

#[test]
fn the_step_cap_scales_outlays_pro_rata() {
    // Two airdrops of 1e6 tokens at step 0 (≈ 20 000 USD each at 0.0005 USD/token... priced by the
    // pool) under a cap far below: both are scaled by the same factor.
    let s = with(
        "{ kind = \"airdrop\", tokens_total = 1e6, recipients = \"random_customers\", recipients_count = 10, sell_share = 0 }, \
         { kind = \"airdrop\", tokens_total = 3e6, recipients = \"random_customers\", recipients_count = 10, sell_share = 0 }",
        &["gtm.gtm_budget_usd_per_step=100"],
    );
    let (rows, sim) = run_checked(&s);
    assert!(sim.gtm_events().iter().any(|e| e.event == "cap_scaled"));
    assert!(
        rows[0].gtm_spend_usd <= 100.0 + 1e-9,
        "{}",
        rows[0].gtm_spend_usd
    );
    assert!(rows[0].gtm_spend_usd > 99.0, "{}", rows[0].gtm_spend_usd);
    let a = sim.world.gtm.rt[0].spent.tokens;
    let b = sim.world.gtm.rt[1].spent.tokens;
    assert!((b as f64 / a as f64 - 3.0).abs() < 1e-3, "{a} {b}");
}

#[test]
fn arms_select_strategies() {
    let p = "{ kind = \"airdrop\", tokens_total = 1e6, arms = [\"x\"] }, { kind = \"liquidity\", usd = 100, arms = [\"y\"] }";
    let s = with(p, &["gtm.arm=\"y\""]);
    let (rows, _) = run_checked(&s);
    assert_eq!(rows.iter().map(|m| m.airdrop_tokens).sum::<f64>(), 0.0);
    assert!(rows[0].gtm_spend_usd >= 100.0);
    let e = scenario::from_str_with_overrides(
        TINY,
        "t",
        &[format!("gtm.policies=[{p}]"), "gtm.arm=\"z\"".into()],
    )
    .and_then(|s| scenario::resolve(s, "t", "t"))
    .unwrap_err();
    assert_eq!(e.key_path, "gtm.arm");
}

#[test]
fn subsidies_settle_exactly_and_the_gross_is_accounted() {
    let s = with(
        "{ kind = \"subsidy\", subsidy_share = 0.3, free_calls_per_new_customer = 20, free_call_payer = \"treasury\" }",
        &[],
    );
    let mut sim = Simulation::new(&s, 2).unwrap();
    let mut subsidy = 0.0;
    while !sim.finished() {
        let m = sim.step().unwrap();
        let f = sim.last_flows();
        // Σ gross = provider receipts from customers + seller fees + the treasury's part of the gross.
        let gross = f.tokens[Flow::Payment as usize]
            + f.tokens[Flow::Fee as usize]
            + f.tokens[Flow::Subsidy as usize];
        assert_eq!(
            (m.gmv_platform_tokens * 1e8).round() as i128,
            gross,
            "step {}",
            m.step
        );
        assert_eq!(
            (m.subsidy_tokens * 1e8).round() as i128,
            f.tokens[Flow::Subsidy as usize]
        );
        subsidy += m.subsidy_tokens;
        assert_eq!(
            (m.conservation_error_tokens, m.conservation_error_usd),
            (0, 0)
        );
    }
    assert!(subsidy > 0.0);
    assert!(sim.world.gtm.free_calls_left.iter().any(|&x| x < 20));
}

#[test]
fn fee_holiday_waives_fees_in_its_window_only() {
    let s = with("{ kind = \"fee_holiday\", end_step = 20 }", &[]);
    let (rows, _) = run_checked(&s);
    assert!(rows[..20].iter().all(|m| m.platform_fee_tokens == 0.0));
    assert!(rows[20..].iter().any(|m| m.platform_fee_tokens > 0.0));
}

#[test]
fn buyback_burns_and_liquidity_deepens_the_pool() {
    let s = with(
        "{ kind = \"buyback_and_burn\", usd_per_step = 10 }, { kind = \"liquidity\", step = 5, usd = 5000, tokens = 1e6 }",
        &[
            "token.emission.schedule=\"none\"",
            "platform.fee_burn_share=0",
        ],
    );
    let (rows, _) = run_checked(&s);
    let burned: f64 = rows.iter().map(|m| m.buyback_burned_tokens).sum();
    assert!(burned > 0.0);
    assert!((rows.last().unwrap().burned_cum - burned).abs() < 1e-6);
    let per_step: f64 = rows.iter().map(|m| m.burned_tokens).sum();
    assert!(
        (per_step - burned).abs() < 1e-6,
        "burned_tokens counts the buyback"
    );
    assert!(rows[5].pool_usd > rows[4].pool_usd + 4000.0);
}

#[test]
fn studio_conversion_routes_tokens_by_use() {
    for (use_, check) in [("burn", 0), ("treasury", 1), ("hold", 2)] {
        let s = with(
            &format!(
                "{{ kind = \"studio\", revenue_usd_per_step = 100, growth_per_year = 0, token_conversion_share = 0.5, platform_spend_share = 0, token_use = \"{use_}\" }}"
            ),
            &[
                "token.emission.schedule=\"none\"",
                "platform.fee_burn_share=0",
            ],
        );
        let (rows, sim) = run_checked(&s);
        let bought: f64 = rows.iter().map(|m| m.studio_buy_usd).sum();
        assert!((bought - 50.0 * 60.0).abs() < 1.0, "{use_}: {bought}");
        match check {
            0 => {
                // The studio's burn shows in the per-step column, and the steps add up to the
                // cumulative count (no fee burn here).
                let per_step: f64 = rows.iter().map(|m| m.burned_tokens).sum();
                let cum = rows.last().unwrap().burned_cum;
                assert!(
                    cum > 0.0 && (per_step - cum).abs() < 1e-6,
                    "{per_step} vs {cum}"
                );
                assert!(rows.iter().all(|m| m.fee_burned_tokens == 0.0));
            }
            1 => assert!(rows.last().unwrap().studio_tokens == 0.0),
            _ => assert!(sim.ledger.tokens(Account::Studio) > 0),
        }
    }
    // `spend`: the studio buys platform services (B2B GMV from outside the platform's composites).
    let s = with(
        "{ kind = \"studio\", revenue_usd_per_step = 200, token_use = \"spend\", studio_recipe = { chat = 1 } }",
        &[],
    );
    let (rows, _) = run_checked(&s);
    assert!(rows.iter().map(|m| m.gmv_b2b_usd).sum::<f64>() > 0.0);
}

#[test]
fn accelerator_grants_vest_and_grantees_sell() {
    let s = with(
        "{ kind = \"accelerator\", cohort_every_steps = 100, cohort_size = 2, grant_tokens = 1000, vesting_steps = 10, grantee_sell_share = 1.0, platform_spend_share = 0.0 }",
        &[],
    );
    let (rows, sim) = run_checked(&s);
    // 2 × 1000 tokens vest over 10 steps: all released, all sold (in the step after vesting).
    assert_eq!(rows[0].vesting_tokens, 2.0 * 900.0);
    assert_eq!(rows[12].vesting_tokens, 0.0);
    let sold: f64 = rows.iter().map(|m| m.grantee_sell_tokens).sum();
    // Forced sales to cover negative cash may take some of them first.
    assert!(sold > 1500.0 && sold <= 2000.0 + 1e-6, "{sold}");
    assert!(!sim.world.gtm.visibility.is_empty());
}

#[test]
fn bounties_go_to_qualifying_entrants_or_back_to_the_treasury() {
    let s = with(
        "{ kind = \"rfai\", every_steps = 10, bounties = 3, bounty_tokens = 5000, submission_steps = 12, min_quality = 0.0 }",
        &["developers.entry_review_steps=2"],
    );
    let (rows, sim) = run_checked(&s);
    let ev = sim.gtm_events();
    assert!(ev.iter().any(|e| e.event == "bounty_posted"), "{ev:?}");
    assert!(
        ev.iter()
            .any(|e| e.event == "bounty_awarded" || e.event == "bounty_refunded")
    );
    // Open bounties are held outside circulation and never lost.
    assert!(rows.iter().any(|m| m.bounty_tokens > 0.0));
}

#[test]
fn strategies_are_deterministic_across_thread_counts() {
    let s = with(
        "{ kind = \"subsidy\", subsidy_share = 0.1, free_calls_per_new_customer = 5 }, \
         { kind = \"studio\", revenue_usd_per_step = 200, token_use = \"spend\", conversion = \"twap\", studio_recipe = { chat = 1 } }, \
         { kind = \"accelerator\", cohort_every_steps = 15, cohort_size = 2, selection = \"random\" }, \
         { kind = \"airdrop\", tokens_total = 1e5, recipients = \"random_customers\", recipients_count = 50 }, \
         { kind = \"workshops\", every_steps = 10, attendees = 20, cost_usd_per_workshop = 50 }",
        &[],
    );
    let (a, da, _) = run(&s, 1);
    let (b, db, _) = run(&s, 3);
    assert_eq!(a, b);
    assert_eq!(da, db);
}

#[test]
fn docs_name_every_strategy_and_key() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/SCENARIOS.md"))
            .unwrap();
    for p in GtmPolicy::examples() {
        assert!(
            docs.contains(&format!("`{}`", p.kind())),
            "docs/SCENARIOS.md lacks `{}`",
            p.kind()
        );
        let text = inline(&p);
        let v: toml::Value = format!("x = {text}").parse::<toml::Table>().unwrap()["x"].clone();
        let mut keys: Vec<String> = v.as_table().unwrap().keys().cloned().collect();
        keys.extend(
            [
                "start_step",
                "end_step",
                "budget_usd",
                "budget_tokens",
                "arms",
            ]
            .map(String::from),
        );
        for k in keys {
            assert!(
                docs.contains(&format!("`{k}`")),
                "docs/SCENARIOS.md lacks `{k}` ({})",
                p.kind()
            );
        }
    }
    for v in [
        "hold",
        "treasury",
        "burn",
        "spend",
        "every_step",
        "twap",
        "skill",
        "category_gap",
        "random",
        "random_customers",
        "aware",
        "developers",
        "provider",
    ] {
        assert!(
            docs.contains(&format!("`{v}`")),
            "docs/SCENARIOS.md lacks `{v}`"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The pricing rules the engine runs (MODEL.md §7.6): subscriptions and call auctions.

#[test]
fn subscriptions_charge_fees_cap_requests_and_renew() {
    // Every chat provider sells subscriptions: 0.05 USD per step for up to 30 requests.
    let s = resolve(
        TINY,
        &[
            "run.steps=40",
            "providers.initial[0].pricing={ kind = \"subscription\", fee_usd_per_step = 0.05, cap_requests = 30, period_steps = 10 }",
            "engine.rationing=\"priority\"",
        ],
    );
    let (rows, sim) = run_checked(&s);
    assert!(rows.iter().any(|m| m.subscriptions > 0));
    let revenue: f64 = rows.iter().map(|m| m.subscription_revenue_usd).sum();
    assert!(revenue > 0.0, "{revenue}");
    // No subscriber was served more than 30 requests a step by its subscription: the fills of the
    // last step per (customer, offering) are within the cap.
    let buf = sim.last_step();
    let mut per: std::collections::BTreeMap<(u32, u32), u64> = Default::default();
    for f in &buf.fills {
        if matches!(
            sim.world.offerings.rule[f.offering as usize],
            mindmarket_sim::policy::pricing::PricingRule::Subscription(_)
        ) {
            *per.entry((buf.jobs[f.job as usize].customer, f.offering))
                .or_default() += f.n as u64;
        }
    }
    assert!(per.values().all(|&n| n <= 30), "{per:?}");
}

#[test]
fn composites_pay_subscription_suppliers_the_fee_per_included_request() {
    // End customers need only the composite category, so chat is sold only to composites (B2B).
    // The chat providers sell subscriptions (posted price 0 for subscribers): a composite is not a
    // subscriber and pays fee / cap = 0.05 / 30 USD per unit, so the chat offerings earn revenue.
    let mut o = vec![
        "run.steps=30".to_string(),
        "providers.initial[0].pricing={ kind = \"subscription\", fee_usd_per_step = 0.05, cap_requests = 30 }".into(),
        "providers.initial[1].pricing={ kind = \"subscription\", fee_usd_per_step = 0.05, cap_requests = 30 }".into(),
        "providers.initial[1].quote_currency=\"usd\"".into(),
    ];
    for k in 0..3 {
        o.push(format!("segments[{k}].needs={{ agent = 1.0 }}"));
    }
    let o: Vec<&str> = o.iter().map(String::as_str).collect();
    let s = resolve(TINY, &o);
    let (rows, sim) = run_checked(&s);
    assert!(rows.iter().any(|m| m.gmv_b2b_usd > 0.0));
    let w = &sim.world;
    let chat_revenue: f64 = (0..w.offerings.len())
        .filter(|&j| {
            w.offerings.is_platform(j)
                && matches!(
                    w.offerings.rule[j],
                    mindmarket_sim::policy::pricing::PricingRule::Subscription(_)
                )
        })
        .map(|j| w.offerings.cum_revenue_usd[j])
        .sum();
    assert!(
        chat_revenue > 0.0,
        "subscription suppliers were not paid by composites"
    );
}

#[test]
fn auction_bids_are_net_of_the_best_alternative() {
    // Deterministic customers (max utility): with an incumbent that is cheaper, no bid
    // reaches an ask (a bidder never pays more than leaves it as well off as the incumbent), and
    // the incumbent serves; with an incumbent dearer than the service is worth (its utility < 0),
    // the alternative is the outside option and the auctions clear.
    let auction_requests = |incumbent: &[&str]| {
        let mut o: Vec<String> = vec![
            "run.steps=20".into(),
            "pricing.platform_rule_override=\"call_auction\"".into(),
            "adoption.adoption_rule=\"immediate\"".into(),
            "providers.initial[1].quote_currency=\"usd\"".into(),
            "providers.initial[1].price=0.0008".into(),
            // Price is the only difference between the offerings (utility = value − price).
            "network_effects.same_side_weight_usd=0".into(),
            "network_effects.cross_side_weight_usd=0".into(),
        ];
        for k in 0..3 {
            for kv in [
                "choice_model=\"max_utility\"",
                "initial_aware_share=1.0",
                "quality_weight_usd=0",
                "reputation_weight_usd=0",
            ] {
                o.push(format!("segments[{k}].{kv}"));
            }
        }
        o.extend(incumbent.iter().map(|x| x.to_string()));
        let o: Vec<&str> = o.iter().map(String::as_str).collect();
        let s = resolve(TINY, &o);
        let (rows, _) = run_checked(&s);
        let auction: u64 = rows.iter().map(|m| m.auction_requests).sum();
        let incumbent: u64 = rows.iter().map(|m| m.requests_incumbent).sum();
        (auction, incumbent)
    };
    // The incumbent sells at 0.1 USD per 10⁶ LLM tokens (0.00015 USD a chat request), far
    // below every platform ask (0.004 for chat): the old bid m·v − φ ≈ 0.02 would clear.
    let (a, i) = auction_requests(&["incumbent.price_usd_per_1m_tokens=0.1"]);
    assert_eq!(a, 0, "bids above the incumbent's surplus cleared");
    assert!(i > 0);
    let (a, _) = auction_requests(&["incumbent.price_usd_per_1m_tokens=100"]);
    assert!(a > 0, "with a worthless incumbent the auctions clear");
}

#[test]
fn composites_pay_auction_sellers_their_ask_not_the_clearing_price() {
    // Chat clears by call auction for end customers; the composite (agent = 2 chat + 1 embed)
    // chose its chat supplier at its ask in P4 and must pay that ask, even in steps where the
    // supplier also won this step's auction at another price.
    let s = resolve(
        TINY,
        &[
            "run.steps=25",
            "providers.initial[1].pricing={ kind = \"call_auction\" }",
            "providers.initial[1].quote_currency=\"usd\"",
            "providers.initial[1].price=0.004",
            // The other chat group sells embeddings instead: chat has only the auction sellers.
            "providers.initial[0].category=\"embed\"",
            "providers.initial[0].price=0.001",
            "b2b.reservation_fee_share=0",
            "developers.developer_pool=0",
        ],
    );
    let fb_ppm = (s.platform.buyer_fee_rate * 1e6).round() as i128;
    let mut sim = Simulation::new(&s, 1).unwrap();
    let (mut checked, mut differ) = (0, 0);
    while !sim.finished() {
        sim.step().unwrap();
        let w = &sim.world;
        let buf = sim.last_step();
        let wd = buf.supply.len() / w.offerings.len().max(1);
        for j in 0..w.offerings.len() {
            let recipe: &[(u16, u32)] =
                &sim.params.categories[w.offerings.category[j] as usize].recipe;
            if !w.offerings.is_platform(j) || recipe.is_empty() || buf.served[j] == 0 {
                continue;
            }
            let (mut at_ask, mut at_clear) = (0i128, 0i128);
            for (k, &(_, u)) in recipe.iter().enumerate() {
                let (sup, _) = buf.supply[j * wd + k];
                if sup == u32::MAX || !w.offerings.is_platform(sup as usize) {
                    continue;
                }
                let units = buf.served[j] * u as u64;
                let ask = w.offerings.price[sup as usize];
                let pc = buf.clear_price.get(sup as usize).copied().unwrap_or(0.0);
                let paid = |price: f64| {
                    let g = mindmarket_sim::phases::settlement::gross_nano(units, price);
                    g + mindmarket_sim::units::mul_div_ceil(g, fb_ppm, 1_000_000)
                };
                at_ask += paid(ask);
                at_clear += paid(if pc > 0.0 { pc } else { ask });
            }
            assert_eq!(
                buf.b2b_spend_nano[j],
                at_ask,
                "composite {j} at step {}",
                sim.step_index()
            );
            checked += 1;
            differ += usize::from(at_ask != at_clear);
        }
    }
    assert!(
        checked > 0 && differ > 0,
        "checked {checked}, clearing price differed {differ}"
    );
}

#[test]
fn call_auctions_clear_at_one_price_per_category() {
    let s = resolve(
        TINY,
        &[
            "run.steps=30",
            "pricing.platform_rule_override=\"call_auction\"",
            "providers.initial[1].quote_currency=\"usd\"",
            "providers.initial[1].price=0.004",
        ],
    );
    let mut sim = Simulation::new(&s, 2).unwrap();
    let mut cleared = 0;
    while !sim.finished() {
        let m = sim.step().unwrap();
        assert_eq!(
            (m.conservation_error_tokens, m.conservation_error_usd),
            (0, 0)
        );
        cleared += m.auction_requests;
        // One clearing price per category: every seller of a category got the same price.
        let buf = sim.last_step();
        let mut by_cat: std::collections::BTreeMap<u16, f64> = Default::default();
        for (j, &pc) in buf.clear_price.iter().enumerate() {
            if pc > 0.0 {
                let c = sim.world.offerings.category[j];
                let prev = *by_cat.entry(c).or_insert(pc);
                assert_eq!(prev, pc, "step {}", m.step);
            }
        }
    }
    assert!(cleared > 0);
    // A token-quoted auction offering is a scenario error.
    let e = scenario::from_str_with_overrides(
        TINY,
        "t",
        &["providers.initial[1].pricing={ kind = \"call_auction\" }".into()],
    )
    .and_then(|s| scenario::resolve(s, "t", "t"))
    .unwrap_err();
    assert_eq!(e.key_path, "providers.initial[1].quote_currency");
}
