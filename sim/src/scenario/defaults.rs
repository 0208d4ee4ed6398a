//! The defaults that `resolve` fills in: MODEL.md §5's categories and segments, the run name, the
//! program version, and the `[incumbent]` shorthand folded into `[[incumbents]]`.
//!
//! Filling is idempotent: a filled scenario is left unchanged. Per-key defaults live in `model.rs`
//! (`Default` impls); this file only holds what depends on the whole scenario or is a list.

use std::collections::BTreeMap;

use super::model::{Category, Scenario, Segment};

/// The default categories of MODEL.md §5, used when a scenario declares none.
pub fn default_categories() -> Vec<Category> {
    let atomic = |name: &str, value: f64, tokens: f64| Category {
        name: name.to_string(),
        base_value_usd: value,
        tokens_per_request: tokens,
        ..Category::default()
    };
    vec![
        atomic("chat_llm", 0.020, 1500.0),
        atomic("code_assist", 0.030, 3000.0),
        atomic("vision", 0.010, 1000.0),
        atomic("speech", 0.008, 800.0),
        atomic("embeddings", 0.002, 500.0),
        Category {
            recipe: BTreeMap::from([("chat_llm".to_string(), 3), ("embeddings".to_string(), 2)]),
            // 3 chat + 2 embedding calls: 3 × 1 500 + 2 × 500 LLM tokens per request.
            ..atomic("agent_orchestration", 0.060, 5500.0)
        },
    ]
}

/// The four default segments of MODEL.md §5 (1 000 000 customers), used when a scenario declares none.
pub fn default_segments() -> Vec<Segment> {
    // (name, size, value_multiplier, jobs_per_step, requests_per_job_median,
    //  token_onboarding_cost_usd, bass_p, bass_q, initial_aware_share)
    type Row = (&'static str, u32, f64, f64, f64, f64, f64, f64, f64);
    const ROWS: [Row; 4] = [
        (
            "enterprise",
            20_000,
            2.0,
            0.9,
            2000.0,
            1000.0,
            0.01,
            0.20,
            0.0,
        ),
        (
            "startup_dev",
            200_000,
            1.0,
            0.5,
            100.0,
            100.0,
            0.03,
            0.38,
            0.0,
        ),
        (
            "crypto_native",
            50_000,
            1.0,
            0.4,
            50.0,
            5.0,
            0.10,
            0.50,
            0.05,
        ),
        (
            "consumer_app",
            730_000,
            0.5,
            0.2,
            20.0,
            50.0,
            0.005,
            0.30,
            0.0,
        ),
    ];
    ROWS.iter()
        .map(
            |&(name, size, m, jobs, median, kappa, p, q, aware)| Segment {
                name: name.to_string(),
                size,
                value_multiplier: m,
                jobs_per_step: jobs,
                requests_per_job_median: median,
                token_onboarding_cost_usd: kappa,
                bass_p: p,
                bass_q: q,
                initial_aware_share: aware,
                ..Segment::default()
            },
        )
        .collect()
}

/// Fills the list defaults, the run name (when empty) and the program version.
pub(crate) fn fill(s: &mut Scenario, program_version: &str, default_name: &str) {
    if s.categories.is_empty() {
        s.categories = default_categories();
    }
    if s.segments.is_empty() {
        s.segments = default_segments();
    }
    if s.run.name.is_empty() {
        s.run.name = default_name.to_string();
    }
    s.program_version = Some(program_version.to_string());
}

/// Moves `[incumbent]` into `[[incumbents]]` (after validation has rejected having both).
pub(crate) fn fold_incumbent(s: &mut Scenario) {
    if let Some(inc) = s.incumbent.take() {
        s.incumbents.insert(0, inc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_lists_match_model_section_5() {
        let cats = default_categories();
        let names: Vec<&str> = cats.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "chat_llm",
                "code_assist",
                "vision",
                "speech",
                "embeddings",
                "agent_orchestration"
            ]
        );
        assert_eq!(cats[5].recipe.get("chat_llm"), Some(&3));
        assert_eq!(cats[5].recipe.get("embeddings"), Some(&2));
        let segs = default_segments();
        assert_eq!(
            segs.iter().map(|s| u64::from(s.size)).sum::<u64>(),
            1_000_000
        );
        assert_eq!(segs[2].name, "crypto_native");
        assert_eq!(segs[2].initial_aware_share, 0.05);
        assert_eq!(segs[3].bass_p, 0.005);
    }

    #[test]
    fn fill_is_idempotent_and_keeps_given_values() {
        let mut s = Scenario::default();
        s.run.name = "given".into();
        fill(&mut s, "1.2.3", "stem");
        let once = s.clone();
        fill(&mut s, "1.2.3", "other");
        assert_eq!(s, once);
        assert_eq!(s.run.name, "given");
        assert_eq!(s.program_version.as_deref(), Some("1.2.3"));
    }
}
