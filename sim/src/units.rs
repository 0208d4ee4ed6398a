//! Money units and exact integer arithmetic (MODEL.md §2.2).
//!
//! Tokens are integer base units (`i128`, 1 token = [`TOKEN_UNIT`] = 10⁸ base units, as the AGI/AGIX
//! "cog"); fiat is integer nano-USD (`i128`, 1 USD = [`USD_UNIT`] = 10⁹). Every product of two amounts
//! (or of an amount and a rate) goes through [`mul_div_floor`] / [`mul_div_ceil`], which are exact:
//! they form the product in `i128` when it fits and in 256-bit integers otherwise. Shares are
//! rationals with denominator 10⁶ ([`PPM`]), and a token price is an exact rational [`Price`] in
//! nano-USD per base unit. The `f64` conversions exist only for input, reporting and valuation.

use ethnum::U256;

/// Base units per token (`token_decimals = 8`).
pub const TOKEN_UNIT: i128 = 100_000_000;
/// Nano-USD per USD.
pub const USD_UNIT: i128 = 1_000_000_000;
/// Denominator of configured shares and rates (parts per million).
pub const PPM: i128 = 1_000_000;

/// Rounds `x` half away from zero to an integer, saturating at the `i128` range (NaN gives 0).
#[inline]
fn round_to_i128(x: f64) -> i128 {
    // `as` saturates on overflow and maps NaN to 0; `f64::round` rounds half away from zero.
    x.round() as i128
}

/// USD (f64) to nano-USD, rounded half away from zero; saturates at the `i128` range.
///
/// The input is assumed finite (NaN gives 0). The product `usd·10⁹` is formed in `f64`, so amounts
/// above about 9·10⁶ USD are exact only to the 53-bit precision of the input.
pub fn usd_to_nano(usd: f64) -> i128 {
    round_to_i128(usd * USD_UNIT as f64)
}

/// Nano-USD to USD (f64, for reporting; correctly rounded for |n| < 2⁵³).
pub fn nano_to_usd(n: i128) -> f64 {
    n as f64 / USD_UNIT as f64
}

/// Tokens (f64) to base units, rounded half away from zero; saturates at the `i128` range.
pub fn tokens_to_base(t: f64) -> i128 {
    round_to_i128(t * TOKEN_UNIT as f64)
}

/// Base units to tokens (f64, for reporting; correctly rounded for |b| < 2⁵³).
pub fn base_to_tokens(b: i128) -> f64 {
    b as f64 / TOKEN_UNIT as f64
}

/// ⌊a·b/c⌋ computed exactly, for `a, b >= 0` and `c > 0`.
///
/// Fast path: the product fits `i128` (one multiplication and one division). Otherwise the product
/// is formed in 256 bits. Panics if the quotient does not fit `i128` (or, in debug builds, if the
/// preconditions are violated).
#[inline]
pub fn mul_div_floor(a: i128, b: i128, c: i128) -> i128 {
    debug_assert!(
        a >= 0 && b >= 0 && c > 0,
        "mul_div_floor({a}, {b}, {c}): needs a, b >= 0 and c > 0"
    );
    match a.checked_mul(b) {
        Some(p) => p / c,
        None => mul_div_wide(a, b, c, false),
    }
}

/// ⌈a·b/c⌉ computed exactly, for `a, b >= 0` and `c > 0`.
///
/// Same paths and panics as [`mul_div_floor`].
#[inline]
pub fn mul_div_ceil(a: i128, b: i128, c: i128) -> i128 {
    debug_assert!(
        a >= 0 && b >= 0 && c > 0,
        "mul_div_ceil({a}, {b}, {c}): needs a, b >= 0 and c > 0"
    );
    match a.checked_mul(b) {
        Some(p) => {
            let q = p / c;
            // q·c <= p, so this cannot overflow.
            if q * c == p { q } else { q + 1 }
        }
        None => mul_div_wide(a, b, c, true),
    }
}

