//! Scenario loading as a user meets it: the error messages (key path, line, column, "did you mean"),
//! `--set` overrides, defaults of a minimal file, a tidy check that docs/SCENARIOS.md names every key
//! of `model.rs`, and a property test that no input, however broken, makes the loader panic.

use std::path::{Path, PathBuf};

use mindmarket_sim::policy::pricing::PricingRule;
use mindmarket_sim::scenario::{
    self, Scenario, ScenarioError, from_str, from_str_with_overrides, load_resolved, locate_key,
    resolve, resolve_with_source,
};
use proptest::prelude::*;

const VERSION: &str = "0.0.0-test";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses and resolves `text` like the CLI does, with validation errors located in the text.
fn check(text: &str) -> Result<Scenario, ScenarioError> {
    let s = from_str(text, "t.toml")?;
    resolve_with_source(s, VERSION, "t", "t.toml", Some(text))
}

fn check_err(text: &str) -> ScenarioError {
    match check(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp scenario");
    path
}

// ---------------------------------------------------------------------------------------------
// Tidy: docs/SCENARIOS.md documents every key and every enum value of model.rs.

/// The `pub name:` fields of the structs of model.rs, and the snake_case names of its enum variants.
fn model_names() -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(manifest_dir().join("src/scenario/model.rs"))
        .expect("read model.rs");
    let (mut fields, mut variants) = (Vec::new(), Vec::new());
    #[derive(PartialEq)]
    enum In {
        Nothing,
        Struct,
        Enum,
    }
    let mut inside = In::Nothing;
    for line in text.lines() {
        let t = line.trim();
        if line.starts_with("pub struct ") && t.ends_with('{') {
            inside = In::Struct;
        } else if line.starts_with("pub enum ") && t.ends_with('{') {
            inside = In::Enum;
        } else if line.starts_with('}') {
            inside = In::Nothing;
        } else if inside == In::Struct {
            if let Some(rest) = t.strip_prefix("pub ")
                && let Some((name, _)) = rest.split_once(':')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                fields.push(name.to_string());
            }
        } else if inside == In::Enum
            && line.starts_with("    ")
            && !line.starts_with("     ")
            && t.starts_with(|c: char| c.is_ascii_uppercase())
        {
            // A variant line: `Lottery,` or `Const {`; its fields follow on deeper lines.
            let name: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            variants.push(snake_case(&name));
        } else if inside == In::Enum
            && let Some((name, _)) = t.split_once(':')
            && !t.starts_with("//")
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            // A field of a struct-like variant (`value: f64,`).
            fields.push(name.to_string());
        }
    }
    (fields, variants)
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn tidy_every_model_key_and_value_is_documented() {
    let docs = std::fs::read_to_string(manifest_dir().join("../docs/SCENARIOS.md"))
        .expect("read docs/SCENARIOS.md");
    let (fields, variants) = model_names();
    assert!(
        fields.len() > 100,
        "the model.rs scan found only {} fields",
        fields.len()
    );
    assert!(fields.iter().any(|f| f == "budget_usd_per_step"));
    assert!(variants.iter().any(|v| v == "uniform_quantiles"));
    let kinds: Vec<String> = PricingRule::examples()
        .iter()
        .map(|r| r.kind().to_string())
        .collect();
    let missing: Vec<&String> = fields
        .iter()
        .chain(&variants)
        .chain(&kinds)
        .filter(|name| !docs.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/SCENARIOS.md does not mention: {missing:?}"
    );
}

