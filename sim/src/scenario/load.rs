//! Parsing scenario text into a typed [`Scenario`], and the error type of the whole `scenario` module.
//!
//! This file owns [`ScenarioError`] (file, key path, 1-based line and column, message, "did you mean"
//! suggestion), the TOML-to-`Scenario` typing with `serde_path_to_error` key paths, and a small
//! tolerant scanner that finds the line of a key path in TOML text (used for validation errors, where
//! serde gives no span). It must never panic, whatever the input; it applies no defaults and no checks.

use std::collections::BTreeMap;

use super::model::Scenario;

/// A scenario that could not be read, parsed, typed, overridden or validated.
///
/// Displays as `{file}:{line}:{column}: {key_path}: {message}` (absent parts omitted), followed by a
/// second line `  help: did you mean `{suggestion}`?` when there is a suggestion.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(self))]
pub struct ScenarioError {
    /// File label: the path as given, `<file> (after --set)` after overrides, or `<scenario>`.
    pub file: String,
    /// Key path of the offending value, like `segments[1].budget_usd_per_step`; empty when the error
    /// concerns the whole file (I/O, or a syntax error at the top level).
    pub key_path: String,
    /// 1-based line in `file`, when known (`u32` keeps the error small enough to return by value).
    pub line: Option<u32>,
    /// 1-based column (in characters) in `file`, when known.
    pub column: Option<u32>,
    /// What is wrong, e.g. `must be >= 0, got -5`.
    pub message: String,
    /// The nearest valid key or variant name, for typos.
    pub suggestion: Option<String>,
}

impl ScenarioError {
    /// An error with no location.
    pub fn new(file: &str, key_path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            key_path: key_path.to_string(),
            line: None,
            column: None,
            message: message.into(),
            suggestion: None,
        }
    }

    /// Adds the line and column of `key_path` in `source`, when the scanner finds it.
    pub fn located_in(mut self, source: Option<&str>) -> ScenarioError {
        if let Some(text) = source
            && let Some((line, column)) = locate_key(text, &self.key_path)
        {
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }

    /// Sets the suggestion.
    pub fn with_suggestion(mut self, suggestion: Option<String>) -> ScenarioError {
        self.suggestion = suggestion;
        self
    }
}

fn render(e: &ScenarioError) -> String {
    let mut out = String::new();
    let mut push = |part: &str| {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(part);
    };
    let mut head = e.file.clone();
    if let Some(line) = e.line {
        if !head.is_empty() {
            head.push(':');
        }
        head.push_str(&line.to_string());
        if let Some(column) = e.column {
            head.push(':');
            head.push_str(&column.to_string());
        }
    }
    if !head.is_empty() {
        push(&head);
    }
    if !e.key_path.is_empty() {
        push(&e.key_path);
    }
    push(&e.message);
    if let Some(s) = &e.suggestion {
        out.push_str(&format!("\n  help: did you mean `{s}`?"));
    }
    out
}

/// Parses and types scenario text, with line and column from the TOML span.
pub(crate) fn parse_text(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let de = toml::Deserializer::parse(text).map_err(|e| syntax_error(&e, text, file))?;
    serde_path_to_error::deserialize::<_, Scenario>(de)
        .map_err(|e| typing_error(e, Some(text), file))
}

/// Parses scenario text into an untyped TOML table (for `--set`), with syntax errors located.
pub(crate) fn parse_table(text: &str, file: &str) -> Result<toml::Table, ScenarioError> {
    text.parse::<toml::Table>()
        .map_err(|e| syntax_error(&e, text, file))
}

/// Types a TOML value tree (no source text: no line and column).
pub(crate) fn type_table(table: toml::Table, file: &str) -> Result<Scenario, ScenarioError> {
    serde_path_to_error::deserialize::<_, Scenario>(toml::Value::Table(table))
        .map_err(|e| typing_error(e, None, file))
}

fn syntax_error(e: &toml::de::Error, text: &str, file: &str) -> ScenarioError {
    let mut message = e.message().trim().to_string();
    let (mut line, mut column, mut key_path) = (None, None, String::new());
    if let Some(span) = e.span() {
        let (l, c) = line_col(text, span.start);
        line = Some(l);
        column = Some(c);
        key_path = key_path_at(text, span.start, l);
        if message == "duplicate key"
            && let Some(name) = text.get(span.clone())
            && !name.is_empty()
        {
            message = format!("duplicate key `{}`", name.trim());
        }
    }
    ScenarioError {
        file: file.to_string(),
        key_path,
        line,
        column,
        message,
        suggestion: None,
    }
}

