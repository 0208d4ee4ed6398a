//! Statistics across replications: mean, sample standard deviation, quantiles (Hyndman–Fan type 7,
//! the default of R and NumPy), percentile-bootstrap confidence intervals of the mean, and paired
//! differences (common random numbers: arm B minus arm A, seed by seed). NaN values are missing
//! data and are skipped everywhere. The bootstrap draws from [`SplitMix64`] with a fixed seed, so
//! the same data always give the same interval.

use crate::rng::SplitMix64;

/// Resamples used by the bootstrap unless a caller asks otherwise.
pub const DEFAULT_RESAMPLES: usize = 2000;
/// Seed of the bootstrap generator ("mindmark" in ASCII).
pub const BOOTSTRAP_SEED: u64 = 0x6D69_6E64_6D61_726B;

/// The finite values of `x`.
pub fn finite(x: &[f64]) -> Vec<f64> {
    x.iter().copied().filter(|v| v.is_finite()).collect()
}

/// Arithmetic mean of the finite values (None if there are none).
pub fn mean(x: &[f64]) -> Option<f64> {
    let v = finite(x);
    if v.is_empty() {
        return None;
    }
    Some(v.iter().sum::<f64>() / v.len() as f64)
}

/// Sample standard deviation (divisor n − 1) of the finite values (None if fewer than two).
pub fn sd(x: &[f64]) -> Option<f64> {
    let v = finite(x);
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let ss: f64 = v.iter().map(|a| (a - m) * (a - m)).sum();
    Some((ss / (v.len() - 1) as f64).sqrt())
}

/// Quantile type 7 of an ascending slice: h = (n − 1)p, linear interpolation between the order
/// statistics around h. `p` is clamped to [0, 1]; panics on an empty slice.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty sample");
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Quantile type 7 of the finite values (None if there are none).
pub fn quantile(x: &[f64], p: f64) -> Option<f64> {
    let mut v = finite(x);
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(quantile_sorted(&v, p))
}

/// Summary of a sample across replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Finite values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (NaN if n < 2).
    pub sd: f64,
    /// Minimum.
    pub min: f64,
    /// 10 % quantile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90 % quantile.
    pub p90: f64,
    /// Maximum.
    pub max: f64,
}

/// Summarizes the finite values (None if there are none).
pub fn summarize(x: &[f64]) -> Option<Summary> {
    let mut v = finite(x);
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Summary {
        n: v.len(),
        mean: v.iter().sum::<f64>() / v.len() as f64,
        sd: sd(&v).unwrap_or(f64::NAN),
        min: v[0],
        p10: quantile_sorted(&v, 0.1),
        p50: quantile_sorted(&v, 0.5),
        p90: quantile_sorted(&v, 0.9),
        max: v[v.len() - 1],
    })
}

/// A point estimate with a confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ci {
    /// The estimate (the sample mean).
    pub estimate: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Confidence level (e.g. 0.95).
    pub level: f64,
}

impl Ci {
    /// Whether the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.lo > 0.0 || self.hi < 0.0
    }
}

/// Percentile-bootstrap interval of the mean of the finite values of `x`: `resamples` samples of
/// size n drawn with replacement, the interval between the (1 − level)/2 and (1 + level)/2 quantiles
/// (type 7) of their means. None if fewer than two values (no spread to resample).
pub fn bootstrap_mean_ci(x: &[f64], level: f64, resamples: usize, seed: u64) -> Option<Ci> {
    let v = finite(x);
    if v.len() < 2 || resamples == 0 {
        return None;
    }
    let n = v.len();
    let estimate = v.iter().sum::<f64>() / n as f64;
    let mut rng = SplitMix64::new(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| v[rng.below(n as u64) as usize]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let a = (1.0 - level) / 2.0;
    Some(Ci {
        estimate,
        lo: quantile_sorted(&means, a),
        hi: quantile_sorted(&means, 1.0 - a),
        level,
    })
}

/// 95 % percentile-bootstrap interval of the mean with the default resamples and seed.
pub fn ci95(x: &[f64]) -> Option<Ci> {
    bootstrap_mean_ci(x, 0.95, DEFAULT_RESAMPLES, BOOTSTRAP_SEED)
}

/// Paired comparison of arm B against arm A over matched replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    /// Pairs where both values are finite.
    pub n: usize,
    /// Mean of A.
    pub mean_a: f64,
    /// Mean of B.
    pub mean_b: f64,
    /// Mean of B − A.
    pub mean_diff: f64,
    /// Standard deviation of B − A (NaN if n < 2).
    pub sd_diff: f64,
    /// Bootstrap interval of the mean difference (None if n < 2).
    pub ci: Option<Ci>,
    /// Pairs with B > A.
    pub n_b_higher: usize,
    /// Pairs with B < A.
    pub n_b_lower: usize,
}

impl Paired {
    /// Mean difference relative to |mean of A| (None when A's mean is 0).
    pub fn relative(&self) -> Option<f64> {
        (self.mean_a != 0.0 && self.mean_a.is_finite()).then(|| self.mean_diff / self.mean_a.abs())
    }
}

