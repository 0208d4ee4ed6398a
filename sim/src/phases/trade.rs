//! P7, the exchange batch (MODEL.md §7.10): orders are formed (customers buy what their accepted
//! platform jobs cost plus an escrow top-up, or sell escrow above target; providers sell the tokens
//! they received `provider_hold_steps` ago and whatever covers a cash deficit; composites buy what
//! their B2B purchases cost; deboarders and exited firms sell out), cleared at one uniform price
//! against the constant-product pool, and applied through the ledger in order.

use rayon::prelude::*;

use super::{CHUNK, StepBuf, StepCtx};
use crate::error::SimError;
use crate::exchange::{Pool, clear_at_price, clear_batch};
use crate::ledger::{Account, Flow, Ledger};
use crate::rng::{EntityKind, Purpose, Stream};
use crate::scenario::ExchangeModel;
use crate::state::{Status, World};
use crate::units::{
    Price, TOKEN_UNIT, mul_div_ceil, nano_to_usd, share_to_ppm, split_floor, usd_to_nano,
};

/// Runs P7 and returns the batch price.
pub fn trade(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<Price, SimError> {
    let p = ctx.p;
    let step = ctx.step;
    let fee_bps = p.exchange_fee_bps;
    let mid = w.token_price;
    let mid_usd = mid.usd_per_token();
    // "+2 base units' worth at the ask": covers the floor of the buyer's token amount.
    let dust = mul_div_ceil(
        2 * mid.num,
        10_000,
        mid.den.max(1) * (10_000 - fee_bps as i128),
    )
    .max(1);

    // Customer orders, in customer order (parallel over chunks, concatenated in order).
    let n = w.customers.len();
    let cust: Vec<Vec<(u32, i128, i128, i128)>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut out = Vec::new();
            for i in k * CHUNK..((k + 1) * CHUNK).min(n) {
                let escrow = ledger.tokens(Account::Customer(i as u32));
                if w.customers.status[i] != Status::Onboarded {
                    // A deboarded customer's escrow stays locked until its channels expire; it is
                    // sold from the release queue below.
                    continue;
                }
                let seg = &p.s.segments[w.customers.segment[i] as usize];
                let spend_nano = buf.spend_nano[i];
                let spend = crate::units::nano_to_usd(spend_nano);
                let need = buf.need_tokens[i];
                let ewma = w.customers.spend_ewma_usd[i].max(spend).max(0.0);
                // Gateway users hold no escrow: they buy exactly what they spend.
                let target_usd = if seg.uses_gateway {
                    0.0
                } else {
                    seg.prefund_steps * ewma
                };
                let (buy, sell, need) =
                    escrow_order(mid, dust, escrow, usd_to_nano(target_usd), spend_nano, need);
                if buy > 0 || sell > 0 || need > 0 {
                    out.push((i as u32, buy, sell, need));
                }
            }
            out
        })
        .collect();
    let mut cust: Vec<(u32, i128, i128, i128)> = cust.concat();
    // Deboarders: locked for `channel_expiry_steps`, then sold if they did not come back.
    let expiry = p.s.platform.channel_expiry_steps;
    for &i in &buf.deboarded {
        w.escrow_release.push_back((step + expiry, i));
    }
    buf.escrow_released = 0;
    while let Some(&(at, i)) = w.escrow_release.front() {
        if at > step {
            break;
        }
        w.escrow_release.pop_front();
        let escrow = ledger.tokens(Account::Customer(i));
        // Skip an entry made stale by re-onboarding after it was queued (a later deboarding has
        // its own entry, with its own full lock).
        let stale = w.customers.onboarded_at[i as usize] > at - expiry.min(at);
        if !stale && w.customers.status[i as usize] != Status::Onboarded && escrow > 0 {
            cust.push((i, 0, escrow, 0));
            buf.escrow_released += 1;
        }
    }

    // Offering orders, in id order.
    let o = &mut w.offerings;
    let hold = p.s.providers.provider_hold_steps as usize;
    let sell_ppm = share_to_ppm(p.s.providers.provider_sell_share);
    let slot = step as usize % hold;
    let mut firm: Vec<(u32, i128, i128)> = Vec::new();
    for j in 0..o.len() {
        if !o.is_platform(j) {
            continue;
        }
        let wallet = ledger.tokens(Account::Offering(j as u32));
        let mut sell = 0;
        let mut buy = 0;
        if o.pending_exit_sale[j] {
            sell = wallet;
        } else if o.active[j] {
            // Tokens received `hold` steps ago sit in this ring slot (it is overwritten in P8).
            sell = split_floor(o.received_ring[j * hold + slot], sell_ppm);
            // An accelerator grantee also sells its share of the tokens vested (§7.13).
            if let Some(g) = w.gtm.grantees.get_mut(&(j as u32)) {
                let free = (wallet - sell.min(wallet)).max(0);
                let s = g.to_sell.min(free);
                buf.gtm.grantee_sell_tokens += s;
                sell += s;
                // What the wallet could not cover now is sold later, if the tokens are still there.
                g.to_sell = (g.to_sell - s).min(free - s);
            }
            let cash = ledger.usd(Account::Offering(j as u32));
            if cash < 0 {
                sell += mul_div_ceil(-cash, mid.den, mid.num.max(1));
            }
            sell = sell.min(wallet);
            if buf.b2b_spend_nano[j] > 0 {
                buy = buf.b2b_spend_nano[j] + dust;
            }
        }
        if buy > 0 || sell > 0 {
            firm.push((j as u32, buy, sell));
        }
    }

    // Speculators: noise plus momentum, in USD; buys from the outside world, sells cut to holdings.
    let sp = &p.s.speculators;
    let mut spec = (0i128, 0i128);
    if sp.enabled {
        let mut r = Stream::new(
            ctx.seed,
            ctx.run,
            step as u64,
            EntityKind::Global,
            0,
            Purpose::Speculator,
        );
        let [p1, p2] = w.price_history;
        let momentum = if p2 > 0.0 {
            sp.momentum * (p1 / p2 - 1.0) * sp.momentum_scale_usd
        } else {
            0.0
        };
        let flow = sp.noise_usd_sd * r.normal() + momentum;
        if flow > 0.0 {
            spec.0 = usd_to_nano(flow);
        } else if flow < 0.0 {
            let tokens = mul_div_ceil(usd_to_nano(-flow), mid.den, mid.num.max(1));
            spec.1 = tokens.min(ledger.tokens(Account::Speculators));
        }
    }
    buf.speculator_flow = spec;

    // Go-to-market orders: treasury sells, buyback, the studio's buys, airdrop sells.
    let mut committed = std::collections::BTreeMap::new();
    for &(a, _, _) in &buf.gtm.airdrop_sells {
        committed.insert(a, 0i128);
    }
    if !committed.is_empty() {
        for x in &cust {
            if let Some(v) = committed.get_mut(&Account::Customer(x.0)) {
                *v += x.2;
            }
        }
        for x in &firm {
            if let Some(v) = committed.get_mut(&Account::Offering(x.0)) {
                *v += x.2;
            }
        }
    }
    let extra = super::gtm::orders(ctx, w, ledger, buf, &|a| {
        committed.get(&a).copied().unwrap_or(0)
    });
    let buys: Vec<i128> = cust
        .iter()
        .map(|x| x.1)
        .chain(firm.iter().map(|x| x.1))
        .chain([spec.0])
        .chain(extra.iter().map(|x| x.buy))
        .collect();
    let sells: Vec<i128> = cust
        .iter()
        .map(|x| x.2)
        .chain(firm.iter().map(|x| x.2))
        .chain([spec.1])
        .chain(extra.iter().map(|x| x.sell))
        .collect();
    let exact: Vec<i128> = cust.iter().map(|x| x.3).collect();
    let pool = Pool {
        usd: ledger.usd(Account::Pool),
        tokens: ledger.tokens(Account::Pool),
        fee_bps,
    };
    let (r, buys, sells) = match p.s.exchange.model {
        ExchangeModel::Cpmm => (clear_batch(&pool, &buys, &sells, &exact), buys, sells),
        model => {
            let price = fixed_model_price(ctx, mid_usd, model, &buys, &sells);
            clear_at_price(&pool, price, &buys, &sells, &exact)
        }
    };

    // Apply: inflows to the pool first, then outflows.
    let nc = cust.len();
    let nf = firm.len();
    let who = |k: usize| {
        if k < nc {
            Account::Customer(cust[k].0)
        } else if k < nc + nf {
            Account::Offering(firm[k - nc].0)
        } else if k == nc + nf {
            Account::Speculators
        } else {
            extra[k - nc - nf - 1].tok
        }
    };
    let fiat = |k: usize| {
        if k < nc || k == nc + nf {
            Account::External
        } else if k < nc + nf {
            Account::Offering(firm[k - nc].0)
        } else {
            extra[k - nc - nf - 1].fiat
        }
    };
    for k in 0..buys.len() {
        ledger.transfer_usd(step, fiat(k), Account::Pool, buys[k], Flow::ExchangeIn)?;
        ledger.transfer_tokens(step, who(k), Account::Pool, sells[k], Flow::ExchangeIn)?;
    }
    for (k, &paid) in r.exact_paid.iter().enumerate() {
        ledger.transfer_usd(
            step,
            Account::External,
            Account::Pool,
            paid,
            Flow::ExchangeIn,
        )?;
        ledger.transfer_tokens(
            step,
            Account::Pool,
            Account::Customer(cust[k].0),
            r.exact_filled[k],
            Flow::ExchangeOut,
        )?;
    }
    for k in 0..buys.len() {
        ledger.transfer_tokens(
            step,
            Account::Pool,
            who(k),
            r.tokens_out[k],
            Flow::ExchangeOut,
        )?;
        ledger.transfer_usd(
            step,
            Account::Pool,
            fiat(k),
            r.usd_out[k],
            Flow::ExchangeOut,
        )?;
    }
    debug_assert_eq!(ledger.usd(Account::Pool), r.pool_after.usd);
    debug_assert_eq!(ledger.tokens(Account::Pool), r.pool_after.tokens);
    buf.exchange.buy_usd = buys.iter().sum::<i128>() + r.exact_paid.iter().sum::<i128>();
    buf.exchange.sell_tokens = sells.iter().sum();
    let x0 = nc + nf + 1;
    super::gtm::after_trade(
        ctx,
        w,
        ledger,
        buf,
        &extra,
        &buys[x0..],
        &sells[x0..],
        &r.tokens_out[x0..],
    )?;
    let o = &mut w.offerings;

    // Exited firms: after their sale, cash is withdrawn (or the debt written off).
    for j in 0..o.len() {
        if o.pending_exit_sale[j] {
            o.pending_exit_sale[j] = false;
            let a = Account::Offering(j as u32);
            let cash = ledger.usd(a);
            if cash > 0 {
                ledger.transfer_usd(step, a, Account::External, cash, Flow::Exit)?;
            } else if cash < 0 {
                buf.bad_debt_usd += crate::units::nano_to_usd(-cash);
                ledger.transfer_usd(step, Account::External, a, -cash, Flow::Exit)?;
            }
        }
    }
    w.token_price = match p.s.exchange.model {
        ExchangeModel::Cpmm => Price {
            num: ledger.usd(Account::Pool),
            den: ledger.tokens(Account::Pool).max(1),
        },
        // Under the fixed-price models the pool is only the counterparty: the price is the model's.
        _ => r.price,
    };
    w.price_history = [r.price.usd_per_token(), w.price_history[0]];
    Ok(r.price)
}