#[test]
fn documented_examples_load() {
    let docs = std::fs::read_to_string(manifest_dir().join("../docs/SCENARIOS.md")).unwrap();
    let blocks: Vec<&str> = docs
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(blocks.len() >= 2);
    for b in blocks {
        check(b).unwrap_or_else(|e| panic!("{e}\n{b}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Error messages.

#[test]
fn unknown_key_suggests_the_nearest_key_with_line_and_column() {
    let text = "schema_version = 1\n\n[platform]\n  buyer_fe_rate = 0.01\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(e.key_path, "platform.buyer_fe_rate");
    assert_eq!((e.line, e.column), (Some(4), Some(3)));
    assert_eq!(e.suggestion.as_deref(), Some("buyer_fee_rate"));
    let shown = e.to_string();
    let mut lines = shown.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with(
            "t.toml:4:3: platform.buyer_fe_rate: unknown field `buyer_fe_rate`, expected one of"
        ),
        "{shown}"
    );
    assert_eq!(lines.next(), Some("  help: did you mean `buyer_fee_rate`?"));
    assert_eq!(lines.next(), None);
}

#[test]
fn unknown_key_in_an_array_of_tables() {
    let text = "[[segments]]\nname = \"a\"\n\n[[segments]]\nname = \"b\"\nbudget_usd_per_stp = 3\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(e.key_path, "segments[1].budget_usd_per_stp");
    assert_eq!((e.line, e.column), (Some(6), Some(1)));
    assert_eq!(e.suggestion.as_deref(), Some("budget_usd_per_step"));
}

#[test]
fn unknown_key_inside_a_tagged_table_is_named() {
    let text =
        "[[segments]]\nname = \"a\"\nvalue_dist = { kind = \"uniform\", min = 0.5, mx = 2 }\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(e.key_path, "segments[0].value_dist.mx");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.suggestion.as_deref(), Some("max"));
}

#[test]
fn unknown_enum_value_suggests_the_nearest_value() {
    let text = "[engine]\nrationing = \"lotery\"\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(e.key_path, "engine.rationing");
    assert_eq!((e.line, e.column), (Some(2), Some(13)));
    assert!(e.message.starts_with(
        "unknown variant `lotery`, expected one of `lottery`, `pro_rata`, `priority`"
    ));
    assert_eq!(e.suggestion.as_deref(), Some("lottery"));

    let text = "[[incumbents]]\npricing = { kind = \"fixd\" }\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(e.key_path, "incumbents[0].pricing.kind");
    assert_eq!(e.suggestion.as_deref(), Some("fixed"));

    // Far from every name: no suggestion.
    let e = from_str("[engine]\nrationing = \"zzzzzzzz\"\n", "t.toml").unwrap_err();
    assert_eq!(e.suggestion, None);
}

#[test]
fn wrong_type_names_the_key_and_points_at_the_value() {
    let text = "[run]\nsteps = \"two hundred\"\n";
    let e = from_str(text, "t.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.toml:2:9: run.steps: invalid type: string \"two hundred\", expected u32"
    );
    let e = from_str("[run]\nsteps = -5\n", "t.toml").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.toml:2:9: run.steps: invalid value: integer `-5`, expected u32"
    );
}

#[test]
fn negative_budget_is_a_range_error_on_its_line() {
    let text = "schema_version = 1\n\n[[segments]]\nname = \"a\"\n\n[[segments]]\nname = \"b\"\n# spend cap\nbudget_usd_per_step = -5\n";
    let e = check_err(text);
    assert_eq!(e.key_path, "segments[1].budget_usd_per_step");
    assert_eq!(e.message, "must be >= 0, got -5");
    assert_eq!(
        e.to_string(),
        "t.toml:9:1: segments[1].budget_usd_per_step: must be >= 0, got -5"
    );

    // The same through the file-level pipeline.
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "budget.toml", text);
    let e = load_resolved(&path, &[], VERSION).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:9:1: segments[1].budget_usd_per_step: must be >= 0, got -5",
            path.display()
        )
    );
}

#[test]
fn an_incumbent_cannot_sell_subscriptions() {
    let e = check_err(
        "[incumbent]\nname = \"big\"\npricing = { kind = \"subscription\", fee_usd_per_step = 1 }\n",
    );
    assert_eq!(e.key_path, "incumbent.pricing.kind");
    assert!(e.to_string().contains("cannot sell subscriptions"), "{e}");
}

