//! Descriptive statistics of points.csv: mean, sample standard deviation and quantiles.
//! Sums run sequentially in the order given, so results never depend on threads.

/// Arithmetic mean (NaN if empty).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation with n − 1 in the denominator (NaN if fewer than 2 values).
pub fn sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (x.len() - 1) as f64).sqrt()
}

/// Quantile `p` of sorted values by linear interpolation between order statistics (Hyndman &
/// Fan's type 7, the default of R, NumPy and pandas): h = (n − 1)p,
/// Q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋]). NaN if empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Sorts a copy and returns the quantiles `ps`.
pub fn quantiles(x: &[f64], ps: &[f64]) -> Vec<f64> {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    ps.iter().map(|&p| quantile_sorted(&s, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let x = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(mean(&x), 2.5);
        // Σ(x − 2.5)² = 5, / 3.
        assert!((sd(&x) - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // Sorted 1, 2, 3, 4: p10 → h = 0.3 → 1.3; p50 → h = 1.5 → 2.5; p90 → h = 2.7 → 3.7.
        let q = quantiles(&x, &[0.1, 0.5, 0.9]);
        for (got, want) in q.iter().zip([1.3, 2.5, 3.7]) {
            assert!((got - want).abs() < 1e-12, "{q:?}");
        }
        assert_eq!(quantiles(&[7.0], &[0.1, 0.9]), vec![7.0, 7.0]);
        assert!(mean(&[]).is_nan() && sd(&[1.0]).is_nan() && quantiles(&[], &[0.5])[0].is_nan());
    }
}
