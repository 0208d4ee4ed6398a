//! Go-to-market strategies, engine side (MODEL.md §7.11, §7.13): the only code that moves treasury
//! money for them. The strategies' parameters and arithmetic are in `crate::policy::gtm`; this file
//! calls them at fixed points of the step:
//!
//! - P0 [`open`]: windows and arms; the step's effects (Bass boosts, developer marketing, the entry
//!   gate of `demand_first`, subsidy rates, free calls); one-off and scheduled actions (in-house
//!   teams, seeded firms, workshops, bounty postings, accelerator cohorts, airdrops, liquidity); then
//!   every requested treasury outlay of the step is collected, scaled pro rata to
//!   `gtm_budget_usd_per_step` (token outlays valued at the mid price), checked against each
//!   strategy's budget and the treasury's holdings, and executed in policy order: token transfers
//!   now, USD obligations into the FIFO queue; then vesting releases, the studio's revenue and its
//!   platform purchases.
//! - P7 [`orders`] / [`after_trade`]: the treasury's sells for its queued obligations (at most
//!   `treasury_max_sell_share_per_step` of its tokens, and only what the queue lacks in cash), the
//!   buyback, the studio's conversion and platform-purchase buys, airdrop sells.
//! - P8 [`treasury_payments`] (subsidies, free calls, bonuses, pro rata when short) and
//!   [`pay_obligations`] (FIFO from treasury cash).
//! - End of P9 [`close`]: bounty awards and refunds, stops of strategies that cannot pay, in-house
//!   firms' unpaid salaries and the end of their funding, the studio's cash withdrawal.
//!
//! A strategy never spends what its budget or the treasury does not hold: the outlay is cut, the
//! strategy stops, and an event is recorded (`GtmState::events`, summary.json `gtm_events`, the
//! `gtm_events` and `gtm_stops` columns); nothing panics.

use super::entry::{self, Prospect};
use super::{StepBuf, StepCtx};
use crate::error::SimError;
use crate::ledger::{Account, Flow, Ledger};
use crate::policy::gtm::accelerator::{self, Selection};
use crate::policy::gtm::airdrop::{self, Recipients};
use crate::policy::gtm::studio::{self, Conversion, TokenUse};
use crate::policy::gtm::subsidy::FreeCallPayer;
use crate::policy::gtm::{
    GtmPolicy, budget_allows, demand_first, rfai, supply_first, usd_grant_tokens, workshops,
};
use crate::rng::{EntityKind, Purpose, hash_key, key};
use crate::scenario::ExchangeModel;
use crate::state::gtm::{Bounty, Grantee, GtmEvent, InHouse, Obligation, PolicyRt, VestingGrant};
use crate::state::{DevStatus, NONE, Status, World};
use crate::units::{
    Price, TOKEN_UNIT, mul_div_floor, nano_to_usd, share_to_ppm, split_floor, usd_to_nano,
};

/// Rolling window of the CAC and runway metrics (steps).
pub const GTM_WINDOW: usize = 30;

/// A platform buyer other than a composite (the studio, an accelerator grantee): buys `recipe`
/// units from platform suppliers in P4 for a USD budget.
#[derive(Clone, Debug, PartialEq)]
pub struct Buyer {
    /// Who pays (tokens).
    pub payer: Account,
    /// The strategy.
    pub policy: usize,
    /// Budget (nano-USD).
    pub budget_nano: i128,
    /// (category, units per "request").
    pub recipe: Vec<(u16, u32)>,
    /// For a grantee: its offering (not its own supplier) and its earmark (base units).
    pub grantee: Option<(u32, i128)>,
}

/// The step's go-to-market effects and flows (reset in P0).
#[derive(Clone, Debug, Default)]
pub struct GtmStep {
    /// Bass p added per segment (per year).
    pub bass_boost: Vec<f64>,
    /// Added to the developers' Bass p (per year).
    pub dev_boost: f64,
    /// Third-party entry closed (`demand_first` before `open_supply_step`).
    pub entry_closed: bool,
    /// The active subsidy: (strategy, σ).
    pub subsidy: Option<(usize, f64)>,
    /// Free calls for customers onboarding this step: (strategy, calls, treasury pays).
    pub free_calls: Option<(usize, u32, bool)>,
    /// Provider bonus: (strategy, USD per request).
    pub bonus: Option<(usize, f64)>,
    /// Platform buyers of P4.
    pub buyers: Vec<Buyer>,
    /// Per buyer and recipe slot: (supplier, units granted), rows of `buyer_width`.
    pub buyer_supply: Vec<(u32, u64)>,
    /// Row width of `buyer_supply`.
    pub buyer_width: usize,
    /// Free requests of each fill (in fill order); empty without free calls.
    pub fill_free: Vec<u32>,
    /// The studio's conversion buy this step (nano-USD).
    pub studio_convert_nano: i128,
    /// The studio's buy for its platform purchases (nano-USD).
    pub studio_platform_buy_nano: i128,
    /// Value of the studio's spend tokens at the mid price (nano-USD; `token_use = "spend"`).
    pub studio_spend_tokens_nano: i128,
    /// The live studio strategy.
    pub studio: Option<usize>,
    /// The buyback of this step: (strategy, nano-USD).
    pub buyback: Option<(usize, i128)>,
    /// Airdrop sells: (holder, fiat proceeds to, tokens).
    pub airdrop_sells: Vec<(Account, Account, i128)>,
    /// What is left of `gtm_budget_usd_per_step` after P0 (nano-USD).
    pub cap_left_nano: Option<i128>,
    /// USD value of the step's treasury outlays (nano-USD): tokens at the mid price when paid,
    /// subsidies at the batch price, USD obligations when paid.
    pub spend_nano: i128,
    /// Events recorded this step.
    pub events: u32,
    /// Strategies stopped this step.
    pub stops: u32,
    /// Tokens the treasury sold.
    pub treasury_sell_tokens: i128,
    /// Tokens bought back and burned.
    pub buyback_burned: i128,
    /// Studio revenue (nano-USD).
    pub studio_revenue_nano: i128,
    /// Studio buy orders (conversion and platform purchases, nano-USD).
    pub studio_buy_nano: i128,
    /// Grantees' sells (base units).
    pub grantee_sell_tokens: i128,
    /// Treasury subsidies, free calls and bonuses paid (base units).
    pub subsidy_tokens: i128,
    /// Free requests served.
    pub free_calls_used: u64,
    /// Obligations paid (nano-USD).
    pub obligations_paid_nano: i128,
    /// Tokens airdropped.
    pub airdrop_tokens: i128,
    /// Gross paid by non-composite platform buyers (base units).
    pub buyer_gross_tokens: i128,
}

/// An extra order of P7: tokens from/to `tok`, fiat from/to `fiat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtraOrder {
    /// Token account.
    pub tok: Account,
    /// Fiat account.
    pub fiat: Account,
    /// Buy (nano-USD).
    pub buy: i128,
    /// Sell (base units).
    pub sell: i128,
    /// What it is.
    pub what: OrderKind,
}

/// Why an extra order exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// Treasury sell for obligations.
    TreasurySell,
    /// Buyback (tokens burned after the batch).
    Buyback,
    /// Studio conversion.
    StudioConvert,
    /// Studio platform purchases.
    StudioPlatform,
    /// Airdrop recipient's sell.
    AirdropSell,
}