/// Paired differences B − A of equally long slices (pair i is replication i); pairs with a
/// non-finite value on either side are dropped. `level` is the confidence level of the bootstrap.
pub fn paired(a: &[f64], b: &[f64], level: f64) -> Option<Paired> {
    assert_eq!(a.len(), b.len(), "paired samples must have equal length");
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(&x, &y)| (x, y))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len();
    let d: Vec<f64> = pairs.iter().map(|(x, y)| y - x).collect();
    Some(Paired {
        n,
        mean_a: pairs.iter().map(|p| p.0).sum::<f64>() / n as f64,
        mean_b: pairs.iter().map(|p| p.1).sum::<f64>() / n as f64,
        mean_diff: d.iter().sum::<f64>() / n as f64,
        sd_diff: sd(&d).unwrap_or(f64::NAN),
        ci: bootstrap_mean_ci(&d, level, DEFAULT_RESAMPLES, BOOTSTRAP_SEED),
        n_b_higher: d.iter().filter(|&&x| x > 0.0).count(),
        n_b_lower: d.iter().filter(|&&x| x < 0.0).count(),
    })
}

/// Per-step quantile band across replications: for each row of `runs` (one series per
/// replication, all of the same length), the 10 %, 50 % and 90 % quantiles at each index.
pub fn band(runs: &[Vec<f64>]) -> Vec<(f64, f64, f64)> {
    let len = runs.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| {
            let col: Vec<f64> = runs.iter().map(|r| r[i]).collect();
            match summarize(&col) {
                Some(s) => (s.p10, s.p50, s.p90),
                None => (f64::NAN, f64::NAN, f64::NAN),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mean_and_sd_match_hand_computed_values() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, sample variance 32/7.
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert!(close(mean(&x).unwrap(), 5.0));
        assert!(close(sd(&x).unwrap(), (32.0f64 / 7.0).sqrt()));
        assert_eq!(sd(&[1.0]), None);
        assert_eq!(mean(&[]), None);
        // NaN is missing data.
        assert!(close(mean(&[1.0, f64::NAN, 3.0]).unwrap(), 2.0));
    }

    #[test]
    fn quantile_type_7_matches_r() {
        // R: quantile(c(1, 2, 3, 4, 10), c(.1, .25, .5, .9), type = 7) = 1.4, 2, 3, 7.6
        let x = [10.0, 1.0, 3.0, 2.0, 4.0];
        assert!(close(quantile(&x, 0.1).unwrap(), 1.4));
        assert!(close(quantile(&x, 0.25).unwrap(), 2.0));
        assert!(close(quantile(&x, 0.5).unwrap(), 3.0));
        assert!(close(quantile(&x, 0.9).unwrap(), 7.6));
        assert!(close(quantile(&x, 0.0).unwrap(), 1.0));
        assert!(close(quantile(&x, 1.0).unwrap(), 10.0));
        // Two values: the 10 % quantile is 10 % of the way.
        assert!(close(quantile(&[0.0, 10.0], 0.1).unwrap(), 1.0));
        let s = summarize(&x).unwrap();
        assert_eq!((s.n, s.min, s.max), (5, 1.0, 10.0));
        assert!(close(s.p90, 7.6) && close(s.mean, 4.0));
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_mean() {
        let x: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let a = ci95(&x).unwrap();
        let b = ci95(&x).unwrap();
        assert_eq!(a, b, "fixed seed: same interval");
        assert!(close(a.estimate, 9.5));
        assert!(a.lo < 9.5 && 9.5 < a.hi);
        // Standard error = sd/√n = 5.916/4.472 = 1.32; the 95 % interval is about ±2.6.
        assert!((a.hi - a.lo) > 4.0 && (a.hi - a.lo) < 6.5, "{a:?}");
        // A constant sample has a zero-width interval; one value has none.
        let c = ci95(&[3.0, 3.0, 3.0]).unwrap();
        assert_eq!((c.lo, c.hi), (3.0, 3.0));
        assert!(ci95(&[1.0]).is_none());
    }

    #[test]
    fn paired_differences_are_b_minus_a_by_replication() {
        let a = [1.0, 2.0, 3.0, f64::NAN];
        let b = [2.0, 2.5, 4.5, 9.0];
        let p = paired(&a, &b, 0.95).unwrap();
        assert_eq!(p.n, 3);
        // Differences 1, 0.5, 1.5: mean 1, sd 0.5.
        assert!(close(p.mean_diff, 1.0) && close(p.sd_diff, 0.5));
        assert!(close(p.mean_a, 2.0) && close(p.mean_b, 3.0));
        assert_eq!((p.n_b_higher, p.n_b_lower), (3, 0));
        let ci = p.ci.unwrap();
        assert!(ci.lo >= 0.5 && ci.hi <= 1.5 && ci.excludes_zero());
        assert!(close(p.relative().unwrap(), 0.5));
    }

    #[test]
    fn band_gives_per_step_quantiles() {
        let runs = vec![vec![0.0, 10.0], vec![1.0, 20.0], vec![2.0, 30.0]];
        let b = band(&runs);
        assert_eq!(b.len(), 2);
        assert!(close(b[0].0, 0.2) && close(b[0].1, 1.0) && close(b[0].2, 1.8));
        assert!(close(b[1].1, 20.0));
    }
}
