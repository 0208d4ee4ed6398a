//! Number formats for axes, tables and sentences: "nice" tick positions (1, 2, 5 × 10ᵏ), tick
//! labels with SI suffixes (1.2k, 3.4M, 5B) and just enough decimals to tell neighbouring ticks
//! apart, percentages, and compact significant-figure values for tables.

/// How the values of an axis or a table cell read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFormat {
    /// Plain numbers with k/M/B suffixes.
    Number,
    /// Fractions shown as percentages (0.25 → 25%).
    Percent,
    /// Differences of fractions shown as percentage points (0.013 → 1.3 pp).
    Points,
}

impl NumFormat {
    /// The format of a difference of values in this format.
    pub fn of_difference(self) -> NumFormat {
        match self {
            NumFormat::Percent | NumFormat::Points => NumFormat::Points,
            NumFormat::Number => NumFormat::Number,
        }
    }
}

/// Tick positions at multiples of a nice step (1, 2 or 5 × 10ᵏ), about `target` of them, covering
/// [lo, hi]. With `extend`, the range is widened to the enclosing multiples of the step (returned
/// as the new bounds); otherwise only ticks inside [lo, hi] are returned.
pub fn nice_ticks(lo: f64, hi: f64, target: usize, extend: bool) -> (f64, f64, Vec<f64>, f64) {
    let (mut lo, mut hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(lo.abs()).max(1e-300) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step((hi - lo) / target.max(1) as f64);
    // Tolerances point inwards: a bound that is (nearly) a multiple of the step is kept.
    let (first, last) = if extend {
        ((lo / step + 1e-9).floor(), (hi / step - 1e-9).ceil())
    } else {
        ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor())
    };
    let ticks: Vec<f64> = (0..=((last - first).round() as i64).max(0))
        .map(|i| clean((first + i as f64) * step, step))
        .collect();
    if extend {
        (first * step, last * step, ticks, step)
    } else {
        (lo, hi, ticks, step)
    }
}

/// The nice number (1, 2 or 5 × 10ᵏ) nearest to `raw` (Heckbert's rounding).
pub fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Rounds away float noise (0.30000000000000004 → 0.3) relative to the step.
fn clean(v: f64, step: f64) -> f64 {
    let d = decimals_for(step) + 2;
    let f = 10f64.powi(d as i32);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

/// Decimals needed to print multiples of `step` exactly (0.5 → 1, 2.5 → 1, 0.0005 → 4, 200 → 0).
pub fn decimals_for(step: f64) -> usize {
    if step <= 0.0 || !step.is_finite() {
        return 0;
    }
    (0..=12)
        .find(|&d| {
            let x = step * 10f64.powi(d as i32);
            (x - x.round()).abs() <= 1e-6 * x.abs().max(1.0)
        })
        .unwrap_or(12)
}

/// SI scale of a magnitude: (divisor, suffix).
fn si(mag: f64) -> (f64, &'static str) {
    if mag >= 1e12 {
        (1e12, "T")
    } else if mag >= 1e9 {
        (1e9, "B")
    } else if mag >= 1e6 {
        (1e6, "M")
    } else if mag >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// A tick formatter for an axis whose ticks are multiples of `step` and whose largest |value| is
/// `max_abs`: one suffix and one number of decimals for the whole axis.
#[derive(Clone, Copy, Debug)]
pub struct TickFormat {
    format: NumFormat,
    div: f64,
    suffix: &'static str,
    decimals: usize,
}

impl TickFormat {
    /// The format for ticks at multiples of `step` up to `max_abs` in magnitude.
    pub fn new(format: NumFormat, step: f64, max_abs: f64) -> TickFormat {
        match format {
            NumFormat::Percent => TickFormat {
                format,
                div: 0.01,
                suffix: "%",
                decimals: decimals_for(step * 100.0),
            },
            NumFormat::Points => TickFormat {
                format,
                div: 0.01,
                suffix: " pp",
                decimals: decimals_for(step * 100.0),
            },
            NumFormat::Number => {
                let (mut div, mut suffix) = si(max_abs);
                // Below 10 000 with sub-thousand steps, plain numbers read better (500, 2500)
                // than fractions of a thousand (0.5k, 2.5k).
                if div == 1e3 && max_abs < 1e4 && step < 1e3 {
                    (div, suffix) = (1.0, "");
                }
                TickFormat {
                    format,
                    div,
                    suffix,
                    decimals: decimals_for(step / div),
                }
            }
        }
    }

    /// The label of `v`.
    pub fn format(&self, v: f64) -> String {
        if v == 0.0 {
            return match self.format {
                NumFormat::Percent => "0%".into(),
                NumFormat::Points => "0 pp".into(),
                NumFormat::Number => "0".into(),
            };
        }
        let s = format!("{:.*}{}", self.decimals, v / self.div, self.suffix);
        minus(s)
    }
}

/// Typographic minus for labels.
fn minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => s,
    }
}

/// A compact value with about `sig` significant figures: 1180334.5 → "1.18M", 0.07094 → "0.0709",
/// 0.000254 → "0.000254", 12 → "12". NaN → "–".
pub fn compact(v: f64, sig: usize) -> String {
    if v.is_nan() {
        return "–".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let (div, suffix) = si(a);
    let x = v / div;
    let mag = x.abs().log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).clamp(0, 12) as usize;
    if a < 1e-4 {
        return minus(format!("{:.*e}", sig.saturating_sub(1), v));
    }
    let s = format!("{x:.decimals$}");
    // Drop trailing zeros of a fraction ("2.50" → "2.5"), but keep integers as they are.
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    minus(format!("{s}{suffix}"))
}

