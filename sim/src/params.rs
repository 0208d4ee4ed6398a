//! Run parameters derived once from a resolved scenario: indices instead of names, cumulative
//! weights, converted units, category depths. Phases read these; nothing mutates them during a run.

use crate::scenario::{AdoptionRule, ChoiceModel, NetForm, Scenario};
use crate::units::share_to_ppm;

/// One category, resolved.
#[derive(Clone, Debug)]
pub struct CategoryP {
    /// Name.
    pub name: String,
    /// v_c (USD per request).
    pub value_usd: f64,
    /// LLM tokens per request.
    pub tokens_per_request: f64,
    /// Recipe: (sub-category index, units per request), by category index.
    pub recipe: Vec<(u16, u32)>,
    /// 0 for atomic, 1 + max depth of the recipe's categories otherwise.
    pub depth: u32,
    /// Quality ceiling.
    pub q_max: f64,
}

/// One segment, resolved.
#[derive(Clone, Debug)]
pub struct SegmentP {
    /// First customer id of the segment (customers are laid out segment by segment).
    pub first: u32,
    /// Number of customers.
    pub size: u32,
    /// Cumulative category weights of the job mix (last = total).
    pub needs_cum: Vec<f64>,
    /// Normalized category weights.
    pub needs: Vec<f64>,
    /// Logit scale μ_s (0 under max_utility).
    pub mu: f64,
    /// Expected requests per step E[n_i].
    pub expected_requests: f64,
}

/// Everything the phases need, precomputed.
#[derive(Clone, Debug)]
pub struct Params {
    /// The resolved scenario.
    pub s: Scenario,
    /// Categories by index.
    pub categories: Vec<CategoryP>,
    /// Segments by index.
    pub segments: Vec<SegmentP>,
    /// Total customers.
    pub customers: u32,
    /// Δt in years.
    pub dt_years: f64,
    /// Deepest category depth.
    pub max_depth: u32,
    /// Buyer fee in ppm.
    pub buyer_fee_ppm: u32,
    /// Seller fee in ppm.
    pub seller_fee_ppm: u32,
    /// Fee burn share in ppm.
    pub fee_burn_ppm: u32,
    /// Exchange fee in basis points.
    pub exchange_fee_bps: u32,
    /// Whether onboarding is immediate on awareness.
    pub immediate_adoption: bool,
}

impl Params {
    /// Derives the parameters of a resolved and validated scenario.
    pub fn new(s: &Scenario) -> Params {
        let index = |name: &str| {
            s.categories
                .iter()
                .position(|c| c.name == name)
                .unwrap_or(0) as u16
        };
        let mut categories: Vec<CategoryP> = s
            .categories
            .iter()
            .map(|c| CategoryP {
                name: c.name.clone(),
                value_usd: c.base_value_usd,
                tokens_per_request: c.tokens_per_request,
                recipe: c.recipe.iter().map(|(k, &u)| (index(k), u)).collect(),
                depth: 0,
                q_max: c.q_max,
            })
            .collect();
        // Depths by repeated relaxation (the graph is acyclic: validated at load).
        for _ in 0..categories.len() {
            for i in 0..categories.len() {
                let d = categories[i]
                    .recipe
                    .iter()
                    .map(|&(k, _)| categories[k as usize].depth + 1)
                    .max()
                    .unwrap_or(0);
                categories[i].depth = d;
            }
        }
        let max_depth = categories.iter().map(|c| c.depth).max().unwrap_or(0);
        let n_cat = categories.len();
        let mut first = 0u32;
        let segments = s
            .segments
            .iter()
            .map(|g| {
                let mut needs: Vec<f64> = if g.needs.is_empty() {
                    vec![1.0; n_cat]
                } else {
                    s.categories
                        .iter()
                        .map(|c| g.needs.get(&c.name).copied().unwrap_or(0.0))
                        .collect()
                };
                let total: f64 = needs.iter().sum();
                if total > 0.0 {
                    needs.iter_mut().for_each(|w| *w /= total);
                }
                let mut acc = 0.0;
                let needs_cum = needs
                    .iter()
                    .map(|w| {
                        acc += w;
                        acc
                    })
                    .collect();
                let mu = match g.choice_model {
                    ChoiceModel::Logit => g.logit_scale_usd,
                    ChoiceModel::MaxUtility => 0.0,
                };
                let sigma = g.requests_per_job_sigma;
                let seg = SegmentP {
                    first,
                    size: g.size,
                    needs_cum,
                    needs,
                    mu,
                    expected_requests: g.jobs_per_step
                        * g.requests_per_job_median
                        * (sigma * sigma / 2.0).exp(),
                };
                first += g.size;
                seg
            })
            .collect();
        Params {
            s: s.clone(),
            categories,
            segments,
            customers: first,
            dt_years: s.run.step_days / 365.0,
            max_depth,
            buyer_fee_ppm: share_to_ppm(s.platform.buyer_fee_rate),
            seller_fee_ppm: share_to_ppm(s.platform.seller_fee_rate),
            fee_burn_ppm: share_to_ppm(s.platform.fee_burn_share),
            exchange_fee_bps: (s.exchange.fee_rate * 1e4).round().clamp(0.0, 9_999.0) as u32,
            immediate_adoption: s.adoption.adoption_rule == AdoptionRule::Immediate,
        }
    }

    /// Buyer fee as a share (after rounding to ppm).
    pub fn buyer_fee(&self) -> f64 {
        self.buyer_fee_ppm as f64 / 1e6
    }
    /// Exchange fee as a share (after rounding to basis points).
    pub fn exchange_fee(&self) -> f64 {
        self.exchange_fee_bps as f64 / 1e4
    }
}

/// g(x) of a network term.
pub fn net_form(form: NetForm, x: f64, x_ref: f64, gamma: f64) -> f64 {
    match form {
        NetForm::Log1p => (x.max(0.0) / x_ref).ln_1p(),
        NetForm::Log => {
            if x > 0.0 {
                x.ln()
            } else {
                0.0
            }
        }
        NetForm::Linear => x / x_ref,
        NetForm::Power => (x.max(0.0) / x_ref).powf(gamma),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_forms_match_their_formulas() {
        assert!((net_form(NetForm::Log1p, 10_000.0, 10_000.0, 0.5) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(net_form(NetForm::Log, 0.0, 1.0, 0.5), 0.0);
        assert!((net_form(NetForm::Log, std::f64::consts::E, 1.0, 0.5) - 1.0).abs() < 1e-15);
        assert_eq!(net_form(NetForm::Linear, 25.0, 100.0, 0.5), 0.25);
        assert!((net_form(NetForm::Power, 400.0, 100.0, 0.5) - 2.0).abs() < 1e-15);
    }
}
