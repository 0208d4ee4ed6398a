//! P8, settlement (MODEL.md §7.9): every accepted job and every B2B purchase is paid through the
//! ledger in a fixed order (end-customer fills in matching order, then composites from the deepest
//! level down), fees go to the treasury and a share of them is burned, firms pay their costs to the
//! outside world. A payer short of tokens has its payment cut (the requests count as unpaid).

use super::b2b::{slot, width};
use super::snapshot::Snapshot;
use super::{StepBuf, StepCtx};
use crate::error::SimError;
use crate::ledger::{Account, Flow, Ledger};
use crate::scenario::{CapacityMode, QuoteCurrency};
use crate::state::{Ecosystem, NONE, World};
use crate::units::{
    PPM, Price, TOKEN_UNIT, mul_div_ceil, mul_div_floor, nano_to_usd, split_floor, usd_to_nano,
};

/// Gross of `n` requests at a USD price, in whole nano-USD (the same rounding in P7 and P8).
pub fn gross_nano(n: u64, price_usd: f64) -> i128 {
    usd_to_nano(n as f64 * price_usd)
}

/// Token price per request in base units for a token quote.
pub fn price_base(price_tokens: f64) -> i128 {
    (price_tokens * TOKEN_UNIT as f64).round() as i128
}

/// Gross of a B2B purchase (nano-USD): the units used, plus `reservation_fee_share` of the
/// granted units left unused (§7.5).
pub fn b2b_gross_nano(ctx: &StepCtx<'_>, used: u64, granted: u64, price_usd: f64) -> i128 {
    let unused = granted.saturating_sub(used) as f64;
    gross_nano(used, price_usd)
        + usd_to_nano(ctx.p.s.b2b.reservation_fee_share * unused * price_usd)
}

/// Before P7: what each customer and composite must pay this step (USD quotes in nano-USD
/// including the buyer fee; token quotes as exact token amounts).
pub fn tally_spend(ctx: &StepCtx<'_>, w: &mut World, snap: &Snapshot, buf: &mut StepBuf) {
    let fb = ctx.p.buyer_fee_ppm;
    // Go-to-market: the subsidy σ lowers what customers pay; free calls (in fill order) are not
    // paid by the customer at all (§7.9).
    let sigma_ppm = buf
        .gtm
        .subsidy
        .map_or(0, |x| crate::units::share_to_ppm(x.1));
    let free_on = !w.gtm.free_calls_left.is_empty();
    buf.gtm.fill_free.clear();
    if free_on {
        buf.gtm.fill_free.resize(buf.fills.len(), 0);
    }
    let n = w.customers.len();
    buf.spend_nano.clear();
    buf.spend_nano.resize(n, 0);
    buf.need_tokens.clear();
    buf.need_tokens.resize(n, 0);
    let o = &w.offerings;
    for (k, f) in buf.fills.iter().enumerate() {
        let j = f.offering as usize;
        if !o.is_platform(j) {
            continue;
        }
        let i = buf.jobs[f.job as usize].customer as usize;
        let mut n = f.n;
        if free_on {
            let (free, left) = crate::policy::gtm::subsidy::free_part(n, w.gtm.free_calls_left[i]);
            w.gtm.free_calls_left[i] = left;
            buf.gtm.fill_free[k] = free;
            n -= free;
        }
        match o.quote[j] {
            QuoteCurrency::Usd => {
                let g = gross_nano(n as u64, snap.price_usd[j]);
                buf.spend_nano[i] +=
                    g + mul_div_ceil(g, fb as i128, PPM) - split_floor(g, sigma_ppm);
            }
            QuoteCurrency::Token => {
                let g = n as i128 * price_base(o.price[j]);
                buf.need_tokens[i] += g + split_floor(g, fb) - split_floor(g, sigma_ppm);
            }
        }
    }
    buf.b2b_spend_nano.clear();
    buf.b2b_spend_nano.resize(o.len(), 0);
    let wd = width(ctx);
    // Composites buy for what they serve, including what higher composites buy from them: walk
    // from the deepest level down, as settlement will.
    let mut served = buf.served.clone();
    for j in composites_in_order(ctx, w, buf) {
        let recipe = &ctx.p.categories[o.category[j] as usize].recipe;
        for (k, &(_, u)) in recipe.iter().enumerate() {
            let (s, granted) = buf.supply[slot(wd, j, k)];
            if s == NONE {
                continue;
            }
            let units = served[j] * u as u64;
            served[s as usize] += units;
            if o.is_platform(s as usize) {
                let g = b2b_gross_nano(ctx, units, granted, snap.b2b_usd[s as usize]);
                buf.b2b_spend_nano[j] += g + mul_div_ceil(g, fb as i128, PPM);
            }
        }
    }
    // Subscription fees (and overage) of the step, paid like fills in P8.
    buf.sub_charges = super::subscription::charges(ctx, w, buf);
    // The studio buys in P7 what its platform purchases cost beyond its spend tokens.
    let bw = buf.gtm.buyer_width;
    let mut studio_cost = 0i128;
    for (b, buyer) in buf.gtm.buyers.iter().enumerate() {
        if buyer.payer != crate::ledger::Account::Studio {
            continue;
        }
        for k in 0..buyer.recipe.len() {
            let (s, units) = buf.gtm.buyer_supply[b * bw + k];
            if s != NONE && units > 0 {
                let g = gross_nano(units, snap.b2b_usd[s as usize]);
                studio_cost += g + mul_div_ceil(g, fb as i128, PPM);
            }
        }
    }
    if studio_cost > 0 {
        let held = buf.gtm.studio_spend_tokens_nano;
        buf.gtm.studio_platform_buy_nano = (studio_cost - held).max(0);
    }
}

