//! Horizontal grouped bars with interval whiskers (Sobol indices with their intervals, Morris μ*
//! and σ): one group per category, category labels on the left (long key paths fit because the
//! labels are horizontal), the value written at the end of each bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, AxisText, Frame, LegendItem, Swatch};
use super::theme::{INK, MUTED, Style, TEXT};
use super::{Chart, DResult, HBars};
use crate::fmt::{self, NumFormat, TickFormat};

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    b: &HBars,
    area: &DrawingArea<DB, Shift>,
    style: &Style,
) -> DResult {
    let legend: Vec<LegendItem> = b
        .series
        .iter()
        .map(|s| LegendItem {
            label: s.label.clone(),
            swatch: Swatch::Box(s.color),
        })
        .collect();
    let top = draw::header(area, &chart.title, &chart.subtitle, &legend, style)?;
    let note_h = draw::note(area, chart.note.as_deref(), style)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let max_label = (w as f64 * 0.38) as i32;
    let labels: Vec<String> = b
        .categories
        .iter()
        .map(|c| draw::fit(area, c, style.tick, max_label))
        .collect();
    let label_w = labels
        .iter()
        .map(|l| draw::width(area, l, style.tick))
        .max()
        .unwrap_or(20);
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for s in &b.series {
        for (v, iv) in &s.values {
            for x in [Some(*v), iv.map(|i| i.0), iv.map(|i| i.1)]
                .into_iter()
                .flatten()
            {
                if x.is_finite() {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
        }
    }
    let (x0, x1, ticks, step) = match b.x_range {
        Some((a, c)) => fmt::nice_ticks(a.min(lo), c.max(hi), 5, true),
        None => fmt::nice_ticks(lo, if hi > lo { hi } else { lo + 1.0 }, 5, true),
    };
    let tf = TickFormat::new(
        NumFormat::Number,
        step,
        ticks.iter().fold(0.0f64, |m, v| m.max(v.abs())),
    );
    let x_ticks: Vec<(f64, String)> = ticks.iter().map(|&v| (v, tf.format(v))).collect();
    let f = Frame {
        left: style.pad + label_w + style.px(12.0),
        top: top + style.px(6.0),
        right: w - style.pad - style.px(50.0),
        bottom: h - note_h - draw::x_axis_height(style, !b.x_label.is_empty()),
        x0,
        x1,
        y0: 0.0,
        y1: b.categories.len().max(1) as f64,
    };
    let x_ticks = draw::thin_labels(area, x_ticks, |v| f.px(v), style.tick, style.px(12.0));
    draw::axes(
        area,
        &f,
        &AxisText {
            x_ticks: &x_ticks,
            y_ticks: &[],
            x_label: &b.x_label,
            y_unit: "",
            vertical_grid: true,
            zero_line: false,
        },
        style,
    )?;
    let n = b.categories.len().max(1);
    let group_h = (f.bottom - f.top) as f64 / n as f64;
    let ns = b.series.len().max(1);
    let bar_h = ((group_h * 0.75) / ns as f64).min(34.0 * style.scale);
    let zero = f.px(0.0);
    for (ci, label) in labels.iter().enumerate() {
        let gy = f.top as f64 + group_h * ci as f64;
        let gmid = (gy + group_h / 2.0) as i32;
        draw::text(
            area,
            label,
            (f.left - style.px(10.0), gmid),
            style.tick,
            TEXT,
            HPos::Right,
            VPos::Center,
        )?;
        let block = bar_h * ns as f64;
        let y_start = gy + (group_h - block) / 2.0;
        for (si, s) in b.series.iter().enumerate() {
            let Some(&(v, iv)) = s.values.get(ci) else {
                continue;
            };
            let ya = (y_start + bar_h * si as f64) as i32;
            let yb = (y_start + bar_h * (si + 1) as f64) as i32 - style.px(2.0);
            if v.is_finite() {
                area.draw(&Rectangle::new(
                    [(zero.min(f.px(v)), ya), (zero.max(f.px(v)), yb)],
                    s.color.filled(),
                ))?;
            }
            let mut end = if v.is_finite() {
                f.px(v.max(0.0))
            } else {
                zero
            };
            if let Some((l, u)) = iv
                && l.is_finite()
                && u.is_finite()
            {
                let ym = (ya + yb) / 2;
                let (pl, pu) = (f.px(l), f.px(u));
                let cap = ((yb - ya) / 3).max(style.px(3.0));
                let st = INK.stroke_width(style.stroke(2.0));
                area.draw(&PathElement::new(vec![(pl, ym), (pu, ym)], st))?;
                area.draw(&PathElement::new(vec![(pl, ym - cap), (pl, ym + cap)], st))?;
                area.draw(&PathElement::new(vec![(pu, ym - cap), (pu, ym + cap)], st))?;
                end = end.max(pu);
            }
            if v.is_finite() && (yb - ya) as f64 >= style.small * 0.9 {
                let s = fmt::compact(v, 2);
                draw::text(
                    area,
                    &s,
                    (end + style.px(6.0), (ya + yb) / 2),
                    style.small,
                    MUTED,
                    HPos::Left,
                    VPos::Center,
                )?;
            }
        }
    }
    area.draw(&PathElement::new(
        vec![(zero, f.top), (zero, f.bottom)],
        MUTED.stroke_width(style.stroke(1.0)),
    ))?;
    Ok(())
}
