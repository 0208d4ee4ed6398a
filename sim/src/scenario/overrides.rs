//! `--set key.path=value` overrides, applied to the untyped TOML tree before it is typed.
//!
//! A key path is dot-separated keys, each optionally followed by `[index]`s: `run.seed`,
//! `segments[0].size`, `incumbents[0].pricing.kind`. The value is read as a TOML value (`7`, `0.01`,
//! `"x"`, `true`, `[1, 2]`, `{ kind = "fixed" }`) when it parses as one, else taken as a string. Missing
//! tables along the path are created; indexing past the end of an array is an error. This file knows
//! nothing of the scenario's shape: typing the result (and its errors) is `load.rs`'s job.

use super::load::ScenarioError;

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A parsed `--set` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The key path.
    pub path: Vec<PathStep>,
    /// The value to put there.
    pub value: toml::Value,
}

/// Renders a key path the way errors show it: `segments[0].size`.
pub(crate) fn path_to_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses a key path like `segments[0].needs.chat_llm`.
pub fn parse_path(key: &str) -> Result<Vec<PathStep>, String> {
    let key = key.trim();
    if key.is_empty() {
        return Err("empty key path".into());
    }
    let mut path = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("invalid key `{part}` in key path `{key}`"));
        }
        path.push(PathStep::Key(name.to_string()));
        while !rest.is_empty() {
            let close = rest
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in key path `{key}`"))?;
            let idx = rest[1..close]
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("invalid index `{}` in key path `{key}`", &rest[..=close]))?;
            path.push(PathStep::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!(
                    "unexpected `{rest}` after an index in key path `{key}`"
                ));
            }
        }
    }
    Ok(path)
}

/// Parses `key.path=value`; the value is a TOML value when it parses as one, else a string.
pub fn parse_override(raw: &str) -> Result<Override, String> {
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("expected `key.path=value`, got `{raw}`"))?;
    let path = parse_path(key)?;
    let value = value.trim();
    let value = value
        .parse::<toml::Value>()
        .unwrap_or_else(|_| toml::Value::String(value.to_string()));
    Ok(Override { path, value })
}