/// The 256-bit path of [`mul_div_floor`] / [`mul_div_ceil`].
#[cold]
#[inline(never)]
fn mul_div_wide(a: i128, b: i128, c: i128, round_up: bool) -> i128 {
    // a, b >= 0 and c > 0, so the unsigned casts are lossless; a·b < 2²⁵⁴ cannot overflow.
    let p = U256::new(a as u128) * U256::new(b as u128);
    let c = U256::new(c as u128);
    let mut q = p / c;
    if round_up && q * c != p {
        q += 1;
    }
    i128::try_from(q)
        .unwrap_or_else(|_| panic!("mul_div: quotient of {a}·{b}/{c} does not fit i128"))
}

/// ⌊amount·share_ppm/10⁶⌋: the part of `amount` (>= 0) for a share given in parts per million.
#[inline]
pub fn split_floor(amount: i128, share_ppm: u32) -> i128 {
    mul_div_floor(amount, share_ppm as i128, PPM)
}

/// A share in [0, 1] to parts per million, rounded to nearest and clamped to [0, 10⁶] (NaN gives 0).
pub fn share_to_ppm(share: f64) -> u32 {
    let ppm = (share * PPM as f64).round();
    // `clamp` keeps NaN, and the cast maps NaN to 0.
    ppm.clamp(0.0, PPM as f64) as u32
}

/// Greatest common divisor (binary algorithm); `gcd(0, b) = b`.
fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

/// A token price held exactly as the rational `num/den` nano-USD per base unit.
///
/// A valid price has `num > 0` and `den > 0`; the conversions below require it (they divide by
/// `num` or `den`). The struct is compared field by field, so `1/2` and `2/4` are different values
/// of `Price` that denote the same price; use [`Price::reduced`] to compare values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    /// Numerator (nano-USD).
    pub num: i128,
    /// Denominator (base units).
    pub den: i128,
}

impl Price {
    /// Denominator used by [`Price::from_usd_per_token`].
    pub const FROM_F64_DEN: i128 = 1_000_000_000_000;

    /// The price in USD per token (f64, for reporting and valuation): num/den · TOKEN_UNIT/USD_UNIT.
    pub fn usd_per_token(&self) -> f64 {
        (self.num as f64 * TOKEN_UNIT as f64) / (self.den as f64 * USD_UNIT as f64)
    }

    /// A price from USD per token: `den = 10¹²`, `num` = p·USD_UNIT/TOKEN_UNIT·10¹² rounded half away
    /// from zero (saturating). `p` should be finite and positive; a `p` below 5·10⁻¹⁴ USD/token
    /// rounds to `num = 0`, which the conversions cannot use.
    pub fn from_usd_per_token(p: f64) -> Price {
        let nano_per_base = p * (USD_UNIT as f64 / TOKEN_UNIT as f64);
        Price {
            num: round_to_i128(nano_per_base * Self::FROM_F64_DEN as f64),
            den: Self::FROM_F64_DEN,
        }
    }

    /// The same price with `num` and `den` divided by their greatest common divisor.
    pub fn reduced(self) -> Price {
        debug_assert!(self.num >= 0 && self.den > 0, "invalid price {self:?}");
        let g = gcd_u128(self.num.unsigned_abs(), self.den.unsigned_abs());
        if g <= 1 {
            return self;
        }
        // g divides both, and g <= max(|num|, |den|) <= i128::MAX.
        let g = g as i128;
        Price {
            num: self.num / g,
            den: self.den / g,
        }
    }

    /// Base units bought with `nano_usd` (>= 0) at this price: ⌊nano_usd·den/num⌋.
    #[inline]
    pub fn tokens_for_usd_floor(&self, nano_usd: i128) -> i128 {
        mul_div_floor(nano_usd, self.den, self.num)
    }

    /// Nano-USD received for `base` (>= 0) base units at this price: ⌊base·num/den⌋.
    #[inline]
    pub fn usd_for_tokens_floor(&self, base: i128) -> i128 {
        mul_div_floor(base, self.num, self.den)
    }

