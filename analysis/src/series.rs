//! Events on one time series: when it first reaches a threshold (and stays there for a while), and
//! whether it tips — a single sharp shift in level that crosses a threshold.
//!
//! Tipping is found as the best single change point of a piecewise-constant fit (the split that
//! minimizes the sum of squared deviations from the two segment means, each segment at least
//! `min_segment` points long). The series tips at that point when the level before is on one side of
//! the threshold and the level after on the other, and the split explains a large share of the
//! series' variance (`explained`, the R² of the two-level fit).

/// Which side of the threshold counts as reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Value ≥ threshold.
    Above,
    /// Value ≤ threshold.
    Below,
}

impl Direction {
    fn holds(self, v: f64, threshold: f64) -> bool {
        match self {
            Direction::Above => v >= threshold,
            Direction::Below => v <= threshold,
        }
    }
}

/// The x of the first index from which `ys` stays on the `dir` side of `threshold` for `hold`
/// consecutive points (hold 0 or 1: the first point that is there). NaN never holds. None if it
/// never happens. `xs` and `ys` have equal length.
pub fn time_to_threshold(
    xs: &[f64],
    ys: &[f64],
    threshold: f64,
    dir: Direction,
    hold: usize,
) -> Option<f64> {
    assert_eq!(xs.len(), ys.len(), "xs and ys must have equal length");
    let hold = hold.max(1);
    let mut run = 0usize;
    for (i, &y) in ys.iter().enumerate() {
        if !y.is_nan() && dir.holds(y, threshold) {
            run += 1;
            if run == hold {
                return Some(xs[i + 1 - hold]);
            }
        } else {
            run = 0;
        }
    }
    None
}

/// A detected level shift.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tipping {
    /// Index of the first point of the new level.
    pub index: usize,
    /// Its x (e.g. the step).
    pub at: f64,
    /// Mean level before.
    pub before: f64,
    /// Mean level after.
    pub after: f64,
    /// Share of the series' variance explained by the two-level fit (0–1).
    pub explained: f64,
}

impl Tipping {
    /// Whether the shift crosses `threshold` (either way).
    pub fn crosses(&self, threshold: f64) -> bool {
        (self.before < threshold) != (self.after < threshold)
    }
}

/// The best single change point of `ys` (see the module docs); None for fewer than
/// 2·`min_segment` points, NaN values, or a constant series.
pub fn change_point(xs: &[f64], ys: &[f64], min_segment: usize) -> Option<Tipping> {
    assert_eq!(xs.len(), ys.len(), "xs and ys must have equal length");
    let n = ys.len();
    let m = min_segment.max(1);
    if n < 2 * m || ys.iter().any(|y| !y.is_finite()) {
        return None;
    }
    // Prefix sums of y and y²; SSE of a segment = Σy² − (Σy)²/len.
    let mut s = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for i in 0..n {
        s[i + 1] = s[i] + ys[i];
        s2[i + 1] = s2[i] + ys[i] * ys[i];
    }
    let sse = |a: usize, b: usize| {
        let len = (b - a) as f64;
        let sum = s[b] - s[a];
        (s2[b] - s2[a] - sum * sum / len).max(0.0)
    };
    let total = sse(0, n);
    if total <= 0.0 {
        return None;
    }
    let (mut best_k, mut best) = (m, f64::INFINITY);
    for k in m..=n - m {
        let e = sse(0, k) + sse(k, n);
        if e < best {
            best = e;
            best_k = k;
        }
    }
    Some(Tipping {
        index: best_k,
        at: xs[best_k],
        before: s[best_k] / best_k as f64,
        after: (s[n] - s[best_k]) / (n - best_k) as f64,
        explained: 1.0 - best / total,
    })
}

/// A tipping point of `ys` across `threshold`: the best change point (segments of at least
/// max(3, n/20) points) if it crosses the threshold and explains at least half the variance.
pub fn tipping_point(xs: &[f64], ys: &[f64], threshold: f64) -> Option<Tipping> {
    let min_segment = (ys.len() / 20).max(3);
    change_point(xs, ys, min_segment).filter(|t| t.crosses(threshold) && t.explained >= 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn time_to_threshold_with_and_without_hold() {
        let x = steps(8);
        let y = [0.0, 0.6, 0.2, 0.6, 0.7, 0.8, 0.1, 0.9];
        assert_eq!(
            time_to_threshold(&x, &y, 0.5, Direction::Above, 0),
            Some(1.0)
        );
        assert_eq!(
            time_to_threshold(&x, &y, 0.5, Direction::Above, 3),
            Some(3.0)
        );
        assert_eq!(time_to_threshold(&x, &y, 0.5, Direction::Above, 4), None);
        assert_eq!(
            time_to_threshold(&x, &y, 0.15, Direction::Below, 1),
            Some(0.0)
        );
        assert_eq!(
            time_to_threshold(&x, &[f64::NAN; 8], 0.0, Direction::Above, 1),
            None
        );
    }

    #[test]
    fn a_step_function_tips_where_it_jumps() {
        // 10 points at 0.1 then 10 at 0.7: the split at index 10 explains everything.
        let x = steps(20);
        let y: Vec<f64> = (0..20).map(|i| if i < 10 { 0.1 } else { 0.7 }).collect();
        let t = tipping_point(&x, &y, 0.5).unwrap();
        assert_eq!((t.index, t.at), (10, 10.0));
        assert!((t.before - 0.1).abs() < 1e-12 && (t.after - 0.7).abs() < 1e-12);
        assert!((t.explained - 1.0).abs() < 1e-12);
        // The same jump below the threshold is a change point but no tipping.
        let low: Vec<f64> = y.iter().map(|v| v / 2.0).collect();
        assert!(change_point(&x, &low, 3).is_some());
        assert!(tipping_point(&x, &low, 0.5).is_none());
    }

    #[test]
    fn hand_computed_change_point() {
        // y = 0, 0, 0, 3, 3, 4 with min segment 2: splits k = 2, 3, 4 have SSE
        // k=2: 0 + (0,3,3,4 → mean 2.5: 6.25+0.25+0.25+2.25 = 9) = 9
        // k=3: 0 + (3,3,4 → mean 10/3: 1/9+1/9+4/9 = 2/3) = 2/3
        // k=4: (0,0,0,3 → 6.75) + (3,4 → 0.5) = 7.25; total SSE = Σy² − (Σy)²/n = 34 − 100/6.
        let x = steps(6);
        let y = [0.0, 0.0, 0.0, 3.0, 3.0, 4.0];
        let t = change_point(&x, &y, 2).unwrap();
        assert_eq!(t.index, 3);
        let total = 34.0 - 100.0 / 6.0;
        assert!((t.explained - (1.0 - (2.0 / 3.0) / total)).abs() < 1e-12);
        // A noisy flat series does not tip.
        let flat: Vec<f64> = (0..40)
            .map(|i| 0.3 + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        assert!(tipping_point(&steps(40), &flat, 0.3).is_none());
        assert!(change_point(&steps(6), &[1.0; 6], 2).is_none());
    }
}