/// Platform composites (they may pay suppliers this step), deepest level first, then by id.
fn composites_in_order(ctx: &StepCtx<'_>, w: &World, buf: &StepBuf) -> Vec<usize> {
    let o = &w.offerings;
    let mut c: Vec<usize> = (0..o.len().min(buf.served.len()))
        .filter(|&j| {
            o.is_platform(j) && !ctx.p.categories[o.category[j] as usize].recipe.is_empty()
        })
        .collect();
    c.sort_by_key(|&j| {
        (
            std::cmp::Reverse(ctx.p.categories[o.category[j] as usize].depth),
            j,
        )
    });
    c
}

/// Pays gross `g` (base units) from `payer` to platform offering `to`, with fees; cuts `g` to what
/// the payer holds. Returns the gross actually paid.
#[allow(clippy::too_many_arguments)]
fn pay_platform(
    ctx: &StepCtx<'_>,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    payer: Account,
    to: u32,
    g: i128,
    flow: Flow,
) -> Result<i128, SimError> {
    let have = ledger.tokens(payer);
    pay_platform_sub(ctx, ledger, buf, payer, have, to, g, 0, flow).map(|x| x.0)
}

/// [`pay_platform`] where the treasury covers ⌊σ·g⌋ of the gross (σ in ppm, the subsidy): the payer
/// pays g − s − u to the provider and s + b in fees, cut to `have` (≤ its holdings). Returns the
/// gross paid and u (which the treasury owes the provider).
#[allow(clippy::too_many_arguments)]
fn pay_platform_sub(
    ctx: &StepCtx<'_>,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    payer: Account,
    have: i128,
    to: u32,
    g: i128,
    sigma_ppm: u32,
    flow: Flow,
) -> Result<(i128, i128), SimError> {
    let p = ctx.p;
    let (fb, fs) = (p.buyer_fee_ppm, p.seller_fee_ppm);
    let mut g = g;
    let debit =
        |g: i128| g + split_floor(g, fb) - split_floor(g, sigma_ppm).min(g - split_floor(g, fs));
    if debit(g) > have && sigma_ppm == 0 {
        // The largest g' with g' + ⌊f_b·g'⌋ ≤ have.
        g = g.min(mul_div_floor(have, PPM, PPM + fb as i128));
    } else if debit(g) > have {
        // The largest g' with g' + ⌊f_b·g'⌋ − u(g') ≤ have (bisection on a monotone debit).
        let (mut lo, mut hi) = (0i128, g);
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if debit(mid) <= have {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        g = lo;
    }
    let (s, b) = (split_floor(g, fs), split_floor(g, fb));
    let u = split_floor(g, sigma_ppm).min(g - s);
    ledger.transfer_tokens(ctx.step, payer, Account::Offering(to), g - s - u, flow)?;
    let seller_fee_flow = if flow == Flow::B2b {
        Flow::B2bFee
    } else {
        Flow::Fee
    };
    ledger.transfer_tokens(ctx.step, payer, Account::Treasury, s, seller_fee_flow)?;
    ledger.transfer_tokens(ctx.step, payer, Account::Treasury, b, Flow::BuyerFee)?;
    buf.settle.fees_tokens += s + b;
    buf.received_tokens[to as usize] += g - s - u;
    Ok((g, u))
}

/// Runs P8 at batch price `pt`.
pub fn settle(
    ctx: &StepCtx<'_>,
    w: &mut World,
    snap: &Snapshot,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
    pt: Price,
) -> Result<(), SimError> {
    let p = ctx.p;
    let step = ctx.step;
    let n_off = w.offerings.len();
    let pt_usd = pt.usd_per_token();
    let tok_usd = |g: i128| g as f64 / TOKEN_UNIT as f64 * pt_usd;
    buf.received_tokens.clear();
    buf.received_tokens.resize(n_off, 0);
    buf.revenue_usd.clear();
    buf.revenue_usd.resize(n_off, 0.0);
    buf.cost_usd.clear();
    buf.cost_usd.resize(n_off, 0.0);

    // End-customer fills, in matching order. Go-to-market: subsidies, free calls and bonuses owed
    // by the treasury are collected and paid after the loop, pro rata if it is short.
    let sigma_ppm = buf
        .gtm
        .subsidy
        .map_or(0, |x| crate::units::share_to_ppm(x.1));
    let free_treasury = buf.gtm.free_calls.is_some_and(|x| x.2);
    let bonus = buf.gtm.bonus.map_or(0.0, |x| x.1);
    let mut owed: Vec<super::gtm::TreasuryPay> = Vec::new();
    for k in 0..buf.fills.len() {
        let f = buf.fills[k];
        let j = f.offering as usize;
        let i = buf.jobs[f.job as usize].customer;
        match w.offerings.ecosystem[j] {
            Ecosystem::Platform => {
                let free = buf.gtm.fill_free.get(k).copied().unwrap_or(0);
                let n = f.n - free;
                let gross_of = |n: u32| match w.offerings.quote[j] {
                    QuoteCurrency::Usd => {
                        pt.tokens_for_usd_floor(gross_nano(n as u64, snap.price_usd[j]))
                    }
                    QuoteCurrency::Token => n as i128 * price_base(w.offerings.price[j]),
                };
                let g = gross_of(n);
                let have = ledger.tokens(Account::Customer(i));
                let (paid, u) = pay_platform_sub(
                    ctx,
                    ledger,
                    buf,
                    Account::Customer(i),
                    have,
                    f.offering,
                    g,
                    sigma_ppm,
                    Flow::Payment,
                )?;
                if paid < g {
                    let paid_n = if g > 0 {
                        mul_div_floor(n as i128, paid, g)
                    } else {
                        0
                    };
                    buf.settle.unpaid_requests += n as u64 - paid_n as u64;
                }
                buf.settle.gross_platform_tokens += paid - u;
                buf.revenue_usd[j] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm) - u);
                if u > 0 {
                    owed.push(super::gtm::TreasuryPay {
                        to: f.offering,
                        amount: u,
                        gross: true,
                    });
                }
                if free > 0 {
                    buf.gtm.free_calls_used += free as u64;
                    if free_treasury {
                        let gf = gross_of(free);
                        owed.push(super::gtm::TreasuryPay {
                            to: f.offering,
                            amount: gf - split_floor(gf, p.seller_fee_ppm),
                            gross: true,
                        });
                    }
                }
                if bonus > 0.0 {
                    let b = pt.tokens_for_usd_floor(usd_to_nano(bonus * f.n as f64));
                    owed.push(super::gtm::TreasuryPay {
                        to: f.offering,
                        amount: b,
                        gross: false,
                    });
                }
            }
            Ecosystem::Incumbent(_) => {
                let g = gross_nano(f.n as u64, snap.price_usd[j]);
                ledger.transfer_usd(
                    step,
                    Account::External,
                    Account::Offering(f.offering),
                    g,
                    Flow::IncumbentRevenue,
                )?;
                buf.settle.incumbent_usd += g;
                buf.revenue_usd[j] += nano_to_usd(g);
            }
        }
    }

    // Subscription charges, in (customer, category) order.
    buf.sub_paid_tokens = 0;
    for k in 0..buf.sub_charges.len() {
        let (i, j, nano) = buf.sub_charges[k];
        let g = pt.tokens_for_usd_floor(nano);
        let paid = pay_platform(ctx, ledger, buf, Account::Customer(i), j, g, Flow::Payment)?;
        buf.settle.gross_platform_tokens += paid;
        buf.sub_paid_tokens += paid;
        buf.revenue_usd[j as usize] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm));
    }
    if !owed.is_empty() {
        let paid = super::gtm::treasury_payments(ctx, w, ledger, buf, &owed, pt)?;
        for (r, x) in owed.iter().zip(paid) {
            if r.gross {
                buf.settle.gross_platform_tokens += x;
            }
            buf.received_tokens[r.to as usize] += x;
            buf.revenue_usd[r.to as usize] += tok_usd(x);
        }
    }

    // B2B purchases, composites from the deepest level down, then by id.
    let wd = width(ctx);
    let composites = composites_in_order(ctx, w, buf);
    for j in composites {
        let recipe = p.categories[w.offerings.category[j] as usize]
            .recipe
            .clone();
        for (k, &(_, u)) in recipe.iter().enumerate() {
            let s = buf.supply[slot(wd, j, k)].0;
            if s == NONE {
                continue;
            }
            let units = buf.served[j] * u as u64;
            let su = s as usize;
            buf.served[su] += units;
            // Units used, plus `reservation_fee_share` of granted units left unused.
            let g_usd = b2b_gross_nano(ctx, units, buf.supply[slot(wd, j, k)].1, snap.b2b_usd[su]);
            if w.offerings.is_platform(su) {
                let g = pt.tokens_for_usd_floor(g_usd);
                let paid = pay_platform(
                    ctx,
                    ledger,
                    buf,
                    Account::Offering(j as u32),
                    s,
                    g,
                    Flow::B2b,
                )?;
                buf.settle.gross_b2b_tokens += paid;
                let v = tok_usd(paid);
                buf.revenue_usd[su] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm));
                buf.cost_usd[j] += v * (1.0 + p.buyer_fee());
            } else {
                ledger.transfer_usd(
                    step,
                    Account::Offering(j as u32),
                    Account::Offering(s),
                    g_usd,
                    Flow::B2b,
                )?;
                buf.settle.b2b_incumbent_usd += g_usd;
                buf.revenue_usd[su] += nano_to_usd(g_usd);
                buf.cost_usd[j] += nano_to_usd(g_usd);
            }
        }
    }

    // Platform buyers of the go-to-market strategies (the studio, accelerator grantees).
    let bw = buf.gtm.buyer_width;
    for b in 0..buf.gtm.buyers.len() {
        let buyer = buf.gtm.buyers[b].clone();
        let mut earmark = buyer.grantee.map_or(i128::MAX, |x| x.1);
        for k in 0..buyer.recipe.len() {
            let (s, units) = buf.gtm.buyer_supply[b * bw + k];
            if s == NONE || units == 0 {
                continue;
            }
            let su = s as usize;
            buf.served[su] += units;
            let g = pt.tokens_for_usd_floor(gross_nano(units, snap.b2b_usd[su]));
            let have = ledger.tokens(buyer.payer).min(earmark);
            let (paid, _) =
                pay_platform_sub(ctx, ledger, buf, buyer.payer, have, s, g, 0, Flow::B2b)?;
            let debit = paid + split_floor(paid, p.buyer_fee_ppm);
            if earmark != i128::MAX {
                earmark -= debit;
            }
            buf.settle.gross_b2b_tokens += paid;
            buf.gtm.buyer_gross_tokens += paid;
            buf.revenue_usd[su] += tok_usd(paid - split_floor(paid, p.seller_fee_ppm));
            if let Some((j, _)) = buyer.grantee {
                buf.cost_usd[j as usize] += tok_usd(debit);
            }
        }
        if let Some((j, e)) = buyer.grantee
            && let Some(g) = w.gtm.grantees.get_mut(&j)
        {
            g.earmark = (g.earmark - (e - earmark)).max(0);
        }
    }

    // Treasury USD obligations (salaries, marketing), oldest first, from its cash.
    super::gtm::pay_obligations(ctx, w, ledger, buf)?;

    // Costs: fixed cost of platform firms, compute (reserved: the whole capacity; on demand and
    // incumbents: per request served), paid to the outside world.
    let pr = &p.s.providers;
    let o = &w.offerings;
    for j in 0..n_off {
        if !o.active[j] {
            continue;
        }
        let served = buf.served[j] as f64;
        let compute = match (o.cost_override[j], o.ecosystem[j], o.capacity_mode[j]) {
            (Some(c), _, _) => c * served,
            (None, Ecosystem::Incumbent(_), _) => super::cost::slot_cost_usd(ctx, w, j) * served,
            (None, _, CapacityMode::OnDemand) => {
                super::cost::slot_cost_usd(ctx, w, j) * (1.0 + pr.on_demand_premium) * served
            }
            (None, _, CapacityMode::Reserved) => {
                let cap = buf.capacity_now[j];
                let cap = if cap == u64::MAX {
                    served
                } else {
                    o.capacity[j] as f64
                };
                super::cost::slot_cost_usd(ctx, w, j) * cap
            }
        };
        let fixed = if o.is_platform(j) {
            pr.fixed_cost_usd_per_step
        } else {
            0.0
        };
        // One channel claim (one gas fee) every `claim_every_steps` if the provider earned anything
        // since its last claim.
        let ce = p.s.platform.claim_every_steps.max(1);
        let mut gas = 0.0;
        if o.is_platform(j) && (step + 1).is_multiple_of(ce) {
            let slots = (ce as usize).min(crate::metrics::WINDOW);
            // This step's revenue, and the slots of the previous `slots − 1` steps (P9 has not yet
            // overwritten this step's slot, which still holds the revenue of WINDOW steps ago).
            let earned = (1..slots).any(|b| {
                let s = (step as usize + crate::metrics::WINDOW - b) % crate::metrics::WINDOW;
                o.revenue_ring[j * crate::metrics::WINDOW + s] > 0.0
            }) || buf.revenue_usd[j] > 0.0;
            if earned {
                gas = p.s.platform.gas_per_channel_op_usd;
                buf.gas_usd += gas;
            }
        }
        let cost = usd_to_nano(compute + fixed + gas);
        ledger.transfer_usd(
            step,
            Account::Offering(j as u32),
            Account::External,
            cost,
            Flow::Cost,
        )?;
        buf.cost_usd[j] += nano_to_usd(cost);
    }

    // Fee burn: a share of the step's fee credit.
    let burn = split_floor(buf.settle.fees_tokens, p.fee_burn_ppm);
    ledger.burn(step, Account::Treasury, burn)?;
    buf.settle.burned_tokens = burn;
    Ok(())
}