/// The batch price of the `log_impact` and `exogenous` models (MODEL.md §7.10), as a rational with
/// denominator 10¹².
fn fixed_model_price(
    ctx: &StepCtx<'_>,
    prev: f64,
    model: ExchangeModel,
    buys: &[i128],
    sells: &[i128],
) -> Price {
    let ex = &ctx.p.s.exchange;
    let p = match model {
        ExchangeModel::LogImpact => {
            let b = nano_to_usd(buys.iter().sum());
            let s = sells.iter().sum::<i128>() as f64 / TOKEN_UNIT as f64;
            prev * (ex.impact_lambda * (b - s * prev) / ex.depth_usd).exp()
        }
        ExchangeModel::Exogenous => {
            if ex.drift_per_year == 0.0 && ex.vol_per_year == 0.0 {
                prev
            } else {
                let dt = ctx.p.dt_years;
                let mut r = Stream::new(
                    ctx.seed,
                    ctx.run,
                    ctx.step as u64,
                    EntityKind::Global,
                    0,
                    Purpose::Exchange,
                );
                let sigma = ex.vol_per_year;
                prev * ((ex.drift_per_year - sigma * sigma / 2.0) * dt
                    + sigma * dt.sqrt() * r.normal())
                .exp()
            }
        }
        ExchangeModel::Cpmm => unreachable!("the pool's own price"),
    };
    let mut price = Price::from_usd_per_token(p);
    price.num = price.num.max(1);
    price
}