#[test]
fn range_errors_of_shares_and_non_finite_floats() {
    let e = check_err("[platform]\nfailure_rate = 1.5\n");
    assert_eq!(
        e.to_string(),
        "t.toml:2:1: platform.failure_rate: must be in [0, 0.5], got 1.5"
    );
    let e = check_err("[providers]\nutil_target = 0.0\n");
    assert_eq!(
        e.to_string(),
        "t.toml:2:1: providers.util_target: must be in (0, 1], got 0"
    );
    let e = check_err("[token]\ntreasury_share = nan\n");
    assert_eq!(
        e.to_string(),
        "t.toml:2:1: token.treasury_share: must be a finite number, got NaN"
    );
    let e = check_err("[token]\ntreasury_share = 0.7\npool_share = 0.4\n");
    assert_eq!(e.key_path, "token.pool_share");
    assert_eq!(e.line, Some(3));
    assert!(
        e.message
            .contains("treasury_share + pool_share must be <= 1"),
        "{e}"
    );
    let e = check_err("schema_version = 2\n");
    assert_eq!(e.line, Some(1));
    assert!(e.message.starts_with("must be 1"), "{e}");
    let e = check_err("[engine]\nmax_match_rounds = 0\n");
    assert_eq!(e.message, "must be in [1, 5], got 0");
    let e = check_err("[incumbent]\nq0 = 0.5\n\n[[incumbents]]\nq0 = 0.6\n");
    assert_eq!((e.key_path.as_str(), e.line), ("incumbent", Some(1)));
    assert!(e.message.contains("not both"), "{e}");
}

#[test]
fn recipe_cycle_names_the_cycle() {
    let text = "[[categories]]\nname = \"a\"\nrecipe = { b = 1 }\n\n[[categories]]\nname = \"b\"\nrecipe = { a = 2 }\n";
    let e = check_err(text);
    assert_eq!(e.key_path, "categories");
    assert_eq!(e.message, "recipe cycle a -> b -> a");
    assert_eq!(
        e.to_string(),
        "t.toml:3:1: categories: recipe cycle a -> b -> a"
    );

    let e = check_err("[[categories]]\nname = \"a\"\nrecipe = { a = 1 }\n");
    assert_eq!(e.message, "recipe cycle a -> a");
}

#[test]
fn unknown_category_in_needs_and_recipe() {
    let text = "[[segments]]\nname = \"devs\"\nneeds = { chat_llm = 2, code_asist = 1 }\n";
    let e = check_err(text);
    assert_eq!(e.key_path, "segments[0].needs.code_asist");
    assert_eq!(e.message, "unknown category `code_asist`");
    assert_eq!((e.line, e.column), (Some(3), Some(25)));
    assert_eq!(e.suggestion.as_deref(), Some("code_assist"));
    assert_eq!(
        e.to_string(),
        "t.toml:3:25: segments[0].needs.code_asist: unknown category `code_asist`\n  help: did you mean `code_assist`?"
    );

    let text =
        "[[categories]]\nname = \"a\"\n[[categories]]\nname = \"b\"\n[categories.recipe]\nc = 1\n";
    let e = check_err(text);
    assert_eq!(
        (e.key_path.as_str(), e.line),
        ("categories[1].recipe.c", Some(6))
    );
    assert!(e.message.starts_with("unknown category `c`"), "{e}");

    let e = check_err("[[providers.initial]]\ncategory = \"vison\"\n");
    assert_eq!(
        (e.key_path.as_str(), e.line),
        ("providers.initial[0].category", Some(2))
    );
    assert_eq!(e.suggestion.as_deref(), Some("vision"));
}

#[test]
fn syntax_errors_have_line_and_column() {
    let e = from_str("schema_version = 1\n[run\nseed = 1\n", "t.toml").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(5)));
    assert_eq!(e.key_path, "");
    assert!(e.message.contains("unclosed table"), "{e}");
    assert!(
        e.to_string().starts_with("t.toml:2:5: unclosed table"),
        "{e}"
    );

    let e = from_str("[run]\nseed = \n", "t.toml").unwrap_err();
    assert_eq!((e.key_path.as_str(), e.line), ("run.seed", Some(2)));

    // With overrides the original text is parsed first, so its syntax errors keep their place.
    let e = from_str_with_overrides("[run\n", "t.toml", &strings(&["run.seed=1"])).unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("t.toml", Some(1), Some(5))
    );

    let e = from_str("[run]\nseed = 1\n[run]\n", "t.toml").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("duplicate key"), "{e}");
}

