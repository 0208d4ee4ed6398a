//! Constant-product exchange pool with one uniform clearing price per step (MODEL.md §7.10).
//!
//! Pure functions, no ledger: [`clear_batch`] takes the pool and the step's orders (USD buys, token
//! sells and exact-amount token buys) and returns the uniform clearing price p_t as an exact rational
//! (nano-USD per base unit), every order's fill, and the pool's reserves after the batch. The caller
//! books the transfers. The fee is f = `fee_bps`/10⁴ and stays in the pool, so k = x·y never
//! decreases.
//!
//! # Clearing (MODEL.md §7.10)
//!
//! With B = Σ buys (nano-USD), S = Σ sells (base units), Y = Σ exact-amount fills (base units),
//! S_e = S − Y, f_den = 10⁴, f_num = `fee_bps`, g = f_den − f_num:
//!
//! - empty batch (B = 0, S = 0 and no exact-amount tokens requested): p = x/y, nothing trades;
//! - net buy, if B·den ≥ S_e·num: num = f_den·x + g·B, den = g·(y + S_e);
//! - else net sell, if B·den ≤ S_e·num: num = g·(x + B), den = f_den·y + g·S_e;
//! - else cross: num = B, den = S_e (buys and sells meet inside the bid–ask band; no pool trade).
//!
//! The branch tests are exact (256-bit). Each buyer receives ⌊B_i·den/num⌋ base units, each seller
//! ⌊S_j·num/den⌋ nano-USD, each exact-amount buyer pays ⌈Y_b·num/den⌉ nano-USD. Exact-amount orders
//! are negative sells; if y + S − ΣY_b would not be positive they are scaled down pro rata,
//! Y_b ← ⌊Y_b·(y + S − 1)/ΣY_b⌋. A batch with S_e ≤ 0 (exact buys outweigh sells) always passes the
//! net-buy test, and its price is positive because y + S_e ≥ 1.
//!
//! # Guarantee
//!
//! Let (x*, y*) be the real-valued reserves the closed forms give for the filled orders (every fill
//! unrounded). Then x* > 0, y* > 0 and x*·y* ≥ x·y for every fee in [0, 1): with f = 0 the net-buy and
//! net-sell branches give x*·y* = x·y exactly (and the cross branch cannot occur), with f > 0 the
//! inequality follows from the branch test, and the cross branch gives x* = x, y* = y. The pool after
//! the batch is computed by conservation, so all rounding dust stays in it:
//! 0 ≤ x' − x* < n_sell + n_exact (nano-USD) and 0 ≤ y' − y* < n_buy (base units). Hence, exactly in
//! integers: x' ≥ 1, y' ≥ 1, x'·y' ≥ x·y, and every output is non-negative.
//!
//! Panics only on preconditions (pool reserves positive, `fee_bps` < 10⁴, order amounts ≥ 0) or if an
//! amount does not fit `i128` (sums, reserves times 10⁴, or a payment above about 1.7·10²⁹ USD).

use ethnum::I256;

use crate::units::{Price, mul_div_floor};

/// Denominator of the exchange fee (basis points).
pub const FEE_DEN: i128 = 10_000;

/// A constant-product pool x·y = k.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// USD reserve x, nano-USD (> 0).
    pub usd: i128,
    /// Token reserve y, base units (> 0).
    pub tokens: i128,
    /// Fee f = `fee_bps`/10⁴, below 10⁴.
    pub fee_bps: u32,
}

impl Pool {
    /// Panics unless both reserves are positive and the fee is below 100 %.
    fn assert_valid(&self) {
        assert!(
            self.usd > 0 && self.tokens > 0,
            "exchange: pool reserves must be positive, got {self:?}"
        );
        assert!(
            (self.fee_bps as i128) < FEE_DEN,
            "exchange: fee_bps must be below 10000, got {}",
            self.fee_bps
        );
    }

    /// g = f_den − f_num.
    fn fee_complement(&self) -> i128 {
        FEE_DEN - self.fee_bps as i128
    }
}

/// Which clearing rule set the price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Branch {
    /// No orders: p = x/y.
    Empty,
    /// The pool sells tokens for the net USD inflow.
    NetBuy,
    /// The pool buys tokens for USD.
    NetSell,
    /// Buys and sells cross inside the bid–ask band at p = B/S; no pool trade.
    Cross,
}

/// The outcome of one batch; see the module documentation for the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchResult {
    /// p_t = num/den nano-USD per base unit, as given by the branch's formula (not reduced).
    pub price: Price,
    /// The branch that set the price.
    pub branch: Branch,
    /// Per buy order i: ⌊B_i·den/num⌋ base units.
    pub tokens_out: Vec<i128>,
    /// Per sell order j: ⌊S_j·num/den⌋ nano-USD.
    pub usd_out: Vec<i128>,
    /// Per exact-amount buy order: ⌈filled·num/den⌉ nano-USD paid.
    pub exact_paid: Vec<i128>,
    /// Per exact-amount buy order: base units delivered (the requested amount, or scaled down).
    pub exact_filled: Vec<i128>,
    /// Reserves after the batch, by conservation (rounding dust stays in the pool).
    pub pool_after: Pool,
}

#[inline]
fn checked_mul(a: i128, b: i128) -> i128 {
    a.checked_mul(b)
        .unwrap_or_else(|| panic!("exchange: {a}·{b} does not fit i128"))
}

