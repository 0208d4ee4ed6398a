//! P10, metrics: one typed row per step (the columns of `steps.csv`, names with units), computed
//! with integer reductions (order-independent) or sequential float sums in a fixed order. Also
//! refreshes the end-of-step aggregates that the next snapshot reads.

use rayon::prelude::*;
use serde::Serialize;

use crate::ledger::{Account, Ledger};
use crate::params::Params;
use crate::phases::{StepBuf, StepCtx};
use crate::state::{Ecosystem, NONE, Status, World};
use crate::units::{Price, TOKEN_UNIT, USD_UNIT};

/// Steps of the rolling window for revenue concentration (HHI, Gini), `concentration_window_steps`.
pub const WINDOW: usize = 30;

/// One row of `steps.csv`.
///
/// Equality compares the recorded values as written (`Debug`, the shortest round-trip form), so
/// rows with the same NaN columns (`cac_usd`, `treasury_runway_steps`) are equal.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepMetrics {
    /// Step index (0-based).
    pub step: u32,
    /// Customers aware of the platform (incl. onboarded).
    pub aware_customers: u64,
    /// Customers onboarded.
    pub onboarded_customers: u64,
    /// Newly onboarded this step.
    pub new_onboarded: u64,
    /// Deboarded this step.
    pub deboarded: u64,
    /// Deboarded / onboarded at the start of the step.
    pub churn_rate: f64,
    /// Customers with a platform request in the active window.
    pub active_customers_platform: u64,
    /// Customers with an incumbent request in the active window.
    pub active_customers_incumbent: u64,
    /// Customers active with both the platform and an incumbent.
    pub multihoming_customers: u64,
    /// Active platform offerings.
    pub active_providers: u64,
    /// Active composite platform offerings.
    pub active_composites: u64,
    /// Platform offerings that entered this step.
    pub entrants: u32,
    /// Platform offerings that exited this step.
    pub exits: u32,
    /// Categories with at least one active platform offering.
    pub categories_covered: u32,
    /// End-customer requests served by the platform.
    pub requests_platform: u64,
    /// End-customer requests served by incumbents.
    pub requests_incumbent: u64,
    /// Requests that found no capacity after the last matching round.
    pub unserved_requests: u64,
    /// Requests served but not paid (payer short).
    pub unpaid_requests: u64,
    /// Σ gross of platform jobs × batch price (USD).
    pub gmv_platform_usd: f64,
    /// Incumbent end-customer revenue (USD).
    pub gmv_incumbent_usd: f64,
    /// Composite-to-supplier purchases (USD), platform and incumbent suppliers.
    pub gmv_b2b_usd: f64,
    /// Platform end-customer gross (tokens).
    pub gmv_platform_tokens: f64,
    /// Batch clearing price (USD per token).
    pub token_price_usd: f64,
    /// Pool mid price after the batch (USD per token).
    pub token_price_mid_usd: f64,
    /// Total supply (tokens).
    pub total_supply: f64,
    /// Tokens minted since genesis.
    pub minted_cum: f64,
    /// Tokens burned since genesis.
    pub burned_cum: f64,
    /// Tokens minted this step.
    pub minted_tokens: f64,
    /// Circulating supply: total − treasury − grants pool − staking contract − vesting (tokens).
    pub circulating_supply: f64,
    /// Circulating − pool − passive holders (tokens).
    pub float_supply: f64,
    /// Treasury tokens (including the grants pool).
    pub treasury_tokens: f64,
    /// The treasury's grants pool (tokens).
    pub grants_pool_tokens: f64,
    /// Tokens staked (excluding the reward pool).
    pub staked_tokens: f64,
    /// APY of the last completed staking window.
    pub staking_apy: f64,
    /// Treasury cash (USD).
    pub treasury_usd: f64,
    /// Pool token reserve.
    pub pool_tokens: f64,
    /// Pool USD reserve.
    pub pool_usd: f64,
    /// Customer escrow (tokens).
    pub escrow_tokens: f64,
    /// Tokens burned this step, by every burn (fee burn, buyback, studio).
    pub burned_tokens: f64,
    /// Tokens burned this step by the fee burn (`burn_share` of platform fees).
    pub fee_burned_tokens: f64,
    /// Fees credited to the treasury this step (tokens).
    pub platform_fee_tokens: f64,
    /// Batch buy flow (USD).
    pub exchange_buy_usd: f64,
    /// Batch sell flow (tokens).
    pub exchange_sell_tokens: f64,
    /// Buy flow − sell flow valued at the batch price (USD).
    pub net_buy_usd: f64,
    /// Price × circulating supply (USD).
    pub market_cap_usd: f64,
    /// Price × total supply (USD).
    pub fdv_usd: f64,
    /// Speculators' buy flow (USD).
    pub speculator_buy_usd: f64,
    /// Speculators' sell flow (tokens).
    pub speculator_sell_tokens: f64,
    /// Platform share of end-customer requests (0 when there are none).
    pub platform_share_requests: f64,
    /// Platform share of end-customer revenue (0 when there is none).
    pub platform_share_revenue: f64,
    /// HHI of offerings' revenue over the window (0–10 000).
    pub hhi_offerings: f64,
    /// HHI among platform offerings only.
    pub hhi_platform: f64,
    /// HHI of firms' revenue over the window (an incumbent's offerings count as one firm).
    pub hhi_firms: f64,
    /// Gini of active platform offerings' revenue over the window (0 when it is all zero).
    pub gini_provider_revenue: f64,
    /// Service-payment token volume (incl. B2B) / circulating supply, per step.
    pub velocity: f64,
    /// Velocity × 365/step_days.
    pub velocity_annual: f64,
    /// Average holding time 1/velocity (steps; 0 when nothing is paid).
    pub holding_time_steps: f64,
    /// Share of platform end-customer requests served by composites.
    pub composite_share: f64,
    /// Realized customer surplus over the outside option (USD).
    pub customer_surplus_usd: f64,
    /// Request-weighted platform price (USD).
    pub avg_price_platform_usd: f64,
    /// Request-weighted incumbent price (USD).
    pub avg_price_incumbent_usd: f64,
    /// Request-weighted platform quality.
    pub avg_quality_platform: f64,
    /// Request-weighted incumbent quality.
    pub avg_quality_incumbent: f64,
    /// Platform providers' profit this step (USD).
    pub provider_profit_usd: f64,
    /// Incumbents' profit this step (USD).
    pub incumbent_profit_usd: f64,
    /// Fees credited to the treasury, valued at the batch price (USD).
    pub platform_fee_usd: f64,
    /// Fee income minus treasury outlays (staking rewards, go-to-market outlays), at the batch price
    /// (USD).
    pub treasury_net_usd: f64,
    /// Customer surplus + provider profit + incumbent profit + treasury net (USD).
    pub welfare_usd: f64,
    /// Gas paid by providers for channel claims (USD).
    pub gas_usd: f64,
    /// Developers aware of the platform (incl. active and exited).
    pub aware_developers: u64,
    /// Served / capacity over reserved platform offerings.
    pub utilization_avg: f64,
    /// Bad debt written off this step (USD).
    pub bad_debt_usd: f64,
    /// Go-to-market treasury outlays this step (USD): token outlays at the mid price when paid,
    /// subsidies at the batch price, USD obligations when paid, buybacks.
    pub gtm_spend_usd: f64,
    /// Cumulative go-to-market outlays (USD).
    pub gtm_spend_cum_usd: f64,
    /// Customer acquisition cost: go-to-market outlays / new onboarded customers over the last 30
    /// steps (USD; NaN when nobody onboarded).
    pub cac_usd: f64,
    /// Treasury value (cash + tokens incl. grants pool at the batch price) / mean go-to-market outlay
    /// per step over the last 30 steps (steps; NaN when there are no outlays).
    pub treasury_runway_steps: f64,
    /// Go-to-market events recorded this step (summary.json lists them).
    pub gtm_events: u32,
    /// Strategies stopped this step (budget or treasury exhausted, or unpaid obligations).
    pub gtm_stops: u32,
    /// Treasury USD obligations still queued (USD).
    pub obligations_queued_usd: f64,
    /// Treasury USD obligations paid this step (USD).
    pub obligations_paid_usd: f64,
    /// Tokens the treasury sold for its obligations.
    pub treasury_sell_tokens: f64,
    /// Tokens bought back and burned by the treasury.
    pub buyback_burned_tokens: f64,
    /// Studio licensing revenue (USD).
    pub studio_revenue_usd: f64,
    /// Studio buy orders filled: conversion and platform purchases (USD).
    pub studio_buy_usd: f64,
    /// Tokens in the studio's wallet.
    pub studio_tokens: f64,
    /// Tokens sold by accelerator grantees (their share of vested grants).
    pub grantee_sell_tokens: f64,
    /// Tokens vesting (awarded, not yet released).
    pub vesting_tokens: f64,
    /// Tokens in open RFAI bounties.
    pub bounty_tokens: f64,
    /// Subsidies, treasury-paid free calls and bonuses paid (tokens).
    pub subsidy_tokens: f64,
    /// Free requests served.
    pub free_calls: u64,
    /// Tokens airdropped.
    pub airdrop_tokens: f64,
    /// Active in-house (treasury-funded) platform offerings.
    pub inhouse_providers: u64,
    /// Active subscriptions at the end of the step.
    pub subscriptions: u64,
    /// Subscription fees and overage paid this step (USD at the batch price).
    pub subscription_revenue_usd: f64,
    /// Platform requests cleared by call auctions this step.
    pub auction_requests: u64,
    /// Σ token balances − supply (base units): always 0.
    pub conservation_error_tokens: i128,
    /// Σ fiat balances incl. the outside world (nano-USD): always 0.
    pub conservation_error_usd: i128,
    /// The step by category, in category order (written to `categories.csv`, not `steps.csv`).
    #[serde(skip)]
    pub categories: Vec<CategoryMetrics>,
}

