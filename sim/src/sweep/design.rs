//! Designs: the points of a sweep, each computed on demand from its index (no design is held in
//! memory, so a sweep of a million points costs no more than one of ten).
//!
//! - `grid`: mixed-radix decoding of the point index, the last parameter varying fastest (the
//!   order of `itertools.product`).
//! - `zip`: point i takes the i-th value of every list.
//! - `random`: coordinate j of point i is uniform, keyed by (design seed, point, j).
//! - `latin_hypercube`: coordinate j of point i is `(π_j(i) + U_ij) / n`, where π_j is a keyed
//!   pseudo-random permutation of 0..n (a 4-round Feistel network with cycle walking, so it needs
//!   no table) and U_ij is uniform: every parameter has exactly one point in each of its n strata.
//! - `sobol`: Saltelli's scheme. Row r of the 2d-dimensional Sobol' sequence gives A_r (its first d
//!   coordinates) and B_r (the last d); the design lists, for each r, A_r, then AB_r^(1) … AB_r^(d)
//!   (A_r with coordinate i taken from B_r), then B_r: N(d + 2) points, the layout of SALib's
//!   `saltelli.sample(calc_second_order=False)`.
//! - `morris`: r trajectories of d + 1 points on a grid of `levels` levels with jump
//!   Δ = levels / (2 (levels − 1)) (Morris 1991): a random base point, a random factor order and a
//!   random direction per factor, then one factor moved by ±Δ per step.
//!
//! Coordinates in [0, 1] map to values through each parameter's inverse CDF ([`ParamSpec::at`]).
//! All draws come from [`crate::rng`] keyed by the design seed, never from a shared generator.

use super::param::ParamSpec;
use super::sobol::Sobol;
use super::spec::{DesignKind, SweepSpec};
use crate::rng::{Stream, hash_key};

const TAG_RANDOM: u64 = 0x5357_0001;
const TAG_LHS_PERM: u64 = 0x5357_0002;
const TAG_LHS_JITTER: u64 = 0x5357_0003;
const TAG_SOBOL_SHIFT: u64 = 0x5357_0004;
const TAG_MORRIS: u64 = 0x5357_0005;

/// A design, ready to produce any point.
#[derive(Clone, Debug)]
pub struct Design {
    kind: DesignKind,
    specs: Vec<ParamSpec>,
    n_points: u64,
    seed: u64,
    /// Grid: the number of points per step of each parameter's index.
    strides: Vec<u64>,
    /// Sobol': the 2d-dimensional generator.
    sobol: Option<Sobol>,
    /// Latin hypercube: samples; Sobol': N; Morris: trajectories.
    samples: u64,
    /// Morris: levels.
    levels: u32,
}

/// One step of a Morris trajectory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MorrisStep {
    /// The factor moved.
    pub factor: usize,
    /// +1 if it moved up by Δ, −1 if down.
    pub sign: i8,
}

impl Design {
    /// The design of a checked spec.
    pub fn new(spec: &SweepSpec) -> Result<Design, String> {
        let specs: Vec<ParamSpec> = spec.parameters.iter().map(|p| p.spec.clone()).collect();
        let d = specs.len() as u64;
        let lens: Vec<u64> = specs.iter().map(|s| s.count().unwrap_or(1)).collect();
        let mut strides = vec![1u64; specs.len()];
        for j in (0..specs.len().saturating_sub(1)).rev() {
            strides[j] = strides[j + 1].saturating_mul(lens[j + 1]);
        }
        let samples = match spec.design {
            DesignKind::Morris => spec.trajectories.unwrap_or(0),
            _ => spec.samples.unwrap_or(0),
        };
        let n_points = match spec.design {
            DesignKind::Grid => lens.iter().product(),
            DesignKind::Zip => lens.first().copied().unwrap_or(1),
            DesignKind::Random | DesignKind::LatinHypercube => samples,
            DesignKind::Sobol => samples * (d + 2),
            DesignKind::Morris => samples * (d + 1),
        };
        let sobol = if spec.design == DesignKind::Sobol {
            let s = Sobol::new(2 * specs.len())?;
            Some(if spec.scramble {
                let masks = (0..2 * d)
                    .map(|k| hash_key(&[spec.design_seed, TAG_SOBOL_SHIFT, k]) as u32)
                    .collect();
                s.with_shift(masks)
            } else {
                s
            })
        } else {
            None
        };
        Ok(Design {
            kind: spec.design,
            specs,
            n_points,
            seed: spec.design_seed,
            strides,
            sobol,
            samples,
            levels: spec.levels.unwrap_or(4),
        })
    }

    /// The design kind.
    pub fn kind(&self) -> DesignKind {
        self.kind
    }

    /// Number of points.
    pub fn n_points(&self) -> u64 {
        self.n_points
    }

    /// Number of parameters.
    pub fn dims(&self) -> usize {
        self.specs.len()
    }

    /// Sobol' base samples N, Morris trajectories r, sampling designs' points.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Morris' jump Δ = levels / (2 (levels − 1)).
    pub fn morris_delta(&self) -> f64 {
        let p = f64::from(self.levels);
        p / (2.0 * (p - 1.0))
    }