#[test]
fn unreadable_file_is_an_error_not_a_panic() {
    let e = scenario::load(Path::new("/nonexistent/dir/x.toml")).unwrap_err();
    assert_eq!(e.file, "/nonexistent/dir/x.toml");
    assert!(e.message.starts_with("cannot read the file"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// `--set`.

const BASE: &str = "schema_version = 1\n[run]\nseed = 1\n[[segments]]\nname = \"a\"\n";

#[test]
fn set_overrides_values_and_creates_tables() {
    let s = from_str_with_overrides(
        BASE,
        "t.toml",
        &strings(&[
            "run.seed=7",
            "segments[0].size=500",
            "platform.buyer_fee_rate=0.01",
            "run.name=\"x\"",
            "incumbents=[{ name = \"big\" }]",
            "incumbents[0].pricing.kind=\"fixed\"",
            "exchange.fee_rate=0",
        ]),
    )
    .unwrap();
    assert_eq!(s.run.seed, 7);
    assert_eq!(s.segments[0].size, 500);
    assert_eq!(s.platform.buyer_fee_rate, 0.01);
    assert_eq!(s.run.name, "x");
    assert_eq!(s.incumbents[0].name, "big");
    assert_eq!(s.exchange.fee_rate, 0.0);

    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "base.toml", BASE);
    let s = scenario::load_with_overrides(&path, &strings(&["run.name=plain"])).unwrap();
    assert_eq!(s.run.name, "plain");
}

#[test]
fn set_to_a_bad_path_names_the_path() {
    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["segments[3].size=1"])).unwrap_err();
    assert_eq!(e.file, "t.toml (after --set)");
    assert_eq!(e.key_path, "segments[3]");
    assert_eq!((e.line, e.column), (None, None));
    assert!(
        e.message
            .contains("index 3 is past the end of `segments` (1 elements)"),
        "{e}"
    );

    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["run.seed.x=1"])).unwrap_err();
    assert!(
        e.message.contains("`run.seed` is an integer, not a table"),
        "{e}"
    );

    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["run..seed=1"])).unwrap_err();
    assert!(e.message.contains("invalid key"), "{e}");

    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["run.seed"])).unwrap_err();
    assert!(e.message.contains("expected `key.path=value`"), "{e}");

    // An unknown key is caught when the tree is typed, with a suggestion.
    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["platform.buyer_fe_rate=0.1"]))
        .unwrap_err();
    assert_eq!(e.key_path, "platform.buyer_fe_rate");
    assert_eq!(e.suggestion.as_deref(), Some("buyer_fee_rate"));
    assert_eq!(e.line, None);
}

#[test]
fn set_with_a_bad_value_is_a_typing_error() {
    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["run.seed=abc"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.toml (after --set): run.seed: invalid type: string \"abc\", expected u64"
    );
    let e = from_str_with_overrides(BASE, "t.toml", &strings(&["engine.rationing=lotery"]))
        .unwrap_err();
    assert_eq!(e.key_path, "engine.rationing");
    assert_eq!(e.suggestion.as_deref(), Some("lottery"));

    // A value in range for its type but not for the model fails at resolve, naming the key.
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "base.toml", BASE);
    let e = load_resolved(&path, &strings(&["segments[0].bass_q=3"]), VERSION).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} (after --set): segments[0].bass_q: must be in [0, 2], got 3",
            path.display()
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Defaults.

#[test]
fn minimal_three_line_scenario_loads_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(
        dir.path(),
        "minimal.toml",
        "schema_version = 1\n[run]\nsteps = 10\n",
    );
    let s = load_resolved(&path, &[], VERSION).unwrap();
    assert_eq!(s.run.steps, 10);
    assert_eq!(s.run.name, "minimal");
    assert_eq!(s.run.seed, 42);
    assert_eq!(s.program_version.as_deref(), Some(VERSION));
    let cats: Vec<&str> = s.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        cats,
        [
            "chat_llm",
            "code_assist",
            "vision",
            "speech",
            "embeddings",
            "agent_orchestration"
        ]
    );
    let segs: Vec<(&str, u32)> = s
        .segments
        .iter()
        .map(|g| (g.name.as_str(), g.size))
        .collect();
    assert_eq!(
        segs,
        [
            ("enterprise", 20_000),
            ("startup_dev", 200_000),
            ("crypto_native", 50_000),
            ("consumer_app", 730_000)
        ]
    );
    assert!(s.incumbents.is_empty() && s.incumbent.is_none());

    // Resolving again is a no-op, and the resolved TOML loads back to the same scenario.
    assert_eq!(resolve(s.clone(), VERSION, "other").unwrap(), s);
    let text = scenario::to_toml(&s);
    assert_eq!(from_str(&text, "resolved.toml").unwrap(), s);
    assert_eq!(
        scenario::scenario_hash(&s),
        scenario::scenario_hash(&from_str(&text, "r").unwrap())
    );
}

