//! The closed forms of MODEL.md §8, as pure functions of their parameters: what the validation
//! cases compare the engine with. Nothing here runs the engine.

/// Bass (1969) cumulative adoption F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t}), F(0) = 0;
/// p, q per year, t in years. With p = 0 it stays 0.
pub fn bass_f(p: f64, q: f64, t: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    let e = (-(p + q) * t).exp();
    (1.0 - e) / (1.0 + (q / p) * e)
}

/// The Bass inflection point: t* = ln(q/p)/(p + q) (years) and F(t*) = (q − p)/(2q).
pub fn bass_peak(p: f64, q: f64) -> (f64, f64) {
    ((q / p).ln() / (p + q), (q - p) / (2.0 * q))
}

/// The discrete mean-field path with the hazard evaluated at the start of each step:
/// F_d(t_{k+1}) = F_d(t_k) + (1 − F_d(t_k))(1 − e^{−(p + q F_d(t_k))Δt}), F_d(0) = 0.
/// Element k is F_d after k + 1 steps (the engine's row of step k).
pub fn bass_discrete(p: f64, q: f64, dt: f64, steps: usize) -> Vec<f64> {
    let mut f = 0.0;
    (0..steps)
        .map(|_| {
            f += (1.0 - f) * (1.0 - (-(p + q * f) * dt).exp());
            f
        })
        .collect()
}

/// The sampling standard deviation of A_k/N around [`bass_discrete`] for N customers, by the
/// linear-noise approximation of the chain A_{k+1} = A_k + Binomial(N − A_k, h(A_k/N)),
/// h(x) = 1 − e^{−(p + q x)Δt}: with x_k the mean-field path, V_{k+1} = a_k² V_k +
/// (1 − x_k) h_k (1 − h_k)/N, a_k = 1 − h_k + (1 − x_k) h'(x_k), h'(x) = qΔt e^{−(p + q x)Δt}.
/// Contagion amplifies early noise through a_k > 1. Element k matches [`bass_discrete`]'s.
pub fn bass_sd(p: f64, q: f64, dt: f64, steps: usize, n: f64) -> Vec<f64> {
    let (mut x, mut v) = (0.0f64, 0.0f64);
    (0..steps)
        .map(|_| {
            let e = (-(p + q * x) * dt).exp();
            let h = 1.0 - e;
            let a = 1.0 - h + (1.0 - x) * q * dt * e;
            v = a * a * v + (1.0 - x) * h * (1.0 - h) / n;
            x += (1.0 - x) * h;
            v.sqrt()
        })
        .collect()
}

