//! Analytic validation (MODEL.md §8): scenario configurations under which the model must reproduce
//! a closed-form result, run through the real engine and compared with the theory.
//!
//! A case is a scenario file with a `[validation]` table: `kind` (one of [`Kind`]'s variants),
//! the expected-value parameters, tolerances, and optionally `title`, `quick` (the `--set`
//! overrides of the fast variant that the default test suite runs) and `known_failure` (why the
//! engine does not reproduce the result yet: the case still runs and fails visibly, and reports an
//! unexpected pass once the engine is fixed). The expected values are
//! computed here from the formulas of [`theory`] and the scenario's own parameters, never typed
//! in; stochastic cases derive their tolerance from the sampling error. Each kind is one file:
//! its parameters, its preconditions on the scenario (a [`ScenarioError`] naming the key that
//! breaks the case), its runner and its checker. Checkers are pure functions of the observed
//! paths, so tests can feed them deliberately broken mechanisms and see them fail.
//!
//! The module never reads the clock or the environment; the binary times the cases and draws the
//! plots from the neutral [`Plot`] data. Runs are deterministic: each simulation uses one worker
//! thread and its own seed, and replications run in parallel on scoped threads with results
//! collected in order.

mod amm;
mod bass;
mod buterin;
mod conservation;
mod critical_mass;
mod emission;
mod logit;
mod polya;
mod pricing;
pub mod theory;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::SimError;
use crate::scenario::{self, Scenario, ScenarioError, locate_key, suggest_from_message as suggest};
use crate::{Simulation, StepMetrics};

/// The validation folder shipped with the program, relative to the repository root.
pub const DEFAULT_DIR: &str = "scenarios/validation";

/// One comparison of the model with the theory.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What is compared, e.g. `max_k |A_k/N − F_d(t_k)|`.
    pub name: String,
    /// The theoretical value.
    pub expected: f64,
    /// What the model gave.
    pub observed: f64,
    /// The error measure compared with the tolerance (absolute or relative, as `name` says).
    pub error: f64,
    /// The largest error that passes.
    pub tolerance: f64,
    /// `error <= tolerance` (false when the error is not a number).
    pub pass: bool,
}

impl Check {
    /// A check with an explicit error measure.
    pub fn new(
        name: impl Into<String>,
        expected: f64,
        observed: f64,
        error: f64,
        tolerance: f64,
    ) -> Check {
        Check {
            name: name.into(),
            expected,
            observed,
            error,
            tolerance,
            pass: !error.is_nan() && error <= tolerance,
        }
    }

    /// Absolute error |observed − expected|.
    pub fn abs(name: impl Into<String>, expected: f64, observed: f64, tolerance: f64) -> Check {
        Check::new(
            name,
            expected,
            observed,
            (observed - expected).abs(),
            tolerance,
        )
    }

    /// Relative error |observed/expected − 1|.
    pub fn rel(name: impl Into<String>, expected: f64, observed: f64, tolerance: f64) -> Check {
        Check::new(
            name,
            expected,
            observed,
            (observed / expected - 1.0).abs(),
            tolerance,
        )
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Simulated by the engine.
    Model,
    /// Computed from the formula.
    Theory,
    /// A second theoretical curve (e.g. the continuous Bass curve beside the discrete path).
    Reference,
}

/// One line of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Model or theory.
    pub role: Role,
    /// Draw as a step function (ECDFs).
    pub step: bool,
    /// Mark every point (few points, e.g. one per option).
    pub markers: bool,
}

impl Series {
    /// A plain line.
    pub fn line(label: impl Into<String>, role: Role, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.into(),
            points,
            role,
            step: false,
            markers: false,
        }
    }

    /// Points marked and joined.
    pub fn points(label: impl Into<String>, role: Role, points: Vec<(f64, f64)>) -> Series {
        Series {
            markers: true,
            ..Series::line(label, role, points)
        }
    }
}

/// A plot of the model against the theory, as data (the binary draws it).
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// File stem suffix, e.g. `adoption`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description of the x axis.
    pub x_label: String,
    /// Unit of the y axis.
    pub y_label: String,
    /// Lines.
    pub series: Vec<Series>,
    /// Labelled horizontal reference lines (e.g. c and p*).
    pub hlines: Vec<(f64, String)>,
    /// Logarithmic y axis.
    pub y_log: bool,
}

