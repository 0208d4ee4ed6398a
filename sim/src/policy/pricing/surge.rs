//! `surge` (demand-responsive): p_{t+1} = clip(p_t·(1 + κ(u_t − u*)), p_min, p_max) with
//! u_t = D̂_j/K_j, the demand forecast over the reserved capacity planned for the step (MODEL.md
//! §7.6). `reserved` capacity only: `check` rejects `surge` on `on_demand` offerings (u would be 0
//! and drive the price to p_min). Until the first demand observation the price is kept.
//!
//! Note: the reserved-capacity plan K = ⌈D̂/`util_target`⌉ (§7.4) makes u tend to `util_target`
//! (0.7) whenever capacity can follow demand, so with u* = 0.8 the rule drifts down to p_min unless
//! capacity is clamped (±50 % per step) or u* ≤ `util_target`.

use serde::{Deserialize, Serialize};

use super::{MarketView, OfferingView, in_range};

/// Parameters of `surge`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// κ: price response to the utilization gap, in (0, 5].
    pub kappa: f64,
    /// u*: target utilization, in (0, 1].
    pub target_utilization: f64,
    /// Lower clip (USD per request); absent = c, the full marginal cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_min: Option<f64>,
    /// Upper clip (USD per request); absent = min(`price_cap_usd`, 10c).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_max: Option<f64>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            kappa: 0.2,
            target_utilization: 0.8,
            p_min: None,
            p_max: None,
        }
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        in_range("kappa", self.kappa, 0.0, 5.0, true)?;
        in_range(
            "target_utilization",
            self.target_utilization,
            0.0,
            1.0,
            true,
        )?;
        if let Some(lo) = self.p_min {
            in_range("p_min", lo, 0.0, 1e3, false)?;
        }
        if let Some(hi) = self.p_max {
            in_range("p_max", hi, 0.0, 1e3, true)?;
        }
        if let (Some(lo), Some(hi)) = (self.p_min, self.p_max)
            && lo > hi
        {
            return Err(("p_min", format!("must be <= p_max, got {lo} > {hi}")));
        }
        Ok(())
    }
}

/// p·(1 + κ(D̂/K − u*)), clipped to [p_min, p_max]; unchanged without capacity or demand data.
pub fn next_price(p: &Params, view: &OfferingView, market: &MarketView) -> f64 {
    let (Some(k), Some(d)) = (view.capacity, view.demand_ewma) else {
        return view.price_usd;
    };
    let c = view.marginal_cost_usd;
    let u = d / k.max(1) as f64;
    let lo = p.p_min.unwrap_or(c);
    let ten_c = if c > 0.0 { 10.0 * c } else { f64::INFINITY };
    let hi = p
        .p_max
        .unwrap_or_else(|| market.price_cap_usd.map_or(ten_c, |cap| cap.min(ten_c)));
    (view.price_usd * (1.0 + p.kappa * (u - p.target_utilization)))
        .max(lo)
        .min(hi)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{market, view};
    use super::*;

    #[test]
    fn moves_with_the_utilization_gap_and_clips() {
        let m = market(vec![], vec![]);
        let mut v = view(0.01, 0.002);
        v.capacity = Some(1000);
        v.demand_ewma = Some(900.0);
        // u = 0.9: 0.01 × (1 + 0.2 × 0.1) = 0.0102.
        assert!((next_price(&Params::default(), &v, &m) - 0.0102).abs() < 1e-15);
        // u = 0.3: 0.01 × (1 − 0.1) = 0.009.
        v.demand_ewma = Some(300.0);
        assert!((next_price(&Params::default(), &v, &m) - 0.009).abs() < 1e-15);
        // u = 0: 0.0021 × 0.84 = 0.001764 < c: clipped to p_min = c = 0.002.
        v.price_usd = 0.0021;
        v.demand_ewma = Some(0.0);
        assert_eq!(next_price(&Params::default(), &v, &m), 0.002);
        // u = 5: 0.019 × 1.84 > 10c = 0.02: clipped to 0.02; with a cap of 0.015, to the cap.
        v.price_usd = 0.019;
        v.demand_ewma = Some(5000.0);
        assert_eq!(next_price(&Params::default(), &v, &m), 0.02);
        let mut capped = m.clone();
        capped.price_cap_usd = Some(0.015);
        assert_eq!(next_price(&Params::default(), &v, &capped), 0.015);
        // Explicit clips win.
        let p = Params {
            p_max: Some(0.04),
            ..Params::default()
        };
        assert!((next_price(&p, &v, &m) - 0.019 * 1.84).abs() < 1e-15);
    }

    #[test]
    fn keeps_the_price_without_data() {
        let m = market(vec![], vec![]);
        let mut v = view(0.01, 0.002);
        v.demand_ewma = Some(10.0);
        assert_eq!(next_price(&Params::default(), &v, &m), 0.01, "on demand");
        v.capacity = Some(10);
        v.demand_ewma = None;
        assert_eq!(
            next_price(&Params::default(), &v, &m),
            0.01,
            "no forecast yet"
        );
    }
}
