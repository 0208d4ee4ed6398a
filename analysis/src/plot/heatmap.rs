//! Heatmaps: one cell per pair of parameter levels, coloured with viridis, the value written in the
//! cell when it fits, an optional frontier line between cells below and at-or-above a threshold
//! (the tipping frontier), and a colour bar with ticks.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, AxisText, Frame};
use super::theme::{self, INK, MUTED, NODATA, Style, TEXT};
use super::{Chart, DResult, Heatmap};
use crate::fmt::{self, NumFormat, TickFormat};

pub(super) fn draw<DB: DrawingBackend>(
    chart: &Chart,
    hm: &Heatmap,
    area: &DrawingArea<DB, Shift>,
    style: &Style,
) -> DResult {
    let top = draw::header(area, &chart.title, &chart.subtitle, &[], style)?;
    let note_h = draw::note(area, chart.note.as_deref(), style)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (nx, ny) = (hm.x_levels.len(), hm.y_levels.len());
    let finite: Vec<f64> = hm
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let (mut vmin, mut vmax) = hm.range.unwrap_or_else(|| {
        finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            })
    });
    if !vmin.is_finite() || !vmax.is_finite() {
        (vmin, vmax) = (0.0, 1.0);
    }
    if vmax <= vmin {
        vmax = vmin + if vmin == 0.0 { 1.0 } else { vmin.abs() * 0.1 };
    }
    // Colour bar ticks first: their labels decide the bar's width. Without a fixed range, the
    // scale runs between the nice numbers around the data.
    if hm.range.is_none() {
        let (a, b, _, _) = fmt::nice_ticks(vmin, vmax, 5, true);
        (vmin, vmax) = (a, b);
    }
    let (_, _, cticks, cstep) = fmt::nice_ticks(vmin, vmax, 5, false);
    let cticks = if cticks.len() < 2 {
        vec![vmin, vmax]
    } else {
        cticks
    };
    let cmax = cticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let ctf = TickFormat::new(hm.format, cstep, cmax);
    let clabels: Vec<(f64, String)> = cticks.iter().map(|&v| (v, ctf.format(v))).collect();
    let cbar_label_w = clabels
        .iter()
        .map(|(_, l)| draw::width(area, l, style.tick))
        .max()
        .unwrap_or(20);
    let cbar_w = style.px(18.0);
    let cbar_total = style.px(24.0) + cbar_w + style.px(8.0) + cbar_label_w + style.pad;
    let ylab_w = hm
        .y_levels
        .iter()
        .map(|l| draw::width(area, l, style.tick))
        .max()
        .unwrap_or(20);
    let frame_top = top + draw::unit_height(style, true);
    let frame_bottom = h - note_h - draw::x_axis_height(style, !hm.x_label.is_empty());
    let f = Frame {
        left: style.pad + ylab_w + style.px(10.0),
        top: frame_top,
        right: w - cbar_total,
        bottom: frame_bottom,
        x0: -0.5,
        x1: nx as f64 - 0.5,
        y0: -0.5,
        y1: ny as f64 - 0.5,
    };
    let x_ticks: Vec<(f64, String)> = hm
        .x_levels
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, l.clone()))
        .collect();
    let x_ticks = draw::thin_labels(area, x_ticks, |v| f.px(v), style.tick, style.px(10.0));
    let y_ticks: Vec<(f64, String)> = hm
        .y_levels
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, l.clone()))
        .collect();
    let row_h = ((f.bottom - f.top) as f64 / ny.max(1) as f64) as i32;
    let y_ticks = if row_h < draw::line_h(style.tick) {
        let k = (draw::line_h(style.tick) as f64 / row_h.max(1) as f64).ceil() as usize;
        y_ticks.into_iter().step_by(k.max(1)).collect()
    } else {
        y_ticks
    };
    // Cells.
    let t = |v: f64| (v - vmin) / (vmax - vmin);
    for (iy, row) in hm.values.iter().enumerate().take(ny) {
        for (ix, &v) in row.iter().enumerate().take(nx) {
            let (xa, xb) = (f.px(ix as f64 - 0.5), f.px(ix as f64 + 0.5));
            let (ya, yb) = (f.py(iy as f64 + 0.5), f.py(iy as f64 - 0.5));
            let c = if v.is_finite() {
                theme::viridis(t(v))
            } else {
                NODATA
            };
            let g = style.px(1.0);
            area.draw(&Rectangle::new(
                [(xa + g, ya + g), (xb - g, yb - g)],
                c.filled(),
            ))?;
            if v.is_finite() {
                let s = fmt::value(v, hm.format);
                let s = if hm.format == NumFormat::Percent && v.abs() >= 0.1 {
                    format!("{:.0}%", v * 100.0)
                } else {
                    s
                };
                let tw = draw::width(area, &s, style.tick);
                if tw + style.px(6.0) <= xb - xa && draw::line_h(style.tick) <= yb - ya {
                    let tc = if theme::luminance(c) < 0.45 {
                        WHITE
                    } else {
                        INK
                    };
                    draw::text(
                        area,
                        &s,
                        ((xa + xb) / 2, (ya + yb) / 2),
                        style.tick,
                        tc,
                        HPos::Center,
                        VPos::Center,
                    )?;
                }
            }
        }
    }
    // Frontier between cells below and at-or-above the threshold.
    if let Some((thr, _)) = &hm.threshold {
        let above = |iy: usize, ix: usize| {
            hm.values
                .get(iy)
                .and_then(|r| r.get(ix))
                .map(|&v| v.is_finite() && v >= *thr)
        };
        let edge = |pts: Vec<(i32, i32)>| {
            area.draw(&PathElement::new(
                pts,
                WHITE.stroke_width(style.stroke(7.0)),
            ))
        };
        let edge_in = |pts: Vec<(i32, i32)>| {
            area.draw(&PathElement::new(pts, INK.stroke_width(style.stroke(4.0))))
        };
        for iy in 0..ny {
            for ix in 0..nx {
                let here = above(iy, ix).unwrap_or(false);
                if ix + 1 < nx && above(iy, ix + 1).unwrap_or(false) != here {
                    let x = f.px(ix as f64 + 0.5);
                    let pts = vec![(x, f.py(iy as f64 + 0.5)), (x, f.py(iy as f64 - 0.5))];
                    edge(pts.clone())?;
                    edge_in(pts)?;
                }
                if iy + 1 < ny && above(iy + 1, ix).unwrap_or(false) != here {
                    let y = f.py(iy as f64 + 0.5);
                    let pts = vec![(f.px(ix as f64 - 0.5), y), (f.px(ix as f64 + 0.5), y)];
                    edge(pts.clone())?;
                    edge_in(pts)?;
                }
            }
        }
    }
    // Axis labels (no grid: the cells are the grid).
    for (y, label) in &y_ticks {
        draw::text(
            area,
            label,
            (f.left - style.px(8.0), f.py(*y)),
            style.tick,
            TEXT,
            HPos::Right,
            VPos::Center,
        )?;
    }
    let y_label = draw::fit(area, &hm.y_label, style.small, w / 2 - style.pad);
    draw::axes(
        area,
        &f,
        &AxisText {
            x_ticks: &x_ticks,
            y_ticks: &[],
            x_label: &hm.x_label,
            y_unit: &y_label,
            vertical_grid: false,
            zero_line: false,
        },
        style,
    )?;
    // Colour bar.
    let bx = f.right + style.px(24.0);
    let steps = (f.bottom - f.top).max(1);
    for k in 0..steps {
        let v = vmin + (vmax - vmin) * (k as f64 + 0.5) / steps as f64;
        let y = f.bottom - k;
        area.draw(&Rectangle::new(
            [(bx, y - 1), (bx + cbar_w, y)],
            theme::viridis(t(v)).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(bx, f.top), (bx + cbar_w, f.bottom)],
        MUTED.stroke_width(style.stroke(1.0)),
    ))?;
    let cb = Frame {
        left: bx,
        right: bx + cbar_w,
        top: f.top,
        bottom: f.bottom,
        x0: 0.0,
        x1: 1.0,
        y0: vmin,
        y1: vmax,
    };
    for (v, l) in &clabels {
        let y = cb.py(*v);
        area.draw(&PathElement::new(
            vec![(bx + cbar_w, y), (bx + cbar_w + style.px(4.0), y)],
            MUTED.stroke_width(style.stroke(1.0)),
        ))?;
        draw::text(
            area,
            l,
            (bx + cbar_w + style.px(8.0), y),
            style.tick,
            TEXT,
            HPos::Left,
            VPos::Center,
        )?;
    }
    if let Some((thr, _)) = &hm.threshold
        && *thr > vmin
        && *thr < vmax
    {
        let y = cb.py(*thr);
        area.draw(&PathElement::new(
            vec![(bx - style.px(4.0), y), (bx + cbar_w, y)],
            INK.stroke_width(style.stroke(3.0)),
        ))?;
    }
    let unit = draw::fit(area, &hm.unit, style.small, w / 2 - 2 * style.pad);
    draw::text(
        area,
        &unit,
        (
            w - style.pad,
            f.top - (style.tick * 0.6) as i32 - style.px(4.0),
        ),
        style.small,
        MUTED,
        HPos::Right,
        VPos::Bottom,
    )?;
    Ok(())
}