/// One onboarded customer's exchange order (MODEL.md §7.10, D26): what it buys (nano-USD), sells
/// and buys exactly (base units) so that, after paying this step's platform spend `spend` (nano-USD,
/// USD quotes) and `need` (base units, token quotes), its escrow is back at `target` (nano-USD), all
/// valued at the snapshot mid price. Escrow above the target is netted against the step's spend
/// before anything is bought, so a customer never buys and sells in the same batch; only what is
/// left after the spend is sold. `dust` is added to a USD buy that pays for spend (it covers the
/// flooring of the buyer's tokens).
pub fn escrow_order(
    mid: Price,
    dust: i128,
    escrow: i128,
    target: i128,
    spend: i128,
    need: i128,
) -> (i128, i128, i128) {
    let num = mid.num.max(1);
    let target_tok = mul_div_ceil(target, mid.den, num);
    let mut excess = escrow - target_tok;
    if excess <= 0 {
        // At or under the target: buy the spend, the need, and the top-up.
        let mut buy = spend;
        if spend > 0 || need > 0 {
            buy += dust;
        }
        buy += (target - mid.usd_for_tokens_floor(escrow)).max(0);
        return (buy, 0, need);
    }
    // The excess covers token-quoted needs first (exact amounts), then USD spend.
    let covered = excess.min(need);
    let need = need - covered;
    excess -= covered;
    let spend_tok = mul_div_ceil(spend, mid.den, num);
    if excess >= spend_tok {
        (0, excess - spend_tok, need)
    } else {
        let buy = spend - mid.usd_for_tokens_floor(excess) + dust;
        (buy, 0, need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Mid price 0.5 USD per token: 5·10⁸ nano-USD per 10⁸ base units, i.e. 5 nano per base unit.
    const MID: Price = Price { num: 5, den: 1 };
    const DUST: i128 = 7;

    #[test]
    fn under_target_buys_spend_dust_and_top_up() {
        // Escrow 100 base units = 500 nano; target 800 nano; spend 300 nano.
        assert_eq!(
            escrow_order(MID, DUST, 100, 800, 300, 0),
            (300 + DUST + 300, 0, 0)
        );
        // No spend and no need: only the top-up, without dust.
        assert_eq!(escrow_order(MID, DUST, 100, 800, 0, 0), (300, 0, 0));
    }

    #[test]
    fn an_excess_smaller_than_the_spend_lowers_the_buy() {
        // Escrow 200 units = 1000 nano, target 800 nano (160 units): excess 40 units = 200 nano;
        // spend 300 nano: buy 300 − 200 + dust, sell nothing.
        assert_eq!(
            escrow_order(MID, DUST, 200, 800, 300, 0),
            (100 + DUST, 0, 0)
        );
    }

    #[test]
    fn an_excess_larger_than_the_spend_is_sold_net_of_it() {
        // Escrow 300 units, target 160 units, spend 300 nano = 60 units: sell 300 − 160 − 60.
        assert_eq!(escrow_order(MID, DUST, 300, 800, 300, 0), (0, 80, 0));
        // No spend: the whole excess is sold (the reference's rule).
        assert_eq!(escrow_order(MID, DUST, 300, 800, 0, 0), (0, 140, 0));
        // Never both a buy and a sell.
        for escrow in 0..400 {
            let (b, s, _) = escrow_order(MID, DUST, escrow, 800, 300, 0);
            assert!(b == 0 || s == 0, "escrow {escrow}: buy {b} and sell {s}");
        }
    }

    #[test]
    fn token_needs_are_covered_by_the_excess_first() {
        // Excess 140 units; need 100 units: covered, 40 left against spend 300 nano (60 units):
        // buy 300 − 200 + dust.
        assert_eq!(
            escrow_order(MID, DUST, 300, 800, 300, 100),
            (100 + DUST, 0, 0)
        );
        // Need 200 units: 140 covered, 60 bought exactly, the spend bought in full.
        assert_eq!(
            escrow_order(MID, DUST, 300, 800, 300, 200),
            (300 + DUST, 0, 60)
        );
    }

    #[test]
    fn after_paying_at_mid_the_escrow_is_back_at_target() {
        // Whatever the escrow, buying or selling at mid (no fee, no dust) and then paying the
        // spend leaves exactly the target (the amounts here divide evenly).
        for escrow in [0i128, 50, 160, 170, 220, 221, 500, 10_000] {
            let (b, s, y) = escrow_order(MID, 0, escrow, 800, 300, 0);
            let after = escrow + b / 5 - s + y - 300 / 5;
            assert_eq!(after, 800 / 5, "escrow {escrow}: buy {b}, sell {s}");
        }
    }
}