/// Builds the runtime state at t = 0.
pub fn init(p: &crate::params::Params, w: &mut World) {
    let g = &p.s.gtm;
    w.gtm.rt = g
        .policies
        .iter()
        .map(|pol| PolicyRt {
            on: pol.common().in_arm(&g.arm),
            ..PolicyRt::default()
        })
        .collect();
    let on = |f: &dyn Fn(&GtmPolicy) -> bool| {
        g.policies
            .iter()
            .zip(&w.gtm.rt)
            .any(|(pol, rt)| rt.on && f(pol))
    };
    if on(&|x| matches!(x, GtmPolicy::Subsidy(s) if s.free_calls_per_new_customer > 0)) {
        w.gtm.free_calls_left = vec![0; w.customers.len()];
    }
    if on(&|x| matches!(x, GtmPolicy::Airdrop(a) if a.recipients != Recipients::Developers)) {
        w.gtm.kappa_credit_usd = vec![0.0; w.customers.len()];
    }
    if on(&|x| matches!(x, GtmPolicy::Workshops(_))) {
        w.gtm.entry_discount = vec![0.0; w.developers.len()];
    }
    w.gtm.spend_ring = vec![0.0; GTM_WINDOW];
    w.gtm.onboarded_ring = vec![0; GTM_WINDOW];
}

/// Records an event.
fn event(
    w: &mut World,
    buf: &mut StepBuf,
    t: u32,
    policy: usize,
    kind: &'static str,
    what: &'static str,
    detail: String,
) {
    w.gtm.events.push(GtmEvent {
        step: t,
        policy: policy as u32,
        kind,
        event: what,
        detail,
    });
    buf.gtm.events += 1;
}

/// Stops strategy `i` (its window is over for good), recording why.
fn stop(
    ctx: &StepCtx<'_>,
    w: &mut World,
    buf: &mut StepBuf,
    i: usize,
    why: &'static str,
    detail: String,
) {
    if w.gtm.rt[i].stopped.is_some() {
        return;
    }
    w.gtm.rt[i].stopped = Some(ctx.step);
    buf.gtm.stops += 1;
    let kind = ctx.p.s.gtm.policies[i].kind();
    event(w, buf, ctx.step, i, kind, why, detail);
}

/// Whether strategy `i` runs at this step: selected by the arm, not stopped, inside its window.
fn live(ctx: &StepCtx<'_>, w: &World, i: usize) -> bool {
    let rt = &w.gtm.rt[i];
    rt.on && rt.stopped.is_none() && ctx.p.s.gtm.policies[i].common().in_window(ctx.step)
}

/// Where an outlay goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    /// Tokens (or USD) transferred now to the account.
    Now(Account),
    /// A USD obligation queued for P8, payable to the account.
    Obligation(Account),
    /// Tokens into vesting for a grantee.
    Vesting { offering: u32, steps: u32 },
    /// Tokens into an open bounty.
    Bounty { category: u16, deadline: u32 },
    /// USD reserved for the P7 buyback.
    Buyback,
}

/// A requested treasury outlay.
#[derive(Clone, Copy, Debug)]
struct Outlay {
    policy: usize,
    /// Tokens (base units) if true, else nano-USD.
    tokens: bool,
    amount: i128,
    to: To,
    /// Paid from the grants pool first (seed grants, bounties, accelerator grants).
    grant: bool,
}

impl Outlay {
    /// `nano` USD from the treasury's cash.
    fn usd(policy: usize, nano: i128, to: To) -> Outlay {
        Outlay {
            policy,
            tokens: false,
            amount: nano,
            to,
            grant: false,
        }
    }
    /// `base` token units from the treasury.
    fn tokens(policy: usize, base: i128, to: To) -> Outlay {
        Outlay {
            policy,
            tokens: true,
            amount: base,
            to,
            grant: false,
        }
    }
    /// `base` token units from the grants pool first, then the treasury.
    fn grant(policy: usize, base: i128, to: To) -> Outlay {
        Outlay {
            policy,
            tokens: true,
            amount: base,
            to,
            grant: true,
        }
    }
}

/// Potential demand per category: Σ_s size × E[n_s] × needs_s,c (requests per step).
pub fn potential_demand(p: &crate::params::Params) -> Vec<f64> {
    let mut d = vec![0.0; p.categories.len()];
    for sp in &p.segments {
        for (c, x) in d.iter_mut().enumerate() {
            *x += sp.size as f64 * sp.expected_requests * sp.needs.get(c).copied().unwrap_or(0.0);
        }
    }
    d
}

/// The prospects of every category at P0 (last step's prices and forecasts).
fn prospects_now(ctx: &StepCtx<'_>, w: &World) -> Vec<Prospect> {
    let prices = entry::prices_now(w);
    let (count, sum, inc) = entry::category_stats(w, ctx.p.categories.len(), &prices);
    entry::prospects(ctx, w, &count, &sum, &inc)
}

/// The expected grants G_c of open bounties per category (USD at the mid price): value / (entrants
/// that would qualify so far + 1).
pub fn expected_grants_usd(ctx: &StepCtx<'_>, w: &World) -> Vec<f64> {
    let mut g = vec![0.0; ctx.p.categories.len()];
    let mid = w.token_price.usd_per_token();
    for b in &w.gtm.bounties {
        let GtmPolicy::Rfai(r) = &ctx.p.s.gtm.policies[b.policy as usize] else {
            continue;
        };
        let m = qualifying(w, b, r.min_quality).len();
        g[b.category as usize] += b.amount as f64 / TOKEN_UNIT as f64 * mid / (m as f64 + 1.0);
    }
    g
}

/// Offerings qualifying for bounty `b`: entered its category after posting, active, quality ≥ q.
fn qualifying(w: &World, b: &Bounty, min_quality: f64) -> Vec<u32> {
    let o = &w.offerings;
    (0..o.len())
        .filter(|&j| {
            o.is_platform(j)
                && o.active[j]
                && o.category[j] == b.category
                && o.born[j] > b.posted
                && o.quality[j] >= min_quality
        })
        .map(|j| j as u32)
        .collect()
}

/// Developers not yet running a firm, by skill (highest first, ties to the lower id).
fn free_developers_by_skill(w: &World) -> Vec<u32> {
    let d = &w.developers;
    let c: Vec<u32> = (0..d.len() as u32)
        .filter(|&k| matches!(d.status[k as usize], DevStatus::Unaware | DevStatus::Aware))
        .collect();
    accelerator::by_skill(&c, &d.skill, c.len() as u32)
}

