//! The Sobol' low-discrepancy sequence (Sobol' 1967) with the direction numbers of Joe & Kuo
//! (2008, file `new-joe-kuo-6.21201`) for the first [`MAX_DIMS`] dimensions, in Gray-code order
//! (Antonov & Saleev 1979): point `k` is the XOR of the direction numbers selected by the bits of
//! `k ^ (k >> 1)`. This is the order and the exact values of SciPy's `qmc.Sobol(scramble=False)`
//! and of Joe & Kuo's own generator (unit tests pin points against SciPy 1.17).
//!
//! Points are 32-bit binary fractions. An optional random digital shift (XOR of each coordinate
//! with a fixed random mask) keeps every net property of the sequence and makes the design seed
//! matter; it is off by default.

/// Most dimensions supported (the Saltelli scheme uses 2 per parameter).
pub const MAX_DIMS: usize = 64;

const BITS: u32 = 32;

/// `(primitive polynomial with its leading and trailing 1, initial m_1 … m_s)` per dimension;
/// dimension 1 is van der Corput's sequence (polynomial 1, all m = 1).
const DIRECTIONS: [(u32, &[u32]); MAX_DIMS] = [
    (1, &[1]),
    (3, &[1]),
    (7, &[1, 3]),
    (11, &[1, 3, 1]),
    (13, &[1, 1, 1]),
    (19, &[1, 1, 3, 3]),
    (25, &[1, 3, 5, 13]),
    (37, &[1, 1, 5, 5, 17]),
    (41, &[1, 1, 5, 5, 5]),
    (47, &[1, 1, 7, 11, 19]),
    (55, &[1, 1, 5, 1, 1]),
    (59, &[1, 1, 1, 3, 11]),
    (61, &[1, 3, 5, 5, 31]),
    (67, &[1, 3, 3, 9, 7, 49]),
    (91, &[1, 1, 1, 15, 21, 21]),
    (97, &[1, 3, 1, 13, 27, 49]),
    (103, &[1, 1, 1, 15, 7, 5]),
    (109, &[1, 3, 1, 15, 13, 25]),
    (115, &[1, 1, 5, 5, 19, 61]),
    (131, &[1, 3, 7, 11, 23, 15, 103]),
    (137, &[1, 3, 7, 13, 13, 15, 69]),
    (143, &[1, 1, 3, 13, 7, 35, 63]),
    (145, &[1, 3, 5, 9, 1, 25, 53]),
    (157, &[1, 3, 1, 13, 9, 35, 107]),
    (167, &[1, 3, 1, 5, 27, 61, 31]),
    (171, &[1, 1, 5, 11, 19, 41, 61]),
    (185, &[1, 3, 5, 3, 3, 13, 69]),
    (191, &[1, 1, 7, 13, 1, 19, 1]),
    (193, &[1, 3, 7, 5, 13, 19, 59]),
    (203, &[1, 1, 3, 9, 25, 29, 41]),
    (211, &[1, 3, 5, 13, 23, 1, 55]),
    (213, &[1, 3, 7, 3, 13, 59, 17]),
    (229, &[1, 3, 1, 3, 5, 53, 69]),
    (239, &[1, 1, 5, 5, 23, 33, 13]),
    (241, &[1, 1, 7, 7, 1, 61, 123]),
    (247, &[1, 1, 7, 9, 13, 61, 49]),
    (253, &[1, 3, 3, 5, 3, 55, 33]),
    (285, &[1, 3, 1, 15, 31, 13, 49, 245]),
    (299, &[1, 3, 5, 15, 31, 59, 63, 97]),
    (301, &[1, 3, 1, 11, 11, 11, 77, 249]),
    (333, &[1, 3, 1, 11, 27, 43, 71, 9]),
    (351, &[1, 1, 7, 15, 21, 11, 81, 45]),
    (355, &[1, 3, 7, 3, 25, 31, 65, 79]),
    (357, &[1, 3, 1, 1, 19, 11, 3, 205]),
    (361, &[1, 1, 5, 9, 19, 21, 29, 157]),
    (369, &[1, 3, 7, 11, 1, 33, 89, 185]),
    (391, &[1, 3, 3, 3, 15, 9, 79, 71]),
    (397, &[1, 3, 7, 11, 15, 39, 119, 27]),
    (425, &[1, 1, 3, 1, 11, 31, 97, 225]),
    (451, &[1, 1, 1, 3, 23, 43, 57, 177]),
    (463, &[1, 3, 7, 7, 17, 17, 37, 71]),
    (487, &[1, 3, 1, 5, 27, 63, 123, 213]),
    (501, &[1, 1, 3, 5, 11, 43, 53, 133]),
    (529, &[1, 3, 5, 5, 29, 17, 47, 173, 479]),
    (539, &[1, 3, 3, 11, 3, 1, 109, 9, 69]),
    (545, &[1, 1, 1, 5, 17, 39, 23, 5, 343]),
    (557, &[1, 3, 1, 5, 25, 15, 31, 103, 499]),
    (563, &[1, 1, 1, 11, 11, 17, 63, 105, 183]),
    (601, &[1, 1, 5, 11, 9, 29, 97, 231, 363]),
    (607, &[1, 1, 5, 15, 19, 45, 41, 7, 383]),
    (617, &[1, 3, 7, 7, 31, 19, 83, 137, 221]),
    (623, &[1, 1, 1, 3, 23, 15, 111, 223, 83]),
    (631, &[1, 1, 5, 13, 31, 15, 55, 25, 161]),
    (637, &[1, 1, 3, 13, 25, 47, 39, 87, 257]),
];