fn typing_error(
    e: serde_path_to_error::Error<toml::de::Error>,
    source: Option<&str>,
    file: &str,
) -> ScenarioError {
    let mut key_path = e.path().to_string();
    if key_path == "." {
        key_path.clear();
    }
    let inner = e.into_inner();
    let message = inner.message().trim().to_string();
    let (mut line, mut column) = (None, None);
    if let (Some(text), Some(span)) = (source, inner.span()) {
        let (l, c) = line_col(text, span.start);
        line = Some(l);
        column = Some(c);
    }
    // Inside internally tagged enums serde reports an unknown field at the enclosing table: name it.
    if let Some(field) = backticked_after(&message, "unknown field `") {
        let last = key_path.rsplit('.').next().unwrap_or("");
        if last != field {
            if !key_path.is_empty() {
                key_path.push('.');
            }
            key_path.push_str(field);
            if let Some((l, c)) = source.and_then(|t| locate_key(t, &key_path)) {
                line = Some(l);
                column = Some(c);
            }
        }
    }
    if line.is_none()
        && let Some((l, c)) = source.and_then(|t| locate_key(t, &key_path))
    {
        line = Some(l);
        column = Some(c);
    }
    let suggestion = suggest_from_message(&message);
    ScenarioError {
        file: file.to_string(),
        key_path,
        line,
        column,
        message,
        suggestion,
    }
}

/// The text between `prefix` and the next backtick.
fn backticked_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// For serde's `unknown field `x`, expected ...` and `unknown variant `x`, expected ...` messages,
/// the expected name nearest to `x`, when close enough.
pub(crate) fn suggest_from_message(message: &str) -> Option<String> {
    let (bad, rest) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|p| {
            let rest = message.strip_prefix(p)?;
            let end = rest.find('`')?;
            Some((&rest[..end], &rest[end + 1..]))
        })?;
    let expected = rest.split_once("expected")?.1;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    nearest(bad, candidates.iter().copied())
}

/// The candidate nearest to `bad` by Jaro–Winkler similarity, if similar enough to be a typo.
pub(crate) fn nearest<'c>(
    bad: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == bad {
            continue;
        }
        let score = strsim::jaro_winkler(bad, c);
        let close =
            score >= 0.85 || strsim::levenshtein(bad, c) <= (bad.chars().count() / 4).max(1);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// 1-based (line, column in characters) of a byte offset; offsets past the end clamp to the end.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (to_u32(line), to_u32(column))
}

/// Key path of the key on `line` at or before `offset`, else of the table header in effect there.
fn key_path_at(text: &str, offset: usize, line: u32) -> String {
    let entries = scan(text);
    let on_line = entries
        .iter()
        .rfind(|e| !e.header && e.line == line && e.offset <= offset);
    if let Some(e) = on_line {
        return e.path.clone();
    }
    entries
        .iter()
        .rfind(|e| e.header && e.line < line)
        .map(|e| e.path.clone())
        .unwrap_or_default()
}

/// 1-based (line, column) of `key_path` (e.g. `segments[1].budget_usd_per_step`) in TOML `text`: the
/// key itself, else its nearest enclosing table or key that appears in the text. `None` if neither.
///
/// Best effort: a tolerant scanner that follows `[table]` and `[[array]]` headers, dotted keys,
/// inline tables and arrays, and skips strings and comments; it never fails.
pub fn locate_key(text: &str, key_path: &str) -> Option<(u32, u32)> {
    if key_path.is_empty() {
        return None;
    }
    let entries = scan(text);
    let mut first: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for e in &entries {
        first.entry(e.path.as_str()).or_insert((e.line, e.column));
    }
    let mut path = key_path;
    loop {
        if let Some(&pos) = first.get(path) {
            return Some(pos);
        }
        path = parent_path(path)?;
    }
}

/// `a.b[2].c` → `a.b[2]` → `a.b` → `a` → None.
fn parent_path(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    (cut > 0).then(|| &path[..cut])
}

/// One key or header found by the scanner.
#[derive(Debug)]
struct Entry {
    path: String,
    offset: usize,
    line: u32,
    column: u32,
    header: bool,
}

const MAX_DEPTH: usize = 64;

struct Scanner<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    i: usize,
    line_starts: Vec<usize>,
    arrays: BTreeMap<String, usize>,
    table: String,
    out: Vec<Entry>,
}

