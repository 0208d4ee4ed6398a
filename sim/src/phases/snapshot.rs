//! P1, the snapshot: the immutable view of end-of-(t−1) state that every decision of P2–P6 reads
//! (search rankings, network terms, token mid price), so that agents act simultaneously and the
//! order in which threads visit them cannot matter.

use crate::params::{Params, net_form};
use crate::scenario::{NetworkBase, NetworkScope};
use crate::state::{Ecosystem, World};
use crate::units::Price;

/// The snapshot of one step.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Token mid price (exact) after the last batch.
    pub mid: Price,
    /// Token mid price (USD per token).
    pub mid_usd: f64,
    /// Posted price in USD per request, per offering (set by P3 for this step).
    pub price_usd: Vec<f64>,
    /// Full marginal cost per request (USD), per offering (set by P3/P4).
    pub cost_usd: Vec<f64>,
    /// Per category: the top `search_results_k` active platform offerings by ranking score.
    pub top: Vec<Vec<u32>>,
    /// Per category: the other active platform offerings (exploration pool), by id.
    pub rest: Vec<Vec<u32>>,
    /// Per category: the incumbent offerings.
    pub incumbents_in: Vec<Vec<u32>>,
    /// Per category: number of active platform offerings.
    pub platform_count: Vec<u32>,
    /// Per offering: the same-side network term before θ_i (USD per request): its ecosystem's
    /// installed base, or its own under `network_scope = "offering"`.
    pub net_same: Vec<f64>,
    /// Per category: the platform's cross-side term before θ_i (USD per request).
    pub net_cross: Vec<f64>,
    /// The platform's same-side term before θ_i under `network_scope = "ecosystem"`.
    pub platform_same: f64,
    /// Per offering: quality as customers see it (a composite's includes its inputs, set by P4).
    pub quality: Vec<f64>,
    /// Onboarded customers per segment.
    pub onboarded_by_segment: Vec<u64>,
    /// The go-to-market subsidy σ of this step (share of the gross the treasury pays; set after P0).
    pub gtm_subsidy: f64,
    /// Per category: q̄ of its call auction (NaN if it is not an auction category; set after P4).
    pub auction_qbar: Vec<f64>,
    /// Per category: the capacity-weighted reputation r̄ of its call auction's admissible asks.
    pub auction_rbar: Vec<f64>,
    /// Per category: the capacity-weighted same-side network term of those asks.
    pub auction_netbar: Vec<f64>,
    /// Per offering: the USD price per unit a B2B buyer (composite, GTM buyer) pays, set by P3:
    /// the posted price, or a subscription's fee per included request. P6 does not overwrite it
    /// with call-auction clearing prices: B2B buyers chose their suppliers in P4 at these prices.
    pub b2b_usd: Vec<f64>,
}

/// Ranking score r^a·q^b of MODEL.md §7.8.
fn score(p: &Params, r: f64, q: f64) -> f64 {
    let pl = &p.s.platform;
    r.max(0.0).powf(pl.rank_reputation_exponent) * q.max(0.0).powf(pl.rank_quality_exponent)
}

/// Builds the snapshot from end-of-(t−1) state.
pub fn build(p: &Params, w: &World) -> Snapshot {
    let o = &w.offerings;
    let n_cat = p.categories.len();
    let mut by_cat: Vec<Vec<(f64, u32)>> = vec![Vec::new(); n_cat];
    let mut incumbents_in = vec![Vec::new(); n_cat];
    for j in 0..o.len() {
        if !o.active[j] {
            continue;
        }
        let c = o.category[j] as usize;
        match o.ecosystem[j] {
            Ecosystem::Platform => {
                // Accelerator publicity: score × (1 + boost) while it lasts (§7.8, §7.13).
                let boost = match w.gtm.visibility.get(&(j as u32)) {
                    Some(&(b, until)) if w.step < until => 1.0 + b,
                    _ => 1.0,
                };
                by_cat[c].push((score(p, o.reputation[j], o.quality[j]) * boost, j as u32))
            }
            Ecosystem::Incumbent(_) => incumbents_in[c].push(j as u32),
        }
    }
    let k = p.s.platform.search_results_k as usize;
    let mut top = Vec::with_capacity(n_cat);
    let mut rest = Vec::with_capacity(n_cat);
    let mut platform_count = Vec::with_capacity(n_cat);
    for mut list in by_cat {
        platform_count.push(list.len() as u32);
        // Highest score first; ties by offering id (a total order: scores are finite).
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let cut = k.min(list.len());
        top.push(list[..cut].iter().map(|x| x.1).collect());
        let mut r: Vec<u32> = list[cut..].iter().map(|x| x.1).collect();
        r.sort_unstable();
        rest.push(r);
    }
    let (net_same, net_cross) = network_terms(p, w, &platform_count, None);
    let platform_same = platform_same_term(p, w, None);
    let mid_usd = w.token_price.usd_per_token();
    // Last step's posted prices in USD (P2 reads these; P3 replaces them with this step's).
    let price_usd = (0..o.len())
        .map(|j| match o.quote[j] {
            crate::scenario::QuoteCurrency::Usd => o.price[j],
            crate::scenario::QuoteCurrency::Token => o.price[j] * mid_usd,
        })
        .collect();
    Snapshot {
        mid: w.token_price,
        mid_usd,
        price_usd,
        cost_usd: Vec::new(),
        top,
        rest,
        incumbents_in,
        platform_count,
        net_same,
        net_cross,
        platform_same,
        quality: o.quality.clone(),
        onboarded_by_segment: w.onboarded_by_segment.clone(),
        gtm_subsidy: 0.0,
        auction_qbar: Vec::new(),
        auction_rbar: Vec::new(),
        auction_netbar: Vec::new(),
        b2b_usd: Vec::new(),
    }
}

