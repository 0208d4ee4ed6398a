//! x–y plots: time series, fan charts (bands with a median), response curves with intervals,
//! ECDFs and histograms. Ranges and ticks are computed here: nice tick steps, as many ticks as the
//! frame has room for, labels with one suffix and one precision per axis.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, AxisText, Frame, LegendItem, Swatch};
use super::theme::{Style, TEXT};
use super::{Chart, DResult, Layer, XyPlot};
use crate::fmt::{self, NumFormat, TickFormat};

fn legend(p: &XyPlot) -> Vec<LegendItem> {
    let mut out: Vec<LegendItem> = Vec::new();
    for l in &p.layers {
        let item = match l {
            Layer::Line {
                label: Some(s),
                color,
                ..
            } => Some(LegendItem {
                label: s.clone(),
                swatch: Swatch::Line(*color),
            }),
            Layer::Band {
                label: Some(s),
                color,
                ..
            } => Some(LegendItem {
                label: s.clone(),
                swatch: Swatch::Band(*color),
            }),
            Layer::Bars {
                label: Some(s),
                color,
                ..
            } => Some(LegendItem {
                label: s.clone(),
                swatch: Swatch::Box(*color),
            }),
            _ => None,
        };
        if let Some(it) = item
            && !out.iter().any(|o| o.label == it.label)
        {
            out.push(it);
        }
    }
    out
}

/// Data extents after the y transform (log10 on a log axis).
fn extents(p: &XyPlot) -> ((f64, f64), (f64, f64)) {
    let ty = |y: f64| {
        if p.y_log {
            if y > 0.0 { y.log10() } else { f64::NAN }
        } else {
            y
        }
    };
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    let mut add = |x: f64, y: f64| {
        if x.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
        }
        let y = ty(y);
        if y.is_finite() && x.is_finite() {
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    };
    for l in &p.layers {
        match l {
            Layer::Line { points, .. } => points.iter().for_each(|&(x, y)| add(x, y)),
            Layer::Band { xs, lo, hi, .. } => {
                for i in 0..xs.len() {
                    add(xs[i], lo[i]);
                    add(xs[i], hi[i]);
                }
            }
            Layer::ErrorBars { bars, .. } => bars.iter().for_each(|&(x, lo, hi)| {
                add(x, lo);
                add(x, hi);
            }),
            Layer::Bars { bars, .. } => bars.iter().for_each(|&(a, b, h)| {
                add(a, h);
                add(b, 0.0);
            }),
        }
    }
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    ((x0, x1), (y0, y1))
}

/// Ticks of a log axis over [lo, hi] (in log10 units): decades, plus 2× and 5× when the span is
/// short; the range is widened to the outer ticks.
fn log_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<(f64, String)>) {
    let (a, b) = (lo.floor(), hi.ceil().max(lo.floor() + 1.0));
    let decades = (b - a) as i32;
    let mults: &[f64] = if decades <= 2 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for d in a as i32..=b as i32 {
        for m in mults {
            let v = m * 10f64.powi(d);
            let l = v.log10();
            if l >= a - 1e-9 && l <= b + 1e-9 {
                ticks.push((l, fmt::compact(v, 2)));
            }
        }
    }
    // Tighten to the ticks nearest outside the data when that drops empty decades' halves.
    let lo_t = ticks
        .iter()
        .map(|t| t.0)
        .filter(|&t| t <= lo + 1e-9)
        .fold(a, f64::max);
    let hi_t = ticks
        .iter()
        .map(|t| t.0)
        .filter(|&t| t >= hi - 1e-9)
        .fold(b, f64::min);
    ticks.retain(|t| t.0 >= lo_t - 1e-9 && t.0 <= hi_t + 1e-9);
    (lo_t, hi_t, ticks)
}