    /// The parameter values of a point.
    pub fn values(&self, point: u64) -> Vec<toml::Value> {
        match self.kind {
            DesignKind::Grid => self
                .specs
                .iter()
                .zip(&self.strides)
                .map(|(s, &stride)| match s {
                    ParamSpec::Values(v) => v[((point / stride) % v.len() as u64) as usize].clone(),
                    other => other.at(0.5),
                })
                .collect(),
            DesignKind::Zip => self
                .specs
                .iter()
                .map(|s| match s {
                    ParamSpec::Values(v) => v[(point as usize).min(v.len() - 1)].clone(),
                    other => other.at(0.5),
                })
                .collect(),
            _ => {
                let u = self.unit(point);
                self.specs.iter().zip(u).map(|(s, u)| s.at(u)).collect()
            }
        }
    }

    /// The coordinates in [0, 1] of a point of a sampling design (random, latin_hypercube,
    /// sobol, morris); for grid and zip, the index of each value scaled to [0, 1].
    pub fn unit(&self, point: u64) -> Vec<f64> {
        let d = self.specs.len();
        match self.kind {
            DesignKind::Grid | DesignKind::Zip => self
                .specs
                .iter()
                .zip(&self.strides)
                .map(|(s, &stride)| {
                    let n = s.count().unwrap_or(1);
                    let i = if self.kind == DesignKind::Grid {
                        (point / stride) % n
                    } else {
                        point
                    };
                    if n > 1 {
                        i as f64 / (n - 1) as f64
                    } else {
                        0.0
                    }
                })
                .collect(),
            DesignKind::Random => (0..d as u64)
                .map(|j| Stream::from_key(hash_key(&[self.seed, TAG_RANDOM, point, j])).uniform())
                .collect(),
            DesignKind::LatinHypercube => {
                let n = self.samples;
                (0..d as u64)
                    .map(|j| {
                        let stratum = permute(point, n, hash_key(&[self.seed, TAG_LHS_PERM, j]));
                        let jitter =
                            Stream::from_key(hash_key(&[self.seed, TAG_LHS_JITTER, point, j]))
                                .uniform();
                        (stratum as f64 + jitter) / n as f64
                    })
                    .collect()
            }
            DesignKind::Sobol => {
                let per = d as u64 + 2;
                let (row, col) = (point / per, (point % per) as usize);
                let mut x = Vec::with_capacity(2 * d);
                if let Some(s) = &self.sobol {
                    s.point(row, &mut x);
                }
                let (a, b) = x.split_at(d);
                if col == 0 {
                    a.to_vec()
                } else if col == d + 1 {
                    b.to_vec()
                } else {
                    let mut ab = a.to_vec();
                    ab[col - 1] = b[col - 1];
                    ab
                }
            }
            DesignKind::Morris => {
                let per = d as u64 + 1;
                let (t, k) = (point / per, (point % per) as usize);
                let (start, order, dirs) = self.trajectory(t);
                let delta = self.morris_delta();
                let mut x = start;
                for &f in &order[..k] {
                    x[f] += f64::from(dirs[f]) * delta;
                }
                // Levels are multiples of 1/(p − 1): snap away rounding drift.
                let p1 = f64::from(self.levels - 1);
                x.iter()
                    .map(|v| ((v * p1).round() / p1).clamp(0.0, 1.0))
                    .collect()
            }
        }
    }

    /// Morris: the factor moved and its direction at step `step` (1..=d) of trajectory `t`.
    pub fn morris_step(&self, t: u64, step: usize) -> MorrisStep {
        let (_, order, dirs) = self.trajectory(t);
        let factor = order[step - 1];
        MorrisStep {
            factor,
            sign: dirs[factor],
        }
    }

    /// Morris trajectory `t`: its first point, factor order and directions.
    fn trajectory(&self, t: u64) -> (Vec<f64>, Vec<usize>, Vec<i8>) {
        let d = self.specs.len();
        let mut s = Stream::from_key(hash_key(&[self.seed, TAG_MORRIS, t]));
        let p = u64::from(self.levels);
        let delta = self.morris_delta();
        let mut start = Vec::with_capacity(d);
        let mut dirs = Vec::with_capacity(d);
        for _ in 0..d {
            // Base levels 0, 1/(p − 1), …, 1 − Δ: p/2 of them.
            let base = s.below(p / 2) as f64 / (p - 1) as f64;
            let up = s.below(2) == 0;
            dirs.push(if up { 1 } else { -1 });
            start.push(if up { base } else { base + delta });
        }
        let mut order: Vec<usize> = (0..d).collect();
        for i in (1..d).rev() {
            let j = s.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        (start, order, dirs)
    }
}

/// A keyed pseudo-random permutation of 0..n: a 4-round Feistel network on the smallest
/// even-bit domain that holds n, with cycle walking back into 0..n.
pub fn permute(i: u64, n: u64, key: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = 64 - (n - 1).leading_zeros();
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = hash_key(&[key, round, r]) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < n {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_bijections() {
        for n in [1u64, 2, 3, 5, 16, 17, 100, 1000, 4097] {
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let p = permute(i, n, 12345 + n) as usize;
                assert!(!seen[p], "n = {n}: {p} twice");
                seen[p] = true;
            }
        }
        // Different keys, different permutations.
        let a: Vec<u64> = (0..50).map(|i| permute(i, 50, 1)).collect();
        let b: Vec<u64> = (0..50).map(|i| permute(i, 50, 2)).collect();
        assert_ne!(a, b);
    }
}