impl Plot {
    fn new(id: &str, title: impl Into<String>, x_label: &str, y_label: &str) -> Plot {
        Plot {
            id: id.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            hlines: Vec::new(),
            y_log: false,
        }
    }
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseReport {
    /// Case id, `V1` … `V11`.
    pub id: String,
    /// Title.
    pub title: String,
    /// `kind` of the `[validation]` table.
    pub kind: &'static str,
    /// The scenario file.
    pub file: String,
    /// Whether the `quick` overrides were applied.
    pub quick: bool,
    /// The comparisons; the case passes when all pass.
    pub checks: Vec<Check>,
    /// Model against theory.
    pub plots: Vec<Plot>,
    /// Observations worth reporting (sizes, derived tolerances, diagnostics).
    pub notes: Vec<String>,
    /// The case file's `known_failure` reason: the engine is known not to reproduce this result yet.
    pub known_failure: Option<String>,
}

/// The outcome of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed.
    Pass,
    /// A check failed.
    Fail,
    /// A check failed and the case file declares a `known_failure` (an engine limitation on record).
    KnownFailure,
    /// Every check passed although the file declares a `known_failure`: the declaration is stale.
    UnexpectedPass,
}

impl Verdict {
    /// How the table prints it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::KnownFailure => "known failure",
            Verdict::UnexpectedPass => "UNEXPECTED PASS",
        }
    }

    /// Whether it makes `mindmarket validate` fail; `strict` also counts known failures.
    pub fn is_failure(self, strict: bool) -> bool {
        match self {
            Verdict::Pass => false,
            Verdict::KnownFailure => strict,
            Verdict::Fail | Verdict::UnexpectedPass => true,
        }
    }
}

impl CaseReport {
    /// Whether every check passed (and there is at least one).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.pass)
    }

    /// Pass or fail, read together with the file's `known_failure`.
    pub fn verdict(&self) -> Verdict {
        match (self.passed(), self.known_failure.is_some()) {
            (true, false) => Verdict::Pass,
            (true, true) => Verdict::UnexpectedPass,
            (false, false) => Verdict::Fail,
            (false, true) => Verdict::KnownFailure,
        }
    }
}

/// The kinds of analytic case and their parameters (`[validation] kind = "..."`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// V1: Bass diffusion.
    Bass(bass::Params),
    /// V2: logit shares and the logsum surplus.
    LogitShares(logit::Params),
    /// V3: Bertrand with equal costs.
    Bertrand(pricing::BertrandParams),
    /// V4: monopoly price under linear demand.
    MonopolyLinear(pricing::MonopolyParams),
    /// V5: logit (differentiated Bertrand) markups.
    LogitMarkup(pricing::MarkupParams),
    /// V6: exact conservation, the equation of exchange, thread-count determinism.
    Conservation(conservation::Params),
    /// V7: Buterin's MC = T·H steady state.
    ButerinMcTh(buterin::Params),
    /// V8: constant-product AMM closed forms.
    AmmClosedForms(amm::Params),
    /// V9: critical mass and tipping.
    CriticalMass(critical_mass::Params),
    /// V10: the Pólya urn (lock-in).
    PolyaUrn(polya::Params),
    /// V11: the emission schedule.
    Emission(emission::Params),
}

impl Kind {
    /// The `kind` as written in TOML.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Bass(_) => "bass",
            Kind::LogitShares(_) => "logit_shares",
            Kind::Bertrand(_) => "bertrand",
            Kind::MonopolyLinear(_) => "monopoly_linear",
            Kind::LogitMarkup(_) => "logit_markup",
            Kind::Conservation(_) => "conservation",
            Kind::ButerinMcTh(_) => "buterin_mc_th",
            Kind::AmmClosedForms(_) => "amm_closed_forms",
            Kind::CriticalMass(_) => "critical_mass",
            Kind::PolyaUrn(_) => "polya_urn",
            Kind::Emission(_) => "emission",
        }
    }

    /// Every kind with its default parameters (registry-wide tests and docs loop over these).
    pub fn examples() -> Vec<Kind> {
        vec![
            Kind::Bass(Default::default()),
            Kind::LogitShares(Default::default()),
            Kind::Bertrand(Default::default()),
            Kind::MonopolyLinear(Default::default()),
            Kind::LogitMarkup(Default::default()),
            Kind::Conservation(Default::default()),
            Kind::ButerinMcTh(Default::default()),
            Kind::AmmClosedForms(Default::default()),
            Kind::CriticalMass(Default::default()),
            Kind::PolyaUrn(Default::default()),
            Kind::Emission(Default::default()),
        ]
    }
}