/// A Sobol' sequence generator of a fixed dimension.
#[derive(Clone, Debug)]
pub struct Sobol {
    /// `v[d][b]`: direction number of dimension `d` for bit `b` (32-bit fixed point).
    v: Vec<[u32; BITS as usize]>,
    /// Digital shift per dimension (0 = none).
    shift: Vec<u32>,
}

impl Sobol {
    /// The first `dims` dimensions (1 ≤ `dims` ≤ [`MAX_DIMS`]), unscrambled.
    pub fn new(dims: usize) -> Result<Sobol, String> {
        if dims == 0 || dims > MAX_DIMS {
            return Err(format!(
                "the Sobol' sequence supports 1 to {MAX_DIMS} dimensions, not {dims}"
            ));
        }
        let mut v = Vec::with_capacity(dims);
        for &(poly, m_init) in DIRECTIONS.iter().take(dims) {
            let mut row = [0u32; BITS as usize];
            let s = (32 - poly.leading_zeros()).saturating_sub(1) as usize;
            if s == 0 {
                for (b, slot) in row.iter_mut().enumerate() {
                    *slot = 1u32 << (BITS as usize - 1 - b);
                }
            } else {
                for b in 0..BITS as usize {
                    if b < s {
                        row[b] = m_init[b] << (BITS as usize - 1 - b);
                    } else {
                        // v_b = v_{b−s} ⊕ (v_{b−s} >> s) ⊕ Σ_{i=1}^{s−1} a_i v_{b−i}
                        let mut x = row[b - s] ^ (row[b - s] >> s);
                        for i in 1..s {
                            if (poly >> (s - i)) & 1 == 1 {
                                x ^= row[b - i];
                            }
                        }
                        row[b] = x;
                    }
                }
            }
            v.push(row);
        }
        Ok(Sobol {
            shift: vec![0; dims],
            v,
        })
    }

    /// Applies a random digital shift: coordinate `d` is XOR-ed with `masks[d]`.
    pub fn with_shift(mut self, masks: Vec<u32>) -> Sobol {
        debug_assert_eq!(masks.len(), self.v.len());
        self.shift = masks;
        self
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.v.len()
    }

    /// Point `k` (Gray-code order; point 0 is the origin unless shifted), coordinates in [0, 1).
    /// Valid for `k < 2³²`.
    pub fn point(&self, k: u64, out: &mut Vec<f64>) {
        out.clear();
        let gray = (k ^ (k >> 1)) as u32;
        for (row, &mask) in self.v.iter().zip(&self.shift) {
            let mut x = mask;
            let mut g = gray;
            let mut b = 0;
            while g != 0 {
                if g & 1 == 1 {
                    x ^= row[b];
                }
                g >>= 1;
                b += 1;
            }
            out.push(f64::from(x) / 4_294_967_296.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(s: &Sobol, k: u64) -> Vec<f64> {
        let mut out = Vec::new();
        s.point(k, &mut out);
        out
    }

    #[test]
    fn first_points_match_scipy() {
        // scipy.stats.qmc.Sobol(d=40, scramble=False).random(16), columns 1, 2, 3, 10, 20, 30, 40.
        let s = Sobol::new(40).unwrap();
        let cols = [0, 1, 2, 9, 19, 29, 39];
        let expected: [(u64, [f64; 7]); 7] = [
            (1, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
            (2, [0.75, 0.25, 0.25, 0.75, 0.25, 0.75, 0.25]),
            (3, [0.25, 0.75, 0.75, 0.25, 0.75, 0.25, 0.75]),
            (5, [0.875, 0.875, 0.125, 0.125, 0.625, 0.625, 0.375]),
            (7, [0.125, 0.625, 0.375, 0.875, 0.875, 0.375, 0.125]),
            (11, [0.4375, 0.5625, 0.1875, 0.0625, 0.5625, 0.6875, 0.3125]),
            (15, [0.0625, 0.9375, 0.5625, 0.6875, 0.6875, 0.5625, 0.6875]),
        ];
        assert!(pt(&s, 0).iter().all(|&x| x == 0.0));
        for (k, want) in expected {
            let p = pt(&s, k);
            let got: Vec<f64> = cols.iter().map(|&c| p[c]).collect();
            assert_eq!(got, want, "point {k}");
        }
        let p13 = pt(&s, 13);
        assert_eq!(
            &p13[..12],
            &[
                0.8125, 0.6875, 0.8125, 0.0625, 0.4375, 0.9375, 0.5625, 0.5625, 0.5625, 0.4375,
                0.8125, 0.9375
            ]
        );
    }

    #[test]
    fn every_dimension_is_a_permutation_of_the_dyadic_grid() {
        // The first 2^m points put exactly one point in each interval [i/2^m, (i+1)/2^m).
        let s = Sobol::new(MAX_DIMS).unwrap();
        let n = 256u64;
        let mut seen = vec![vec![false; n as usize]; MAX_DIMS];
        for k in 0..n {
            for (d, x) in pt(&s, k).into_iter().enumerate() {
                let cell = (x * n as f64) as usize;
                assert!(!seen[d][cell], "dimension {d}: cell {cell} twice");
                seen[d][cell] = true;
            }
        }
        assert!(Sobol::new(0).is_err() && Sobol::new(MAX_DIMS + 1).is_err());
    }

    #[test]
    fn digital_shift_keeps_the_stratification() {
        let s = Sobol::new(2)
            .unwrap()
            .with_shift(vec![0x9e37_79b9, 0x7f4a_7c15]);
        let n = 64u64;
        let mut seen = vec![vec![false; n as usize]; 2];
        for k in 0..n {
            for (d, x) in pt(&s, k).into_iter().enumerate() {
                let cell = (x * n as f64) as usize;
                assert!(!seen[d][cell]);
                seen[d][cell] = true;
            }
        }
    }
}