    /// Nano-USD paid for `base` (>= 0) base units at this price: ⌈base·num/den⌉.
    #[inline]
    pub fn usd_for_tokens_ceil(&self, base: i128) -> i128 {
        mul_div_ceil(base, self.num, self.den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pow10(n: u32) -> i128 {
        10i128.pow(n)
    }

    #[test]
    fn unit_constants() {
        assert_eq!(TOKEN_UNIT, pow10(8));
        assert_eq!(USD_UNIT, pow10(9));
        assert_eq!(PPM, pow10(6));
    }

    #[test]
    fn usd_conversions_round_half_away_and_saturate() {
        assert_eq!(usd_to_nano(1.0), 1_000_000_000);
        assert_eq!(usd_to_nano(0.1), 100_000_000);
        assert_eq!(usd_to_nano(2.5e-9), 3);
        assert_eq!(usd_to_nano(-2.5e-9), -3);
        assert_eq!(usd_to_nano(1.4e-9), 1);
        assert_eq!(usd_to_nano(-1.4e-9), -1);
        assert_eq!(usd_to_nano(1e6), 1_000_000_000_000_000);
        assert_eq!(usd_to_nano(1e40), i128::MAX);
        assert_eq!(usd_to_nano(-1e40), i128::MIN);
        assert_eq!(nano_to_usd(1_500_000_000), 1.5);
        assert_eq!(nano_to_usd(-250_000_000), -0.25);
        assert_eq!(nano_to_usd(1), 1e-9);
        for usd in [0.0, 0.003, 12.345_678_9, 1e6, 123_456.789] {
            assert_eq!(nano_to_usd(usd_to_nano(usd)), usd);
        }
    }

    #[test]
    fn token_conversions_round_half_away_and_saturate() {
        assert_eq!(tokens_to_base(1.0), 100_000_000);
        assert_eq!(tokens_to_base(1e9), pow10(17));
        assert_eq!(tokens_to_base(2.5e-8), 3);
        assert_eq!(tokens_to_base(-2.5e-8), -3);
        assert_eq!(tokens_to_base(4.5e-8), 5);
        assert_eq!(tokens_to_base(1.4e-8), 1);
        assert_eq!(tokens_to_base(1e40), i128::MAX);
        assert_eq!(base_to_tokens(250_000_000), 2.5);
        assert_eq!(base_to_tokens(1), 1e-8);
        for t in [0.0, 0.5, 499_248_873.3, 1e9] {
            assert_eq!(base_to_tokens(tokens_to_base(t)), t);
        }
    }

    #[test]
    fn mul_div_small() {
        assert_eq!(mul_div_floor(7, 3, 2), 10);
        assert_eq!(mul_div_ceil(7, 3, 2), 11);
        assert_eq!(mul_div_floor(6, 4, 3), 8);
        assert_eq!(mul_div_ceil(6, 4, 3), 8);
        assert_eq!(mul_div_floor(0, 5, 7), 0);
        assert_eq!(mul_div_ceil(0, 5, 7), 0);
        assert_eq!(mul_div_floor(1, 1, 2), 0);
        assert_eq!(mul_div_ceil(1, 1, 2), 1);
        assert_eq!(mul_div_floor(i128::MAX, 1, 1), i128::MAX);
        assert_eq!(mul_div_ceil(i128::MAX, 1, 1), i128::MAX);
    }

    #[test]
    fn mul_div_products_above_2_pow_127() {
        let e30 = pow10(30);
        // 10⁶⁰ > 2¹²⁷ ≈ 1.7·10³⁸: the 256-bit path.
        assert!(e30.checked_mul(e30).is_none());
        assert_eq!(mul_div_floor(e30, e30, pow10(25)), pow10(35));
        assert_eq!(mul_div_ceil(e30, e30, pow10(25)), pow10(35));
        // 10⁶⁰/(3·10²⁵) = 10³⁵/3: floor = (10³⁵ − 1)/3, ceil = floor + 1.
        let third = (pow10(35) - 1) / 3;
        assert_eq!(mul_div_floor(e30, e30, 3 * pow10(25)), third);
        assert_eq!(mul_div_ceil(e30, e30, 3 * pow10(25)), third + 1);
        // (10³⁰ + 1)·10³⁰/10²⁵ = 10³⁵ + 10⁵ exactly.
        assert_eq!(mul_div_floor(e30 + 1, e30, pow10(25)), pow10(35) + pow10(5));
        // i128::MAX·i128::MAX/i128::MAX = i128::MAX.
        assert_eq!(mul_div_floor(i128::MAX, i128::MAX, i128::MAX), i128::MAX);
        assert_eq!(mul_div_ceil(i128::MAX, i128::MAX, i128::MAX), i128::MAX);
        // (2¹²⁶)·4/8 = 2¹²⁵.
        assert_eq!(mul_div_floor(1 << 126, 4, 8), 1 << 125);
        // ⌈(2¹²⁷ − 1)·3/4⌉ with an odd product: 3·(2¹²⁷ − 1) = 3·2¹²⁷ − 3, /4 = 3·2¹²⁵ − 3/4.
        assert_eq!(mul_div_floor(i128::MAX, 3, 4), 3 * (1 << 125) - 1);
        assert_eq!(mul_div_ceil(i128::MAX, 3, 4), 3 * (1 << 125));
    }

    #[test]
    #[should_panic(expected = "does not fit i128")]
    fn mul_div_panics_when_quotient_overflows() {
        let _ = mul_div_floor(i128::MAX, 2, 1);
    }

    #[test]
    #[should_panic(expected = "does not fit i128")]
    fn mul_div_ceil_panics_when_quotient_overflows() {
        let _ = mul_div_ceil(i128::MAX, i128::MAX, 3);
    }

    proptest! {
        /// The defining inequalities q·c <= a·b < (q+1)·c (floor) and (q−1)·c < a·b <= q·c (ceil),
        /// checked in 256 bits, on both paths.
        #[test]
        fn mul_div_defining_inequalities(
            a in 0..=i128::MAX,
            b in prop_oneof![0..=1i128 << 64, 0..=i128::MAX],
            c in prop_oneof![1..=1i128 << 64, 1..=i128::MAX],
        ) {
            let p = U256::new(a as u128) * U256::new(b as u128);
            let cc = U256::new(c as u128);
            let q_exact = p / cc;
            if q_exact <= U256::new(i128::MAX as u128) {
                let f = mul_div_floor(a, b, c);
                prop_assert!(f >= 0);
                let fu = U256::new(f as u128);
                prop_assert!(fu * cc <= p && p < (fu + 1) * cc);
                if q_exact < U256::new(i128::MAX as u128) || q_exact * cc == p {
                    let g = mul_div_ceil(a, b, c);
                    let gu = U256::new(g as u128);
                    prop_assert!(p <= gu * cc);
                    prop_assert!(g == 0 || (gu - 1) * cc < p);
                    prop_assert!(g - f <= 1);
                }
            }
        }
    }

    #[test]
    fn split_floor_and_shares() {
        assert_eq!(split_floor(10, 333_333), 3);
        assert_eq!(split_floor(1_000_000, 1), 1);
        assert_eq!(split_floor(999_999, 1), 0);
        assert_eq!(split_floor(12_345, 1_000_000), 12_345);
        assert_eq!(split_floor(12_345, 0), 0);
        // The remainder of equal thirds is non-negative and below the number of recipients.
        let a = 1_000_000_007;
        let part = split_floor(a, 333_333);
        assert_eq!(part, a * 333_333 / 1_000_000);
        assert!(a - 3 * part >= 0);
        // Slow path: floor(M·999 999/10⁶) = M − ceil(M/10⁶).
        let m = i128::MAX;
        let expected = m - (m / 1_000_000 + i128::from(m % 1_000_000 != 0));
        assert_eq!(split_floor(m, 999_999), expected);
        assert_eq!(split_floor(m, 1_000_000), m);

        assert_eq!(share_to_ppm(0.003), 3_000);
        assert_eq!(share_to_ppm(0.25), 250_000);
        assert_eq!(share_to_ppm(1.0), 1_000_000);
        assert_eq!(share_to_ppm(1.5), 1_000_000);
        assert_eq!(share_to_ppm(-0.1), 0);
        assert_eq!(share_to_ppm(1e-7), 0);
        assert_eq!(share_to_ppm(1.6e-6), 2);
        assert_eq!(share_to_ppm(0.123_456_7), 123_457);
        assert_eq!(share_to_ppm(f64::NAN), 0);
    }

    #[test]
    fn gcd_values() {
        assert_eq!(gcd_u128(0, 0), 0);
        assert_eq!(gcd_u128(0, 7), 7);
        assert_eq!(gcd_u128(12, 0), 12);
        assert_eq!(gcd_u128(12, 18), 6);
        assert_eq!(gcd_u128(17, 5), 1);
        assert_eq!(gcd_u128(1 << 100, 3 << 90), 1 << 90);
        assert_eq!(gcd_u128(u128::MAX, u128::MAX), u128::MAX);
    }

    #[test]
    fn price_conversions() {
        // 0.001 USD/token = 10⁶ nano-USD / 10⁸ base units = 0.01 nano-USD per base unit.
        let p = Price::from_usd_per_token(0.001);
        assert_eq!(
            p,
            Price {
                num: pow10(10),
                den: pow10(12)
            }
        );
        assert_eq!(p.usd_per_token(), 0.001);
        assert_eq!(p.reduced(), Price { num: 1, den: 100 });
        // 1 USD buys 1000 tokens = 10¹¹ base units; and back.
        assert_eq!(p.tokens_for_usd_floor(USD_UNIT), 1000 * TOKEN_UNIT);
        assert_eq!(p.usd_for_tokens_floor(1000 * TOKEN_UNIT), USD_UNIT);
        assert_eq!(p.usd_for_tokens_ceil(1000 * TOKEN_UNIT), USD_UNIT);
        // 150 base units at 0.01 nano-USD each = 1.5 nano-USD: floor 1, ceil 2.
        assert_eq!(p.usd_for_tokens_floor(150), 1);
        assert_eq!(p.usd_for_tokens_ceil(150), 2);

        let third = Price { num: 1, den: 3 };
        assert_eq!(third.usd_for_tokens_floor(10), 3);
        assert_eq!(third.usd_for_tokens_ceil(10), 4);
        assert_eq!(third.tokens_for_usd_floor(10), 30);
        let three = Price { num: 3, den: 1 };
        assert_eq!(three.tokens_for_usd_floor(10), 3);
        assert_eq!(three.usd_per_token(), 0.3);
        assert_eq!(Price { num: 6, den: 4 }.reduced(), Price { num: 3, den: 2 });
        assert_eq!(Price { num: 0, den: 4 }.reduced(), Price { num: 0, den: 1 });

        let q = Price::from_usd_per_token(1.234_567);
        assert_eq!(q.num, 12_345_670_000_000);
        assert!((q.usd_per_token() / 1.234_567 - 1.0).abs() < 1e-15);
        // Rounding of the numerator: 1e-14 USD/token = 1e-13 nano/base → num 0.1 → 0.
        assert_eq!(Price::from_usd_per_token(1e-14).num, 0);
        assert_eq!(Price::from_usd_per_token(6e-14).num, 1);
        // Wide product: 10²⁰ nano-USD at 10⁷/10²² nano-USD per base unit buys 10³⁵ base units.
        let tiny = Price {
            num: pow10(7),
            den: pow10(22),
        };
        assert_eq!(tiny.tokens_for_usd_floor(pow10(20)), pow10(35));
        assert_eq!(tiny.usd_for_tokens_ceil(pow10(35)), pow10(20));
        assert_eq!(tiny.usd_for_tokens_ceil(pow10(35) + 1), pow10(20) + 1);
        assert_eq!(tiny.usd_for_tokens_floor(pow10(35) + 1), pow10(20));
    }
}