/// Multinomial-logit choice probabilities over options of utility `v` with scale μ; with
/// `outside`, an option of utility 0 comes first in the result.
pub fn logit_shares(v: &[f64], mu: f64, outside: bool) -> Vec<f64> {
    let all: Vec<f64> = if outside {
        std::iter::once(0.0).chain(v.iter().copied()).collect()
    } else {
        v.to_vec()
    };
    let m = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = all.iter().map(|x| ((x - m) / mu).exp()).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// The expected surplus over an outside option of utility 0 (Small & Rosen 1981):
/// μ ln(1 + Σ_j e^{V_j/μ}).
pub fn logit_surplus(v: &[f64], mu: f64) -> f64 {
    let m = v.iter().copied().fold(0.0f64, f64::max);
    let s: f64 = std::iter::once(0.0)
        .chain(v.iter().copied())
        .map(|x| ((x - m) / mu).exp())
        .sum();
    m + mu * s.ln()
}

/// The symmetric Nash price of `n` logit sellers with cost c and scale μ (Anderson, de Palma &
/// Thisse 1992): p = c + μ/(1 − s(p)). Without an outside option s = 1/n, so p = c + μn/(n − 1);
/// with an outside option of gross value v (utility v − p), s(p) = e^{(v−p)/μ}/(1 + n e^{(v−p)/μ}),
/// and the fixed point is found by iteration (a contraction: |ds/dp| < 1/μ · s(1 − s) ≤ 1/4μ·μ).
pub fn logit_nash_price(c: f64, mu: f64, n: usize, outside_value: Option<f64>) -> f64 {
    let n = n as f64;
    match outside_value {
        None => c + mu * n / (n - 1.0),
        Some(v) => {
            let mut p = c + mu;
            for _ in 0..10_000 {
                let z = (v - p) / mu;
                // s = e^z / (1 + n e^z), computed stably.
                let s = if z > 0.0 {
                    1.0 / ((-z).exp() + n)
                } else {
                    z.exp() / (1.0 + n * z.exp())
                };
                let next = c + mu / (1.0 - s);
                if (next - p).abs() <= 1e-15 * p.abs() {
                    return next;
                }
                p = next;
            }
            p
        }
    }
}

/// The monopoly price under a linear demand: values uniform on [v_lo, v_hi], cost c:
/// p* = max(v_lo, (v_hi + c)/2) (p* = (v_max + c)/2 for v_lo = 0).
pub fn monopoly_linear(c: f64, v_lo: f64, v_hi: f64) -> f64 {
    ((v_hi + c) / 2.0).max(v_lo)
}

/// The discrete monopoly optimum over ascending reservation prices r_k (customer k buys at
/// price ≤ r_k): maximizes (r_k − c)(N − k), ties to the lower price. Returns (k*, r_k*).
pub fn monopoly_discrete(c: f64, r: &[f64]) -> (usize, f64) {
    let n = r.len();
    let mut best = (f64::NEG_INFINITY, 0usize);
    for (k, &rk) in r.iter().enumerate() {
        let profit = (rk - c) * (n - k) as f64;
        if profit > best.0 {
            best = (profit, k);
        }
    }
    (best.1, r[best.1])
}

/// Buterin's MC = T·H steady state with a constant-product pool: the price p solving
/// p·(M_g − sqrt(k/p)) = T·H, i.e. p* = [(sqrt(k) + sqrt(k + 4 M_g T H)) / (2 M_g)]², with
/// k = x₀·M_g (USD·tokens), M_g the tokens that start in the pool, T USD per step, H steps.
pub fn buterin_price(k: f64, m_g: f64, t: f64, h: f64) -> f64 {
    let r = (k.sqrt() + (k + 4.0 * m_g * t * h).sqrt()) / (2.0 * m_g);
    r * r
}

/// Mid price after buys totalling F USD against a fee-free constant-product pool:
/// p₀(1 + F/x₀)², with p₀ = x₀/y₀.
pub fn cpmm_mid_after(x0: f64, y0: f64, f: f64) -> f64 {
    x0 / y0 * (1.0 + f / x0).powi(2)
}

/// Tokens out of one buy of F USD with fee f: y₀F(1 − f)/(x₀ + F(1 − f)).
pub fn cpmm_tokens_out(x0: f64, y0: f64, buy: f64, fee: f64) -> f64 {
    y0 * buy * (1.0 - fee) / (x0 + buy * (1.0 - fee))
}

/// Fulfilled-expectation equilibria of the critical-mass model n = 1 − c/n (θ uniform on [0, 1]):
/// (n_L, n_H) = ((1 − sqrt(1 − 4c))/2, (1 + sqrt(1 − 4c))/2), or None when c > 1/4.
pub fn critical_mass_roots(c: f64) -> Option<(f64, f64)> {
    let d = 1.0 - 4.0 * c;
    (d >= 0.0).then(|| ((1.0 - d.sqrt()) / 2.0, (1.0 + d.sqrt()) / 2.0))
}

/// The exact discrete critical-mass map with N customers of weights θ_i = (i + 0.5)/N:
/// customer i joins when θ_i·n ≥ c, so n' = #{i : (i + 0.5)/N · n ≥ c}/N.
pub fn critical_mass_step(n_share: f64, c: f64, customers: u64) -> f64 {
    if n_share <= 0.0 {
        return if c <= 0.0 { 1.0 } else { 0.0 };
    }
    let nn = customers as f64;
    // θ_i ≥ c/n ⟺ i ≥ N c/n − 0.5.
    let first = (nn * c / n_share - 0.5).ceil().max(0.0);
    ((nn - first).max(0.0)) / nn
}

/// Kolmogorov–Smirnov distance of a sample from Uniform(0, 1).
pub fn ks_uniform(sample: &[f64]) -> f64 {
    let mut x = sample.to_vec();
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let v = v.clamp(0.0, 1.0);
            ((i as f64 + 1.0) / n - v).max(v - i as f64 / n)
        })
        .fold(0.0, f64::max)
}