/// A loaded case: the resolved scenario and its typed `[validation]` table.
#[derive(Clone, Debug)]
pub struct Case {
    /// Case id from the file stem (`v3_bertrand` → `V3`), or the stem itself.
    pub id: String,
    /// Title (`[validation] title`, else the kind).
    pub title: String,
    /// File label.
    pub file: String,
    /// The resolved scenario (after the `quick` overrides when `quick`).
    pub scenario: Scenario,
    /// Parameters.
    pub kind: Kind,
    /// Whether the `quick` overrides were applied.
    pub quick: bool,
    /// The `quick` overrides as written.
    pub quick_overrides: Vec<String>,
    /// `known_failure`: why the engine does not reproduce the result yet (the case still runs, and
    /// reports an unexpected pass once it does).
    pub known_failure: Option<String>,
}

/// The case id of a file stem: `v10_polya_urn` → `V10`; other stems are kept as they are.
pub fn case_id(stem: &str) -> String {
    let head = stem.split('_').next().unwrap_or(stem);
    let digits = head.strip_prefix(['v', 'V']).unwrap_or("");
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("V{digits}")
    } else {
        stem.to_string()
    }
}

/// The `.toml` files of a validation folder, ordered by case number (V2 before V10), then name.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let label = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ScenarioError::new(&label, "", format!("cannot read the folder: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    let number = |p: &PathBuf| {
        let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned());
        let id = case_id(stem.as_deref().unwrap_or(""));
        id.strip_prefix('V')
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    };
    files.sort_by(|a, b| number(a).cmp(&number(b)).then(a.cmp(b)));
    Ok(files)
}

/// Reads a case file; with `quick`, applies its `quick` overrides.
pub fn load_case(path: &Path, quick: bool) -> Result<Case, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::new(&file, "", format!("cannot read the file: {e}")))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    case_from_str(&text, &file, &stem, quick, &[])
}

/// Parses case text (`stem` names the run and gives the case id); with `quick` the table's
/// `quick` overrides are applied, then `overrides`.
pub fn case_from_str(
    text: &str,
    file: &str,
    stem: &str,
    quick: bool,
    overrides: &[String],
) -> Result<Case, ScenarioError> {
    let raw = scenario::from_str(text, file)?;
    let Some(table) = raw.validation.clone() else {
        return Err(ScenarioError::new(
            file,
            "validation",
            "a validation case needs a [validation] table",
        ));
    };
    let src = Source {
        file,
        text: Some(text),
    };
    let Table {
        title,
        quick: quick_overrides,
        known_failure,
        kind,
    } = parse_table(&table, &src)?;
    let mut sets: Vec<String> = Vec::new();
    if quick {
        sets.extend(quick_overrides.iter().cloned());
    }
    sets.extend(overrides.iter().cloned());
    let s = if sets.is_empty() {
        scenario::resolve_with_source(raw, crate::VERSION, stem, file, Some(text))?
    } else {
        let s = scenario::from_str_with_overrides(text, file, &sets)?;
        scenario::resolve_with_source(
            s,
            crate::VERSION,
            stem,
            &format!("{file} (after --set)"),
            None,
        )?
    };
    // Preconditions are located in the text only when no override changed it.
    let pre_src = Source {
        file,
        text: sets.is_empty().then_some(text),
    };
    preconditions(&kind, &s, &pre_src)?;
    Ok(Case {
        id: case_id(stem),
        title: title.unwrap_or_else(|| kind.name().replace('_', " ")),
        file: file.to_string(),
        scenario: s,
        kind,
        quick,
        quick_overrides,
        known_failure,
    })
}

/// Where a table came from, for error messages.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: Option<&'a str>,
}

impl Source<'_> {
    /// An error at `key_path` (a full scenario path, e.g. `validation.tolerance` or
    /// `segments[0].bass_q`), located in the text when known.
    pub fn error(&self, key_path: &str, message: impl Into<String>) -> ScenarioError {
        let mut e = ScenarioError::new(self.file, key_path, message);
        if let Some((l, c)) = self.text.and_then(|t| locate_key(t, key_path)) {
            e.line = Some(l);
            e.column = Some(c);
        }
        e
    }

    /// `Err` at `key_path` unless `ok`.
    pub fn require(
        &self,
        ok: bool,
        key_path: &str,
        message: impl FnOnce() -> String,
    ) -> Result<(), ScenarioError> {
        if ok {
            Ok(())
        } else {
            Err(self.error(key_path, message()))
        }
    }
}