/// A compact value in the given format (percentages with three significant figures).
pub fn value(v: f64, format: NumFormat) -> String {
    match format {
        NumFormat::Number => compact(v, 3),
        NumFormat::Percent if v.is_nan() => "–".into(),
        NumFormat::Percent => format!("{}%", compact(v * 100.0, 3)),
        NumFormat::Points if v.is_nan() => "–".into(),
        NumFormat::Points => format!("{} pp", compact(v * 100.0, 3)),
    }
}

/// A value shown with enough significant figures for a spread of `spread` to be visible
/// (0.02011 rather than 0.02 when the spread is 0.0002): at least 3, at most 6.
pub fn value_to(v: f64, spread: f64, format: NumFormat) -> String {
    let sig = if v.is_finite() && spread.is_finite() && spread > 0.0 && v != 0.0 {
        ((v.abs() / spread).log10().ceil() as i64 + 2).clamp(3, 6) as usize
    } else {
        3
    };
    match format {
        NumFormat::Number => compact(v, sig),
        NumFormat::Percent if v.is_nan() => "–".into(),
        NumFormat::Percent => format!("{}%", compact(v * 100.0, sig)),
        NumFormat::Points if v.is_nan() => "–".into(),
        NumFormat::Points => format!("{} pp", compact(v * 100.0, sig)),
    }
}

/// An integer with thin spaces between groups of three digits (100 000).
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A signed difference: "+1.2k", "−0.5%" (percentage points for percent metrics: "+1.3 pp").
pub fn signed(v: f64, format: NumFormat) -> String {
    if v.is_nan() {
        return "–".into();
    }
    let body = match format {
        NumFormat::Number => compact(v.abs(), 3),
        NumFormat::Percent | NumFormat::Points => format!("{} pp", compact(v.abs() * 100.0, 3)),
    };
    if v > 0.0 {
        format!("+{body}")
    } else if v < 0.0 {
        format!("\u{2212}{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_range_with_round_steps() {
        let (lo, hi, t, step) = nice_ticks(0.0, 364.0, 7, false);
        assert_eq!((lo, hi, step), (0.0, 364.0, 50.0));
        assert_eq!(t, vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0]);
        let (lo, hi, t, step) = nice_ticks(0.0201, 0.0224, 5, true);
        assert_eq!(step, 0.0005);
        assert_eq!(decimals_for(2.5), 1);
        assert_eq!(decimals_for(0.0005), 4);
        assert_eq!(decimals_for(200.0), 0);
        assert_eq!((lo, hi), (0.02, 0.0225));
        assert_eq!(t.len(), 6);
        assert_eq!(t[1], 0.0205);
        let (lo, hi, _, _) = nice_ticks(0.0, 0.098, 4, true);
        assert_eq!((lo, hi), (0.0, 0.1));
        let (_, _, t, _) = nice_ticks(5.0, 5.0, 5, true);
        assert!(t.len() >= 2, "degenerate range is widened: {t:?}");
    }

    #[test]
    fn tick_labels_use_suffixes_and_minimal_decimals() {
        let f = TickFormat::new(NumFormat::Number, 200_000.0, 1_000_000.0);
        assert_eq!(f.format(400_000.0), "0.4M");
        assert_eq!(f.format(0.0), "0");
        let f = TickFormat::new(NumFormat::Number, 1_000.0, 6_000.0);
        assert_eq!(f.format(3_000.0), "3k");
        let f = TickFormat::new(NumFormat::Number, 200.0, 1_400.0);
        assert_eq!(f.format(1_200.0), "1200");
        let f = TickFormat::new(NumFormat::Number, 200_000.0, 1_400_000.0);
        assert_eq!(f.format(1_200_000.0), "1.2M");
        let f = TickFormat::new(NumFormat::Number, 2_000.0, 14_000.0);
        assert_eq!(f.format(12_000.0), "12k");
        let f = TickFormat::new(NumFormat::Number, 200.0, 11_400.0);
        assert_eq!(f.format(11_200.0), "11.2k");
        let f = TickFormat::new(NumFormat::Number, 0.0005, 0.0225);
        assert_eq!(f.format(0.0205), "0.0205");
        let f = TickFormat::new(NumFormat::Number, 500_000.0, 3_500_000.0);
        assert_eq!(f.format(3_500_000.0), "3.5M");
        let f = TickFormat::new(NumFormat::Percent, 0.025, 0.1);
        assert_eq!(f.format(0.075), "7.5%");
        let f = TickFormat::new(NumFormat::Number, 1.0, 3.0);
        assert_eq!(f.format(-2.0), "\u{2212}2");
    }

    #[test]
    fn compact_values_for_tables() {
        assert_eq!(compact(1_180_334.5, 3), "1.18M");
        assert_eq!(compact(0.070_940_476, 3), "0.0709");
        assert_eq!(compact(12.0, 3), "12");
        assert_eq!(compact(6205.0, 3), "6.21k");
        assert_eq!(compact(400_833_766.0, 4), "400.8M");
        assert_eq!(compact(-2.5, 3), "\u{2212}2.5");
        assert_eq!(compact(0.000_025_4, 3), "2.54e-5");
        assert_eq!(value(0.0709, NumFormat::Percent), "7.09%");
        assert_eq!(grouped(100_000), "100\u{2009}000");
        assert_eq!(grouped(999), "999");
        assert_eq!(value_to(0.020113, 0.000233, NumFormat::Number), "0.02011");
        assert_eq!(value_to(242.2, 75.4, NumFormat::Number), "242");
        assert_eq!(signed(0.013, NumFormat::Percent), "+1.3 pp");
        assert_eq!(value(0.05, NumFormat::Percent), "5%");
        assert_eq!(signed(-1500.0, NumFormat::Number), "\u{2212}1.5k");
    }
}
