//! P1, the snapshot: the immutable view of end-of-(t−1) state that every decision of P2–P6 reads
//! (search rankings, network terms, token mid price), so that agents act simultaneously and the
//! order in which threads visit them cannot matter.

use crate::params::{Params, net_form};
use crate::scenario::NetworkBase;
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
    /// Per category: the platform's network term before θ_i (USD per request).
    pub net_platform: Vec<f64>,
    /// Per incumbent: its network term before θ_i (USD per request).
    pub net_incumbent: Vec<f64>,
    /// Onboarded customers per segment.
    pub onboarded_by_segment: Vec<u64>,
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
            Ecosystem::Platform => by_cat[c].push((score(p, o.reputation[j], o.quality[j]), j as u32)),
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
    let ne = &p.s.network_effects;
    let base_platform = match ne.network_base {
        NetworkBase::ActiveCustomers => w.active_platform as f64,
        NetworkBase::CumulativeRequests => w.cum_requests_platform as f64,
    } + ne.initial_network_base;
    let g_same = |x: f64| net_form(ne.same_side_form, x, ne.same_side_x_ref, ne.power_gamma);
    let g_cross = |x: f64| net_form(ne.cross_side_form, x, ne.cross_side_x_ref, ne.power_gamma);
    let same_platform = ne.same_side_weight_usd * g_same(base_platform);
    let net_platform = platform_count
        .iter()
        .map(|&n| same_platform + ne.cross_side_weight_usd * g_cross(n as f64))
        .collect();
    let net_incumbent = p
        .s
        .incumbents
        .iter()
        .enumerate()
        .map(|(k, inc)| {
            let base = match ne.network_base {
                NetworkBase::ActiveCustomers => w.active_incumbent[k] as f64,
                NetworkBase::CumulativeRequests => w.cum_requests_incumbent[k] as f64,
            } + ne.initial_network_base;
            inc.same_side_weight_usd * g_same(base)
        })
        .collect();
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
        net_platform,
        net_incumbent,
        onboarded_by_segment: w.onboarded_by_segment.clone(),
    }
}
