//! The standard charts of a run folder and of a sweep folder, as [`Chart`] values that `plot`
//! writes to files and `report` inlines as SVG.
//!
//! Run folder: one time-series chart per headline metric ([`catalog::HEADLINE`]) or per named
//! `steps.csv` column, and a small-multiples overview. Sweep folder: fan charts across
//! replications (needs the sweep's `steps/` series), response curves of summary metrics against
//! each parameter with 95 % bootstrap intervals, heatmaps over pairs of parameters that form a
//! grid, Sobol or Morris bars, and distributions across seeds.

use crate::catalog::{self, HeadlineChart, Source};
use crate::error::{Error, Result};
use crate::fmt::{self, NumFormat};
use crate::grid;
use crate::plot::theme::{self, BLUE, ORANGE, VERMILLION};
use crate::plot::{BarSeries, Body, Chart, FULL_SIZE, HBars, Heatmap, Layer, RefLine, XyPlot};
use crate::run::RunFolder;
use crate::stats;
use crate::sweep::{Sensitivity, SweepFolder};
use crate::table::Table;

/// Summary metrics plotted for a sweep when `--metrics` is not given (those the sweep has).
pub const DEFAULT_SWEEP_METRICS: &[&str] = &[
    "final_platform_share_requests",
    "mean_gmv_platform_usd",
    "total_gmv_platform_usd",
    "final_token_price_usd",
    "token_price_last_usd",
    "platform_share_requests_ge_0.05_step",
    "time_to_critical_mass",
];

/// `steps.csv` columns drawn as fan charts for a sweep by default.
pub const DEFAULT_FAN_COLUMNS: &[&str] = &[
    "platform_share_requests",
    "token_price_usd",
    "gmv_platform_usd",
    "active_customers_platform",
];

/// A file-name-safe id.
pub fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    out.trim_matches('_').to_string()
}

/// "baseline (seed 42)".
pub fn run_tag(run: &RunFolder) -> String {
    format!("{} (seed {})", run.info.scenario, run.info.seed)
}

fn run_subtitle_tail(run: &RunFolder) -> String {
    let unit = catalog::time_unit(run.step_days());
    let n = run.steps.len();
    let steps = if run.info.steps > 0 {
        run.info.steps
    } else {
        n as u64
    };
    format!("{steps} {unit}s · mindmarket {}", run.info.program_version)
}

/// The values of a headline series.
fn series_values(run: &RunFolder, src: Source) -> Option<Vec<f64>> {
    let v = run.steps.get_num(src.column())?;
    Some(match src {
        Source::Column(_) => v.to_vec(),
        Source::OneMinus(_) => v.iter().map(|x| 1.0 - x).collect(),
    })
}

/// Window of the trailing mean drawn over noisy per-step flows.
pub const SMOOTH_STEPS: usize = 7;

/// Trailing mean over `k` values (fewer at the start), NaN skipped.
pub fn trailing_mean(v: &[f64], k: usize) -> Vec<f64> {
    (0..v.len())
        .map(|i| stats::mean(&v[i.saturating_sub(k.max(1) - 1)..=i]).unwrap_or(f64::NAN))
        .collect()
}

