//! Swept parameters: how their values are written in a `[sweep.parameters]` table, and how a
//! design turns a coordinate in [0, 1] into a value.
//!
//! A parameter is a key path (as for `--set`) and one of:
//! - a list of values: `[0.0, 0.5, 1.0]`, `["hold", "burn"]`, `[true, false]`;
//! - `{ linspace = [a, b, n] }`: n evenly spaced floats from a to b inclusive;
//! - `{ logspace = [a, b, n] }`: n geometrically spaced floats from a to b inclusive (the values
//!   themselves, not exponents: `logspace = [0.001, 1, 4]` is 0.001, 0.01, 0.1, 1);
//! - `{ range = [a, b, step] }`: the integers a, a + step, … up to and including b;
//! - `{ uniform = [a, b] }`, `{ log_uniform = [a, b] }`, `{ int_uniform = [a, b] }` (both ends
//!   included), `{ choice = [v1, v2, …] }`: distributions, for the sampling designs.
//!
//! The first four expand to a [`ParamSpec::Values`] list at load time.

use serde::{Deserialize, Serialize};

/// A parameter's values or distribution, expanded (linspace, logspace and range become lists).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamSpec {
    /// An explicit, finite list of values.
    Values(Vec<toml::Value>),
    /// Uniform on [a, b].
    Uniform([f64; 2]),
    /// Log-uniform on [a, b], 0 < a < b.
    LogUniform([f64; 2]),
    /// Uniform on the integers a..=b.
    IntUniform([i64; 2]),
    /// One of the values, each equally likely.
    Choice(Vec<toml::Value>),
}

/// The column type of a parameter (for Parquet, and to print values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Every value is an integer.
    Int,
    /// Every value is a number, at least one a float.
    Float,
    /// Every value is a boolean.
    Bool,
    /// Every value is a string.
    Str,
    /// Mixed or compound values (arrays, tables): written as inline TOML.
    Other,
}

impl ParamSpec {
    /// Whether this is a distribution (as opposed to a finite list of values).
    pub fn is_distribution(&self) -> bool {
        !matches!(self, ParamSpec::Values(_))
    }

    /// Number of values of a list (`None` for a distribution).
    pub fn count(&self) -> Option<u64> {
        match self {
            ParamSpec::Values(v) => Some(v.len() as u64),
            _ => None,
        }
    }

    /// The value at coordinate `u` in [0, 1] (inverse CDF). A list is sampled like `choice`.
    pub fn at(&self, u: f64) -> toml::Value {
        let u = u.clamp(0.0, 1.0);
        let pick = |v: &[toml::Value]| {
            let k = v.len();
            let i = ((u * k as f64) as usize).min(k.saturating_sub(1));
            v[i].clone()
        };
        match self {
            ParamSpec::Values(v) | ParamSpec::Choice(v) => pick(v),
            ParamSpec::Uniform([a, b]) => toml::Value::Float(a + u * (b - a)),
            ParamSpec::LogUniform([a, b]) => {
                let x = (a.ln() + u * (b.ln() - a.ln())).exp();
                // exp(ln b) may differ from b in the last bit: keep the ends exact.
                toml::Value::Float(if u == 0.0 {
                    *a
                } else if u == 1.0 {
                    *b
                } else {
                    x.clamp(*a, *b)
                })
            }
            ParamSpec::IntUniform([a, b]) => {
                let width = (*b as i128 - *a as i128 + 1) as f64;
                let k = ((u * width) as i128).min(*b as i128 - *a as i128);
                toml::Value::Integer((*a as i128 + k) as i64)
            }
        }
    }

    /// The column type of the values this spec produces.
    pub fn kind(&self) -> ValueKind {
        match self {
            ParamSpec::Uniform(_) | ParamSpec::LogUniform(_) => ValueKind::Float,
            ParamSpec::IntUniform(_) => ValueKind::Int,
            ParamSpec::Values(v) | ParamSpec::Choice(v) => kind_of(v),
        }
    }
}

fn kind_of(values: &[toml::Value]) -> ValueKind {
    use toml::Value as V;
    if values.iter().all(|v| matches!(v, V::Integer(_))) {
        ValueKind::Int
    } else if values
        .iter()
        .all(|v| matches!(v, V::Integer(_) | V::Float(_)))
    {
        ValueKind::Float
    } else if values.iter().all(|v| matches!(v, V::Boolean(_))) {
        ValueKind::Bool
    } else if values.iter().all(|v| matches!(v, V::String(_))) {
        ValueKind::Str
    } else {
        ValueKind::Other
    }
}

/// Formats a float in its shortest round-trip form (`0.25`, `1.0`, `1e-20`); empty for NaN.
pub fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:?}")
    }
}