/// Applies the overrides in order; `file` labels the errors (`<file> (after --set)`).
pub fn apply_overrides(
    table: &mut toml::Table,
    overrides: &[String],
    file: &str,
) -> Result<(), ScenarioError> {
    let label = format!("{file} (after --set)");
    for raw in overrides {
        let o = parse_override(raw).map_err(|m| {
            ScenarioError::new(&label, raw.split('=').next().unwrap_or("").trim(), m)
        })?;
        apply(table, &o).map_err(|(at, m)| {
            ScenarioError::new(
                &label,
                &path_to_string(&o.path[..at]),
                format!("--set `{raw}`: {m}"),
            )
        })?;
    }
    Ok(())
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a datetime",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// Puts `o.value` at `o.path`; on failure, how many steps of the path are valid and why.
fn apply(root: &mut toml::Table, o: &Override) -> Result<(), (usize, String)> {
    let steps = &o.path;
    let Some(PathStep::Key(first)) = steps.first() else {
        return Err((0, "a key path starts with a key".into()));
    };
    if steps.len() == 1 {
        root.insert(first.clone(), o.value.clone());
        return Ok(());
    }
    // A missing key becomes an empty table, or an empty array when an index follows it (so that the
    // index is reported past the end).
    let empty_for = |next: Option<&PathStep>| match next {
        Some(PathStep::Index(_)) => toml::Value::Array(Vec::new()),
        _ => toml::Value::Table(toml::Table::new()),
    };
    let mut cur = root
        .entry(first.clone())
        .or_insert_with(|| empty_for(steps.get(1)));
    for (i, step) in steps.iter().enumerate().skip(1) {
        let last = i + 1 == steps.len();
        let here = path_to_string(&steps[..i]);
        cur = match step {
            PathStep::Key(k) => {
                let toml::Value::Table(t) = cur else {
                    let what = type_name(cur);
                    let hint = if matches!(cur, toml::Value::Array(_)) {
                        format!("; index it, like `{here}[0]`")
                    } else {
                        String::new()
                    };
                    return Err((i, format!("`{here}` is {what}, not a table{hint}")));
                };
                if last {
                    t.insert(k.clone(), o.value.clone());
                    return Ok(());
                }
                t.entry(k.clone())
                    .or_insert_with(|| empty_for(steps.get(i + 1)))
            }
            PathStep::Index(idx) => {
                let toml::Value::Array(a) = cur else {
                    return Err((i, format!("`{here}` is {}, not an array", type_name(cur))));
                };
                let len = a.len();
                let Some(slot) = a.get_mut(*idx) else {
                    return Err((
                        i + 1,
                        format!("index {idx} is past the end of `{here}` ({len} elements)"),
                    ));
                };
                if last {
                    *slot = o.value.clone();
                    return Ok(());
                }
                slot
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, overrides: &[&str]) -> Result<toml::Table, ScenarioError> {
        let mut t: toml::Table = text.parse().unwrap();
        let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        apply_overrides(&mut t, &o, "s.toml")?;
        Ok(t)
    }

    #[test]
    fn parses_paths_and_values() {
        assert_eq!(
            parse_path("segments[0].needs.chat_llm").unwrap(),
            vec![
                PathStep::Key("segments".into()),
                PathStep::Index(0),
                PathStep::Key("needs".into()),
                PathStep::Key("chat_llm".into())
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a[1").is_err());
        assert!(parse_path("a[1]b").is_err());
        assert!(parse_path("").is_err());
        assert_eq!(
            parse_override("run.seed=7").unwrap().value,
            toml::Value::Integer(7)
        );
        assert_eq!(
            parse_override("run.name=\"x\"").unwrap().value,
            toml::Value::String("x".into())
        );
        assert_eq!(
            parse_override("run.name=x y").unwrap().value,
            toml::Value::String("x y".into())
        );
        assert_eq!(
            parse_override("a.b=0.01").unwrap().value,
            toml::Value::Float(0.01)
        );
        assert_eq!(
            parse_override("a.b=x=y").unwrap().value,
            toml::Value::String("x=y".into())
        );
        assert!(parse_override("run.seed").is_err());
    }

    #[test]
    fn applies_creates_and_reports() {
        let text = "[run]\nseed = 1\n[[segments]]\nsize = 5\n";
        let t = set(
            text,
            &[
                "run.seed=7",
                "segments[0].size=500",
                "platform.buyer_fee_rate=0.01",
                "top=1",
            ],
        )
        .unwrap();
        assert_eq!(t["run"]["seed"].as_integer(), Some(7));
        assert_eq!(t["segments"][0]["size"].as_integer(), Some(500));
        assert_eq!(t["platform"]["buyer_fee_rate"].as_float(), Some(0.01));
        assert_eq!(t["top"].as_integer(), Some(1));

        let e = set(text, &["segments[2].size=1"]).unwrap_err();
        assert_eq!(e.file, "s.toml (after --set)");
        assert_eq!(e.key_path, "segments[2]");
        assert!(
            e.message
                .contains("index 2 is past the end of `segments` (1 elements)"),
            "{e}"
        );

        let e = set(text, &["run.seed.x=1"]).unwrap_err();
        assert_eq!(e.key_path, "run.seed");
        assert!(
            e.message.contains("`run.seed` is an integer, not a table"),
            "{e}"
        );

        let e = set(text, &["segments.size=1"]).unwrap_err();
        assert!(e.message.contains("index it, like `segments[0]`"), "{e}");

        let e = set(text, &["run[0]=1"]).unwrap_err();
        assert!(e.message.contains("`run` is a table, not an array"), "{e}");

        let e = set(text, &["=1"]).unwrap_err();
        assert!(e.message.contains("empty key path"), "{e}");
    }
}