/// Cumulative emission of a geometric schedule after m tranches: E₁(1 − (1 − d)^m)/d
/// (E₁·m when d = 0). Evaluated as −E₁·expm1(m·ln(1 − d))/d, which keeps full relative precision
/// (the direct form loses about 1e-15 to the cancellation in 1 − (1 − d)^m, i.e. more than one base
/// unit on a tranche of 15 million tokens).
pub fn geometric_cumulative(first: f64, decay: f64, m: u32) -> f64 {
    if decay == 0.0 {
        first * m as f64
    } else if decay == 1.0 {
        if m > 0 { first } else { 0.0 }
    } else {
        -first * (m as f64 * (-decay).ln_1p()).exp_m1() / decay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bass_numbers_of_model_md() {
        let (p, q) = (0.03, 0.38);
        let (t, f) = bass_peak(p, q);
        assert!((t - 6.19).abs() < 0.005, "{t}");
        assert!((f - 0.4605).abs() < 5e-5, "{f}");
        assert!((bass_f(p, q, 5.0) - 0.3312).abs() < 5e-5);
        assert!((bass_f(p, q, 10.0) - 0.8128).abs() < 5e-5);
        // The weekly discrete path is within 0.0025 of F; the daily one within 0.0004.
        for (days, tol) in [(7.0f64, 0.0025), (1.0, 0.0004)] {
            let dt: f64 = days / 365.0;
            let steps = (20.0 / dt).round() as usize;
            let d = bass_discrete(p, q, dt, steps);
            let err = d
                .iter()
                .enumerate()
                .map(|(k, &x)| (x - bass_f(p, q, (k + 1) as f64 * dt)).abs())
                .fold(0.0, f64::max);
            assert!(err <= tol, "{days}: {err}");
        }
    }

    #[test]
    fn bass_noise_reaches_model_md_s_d() {
        // MODEL.md §8: the s.d. of A_k/N reaches about 0.0011 at N = 10⁶.
        let sd = bass_sd(0.03, 0.38, 7.0 / 365.0, 1043, 1e6);
        let max = sd.iter().copied().fold(0.0, f64::max);
        assert!((0.0008..0.0014).contains(&max), "{max}");
    }

    #[test]
    fn logit_shares_and_surplus() {
        let v = [0.010, 0.012, 0.008, 0.011];
        let s = logit_shares(&v, 0.002, true);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let e: Vec<f64> = v.iter().map(|x| (x / 0.002f64).exp()).collect();
        let d = 1.0 + e.iter().sum::<f64>();
        assert!((s[0] - 1.0 / d).abs() < 1e-15);
        assert!((s[2] - e[1] / d).abs() < 1e-15);
        assert!((logit_surplus(&v, 0.002) - 0.002 * d.ln()).abs() < 1e-15);
    }

    #[test]
    fn nash_price_closed_form_and_fixed_point() {
        assert!((logit_nash_price(0.002, 0.001, 3, None) - 0.0035).abs() < 1e-15);
        // A very valuable outside option vanishes: the fixed point tends to the closed form.
        let far = logit_nash_price(0.002, 0.001, 3, Some(10.0));
        assert!((far - 0.0035).abs() < 1e-12, "{far}");
        // Otherwise it solves p = c + μ/(1 − s(p)).
        let p = logit_nash_price(0.002, 0.001, 3, Some(0.004));
        let e = ((0.004 - p) / 0.001f64).exp();
        let s = e / (1.0 + 3.0 * e);
        assert!((p - (0.002 + 0.001 / (1.0 - s))).abs() < 1e-14, "{p}");
    }

    #[test]
    fn monopoly_of_v4() {
        assert!((monopoly_linear(0.002, 0.0, 0.02) - 0.011).abs() < 1e-15);
        let n = 100_000;
        let r: Vec<f64> = (0..n).map(|i| 0.02 * (i as f64 + 0.5) / n as f64).collect();
        let (k, p) = monopoly_discrete(0.002, &r);
        assert_eq!(n - k, 45_000);
        assert!((p / 0.0110001 - 1.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn buterin_price_of_v7() {
        let p = buterin_price(1e6 * 1e9, 1e9, 1e4, 8.0);
        assert!((p - 0.00115446).abs() < 5e-9, "{p}");
        // It solves p (M_g − sqrt(k/p)) = T H.
        assert!((p * (1e9 - (1e15 / p).sqrt()) / 8e4 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn amm_numbers_of_v8() {
        assert!((cpmm_mid_after(1e6, 1e9, 1e6) - 0.004).abs() < 1e-15);
        let out = cpmm_tokens_out(1e6, 1e9, 1e6, 0.003);
        assert!((out - 499_248_873.3).abs() < 0.05, "{out}");
    }

    #[test]
    fn critical_mass_of_v9() {
        let (l, h) = critical_mass_roots(0.16).unwrap();
        assert!((l - 0.2).abs() < 1e-12 && (h - 0.8).abs() < 1e-12);
        assert!(critical_mass_roots(0.3).is_none());
        let n = 100_000;
        let mut x = 0.21;
        for _ in 0..300 {
            x = critical_mass_step(x, 0.16, n);
        }
        assert!((x - 0.8).abs() <= 2.0 / n as f64, "{x}");
        let mut x = 0.19;
        for _ in 0..50 {
            x = critical_mass_step(x, 0.16, n);
        }
        assert_eq!(x, 0.0);
    }

    #[test]
    fn ks_distance() {
        let grid: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        assert!((ks_uniform(&grid) - 0.0005).abs() < 1e-12);
        assert!((ks_uniform(&[0.0; 10]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn emission_of_v11() {
        let c = geometric_cumulative(15e6, 0.015, 12);
        assert!((c - 165.87e6).abs() < 0.01e6, "{c}");
        assert_eq!(geometric_cumulative(2.0, 0.0, 3), 6.0);
    }
}