/// y ticks for the frame height: (range, labelled ticks).
fn y_axis(
    p: &XyPlot,
    (d0, d1): (f64, f64),
    plot_h: i32,
    style: &Style,
) -> ((f64, f64), Vec<(f64, String)>) {
    let target = ((plot_h as f64 / (style.tick * 5.0)) as usize).clamp(3, 8);
    if p.y_log {
        let (a, b, t) = log_ticks(d0, d1);
        return ((a, b), t);
    }
    let format = p.y_format.unwrap_or(NumFormat::Number);
    let (mut lo, mut hi) = (d0, d1);
    if p.zero_based {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let (a, b, ticks, step) = match p.y_range {
        Some((a, b)) => {
            let (_, _, t, s) = fmt::nice_ticks(a, b, target, false);
            (a, b, t, s)
        }
        None => {
            let (a, b, t, s) = fmt::nice_ticks(lo, hi, target, true);
            // Keep zero as the floor of a non-negative quantity.
            if p.zero_based && lo >= 0.0 {
                (
                    a.max(0.0),
                    b,
                    t.into_iter().filter(|&v| v >= 0.0).collect(),
                    s,
                )
            } else {
                (a, b, t, s)
            }
        }
    };
    let max_abs = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tf = TickFormat::new(format, step, max_abs);
    (
        (a, b),
        ticks.into_iter().map(|v| (v, tf.format(v))).collect(),
    )
}

/// The plot with every x replaced by log10(x) (non-positive x become NaN).
fn log_x(p: &XyPlot) -> XyPlot {
    let t = |x: f64| if x > 0.0 { x.log10() } else { f64::NAN };
    let mut q = p.clone();
    for l in &mut q.layers {
        match l {
            Layer::Line { points, .. } => points.iter_mut().for_each(|pt| pt.0 = t(pt.0)),
            Layer::Band { xs, .. } => xs.iter_mut().for_each(|x| *x = t(*x)),
            Layer::ErrorBars { bars, .. } => bars.iter_mut().for_each(|b| b.0 = t(b.0)),
            Layer::Bars { bars, .. } => bars.iter_mut().for_each(|b| {
                b.0 = t(b.0);
                b.1 = t(b.1);
            }),
        }
    }
    q.x_ticks = p
        .x_ticks
        .as_ref()
        .map(|v| v.iter().map(|&x| t(x)).filter(|x| x.is_finite()).collect());
    q.x_range = p.x_range.map(|(a, b)| (t(a), t(b)));
    q.vlines.iter_mut().for_each(|r| r.at = t(r.at));
    q
}

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    p: &XyPlot,
    area: &DrawingArea<DB, Shift>,
    style: &Style,
) -> DResult {
    let logged;
    let p = if p.x_log {
        logged = log_x(p);
        &logged
    } else {
        p
    };
    let top = draw::header(area, &chart.title, &chart.subtitle, &legend(p), style)?;
    let note_h = draw::note(area, chart.note.as_deref(), style)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let ((mut x0, mut x1), ydata) = extents(p);
    if let Some((a, b)) = p.x_range {
        (x0, x1) = (a, b);
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 0.5, x1 + 0.5);
    }
    let frame_top = top + draw::unit_height(style, !p.y_unit.is_empty());
    let frame_bottom = h - note_h - draw::x_axis_height(style, !p.x_label.is_empty());
    let ((y0, y1), y_ticks) = y_axis(p, ydata, frame_bottom - frame_top, style);
    let label_w = y_ticks
        .iter()
        .map(|(_, l)| draw::width(area, l, style.tick))
        .max()
        .unwrap_or(0);
    let left = style.pad + label_w + style.px(10.0);
    let right = w - style.pad - style.px(8.0);
    let mut f = Frame {
        left,
        top: frame_top,
        right,
        bottom: frame_bottom,
        x0,
        x1,
        y0,
        y1,
    };
    // Categorical x: integer positions with half a slot of room on either side.
    let x_ticks: Vec<(f64, String)> = if let Some(cats) = &p.x_categories {
        f.x0 = -0.5;
        f.x1 = cats.len() as f64 - 0.5;
        cats.iter()
            .enumerate()
            .map(|(i, c)| (i as f64, c.clone()))
            .collect()
    } else if let Some(levels) = p.x_ticks.as_ref().filter(|l| !l.is_empty()) {
        // Ticks at the design's levels, with room for markers at both ends.
        let pad = (x1 - x0) * 0.04;
        if p.x_range.is_none() {
            (f.x0, f.x1) = (x0 - pad, x1 + pad);
        }
        let show = |v: f64| {
            if p.x_log {
                fmt::compact(10f64.powf(v), 3)
            } else {
                fmt::compact(v, 4)
            }
        };
        levels.iter().map(|&v| (v, show(v))).collect()
    } else if p.x_log {
        log_ticks(x0, x1).2
    } else {
        let fmt_x = p.x_format.unwrap_or(NumFormat::Number);
        let widest = [x0, x1]
            .iter()
            .map(|&v| draw::width(area, &fmt::compact(v, 3), style.tick))
            .max()
            .unwrap_or(30);
        let target = (((right - left) / (widest + style.px(60.0)).max(1)) as usize).clamp(2, 10);
        let (_, _, t, step) = fmt::nice_ticks(x0, x1, target, false);
        let max_abs = t.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tf = TickFormat::new(fmt_x, step, max_abs);
        t.into_iter().map(|v| (v, tf.format(v))).collect()
    };
    let x_ticks = draw::thin_labels(area, x_ticks, |v| f.px(v), style.tick, style.px(12.0));
    draw::axes(
        area,
        &f,
        &AxisText {
            x_ticks: &x_ticks,
            y_ticks: &y_ticks,
            x_label: &p.x_label,
            y_unit: &p.y_unit,
            vertical_grid: false,
            zero_line: true,
        },
        style,
    )?;
    let ty = |y: f64| {
        if p.y_log {
            if y > 0.0 { y.log10() } else { f64::NAN }
        } else {
            y
        }
    };
    // Bands and bars first, lines over them, intervals and markers on top.
    for l in &p.layers {
        match l {
            Layer::Band {
                color, xs, lo, hi, ..
            } => {
                for seg in segments(xs.len(), |i| {
                    xs[i].is_finite() && ty(lo[i]).is_finite() && ty(hi[i]).is_finite()
                }) {
                    let mut pts: Vec<(i32, i32)> = seg
                        .clone()
                        .map(|i| (f.px(xs[i]), f.py(ty(hi[i]))))
                        .collect();
                    pts.extend(seg.rev().map(|i| (f.px(xs[i]), f.py(ty(lo[i])))));
                    area.draw(&Polygon::new(pts, color.mix(0.22).filled()))?;
                }
            }
            Layer::Bars { color, bars, .. } => {
                for &(a, b, v) in bars {
                    if !v.is_finite() {
                        continue;
                    }
                    let (xa, xb) = (f.px(a), f.px(b));
                    let base = f.py(ty(if p.y_log { 10f64.powf(f.y0) } else { 0.0 }));
                    let g = style.px(1.0);
                    area.draw(&Rectangle::new(
                        [(xa + g, f.py(ty(v))), ((xb - g).max(xa + g), base)],
                        color.filled(),
                    ))?;
                }
            }
            _ => {}
        }
    }
    // Reference lines are drawn only where the data are (they never stretch the axis).
    for r in p
        .hlines
        .iter()
        .filter(|r| ty(r.at) >= f.y0 && ty(r.at) <= f.y1)
    {
        draw::hline(area, &f, ty(r.at), &r.label, style)?;
    }
    for r in p.vlines.iter().filter(|r| r.at >= f.x0 && r.at <= f.x1) {
        draw::vline(area, &f, r.at, &r.label, style)?;
    }
    for l in &p.layers {
        if let Layer::Line {
            color,
            points,
            width,
            markers,
            step,
            ..
        } = l
        {
            let wd = if *width == 0 { style.line } else { *width };
            for seg in segments(points.len(), |i| {
                points[i].0.is_finite() && ty(points[i].1).is_finite()
            }) {
                let mut pts: Vec<(i32, i32)> = Vec::new();
                for i in seg.clone() {
                    let (x, y) = (f.px(points[i].0), f.py(ty(points[i].1)));
                    if *step && let Some(&(_, py)) = pts.last() {
                        pts.push((x, py));
                    }
                    pts.push((x, y));
                }
                area.draw(&PathElement::new(pts, color.stroke_width(wd)))?;
                if *markers {
                    for i in seg {
                        let c = (f.px(points[i].0), f.py(ty(points[i].1)));
                        area.draw(&Circle::new(c, wd as i32 + style.px(3.0), WHITE.filled()))?;
                        area.draw(&Circle::new(c, wd as i32 + style.px(2.0), color.filled()))?;
                    }
                }
            }
        }
    }
    for l in &p.layers {
        if let Layer::ErrorBars { color, bars } = l {
            for &(x, lo, hi) in bars {
                let (lo, hi) = (ty(lo), ty(hi));
                if !(x.is_finite() && lo.is_finite() && hi.is_finite()) {
                    continue;
                }
                let (px, a, b) = (f.px(x), f.py(lo), f.py(hi));
                let cap = style.px(6.0);
                let st = color.stroke_width(style.stroke(2.0));
                area.draw(&PathElement::new(vec![(px, a), (px, b)], st))?;
                area.draw(&PathElement::new(vec![(px - cap, a), (px + cap, a)], st))?;
                area.draw(&PathElement::new(vec![(px - cap, b), (px + cap, b)], st))?;
            }
        }
    }
    if p.layers.is_empty() {
        draw::text(
            area,
            "no data",
            ((f.left + f.right) / 2, (f.top + f.bottom) / 2),
            style.title,
            TEXT,
            HPos::Center,
            VPos::Center,
        )?;
    }
    Ok(())
}

/// Maximal runs of consecutive indices where `ok` holds.
fn segments(n: usize, ok: impl Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=n {
        let good = i < n && ok(i);
        match (good, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_on_gaps() {
        let v = [1.0, f64::NAN, 2.0, 3.0, f64::NAN];
        assert_eq!(segments(v.len(), |i| v[i].is_finite()), vec![0..1, 2..4]);
    }

    #[test]
    fn log_ticks_cover_decades() {
        let (a, b, t) = log_ticks(2.6, 4.9);
        assert_eq!((a, b), (2.0, 5.0));
        assert!(
            t.iter().any(|x| x.1 == "1k") && t.iter().any(|x| x.1 == "100k"),
            "{t:?}"
        );
    }
}