/// A parameter value as a CSV field: numbers in shortest round-trip form, strings raw, booleans
/// as `true`/`false`, arrays and tables as inline TOML.
pub fn value_field(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => {
            if f.is_nan() {
                "nan".into()
            } else {
                format!("{f:?}")
            }
        }
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::String(s) => s.clone(),
        other => inline(other),
    }
}

/// A value as inline TOML text (what `--set key=<value>` reads back to the same value).
pub fn inline(v: &toml::Value) -> String {
    match v {
        // TOML floats need a fraction or an exponent: `{:?}` always writes one.
        toml::Value::Float(f) if f.is_finite() => format!("{f:?}"),
        toml::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        toml::Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key_text(k), inline(v)))
                .collect();
            if items.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", items.join(", "))
            }
        }
        other => other.to_string(),
    }
}

fn key_text(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

/// Parses one parameter's spec from its TOML value; `Err` is the message (the caller adds the
/// key path). `Ok(None)` means the value is a table of further keys (a dotted key path).
pub(crate) fn parse_spec(v: &toml::Value) -> Result<Option<ParamSpec>, String> {
    const KINDS: [&str; 7] = [
        "linspace",
        "logspace",
        "range",
        "uniform",
        "log_uniform",
        "int_uniform",
        "choice",
    ];
    match v {
        toml::Value::Array(a) => {
            if a.is_empty() {
                return Err("the list of values is empty".into());
            }
            check_values(a)?;
            Ok(Some(ParamSpec::Values(a.clone())))
        }
        toml::Value::Table(t) => {
            let known: Vec<&String> = t.keys().filter(|k| KINDS.contains(&k.as_str())).collect();
            if known.is_empty() {
                return Ok(None);
            }
            if t.len() != 1 {
                let other: Vec<String> = t
                    .keys()
                    .filter(|k| !KINDS.contains(&k.as_str()))
                    .map(|k| format!("`{k}`"))
                    .collect();
                return Err(if known.len() > 1 {
                    format!(
                        "give one of {} per parameter, not several",
                        KINDS.map(|k| format!("`{k}`")).join(", ")
                    )
                } else {
                    format!("unexpected {} beside `{}`", other.join(", "), known[0])
                });
            }
            let kind = known[0].as_str();
            let arg = &t[kind];
            let spec = match kind {
                "linspace" => {
                    let (a, b, n) = three(arg, kind)?;
                    ParamSpec::Values(linspace(a, b, count(n, kind)?))
                }
                "logspace" => {
                    let (a, b, n) = three(arg, kind)?;
                    if a <= 0.0 || b <= 0.0 {
                        return Err(format!(
                            "`logspace = [a, b, n]` takes the values a and b themselves (not exponents), both > 0; got a = {a}, b = {b}"
                        ));
                    }
                    ParamSpec::Values(logspace(a, b, count(n, kind)?))
                }
                "range" => ParamSpec::Values(int_range(arg)?),
                "uniform" => {
                    let (a, b) = two(arg, kind)?;
                    if a >= b {
                        return Err(format!("`uniform = [a, b]` needs a < b, got [{a}, {b}]"));
                    }
                    ParamSpec::Uniform([a, b])
                }
                "log_uniform" => {
                    let (a, b) = two(arg, kind)?;
                    if a <= 0.0 || a >= b {
                        return Err(format!(
                            "`log_uniform = [a, b]` needs 0 < a < b, got [{a}, {b}]"
                        ));
                    }
                    ParamSpec::LogUniform([a, b])
                }
                "int_uniform" => {
                    let (a, b) = two_ints(arg, kind)?;
                    if a > b {
                        return Err(format!(
                            "`int_uniform = [a, b]` needs a <= b, got [{a}, {b}]"
                        ));
                    }
                    ParamSpec::IntUniform([a, b])
                }
                _ => {
                    let toml::Value::Array(a) = arg else {
                        return Err(
                            "`choice` takes a list of values, like `choice = [\"hold\", \"burn\"]`"
                                .into(),
                        );
                    };
                    if a.is_empty() {
                        return Err("`choice` needs at least one value".into());
                    }
                    check_values(a)?;
                    ParamSpec::Choice(a.clone())
                }
            };
            Ok(Some(spec))
        }
        other => Err(format!(
            "expected a list of values or a table like `{{ linspace = [0.0, 1.0, 5] }}`, got {}; to fix a value for every point, set it in the scenario or in `[overrides]`",
            type_name(other)
        )),
    }
}

fn check_values(a: &[toml::Value]) -> Result<(), String> {
    for v in a {
        let text = value_field(v);
        if text.contains('\n') || text.contains('\r') {
            return Err("values may not contain line breaks".into());
        }
        if let toml::Value::Float(f) = v
            && !f.is_finite()
        {
            return Err(format!("values must be finite, got {f}"));
        }
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

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

fn numbers(arg: &toml::Value, kind: &str, n: usize, form: &str) -> Result<Vec<f64>, String> {
    let err = || format!("`{kind}` takes {form}, got `{}`", inline(arg));
    let toml::Value::Array(a) = arg else {
        return Err(err());
    };
    if a.len() != n {
        return Err(err());
    }
    a.iter().map(|v| number(v).ok_or_else(err)).collect()
}

fn two(arg: &toml::Value, kind: &str) -> Result<(f64, f64), String> {
    let v = numbers(arg, kind, 2, "two finite numbers [a, b]")?;
    Ok((v[0], v[1]))
}

fn three(arg: &toml::Value, kind: &str) -> Result<(f64, f64, f64), String> {
    let v = numbers(arg, kind, 3, "[a, b, n] with finite a, b and a count n")?;
    Ok((v[0], v[1], v[2]))
}

fn two_ints(arg: &toml::Value, kind: &str) -> Result<(i64, i64), String> {
    match arg {
        toml::Value::Array(a)
            if a.len() == 2 && a.iter().all(|v| matches!(v, toml::Value::Integer(_))) =>
        {
            Ok((
                a[0].as_integer().unwrap_or(0),
                a[1].as_integer().unwrap_or(0),
            ))
        }
        _ => Err(format!(
            "`{kind}` takes two integers [a, b], got `{}`",
            inline(arg)
        )),
    }
}

/// Most values a `linspace`, `logspace` or `range` may expand to.
pub const MAX_LIST: u64 = 1_000_000;

fn count(n: f64, kind: &str) -> Result<usize, String> {
    if n < 1.0 || n.fract() != 0.0 || n > MAX_LIST as f64 {
        return Err(format!(
            "`{kind} = [a, b, n]` needs a whole count n in [1, {MAX_LIST}], got {n}"
        ));
    }
    Ok(n as usize)
}

/// n floats from a to b inclusive: a + (b − a)·i/(n − 1), with the last exactly b.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<toml::Value> {
    (0..n)
        .map(|i| {
            let x = if n == 1 {
                a
            } else if i + 1 == n {
                b
            } else {
                a + (b - a) * (i as f64 / (n - 1) as f64)
            };
            toml::Value::Float(x)
        })
        .collect()
}

/// n floats from a to b inclusive, geometrically spaced (a, b > 0), with the ends exact.
pub fn logspace(a: f64, b: f64, n: usize) -> Vec<toml::Value> {
    let (la, lb) = (a.ln(), b.ln());
    (0..n)
        .map(|i| {
            let x = if n == 1 || i == 0 {
                a
            } else if i + 1 == n {
                b
            } else {
                (la + (lb - la) * (i as f64 / (n - 1) as f64)).exp()
            };
            toml::Value::Float(x)
        })
        .collect()
}

fn int_range(arg: &toml::Value) -> Result<Vec<toml::Value>, String> {
    let err = || {
        format!(
            "`range` takes three integers [a, b, step] (b included when reached), got `{}`",
            inline(arg)
        )
    };
    let toml::Value::Array(a) = arg else {
        return Err(err());
    };
    let ints: Vec<i64> = a.iter().filter_map(toml::Value::as_integer).collect();
    if a.len() != 3 || ints.len() != 3 {
        return Err(err());
    }
    let (start, end, step) = (ints[0] as i128, ints[1] as i128, ints[2] as i128);
    if step == 0 || (end - start).signum() * step.signum() < 0 {
        return Err(format!(
            "`range = [{start}, {end}, {step}]` never reaches {end}: the step must be non-zero and point from a to b"
        ));
    }
    let n = (end - start) / step + 1;
    if n > MAX_LIST as i128 {
        return Err(format!(
            "`range` expands to {n} values, more than {MAX_LIST}"
        ));
    }
    Ok((0..n)
        .map(|i| toml::Value::Integer((start + i * step) as i64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Option<ParamSpec>, String> {
        let t: toml::Table = format!("x = {text}").parse().unwrap();
        parse_spec(&t["x"])
    }

    fn floats(v: &ParamSpec) -> Vec<f64> {
        match v {
            ParamSpec::Values(v) => v.iter().map(|x| x.as_float().unwrap()).collect(),
            _ => panic!("not a list"),
        }
    }

    #[test]
    fn expands_ranges() {
        assert_eq!(
            floats(&spec("{ linspace = [0, 1, 5] }").unwrap().unwrap()),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(
            floats(&spec("{ linspace = [0.1, 0.3, 3] }").unwrap().unwrap()),
            vec![0.1, 0.2, 0.3]
        );
        let l = floats(&spec("{ logspace = [0.001, 1, 4] }").unwrap().unwrap());
        assert_eq!((l[0], l[3]), (0.001, 1.0));
        assert!(
            (l[1] - 0.01).abs() < 1e-15 && (l[2] - 0.1).abs() < 1e-15,
            "{l:?}"
        );
        assert_eq!(
            spec("{ range = [1, 7, 3] }").unwrap().unwrap(),
            ParamSpec::Values(vec![1.into(), 4.into(), 7.into()])
        );
        assert_eq!(
            spec("{ range = [5, 1, -2] }").unwrap().unwrap(),
            ParamSpec::Values(vec![5.into(), 3.into(), 1.into()])
        );
        assert_eq!(
            spec("{ range = [1, 6, 2] }").unwrap().unwrap().count(),
            Some(3)
        );
        assert_eq!(
            spec(r#"["hold", "burn"]"#).unwrap().unwrap().kind(),
            ValueKind::Str
        );
        assert_eq!(spec("[1, 2.5]").unwrap().unwrap().kind(), ValueKind::Float);
        assert_eq!(spec("{ a = [1] }").unwrap(), None, "a nested key path");
    }

    #[test]
    fn rejects_bad_specs_with_reasons() {
        for (text, part) in [
            ("[]", "empty"),
            ("0.5", "to fix a value"),
            ("{ linspace = [0, 1] }", "[a, b, n]"),
            ("{ linspace = [0, 1, 2.5] }", "whole count"),
            ("{ logspace = [-1, 2, 3] }", "not exponents"),
            ("{ range = [1, 5, 0] }", "non-zero"),
            ("{ range = [1, 5, -1] }", "never reaches"),
            ("{ range = [1.0, 5, 1] }", "three integers"),
            ("{ uniform = [1, 1] }", "a < b"),
            ("{ log_uniform = [0, 1] }", "0 < a < b"),
            ("{ int_uniform = [1.5, 3] }", "two integers"),
            ("{ choice = [] }", "at least one"),
            ("{ uniform = [0, 1], extra = 1 }", "unexpected `extra`"),
            ("{ uniform = [0, 1], choice = [1] }", "not several"),
            (r#"["a\nb"]"#, "line breaks"),
            ("[nan]", "finite"),
        ] {
            let e = spec(text).unwrap_err();
            assert!(e.contains(part), "{text}: {e}");
        }
    }

    #[test]
    fn inverse_cdfs_cover_their_ranges() {
        let u = ParamSpec::Uniform([2.0, 4.0]);
        assert_eq!(u.at(0.0), toml::Value::Float(2.0));
        assert_eq!(u.at(0.5), toml::Value::Float(3.0));
        assert_eq!(u.at(1.0), toml::Value::Float(4.0));
        let l = ParamSpec::LogUniform([0.01, 1.0]);
        assert_eq!(l.at(0.0), toml::Value::Float(0.01));
        assert_eq!(l.at(1.0), toml::Value::Float(1.0));
        assert!((l.at(0.5).as_float().unwrap() - 0.1).abs() < 1e-15);
        let i = ParamSpec::IntUniform([1, 3]);
        let got: Vec<i64> = [0.0, 0.33, 0.34, 0.66, 0.67, 0.999, 1.0]
            .iter()
            .map(|&u| i.at(u).as_integer().unwrap())
            .collect();
        assert_eq!(got, vec![1, 1, 2, 2, 3, 3, 3]);
        let c = ParamSpec::Choice(vec!["a".into(), "b".into()]);
        assert_eq!(c.at(0.49), toml::Value::from("a"));
        assert_eq!(c.at(0.5), toml::Value::from("b"));
        assert_eq!(c.at(1.0), toml::Value::from("b"));
    }

    #[test]
    fn fields_and_inline_text_round_trip() {
        assert_eq!(value_field(&toml::Value::Float(0.25)), "0.25");
        assert_eq!(value_field(&toml::Value::Float(1.0)), "1.0");
        assert_eq!(value_field(&toml::Value::Integer(-3)), "-3");
        assert_eq!(value_field(&"burn".into()), "burn");
        assert_eq!(fmt_f64(f64::NAN), "");
        assert_eq!(fmt_f64(1e-20), "1e-20");
        let t: toml::Table = r#"v = [{ kind = "fixed", "a b" = [1, 2.5e-7, "x"] }, true]"#
            .parse()
            .unwrap();
        let text = inline(&t["v"]);
        let back: toml::Table = format!("v = {text}").parse().unwrap();
        assert_eq!(back, t, "{text}");
    }
}