/// P0.
pub fn open(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let p = ctx.p;
    let t = ctx.step;
    buf.gtm = GtmStep {
        bass_boost: vec![0.0; p.segments.len()],
        ..GtmStep::default()
    };
    buf.aware_now = 0;
    if p.s.gtm.policies.is_empty() {
        return Ok(());
    }
    let mut plan: Vec<Outlay> = Vec::new();
    let mid = w.token_price;
    let mid_usd = mid.usd_per_token();
    let floor = p.s.token.grant_price_floor_usd;
    for (i, pol) in p.s.gtm.policies.iter().enumerate() {
        let rt = &w.gtm.rt[i];
        if !rt.on {
            continue;
        }
        match pol {
            GtmPolicy::DemandFirst(d) if rt.stopped.is_none() && t < d.open_supply_step => {
                buf.gtm.entry_closed = true
            }
            GtmPolicy::Workshops(ws) if rt.stopped.is_none() && workshops::boost_on(ws, t) => {
                buf.gtm.dev_boost += ws.awareness_boost
            }
            _ => {}
        }
        if !live(ctx, w, i) {
            continue;
        }
        match pol {
            GtmPolicy::DemandFirst(d) => {
                if !w.gtm.rt[i].started {
                    w.gtm.rt[i].started = true;
                    let cats = demand_first::team_categories(&potential_demand(p), d.inhouse_teams);
                    let prospects = prospects_now(ctx, w);
                    let mut ids = Vec::new();
                    for c in cats {
                        let rule = entry::platform_rule(p, d.pricing.clone());
                        let id = entry::found_firm(
                            ctx,
                            w,
                            ledger,
                            None,
                            c,
                            rule,
                            prospects[c].price,
                            d.inhouse_q0,
                            d.inhouse_capacity,
                            t,
                        );
                        w.gtm.inhouse.insert(
                            id,
                            InHouse {
                                policy: i as u32,
                                unpaid_steps: 0,
                            },
                        );
                        ids.push(id);
                    }
                    event(
                        w,
                        buf,
                        t,
                        i,
                        pol.kind(),
                        "started",
                        format!("in-house offerings {ids:?}"),
                    );
                }
                for (si, seg) in p.s.segments.iter().enumerate() {
                    if d.target_segments.iter().any(|s| s == &seg.name) {
                        buf.gtm.bass_boost[si] += d.sales_boost_bass_p;
                    }
                }
                let salary = usd_to_nano(d.inhouse_cost_usd_per_step);
                for (&j, h) in &w.gtm.inhouse {
                    if h.policy as usize == i && w.offerings.active[j as usize] && salary > 0 {
                        plan.push(Outlay::usd(i, salary, To::Obligation(Account::Offering(j))));
                    }
                }
                if d.marketing_usd_per_step > 0.0 {
                    plan.push(Outlay::usd(
                        i,
                        usd_to_nano(d.marketing_usd_per_step),
                        To::Obligation(Account::External),
                    ));
                }
            }
            GtmPolicy::SupplyFirst(s) => {
                if !w.gtm.rt[i].started {
                    w.gtm.rt[i].started = true;
                    let prospects = prospects_now(ctx, w);
                    let devs = free_developers_by_skill(w);
                    let mut next = devs.into_iter();
                    let grant = supply_first::grant_base_units(s, mid_usd, floor);
                    let mut ids = Vec::new();
                    #[allow(clippy::needless_range_loop)]
                    for c in 0..p.categories.len() {
                        if !s.seed_composites && !p.categories[c].recipe.is_empty() {
                            continue;
                        }
                        for _ in 0..s.seed_providers_per_category {
                            let Some(k) = next.next() else { break };
                            let skill = w.developers.skill[k as usize] as f64;
                            let rule = entry::entrant_rule(ctx, k);
                            let id = entry::found_firm(
                                ctx,
                                w,
                                ledger,
                                Some(k),
                                c,
                                rule,
                                prospects[c].price,
                                0.3 + 0.4 * skill,
                                s.seed_capacity,
                                t,
                            );
                            ids.push(id);
                            plan.push(Outlay::grant(i, grant, To::Now(Account::Offering(id))));
                        }
                    }
                    event(
                        w,
                        buf,
                        t,
                        i,
                        pol.kind(),
                        "started",
                        format!("{} seeded offerings", ids.len()),
                    );
                }
                buf.gtm.dev_boost += s.dev_marketing_boost_bass_p;
                if supply_first::customer_marketing(s, t) {
                    buf.gtm
                        .bass_boost
                        .iter_mut()
                        .for_each(|b| *b += s.customer_marketing_boost_bass_p);
                }
                if s.marketing_usd_per_step > 0.0 {
                    plan.push(Outlay::usd(
                        i,
                        usd_to_nano(s.marketing_usd_per_step),
                        To::Obligation(Account::External),
                    ));
                }
            }
            GtmPolicy::Workshops(ws) => {
                if workshops::workshop_at(ws, t) {
                    let aware: Vec<u32> = (0..w.developers.len() as u32)
                        .filter(|&k| w.developers.status[k as usize] == DevStatus::Aware)
                        .collect();
                    let chosen =
                        airdrop::pick(&aware, |k| dev_key(ctx, k, i), ws.attendees as usize);
                    for &k in &chosen {
                        let s = &mut w.developers.skill[k as usize];
                        *s = (*s + ws.skill_boost as f32).min(1.0);
                        let d = &mut w.gtm.entry_discount[k as usize];
                        *d = d.max(ws.entry_cost_discount as f32);
                    }
                    event(
                        w,
                        buf,
                        t,
                        i,
                        pol.kind(),
                        "workshop",
                        format!("{} attendees", chosen.len()),
                    );
                    if ws.cost_usd_per_workshop > 0.0 {
                        plan.push(Outlay::usd(
                            i,
                            usd_to_nano(ws.cost_usd_per_workshop),
                            To::Obligation(Account::External),
                        ));
                    }
                }
            }
            GtmPolicy::Rfai(r) => {
                if rfai::posting_at(r, t) {
                    let n_cat = p.categories.len();
                    let prices = entry::prices_now(w);
                    let (count, _, _) = entry::category_stats(w, n_cat, &prices);
                    let covered: Vec<bool> = count.iter().map(|&n| n > 0).collect();
                    let uncovered: Vec<f64> = w
                        .category_demand_onboarded
                        .iter()
                        .map(|x| x.max(0.0))
                        .collect();
                    let mut unserved = vec![0.0; n_cat];
                    for job in &buf.jobs {
                        unserved[job.category as usize] += job.remaining as f64;
                    }
                    let mut open_b = vec![false; n_cat];
                    for b in &w.gtm.bounties {
                        open_b[b.category as usize] = true;
                    }
                    let amount = match r.bounty_usd {
                        Some(usd) => usd_grant_tokens(usd, mid_usd, floor),
                        None => crate::units::tokens_to_base(r.bounty_tokens),
                    };
                    for c in rfai::targets(&covered, &uncovered, &unserved, &open_b, r.bounties) {
                        plan.push(Outlay::grant(
                            i,
                            amount,
                            To::Bounty {
                                category: c as u16,
                                deadline: t + r.submission_steps,
                            },
                        ));
                    }
                }
            }
            GtmPolicy::Studio(st) => {
                if buf.gtm.studio.is_none() {
                    studio_step(ctx, w, ledger, buf, i, st)?;
                }
            }
            GtmPolicy::Accelerator(a) => {
                if accelerator::cohort_at(a, t) {
                    let ids = cohort(ctx, w, ledger, i, a);
                    let grant = match a.grant_usd {
                        Some(usd) => usd_grant_tokens(usd, mid_usd, floor),
                        None => crate::units::tokens_to_base(a.grant_tokens),
                    };
                    for &id in &ids {
                        plan.push(Outlay::grant(
                            i,
                            grant,
                            To::Vesting {
                                offering: id,
                                steps: a.vesting_steps,
                            },
                        ));
                        w.gtm
                            .visibility
                            .insert(id, (a.visibility_boost, t + a.visibility_steps));
                        w.gtm.grantees.insert(
                            id,
                            Grantee {
                                policy: i as u32,
                                ..Grantee::default()
                            },
                        );
                    }
                    event(
                        w,
                        buf,
                        t,
                        i,
                        pol.kind(),
                        "cohort",
                        format!("offerings {ids:?}"),
                    );
                }
            }
            GtmPolicy::Subsidy(sb) => {
                if buf.gtm.subsidy.is_none() && sb.subsidy_share > 0.0 {
                    buf.gtm.subsidy =
                        Some((i, sb.subsidy_share.min(1.0 - p.seller_fee_ppm as f64 / 1e6)));
                }
                if buf.gtm.free_calls.is_none() && sb.free_calls_per_new_customer > 0 {
                    buf.gtm.free_calls = Some((
                        i,
                        sb.free_calls_per_new_customer,
                        sb.free_call_payer == FreeCallPayer::Treasury,
                    ));
                }
                if buf.gtm.bonus.is_none() && sb.provider_bonus_usd > 0.0 {
                    buf.gtm.bonus = Some((i, sb.provider_bonus_usd));
                }
            }
            GtmPolicy::Airdrop(a) => {
                if !w.gtm.rt[i].started {
                    w.gtm.rt[i].started = true;
                    let cand: Vec<(Account, u32)> = match a.recipients {
                        Recipients::RandomCustomers => (0..w.customers.len() as u32)
                            .map(|c| (Account::Customer(c), c))
                            .collect(),
                        Recipients::Aware => (0..w.customers.len() as u32)
                            .filter(|&c| w.customers.status[c as usize] != Status::Unaware)
                            .map(|c| (Account::Customer(c), c))
                            .collect(),
                        Recipients::Developers => (0..w.offerings.len() as u32)
                            .filter(|&j| {
                                w.offerings.is_platform(j as usize)
                                    && w.offerings.active[j as usize]
                            })
                            .map(|j| (Account::Offering(j), j))
                            .collect(),
                    };
                    let ids: Vec<u32> = cand.iter().map(|x| x.1).collect();
                    let m = a.recipients_count.map_or(ids.len(), |n| n as usize);
                    let chosen = airdrop::pick(&ids, |x| customer_key(ctx, x, i), m);
                    let each =
                        airdrop::share(crate::units::tokens_to_base(a.tokens_total), chosen.len());
                    for &x in &chosen {
                        let acct = if a.recipients == Recipients::Developers {
                            Account::Offering(x)
                        } else {
                            Account::Customer(x)
                        };
                        plan.push(Outlay::tokens(i, each, To::Now(acct)));
                    }
                }
            }
            GtmPolicy::FeeHoliday(_) => {}
            GtmPolicy::Liquidity(l) => {
                if !w.gtm.rt[i].started {
                    w.gtm.rt[i].started = true;
                    if l.usd > 0.0 {
                        plan.push(Outlay::usd(i, usd_to_nano(l.usd), To::Now(Account::Pool)));
                    }
                    if l.tokens > 0.0 {
                        plan.push(Outlay::tokens(
                            i,
                            crate::units::tokens_to_base(l.tokens),
                            To::Now(Account::Pool),
                        ));
                    }
                }
            }
            GtmPolicy::BuybackAndBurn(b) => {
                if buf.gtm.buyback.is_none() {
                    let cash = ledger.usd(Account::Treasury);
                    let nano = crate::policy::gtm::buyback_and_burn::buy_nano(
                        usd_to_nano(b.usd_per_step),
                        cash,
                        w.gtm.queued_nano(),
                    );
                    if nano > 0 {
                        plan.push(Outlay::usd(i, nano, To::Buyback));
                    }
                }
            }
        }
    }
    execute(ctx, w, ledger, buf, plan, mid)?;
    vest(ctx, w, ledger, buf)?;
    // Platform buyers: accelerator grantees with an earmark.
    let width_needed = |r: &[(u16, u32)]| r.len();
    let mut buyers = std::mem::take(&mut buf.gtm.buyers);
    for (&j, g) in &w.gtm.grantees {
        if g.earmark <= 0 || !w.offerings.active[j as usize] {
            continue;
        }
        let GtmPolicy::Accelerator(a) = &p.s.gtm.policies[g.policy as usize] else {
            continue;
        };
        let recipe = recipe_of(p, &a.spend_recipe, true);
        if recipe.is_empty() {
            continue;
        }
        buyers.push(Buyer {
            payer: Account::Offering(j),
            policy: g.policy as usize,
            budget_nano: mid.usd_for_tokens_floor(g.earmark),
            recipe,
            grantee: Some((j, g.earmark)),
        });
    }
    buf.gtm.buyer_width = buyers
        .iter()
        .map(|b| width_needed(&b.recipe))
        .max()
        .unwrap_or(0)
        .max(1);
    buf.gtm.buyers = buyers;
    if p.s.exchange.model == ExchangeModel::Cpmm {
        // A liquidity deposit moved the pool: the mid the snapshot reads is the pool's.
        w.token_price = Price {
            num: ledger.usd(Account::Pool),
            den: ledger.tokens(Account::Pool).max(1),
        };
    }
    Ok(())
}

