//! P7, the exchange batch (MODEL.md §7.10): orders are formed (customers buy what their accepted
//! platform jobs cost plus an escrow top-up, or sell escrow above target; providers sell the tokens
//! they received `provider_hold_steps` ago and whatever covers a cash deficit; composites buy what
//! their B2B purchases cost; deboarders and exited firms sell out), cleared at one uniform price
//! against the constant-product pool, and applied through the ledger in order.

use rayon::prelude::*;

use super::{CHUNK, StepBuf, StepCtx};
use crate::error::SimError;
use crate::exchange::{Pool, clear_batch};
use crate::ledger::{Account, Flow, Ledger};
use crate::state::{Status, World};
use crate::units::{Price, mul_div_ceil, split_floor, share_to_ppm, usd_to_nano};

/// Runs P7 and returns the batch price.
pub fn trade(ctx: &StepCtx<'_>, w: &mut World, ledger: &mut Ledger, buf: &mut StepBuf) -> Result<Price, SimError> {
    let p = ctx.p;
    let step = ctx.step;
    let fee_bps = p.exchange_fee_bps;
    let mid = w.token_price;
    let mid_usd = mid.usd_per_token();
    // "+2 base units' worth at the ask": covers the floor of the buyer's token amount.
    let dust = mul_div_ceil(2 * mid.num, 10_000, mid.den.max(1) * (10_000 - fee_bps as i128)).max(1);

    // Customer orders, in customer order (parallel over chunks, concatenated in order).
    let n = w.customers.len();
    let cust: Vec<Vec<(u32, i128, i128, i128)>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let mut out = Vec::new();
            for i in k * CHUNK..((k + 1) * CHUNK).min(n) {
                let escrow = ledger.tokens(Account::Customer(i as u32));
                if w.customers.status[i] != Status::Onboarded {
                    if escrow > 0 {
                        out.push((i as u32, 0, escrow, 0));
                    }
                    continue;
                }
                let seg = &p.s.segments[w.customers.segment[i] as usize];
                let spend_nano = buf.spend_nano[i];
                let spend = crate::units::nano_to_usd(spend_nano);
                let need = buf.need_tokens[i];
                let ewma = w.customers.spend_ewma_usd[i].max(spend).max(0.0);
                let target_usd = seg.prefund_steps * ewma;
                let escrow_usd = escrow as f64 * mid_usd / crate::units::TOKEN_UNIT as f64;
                let mut buy = spend_nano;
                if buy > 0 || need > 0 {
                    buy += dust;
                }
                let mut sell = 0;
                if target_usd > escrow_usd {
                    buy += usd_to_nano(target_usd - escrow_usd);
                } else if spend_nano == 0 && need == 0 {
                    let keep = mul_div_ceil(usd_to_nano(target_usd), mid.den, mid.num.max(1));
                    sell = (escrow - keep).max(0);
                }
                if buy > 0 || sell > 0 || need > 0 {
                    out.push((i as u32, buy, sell, need));
                }
            }
            out
        })
        .collect();
    let cust: Vec<(u32, i128, i128, i128)> = cust.concat();

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

    let buys: Vec<i128> = cust.iter().map(|x| x.1).chain(firm.iter().map(|x| x.1)).collect();
    let sells: Vec<i128> = cust.iter().map(|x| x.2).chain(firm.iter().map(|x| x.2)).collect();
    let exact: Vec<i128> = cust.iter().map(|x| x.3).collect();
    let pool = Pool { usd: ledger.usd(Account::Pool), tokens: ledger.tokens(Account::Pool), fee_bps };
    let r = clear_batch(&pool, &buys, &sells, &exact);

    // Apply: inflows to the pool first, then outflows.
    let nc = cust.len();
    let who = |k: usize| if k < nc { Account::Customer(cust[k].0) } else { Account::Offering(firm[k - nc].0) };
    let fiat = |k: usize| if k < nc { Account::External } else { Account::Offering(firm[k - nc].0) };
    for k in 0..buys.len() {
        ledger.transfer_usd(step, fiat(k), Account::Pool, buys[k], Flow::ExchangeIn)?;
        ledger.transfer_tokens(step, who(k), Account::Pool, sells[k], Flow::ExchangeIn)?;
    }
    for (k, &paid) in r.exact_paid.iter().enumerate() {
        ledger.transfer_usd(step, Account::External, Account::Pool, paid, Flow::ExchangeIn)?;
        ledger.transfer_tokens(step, Account::Pool, Account::Customer(cust[k].0), r.exact_filled[k], Flow::ExchangeOut)?;
    }
    for k in 0..buys.len() {
        ledger.transfer_tokens(step, Account::Pool, who(k), r.tokens_out[k], Flow::ExchangeOut)?;
        ledger.transfer_usd(step, Account::Pool, fiat(k), r.usd_out[k], Flow::ExchangeOut)?;
    }
    debug_assert_eq!(ledger.usd(Account::Pool), r.pool_after.usd);
    debug_assert_eq!(ledger.tokens(Account::Pool), r.pool_after.tokens);
    buf.exchange.buy_usd = buys.iter().sum::<i128>() + r.exact_paid.iter().sum::<i128>();
    buf.exchange.sell_tokens = sells.iter().sum();

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
    w.token_price = Price { num: ledger.usd(Account::Pool), den: ledger.tokens(Account::Pool).max(1) };
    Ok(r.price)
}
