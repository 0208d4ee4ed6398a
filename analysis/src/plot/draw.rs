//! Drawing primitives in pixel coordinates: text with measured widths, the header (title, subtitle,
//! legend that wraps), the footnote, and the axes frame (horizontal grid, tick labels, x
//! description, the y unit above the axis — horizontal text, because the PNG text renderer ignores
//! rotation).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DResult;
use super::theme::{self, AXIS, GRID, MUTED, Style, TEXT};

/// A text style of the embedded font.
pub(crate) fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (theme::FONT, size).into_font(),
        color: color.to_backend_color(),
        pos: Pos::default(),
    }
}

/// Draws `s` anchored at (x, y) in `area`'s pixels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    (x, y): (i32, i32),
    size: f64,
    color: RGBColor,
    h: HPos,
    v: VPos,
) -> DResult {
    if s.is_empty() {
        return Ok(());
    }
    area.draw(&Text::new(
        s.to_string(),
        (x, y),
        font(size, color).pos(Pos::new(h, v)),
    ))?;
    Ok(())
}

/// Width of `s` in pixels at `size`.
pub(crate) fn width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &str, size: f64) -> i32 {
    if s.is_empty() {
        return 0;
    }
    area.estimate_text_size(s, &font(size, TEXT))
        .map(|(w, _)| w as i32)
        .unwrap_or((s.chars().count() as f64 * size * 0.6) as i32)
}

/// `s` shortened with "…" to fit `max` pixels.
pub(crate) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    size: f64,
    max: i32,
) -> String {
    if width(area, s, size) <= max {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if width(area, &t, size) <= max {
            return t;
        }
    }
    "…".into()
}

/// Line height of text at `size`.
pub(crate) fn line_h(size: f64) -> i32 {
    (size * 1.35).ceil() as i32
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A short line.
    Line(RGBColor),
    /// A filled square.
    Box(RGBColor),
    /// A translucent square with a line through it (a band with its median).
    Band(RGBColor),
}

/// A legend entry.
#[derive(Clone, Debug)]
pub(crate) struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

/// Draws title, subtitle and legend from the top left; returns the y where the body starts.
pub(crate) fn header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
    style: &Style,
) -> DResult<i32> {
    let (w, _) = area.dim_in_pixel();
    let avail = w as i32 - 2 * style.pad;
    let mut y = style.pad - style.px(4.0);
    let t = fit(area, title, style.title, avail);
    text(
        area,
        &t,
        (style.pad, y),
        style.title,
        TEXT,
        HPos::Left,
        VPos::Top,
    )?;
    y += line_h(style.title);
    if style.subtitle > 0.0 && !subtitle.is_empty() {
        let s = fit(area, subtitle, style.subtitle, avail);
        text(
            area,
            &s,
            (style.pad, y),
            style.subtitle,
            MUTED,
            HPos::Left,
            VPos::Top,
        )?;
        y += line_h(style.subtitle);
    }
    if !legend.is_empty() {
        y += style.px(4.0);
        let sw = (style.legend * 1.6) as i32;
        let gap = (style.legend * 1.2) as i32;
        let mut x = style.pad;
        let lh = line_h(style.legend);
        for item in legend {
            let label = fit(area, &item.label, style.legend, avail - sw - style.px(6.0));
            let item_w = sw + style.px(6.0) + width(area, &label, style.legend);
            if x > style.pad && x + item_w > style.pad + avail {
                x = style.pad;
                y += lh;
            }
            let cy = y + lh / 2;
            swatch(area, item.swatch, x, cy, sw, style)?;
            text(
                area,
                &label,
                (x + sw + style.px(6.0), cy),
                style.legend,
                TEXT,
                HPos::Left,
                VPos::Center,
            )?;
            x += item_w + gap;
        }
        y += lh;
    } else if style.reserve_legend {
        y += style.px(4.0) + line_h(style.legend);
    }
    Ok(y + (style.pad / 2).max(style.px(4.0)))
}