/// The typed `[validation]` table.
struct Table {
    title: Option<String>,
    quick: Vec<String>,
    known_failure: Option<String>,
    kind: Kind,
}

/// Types the `[validation]` table: `title`, `quick` and `known_failure` first, then the kind with
/// unknown keys rejected. Errors name `validation.<key>`.
fn parse_table(table: &toml::Table, src: &Source<'_>) -> Result<Table, ScenarioError> {
    let mut t = table.clone();
    let mut string = |key: &str| match t.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(src.error(
            &format!("validation.{key}"),
            format!("expected a string, got {}", v.type_str()),
        )),
    };
    let title = string("title")?;
    let known_failure = string("known_failure")?;
    let quick = match t.remove("quick") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => {
            let mut out = Vec::new();
            for (i, v) in a.into_iter().enumerate() {
                match v {
                    toml::Value::String(s) => out.push(s),
                    v => {
                        return Err(src.error(
                            &format!("validation.quick[{i}]"),
                            format!("expected a `key.path=value` string, got {}", v.type_str()),
                        ));
                    }
                }
            }
            out
        }
        Some(v) => {
            return Err(src.error(
                "validation.quick",
                format!(
                    "expected an array of `key.path=value` strings, got {}",
                    v.type_str()
                ),
            ));
        }
    };
    if !t.contains_key("kind") {
        return Err(src.error(
            "validation",
            format!("missing `kind`, expected one of {}", kinds_list()),
        ));
    }
    let kind: Kind = serde_path_to_error::deserialize(toml::Value::Table(t)).map_err(|e| {
        let mut path = e.path().to_string();
        if path == "." {
            path.clear();
        }
        let message = e.inner().message().trim().to_string();
        // serde reports an unknown field (and a bad tag) at the enclosing table: name the key.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some(end) = rest.find('`')
        {
            let field = &rest[..end];
            if !path.ends_with(field) {
                path = if path.is_empty() {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
            }
        }
        if message.starts_with("unknown variant `") && path.is_empty() {
            path = "kind".into();
        }
        let key = if path.is_empty() {
            "validation".to_string()
        } else {
            format!("validation.{path}")
        };
        src.error(&key, message.clone())
            .with_suggestion(suggest(&message))
    })?;
    check_params(&kind, src)?;
    Ok(Table {
        title,
        quick,
        known_failure,
        kind,
    })
}