#[inline]
fn checked_add(a: i128, b: i128) -> i128 {
    a.checked_add(b)
        .unwrap_or_else(|| panic!("exchange: {a} + {b} does not fit i128"))
}

/// Σ amounts, asserting each is non-negative and the sum fits `i128`.
fn checked_total(amounts: &[i128], what: &str) -> i128 {
    let mut total: i128 = 0;
    for &a in amounts {
        assert!(a >= 0, "exchange: negative {what} order {a}");
        total = checked_add(total, a);
    }
    total
}

#[inline]
fn wide(a: i128) -> I256 {
    I256::new(a)
}

/// The mid price x/y (nano-USD per base unit).
pub fn mid_price(pool: &Pool) -> Price {
    Price {
        num: pool.usd,
        den: pool.tokens,
    }
}

/// Tokens out for `usd_in` (>= 0) nano-USD in a single swap (Uniswap v2 `getAmountOut`):
/// ⌊y·g·dx / (f_den·x + g·dx)⌋ with g = f_den − f_num.
pub fn swap_usd_for_tokens(pool: &Pool, usd_in: i128) -> i128 {
    pool.assert_valid();
    assert!(usd_in >= 0, "exchange: negative swap input {usd_in}");
    let in_with_fee = checked_mul(pool.fee_complement(), usd_in);
    let den = checked_add(checked_mul(FEE_DEN, pool.usd), in_with_fee);
    mul_div_floor(pool.tokens, in_with_fee, den)
}

/// Nano-USD out for `tokens_in` (>= 0) base units in a single swap (Uniswap v2 `getAmountOut`):
/// ⌊x·g·dy / (f_den·y + g·dy)⌋.
pub fn swap_tokens_for_usd(pool: &Pool, tokens_in: i128) -> i128 {
    pool.assert_valid();
    assert!(tokens_in >= 0, "exchange: negative swap input {tokens_in}");
    let in_with_fee = checked_mul(pool.fee_complement(), tokens_in);
    let den = checked_add(checked_mul(FEE_DEN, pool.tokens), in_with_fee);
    mul_div_floor(pool.usd, in_with_fee, den)
}