/// A recipe by category index: the named categories, or (when `all_atomic` and empty) one unit of
/// each atomic category.
fn recipe_of(
    p: &crate::params::Params,
    r: &std::collections::BTreeMap<String, u32>,
    all_atomic: bool,
) -> Vec<(u16, u32)> {
    if r.is_empty() && all_atomic {
        return (0..p.categories.len())
            .filter(|&c| p.categories[c].recipe.is_empty())
            .map(|c| (c as u16, 1))
            .collect();
    }
    r.iter()
        .filter_map(|(name, &u)| {
            p.categories
                .iter()
                .position(|c| &c.name == name)
                .map(|c| (c as u16, u))
        })
        .collect()
}

/// A uniform 64-bit key of developer `k` for strategy `i` this step.
fn dev_key(ctx: &StepCtx<'_>, k: u32, i: usize) -> u64 {
    hash_key(&[
        key(
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            EntityKind::Developer,
            k as u64,
            Purpose::Cohort,
        ),
        i as u64,
    ])
}

/// A uniform 64-bit key of customer (or firm) `x` for strategy `i` this step.
fn customer_key(ctx: &StepCtx<'_>, x: u32, i: usize) -> u64 {
    hash_key(&[
        key(
            ctx.seed,
            ctx.run,
            ctx.step as u64,
            EntityKind::Customer,
            x as u64,
            Purpose::Airdrop,
        ),
        i as u64,
    ])
}