/// One category in one step: a row of `categories.csv` (the reference's per-category shares
/// `platform_share_requests__<category>`, in long format).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CategoryMetrics {
    /// Step index (0-based).
    pub step: u32,
    /// Category name.
    pub category: String,
    /// End-customer requests served by the platform in this category.
    pub requests_platform: u64,
    /// End-customer requests served by incumbents in this category.
    pub requests_incumbent: u64,
    /// Platform share of the category's end-customer requests (0 when there are none).
    pub platform_share_requests: f64,
    /// Platform end-customer revenue in the category (posted USD price × requests).
    pub revenue_platform_usd: f64,
    /// Incumbent end-customer revenue in the category (posted USD price × requests).
    pub revenue_incumbent_usd: f64,
    /// Platform share of the category's end-customer revenue (0 when there is none).
    pub platform_share_revenue: f64,
    /// Active platform offerings in the category.
    pub active_providers: u64,
    /// Mean posted USD price of the platform's requests in the category (0 when none).
    pub mean_price_platform_usd: f64,
    /// Mean posted USD price of the incumbents' requests in the category (0 when none).
    pub mean_price_incumbent_usd: f64,
}

fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 { part / total } else { 0.0 }
}

impl PartialEq for StepMetrics {
    fn eq(&self, other: &StepMetrics) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

/// HHI Σ(100·s)² of a list of non-negative values (0 if they sum to 0).
pub fn hhi(values: &[f64]) -> f64 {
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    values.iter().map(|v| (100.0 * v / total).powi(2)).sum()
}

/// Gini G = 2Σ i·x_(i)/(nΣx) − (n + 1)/n over ascending x (i from 1); 0 if Σx = 0.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut x = values.to_vec();
    x.sort_by(f64::total_cmp);
    let weighted: f64 = x.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum();
    2.0 * weighted / (n as f64 * total) - (n as f64 + 1.0) / n as f64
}

