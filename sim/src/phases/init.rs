//! Initialization (ODD §5): customers, incumbent and platform offerings, genesis balances.

use crate::ledger::{Account, Ledger};
use crate::params::Params;
use crate::rng::{EntityKind, Purpose, Stream};
use crate::scenario::{CapacityMode, Dist, QuoteCurrency};
use crate::state::{Customers, Ecosystem, NONE, Offerings, Status, World};
use crate::units::{Price, TOKEN_UNIT, share_to_ppm, split_floor, usd_to_nano};

/// Draws from a per-customer distribution; `i` and `n` are the customer's index and the segment
/// size (for deterministic quantiles).
pub fn draw(dist: &Dist, rng: &mut Stream, i: u32, n: u32) -> f64 {
    match *dist {
        Dist::Const { value } => value,
        Dist::Uniform { min, max } => min + (max - min) * rng.uniform(),
        Dist::UniformQuantiles { min, max } => min + (max - min) * (i as f64 + 0.5) / n as f64,
        Dist::Lognormal { median, sigma } => rng.lognormal(median.ln(), sigma),
    }
}

/// Compute cost of one request-slot at t = 0 (USD), MODEL.md §7.7.
pub fn compute_cost0(p: &Params, category: usize, throughput_multiplier: f64) -> f64 {
    let pr = &p.s.providers;
    pr.gpu_hour_cost_usd * p.categories[category].tokens_per_request
        / (pr.tokens_per_second * throughput_multiplier * 3600.0)
}

/// Quality from intrinsic quality and data (power-law learning, MODEL.md §7.7).
pub fn quality(p: &Params, q_max: f64, q0: f64, data: f64) -> f64 {
    let pr = &p.s.providers;
    q_max - (q_max - q0) * (1.0 + data / pr.data_ref_requests).powf(-pr.learning_exponent)
}

/// Appends one offering with its ledger accounts and returns its id.
#[allow(clippy::too_many_arguments)]
pub fn push_offering(
    p: &Params,
    o: &mut Offerings,
    ledger: &mut Ledger,
    eco: Ecosystem,
    category: u16,
    rule: crate::policy::pricing::PricingRule,
    quote: QuoteCurrency,
    price: f64,
    q0: f64,
    data: f64,
    cost_override: Option<f64>,
    compute0: f64,
    mode: CapacityMode,
    capacity: u64,
    step: u32,
) -> u32 {
    let id = ledger.open_offering();
    let c = &p.categories[category as usize];
    o.ecosystem.push(eco);
    o.category.push(category);
    o.active.push(true);
    o.rule.push(rule);
    o.quote.push(quote);
    o.price.push(price);
    o.q0.push(q0);
    o.quality.push(quality(p, c.q_max, q0, data));
    o.data.push(data);
    o.cost_override.push(cost_override);
    o.compute_cost0_usd.push(compute0);
    o.capacity_mode.push(mode);
    o.capacity.push(if mode == CapacityMode::OnDemand {
        u64::MAX
    } else {
        capacity.max(1)
    });
    o.reputation.push(p.s.platform.reputation_default);
    o.demand_ewma.push(-1.0);
    o.profit_ewma.push(0.0);
    o.loss_steps.push(0);
    o.cum_requests.push(0);
    o.born.push(step);
    o.exited.push(u32::MAX);
    o.cum_revenue_usd.push(0.0);
    o.cum_profit_usd.push(0.0);
    let hold = p.s.providers.provider_hold_steps as usize;
    o.received_ring.extend(std::iter::repeat_n(0, hold));
    o.revenue_ring
        .extend(std::iter::repeat_n(0.0, crate::metrics::WINDOW));
    o.pending_exit_sale.push(false);
    o.founder.push(crate::state::NONE);
    o.policy_state
        .push(crate::policy::pricing::PolicyState::default());
    id
}