/// Selects and founds an accelerator cohort; returns the grantees' offerings.
fn cohort(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    i: usize,
    a: &accelerator::Params,
) -> Vec<u32> {
    let p = ctx.p;
    let t = ctx.step;
    let aware: Vec<u32> = (0..w.developers.len() as u32)
        .filter(|&k| w.developers.status[k as usize] == DevStatus::Aware)
        .collect();
    let devs = match a.selection {
        Selection::Skill | Selection::CategoryGap => {
            accelerator::by_skill(&aware, &w.developers.skill, a.cohort_size)
        }
        Selection::Random => airdrop::pick(&aware, |k| dev_key(ctx, k, i), a.cohort_size as usize),
    };
    let prospects = prospects_now(ctx, w);
    let eligible: Vec<usize> = (0..prospects.len())
        .filter(|&c| prospects[c].eligible)
        .collect();
    if eligible.is_empty() {
        return Vec::new();
    }
    // Category-gap order: uncovered categories by the onboarded demand forecast, then covered ones
    // by fewest offerings (ties to the lower index).
    let mut gaps = eligible.clone();
    gaps.sort_by(|&x, &y| {
        let (px, py) = (&prospects[x], &prospects[y]);
        (px.n > 0)
            .cmp(&(py.n > 0))
            .then(if px.n == 0 && py.n == 0 {
                w.category_demand_onboarded[y].total_cmp(&w.category_demand_onboarded[x])
            } else {
                px.n.cmp(&py.n)
            })
            .then(x.cmp(&y))
    });
    let mut ids = Vec::new();
    for (m, &k) in devs.iter().enumerate() {
        let c = match a.selection {
            Selection::CategoryGap => gaps[m % gaps.len()],
            _ => *eligible
                .iter()
                .max_by(|&&x, &&y| {
                    prospects[x]
                        .profit
                        .total_cmp(&prospects[y].profit)
                        .then(y.cmp(&x))
                })
                .expect("non-empty"),
        };
        let x = prospects[c];
        let skill = w.developers.skill[k as usize] as f64;
        let rule = entry::entrant_rule(ctx, k);
        let q0 = (0.3 + 0.4 * skill + a.quality_boost).min(p.categories[c].q_max);
        ids.push(entry::found_firm(
            ctx,
            w,
            ledger,
            Some(k),
            c,
            rule,
            x.price,
            q0,
            a.cohort_capacity,
            t,
        ));
    }
    ids
}

/// The studio's step: revenue and its split, the conversion schedule, its platform buyer.
fn studio_step(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    i: usize,
    st: &studio::Params,
) -> Result<(), SimError> {
    let p = ctx.p;
    let t = ctx.step;
    let r = usd_to_nano(studio::revenue_usd(st, t, p.dt_years));
    let (convert, spend, treasury, _rest) = studio::split(st, r);
    ledger.transfer_usd(
        t,
        Account::External,
        Account::Studio,
        convert + spend + treasury,
        Flow::Studio,
    )?;
    ledger.transfer_usd(
        t,
        Account::Studio,
        Account::Treasury,
        treasury,
        Flow::Studio,
    )?;
    buf.gtm.studio_revenue_nano = r;
    buf.gtm.studio = Some(i);
    let len = match st.conversion {
        Conversion::EveryStep => 1,
        Conversion::Twap => st.twap_steps.max(1) as usize,
    };
    if w.gtm.studio_ring.len() != len {
        w.gtm.studio_ring = vec![0; len];
    }
    w.gtm.studio_ring[t as usize % len] = convert;
    let buy = studio::twap_buy(&w.gtm.studio_ring, &mut w.gtm.studio_carry);
    buf.gtm.studio_convert_nano = buy.min(ledger.usd(Account::Studio)).max(0);
    let mut budget = spend;
    buf.gtm.studio = Some(i);
    if st.token_use == TokenUse::Spend {
        let held = w
            .token_price
            .usd_for_tokens_floor(ledger.tokens(Account::Studio));
        buf.gtm.studio_spend_tokens_nano = held;
        budget += held;
    }
    let recipe = recipe_of(p, &st.studio_recipe, false);
    if budget > 0 && !recipe.is_empty() {
        buf.gtm.buyers.push(Buyer {
            payer: Account::Studio,
            policy: i,
            budget_nano: budget,
            recipe,
            grantee: None,
        });
    }
    Ok(())
}