/// Clears one batch at a uniform price against the pool (MODEL.md §7.10; see the module docs).
///
/// `buys_usd`: nano-USD per buy order; `sells_tokens`: base units per sell order;
/// `exact_buys_tokens`: base units wanted per exact-amount buy order. All amounts must be ≥ 0.
/// Outputs are in the same order as the inputs.
pub fn clear_batch(
    pool: &Pool,
    buys_usd: &[i128],
    sells_tokens: &[i128],
    exact_buys_tokens: &[i128],
) -> BatchResult {
    pool.assert_valid();
    let x = pool.usd;
    let y = pool.tokens;
    let g = pool.fee_complement();

    let b_total = checked_total(buys_usd, "buy");
    let s_total = checked_total(sells_tokens, "sell");
    let y_requested = checked_total(exact_buys_tokens, "exact-amount buy");

    // Exact-amount orders: keep y + S − ΣY_b >= 1, scaling down pro rata (floor) if needed.
    let cap = checked_add(y, s_total) - 1; // >= 0
    let exact_filled: Vec<i128> = if y_requested <= cap {
        exact_buys_tokens.to_vec()
    } else {
        exact_buys_tokens
            .iter()
            .map(|&yb| mul_div_floor(yb, cap, y_requested))
            .collect()
    };
    let y_filled: i128 = if y_requested <= cap {
        y_requested
    } else {
        exact_filled.iter().sum()
    };
    debug_assert!(y_filled <= cap);
    // Effective net sells; y + s_eff >= 1.
    let s_eff = s_total - y_filled;

    let (branch, price) = if b_total == 0 && s_total == 0 && y_requested == 0 {
        (Branch::Empty, mid_price(pool))
    } else {
        let buy = Price {
            num: checked_add(checked_mul(FEE_DEN, x), checked_mul(g, b_total)),
            den: checked_mul(g, y + s_eff),
        };
        if wide(b_total) * wide(buy.den) >= wide(s_eff) * wide(buy.num) {
            (Branch::NetBuy, buy)
        } else {
            // The net-buy test failed, so s_eff > 0 (B·den >= 0 >= S_e·num otherwise).
            let sell = Price {
                num: checked_mul(g, checked_add(x, b_total)),
                den: checked_add(checked_mul(FEE_DEN, y), checked_mul(g, s_eff)),
            };
            if wide(b_total) * wide(sell.den) <= wide(s_eff) * wide(sell.num) {
                (Branch::NetSell, sell)
            } else {
                // Both tests failed: s_eff > 0 and b_total > 0.
                (
                    Branch::Cross,
                    Price {
                        num: b_total,
                        den: s_eff,
                    },
                )
            }
        }
    };
    debug_assert!(price.num > 0 && price.den > 0, "{price:?}");

    // The reduced fraction denotes the same rational, so every floor/ceil below is unchanged; it
    // only keeps more products on the i128 fast path.
    let p = price.reduced();

    let mut tokens_out = Vec::with_capacity(buys_usd.len());
    let mut tokens_out_total: i128 = 0;
    for &b in buys_usd {
        let t = p.tokens_for_usd_floor(b);
        tokens_out_total = checked_add(tokens_out_total, t);
        tokens_out.push(t);
    }
    let mut usd_out = Vec::with_capacity(sells_tokens.len());
    let mut usd_out_total: i128 = 0;
    for &s in sells_tokens {
        let u = p.usd_for_tokens_floor(s);
        usd_out_total = checked_add(usd_out_total, u);
        usd_out.push(u);
    }
    let mut exact_paid = Vec::with_capacity(exact_filled.len());
    let mut exact_paid_total: i128 = 0;
    for &yb in &exact_filled {
        let u = p.usd_for_tokens_ceil(yb);
        exact_paid_total = checked_add(exact_paid_total, u);
        exact_paid.push(u);
    }

    let usd_after = checked_add(checked_add(x, b_total), exact_paid_total) - usd_out_total;
    let tokens_after = checked_add(y, s_total) - tokens_out_total - y_filled;
    let pool_after = Pool {
        usd: usd_after,
        tokens: tokens_after,
        fee_bps: pool.fee_bps,
    };
    assert!(
        usd_after > 0 && tokens_after > 0,
        "exchange: pool not positive after the batch: {pool_after:?} (bug)"
    );
    debug_assert!(
        wide(usd_after) * wide(tokens_after) >= wide(x) * wide(y),
        "exchange: k decreased: {pool:?} -> {pool_after:?}"
    );

    BatchResult {
        price,
        branch,
        tokens_out,
        usd_out,
        exact_paid,
        exact_filled,
        pool_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{USD_UNIT, base_to_tokens, tokens_to_base, usd_to_nano};
    use ethnum::U256;
    use proptest::prelude::*;

    fn u(a: i128) -> U256 {
        assert!(a >= 0);
        U256::new(a as u128)
    }

    fn k(p: &Pool) -> U256 {
        u(p.usd) * u(p.tokens)
    }

    /// ⌊a·b/c⌋ and ⌈a·b/c⌉ in 256 bits, written independently of `units`.
    fn floor3(a: U256, b: U256, c: U256) -> i128 {
        i128::try_from(a * b / c).unwrap()
    }
    fn ceil3(a: U256, b: U256, c: U256) -> i128 {
        let p = a * b;
        let q = p / c;
        i128::try_from(if q * c == p { q } else { q + 1 }).unwrap()
    }

    /// The V8 pool: x₀ = 1e6 USD, y₀ = 1e9 tokens (p₀ = 0.001 USD/token).
    fn v8_pool(fee_bps: u32) -> Pool {
        Pool {
            usd: usd_to_nano(1e6),
            tokens: tokens_to_base(1e9),
            fee_bps,
        }
    }

    /// Splits `total` into `n` orders with weights 1..=n; the remainder goes to the last.
    fn split(total: i128, n: i128) -> Vec<i128> {
        let w: i128 = n * (n + 1) / 2;
        let mut v: Vec<i128> = (1..=n).map(|i| total * i / w).collect();
        let rest = total - v.iter().sum::<i128>();
        *v.last_mut().unwrap() += rest;
        v
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a / b - 1.0).abs()
    }

    /// Checks every rule and guarantee of §7.10 on one result against formulas written out here.
    fn check_batch(pool: &Pool, buys: &[i128], sells: &[i128], exact: &[i128], r: &BatchResult) {
        let (x, y) = (pool.usd, pool.tokens);
        let b: i128 = buys.iter().sum();
        let s: i128 = sells.iter().sum();
        let y_req: i128 = exact.iter().sum();
        assert_eq!(r.tokens_out.len(), buys.len());
        assert_eq!(r.usd_out.len(), sells.len());
        assert_eq!(r.exact_paid.len(), exact.len());
        assert_eq!(r.exact_filled.len(), exact.len());

        // Exact-amount fills.
        let cap = y + s - 1;
        for (i, &want) in exact.iter().enumerate() {
            let expected = if y_req <= cap {
                want
            } else {
                floor3(u(want), u(cap), u(y_req))
            };
            assert_eq!(r.exact_filled[i], expected);
        }
        let y_fill: i128 = r.exact_filled.iter().sum();
        assert!(y_fill <= cap);
        let se = s - y_fill;

        // Branch and price.
        let (n, d) = (r.price.num, r.price.den);
        assert!(n > 0 && d > 0);
        let iw = |a: i128| I256::new(a);
        match r.branch {
            Branch::Empty => {
                assert!(b == 0 && s == 0 && y_req == 0);
                assert_eq!(r.price, Price { num: x, den: y });
            }
            Branch::NetBuy => {
                assert_eq!(n, FEE_DEN * x + (FEE_DEN - pool.fee_bps as i128) * b);
                assert_eq!(d, (FEE_DEN - pool.fee_bps as i128) * (y + se));
                assert!(iw(b) * iw(d) >= iw(se) * iw(n));
            }
            Branch::NetSell => {
                let bn = FEE_DEN * x + (FEE_DEN - pool.fee_bps as i128) * b;
                let bd = (FEE_DEN - pool.fee_bps as i128) * (y + se);
                assert!(iw(b) * iw(bd) < iw(se) * iw(bn), "net buy should have won");
                assert_eq!(n, (FEE_DEN - pool.fee_bps as i128) * (x + b));
                assert_eq!(d, FEE_DEN * y + (FEE_DEN - pool.fee_bps as i128) * se);
                assert!(iw(b) * iw(d) <= iw(se) * iw(n));
            }
            Branch::Cross => {
                assert!(pool.fee_bps > 0, "cross cannot occur with f = 0");
                assert_eq!((n, d), (b, se));
            }
        }

        // Per-order fills.
        for (i, &bi) in buys.iter().enumerate() {
            assert_eq!(r.tokens_out[i], floor3(u(bi), u(d), u(n)));
        }
        for (j, &sj) in sells.iter().enumerate() {
            assert_eq!(r.usd_out[j], floor3(u(sj), u(n), u(d)));
        }
        for (i, &yb) in r.exact_filled.iter().enumerate() {
            assert_eq!(r.exact_paid[i], ceil3(u(yb), u(n), u(d)));
        }
        assert!(r.tokens_out.iter().all(|&v| v >= 0));
        assert!(r.usd_out.iter().all(|&v| v >= 0));
        assert!(r.exact_paid.iter().all(|&v| v >= 0));
        assert!(r.exact_filled.iter().all(|&v| v >= 0));

        // Conservation.
        let paid: i128 = r.exact_paid.iter().sum();
        let usd_out: i128 = r.usd_out.iter().sum();
        let tok_out: i128 = r.tokens_out.iter().sum();
        assert_eq!(b + paid + x, usd_out + r.pool_after.usd);
        assert_eq!(s + y, tok_out + y_fill + r.pool_after.tokens);
        assert_eq!(r.pool_after.fee_bps, pool.fee_bps);

        // Positive pool, k never decreases.
        assert!(r.pool_after.usd > 0 && r.pool_after.tokens > 0);
        assert!(k(&r.pool_after) >= k(pool));

        // Dust bounds against the real-valued reserves x* = x + B − S_e·p, y* = y + S_e − B/p:
        // x'·d − (x·d + B·d − S_e·n) ∈ [0, (n_sell + n_exact)·d), y'·n − (y·n + S_e·n − B·d) ∈ [0, n_buy·n).
        let x_star_d = iw(x) * iw(d) + iw(b) * iw(d) - iw(se) * iw(n);
        let dx = iw(r.pool_after.usd) * iw(d) - x_star_d;
        assert!(dx >= I256::ZERO);
        assert!(dx < iw((sells.len() + exact.len()) as i128) * iw(d) || dx == I256::ZERO);
        let y_star_n = iw(y) * iw(n) + iw(se) * iw(n) - iw(b) * iw(d);
        let dy = iw(r.pool_after.tokens) * iw(n) - y_star_n;
        assert!(dy >= I256::ZERO);
        assert!(dy < iw(buys.len() as i128) * iw(n) || dy == I256::ZERO);
    }

    fn clear_checked(pool: &Pool, buys: &[i128], sells: &[i128], exact: &[i128]) -> BatchResult {
        let r = clear_batch(pool, buys, sells, exact);
        check_batch(pool, buys, sells, exact, &r);
        r
    }

    #[test]
    fn v8a_buys_spread_over_batches_follow_the_invariant() {
        let x0 = v8_pool(0);
        let k0 = k(&x0);
        let k0_f = x0.usd as f64 * x0.tokens as f64;
        // F = 1e6 USD over 5 batches of 3, 7, 1, 5 and 11 orders.
        let batches = [
            (100_000.0, 3),
            (300_000.0, 7),
            (50_000.0, 1),
            (250_000.0, 5),
            (300_000.0, 11),
        ];
        let mut pool = x0;
        let mut total = 0;
        for (usd, n) in batches {
            let buys = split(usd_to_nano(usd), n);
            total += buys.iter().sum::<i128>();
            let r = clear_checked(&pool, &buys, &[], &[]);
            assert_eq!(r.branch, Branch::NetBuy);
            pool = r.pool_after;
            assert!(k(&pool) >= k0);
            assert!(rel(pool.usd as f64 * pool.tokens as f64, k0_f) <= 1e-9);
        }
        assert_eq!(total, usd_to_nano(1e6));
        // p = p₀(1 + F/x₀)² = 0.004 USD/token.
        let p0 = 0.001;
        let expected = p0 * (1.0f64 + 1e6 / 1e6).powi(2);
        assert_eq!(expected, 0.004);
        assert!(rel(mid_price(&pool).usd_per_token(), expected) <= 1e-9);

        // The same F in 40 single-order batches gives the same mid price.
        let mut pool2 = x0;
        for _ in 0..40 {
            let r = clear_checked(&pool2, &[usd_to_nano(25_000.0)], &[], &[]);
            pool2 = r.pool_after;
        }
        assert!(rel(mid_price(&pool2).usd_per_token(), 0.004) <= 1e-9);
        assert!(k(&pool2) >= k0 && rel(pool2.usd as f64 * pool2.tokens as f64, k0_f) <= 1e-9);
    }

    #[test]
    fn v8b_single_buy_with_fee() {
        let pool = v8_pool(30);
        let f = 0.003;
        let big_f = usd_to_nano(1e6);
        let r = clear_checked(&pool, &[big_f], &[], &[]);
        assert_eq!(r.branch, Branch::NetBuy);
        let out = r.tokens_out[0];
        // y₀F(1 − f)/(x₀ + F(1 − f)) in base units.
        let (x0, y0, ff) = (pool.usd as f64, pool.tokens as f64, big_f as f64);
        let expected = y0 * ff * (1.0 - f) / (x0 + ff * (1.0 - f));
        assert!((out as f64 - expected).abs() <= 1e-9 * expected + 1.0);
        assert!((base_to_tokens(out) - 499_248_873.3).abs() < 0.05);
        // Exactly the Uniswap v2 amount out.
        let exact = floor3(
            u(pool.tokens),
            u(9_970 * big_f),
            u(10_000 * pool.usd + 9_970 * big_f),
        );
        assert_eq!(out, exact);
        assert_eq!(out, swap_usd_for_tokens(&pool, big_f));
        assert_eq!(r.pool_after.tokens, pool.tokens - out);
        assert_eq!(r.pool_after.usd, pool.usd + big_f);
    }

    #[test]
    fn single_sell_equals_swap() {
        for fee in [0, 30, 100] {
            let pool = v8_pool(fee);
            let s = tokens_to_base(3.7e8);
            let r = clear_checked(&pool, &[], &[s], &[]);
            assert_eq!(r.branch, Branch::NetSell);
            let g = 10_000 - fee as i128;
            let exact = floor3(u(pool.usd), u(g * s), u(10_000 * pool.tokens + g * s));
            assert_eq!(r.usd_out[0], exact);
            assert_eq!(r.usd_out[0], swap_tokens_for_usd(&pool, s));
        }
    }

    #[test]
    fn v8c_balanced_batch_does_not_move_the_pool() {
        // S = 1e5 tokens, B = S·p_mid = 100 USD (p_mid = 0.01 nano-USD per base unit).
        let s_total = tokens_to_base(1e5);
        let b_total = s_total * usd_to_nano(1e6) / tokens_to_base(1e9);
        assert_eq!(b_total, usd_to_nano(100.0));
        let sells = split(s_total, 3);
        let buys = split(b_total, 4);
        // Fee 0.003: the batch lies strictly inside the band, so it crosses at B/S = x/y.
        let pool = v8_pool(30);
        let r = clear_checked(&pool, &buys, &sells, &[]);
        assert_eq!(r.branch, Branch::Cross);
        assert_eq!(
            r.price,
            Price {
                num: b_total,
                den: s_total
            }
        );
        assert!(r.pool_after.usd - pool.usd >= 0 && r.pool_after.usd - pool.usd < 3);
        assert!(r.pool_after.tokens - pool.tokens >= 0 && r.pool_after.tokens - pool.tokens < 4);
        // Fee 0: the tie goes to the net-buy rule, at p = (x+B)/(y+S) = x/y; no pool move either.
        let pool0 = v8_pool(0);
        let r0 = clear_checked(&pool0, &buys, &sells, &[]);
        assert_eq!(r0.branch, Branch::NetBuy);
        assert_eq!(
            U256::new(r0.price.num as u128) * u(pool0.tokens),
            U256::new(r0.price.den as u128) * u(pool0.usd)
        );
        assert!(r0.pool_after.usd - pool0.usd >= 0 && r0.pool_after.usd - pool0.usd < 3);
        assert!(
            r0.pool_after.tokens - pool0.tokens >= 0 && r0.pool_after.tokens - pool0.tokens < 4
        );
        // B = S·p_mid·(1 ± 0.001) still crosses with f = 0.003 (band ≈ p_mid·[1 − f, 1/(1 − f)]).
        for b_shift in [b_total + b_total / 1000, b_total - b_total / 1000] {
            let buys = split(b_shift, 4);
            let r = clear_checked(&pool, &buys, &sells, &[]);
            assert_eq!(r.branch, Branch::Cross);
            assert_eq!(
                r.price,
                Price {
                    num: b_shift,
                    den: s_total
                }
            );
            assert!(r.pool_after.usd - pool.usd >= 0 && r.pool_after.usd - pool.usd < 3);
            assert!(
                r.pool_after.tokens - pool.tokens >= 0 && r.pool_after.tokens - pool.tokens < 4
            );
        }
        // Just outside the band it no longer crosses.
        let r = clear_checked(&pool, &[b_total * 2], &sells, &[]);
        assert_eq!(r.branch, Branch::NetBuy);
        let r = clear_checked(&pool, &[b_total / 2], &sells, &[]);
        assert_eq!(r.branch, Branch::NetSell);
    }

    #[test]
    fn net_sell_matches_closed_form() {
        let pool = v8_pool(30);
        let f = 0.003;
        let b = usd_to_nano(1_000.0);
        let s = tokens_to_base(1e7); // worth about 10 000 USD
        let buys = split(b, 3);
        let sells = split(s, 5);
        let r = clear_checked(&pool, &buys, &sells, &[]);
        assert_eq!(r.branch, Branch::NetSell);
        let (x, y, bf, sf) = (pool.usd as f64, pool.tokens as f64, b as f64, s as f64);
        let p_sell = (1.0 - f) * (x + bf) / (y + (1.0 - f) * sf);
        assert!(rel(r.price.num as f64 / r.price.den as f64, p_sell) <= 1e-12);
        // x* = (x + B)·y/(y + (1 − f)S), y* = y + S − B/p.
        let x_star = (x + bf) * y / (y + (1.0 - f) * sf);
        let y_star = y + sf - bf / p_sell;
        assert!(rel(r.pool_after.usd as f64, x_star) <= 1e-12);
        assert!(rel(r.pool_after.tokens as f64, y_star) <= 1e-12);
        assert!(r.pool_after.usd < pool.usd && r.pool_after.tokens > pool.tokens);
    }

    #[test]
    fn zero_fee_both_candidates_are_x_plus_b_over_y_plus_s() {
        let pool = v8_pool(0);
        // Net buy and net sell with f = 0: p = (x + B)/(y + S) exactly.
        for (b, s, branch) in [
            (usd_to_nano(5_000.0), tokens_to_base(1e6), Branch::NetBuy),
            (usd_to_nano(500.0), tokens_to_base(1e7), Branch::NetSell),
        ] {
            let r = clear_checked(&pool, &split(b, 4), &split(s, 6), &[]);
            assert_eq!(r.branch, branch);
            assert_eq!(
                u(r.price.num) * u(pool.tokens + s),
                u(r.price.den) * u(pool.usd + b)
            );
            let kf = pool.usd as f64 * pool.tokens as f64;
            assert!(rel(r.pool_after.usd as f64 * r.pool_after.tokens as f64, kf) <= 1e-12);
        }
    }

    #[test]
    fn v7_zero_fee_buy_keeps_k_up_to_rounding() {
        let pool = v8_pool(0);
        let buys = split(usd_to_nano(12_345.678_9), 9);
        let r = clear_checked(&pool, &buys, &[], &[]);
        let x1 = r.pool_after.usd;
        let y1 = r.pool_after.tokens;
        assert_eq!(x1, pool.usd + buys.iter().sum::<i128>());
        // y* = k/x' and 0 <= y' − y* < n_buy: x'·y' >= k > x'·(y' − n_buy).
        assert!(u(x1) * u(y1) >= k(&pool));
        assert!(u(x1) * u(y1 - buys.len() as i128) < k(&pool));
    }

    #[test]
    fn empty_batch() {
        let pool = v8_pool(30);
        let r = clear_checked(&pool, &[], &[], &[]);
        assert_eq!(r.branch, Branch::Empty);
        assert_eq!(r.price, mid_price(&pool));
        assert_eq!(r.pool_after, pool);
        let r = clear_checked(&pool, &[0, 0], &[0], &[0]);
        assert_eq!(r.branch, Branch::Empty);
        assert_eq!(r.pool_after, pool);
        assert_eq!(r.tokens_out, vec![0, 0]);
        assert_eq!(r.usd_out, vec![0]);
        assert_eq!(r.exact_paid, vec![0]);
        assert_eq!(r.exact_filled, vec![0]);
        assert!((mid_price(&pool).usd_per_token() - 0.001).abs() < 1e-18);
    }

    #[test]
    fn exact_amount_buy_pays_uniswap_amount_in() {
        let pool = v8_pool(30);
        let want = tokens_to_base(1e6);
        let r = clear_checked(&pool, &[], &[], &[want]);
        assert_eq!(r.branch, Branch::NetBuy);
        assert_eq!(r.exact_filled, vec![want]);
        // getAmountIn: dx = x·Y/((1 − f)(y − Y)), rounded up.
        let paid = ceil3(
            u(pool.usd * 10_000),
            u(want),
            u(9_970 * (pool.tokens - want)),
        );
        assert_eq!(r.exact_paid, vec![paid]);
        assert_eq!(r.pool_after.usd, pool.usd + paid);
        assert_eq!(r.pool_after.tokens, pool.tokens - want);
        // Near 1 USD at p ≈ 0.001/(1 − f) plus slippage.
        let usd = paid as f64 / USD_UNIT as f64;
        let expected = 1e6 * 1e6 / (0.997 * (1e9 - 1e6));
        assert!(rel(usd, expected) < 1e-9);
    }

    #[test]
    fn exact_amount_buys_with_sells_and_buys() {
        let pool = v8_pool(30);
        // Sells exceed the exact buys and there are no USD buys: net sell at S_e = S − Y.
        let s = tokens_to_base(2e6);
        let want = tokens_to_base(1e6);
        let r = clear_checked(&pool, &[], &[s], &[want]);
        assert_eq!(r.branch, Branch::NetSell);
        let se = s - want;
        assert_eq!(r.price.num, 9_970 * pool.usd);
        assert_eq!(r.price.den, 10_000 * pool.tokens + 9_970 * se);
        // Exact buys outweigh sells (S_e < 0): always a net buy, price positive.
        let r = clear_checked(&pool, &[usd_to_nano(10.0)], &[want], &[s, 3]);
        assert_eq!(r.branch, Branch::NetBuy);
        assert_eq!(r.price.den, 9_970 * (pool.tokens + want - s - 3));
        // Sells equal the exact buys and nothing else: the pool trades nothing (beyond dust).
        let r = clear_checked(&pool, &[], &[want], &[want]);
        assert_eq!(r.branch, Branch::NetBuy);
        assert!(r.pool_after.usd >= pool.usd && r.pool_after.usd <= pool.usd + 1);
        assert_eq!(r.pool_after.tokens, pool.tokens);
    }

    #[test]
    fn exact_amount_buys_scaled_down_when_exceeding_pool() {
        let pool = v8_pool(30);
        let s = tokens_to_base(5e8);
        let exact = [tokens_to_base(1e9), tokens_to_base(2e9)];
        let r = clear_checked(&pool, &[usd_to_nano(1.0)], &[s], &exact);
        let cap = pool.tokens + s - 1;
        assert_eq!(r.exact_filled, vec![cap / 3, 2 * cap / 3]);
        assert!(r.exact_filled.iter().sum::<i128>() <= cap);
        assert!(r.pool_after.tokens >= 1);

        // One order for the whole pool: it gets all but one base unit.
        let r = clear_checked(&pool, &[], &[], &[pool.tokens]);
        assert_eq!(r.exact_filled, vec![pool.tokens - 1]);
        assert_eq!(r.pool_after.tokens, 1);
        assert_eq!(r.price.den, 9_970);
        // It pays ⌈(y − 1)·f_den·x/g⌉.
        assert_eq!(
            r.exact_paid[0],
            ceil3(u(pool.tokens - 1), u(10_000 * pool.usd), u(9_970))
        );

        // A one-base-unit pool with no sells cannot fill anything.
        let tiny = Pool {
            usd: 5,
            tokens: 1,
            fee_bps: 0,
        };
        let r = clear_checked(&tiny, &[], &[], &[7]);
        assert_eq!(r.exact_filled, vec![0]);
        assert_eq!(r.exact_paid, vec![0]);
        assert_eq!(r.pool_after, tiny);
    }

    #[test]
    #[should_panic(expected = "fee_bps")]
    fn full_fee_is_rejected() {
        let pool = Pool {
            usd: 1,
            tokens: 1,
            fee_bps: 10_000,
        };
        let _ = clear_batch(&pool, &[1], &[], &[]);
    }

    #[test]
    #[should_panic(expected = "negative")]
    fn negative_order_is_rejected() {
        let _ = clear_batch(&v8_pool(0), &[1, -1], &[], &[]);
    }

    /// Small deterministic LCG (Knuth MMIX constants).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 11
        }
    }

    #[test]
    fn million_orders_conserve() {
        let mut rng = Lcg(42);
        let pool = v8_pool(30);
        let buys: Vec<i128> = (0..1_000_000)
            .map(|_| (rng.next() % 50_000_000_000) as i128)
            .collect();
        let sells: Vec<i128> = (0..100_000)
            .map(|_| (rng.next() % 10_000_000_000_000) as i128)
            .collect();
        let exact: Vec<i128> = (0..10_000)
            .map(|_| (rng.next() % 100_000_000_000) as i128)
            .collect();
        let r = clear_checked(&pool, &buys, &sells, &exact);
        assert_ne!(r.branch, Branch::Empty);
    }

    #[test]
    fn lcg_random_batches_sequence() {
        // A long sequence of random batches on one pool: every batch satisfies all checks and k only
        // grows.
        let mut rng = Lcg(7);
        let mut seen = [0usize; 4];
        for fee in [0u32, 30, 300, 3_000] {
            let mut pool = v8_pool(fee);
            for _ in 0..200 {
                let nb = (rng.next() % 5) as usize;
                let ns = (rng.next() % 5) as usize;
                let ne = (rng.next() % 3) as usize;
                let scale = 10i128.pow((rng.next() % 16) as u32);
                let buys: Vec<i128> = (0..nb)
                    .map(|_| (rng.next() as i128 % 1000) * scale)
                    .collect();
                let sells: Vec<i128> = (0..ns)
                    .map(|_| (rng.next() as i128 % 1000) * scale * 10)
                    .collect();
                // Exact-amount orders up to 10 % of the pool each (draining it would send the price,
                // and the next payments, beyond i128).
                let exact: Vec<i128> = (0..ne)
                    .map(|_| pool.tokens / 1000 * (rng.next() as i128 % 100))
                    .collect();
                let r = clear_checked(&pool, &buys, &sells, &exact);
                seen[r.branch as usize] += 1;
                pool = r.pool_after;
            }
        }
        // Every branch was exercised.
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    proptest! {
        #[test]
        fn random_batches_conserve_and_keep_k(
            x in 1i128..=1_000_000_000_000_000_000,
            y in 1i128..=1_000_000_000_000_000_000,
            fee in 0u32..=1_000,
            buys in prop::collection::vec(0i128..=100_000_000_000_000_000, 0..12),
            sells in prop::collection::vec(0i128..=100_000_000_000_000_000, 0..12),
            exact in prop::collection::vec(0i128..=100_000_000_000_000_000, 0..6),
        ) {
            let pool = Pool { usd: x, tokens: y, fee_bps: fee };
            let _ = clear_checked(&pool, &buys, &sells, &exact);
        }

        #[test]
        fn random_small_batches_any_fee(
            x in 1i128..=1_000_000,
            y in 1i128..=1_000_000,
            fee in 0u32..10_000,
            buys in prop::collection::vec(0i128..=1_000_000, 0..6),
            sells in prop::collection::vec(0i128..=1_000_000, 0..6),
            exact in prop::collection::vec(0i128..=1_000_000, 0..4),
        ) {
            let pool = Pool { usd: x, tokens: y, fee_bps: fee };
            let _ = clear_checked(&pool, &buys, &sells, &exact);
        }
    }
}