/// A headline chart of a run (None when `steps.csv` lacks its columns).
pub fn headline_chart(run: &RunFolder, spec: &HeadlineChart) -> Option<Chart> {
    let steps = run.steps.get_num("step")?;
    let unit_t = catalog::time_unit(run.step_days());
    let mut layers = Vec::new();
    let mut smooth_layers = Vec::new();
    let mut maxima = Vec::new();
    // Daily flows are noisy: draw them faintly and a 7-step trailing mean on top.
    let smooth = spec.per_step && steps.len() >= 60;
    for s in spec.series {
        let Some(v) = series_values(run, s.source) else {
            continue;
        };
        let color = theme::role_color(s.role);
        maxima.push(
            v.iter()
                .copied()
                .filter(|x| x.is_finite())
                .fold(0.0f64, f64::max),
        );
        if smooth {
            let m = trailing_mean(&v, SMOOTH_STEPS);
            let last = m
                .iter()
                .rev()
                .find(|x| x.is_finite())
                .copied()
                .unwrap_or(f64::NAN);
            layers.push(Layer::Line {
                label: None,
                color: theme::lighten(color, 0.6),
                points: steps.iter().copied().zip(v).collect(),
                width: 1,
                markers: false,
                step: false,
            });
            let label = format!("{} (last: {})", s.label, fmt::value(last, spec.format));
            smooth_layers.push(Layer::line(
                label,
                color,
                steps.iter().copied().zip(m).collect(),
            ));
        } else {
            let last = v
                .iter()
                .rev()
                .find(|x| x.is_finite())
                .copied()
                .unwrap_or(f64::NAN);
            let label = format!("{} (last: {})", s.label, fmt::value(last, spec.format));
            layers.push(Layer::line(
                label,
                color,
                steps.iter().copied().zip(v).collect(),
            ));
        }
    }
    layers.extend(smooth_layers);
    if layers.is_empty() {
        return None;
    }
    // Series an order of magnitude apart share a log axis, so the small one stays visible.
    let pos: Vec<f64> = maxima.iter().copied().filter(|m| *m > 0.0).collect();
    let y_log = spec.format == NumFormat::Number
        && spec.y_range.is_none()
        && pos.len() >= 2
        && pos.iter().fold(0.0f64, |a, &b| a.max(b))
            / pos.iter().fold(f64::INFINITY, |a, &b| a.min(b))
            > 20.0;
    let mut unit = if spec.per_step {
        format!("{} per {unit_t}", spec.unit)
    } else {
        spec.unit.to_string()
    };
    if y_log {
        unit.push_str(" (log scale)");
    }
    let smoothing = if smooth {
        format!("Bold: {SMOOTH_STEPS}-{unit_t} trailing mean; faint: each {unit_t} · ")
    } else {
        String::new()
    };
    Some(Chart {
        id: spec.id.to_string(),
        title: format!("{} — {}", spec.title, run_tag(run)),
        subtitle: spec.about.replace("{unit}", unit_t),
        note: Some(format!(
            "{smoothing}{} · {}",
            run_subtitle_tail(run),
            run.dir.join("steps.csv").display()
        )),
        body: Body::Xy(XyPlot {
            x_label: unit_t.to_string(),
            y_unit: unit,
            y_format: Some(spec.format),
            y_log,
            y_range: spec.y_range,
            zero_based: spec.zero_based,
            layers,
            hlines: spec
                .reference
                .map(|(at, label)| RefLine {
                    at,
                    label: label.into(),
                })
                .into_iter()
                .collect(),
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    })
}

/// A chart of any numeric `steps.csv` column.
pub fn column_chart(run: &RunFolder, column: &str) -> Result<Chart> {
    let steps = run.steps.num("step")?;
    let v = run.steps.num(column)?;
    let info = catalog::describe(column);
    let unit_t = catalog::time_unit(run.step_days());
    let last = v
        .iter()
        .rev()
        .find(|x| x.is_finite())
        .copied()
        .unwrap_or(f64::NAN);
    Ok(Chart {
        id: slug(column),
        title: format!("{} — {}", info.label, run_tag(run)),
        subtitle: format!("Column `{column}` of steps.csv."),
        note: Some(format!(
            "{} · {}",
            run_subtitle_tail(run),
            run.dir.join("steps.csv").display()
        )),
        body: Body::Xy(XyPlot {
            x_label: unit_t.into(),
            y_unit: info.unit.clone(),
            y_format: Some(info.format),
            zero_based: v.iter().all(|x| !x.is_finite() || *x >= 0.0),
            layers: vec![Layer::line(
                format!("{} (last: {})", info.label, fmt::value(last, info.format)),
                BLUE,
                steps.iter().copied().zip(v.iter().copied()).collect(),
            )],
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    })
}

/// Id of the per-category chart of a run (drawn from `categories.csv`).
pub const CATEGORY_SHARE: &str = "category_share";

/// The platform's share of end-customer requests in each category over time (from the run's
/// `categories.csv`), one line per category; `None` for a run folder without that file (runs of
/// older versions) or without categories.
pub fn category_share_chart(run: &RunFolder) -> Result<Option<Chart>> {
    let path = run.dir.join("categories.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let t = Table::read(&path)?;
    let steps = t.num("step")?;
    let share = t.num("platform_share_requests")?;
    let cats = t
        .text("category")
        .ok_or_else(|| Error::format(&path, "no column `category`"))?;
    // Categories in the order of the file (the scenario's), each with its own series.
    let mut names: Vec<&str> = Vec::new();
    let mut series: Vec<Vec<(f64, f64)>> = Vec::new();
    for (i, c) in cats.iter().enumerate() {
        let k = match names.iter().position(|n| n == c) {
            Some(k) => k,
            None => {
                names.push(c);
                series.push(Vec::new());
                names.len() - 1
            }
        };
        series[k].push((steps[i], share[i]));
    }
    if names.is_empty() {
        return Ok(None);
    }
    let unit_t = catalog::time_unit(run.step_days());
    let peak = share
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let smooth = series.iter().all(|s| s.len() >= 60);
    let layers = names
        .iter()
        .zip(series)
        .enumerate()
        .map(|(k, (name, pts))| {
            let pts = if smooth {
                let v: Vec<f64> = pts.iter().map(|p| p.1).collect();
                let m = trailing_mean(&v, SMOOTH_STEPS);
                pts.iter().map(|p| p.0).zip(m).collect()
            } else {
                pts
            };
            let last = pts
                .iter()
                .rev()
                .map(|p| p.1)
                .find(|x| x.is_finite())
                .unwrap_or(f64::NAN);
            Layer::line(
                format!("{name} (last: {})", fmt::value(last, NumFormat::Percent)),
                theme::series_color(k),
                pts,
            )
        })
        .collect();
    let smoothing = if smooth {
        format!("{SMOOTH_STEPS}-{unit_t} trailing means · ")
    } else {
        String::new()
    };
    Ok(Some(Chart {
        id: CATEGORY_SHARE.to_string(),
        title: format!("Platform share by category — {}", run_tag(run)),
        subtitle:
            "Where the platform wins: its share of the end customers' requests in each category."
                .to_string(),
        note: Some(format!(
            "{smoothing}{} · {}",
            run_subtitle_tail(run),
            path.display()
        )),
        body: Body::Xy(XyPlot {
            x_label: unit_t.to_string(),
            y_unit: "% of the category's requests".to_string(),
            y_format: Some(NumFormat::Percent),
            // Scaled to the data (category shares are often small); the tipping line only when a
            // category comes near it.
            zero_based: true,
            hlines: if peak >= 0.3 {
                vec![RefLine {
                    at: 0.5,
                    label: "tipping line (50%)".into(),
                }]
            } else {
                Vec::new()
            },
            layers,
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    }))
}

/// The charts of a run folder: the headline charts and the per-category share (all, or those
/// named in `selection`, which may also name any `steps.csv` column).
pub fn run_charts(run: &RunFolder, selection: &[String]) -> Result<Vec<Chart>> {
    if selection.is_empty() {
        let mut out: Vec<Chart> = Vec::new();
        for spec in catalog::HEADLINE {
            out.extend(headline_chart(run, spec));
            if spec.id == "request_share" {
                out.extend(category_share_chart(run)?);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for name in selection {
        if name == CATEGORY_SHARE {
            out.push(category_share_chart(run)?.ok_or_else(|| {
                Error::format(
                    &run.dir.join("categories.csv"),
                    "is missing or empty: chart `category_share` needs it",
                )
            })?);
        } else if let Some(spec) = catalog::headline(name) {
            out.push(headline_chart(run, spec).ok_or_else(|| {
                Error::format(
                    &run.dir.join("steps.csv"),
                    format!("lacks the columns of chart `{name}`"),
                )
            })?);
        } else if run.steps.get_num(name).is_some() {
            out.push(column_chart(run, name)?);
        } else {
            let mut ids: Vec<&str> = catalog::HEADLINE.iter().map(|c| c.id).collect();
            ids.push(CATEGORY_SHARE);
            return Err(Error::Unknown {
                message: format!(
                    "unknown metric `{name}`: use a chart ({}) or a numeric column of {}",
                    ids.join(", "),
                    run.dir.join("steps.csv").display()
                ),
            });
        }
    }
    Ok(out)
}

/// [`run_charts`], preceded by their small-multiples overview when there are two or more.
pub fn run_charts_with_overview(run: &RunFolder, selection: &[String]) -> Result<Vec<Chart>> {
    let mut list = run_charts(run, selection)?;
    if list.len() >= 2 {
        let overview = run_overview(run, &list);
        list.insert(0, overview);
    }
    Ok(list)
}

/// The small-multiples overview of a run: the given charts as panels.
pub fn run_overview(run: &RunFolder, charts: &[Chart]) -> Chart {
    let panels: Vec<Chart> = charts
        .iter()
        .map(|c| {
            let mut p = c.clone();
            p.title = c.title.split(" — ").next().unwrap_or(&c.title).to_string();
            p.subtitle.clear();
            p.note = None;
            if let Body::Xy(xy) = &mut p.body {
                xy.x_label.clear();
                for l in &mut xy.layers {
                    if let Layer::Line { label: Some(s), .. } = l {
                        *s = s.split(" (last").next().unwrap_or(s).to_string();
                    }
                }
                // One labelled series: the panel title says it all.
                let labelled = xy
                    .layers
                    .iter()
                    .filter(|l| matches!(l, Layer::Line { label: Some(_), .. }))
                    .count();
                if labelled == 1 {
                    for l in &mut xy.layers {
                        if let Layer::Line { label, .. } = l {
                            *label = None;
                        }
                    }
                }
                xy.hlines.iter_mut().for_each(|h| h.label.clear());
            }
            p
        })
        .collect();
    let cols = if panels.len() <= 4 {
        2
    } else if panels.len() <= 9 {
        3
    } else {
        4
    };
    let rows = panels.len().div_ceil(cols).max(1);
    Chart {
        id: "overview".into(),
        title: format!("Headline metrics — {}", run_tag(run)),
        subtitle: format!(
            "{} · x axis: {}",
            run_subtitle_tail(run),
            catalog::time_unit(run.step_days())
        ),
        note: Some(format!(
            "Colours: platform blue, incumbent vermillion, B2B green · {}",
            run.dir.display()
        )),
        body: Body::Multi { panels, cols },
        size: (cols as u32 * 480, rows as u32 * 330 + 110),
    }
}

/// "quick (seeds 1–5)".
pub fn sweep_tag(sweep: &SweepFolder) -> String {
    format!("{} ({})", sweep.manifest.scenario, sweep.seeds_label())
}

fn sweep_note(sweep: &SweepFolder) -> String {
    let m = &sweep.manifest;
    let failed = sweep.n_failed();
    let mut s = format!(
        "{} points × {} replications = {} runs",
        sweep.point_ids().len(),
        m.replications.max(1),
        sweep.rows().len()
    );
    if failed > 0 {
        s.push_str(&format!(" ({failed} failed, left out)"));
    }
    if !m.program_version.is_empty() {
        s.push_str(&format!(" · mindmarket {}", m.program_version));
    }
    s
}

/// What was drawn and what was skipped, for the user.
#[derive(Clone, Debug, Default)]
pub struct SweepCharts {
    /// The charts.
    pub charts: Vec<Chart>,
    /// Why some charts were not drawn.
    pub skipped: Vec<String>,
}

/// The summary metrics to draw: `selection` ∩ the sweep's metrics (an unknown name is an error),
/// or the defaults the sweep has (or its first four metrics).
pub fn sweep_metrics(
    sweep: &SweepFolder,
    selection: &[String],
) -> Result<(Vec<String>, Vec<String>)> {
    let metrics = &sweep.manifest.metrics;
    if selection.is_empty() {
        let mut m: Vec<String> = DEFAULT_SWEEP_METRICS
            .iter()
            .filter(|d| metrics.iter().any(|x| x == *d))
            .map(|s| s.to_string())
            .collect();
        if m.is_empty() {
            m = metrics.iter().take(4).cloned().collect();
        }
        let cols = DEFAULT_FAN_COLUMNS.iter().map(|s| s.to_string()).collect();
        return Ok((m, cols));
    }
    let (mut m, mut cols) = (Vec::new(), Vec::new());
    let step_cols = sweep.step_columns().unwrap_or_default();
    for name in selection {
        if name == "all" {
            m.extend(metrics.iter().cloned());
        } else if metrics.contains(name) {
            m.push(name.clone());
        } else if let Some(h) = catalog::headline(name) {
            // A headline chart's platform series (its first series otherwise).
            let s = h
                .series
                .iter()
                .find(|s| s.role == catalog::Role::Platform)
                .unwrap_or(&h.series[0]);
            cols.push(s.source.column().to_string());
        } else if step_cols.contains(name) {
            cols.push(name.clone());
        } else {
            return Err(Error::Unknown {
                message: format!(
                    "unknown metric `{name}` for the sweep in {}: summary metrics are {}; step columns (fan charts) need steps/",
                    sweep.dir.display(),
                    metrics.join(", ")
                ),
            });
        }
    }
    Ok((m, cols))
}

/// All charts of a sweep folder.
pub fn sweep_charts(sweep: &SweepFolder, selection: &[String]) -> Result<SweepCharts> {
    let (metrics, fan_cols) = sweep_metrics(sweep, selection)?;
    let mut out = SweepCharts::default();
    if sweep.ok_rows().next().is_none() {
        out.skipped.push(format!(
            "{}: no finished runs, nothing to plot",
            sweep.dir.display()
        ));
        return Ok(out);
    }
    // Fan charts.
    if !fan_cols.is_empty() {
        if sweep.has_steps() {
            for col in &fan_cols {
                match fan_chart(sweep, col) {
                    Ok(c) => out.charts.push(c),
                    Err(e) => out.skipped.push(format!("fan chart of `{col}`: {e}")),
                }
            }
        } else {
            out.skipped.push(format!(
                "fan charts: {} has no steps/ series (run the sweep with step output kept to get them)",
                sweep.dir.display()
            ));
        }
    }
    // Response curves, heatmaps, distributions.
    let pairs = grid::grid_pairs(sweep);
    for m in &metrics {
        for p in &sweep.manifest.parameters {
            if sweep
                .param_levels(p)
                .iter()
                .filter(|l| l.1.is_some())
                .count()
                >= 2
            {
                out.charts.push(response_chart(sweep, m, p)?);
            }
        }
        for (px, py) in pairs.iter().take(3) {
            out.charts.push(heatmap_chart(sweep, m, px, py)?);
        }
        match distribution_chart(sweep, m) {
            Ok(c) => out.charts.push(c),
            Err(e) => out.skipped.push(format!("distribution of `{m}`: {e}")),
        }
    }
    if sweep.manifest.parameters.is_empty() {
        out.skipped
            .push("response curves and heatmaps: the sweep has no parameters".into());
    } else if pairs.is_empty() && sweep.manifest.parameters.len() >= 2 {
        out.skipped
            .push("heatmaps: no two parameters form a full grid (random or Sobol designs)".into());
    }
    // Sensitivity indices.
    match &sweep.sensitivity {
        Some(s) => {
            let smetrics = s.metrics();
            let chosen: Vec<&String> = if selection.is_empty() {
                smetrics.iter().collect()
            } else {
                smetrics.iter().filter(|m| metrics.contains(m)).collect()
            };
            for m in chosen {
                out.charts.push(sensitivity_chart(sweep, s, m));
            }
        }
        None => out
            .skipped
            .push("sensitivity bars: no sensitivity.csv in the sweep".into()),
    }
    Ok(out)
}

/// Fan chart of a step column: median and 10–90 % band across replications, per point (overlaid
/// for up to 5 points, small multiples of up to 12 otherwise).
pub fn fan_chart(sweep: &SweepFolder, column: &str) -> Result<Chart> {
    let info = catalog::describe(column);
    let points = sweep.point_ids();
    // Two bands overlaid still read; more turn to mud: small multiples then.
    let overlay = points.len() <= 2;
    let shown: Vec<u64> = points
        .iter()
        .copied()
        .take(if overlay { 2 } else { 12 })
        .collect();
    let mut layers_by_point = Vec::new();
    let mut n_runs = 0;
    for (k, &pt) in shown.iter().enumerate() {
        let ps = sweep.point_series(pt, column)?;
        let (steps, series) = (ps.steps, ps.runs);
        n_runs = n_runs.max(series.len());
        let b = stats::band(&series);
        let color = if overlay {
            theme::series_color(k)
        } else {
            BLUE
        };
        let label = if points.len() == 1 {
            "median".to_string()
        } else {
            sweep.point_label(pt)
        };
        layers_by_point.push((
            pt,
            vec![
                Layer::Band {
                    label: None,
                    color,
                    xs: steps.clone(),
                    lo: b.iter().map(|x| x.0).collect(),
                    hi: b.iter().map(|x| x.2).collect(),
                },
                Layer::line(
                    label,
                    color,
                    steps.iter().copied().zip(b.iter().map(|x| x.1)).collect(),
                ),
            ],
        ));
    }
    // Panels share one y range, so that their heights compare.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, layers) in &layers_by_point {
        if let Some(Layer::Band { lo: l, hi: h, .. }) = layers.first() {
            for v in l.iter().chain(h).filter(|v| v.is_finite()) {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
        }
    }
    let zero_based = info.format == NumFormat::Percent || !column.contains("price");
    let shared = (!overlay && lo.is_finite()).then(|| {
        let lo = if zero_based { lo.min(0.0) } else { lo };
        let (a, b, _, _) = fmt::nice_ticks(lo, hi, 4, true);
        (a, b)
    });
    let xy = |layers: Vec<Layer>| XyPlot {
        x_label: "step".into(),
        y_unit: info.unit.clone(),
        y_format: Some(info.format),
        zero_based,
        y_range: shared,
        layers,
        ..XyPlot::default()
    };
    let title = format!("{} across replications — {}", info.label, sweep_tag(sweep));
    let note = if overlay {
        format!(
            "Line: median; band: 10–90% of {n_runs} replications per point · {}",
            sweep_note(sweep)
        )
    } else {
        format!(
            "Line: median; band: 10–90% of {n_runs} replications; grey: the other points' medians · {}",
            sweep_note(sweep)
        )
    };
    if overlay {
        Ok(Chart {
            id: format!("fan_{}", slug(column)),
            title,
            subtitle: format!("Column `{column}` of each run's steps, by design point."),
            note: Some(note),
            body: Body::Xy(xy(layers_by_point
                .into_iter()
                .flat_map(|(_, l)| l)
                .collect())),
            size: FULL_SIZE,
        })
    } else {
        // A 2-D grid reads best with one column per level of its second parameter.
        let params = &sweep.manifest.parameters;
        let cols = match (
            params.len(),
            grid::grid_pairs(sweep).is_empty(),
            shown.len(),
        ) {
            (2, false, _) => sweep.param_levels(&params[1]).len().clamp(2, 4),
            (_, _, 0..=4) => 2,
            (_, _, 5..=9) => 3,
            _ => 4,
        };
        // Each panel shows the other points' medians in light grey, for comparison.
        let medians: Vec<(u64, Vec<(f64, f64)>)> = layers_by_point
            .iter()
            .filter_map(|(pt, l)| match l.get(1) {
                Some(Layer::Line { points, .. }) => Some((*pt, points.clone())),
                _ => None,
            })
            .collect();
        let panels: Vec<Chart> = layers_by_point
            .into_iter()
            .map(|(pt, mut layers)| {
                if let Some(Layer::Line { label, .. }) = layers.get_mut(1) {
                    *label = None;
                }
                let context =
                    medians
                        .iter()
                        .filter(|(q, _)| *q != pt)
                        .map(|(_, pts)| Layer::Line {
                            label: None,
                            color: theme::lighten(theme::INK, 0.78),
                            points: pts.clone(),
                            width: 1,
                            markers: false,
                            step: false,
                        });
                let layers: Vec<Layer> = context.chain(layers).collect();
                Chart {
                    id: format!("p{pt}"),
                    title: sweep.point_label(pt),
                    subtitle: String::new(),
                    note: None,
                    body: Body::Xy(xy(layers)),
                    size: FULL_SIZE,
                }
            })
            .collect();
        let rows = panels.len().div_ceil(cols);
        Ok(Chart {
            id: format!("fan_{}", slug(column)),
            title,
            subtitle: if panels.len() == points.len() {
                format!("Column `{column}`, one panel per design point; panels share the y axis.")
            } else {
                format!(
                    "Column `{column}`, one panel per design point (the first {} of {}); panels share the y axis.",
                    panels.len(),
                    points.len()
                )
            },
            note: Some(note),
            body: Body::Multi { panels, cols },
            size: ((cols as u32 * 440).max(1200), rows as u32 * 300 + 120),
        })
    }
}

/// Response curve of a summary metric against one parameter: the mean per level with its 95 %
/// bootstrap interval; one line per level of the other parameter of a 2-D grid, markers only for
/// other designs.
pub fn response_chart(sweep: &SweepFolder, metric: &str, param: &str) -> Result<Chart> {
    let info = catalog::describe(metric);
    let vals = sweep.metric(metric)?;
    let params = &sweep.manifest.parameters;
    let others: Vec<&String> = params.iter().filter(|p| *p != param).collect();
    // Group by (level of the other parameter if the design is a 2-D grid) and level of `param`.
    let grid_other = if others.len() == 1
        && grid::grid_pairs(sweep)
            .iter()
            .any(|(a, b)| a == param || b == param)
    {
        Some(others[0].clone())
    } else {
        None
    };
    let lines_possible = others.is_empty() || grid_other.is_some();
    // (label of the line, [(x, values at x)]).
    type Group = (String, Vec<(f64, Vec<f64>)>);
    let mut groups: Vec<Group> = Vec::new();
    for (i, v) in vals {
        let Some(x) = sweep.param_num(param, i) else {
            continue;
        };
        let key = match &grid_other {
            Some(o) => catalog::param_value_label(o, &sweep.param_text(o, i)),
            None if lines_possible => String::new(),
            None => format!("point {}", sweep.rows()[i].point_id),
        };
        let g = match groups.iter().position(|g| g.0 == key) {
            Some(j) => j,
            None => {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        match groups[g]
            .1
            .iter_mut()
            .find(|(lx, _)| (*lx - x).abs() <= 1e-12 * x.abs().max(1e-300))
        {
            Some((_, list)) => list.push(v),
            None => groups[g].1.push((x, vec![v])),
        }
    }
    if let Some(o) = &grid_other {
        let levels = sweep.param_levels(o);
        groups.sort_by_key(|g| {
            levels
                .iter()
                .position(|l| g.0 == catalog::param_value_label(o, &l.0))
                .unwrap_or(usize::MAX)
        });
    }
    let n_missing = vals_missing(sweep, metric)?;
    let mut layers = Vec::new();
    let multi = groups.len() > 1 && lines_possible;
    for (k, (label, mut pts)) in groups.into_iter().enumerate() {
        // A group with no finite value (e.g. never reached the threshold) has nothing to draw.
        if pts.iter().all(|(_, v)| v.iter().all(|x| !x.is_finite())) {
            continue;
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let color = if multi { theme::series_color(k) } else { BLUE };
        let means: Vec<(f64, f64)> = pts
            .iter()
            .map(|(x, v)| (*x, stats::mean(v).unwrap_or(f64::NAN)))
            .collect();
        let cis: Vec<Option<stats::Ci>> = pts.iter().map(|(_, v)| stats::ci95(v)).collect();
        if !multi && lines_possible {
            layers.push(Layer::Band {
                label: Some("95% interval of the mean".into()),
                color,
                xs: pts.iter().map(|p| p.0).collect(),
                lo: cis
                    .iter()
                    .zip(&means)
                    .map(|(c, m)| c.map_or(m.1, |c| c.lo))
                    .collect(),
                hi: cis
                    .iter()
                    .zip(&means)
                    .map(|(c, m)| c.map_or(m.1, |c| c.hi))
                    .collect(),
            });
        }
        layers.push(Layer::ErrorBars {
            color,
            bars: pts
                .iter()
                .zip(&cis)
                .filter_map(|((x, _), c)| c.map(|c| (*x, c.lo, c.hi)))
                .collect(),
        });
        layers.push(Layer::Line {
            label: Some(if label.is_empty() {
                "mean across replications".into()
            } else {
                label
            }),
            color,
            points: means,
            width: if lines_possible { 0 } else { 1 },
            markers: true,
            step: false,
        });
        if !lines_possible && let Some(Layer::Line { label, width, .. }) = layers.last_mut() {
            *label = if k == 0 {
                Some("one design point (mean)".into())
            } else {
                None
            };
            *width = 0;
        }
    }
    if !lines_possible {
        // Markers only: hide the connecting lines by drawing each point as its own line.
        layers = layers
            .into_iter()
            .flat_map(|l| match l {
                Layer::Line {
                    label,
                    color,
                    points,
                    markers,
                    ..
                } => points
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| Layer::Line {
                        label: if i == 0 { label.clone() } else { None },
                        color,
                        points: vec![p],
                        width: 0,
                        markers,
                        step: false,
                    })
                    .collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect();
    }
    let reps = sweep.manifest.replications.max(1);
    let levels: Vec<f64> = sweep
        .param_levels(param)
        .iter()
        .filter_map(|l| l.1)
        .collect();
    // Levels spanning two or more orders of magnitude read on a log axis.
    let x_log = levels.len() >= 2
        && levels.iter().all(|&v| v > 0.0)
        && levels.iter().fold(0.0f64, |a, &b| a.max(b))
            / levels.iter().fold(f64::INFINITY, |a, &b| a.min(b))
            >= 100.0;
    let missing = if n_missing > 0 {
        format!(
            " Runs without a value (never reached) are left out: {n_missing} of {}.",
            sweep.ok_rows().count()
        )
    } else {
        String::new()
    };
    Ok(Chart {
        id: format!(
            "response_{}_vs_{}",
            slug(metric),
            slug(catalog::param_id(param))
        ),
        title: format!(
            "{} vs {} — {}",
            info.label,
            catalog::param_label(param),
            sweep_tag(sweep)
        ),
        subtitle: if reps < 2 {
            format!(
                "One run per design point at each value of `{param}` (no replications: no intervals).{missing}"
            )
        } else if lines_possible {
            format!(
                "Mean across {reps} replications at each value of `{param}`, with 95% bootstrap intervals.{missing}"
            )
        } else {
            format!(
                "Each marker: one design point's mean over {reps} replications, with its 95% interval; the other parameters vary too.{missing}"
            )
        },
        note: Some(sweep_note(sweep)),
        body: Body::Xy(XyPlot {
            x_label: if x_log {
                format!("{param} (log scale)")
            } else {
                param.to_string()
            },
            y_unit: info.unit.clone(),
            y_format: Some(info.format),
            zero_based: info.format == NumFormat::Percent,
            x_ticks: (levels.len() <= 10).then_some(levels),
            x_log,
            layers,
            hlines: if info.format == NumFormat::Percent && metric.contains("share") {
                vec![RefLine {
                    at: 0.5,
                    label: "tipping line (50%)".into(),
                }]
            } else {
                vec![]
            },
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    })
}

/// Finished runs whose `metric` is missing (NaN: e.g. a threshold never reached).
fn vals_missing(sweep: &SweepFolder, metric: &str) -> Result<usize> {
    Ok(sweep
        .metric(metric)?
        .iter()
        .filter(|(_, v)| !v.is_finite())
        .count())
}

/// Heatmap of a summary metric over two parameters (mean over replications and other
/// parameters); share metrics get the tipping frontier at 50 %.
pub fn heatmap_chart(sweep: &SweepFolder, metric: &str, px: &str, py: &str) -> Result<Chart> {
    let g = grid::grid2(sweep, metric, px, py)?;
    let info = catalog::describe(metric);
    let values: Vec<Vec<f64>> = g.mean.rows().into_iter().map(|r| r.to_vec()).collect();
    let share = info.format == NumFormat::Percent && metric.contains("share");
    let reps = sweep.manifest.replications.max(1);
    let across = catalog::capitalize(&format!(
        "{} (x) × {} (y); mean across {reps} replications per cell",
        catalog::param_label(px),
        catalog::param_label(py)
    ));
    let any_tipped = g.mean.iter().any(|v| v.is_finite() && *v >= 0.5);
    Ok(Chart {
        id: format!(
            "heatmap_{}_{}_x_{}",
            slug(metric),
            slug(catalog::param_id(px)),
            slug(catalog::param_id(py))
        ),
        title: format!("{} — {}", info.label, sweep_tag(sweep)),
        subtitle: if share && any_tipped {
            format!(
                "{across}; the black line encloses the cells where the platform ends at ≥ 50% (tipped)."
            )
        } else if share {
            format!("{across}; the platform stays below 50% in every cell.")
        } else {
            format!("{across}.")
        },
        note: Some(sweep_note(sweep)),
        body: Body::Heatmap(Heatmap {
            x_label: px.to_string(),
            y_label: py.to_string(),
            x_levels: g.xs.iter().map(|l| l.0.clone()).collect(),
            y_levels: g.ys.iter().map(|l| l.0.clone()).collect(),
            values,
            format: info.format,
            unit: if info.unit.is_empty() {
                info.label.clone()
            } else {
                info.unit.clone()
            },
            range: None,
            threshold: share.then(|| (0.5, "50%".to_string())),
        }),
        size: FULL_SIZE,
    })
}

/// Distribution of a summary metric across seeds: ECDF per point (up to 6 points), otherwise a
/// histogram of all runs.
pub fn distribution_chart(sweep: &SweepFolder, metric: &str) -> Result<Chart> {
    let info = catalog::describe(metric);
    let by_point = sweep.metric_by_point(metric)?;
    let tag = sweep_tag(sweep);
    if by_point.len() <= 6 {
        let mut layers = Vec::new();
        for (k, (pt, vals)) in by_point.iter().enumerate() {
            let mut v = stats::finite(vals);
            v.sort_by(f64::total_cmp);
            let n = v.len() as f64;
            let mut pts = Vec::with_capacity(v.len() + 1);
            if let Some(&first) = v.first() {
                pts.push((first, 0.0));
            }
            pts.extend(v.iter().enumerate().map(|(i, &x)| (x, (i + 1) as f64 / n)));
            let label = if by_point.len() == 1 {
                format!("{} runs", v.len())
            } else {
                sweep.point_label(*pt)
            };
            layers.push(Layer::Line {
                label: Some(label),
                color: theme::series_color(k),
                points: pts,
                width: 0,
                markers: false,
                step: true,
            });
        }
        return Ok(Chart {
            id: format!("ecdf_{}", slug(metric)),
            title: format!("{} across seeds — {tag}", info.label),
            subtitle: "Empirical CDF: share of replications at or below each value.".into(),
            note: Some(sweep_note(sweep)),
            body: Body::Xy(XyPlot {
                x_label: if info.unit.is_empty() {
                    info.label.clone()
                } else {
                    format!("{} ({})", info.label, info.unit)
                },
                y_unit: "share of replications".into(),
                x_range: (info.format == NumFormat::Percent).then(|| {
                    let hi = by_point
                        .iter()
                        .flat_map(|(_, v)| stats::finite(v))
                        .fold(0.0f64, f64::max);
                    (0.0, if hi > 0.0 { hi } else { 1.0 })
                }),
                x_format: Some(info.format),
                y_format: Some(NumFormat::Percent),
                y_range: Some((0.0, 1.0)),
                zero_based: true,
                layers,
                ..XyPlot::default()
            }),
            size: FULL_SIZE,
        });
    }
    let all: Vec<f64> = by_point
        .iter()
        .flat_map(|(_, v)| stats::finite(v))
        .collect();
    if all.is_empty() {
        return Err(Error::NoData(format!(
            "{}: no finished run has a value of `{metric}`",
            sweep.dir.display()
        )));
    }
    let (lo, hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let nb = ((all.len() as f64).sqrt().ceil() as usize).clamp(5, 30);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    let wbin = (hi - lo) / nb as f64;
    let mut counts = vec![0usize; nb];
    for x in &all {
        counts[(((x - lo) / wbin) as usize).min(nb - 1)] += 1;
    }
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (lo + i as f64 * wbin, lo + (i + 1) as f64 * wbin, c as f64))
        .collect();
    Ok(Chart {
        id: format!("hist_{}", slug(metric)),
        title: format!("{} across all runs — {tag}", info.label),
        subtitle: format!(
            "Histogram of {} finished runs over {} design points.",
            all.len(),
            by_point.len()
        ),
        note: Some(sweep_note(sweep)),
        body: Body::Xy(XyPlot {
            x_label: if info.unit.is_empty() {
                info.label.clone()
            } else {
                format!("{} ({})", info.label, info.unit)
            },
            y_unit: "runs".into(),
            x_format: Some(info.format),
            zero_based: true,
            layers: vec![Layer::Bars {
                label: None,
                color: BLUE,
                bars,
            }],
            ..XyPlot::default()
        }),
        size: FULL_SIZE,
    })
}

/// Sobol (S1, ST with intervals) or Morris (μ*, σ) bars of one metric.
pub fn sensitivity_chart(sweep: &SweepFolder, s: &Sensitivity, metric: &str) -> Chart {
    let info = catalog::describe(metric);
    let tag = sweep_tag(sweep);
    let (categories, series, x_label, subtitle, range) = match s {
        Sensitivity::Sobol(rows) => {
            let mut rows: Vec<_> = rows.iter().filter(|r| r.metric == metric).collect();
            rows.sort_by(|a, b| b.st.0.total_cmp(&a.st.0));
            (
                rows.iter().map(|r| r.parameter.clone()).collect::<Vec<_>>(),
                vec![
                    BarSeries {
                        label: "first order S1 (alone)".into(),
                        color: BLUE,
                        values: rows
                            .iter()
                            .map(|r| (r.s1.0, Some((r.s1.1, r.s1.2))))
                            .collect(),
                    },
                    BarSeries {
                        label: "total ST (with interactions)".into(),
                        color: ORANGE,
                        values: rows
                            .iter()
                            .map(|r| (r.st.0, Some((r.st.1, r.st.2))))
                            .collect(),
                    },
                ],
                "share of the metric's variance".to_string(),
                "Sobol indices with their confidence intervals, parameters sorted by total effect."
                    .to_string(),
                Some((0.0, 1.0)),
            )
        }
        Sensitivity::Morris(rows) => {
            let mut rows: Vec<_> = rows.iter().filter(|r| r.metric == metric).collect();
            rows.sort_by(|a, b| b.mu_star.total_cmp(&a.mu_star));
            (
                rows.iter().map(|r| r.parameter.clone()).collect::<Vec<_>>(),
                vec![
                    BarSeries {
                        label: "μ* (mean |effect|)".into(),
                        color: BLUE,
                        values: rows.iter().map(|r| (r.mu_star, None)).collect(),
                    },
                    BarSeries {
                        label: "σ (non-linearity, interactions)".into(),
                        color: VERMILLION,
                        values: rows.iter().map(|r| (r.sigma, None)).collect(),
                    },
                ],
                match info.format {
                    NumFormat::Number if !info.unit.is_empty() => {
                        format!("elementary effect ({})", info.unit)
                    }
                    NumFormat::Number => "elementary effect (metric units)".to_string(),
                    _ => "elementary effect (change in the share, as a fraction)".to_string(),
                },
                "Morris screening: parameters sorted by μ*.".to_string(),
                None,
            )
        }
    };
    let h = (categories.len() as u32 * 64 + 260).clamp(420, 1400);
    Chart {
        id: format!("sensitivity_{}", slug(metric)),
        title: format!("What drives {} — {tag}", catalog::lower_first(&info.label)),
        subtitle,
        note: Some(sweep_note(sweep)),
        body: Body::HBars(HBars {
            categories,
            series,
            x_label,
            x_range: range,
        }),
        size: (1200, h),
    }
}