fn kinds_list() -> String {
    Kind::examples()
        .iter()
        .map(|k| format!("`{}`", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Range checks of the parameters.
fn check_params(kind: &Kind, src: &Source<'_>) -> Result<(), ScenarioError> {
    match kind {
        Kind::Bass(p) => p.check(src),
        Kind::LogitShares(p) => p.check(src),
        Kind::Bertrand(p) => p.check(src),
        Kind::MonopolyLinear(p) => p.check(src),
        Kind::LogitMarkup(p) => p.check(src),
        Kind::Conservation(p) => p.check(src),
        Kind::ButerinMcTh(p) => p.check(src),
        Kind::AmmClosedForms(p) => p.check(src),
        Kind::CriticalMass(p) => p.check(src),
        Kind::PolyaUrn(p) => p.check(src),
        Kind::Emission(p) => p.check(src),
    }
}

/// What the case needs of the scenario for its formula to apply.
fn preconditions(kind: &Kind, s: &Scenario, src: &Source<'_>) -> Result<(), ScenarioError> {
    match kind {
        Kind::Bass(p) => p.preconditions(s, src),
        Kind::LogitShares(p) => p.preconditions(s, src),
        Kind::Bertrand(p) => p.preconditions(s, src),
        Kind::MonopolyLinear(p) => p.preconditions(s, src),
        Kind::LogitMarkup(p) => p.preconditions(s, src),
        Kind::Conservation(p) => p.preconditions(s, src),
        Kind::ButerinMcTh(p) => p.preconditions(s, src),
        Kind::AmmClosedForms(p) => p.preconditions(s, src),
        Kind::CriticalMass(p) => p.preconditions(s, src),
        Kind::PolyaUrn(p) => p.preconditions(s, src),
        Kind::Emission(p) => p.preconditions(s, src),
    }
}

/// Runs a case through the engine and compares it with the theory. Independent simulations of a
/// case (replications, companion runs) run on up to `workers` threads at once; every simulation
/// runs on one thread of its own, so the report never depends on `workers`.
pub fn run_case(case: &Case, workers: usize) -> Result<CaseReport, SimError> {
    let mut report = CaseReport {
        id: case.id.clone(),
        title: case.title.clone(),
        kind: case.kind.name(),
        file: case.file.clone(),
        quick: case.quick,
        checks: Vec::new(),
        plots: Vec::new(),
        notes: Vec::new(),
        known_failure: case.known_failure.clone(),
    };
    let s = &case.scenario;
    match &case.kind {
        Kind::Bass(p) => bass::run(p, s, &mut report)?,
        Kind::LogitShares(p) => logit::run(p, s, &mut report)?,
        Kind::Bertrand(p) => pricing::run_bertrand(p, s, &mut report)?,
        Kind::MonopolyLinear(p) => pricing::run_monopoly(p, s, &mut report)?,
        Kind::LogitMarkup(p) => pricing::run_markup(p, s, &mut report)?,
        Kind::Conservation(p) => conservation::run(p, s, &mut report)?,
        Kind::ButerinMcTh(p) => buterin::run(p, s, &mut report)?,
        Kind::AmmClosedForms(p) => amm::run(p, s, &mut report)?,
        Kind::CriticalMass(p) => critical_mass::run(p, s, workers, &mut report)?,
        Kind::PolyaUrn(p) => polya::run(p, s, workers, &mut report)?,
        Kind::Emission(p) => emission::run(p, s, &mut report)?,
    }
    Ok(report)
}

// ---- helpers shared by the kinds ----

/// Runs every step of `s` on one worker thread, calling `each` after every step.
pub(crate) fn simulate(
    s: &Scenario,
    mut each: impl FnMut(&Simulation, &StepMetrics),
) -> Result<(), SimError> {
    let mut sim = Simulation::new(s, 1)?;
    while !sim.finished() {
        let m = sim.step()?;
        each(&sim, &m);
    }
    Ok(())
}

/// `f` over `items` on up to `workers` scoped threads, results in item order.
///
/// Plain threads, not one rayon pool: a rayon worker that waits steals work from its own pool
/// meanwhile, which would nest whole simulations on one stack and serialize them. Each thread runs
/// its items through [`crate::engine::single_threaded`], so the one-thread simulations in `f` run
/// inline on that thread's one pool (one pool per thread, none per simulation).
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                let work = || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items.len() {
                            break;
                        }
                        let r = f(&items[i]);
                        out.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    }
                };
                // Without a pool (it could not start) the items run here; a simulation in `f`
                // then reports the failure.
                if crate::engine::single_threaded(work).is_err() {
                    work();
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item is mapped"))
        .collect()
}

/// `s` with `overrides` applied (re-typed and re-resolved): a companion run of a case.
pub(crate) fn with_overrides(s: &Scenario, overrides: &[String]) -> Result<Scenario, SimError> {
    let text = scenario::to_toml(s);
    let label = format!("{} (companion)", s.run.name);
    let t = scenario::from_str_with_overrides(&text, &label, overrides)?;
    Ok(scenario::resolve(t, crate::VERSION, &s.run.name)?)
}

/// Total customers.
pub(crate) fn customers(s: &Scenario) -> u64 {
    s.segments.iter().map(|g| g.size as u64).sum()
}

/// Platform offerings of the initial groups, expanded in id order (incumbents come first in the
/// engine; the cases that use this have none).
pub(crate) fn platform_groups(s: &Scenario) -> Vec<&crate::scenario::ProviderGroup> {
    s.providers
        .initial
        .iter()
        .flat_map(|g| std::iter::repeat_n(g, g.count as usize))
        .collect()
}

/// Formats a number for notes: about seven significant digits, trailing zeros trimmed.
pub(crate) fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..15).contains(&mag) {
        return format!("{x:.6e}");
    }
    let prec = (6 - mag).max(0) as usize;
    let s = format!("{x:.prec$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The neutral baseline of MODEL.md §8, checked key by key: every listed key must have its
/// neutral value. `except` names keys a case deliberately sets otherwise.
pub(crate) fn neutral(
    s: &Scenario,
    src: &Source<'_>,
    except: &[&str],
) -> Result<(), ScenarioError> {
    let mut checks: Vec<(String, bool, String)> = Vec::new();
    let mut zero =
        |key: String, v: f64| checks.push((key, v == 0.0, format!("must be 0, got {v}")));
    for (i, g) in s.segments.iter().enumerate() {
        zero(
            format!("segments[{i}].quality_weight_usd"),
            g.quality_weight_usd,
        );
        zero(
            format!("segments[{i}].reputation_weight_usd"),
            g.reputation_weight_usd,
        );
        zero(
            format!("segments[{i}].switching_cost_usd"),
            g.switching_cost_usd,
        );
    }
    let ne = &s.network_effects;
    zero(
        "network_effects.same_side_weight_usd".into(),
        ne.same_side_weight_usd,
    );
    zero(
        "network_effects.cross_side_weight_usd".into(),
        ne.cross_side_weight_usd,
    );
    let pl = &s.platform;
    zero("platform.buyer_fee_rate".into(), pl.buyer_fee_rate);
    zero("platform.seller_fee_rate".into(), pl.seller_fee_rate);
    zero(
        "platform.gas_per_channel_op_usd".into(),
        pl.gas_per_channel_op_usd,
    );
    zero("platform.rating_noise".into(), pl.rating_noise);
    zero("platform.failure_rate".into(), pl.failure_rate);
    zero("exchange.fee_rate".into(), s.exchange.fee_rate);
    let pr = &s.providers;
    zero("providers.learning_exponent".into(), pr.learning_exponent);
    zero("providers.on_demand_premium".into(), pr.on_demand_premium);
    zero(
        "providers.fixed_cost_usd_per_step".into(),
        pr.fixed_cost_usd_per_step,
    );
    zero(
        "providers.exit_patience_steps".into(),
        pr.exit_patience_steps as f64,
    );
    let ad = &s.adoption;
    zero(
        "adoption.deboard_after_steps".into(),
        ad.deboard_after_steps as f64,
    );
    zero(
        "adoption.deboard_satisfaction".into(),
        ad.deboard_satisfaction,
    );
    zero(
        "developers.developer_pool".into(),
        s.developers.developer_pool as f64,
    );
    for (k, inc) in s.incumbents.iter().enumerate() {
        zero(
            format!("incumbents[{k}].extra_switching_cost_usd"),
            inc.extra_switching_cost_usd,
        );
    }
    for (key, ok, message) in checks {
        if !ok && !except.contains(&key.as_str()) {
            return Err(src.error(
                &key,
                format!("{message} (the neutral baseline of MODEL.md §8)"),
            ));
        }
    }
    src.require(s.gtm.policies.is_empty(), "gtm.policies", || {
        "must be empty (the neutral baseline of MODEL.md §8)".into()
    })?;
    Ok(())
}

/// Every customer onboarded at t = 0 and for good: `adoption_rule = "immediate"` and
/// `initial_aware_share = 1` in every segment.
pub(crate) fn all_onboarded(s: &Scenario, src: &Source<'_>) -> Result<(), ScenarioError> {
    src.require(
        s.adoption.adoption_rule == scenario::AdoptionRule::Immediate,
        "adoption.adoption_rule",
        || "must be \"immediate\" for this case".into(),
    )?;
    for (i, g) in s.segments.iter().enumerate() {
        src.require(
            g.initial_aware_share == 1.0,
            &format!("segments[{i}].initial_aware_share"),
            || format!("must be 1 for this case, got {}", g.initial_aware_share),
        )?;
    }
    Ok(())
}

/// One request per job, one job per step, for every segment.
pub(crate) fn unit_jobs(s: &Scenario, src: &Source<'_>) -> Result<(), ScenarioError> {
    for (i, g) in s.segments.iter().enumerate() {
        src.require(
            g.jobs_per_step == 1.0,
            &format!("segments[{i}].jobs_per_step"),
            || format!("must be 1 (one job per step), got {}", g.jobs_per_step),
        )?;
        src.require(
            g.requests_per_job_median == 1.0 && g.requests_per_job_sigma == 0.0,
            &format!("segments[{i}].requests_per_job_median"),
            || "jobs must have exactly one request (median 1, sigma 0)".into(),
        )?;
    }
    Ok(())
}

/// Positive-and-finite check of a parameter.
pub(crate) fn positive(src: &Source<'_>, key: &str, v: f64) -> Result<(), ScenarioError> {
    src.require(
        v.is_finite() && v > 0.0,
        &format!("validation.{key}"),
        || format!("must be finite and > 0, got {v}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "schema_version = 1\n[run]\nsteps = 24\n[[segments]]\nname = \"s\"\nsize = 1\njobs_per_step = 0.0\n[developers]\ndeveloper_pool = 0\n[token.emission]\nschedule = \"geometric\"\nperiod_steps = 6\n";

    fn parse(validation: &str) -> Result<Case, ScenarioError> {
        let text = format!("{MINIMAL}[validation]\n{validation}");
        case_from_str(&text, "t.toml", "v11_t", false, &[])
    }

    #[test]
    fn case_ids_come_from_the_stem() {
        assert_eq!(case_id("v10_polya_urn"), "V10");
        assert_eq!(case_id("V3_bertrand"), "V3");
        assert_eq!(case_id("v3"), "V3");
        assert_eq!(case_id("custom"), "custom");
        assert_eq!(case_id("vx_y"), "vx_y");
    }

    #[test]
    fn the_table_is_typed_with_key_paths() {
        let c = parse("kind = \"emission\"\ntitle = \"E\"\nquick = [\"run.steps=12\"]\n").unwrap();
        assert_eq!(c.title, "E");
        assert_eq!(c.id, "V11");
        assert_eq!(c.quick_overrides, vec!["run.steps=12".to_string()]);
        assert_eq!(c.scenario.run.steps, 24);
        let e = parse("kind = \"emision\"\n").unwrap_err();
        assert_eq!(e.key_path, "validation.kind", "{e}");
        assert_eq!(e.suggestion.as_deref(), Some("emission"), "{e}");
        let e = parse("kind = \"emission\"\ntolerance_base_unit = 1\n").unwrap_err();
        assert_eq!(e.key_path, "validation.tolerance_base_unit", "{e}");
        assert!(e.line.is_some(), "{e}");
        assert_eq!(
            e.suggestion.as_deref(),
            Some("tolerance_base_units_per_tranche")
        );
        let e = parse("title = 3\nkind = \"emission\"\n").unwrap_err();
        assert_eq!(e.key_path, "validation.title", "{e}");
        let e = parse("quick = [1]\nkind = \"emission\"\n").unwrap_err();
        assert_eq!(e.key_path, "validation.quick[0]", "{e}");
        let e = parse("tolerance = 1\n").unwrap_err();
        assert!(e.message.contains("missing `kind`"), "{e}");
        let e = parse("kind = \"emission\"\ntolerance_base_units_per_tranche = -1\n").unwrap_err();
        assert_eq!(
            e.key_path, "validation.tolerance_base_units_per_tranche",
            "{e}"
        );
        let e = case_from_str(MINIMAL, "t.toml", "t", false, &[]).unwrap_err();
        assert_eq!(e.key_path, "validation");
    }

    #[test]
    fn quick_overrides_apply_only_when_asked() {
        let text =
            format!("{MINIMAL}[validation]\nkind = \"emission\"\nquick = [\"run.steps=12\"]\n");
        let full = case_from_str(&text, "t.toml", "v11", false, &[]).unwrap();
        let quick = case_from_str(&text, "t.toml", "v11", true, &[]).unwrap();
        assert_eq!(
            (full.scenario.run.steps, quick.scenario.run.steps),
            (24, 12)
        );
    }

    #[test]
    fn preconditions_name_the_key_that_breaks_the_case() {
        let text = MINIMAL.replace("schedule = \"geometric\"", "schedule = \"constant\"");
        let text = format!("{text}[validation]\nkind = \"emission\"\n");
        let e = case_from_str(&text, "t.toml", "v11", false, &[]).unwrap_err();
        assert_eq!(e.key_path, "token.emission.schedule", "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn every_kind_has_a_distinct_name() {
        let names: Vec<&str> = Kind::examples().iter().map(|k| k.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(names.len(), 11);
    }

    #[test]
    fn checks_fail_on_nan_and_pass_at_the_tolerance() {
        assert!(Check::abs("x", 1.0, 1.5, 0.5).pass);
        assert!(!Check::abs("x", 1.0, 1.6, 0.5).pass);
        assert!(!Check::abs("x", 1.0, f64::NAN, 0.5).pass);
        assert!(Check::rel("x", 2.0, 2.019, 0.01).pass);
    }
}