/// Clears a batch at a given price `p` (nano-USD per base unit) with the pool as counterparty, for
/// the `log_impact` and `exogenous` price models (MODEL.md §7.10). Every buyer receives
/// ⌊B_i·den/num⌋ base units, every seller ⌊S_j·num/den⌋ nano-USD, every exact-amount buyer pays
/// ⌈Y·num/den⌉; the pool absorbs the net imbalance. If the pool would keep fewer than one base
/// unit, buy orders (USD and exact) are scaled down pro rata (floor); if it would keep negative USD,
/// sell orders are. Scaled-down orders trade only what they fill: the second and third results are
/// the USD actually taken from each buyer and the tokens actually taken from each seller.
pub fn clear_at_price(
    pool: &Pool,
    p: Price,
    buys_usd: &[i128],
    sells_tokens: &[i128],
    exact_buys_tokens: &[i128],
) -> (BatchResult, Vec<i128>, Vec<i128>) {
    pool.assert_valid();
    assert!(p.num > 0 && p.den > 0, "price must be positive");
    let mut buys: Vec<i128> = buys_usd.to_vec();
    let mut exact: Vec<i128> = exact_buys_tokens.to_vec();
    let mut sells: Vec<i128> = sells_tokens.to_vec();
    let tokens_for =
        |b: &[i128]| -> Vec<i128> { b.iter().map(|&u| mul_div_floor(u, p.den, p.num)).collect() };
    // Tokens the pool must deliver vs. what it may give (keep ≥ 1 base unit).
    let s_total: i128 = sells.iter().sum();
    let want: i128 = tokens_for(&buys).iter().sum::<i128>() + exact.iter().sum::<i128>();
    let can = pool.tokens + s_total - 1;
    if want > can {
        let (num, den) = (can.max(0), want);
        buys.iter_mut()
            .for_each(|b| *b = mul_div_floor(*b, num, den));
        exact
            .iter_mut()
            .for_each(|y| *y = mul_div_floor(*y, num, den));
    }
    let tokens_out = tokens_for(&buys);
    let exact_paid: Vec<i128> = exact
        .iter()
        .map(|&y| crate::units::mul_div_ceil(y, p.num, p.den))
        .collect();
    // USD the pool must pay vs. what it holds (keep ≥ 0).
    let usd_in: i128 = buys.iter().sum::<i128>() + exact_paid.iter().sum::<i128>();
    let pay: i128 = sells.iter().map(|&s| mul_div_floor(s, p.num, p.den)).sum();
    if pay > pool.usd + usd_in {
        let (num, den) = (pool.usd + usd_in, pay);
        sells
            .iter_mut()
            .for_each(|s| *s = mul_div_floor(*s, num, den));
    }
    let usd_out: Vec<i128> = sells
        .iter()
        .map(|&s| mul_div_floor(s, p.num, p.den))
        .collect();
    let pool_after = Pool {
        usd: pool.usd + usd_in - usd_out.iter().sum::<i128>(),
        tokens: pool.tokens + sells.iter().sum::<i128>()
            - tokens_out.iter().sum::<i128>()
            - exact.iter().sum::<i128>(),
        fee_bps: pool.fee_bps,
    };
    assert!(
        pool_after.usd >= 0 && pool_after.tokens >= 1,
        "pool stays solvent"
    );
    let r = BatchResult {
        price: p,
        branch: Branch::Cross,
        tokens_out,
        usd_out,
        exact_paid,
        exact_filled: exact,
        pool_after,
    };
    (r, buys, sells)
}