fn tokens(b: i128) -> f64 {
    b as f64 / TOKEN_UNIT as f64
}
fn usd(n: i128) -> f64 {
    n as f64 / USD_UNIT as f64
}

/// Runs P10: the step's row; refreshes `w.active_*` and `w.onboarded_by_segment`.
#[allow(clippy::too_many_arguments)]
pub fn record(
    ctx: &StepCtx<'_>,
    p: &Params,
    w: &mut World,
    ledger: &Ledger,
    buf: &StepBuf,
    pt: Price,
    price_usd: &[f64],
    onboarded_before: u64,
) -> StepMetrics {
    let t1 = ctx.step + 1;
    let window = p.s.network_effects.active_window_steps;
    let cu = &w.customers;
    let active = |last: u32| last > 0 && t1 - last < window;
    let n_seg = p.segments.len();
    // Integer counts: parallel sums of integers are exact and order-independent.
    let (aware, active_p, active_i, multi, ever_p, ever_i) = (0..cu.len())
        .into_par_iter()
        .with_min_len(crate::phases::CHUNK)
        .map(|i| {
            let (ap, ai) = (
                active(cu.last_platform_use[i]),
                active(cu.last_incumbent_use[i]),
            );
            (
                (cu.status[i] != Status::Unaware) as u64,
                ap as u64,
                ai as u64,
                (ap && ai) as u64,
                (cu.onboarded_at[i] > 0) as u64,
                (cu.last_incumbent_use[i] > 0) as u64,
            )
        })
        .reduce(
            || (0, 0, 0, 0, 0, 0),
            |a, b| {
                (
                    a.0 + b.0,
                    a.1 + b.1,
                    a.2 + b.2,
                    a.3 + b.3,
                    a.4 + b.4,
                    a.5 + b.5,
                )
            },
        );
    let mut onboarded_by_segment = vec![0u64; n_seg];
    for (si, sp) in p.segments.iter().enumerate() {
        let r = sp.first as usize..(sp.first + sp.size) as usize;
        onboarded_by_segment[si] = cu.status[r]
            .par_iter()
            .with_min_len(crate::phases::CHUNK)
            .filter(|&&s| s == Status::Onboarded)
            .count() as u64;
    }
    let onboarded: u64 = onboarded_by_segment.iter().sum();
    let n_inc = p.s.incumbents.len();
    let mut active_incumbent = vec![0u64; n_inc];
    if n_inc == 1 {
        active_incumbent[0] = active_i;
    } else if n_inc > 1 {
        // Per-incumbent activity: a customer counts for the incumbent of its last offering in any
        // category (approximation documented in docs/MODEL.md).
        for i in 0..cu.len() {
            if !active(cu.last_incumbent_use[i]) {
                continue;
            }
            let row = &cu.last_offering[i * cu.n_categories..(i + 1) * cu.n_categories];
            if let Some(&j) = row
                .iter()
                .find(|&&j| j != NONE && !w.offerings.is_platform(j as usize))
                && let Ecosystem::Incumbent(k) = w.offerings.ecosystem[j as usize]
            {
                active_incumbent[k as usize] += 1;
            }
        }
    }

    let o = &w.offerings;
    let n_off = o.len();
    let mut m = StepMetrics {
        step: ctx.step,
        ..StepMetrics::default()
    };
    let (mut req_p, mut req_i, mut rev_p, mut rev_i) = (0u64, 0u64, 0.0, 0.0);
    let mut req_composite = 0u64;
    let (mut pw_p, mut pw_i, mut qw_p, mut qw_i) = (0.0, 0.0, 0.0, 0.0);
    let mut cats: Vec<CategoryMetrics> = p
        .categories
        .iter()
        .map(|c| CategoryMetrics {
            step: ctx.step,
            category: c.name.clone(),
            ..CategoryMetrics::default()
        })
        .collect();
    for f in &buf.fills {
        let j = f.offering as usize;
        let n = f.n as f64;
        let c = &mut cats[o.category[j] as usize];
        if o.is_platform(j) {
            c.requests_platform += f.n as u64;
            c.revenue_platform_usd += n * price_usd[j];
        } else {
            c.requests_incumbent += f.n as u64;
            c.revenue_incumbent_usd += n * price_usd[j];
        }
        if o.is_platform(j) {
            req_p += f.n as u64;
            if !p.categories[o.category[j] as usize].recipe.is_empty() {
                req_composite += f.n as u64;
            }
            pw_p += n * price_usd[j];
            qw_p += n * o.quality[j];
            rev_p += n * price_usd[j];
        } else {
            req_i += f.n as u64;
            pw_i += n * price_usd[j];
            qw_i += n * o.quality[j];
            rev_i += n * price_usd[j];
        }
    }
    let unserved: u64 = buf.jobs.iter().map(|j| j.remaining as u64).sum();
    let surplus: f64 = buf
        .jobs
        .iter()
        .map(|j| j.served as f64 * j.surplus as f64)
        .sum();
    let mut covered = vec![false; p.categories.len()];
    let (mut active_providers, mut composites, mut prof_p, mut prof_i) = (0u64, 0u64, 0.0, 0.0);
    let (mut util_served, mut util_cap) = (0u64, 0u64);
    let mut window_rev = Vec::with_capacity(n_off);
    let mut window_rev_platform = Vec::new();
    for j in 0..n_off {
        let rev: f64 = o.revenue_ring[j * WINDOW..(j + 1) * WINDOW].iter().sum();
        window_rev.push(rev);
        let profit = buf.revenue_usd.get(j).copied().unwrap_or(0.0)
            - buf.cost_usd.get(j).copied().unwrap_or(0.0);
        if o.is_platform(j) {
            prof_p += profit;
            if o.active[j] {
                active_providers += 1;
                covered[o.category[j] as usize] = true;
                cats[o.category[j] as usize].active_providers += 1;
                composites += !p.categories[o.category[j] as usize].recipe.is_empty() as u64;
                window_rev_platform.push(rev);
                // Entrants of this step have no per-step flows yet.
                let cap = buf.capacity_now.get(j).copied().unwrap_or(u64::MAX);
                if cap != u64::MAX {
                    util_served += buf.served[j];
                    util_cap += cap;
                }
            }
        } else {
            prof_i += profit;
        }
    }
    let pt_usd = pt.usd_per_token();
    let s = &buf.settle;
    let supply = ledger.total_supply();
    let treasury = ledger.tokens(Account::Treasury);
    let pool_t = ledger.tokens(Account::Pool);
    let escrow: i128 = ledger.customer_tokens().iter().sum();
    let grants = ledger.tokens(Account::GrantsPool);
    let staking = ledger.staked() + ledger.tokens(Account::StakingRewards);
    let circulating = supply
        - treasury
        - grants
        - staking
        - ledger.tokens(Account::Vesting)
        - ledger.tokens(Account::Bounties);
    let pq = s.gross_platform_tokens + s.gross_b2b_tokens;
    m.aware_customers = aware;
    m.onboarded_customers = onboarded;
    m.new_onboarded = buf.onboarded_now;
    m.deboarded = buf.deboarded.len() as u64;
    m.churn_rate = if onboarded_before > 0 {
        m.deboarded as f64 / onboarded_before as f64
    } else {
        0.0
    };
    m.active_customers_platform = active_p;
    m.active_customers_incumbent = active_i;
    m.active_providers = active_providers;
    m.active_composites = composites;
    m.entrants = buf.entrants;
    m.exits = buf.exits;
    m.categories_covered = covered.iter().filter(|&&c| c).count() as u32;
    m.requests_platform = req_p;
    m.requests_incumbent = req_i;
    m.unserved_requests = unserved;
    m.unpaid_requests = s.unpaid_requests;
    m.gmv_platform_tokens = tokens(s.gross_platform_tokens);
    m.gmv_platform_usd = m.gmv_platform_tokens * pt_usd;
    m.gmv_incumbent_usd = usd(s.incumbent_usd);
    m.gmv_b2b_usd = tokens(s.gross_b2b_tokens) * pt_usd + usd(s.b2b_incumbent_usd);
    m.token_price_usd = pt_usd;
    m.token_price_mid_usd = w.token_price.usd_per_token();
    m.total_supply = tokens(supply);
    m.circulating_supply = tokens(circulating);
    m.float_supply = tokens(circulating - pool_t - ledger.tokens(Account::Passive));
    m.treasury_tokens = tokens(treasury + grants);
    m.grants_pool_tokens = tokens(grants);
    m.staked_tokens = tokens(ledger.staked());
    m.staking_apy = w.staking_apy;
    m.minted_cum = tokens(ledger.minted());
    m.burned_cum = tokens(ledger.burned());
    m.minted_tokens = tokens(buf.minted_tokens);
    m.fdv_usd = m.total_supply * pt_usd;
    m.speculator_buy_usd = usd(buf.speculator_flow.0);
    m.speculator_sell_tokens = tokens(buf.speculator_flow.1);
    m.holding_time_steps = if pq > 0 {
        circulating as f64 / pq as f64
    } else {
        0.0
    };
    m.gas_usd = buf.gas_usd;
    m.aware_developers = w
        .developers
        .status
        .iter()
        .filter(|&&s| s != crate::state::DevStatus::Unaware)
        .count() as u64;
    m.treasury_usd = usd(ledger.usd(Account::Treasury));
    m.pool_tokens = tokens(pool_t);
    m.pool_usd = usd(ledger.usd(Account::Pool));
    m.escrow_tokens = tokens(escrow);
    m.burned_tokens = tokens(ledger.burned() - w.burned_seen);
    w.burned_seen = ledger.burned();
    m.fee_burned_tokens = tokens(s.burned_tokens);
    m.platform_fee_tokens = tokens(s.fees_tokens);
    m.exchange_buy_usd = usd(buf.exchange.buy_usd);
    m.exchange_sell_tokens = tokens(buf.exchange.sell_tokens);
    m.net_buy_usd = m.exchange_buy_usd - m.exchange_sell_tokens * pt_usd;
    m.market_cap_usd = m.circulating_supply * pt_usd;
    let req = req_p + req_i;
    m.platform_share_requests = if req > 0 {
        req_p as f64 / req as f64
    } else {
        0.0
    };
    for c in &mut cats {
        let (rp, ri) = (c.requests_platform as f64, c.requests_incumbent as f64);
        c.platform_share_requests = share(rp, rp + ri);
        c.platform_share_revenue = share(
            c.revenue_platform_usd,
            c.revenue_platform_usd + c.revenue_incumbent_usd,
        );
        c.mean_price_platform_usd = share(c.revenue_platform_usd, rp);
        c.mean_price_incumbent_usd = share(c.revenue_incumbent_usd, ri);
    }
    m.categories = cats;
    m.platform_share_revenue = if rev_p + rev_i > 0.0 {
        rev_p / (rev_p + rev_i)
    } else {
        0.0
    };
    m.hhi_offerings = hhi(&window_rev);
    m.hhi_platform = hhi(&window_rev_platform);
    let mut firms: Vec<f64> = Vec::with_capacity(n_off);
    let mut incumbent_rev = vec![0.0; p.s.incumbents.len()];
    for (j, &r) in window_rev.iter().enumerate() {
        match o.ecosystem[j] {
            Ecosystem::Platform => firms.push(r),
            Ecosystem::Incumbent(k) => incumbent_rev[k as usize] += r,
        }
    }
    firms.extend(incumbent_rev);
    m.hhi_firms = hhi(&firms);
    m.gini_provider_revenue = gini(&window_rev_platform);
    m.velocity = if circulating > 0 {
        pq as f64 / circulating as f64
    } else {
        0.0
    };
    m.velocity_annual = m.velocity * 365.0 / p.s.run.step_days;
    m.customer_surplus_usd = surplus;
    m.avg_price_platform_usd = if req_p > 0 { pw_p / req_p as f64 } else { 0.0 };
    m.avg_price_incumbent_usd = if req_i > 0 { pw_i / req_i as f64 } else { 0.0 };
    m.avg_quality_platform = if req_p > 0 { qw_p / req_p as f64 } else { 0.0 };
    m.avg_quality_incumbent = if req_i > 0 { qw_i / req_i as f64 } else { 0.0 };
    m.provider_profit_usd = prof_p;
    m.platform_fee_tokens = tokens(s.fees_tokens);
    m.platform_fee_usd = m.platform_fee_tokens * pt_usd;
    let treasury_rewards = buf.treasury_outlay_tokens;
    let g = &buf.gtm;
    m.gtm_spend_usd = usd(g.spend_nano);
    m.gtm_spend_cum_usd = w.gtm.spend_cum_usd;
    let window_spend: f64 = w.gtm.spend_ring.iter().sum();
    let window_new: u64 = w.gtm.onboarded_ring.iter().sum();
    m.cac_usd = if window_new > 0 {
        window_spend / window_new as f64
    } else {
        f64::NAN
    };
    let steps_seen = (ctx.step as usize + 1).min(crate::phases::gtm::GTM_WINDOW) as f64;
    let mean_outlay = window_spend / steps_seen;
    let treasury_value = usd(ledger.usd(Account::Treasury)) + tokens(treasury + grants) * pt_usd;
    m.treasury_runway_steps = if mean_outlay > 0.0 {
        treasury_value / mean_outlay
    } else {
        f64::NAN
    };
    m.gtm_events = g.events;
    m.gtm_stops = g.stops;
    m.obligations_queued_usd = usd(w.gtm.queued_nano());
    m.obligations_paid_usd = usd(g.obligations_paid_nano);
    m.treasury_sell_tokens = tokens(g.treasury_sell_tokens);
    m.buyback_burned_tokens = tokens(g.buyback_burned);
    m.studio_revenue_usd = usd(g.studio_revenue_nano);
    m.studio_buy_usd = usd(g.studio_buy_nano);
    m.studio_tokens = tokens(ledger.tokens(Account::Studio));
    m.grantee_sell_tokens = tokens(g.grantee_sell_tokens);
    m.vesting_tokens = tokens(ledger.tokens(Account::Vesting));
    m.bounty_tokens = tokens(ledger.tokens(Account::Bounties));
    m.subsidy_tokens = tokens(g.subsidy_tokens);
    m.free_calls = g.free_calls_used;
    m.airdrop_tokens = tokens(g.airdrop_tokens);
    m.inhouse_providers = w
        .gtm
        .inhouse
        .keys()
        .filter(|&&j| w.offerings.active[j as usize])
        .count() as u64;
    m.subscriptions = crate::phases::subscription::count(w, ctx.step);
    m.subscription_revenue_usd = tokens(buf.sub_paid_tokens) * pt_usd;
    m.auction_requests = buf
        .fills
        .iter()
        .filter(|f| {
            buf.clear_price
                .get(f.offering as usize)
                .is_some_and(|&c| c > 0.0)
        })
        .map(|f| f.n as u64)
        .sum();
    // Treasury net: fee income − staking rewards − go-to-market outlays (§7.15).
    m.treasury_net_usd = m.platform_fee_usd - tokens(treasury_rewards) * pt_usd - m.gtm_spend_usd;
    m.welfare_usd = surplus + prof_p + prof_i + m.treasury_net_usd;
    m.composite_share = if req_p > 0 {
        req_composite as f64 / req_p as f64
    } else {
        0.0
    };
    m.incumbent_profit_usd = prof_i;
    m.utilization_avg = if util_cap > 0 {
        util_served as f64 / util_cap as f64
    } else {
        0.0
    };
    m.bad_debt_usd = buf.bad_debt_usd;
    m.conservation_error_tokens = ledger.token_error();
    m.conservation_error_usd = ledger.usd_error();

    w.active_platform = active_p;
    w.cum_adopters_platform = ever_p;
    // Per-incumbent adopters are approximated by any incumbent use (exact with one incumbent).
    w.cum_adopters_incumbent
        .iter_mut()
        .for_each(|x| *x = ever_i);
    m.multihoming_customers = multi;
    w.active_incumbent = active_incumbent;
    w.onboarded_by_segment = onboarded_by_segment;
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hhi_of_equal_shares_and_monopoly() {
        assert_eq!(hhi(&[5.0]), 10_000.0);
        assert!((hhi(&[1.0, 1.0, 1.0, 1.0]) - 2_500.0).abs() < 1e-9);
        assert_eq!(hhi(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn gini_matches_hand_computed_cases() {
        assert_eq!(gini(&[3.0, 3.0, 3.0]), 0.0);
        // One of n holds everything: G = (n − 1)/n.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        // x = 1, 2, 3: 2(1 + 4 + 9)/(3·6) − 4/3 = 28/18 − 24/18 = 2/9.
        assert!((gini(&[3.0, 1.0, 2.0]) - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }
}