// ---------------------------------------------------------------------------------------------
// No panics on any input.

const RICH: &str = r#"schema_version = 1
[run]
name = "rich"   # comment
seed = 7
steps = 20
[engine]
rationing = "pro_rata"
[[categories]]
name = "a"
recipe = { b = 2 }
[[categories]]
name = "b"
tokens_per_request = 500.0
[[segments]]
name = "s"
size = 50
needs = { a = 1, b = 2.5 }
value_dist = { kind = "lognormal", median = 1.0, sigma = 0.5 }
budget_usd_per_step = 1e3
[segments.network_weight_dist]
kind = "uniform_quantiles"
min = 0
max = 1
[incumbent]
name = """big
co"""
[[providers.initial]]
count = 3
category = "b"
pricing = { kind = "fixed" }
[gtm]
policies = []
"#;

/// Applies byte-level edits (insert, delete, replace) at char boundaries.
fn mutate(text: &str, edits: &[(usize, u8, char)]) -> String {
    let mut s = text.to_string();
    for &(pos, op, c) in edits {
        let mut at = pos % (s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match op % 3 {
            0 => s.insert(at, c),
            1 => {
                if at < s.len() {
                    s.remove(at);
                }
            }
            _ => {
                if at < s.len() {
                    s.remove(at);
                }
                s.insert(at, c);
            }
        }
    }
    s
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '[', ']', '{', '}', '"', '\'', '=', '.', ',', '#', '\n', '\\', '-', '0', '9', 'e', ' ',
            'é', '\t', '\r'
        ]),
        any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>(), interesting_char()), 1..12)) {
        let text = mutate(RICH, &edits);
        if let Ok(s) = from_str(&text, "m.toml") {
            let _ = resolve_with_source(s, VERSION, "m", "m.toml", Some(&text));
        }
        for key in ["segments[0].needs.a", "incumbent.name", "categories[1]", "gtm.policies[0].kind", "x[99999999999999999999]"] {
            if let Some((line, column)) = locate_key(&text, key) {
                prop_assert!(line >= 1 && column >= 1);
            }
        }
    }

    #[test]
    fn garbage_text_never_panics(text in "\\PC{0,200}", sets in prop::collection::vec("\\PC{0,30}", 0..3)) {
        let _ = from_str(&text, "g.toml");
        let _ = from_str_with_overrides(&text, "g.toml", &sets);
        let _ = from_str_with_overrides(RICH, "rich.toml", &sets);
        let _ = locate_key(&text, "run.seed");
    }

    #[test]
    fn garbage_overrides_never_panic(key in "[a-z_\\[\\]0-9.]{0,24}", value in "\\PC{0,20}") {
        let set = vec![format!("{key}={value}")];
        if let Ok(s) = from_str_with_overrides(RICH, "rich.toml", &set) {
            let _ = resolve(s, VERSION, "rich");
        }
    }
}

#[test]
fn the_rich_example_is_valid() {
    let s = check(RICH).unwrap();
    assert_eq!(s.incumbents[0].name, "big\nco");
    assert_eq!(s.categories[0].recipe["b"], 2);
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let deep = format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(from_str(&deep, "deep.toml").is_err());
    let deep = format!("a = {}1{}\n", "{ b = ".repeat(50_000), "}".repeat(50_000));
    assert!(from_str(&deep, "deep.toml").is_err());
    assert_eq!(locate_key(&deep, "a.b.b"), Some((1, 13)));
    let e = from_str_with_overrides(&deep, "deep.toml", &strings(&["run.seed=1"]));
    assert!(e.is_err());
}