fn swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Swatch,
    x: i32,
    cy: i32,
    sw: i32,
    style: &Style,
) -> DResult {
    let half = (style.legend * 0.4) as i32;
    match s {
        Swatch::Line(c) => {
            area.draw(&PathElement::new(
                vec![(x, cy), (x + sw, cy)],
                c.stroke_width(style.line),
            ))?;
        }
        Swatch::Box(c) => {
            area.draw(&Rectangle::new(
                [
                    (x + sw / 2 - half, cy - half),
                    (x + sw / 2 + half, cy + half),
                ],
                c.filled(),
            ))?;
        }
        Swatch::Band(c) => {
            area.draw(&Rectangle::new(
                [(x, cy - half), (x + sw, cy + half)],
                c.mix(0.25).filled(),
            ))?;
            area.draw(&PathElement::new(
                vec![(x, cy), (x + sw, cy)],
                c.stroke_width(style.line),
            ))?;
        }
    }
    Ok(())
}

/// Draws the footnote at the bottom left; returns the height it takes (0 without a note).
pub(crate) fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: Option<&str>,
    style: &Style,
) -> DResult<i32> {
    let Some(n) = note.filter(|n| !n.is_empty()) else {
        return Ok(0);
    };
    let (w, h) = area.dim_in_pixel();
    let s = fit(area, n, style.small, w as i32 - 2 * style.pad);
    text(
        area,
        &s,
        (style.pad, h as i32 - style.pad / 2),
        style.small,
        MUTED,
        HPos::Left,
        VPos::Bottom,
    )?;
    Ok(line_h(style.small) + style.pad / 2)
}

/// The plotting rectangle and the data range it shows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Frame {
    /// Pixel x of data x.
    pub fn px(&self, x: f64) -> i32 {
        let t = if self.x1 > self.x0 {
            (x - self.x0) / (self.x1 - self.x0)
        } else {
            0.5
        };
        (self.left as f64 + t * (self.right - self.left) as f64).round() as i32
    }

    /// Pixel y of data y (clamped a little outside the frame).
    pub fn py(&self, y: f64) -> i32 {
        let t = if self.y1 > self.y0 {
            (y - self.y0) / (self.y1 - self.y0)
        } else {
            0.5
        };
        let t = t.clamp(-0.02, 1.02);
        (self.bottom as f64 - t * (self.bottom - self.top) as f64).round() as i32
    }
}

/// Axis decorations.
pub(crate) struct AxisText<'a> {
    pub x_ticks: &'a [(f64, String)],
    pub y_ticks: &'a [(f64, String)],
    pub x_label: &'a str,
    pub y_unit: &'a str,
    /// Draw vertical grid lines at the x ticks (bar charts) instead of horizontal ones.
    pub vertical_grid: bool,
    /// Draw a line at y = 0 when the range spans zero.
    pub zero_line: bool,
}

/// Height taken below the frame by x tick labels and the x description.
pub(crate) fn x_axis_height(style: &Style, has_label: bool) -> i32 {
    style.px(8.0) + line_h(style.tick) + if has_label { line_h(style.small) } else { 0 }
}

/// Height taken above the frame by the y unit.
pub(crate) fn unit_height(style: &Style, has_unit: bool) -> i32 {
    let tick_half = (style.tick * 0.6) as i32;
    if has_unit {
        line_h(style.small) + tick_half + style.px(6.0)
    } else {
        tick_half + style.px(4.0)
    }
}

