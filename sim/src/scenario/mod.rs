//! Scenarios: the typed TOML input of a run, how it is read, overridden, defaulted and checked.
//!
//! The pipeline is `load` (read + parse + type; nothing else) → `resolve` (fill the defaults of
//! MODEL.md §5, set the run name and program version, validate, fold `[incumbent]` into
//! `[[incumbents]]`) → [`to_toml`] (written as `scenario.resolved.toml`, parses back to an equal value)
//! and [`scenario_hash`]. `--set key.path=value` overrides edit the untyped TOML tree before typing.
//! Every failure is a [`ScenarioError`] naming the file, the key path and, where the text allows, the
//! line and column. The module is pure apart from `load`'s file read; it never panics on bad input.

mod defaults;
mod load;
mod model;
mod overrides;
mod validate;

use std::path::Path;

pub use defaults::{default_categories, default_segments};
pub use load::{ScenarioError, locate_key};
pub(crate) use load::{nearest, suggest_from_message};
pub use model::*;
pub use overrides::{Override, PathStep, apply_overrides, parse_override, parse_path};
pub use validate::{MAX_INCUMBENTS, MAX_TOTAL_CUSTOMERS, validate, validate_with_source};

/// Reads, parses and types a scenario file; applies no defaults and no checks.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = read(path)?;
    load::parse_text(&text, &file)
}

/// Parses and types scenario text; `file_label` names it in errors.
pub fn from_str(text: &str, file_label: &str) -> Result<Scenario, ScenarioError> {
    load::parse_text(text, file_label)
}

/// Like [`load`], with `--set` overrides (`key.path=value`) applied to the TOML tree before typing.
///
/// Typing errors after overrides carry the key path but no line or column (the text changed), and
/// the file label `<file> (after --set)`. With no overrides this is exactly [`load`].
pub fn load_with_overrides(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = read(path)?;
    from_str_with_overrides(&text, &file, overrides)
}

/// [`from_str`] with `--set` overrides; see [`load_with_overrides`].
pub fn from_str_with_overrides(
    text: &str,
    file_label: &str,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    if overrides.is_empty() {
        return load::parse_text(text, file_label);
    }
    let mut table = load::parse_table(text, file_label)?;
    apply_overrides(&mut table, overrides, file_label)?;
    load::type_table(table, &format!("{file_label} (after --set)"))
}

/// Fills the defaults and validates: the scenario a run uses.
///
/// Fills, when empty, the categories and segments of MODEL.md §5 and `run.name` (from
/// `default_name`, usually the file stem); sets `program_version`; validates (errors have no line);
/// then moves `[incumbent]` into `[[incumbents]]`. Resolving a resolved scenario changes nothing.
pub fn resolve(
    s: Scenario,
    program_version: &str,
    default_name: &str,
) -> Result<Scenario, ScenarioError> {
    resolve_with_source(s, program_version, default_name, "<scenario>", None)
}

/// [`resolve`], with validation errors located in `source` (the text `s` was parsed from) and
/// labelled `file`.
pub fn resolve_with_source(
    mut s: Scenario,
    program_version: &str,
    default_name: &str,
    file: &str,
    source: Option<&str>,
) -> Result<Scenario, ScenarioError> {
    defaults::fill(&mut s, program_version, default_name);
    validate_with_source(&s, file, source)?;
    defaults::fold_incumbent(&mut s);
    Ok(s)
}

/// The whole pipeline for a file: read, parse, apply `overrides`, type, resolve (run name defaults
/// to the file stem). Validation errors carry line and column when there are no overrides.
pub fn load_resolved(
    path: &Path,
    overrides: &[String],
    program_version: &str,
) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = read(path)?;
    let s = from_str_with_overrides(&text, &file, overrides)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if overrides.is_empty() {
        resolve_with_source(s, program_version, &stem, &file, Some(&text))
    } else {
        resolve_with_source(
            s,
            program_version,
            &stem,
            &format!("{file} (after --set)"),
            None,
        )
    }
}