/// Builds the initial world and ledger.
pub fn init(p: &Params) -> (World, Ledger) {
    let s = &p.s;
    let (seed, run) = (s.run.seed, s.run.run);
    let n = p.customers as usize;
    let n_cat = p.categories.len();
    let mut ledger = Ledger::new(n);

    // Offerings: incumbents first (one per category each), then the initial platform groups.
    let mut o = Offerings::default();
    let mut incumbent_of = vec![NONE; n_cat];
    for (k, inc) in s.incumbents.iter().enumerate() {
        for (c, cat) in p.categories.iter().enumerate() {
            let price = inc.price_usd_per_1m_tokens * cat.tokens_per_request / 1e6;
            let id = push_offering(
                p,
                &mut o,
                &mut ledger,
                Ecosystem::Incumbent(k as u8),
                c as u16,
                inc.pricing.clone(),
                QuoteCurrency::Usd,
                price,
                inc.q0,
                inc.initial_data,
                inc.marginal_cost_usd,
                compute_cost0(p, c, inc.throughput_multiplier),
                CapacityMode::OnDemand,
                u64::MAX,
                0,
            );
            o.reputation[id as usize] = s.platform.reputation_default;
            if k == 0 {
                incumbent_of[c] = id;
            }
        }
    }
    for g in &s.providers.initial {
        let c = s
            .categories
            .iter()
            .position(|c| c.name == g.category)
            .unwrap_or(0);
        for _ in 0..g.count {
            let next = o.len() as u64;
            let mut r = Stream::new(seed, run, 0, EntityKind::Offering, next, Purpose::Init);
            let q0 = g.q0_min + (g.q0_max - g.q0_min) * r.uniform();
            let id = push_offering(
                p,
                &mut o,
                &mut ledger,
                Ecosystem::Platform,
                c as u16,
                super::entry::platform_rule(p, g.pricing.clone()),
                g.quote_currency,
                g.price,
                q0,
                0.0,
                g.marginal_cost_usd,
                compute_cost0(p, c, 1.0),
                g.capacity_mode,
                g.capacity,
                0,
            );
            ledger.endow_usd(Account::Offering(id), usd_to_nano(g.initial_cash_usd));
        }
    }

    // Customers, segment by segment; one Init stream per customer, drawn in a fixed order.
    let mut cu = Customers {
        n_categories: n_cat,
        last_offering: vec![NONE; n * n_cat],
        ..Customers::default()
    };
    cu.segment.reserve(n);
    for (si, (seg, sp)) in s.segments.iter().zip(&p.segments).enumerate() {
        for k in 0..sp.size {
            let i = sp.first + k;
            let mut r = Stream::new(seed, run, 0, EntityKind::Customer, i as u64, Purpose::Init);
            let v = seg.value_multiplier * draw(&seg.value_dist, &mut r, k, sp.size);
            let theta = draw(&seg.network_weight_dist, &mut r, k, sp.size);
            let aware = r.bernoulli(seg.initial_aware_share);
            let inc_user = r.bernoulli(s.adoption.initial_incumbent_users);
            cu.segment.push(si as u16);
            cu.value_mult.push(v);
            cu.theta.push(theta as f32);
            cu.status.push(if !aware {
                Status::Unaware
            } else if p.immediate_adoption {
                Status::Onboarded
            } else {
                Status::Aware
            });
            if inc_user {
                let row = &mut cu.last_offering[i as usize * n_cat..(i as usize + 1) * n_cat];
                row.copy_from_slice(&incumbent_of);
            }
        }
    }
    cu.satisfaction = vec![1.0; n];
    cu.last_platform_use = vec![0; n];
    cu.last_incumbent_use = vec![0; n];
    cu.onboarded_at = cu
        .status
        .iter()
        .map(|&s| (s == Status::Onboarded) as u32)
        .collect();
    cu.spend_ewma_usd = vec![-1.0; n];

    // Genesis: treasury, pool, passive holders (the remainder); pool and treasury fiat.
    let genesis = (s.token.genesis_supply_tokens * TOKEN_UNIT as f64).round() as i128;
    let treasury = split_floor(genesis, share_to_ppm(s.token.treasury_share));
    let pool = split_floor(genesis, share_to_ppm(s.token.pool_share));
    ledger.genesis_tokens(Account::Treasury, treasury);
    ledger.genesis_tokens(Account::Pool, pool);
    let speculators = split_floor(genesis, share_to_ppm(s.speculators.genesis_share));
    ledger.genesis_tokens(Account::Speculators, speculators);
    ledger.genesis_tokens(Account::Passive, genesis - treasury - pool - speculators);
    ledger.endow_usd(Account::Pool, usd_to_nano(s.exchange.pool_usd));
    ledger.endow_usd(Account::Treasury, usd_to_nano(s.token.treasury_usd));

    // Developers: the first `initial_aware_devs` are aware; skill ~ Beta(2, 3).
    let d = &s.developers;
    let mut developers = crate::state::Developers::default();
    for k in 0..d.developer_pool {
        let mut r = Stream::new(seed, run, 0, EntityKind::Developer, k as u64, Purpose::Init);
        developers.status.push(if k < d.initial_aware_devs {
            crate::state::DevStatus::Aware
        } else {
            crate::state::DevStatus::Unaware
        });
        developers.skill.push(r.beta(2.0, 3.0) as f32);
        developers.firm.push(NONE);
    }

    let price = Price {
        num: ledger.usd(Account::Pool),
        den: ledger.tokens(Account::Pool).max(1),
    };
    let world = World {
        customers: cu,
        offerings: o,
        step: 0,
        token_price_usd: price.usd_per_token(),
        token_price: price,
        cum_requests_platform: 0,
        cum_requests_incumbent: vec![0; s.incumbents.len()],
        // n₀ of §7.3: customers 0 … ⌊n₀N⌋ − 1 count as active platform users for the first snapshot.
        active_platform: (s.network_effects.initial_active_share * n as f64).floor() as u64,
        active_incumbent: vec![0; s.incumbents.len()],
        onboarded_by_segment: vec![0; s.segments.len()],
        category_demand_platform: vec![-1.0; n_cat],
        category_demand_onboarded: vec![-1.0; n_cat],
        escrow_release: Default::default(),
        supplier_prev: Vec::new(),
        cum_adopters_platform: 0,
        cum_adopters_incumbent: vec![0; s.incumbents.len()],
        staking_apy: 0.0,
        price_history: [price.usd_per_token(); 2],
        burned_seen: ledger.burned(),
        developers,
        gtm: Default::default(),
        subs: Default::default(),
    };
    (world, ledger)
}