/// Draws grid, axis line, ticks, tick labels, the x description and the y unit.
pub(crate) fn axes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f: &Frame,
    a: &AxisText<'_>,
    style: &Style,
) -> DResult {
    if a.vertical_grid {
        for (x, _) in a.x_ticks {
            let px = f.px(*x);
            area.draw(&PathElement::new(
                vec![(px, f.top), (px, f.bottom)],
                GRID.stroke_width(style.stroke(1.0)),
            ))?;
        }
    } else {
        for (y, _) in a.y_ticks {
            let py = f.py(*y);
            area.draw(&PathElement::new(
                vec![(f.left, py), (f.right, py)],
                GRID.stroke_width(style.stroke(1.0)),
            ))?;
        }
    }
    for (y, label) in a.y_ticks {
        text(
            area,
            label,
            (f.left - style.px(8.0), f.py(*y)),
            style.tick,
            TEXT,
            HPos::Right,
            VPos::Center,
        )?;
    }
    if a.zero_line && f.y0 < 0.0 && f.y1 > 0.0 && !a.vertical_grid {
        let py = f.py(0.0);
        area.draw(&PathElement::new(
            vec![(f.left, py), (f.right, py)],
            AXIS.stroke_width(style.stroke(1.0)),
        ))?;
    }
    area.draw(&PathElement::new(
        vec![(f.left, f.bottom), (f.right, f.bottom)],
        AXIS.stroke_width(style.stroke(1.0)),
    ))?;
    for (x, label) in a.x_ticks {
        let px = f.px(*x);
        area.draw(&PathElement::new(
            vec![(px, f.bottom), (px, f.bottom + style.px(5.0))],
            AXIS.stroke_width(style.stroke(1.0)),
        ))?;
        text(
            area,
            label,
            (px, f.bottom + style.px(8.0)),
            style.tick,
            TEXT,
            HPos::Center,
            VPos::Top,
        )?;
    }
    if !a.x_label.is_empty() {
        let y = f.bottom + style.px(8.0) + line_h(style.tick);
        text(
            area,
            a.x_label,
            ((f.left + f.right) / 2, y),
            style.small,
            MUTED,
            HPos::Center,
            VPos::Top,
        )?;
    }
    if !a.y_unit.is_empty() {
        let (w, _) = area.dim_in_pixel();
        let s = fit(area, a.y_unit, style.small, w as i32 - 2 * style.pad);
        let above = (style.tick * 0.6) as i32 + style.px(4.0);
        text(
            area,
            &s,
            (style.pad, f.top - above),
            style.small,
            MUTED,
            HPos::Left,
            VPos::Bottom,
        )?;
    }
    Ok(())
}

/// Dashed horizontal line across the frame with a label at its right end, above the line.
pub(crate) fn hline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f: &Frame,
    y: f64,
    label: &str,
    style: &Style,
) -> DResult {
    let py = f.py(y);
    let mut x = f.left;
    while x < f.right {
        let x2 = (x + style.px(8.0)).min(f.right);
        area.draw(&PathElement::new(
            vec![(x, py), (x2, py)],
            AXIS.stroke_width(style.stroke(2.0)),
        ))?;
        x += style.px(14.0);
    }
    text(
        area,
        label,
        (f.right - style.px(4.0), py - style.px(4.0)),
        style.small,
        MUTED,
        HPos::Right,
        VPos::Bottom,
    )
}

/// Dashed vertical line with a label at its top, right of the line.
pub(crate) fn vline<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f: &Frame,
    x: f64,
    label: &str,
    style: &Style,
) -> DResult {
    let px = f.px(x);
    let mut y = f.top;
    while y < f.bottom {
        let y2 = (y + style.px(8.0)).min(f.bottom);
        area.draw(&PathElement::new(
            vec![(px, y), (px, y2)],
            AXIS.stroke_width(style.stroke(2.0)),
        ))?;
        y += style.px(14.0);
    }
    text(
        area,
        label,
        (px + style.px(5.0), f.top + style.px(2.0)),
        style.small,
        MUTED,
        HPos::Left,
        VPos::Top,
    )
}

/// Ticks that fit: keeps every k-th label so that neighbouring labels are at least `gap` pixels
/// apart (labels centred on their ticks).
pub(crate) fn thin_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ticks: Vec<(f64, String)>,
    pos: impl Fn(f64) -> i32,
    size: f64,
    gap: i32,
) -> Vec<(f64, String)> {
    let widths: Vec<i32> = ticks.iter().map(|(_, l)| width(area, l, size)).collect();
    for k in 1..=ticks.len().max(1) {
        let kept: Vec<usize> = (0..ticks.len()).step_by(k).collect();
        let ok = kept.windows(2).all(|w| {
            let (a, b) = (w[0], w[1]);
            (pos(ticks[b].0) - pos(ticks[a].0)).abs() >= (widths[a] + widths[b]) / 2 + gap
        });
        if ok {
            return kept.into_iter().map(|i| ticks[i].clone()).collect();
        }
    }
    ticks.into_iter().take(1).collect()
}