/// Scales the step's outlays to `gtm_budget_usd_per_step`, checks budgets and holdings, executes.
fn execute(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    mut plan: Vec<Outlay>,
    mid: Price,
) -> Result<(), SimError> {
    let p = ctx.p;
    let t = ctx.step;
    let value = |o: &Outlay| {
        if o.tokens {
            mid.usd_for_tokens_floor(o.amount)
        } else {
            o.amount
        }
    };
    let total: i128 = plan.iter().map(value).sum();
    if let Some(cap) = p.s.gtm.gtm_budget_usd_per_step {
        let cap = usd_to_nano(cap);
        if total > cap && total > 0 {
            for o in &mut plan {
                o.amount = mul_div_floor(o.amount, cap, total);
            }
            event(
                w,
                buf,
                t,
                usize::MAX,
                "gtm",
                "cap_scaled",
                format!(
                    "requested {:.2} USD, cap {:.2} USD",
                    nano_to_usd(total),
                    nano_to_usd(cap)
                ),
            );
            // The event's policy index is not a strategy.
            if let Some(e) = w.gtm.events.last_mut() {
                e.policy = u32::MAX;
            }
        }
        let used: i128 = plan.iter().map(value).sum();
        buf.gtm.cap_left_nano = Some((cap - used).max(0));
    }
    let mut dropped: Vec<(usize, i128, u32)> = Vec::new();
    for o in plan {
        let i = o.policy;
        if w.gtm.rt[i].stopped.is_some() || o.amount <= 0 {
            continue;
        }
        let pol = &p.s.gtm.policies[i];
        let c = pol.common();
        let v = value(&o);
        let (allowed, binds) = budget_allows(
            &w.gtm.rt[i].spent,
            c.budget_usd,
            c.budget_tokens,
            o.amount,
            v,
            o.tokens,
        );
        let holdings = if !o.tokens {
            match o.to {
                To::Obligation(_) | To::Buyback => allowed,
                _ => ledger.usd(Account::Treasury) - w.gtm.queued_nano(),
            }
        } else if o.grant {
            ledger.tokens(Account::GrantsPool) + ledger.tokens(Account::Treasury)
        } else {
            ledger.tokens(Account::Treasury)
        };
        let paid = allowed.min(holdings.max(0));
        let short = paid < allowed;
        if paid > 0 {
            let pv = if o.amount > 0 {
                mul_div_floor(v, paid, o.amount)
            } else {
                0
            };
            let rt = &mut w.gtm.rt[i];
            rt.spent.usd_nano += pv;
            if o.tokens {
                rt.spent.tokens += paid;
            }
            match o.to {
                To::Obligation(to) => w.gtm.queue.push_back(Obligation {
                    step: t,
                    policy: i as u32,
                    to,
                    nano: paid,
                }),
                To::Buyback => buf.gtm.buyback = Some((i, paid)),
                To::Now(to) if !o.tokens => {
                    ledger.transfer_usd(t, Account::Treasury, to, paid, Flow::Gtm)?;
                    buf.gtm.spend_nano += pv;
                    event(
                        w,
                        buf,
                        t,
                        i,
                        pol.kind(),
                        "liquidity",
                        format!("{:.2} USD", nano_to_usd(paid)),
                    );
                }
                to => {
                    let dest = match to {
                        To::Now(a) => a,
                        To::Vesting { .. } => Account::Vesting,
                        To::Bounty { .. } => Account::Bounties,
                        _ => unreachable!(),
                    };
                    pay_tokens(t, ledger, o.grant, dest, paid)?;
                    match to {
                        To::Vesting { offering, steps } => {
                            w.gtm.vesting.push(VestingGrant {
                                policy: i as u32,
                                offering,
                                total: paid,
                                released: 0,
                                steps,
                                k: 0,
                            });
                            buf.gtm.spend_nano += pv;
                        }
                        To::Bounty { category, deadline } => {
                            w.gtm.bounties.push(Bounty {
                                policy: i as u32,
                                category,
                                amount: paid,
                                posted: t,
                                deadline,
                            });
                            let name = &p.categories[category as usize].name;
                            event(
                                w,
                                buf,
                                t,
                                i,
                                pol.kind(),
                                "bounty_posted",
                                format!("{:.0} tokens on {name}", paid as f64 / TOKEN_UNIT as f64),
                            );
                        }
                        To::Now(dest) => {
                            buf.gtm.spend_nano += pv;
                            match dest {
                                Account::Pool => {
                                    event(
                                        w,
                                        buf,
                                        t,
                                        i,
                                        pol.kind(),
                                        "liquidity",
                                        format!("{:.0} tokens", paid as f64 / TOKEN_UNIT as f64),
                                    );
                                }
                                Account::Customer(_) | Account::Offering(_)
                                    if matches!(pol, GtmPolicy::Airdrop(_)) =>
                                {
                                    airdropped(ctx, w, buf, i, dest, paid);
                                    match dropped.last_mut() {
                                        Some(d) if d.0 == i => {
                                            d.1 += paid;
                                            d.2 += 1;
                                        }
                                        _ => dropped.push((i, paid, 1)),
                                    }
                                }
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if binds {
            flush_airdrops(ctx, w, buf, &mut dropped);
            stop(
                ctx,
                w,
                buf,
                i,
                "budget_exhausted",
                format!(
                    "outlay of {:.2} USD cut to {:.2} USD",
                    nano_to_usd(v),
                    nano_to_usd(if o.amount > 0 {
                        mul_div_floor(v, paid, o.amount)
                    } else {
                        0
                    })
                ),
            );
        } else if short {
            flush_airdrops(ctx, w, buf, &mut dropped);
            stop(
                ctx,
                w,
                buf,
                i,
                "treasury_exhausted",
                format!(
                    "the treasury held {} of {} {}",
                    paid.max(0),
                    allowed,
                    if o.tokens { "base units" } else { "nano-USD" }
                ),
            );
        }
    }
    flush_airdrops(ctx, w, buf, &mut dropped);
    Ok(())
}

/// Records one `airdrop` event per strategy for the recipients paid so far.
fn flush_airdrops(
    ctx: &StepCtx<'_>,
    w: &mut World,
    buf: &mut StepBuf,
    dropped: &mut Vec<(usize, i128, u32)>,
) {
    for (i, amount, m) in dropped.drain(..) {
        let detail = format!(
            "{:.0} tokens to {m} recipients",
            amount as f64 / TOKEN_UNIT as f64
        );
        event(w, buf, ctx.step, i, "airdrop", "airdrop", detail);
    }
}

/// Treasury tokens out: from the grants pool first for grants, then the treasury.
fn pay_tokens(
    t: u32,
    ledger: &mut Ledger,
    grant: bool,
    to: Account,
    amount: i128,
) -> Result<(), SimError> {
    let from_pool = if grant {
        amount.min(ledger.tokens(Account::GrantsPool))
    } else {
        0
    };
    ledger.transfer_tokens(t, Account::GrantsPool, to, from_pool, Flow::Gtm)?;
    ledger.transfer_tokens(t, Account::Treasury, to, amount - from_pool, Flow::Gtm)
}

/// An airdrop recipient: becomes aware, credits the kept value against its onboarding cost, and
/// queues its sell.
fn airdropped(
    ctx: &StepCtx<'_>,
    w: &mut World,
    buf: &mut StepBuf,
    i: usize,
    to: Account,
    amount: i128,
) {
    let GtmPolicy::Airdrop(a) = &ctx.p.s.gtm.policies[i] else {
        return;
    };
    buf.gtm.airdrop_tokens += amount;
    let sell = split_floor(amount, share_to_ppm(a.sell_share));
    let fiat = match to {
        Account::Offering(_) => to,
        _ => Account::External,
    };
    if sell > 0 {
        buf.gtm.airdrop_sells.push((to, fiat, sell));
    }
    if let Account::Customer(c) = to {
        let c = c as usize;
        if w.customers.status[c] == Status::Unaware {
            w.customers.status[c] = Status::Aware;
            buf.aware_now += 1;
        }
        if let Some(k) = w.gtm.kappa_credit_usd.get_mut(c) {
            *k +=
                ((amount - sell) as f64 / TOKEN_UNIT as f64 * w.token_price.usd_per_token()) as f32;
        }
    }
}

/// Vesting releases of the step; refunds of exited grantees' unvested grants.
fn vest(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let t = ctx.step;
    let mut keep = Vec::with_capacity(w.gtm.vesting.len());
    for mut g in std::mem::take(&mut w.gtm.vesting) {
        let j = g.offering;
        if !w.offerings.active[j as usize] {
            let rest = g.total - g.released;
            ledger.transfer_tokens(t, Account::Vesting, Account::Treasury, rest, Flow::Gtm)?;
            let rt = &mut w.gtm.rt[g.policy as usize];
            rt.spent.tokens -= rest;
            rt.spent.usd_nano -= w.token_price.usd_for_tokens_floor(rest);
            buf.gtm.spend_nano -= w.token_price.usd_for_tokens_floor(rest);
            continue;
        }
        let v = accelerator::vest(g.total, g.steps, g.k);
        g.k += 1;
        g.released += v;
        ledger.transfer_tokens(t, Account::Vesting, Account::Offering(j), v, Flow::Gtm)?;
        if let GtmPolicy::Accelerator(a) = &ctx.p.s.gtm.policies[g.policy as usize] {
            let (e, s, _) =
                accelerator::split_vested(v, a.platform_spend_share, a.grantee_sell_share);
            let gr = w.gtm.grantees.entry(j).or_default();
            gr.earmark += e;
            gr.to_sell += s;
        }
        if g.released < g.total {
            keep.push(g);
        }
    }
    w.gtm.vesting = keep;
    Ok(())
}

/// P7: the extra orders of the batch.
/// `committed(a)` is what account `a` already sells in the batch's other orders.
pub fn orders(
    ctx: &StepCtx<'_>,
    w: &World,
    ledger: &Ledger,
    buf: &StepBuf,
    committed: &dyn Fn(Account) -> i128,
) -> Vec<ExtraOrder> {
    let p = ctx.p;
    let mut out = Vec::new();
    if p.s.gtm.policies.is_empty() {
        return out;
    }
    let mid = w.token_price;
    // Treasury sells for what the queue lacks in cash.
    let lacking = w.gtm.queued_nano() - ledger.usd(Account::Treasury);
    if lacking > 0 {
        let cap = split_floor(
            ledger.tokens(Account::Treasury),
            share_to_ppm(p.s.token.treasury_max_sell_share_per_step),
        );
        let need = crate::units::mul_div_ceil(lacking, mid.den, mid.num.max(1));
        let sell = cap.min(need);
        if sell > 0 {
            out.push(ExtraOrder {
                tok: Account::Treasury,
                fiat: Account::Treasury,
                buy: 0,
                sell,
                what: OrderKind::TreasurySell,
            });
        }
    }
    if let Some((_, nano)) = buf.gtm.buyback {
        let nano = nano.min(ledger.usd(Account::Treasury));
        if nano > 0 {
            out.push(ExtraOrder {
                tok: Account::Treasury,
                fiat: Account::Treasury,
                buy: nano,
                sell: 0,
                what: OrderKind::Buyback,
            });
        }
    }
    let studio_cash = ledger.usd(Account::Studio);
    let convert = buf.gtm.studio_convert_nano.min(studio_cash);
    if convert > 0 {
        out.push(ExtraOrder {
            tok: Account::Studio,
            fiat: Account::Studio,
            buy: convert,
            sell: 0,
            what: OrderKind::StudioConvert,
        });
    }
    let platform = buf.gtm.studio_platform_buy_nano.min(studio_cash - convert);
    if platform > 0 {
        out.push(ExtraOrder {
            tok: Account::Studio,
            fiat: Account::Studio,
            buy: platform,
            sell: 0,
            what: OrderKind::StudioPlatform,
        });
    }
    for &(acct, fiat, sell) in &buf.gtm.airdrop_sells {
        let sell = sell.min(ledger.tokens(acct) - committed(acct)).max(0);
        if sell > 0 {
            out.push(ExtraOrder {
                tok: acct,
                fiat,
                buy: 0,
                sell,
                what: OrderKind::AirdropSell,
            });
        }
    }
    out
}

/// After the P7 batch: burns bought-back tokens, routes the studio's conversion, records flows.
/// `tokens_out[k]` and `usd_out[k]` are what extra order k received.
#[allow(clippy::too_many_arguments)]
pub fn after_trade(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    extra: &[ExtraOrder],
    filled_buy: &[i128],
    filled_sell: &[i128],
    tokens_out: &[i128],
) -> Result<(), SimError> {
    let t = ctx.step;
    for (k, o) in extra.iter().enumerate() {
        match o.what {
            OrderKind::TreasurySell => buf.gtm.treasury_sell_tokens += filled_sell[k],
            OrderKind::Buyback => {
                ledger.burn(t, Account::Treasury, tokens_out[k])?;
                buf.gtm.buyback_burned += tokens_out[k];
                buf.gtm.spend_nano += filled_buy[k];
                if let Some((i, _)) = buf.gtm.buyback {
                    // The budget counted the reservation; release what the batch did not take.
                    let unused = buf.gtm.buyback.map_or(0, |b| b.1) - filled_buy[k];
                    w.gtm.rt[i].spent.usd_nano -= unused.max(0);
                }
            }
            OrderKind::StudioConvert => {
                buf.gtm.studio_buy_nano += filled_buy[k];
                let Some(GtmPolicy::Studio(st)) = buf.gtm.studio.map(|i| &ctx.p.s.gtm.policies[i])
                else {
                    continue;
                };
                match st.token_use {
                    TokenUse::Treasury => ledger.transfer_tokens(
                        t,
                        Account::Studio,
                        Account::Treasury,
                        tokens_out[k],
                        Flow::Studio,
                    )?,
                    TokenUse::Burn => ledger.burn(t, Account::Studio, tokens_out[k])?,
                    TokenUse::Hold | TokenUse::Spend => {}
                }
            }
            OrderKind::StudioPlatform => buf.gtm.studio_buy_nano += filled_buy[k],
            OrderKind::AirdropSell => {}
        }
    }
    if let Some((i, nano)) = buf.gtm.buyback
        && !extra.iter().any(|o| o.what == OrderKind::Buyback)
    {
        // The buyback found no cash: release its reservation.
        w.gtm.rt[i].spent.usd_nano -= nano;
    }
    Ok(())
}

/// A treasury payment of P8 to a provider for customers' requests.
#[derive(Clone, Copy, Debug)]
pub struct TreasuryPay {
    /// Provider offering.
    pub to: u32,
    /// Base units requested.
    pub amount: i128,
    /// Whether it is part of the fill's gross (subsidy, free calls) rather than a bonus.
    pub gross: bool,
}

/// P8: pays the step's subsidies, treasury-paid free calls and bonuses, pro rata to what the
/// treasury, the subsidy strategy's budget and the step's cap allow; returns per request what was
/// paid (same order), and stops the strategy when short.
pub fn treasury_payments(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    reqs: &[TreasuryPay],
    pt: Price,
) -> Result<Vec<i128>, SimError> {
    let total: i128 = reqs.iter().map(|r| r.amount).sum();
    if total <= 0 {
        return Ok(vec![0; reqs.len()]);
    }
    let i = buf
        .gtm
        .subsidy
        .map(|x| x.0)
        .or(buf.gtm.free_calls.map(|x| x.0))
        .or(buf.gtm.bonus.map(|x| x.0))
        .unwrap_or(0);
    let c = ctx.p.s.gtm.policies[i].common();
    let value = pt.usd_for_tokens_floor(total);
    let (mut allowed, binds) = budget_allows(
        &w.gtm.rt[i].spent,
        c.budget_usd,
        c.budget_tokens,
        total,
        value,
        true,
    );
    let mut capped = false;
    if let Some(left) = buf.gtm.cap_left_nano {
        let by_cap = pt.tokens_for_usd_floor(left);
        if by_cap < allowed {
            allowed = by_cap;
            capped = true;
        }
    }
    let held = ledger.tokens(Account::Treasury);
    let short = held < allowed;
    allowed = allowed.min(held).max(0);
    let mut paid = Vec::with_capacity(reqs.len());
    let mut sum = 0;
    for r in reqs {
        let x = if allowed >= total {
            r.amount
        } else {
            mul_div_floor(r.amount, allowed, total)
        };
        ledger.transfer_tokens(
            ctx.step,
            Account::Treasury,
            Account::Offering(r.to),
            x,
            Flow::Subsidy,
        )?;
        sum += x;
        paid.push(x);
    }
    let v = pt.usd_for_tokens_floor(sum);
    w.gtm.rt[i].spent.usd_nano += v;
    w.gtm.rt[i].spent.tokens += sum;
    buf.gtm.spend_nano += v;
    buf.gtm.subsidy_tokens += sum;
    if let Some(left) = &mut buf.gtm.cap_left_nano {
        *left = (*left - v).max(0);
    }
    if binds && !capped {
        stop(
            ctx,
            w,
            buf,
            i,
            "budget_exhausted",
            format!(
                "subsidies of {:.2} USD cut to {:.2} USD",
                nano_to_usd(value),
                nano_to_usd(v)
            ),
        );
    } else if short {
        stop(
            ctx,
            w,
            buf,
            i,
            "treasury_exhausted",
            format!("subsidies of {total} base units, the treasury held {held}"),
        );
    }
    Ok(paid)
}

/// P8: pays queued obligations from treasury cash, oldest first, as far as cash allows.
pub fn pay_obligations(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let t = ctx.step;
    while let Some(front) = w.gtm.queue.front_mut() {
        let cash = ledger.usd(Account::Treasury);
        if cash <= 0 {
            break;
        }
        let pay = front.nano.min(cash);
        ledger.transfer_usd(t, Account::Treasury, front.to, pay, Flow::Gtm)?;
        // A salary is the in-house firm's revenue (MODEL.md §7.15: profits include salaries).
        if let Account::Offering(j) = front.to
            && let Some(r) = buf.revenue_usd.get_mut(j as usize)
        {
            *r += nano_to_usd(pay);
        }
        front.nano -= pay;
        buf.gtm.obligations_paid_nano += pay;
        buf.gtm.spend_nano += pay;
        if front.nano == 0 {
            w.gtm.queue.pop_front();
        } else {
            break;
        }
    }
    Ok(())
}

/// Exits an offering (as P9's exit rule does).
fn exit(ctx: &StepCtx<'_>, w: &mut World, buf: &mut StepBuf, j: u32) {
    let o = &mut w.offerings;
    let j = j as usize;
    if !o.active[j] {
        return;
    }
    o.active[j] = false;
    o.exited[j] = ctx.step;
    o.pending_exit_sale[j] = true;
    buf.exits += 1;
    let k = o.founder[j];
    if k != NONE {
        w.developers.status[k as usize] = DevStatus::Exited;
    }
}

/// End of P9: bounty awards and refunds, unpaid obligations, in-house funding, studio cash.
pub fn close(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let p = ctx.p;
    let t = ctx.step;
    if p.s.gtm.policies.is_empty() {
        record_window(w, buf, t);
        return Ok(());
    }
    // Bounties due now.
    let mut open_b = Vec::new();
    for b in std::mem::take(&mut w.gtm.bounties) {
        if b.deadline > t {
            open_b.push(b);
            continue;
        }
        let GtmPolicy::Rfai(r) = &p.s.gtm.policies[b.policy as usize] else {
            continue;
        };
        let winners = qualifying(w, &b, r.min_quality);
        let (each, refund) = rfai::split(b.amount, winners.len());
        for &j in &winners {
            ledger.transfer_tokens(t, Account::Bounties, Account::Offering(j), each, Flow::Gtm)?;
        }
        ledger.transfer_tokens(t, Account::Bounties, Account::Treasury, refund, Flow::Gtm)?;
        let awarded = b.amount - refund;
        let mid = w.token_price;
        let rt = &mut w.gtm.rt[b.policy as usize];
        rt.spent.tokens -= refund;
        rt.spent.usd_nano -= mid.usd_for_tokens_floor(refund);
        buf.gtm.spend_nano += mid.usd_for_tokens_floor(awarded);
        let name = &p.categories[b.category as usize].name;
        if winners.is_empty() {
            event(
                w,
                buf,
                t,
                b.policy as usize,
                "rfai",
                "bounty_refunded",
                format!(
                    "{:.0} tokens on {name}",
                    b.amount as f64 / TOKEN_UNIT as f64
                ),
            );
        } else {
            event(
                w,
                buf,
                t,
                b.policy as usize,
                "rfai",
                "bounty_awarded",
                format!(
                    "{:.0} tokens on {name} to {winners:?}",
                    awarded as f64 / TOKEN_UNIT as f64
                ),
            );
        }
    }
    w.gtm.bounties = open_b;
    // Strategies whose oldest unpaid obligation is too old stop; their obligations are cancelled.
    let patience = p.s.gtm.unpaid_stop_steps;
    let late: Vec<usize> = {
        let mut v: Vec<usize> = w
            .gtm
            .queue
            .iter()
            .filter(|o| t.saturating_sub(o.step) >= patience)
            .map(|o| o.policy as usize)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for i in late {
        let owed: i128 = w
            .gtm
            .queue
            .iter()
            .filter(|o| o.policy as usize == i)
            .map(|o| o.nano)
            .sum();
        w.gtm.queue.retain(|o| o.policy as usize != i);
        w.gtm.rt[i].spent.usd_nano -= owed;
        stop(
            ctx,
            w,
            buf,
            i,
            "unpaid_stop",
            format!(
                "{:.2} USD of obligations unpaid for {patience} steps cancelled",
                nano_to_usd(owed)
            ),
        );
    }
    // In-house firms: unpaid salaries, and the end of their funding.
    let patience_exit = p.s.providers.exit_patience_steps;
    let unpaid: Vec<u32> = w
        .gtm
        .queue
        .iter()
        .filter_map(|o| {
            if let Account::Offering(j) = o.to {
                Some(j)
            } else {
                None
            }
        })
        .collect();
    let mut exits = Vec::new();
    for (&j, h) in w.gtm.inhouse.iter_mut() {
        if unpaid.contains(&j) {
            h.unpaid_steps += 1;
        } else {
            h.unpaid_steps = 0;
        }
        if patience_exit > 0 && h.unpaid_steps >= patience_exit {
            exits.push((j, h.policy));
        }
    }
    for (j, i) in exits {
        w.gtm.inhouse.remove(&j);
        exit(ctx, w, buf, j);
        event(
            w,
            buf,
            t,
            i as usize,
            "demand_first",
            "inhouse_exit_unpaid",
            format!("offering {j}"),
        );
    }
    for (i, pol) in p.s.gtm.policies.iter().enumerate() {
        let GtmPolicy::DemandFirst(d) = pol else {
            continue;
        };
        let rt = &w.gtm.rt[i];
        if !rt.on || rt.released || !rt.started {
            continue;
        }
        let ended = rt.stopped.is_some() || d.end_step.is_some_and(|e| t + 1 >= e);
        if !ended {
            continue;
        }
        w.gtm.rt[i].released = true;
        let firms: Vec<u32> = w
            .gtm
            .inhouse
            .iter()
            .filter(|(_, h)| h.policy as usize == i)
            .map(|(&j, _)| j)
            .collect();
        for &j in &firms {
            w.gtm.inhouse.remove(&j);
            if !d.spin_off {
                exit(ctx, w, buf, j);
            } else {
                w.offerings.loss_steps[j as usize] = 0;
            }
        }
        let what = if d.spin_off { "spun off" } else { "exited" };
        event(
            w,
            buf,
            t,
            i,
            pol.kind(),
            "funding_ended",
            format!("in-house offerings {firms:?} {what}"),
        );
    }
    // The studio keeps the cash its pending conversions need; the rest is withdrawn.
    let cash = ledger.usd(Account::Studio);
    let pending: i128 = w.gtm.studio_ring.iter().sum::<i128>() + w.gtm.studio_carry;
    let out = cash - pending.max(0);
    if out > 0 {
        ledger.transfer_usd(t, Account::Studio, Account::External, out, Flow::Studio)?;
    }
    // Grantees' earmarks of exited firms are dropped (their wallets are sold).
    w.gtm
        .grantees
        .retain(|&j, _| w.offerings.active[j as usize]);
    record_window(w, buf, t);
    Ok(())
}

/// The step's spend and new customers into the rolling windows of CAC and runway.
fn record_window(w: &mut World, buf: &StepBuf, t: u32) {
    if w.gtm.spend_ring.len() != GTM_WINDOW {
        w.gtm.spend_ring = vec![0.0; GTM_WINDOW];
        w.gtm.onboarded_ring = vec![0; GTM_WINDOW];
    }
    let slot = t as usize % GTM_WINDOW;
    w.gtm.spend_ring[slot] = nano_to_usd(buf.gtm.spend_nano);
    w.gtm.onboarded_ring[slot] = buf.onboarded_now;
    w.gtm.spend_cum_usd += nano_to_usd(buf.gtm.spend_nano);
}

/// The exposure of the spend flow of a unit used in the unit tests.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn potential_demand_weights_segments() {
        let s = crate::scenario::resolve(crate::scenario::Scenario::default(), "t", "t").unwrap();
        let p = crate::params::Params::new(&s);
        let d = potential_demand(&p);
        // Uniform needs: every category gets the same share of every segment.
        let total: f64 = p
            .segments
            .iter()
            .map(|sp| sp.size as f64 * sp.expected_requests)
            .sum();
        assert!((d.iter().sum::<f64>() - total).abs() / total < 1e-12);
        assert!((d[0] - d[5]).abs() < 1e-6 * d[0]);
    }
}