#[cfg(test)]
mod fixed_price_tests {
    use super::*;

    #[test]
    fn fixed_price_batch_trades_against_the_pool_at_that_price() {
        let pool = Pool {
            usd: 1_000_000,
            tokens: 1_000_000,
            fee_bps: 0,
        };
        let p = Price { num: 2, den: 1 }; // 2 nano-USD per base unit
        let (r, b, _) = clear_at_price(&pool, p, &[100, 7], &[10], &[5]);
        assert_eq!(r.tokens_out, vec![50, 3]);
        assert_eq!(r.usd_out, vec![20]);
        assert_eq!(r.exact_paid, vec![10]);
        assert_eq!(b, vec![100, 7]);
        assert_eq!(r.pool_after.usd, 1_000_000 + 107 + 10 - 20);
        assert_eq!(r.pool_after.tokens, 1_000_000 + 10 - 53 - 5);
    }

    #[test]
    fn buys_scale_down_when_the_pool_runs_dry() {
        let pool = Pool {
            usd: 1_000,
            tokens: 101,
            fee_bps: 0,
        };
        let p = Price { num: 1, den: 1 };
        let (r, b, _) = clear_at_price(&pool, p, &[200, 200], &[], &[]);
        assert!(r.pool_after.tokens >= 1);
        assert_eq!(r.tokens_out.iter().sum::<i128>(), 100);
        assert_eq!(b.iter().sum::<i128>(), 100, "only the filled USD is taken");
        let (r, _, s) = clear_at_price(
            &Pool {
                usd: 10,
                tokens: 100,
                fee_bps: 0,
            },
            p,
            &[],
            &[50],
            &[],
        );
        assert!(r.pool_after.usd >= 0 && r.usd_out[0] <= 10);
        assert_eq!(s[0], 10, "only the tokens paid for are taken");
        assert_eq!(r.pool_after.tokens, 110);
    }
}