/// The network terms (§7.3) before θ_i: per offering the same-side term, per category the
/// platform's cross-side term. `platform_base` replaces the platform's installed base (used for
/// fulfilled expectations).
pub fn network_terms(
    p: &Params,
    w: &World,
    platform_count: &[u32],
    platform_base: Option<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let ne = &p.s.network_effects;
    let o = &w.offerings;
    let g_same = |x: f64| net_form(ne.same_side_form, x, ne.same_side_x_ref, ne.power_gamma);
    let g_cross = |x: f64| net_form(ne.cross_side_form, x, ne.cross_side_x_ref, ne.power_gamma);
    let base = |eco: Ecosystem| -> f64 {
        let b = match (eco, ne.network_base) {
            (Ecosystem::Platform, NetworkBase::ActiveCustomers) => w.active_platform as f64,
            (Ecosystem::Platform, NetworkBase::CumulativeRequests) => {
                w.cum_requests_platform as f64
            }
            (Ecosystem::Platform, NetworkBase::CumulativeAdopters) => {
                w.cum_adopters_platform as f64
            }
            (Ecosystem::Incumbent(k), NetworkBase::ActiveCustomers) => {
                w.active_incumbent[k as usize] as f64
            }
            (Ecosystem::Incumbent(k), NetworkBase::CumulativeRequests) => {
                w.cum_requests_incumbent[k as usize] as f64
            }
            (Ecosystem::Incumbent(k), NetworkBase::CumulativeAdopters) => {
                w.cum_adopters_incumbent[k as usize] as f64
            }
        };
        match (eco, platform_base) {
            (Ecosystem::Platform, Some(x)) => x,
            _ => b,
        }
    };
    let weight = |eco: Ecosystem| match eco {
        Ecosystem::Platform => ne.same_side_weight_usd,
        Ecosystem::Incumbent(k) => p.s.incumbents[k as usize].same_side_weight_usd,
    };
    let net_same = (0..o.len())
        .map(|j| {
            let eco = o.ecosystem[j];
            let b = match ne.network_scope {
                NetworkScope::Ecosystem => base(eco),
                // Per offering: its own cumulative requests (the Pólya urn of V10).
                NetworkScope::Offering => o.cum_requests[j] as f64,
            } + ne.initial_network_base;
            weight(eco) * g_same(b)
        })
        .collect();
    let net_cross = platform_count
        .iter()
        .map(|&n| ne.cross_side_weight_usd * g_cross(n as f64))
        .collect();
    (net_same, net_cross)
}

/// The platform's same-side term before θ_i under ecosystem scope (with `platform_base` replacing
/// its installed base when given).
pub fn platform_same_term(p: &Params, w: &World, platform_base: Option<f64>) -> f64 {
    let ne = &p.s.network_effects;
    let b = platform_base.unwrap_or(match ne.network_base {
        NetworkBase::ActiveCustomers => w.active_platform as f64,
        NetworkBase::CumulativeRequests => w.cum_requests_platform as f64,
        NetworkBase::CumulativeAdopters => w.cum_adopters_platform as f64,
    });
    ne.same_side_weight_usd
        * net_form(
            ne.same_side_form,
            b + ne.initial_network_base,
            ne.same_side_x_ref,
            ne.power_gamma,
        )
}