fn scan(text: &str) -> Vec<Entry> {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let mut s = Scanner {
        text,
        chars: text.char_indices().collect(),
        i: 0,
        line_starts,
        arrays: BTreeMap::new(),
        table: String::new(),
        out: Vec::new(),
    };
    s.run();
    s.out
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).map(|&(_, c)| c)
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).map(|&(_, c)| c)
    }

    fn offset(&self) -> usize {
        self.chars.get(self.i).map_or(self.text.len(), |&(o, _)| o)
    }

    fn record(&mut self, path: String, offset: usize, header: bool) {
        let line_idx = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        self.out.push(Entry {
            path,
            offset,
            line: to_u32(line_idx + 1),
            column: to_u32(column),
            header,
        });
    }

    /// Skips spaces and tabs.
    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
    }

    /// Skips spaces, tabs, newlines and comments.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r' | '\n') => self.i += 1,
                Some('#') => self.skip_to_eol(),
                _ => return,
            }
        }
    }

    fn skip_to_eol(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                return;
            }
            self.i += 1;
        }
    }

    fn run(&mut self) {
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { return };
            let before = self.i;
            if c == '[' {
                self.header();
            } else {
                let table = self.table.clone();
                self.keyval(&table, 0);
            }
            // Whatever follows on the line (trailing garbage, comment) is skipped.
            self.skip_to_eol();
            if self.i == before {
                self.i += 1;
            }
        }
    }

    fn header(&mut self) {
        let start = self.offset();
        self.i += 1;
        let array = self.peek() == Some('[');
        if array {
            self.i += 1;
        }
        self.skip_blank();
        let keys = self.keys();
        if keys.is_empty() {
            return;
        }
        let mut path = String::new();
        let n = keys.len();
        for (j, k) in keys.iter().enumerate() {
            path = join(&path, k);
            if j + 1 == n && array {
                let count = self.arrays.entry(path.clone()).or_insert(0);
                *count += 1;
                let idx = *count - 1;
                path.push_str(&format!("[{idx}]"));
            } else if let Some(&count) = self.arrays.get(&path) {
                path.push_str(&format!("[{}]", count.saturating_sub(1)));
            }
        }
        self.table = path.clone();
        self.record(path, start, true);
    }

    /// A dotted key: `a`, `a.b`, `"quoted key".c`, `'literal'`. Empty on garbage.
    fn keys(&mut self) -> Vec<String> {
        let mut keys = Vec::new();
        loop {
            self.skip_blank();
            let key = match self.peek() {
                Some('"') => self.quoted_key('"'),
                Some('\'') => self.quoted_key('\''),
                Some(c) if is_bare(c) => {
                    let mut k = String::new();
                    while let Some(c) = self.peek().filter(|&c| is_bare(c)) {
                        k.push(c);
                        self.i += 1;
                    }
                    Some(k)
                }
                _ => None,
            };
            let Some(key) = key else { return keys };
            keys.push(key);
            self.skip_blank();
            if self.peek() == Some('.') {
                self.i += 1;
            } else {
                return keys;
            }
        }
    }

    fn quoted_key(&mut self, quote: char) -> Option<String> {
        self.i += 1;
        let mut k = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                '\n' => return None,
                '\\' if quote == '"' => {
                    if let Some(next) = self.peek() {
                        k.push(next);
                        self.i += 1;
                    }
                }
                c if c == quote => return Some(k),
                c => k.push(c),
            }
        }
        None
    }

    fn keyval(&mut self, prefix: &str, depth: usize) {
        let start = self.offset();
        let keys = self.keys();
        if keys.is_empty() {
            return;
        }
        let mut path = prefix.to_string();
        for k in &keys {
            path = join(&path, k);
            self.record(path.clone(), start, false);
        }
        self.skip_blank();
        if self.peek() != Some('=') {
            return;
        }
        self.i += 1;
        self.skip_blank();
        self.value(&path, depth + 1);
    }

    fn value(&mut self, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.skip_to_eol();
            return;
        }
        match self.peek() {
            Some(q @ ('"' | '\'')) => self.string(q),
            Some('{') => {
                self.i += 1;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return,
                        Some('}') => {
                            self.i += 1;
                            return;
                        }
                        Some(',') => self.i += 1,
                        Some(_) => {
                            let before = self.i;
                            self.keyval(path, depth);
                            if self.i == before {
                                return;
                            }
                        }
                    }
                }
            }
            Some('[') => {
                self.i += 1;
                let mut idx = 0usize;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return,
                        Some(']') => {
                            self.i += 1;
                            return;
                        }
                        Some(',') => {
                            self.i += 1;
                            idx += 1;
                        }
                        Some(_) => {
                            let before = self.i;
                            let element = format!("{path}[{idx}]");
                            self.record(element.clone(), self.offset(), false);
                            self.value(&element, depth + 1);
                            if self.i == before {
                                return;
                            }
                        }
                    }
                }
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, ',' | ']' | '}' | '#' | '\n' | '\r') {
                        return;
                    }
                    self.i += 1;
                }
            }
        }
    }

    fn string(&mut self, quote: char) {
        let multi = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        if multi {
            self.i += 3;
            while let Some(c) = self.peek() {
                if c == '\\' && quote == '"' {
                    self.i += 2;
                } else if c == quote
                    && self.peek_at(1) == Some(quote)
                    && self.peek_at(2) == Some(quote)
                {
                    self.i += 3;
                    // Up to two more quotes may belong to the content.
                    while self.peek() == Some(quote) {
                        self.i += 1;
                    }
                    return;
                } else {
                    self.i += 1;
                }
            }
        } else {
            self.i += 1;
            while let Some(c) = self.peek() {
                match c {
                    '\n' => return,
                    '\\' if quote == '"' => self.i += 2,
                    c if c == quote => {
                        self.i += 1;
                        return;
                    }
                    _ => self.i += 1,
                }
            }
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn is_bare(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"schema_version = 1
# a comment [not] a header
[run]
name = "x # y"
steps = 10

[[segments]]
name = 'a'
needs = { chat_llm = 1.0, "vision" = 2 }
[[segments]]
name = """multi
line = 3
"""
  budget_usd_per_step = -5
value_dist.kind = "const"
[segments.needs]
embeddings = 1
[[providers.initial]]
category = "chat_llm"
[gtm]
policies = [
  { kind = "x" },
  { kind = "y" },
]
"#;

    #[test]
    fn locates_keys_headers_and_nested_paths() {
        assert_eq!(locate_key(TEXT, "schema_version"), Some((1, 1)));
        assert_eq!(locate_key(TEXT, "run"), Some((3, 1)));
        assert_eq!(locate_key(TEXT, "run.steps"), Some((5, 1)));
        assert_eq!(locate_key(TEXT, "segments[0].needs.vision"), Some((9, 27)));
        assert_eq!(locate_key(TEXT, "segments[1]"), Some((10, 1)));
        assert_eq!(
            locate_key(TEXT, "segments[1].budget_usd_per_step"),
            Some((14, 3))
        );
        assert_eq!(
            locate_key(TEXT, "segments[1].value_dist.kind"),
            Some((15, 1))
        );
        assert_eq!(
            locate_key(TEXT, "segments[1].needs.embeddings"),
            Some((17, 1))
        );
        assert_eq!(
            locate_key(TEXT, "providers.initial[0].category"),
            Some((19, 1))
        );
        assert_eq!(locate_key(TEXT, "gtm.policies[1].kind"), Some((23, 5)));
        // Falls back to the nearest enclosing key that exists.
        assert_eq!(locate_key(TEXT, "run.seed"), Some((3, 1)));
        assert_eq!(locate_key(TEXT, "segments[1].line"), Some((10, 1)));
        assert_eq!(locate_key(TEXT, "exchange.fee_rate"), None);
        assert_eq!(locate_key(TEXT, ""), None);
    }

    #[test]
    fn line_col_counts_characters_and_clamps() {
        let t = "a = \"é\"\nb = 1\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, t.find('b').unwrap()), (2, 1));
        assert_eq!(line_col(t, 7), (1, 7));
        assert_eq!(line_col(t, 6), (1, 6));
        assert_eq!(line_col(t, 10_000), (3, 1));
    }

    #[test]
    fn suggestions_from_serde_messages() {
        let m =
            "unknown field `buyer_fe_rate`, expected one of `buyer_fee_rate`, `seller_fee_rate`";
        assert_eq!(suggest_from_message(m).as_deref(), Some("buyer_fee_rate"));
        let m = "unknown variant `lotery`, expected `lottery` or `pro_rata`";
        assert_eq!(suggest_from_message(m).as_deref(), Some("lottery"));
        let m = "unknown field `zzzz`, expected `min` or `max`";
        assert_eq!(suggest_from_message(m), None);
        assert_eq!(
            suggest_from_message("unknown field `a`, there are no fields"),
            None
        );
        assert_eq!(suggest_from_message("invalid type"), None);
    }

    #[test]
    fn display_omits_absent_parts() {
        let mut e = ScenarioError::new("s.toml", "run.steps", "must be >= 1, got 0");
        assert_eq!(e.to_string(), "s.toml: run.steps: must be >= 1, got 0");
        e.line = Some(3);
        e.column = Some(1);
        e.suggestion = Some("steps".into());
        assert_eq!(
            e.to_string(),
            "s.toml:3:1: run.steps: must be >= 1, got 0\n  help: did you mean `steps`?"
        );
        let e = ScenarioError::new("", "", "boom");
        assert_eq!(e.to_string(), "boom");
    }
}