/// The scenario as TOML text (what `scenario.resolved.toml` holds); parses back to an equal value.
pub fn to_toml(s: &Scenario) -> String {
    toml::to_string(s).unwrap_or_else(|e| format!("# scenario could not be serialized: {e}\n"))
}

/// A stable hash of [`to_toml`]'s output: FNV-1a 64, as 16 lowercase hex digits.
pub fn scenario_hash(s: &Scenario) -> String {
    format!("{:016x}", fnv1a64(to_toml(s).as_bytes()))
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn read(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|e| {
        ScenarioError::new(
            &path.display().to_string(),
            "",
            format!("cannot read the file: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Scenario {
        let mut s = resolve(Scenario::default(), "0.1.0", "full").unwrap();
        s.incumbents.push(Incumbent {
            marginal_cost_usd: Some(1e-4),
            ..Incumbent::default()
        });
        s.providers.initial.push(ProviderGroup {
            category: "agent_orchestration".into(),
            marginal_cost_usd: Some(0.1),
            ..ProviderGroup::default()
        });
        s.segments[0].budget_usd_per_step = Some(1e9);
        s.segments[1].value_dist = Dist::Lognormal {
            median: 0.1,
            sigma: 1e-4,
        };
        s.segments[2].network_weight_dist = Dist::UniformQuantiles { min: 0.0, max: 1.0 };
        s.segments[3].value_dist = Dist::Uniform { min: 0.3, max: 0.7 };
        s.segments[3].needs.insert("chat_llm".into(), 0.1);
        s.pricing.price_cap_usd = Some(0.1);
        s.platform.buyer_fee_rate = 0.1 + 0.05;
        s
    }

    #[test]
    fn to_toml_round_trips_the_resolved_scenario() {
        for s in [resolve(Scenario::default(), "0.1.0", "x").unwrap(), full()] {
            let text = to_toml(&s);
            let back = from_str(&text, "resolved.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, s, "{text}");
            assert_eq!(to_toml(&back), text);
            assert_eq!(resolve(back, "0.1.0", "y").unwrap(), s);
        }
    }

    #[test]
    fn hash_is_stable_and_sensitive() {
        let s = full();
        let h = scenario_hash(&s);
        assert_eq!(h.len(), 16);
        assert_eq!(h, scenario_hash(&s.clone()));
        let mut t = s.clone();
        t.run.seed += 1;
        assert_ne!(h, scenario_hash(&t));
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn resolve_is_idempotent_and_folds_the_incumbent() {
        let text = "schema_version = 1\n[incumbent]\nname = \"big\"\n";
        let s = from_str(text, "t.toml").unwrap();
        let r = resolve(s, "0.1.0", "t").unwrap();
        assert!(r.incumbent.is_none());
        assert_eq!(r.incumbents.len(), 1);
        assert_eq!(r.incumbents[0].name, "big");
        assert_eq!(r.run.name, "t");
        assert_eq!(r.categories.len(), 6);
        assert_eq!(r.segments.len(), 4);
        assert_eq!(resolve(r.clone(), "0.1.0", "other").unwrap(), r);
    }

    #[test]
    fn overrides_type_with_key_paths() {
        let text = "[run]\nseed = 1\n[[segments]]\nname = \"a\"\n";
        let o = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = from_str_with_overrides(
            text,
            "t.toml",
            &o(&[
                "run.seed=7",
                "segments[0].size=500",
                "run.name=\"x\"",
                "incumbents=[{}]",
            ]),
        )
        .unwrap();
        assert_eq!(
            (s.run.seed, s.segments[0].size, s.run.name.as_str()),
            (7, 500, "x")
        );
        assert_eq!(s.incumbents.len(), 1);
        let s = from_str_with_overrides(text, "t.toml", &o(&["incumbents[0].pricing.kind=fixed"]));
        assert!(s.unwrap_err().message.contains("past the end"));
        let e = from_str_with_overrides(text, "t.toml", &o(&["run.seed=abc"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.toml (after --set): run.seed: invalid type: string \"abc\", expected u64"
        );
    }
}
