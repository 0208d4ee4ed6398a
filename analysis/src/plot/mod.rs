//! Charts as data ([`Chart`]) and their rendering to PNG and SVG with plotters.
//!
//! A chart is described without any drawing code (title, subtitle, a body: an x–y plot of lines,
//! bands, error bars and bars; a heatmap; horizontal bars; or small multiples), and one renderer
//! draws it on any plotters backend. Everything is laid out in pixels by this module (header,
//! legend, axes, ticks), so that no label overlaps another at the default size and the PNG and the
//! SVG look the same; plotters is used as the canvas.

mod bars;
mod draw;
mod heatmap;
pub mod theme;
mod xy;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::RGBColor;

use crate::error::{Error, Result};
use crate::fmt::NumFormat;

pub use theme::Style;

/// Default size of a stand-alone chart (16:9).
pub const FULL_SIZE: (u32, u32) = (1200, 675);

/// An image format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG bitmap.
    Png,
    /// SVG vector image.
    Svg,
}

impl ImageFormat {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

/// A chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File stem and HTML id.
    pub id: String,
    /// Title (top left).
    pub title: String,
    /// Subtitle: scenario, seed and what the chart shows.
    pub subtitle: String,
    /// A footnote (bottom left), e.g. what a band means.
    pub note: Option<String>,
    /// What is drawn.
    pub body: Body,
    /// Pixel size.
    pub size: (u32, u32),
}

/// What a chart draws.
#[derive(Clone, Debug)]
pub enum Body {
    /// Lines, bands, error bars and bars on numeric axes.
    Xy(XyPlot),
    /// A grid of coloured cells with a colour bar.
    Heatmap(Heatmap),
    /// Horizontal bars with intervals, one group per category.
    HBars(HBars),
    /// Small multiples: panels drawn with the panel style, `cols` per row.
    Multi {
        /// The panels (their size is ignored).
        panels: Vec<Chart>,
        /// Panels per row.
        cols: usize,
    },
}

/// An x–y plot.
#[derive(Clone, Debug, Default)]
pub struct XyPlot {
    /// Description under the x axis ("day").
    pub x_label: String,
    /// Unit written above the y axis ("USD per token").
    pub y_unit: String,
    /// x tick format.
    pub x_format: Option<NumFormat>,
    /// y tick format.
    pub y_format: Option<NumFormat>,
    /// Logarithmic y axis (non-positive values are dropped).
    pub y_log: bool,
    /// Logarithmic x axis (non-positive values are dropped).
    pub x_log: bool,
    /// Fixed x range.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range.
    pub y_range: Option<(f64, f64)>,
    /// Whether the y axis includes zero.
    pub zero_based: bool,
    /// Layers, drawn in order.
    pub layers: Vec<Layer>,
    /// Horizontal reference lines.
    pub hlines: Vec<RefLine>,
    /// Vertical reference lines.
    pub vlines: Vec<RefLine>,
    /// Category labels for integer x positions (bar charts over levels).
    pub x_categories: Option<Vec<String>>,
    /// Explicit x tick positions (e.g. the levels of a swept parameter).
    pub x_ticks: Option<Vec<f64>>,
}

/// A labelled reference line.
#[derive(Clone, Debug)]
pub struct RefLine {
    /// Position.
    pub at: f64,
    /// Label (may be empty).
    pub label: String,
}

/// One layer of an x–y plot.
#[derive(Clone, Debug)]
pub enum Layer {
    /// A polyline (NaN breaks it).
    Line {
        /// Legend label.
        label: Option<String>,
        /// Colour.
        color: RGBColor,
        /// Points.
        points: Vec<(f64, f64)>,
        /// Width in pixels (0: the style's default).
        width: u32,
        /// Draw a marker at every point.
        markers: bool,
        /// Step line (horizontal then vertical), for ECDFs.
        step: bool,
    },
    /// A filled band between two curves.
    Band {
        /// Legend label.
        label: Option<String>,
        /// Colour (drawn translucent).
        color: RGBColor,
        /// x values.
        xs: Vec<f64>,
        /// Lower curve.
        lo: Vec<f64>,
        /// Upper curve.
        hi: Vec<f64>,
    },
    /// Vertical interval bars with caps.
    ErrorBars {
        /// Colour.
        color: RGBColor,
        /// (x, lo, hi).
        bars: Vec<(f64, f64, f64)>,
    },
    /// Vertical bars from zero.
    Bars {
        /// Legend label.
        label: Option<String>,
        /// Colour.
        color: RGBColor,
        /// (x0, x1, height).
        bars: Vec<(f64, f64, f64)>,
    },
}

impl Layer {
    /// A plain line.
    pub fn line(label: impl Into<String>, color: RGBColor, points: Vec<(f64, f64)>) -> Layer {
        Layer::Line {
            label: Some(label.into()),
            color,
            points,
            width: 0,
            markers: false,
            step: false,
        }
    }
}

/// A heatmap.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// Description of the x axis.
    pub x_label: String,
    /// Description of the y axis (drawn above it).
    pub y_label: String,
    /// Column labels.
    pub x_levels: Vec<String>,
    /// Row labels (bottom to top).
    pub y_levels: Vec<String>,
    /// Values `[row][col]`; NaN = no data.
    pub values: Vec<Vec<f64>>,
    /// Value format.
    pub format: NumFormat,
    /// Colour-bar title.
    pub unit: String,
    /// Fixed colour range.
    pub range: Option<(f64, f64)>,
    /// Outline the cells at or above this value (e.g. tipped: share ≥ 50 %).
    pub threshold: Option<(f64, String)>,
}

/// Horizontal grouped bars with optional intervals.
#[derive(Clone, Debug)]
pub struct HBars {
    /// Category labels, top to bottom.
    pub categories: Vec<String>,
    /// Series: (label, colour, one (value, interval) per category).
    pub series: Vec<BarSeries>,
    /// Description of the x axis.
    pub x_label: String,
    /// Fixed x range.
    pub x_range: Option<(f64, f64)>,
}

/// One series of horizontal bars.
#[derive(Clone, Debug)]
pub struct BarSeries {
    /// Legend label.
    pub label: String,
    /// Colour.
    pub color: RGBColor,
    /// Per category: value and optional (lo, hi).
    pub values: Vec<(f64, Option<(f64, f64)>)>,
}

/// An error from drawing, kept as text (backend error types differ).
#[derive(Debug)]
pub(crate) struct DrawErr(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawErr {
    fn from(e: DrawingAreaErrorKind<E>) -> DrawErr {
        DrawErr(e.to_string())
    }
}

pub(crate) type DResult<T = ()> = std::result::Result<T, DrawErr>;

/// Draws `chart` on `area` with `style`.
pub(crate) fn draw_chart<DB: DrawingBackend>(
    chart: &Chart,
    area: &DrawingArea<DB, Shift>,
    style: &Style,
) -> DResult {
    area.fill(&WHITE)?;
    match &chart.body {
        Body::Xy(p) => xy::draw(chart, p, area, style),
        Body::Heatmap(h) => heatmap::draw(chart, h, area, style),
        Body::HBars(b) => bars::draw(chart, b, area, style),
        Body::Multi { panels, cols } => {
            let top = draw::header(area, &chart.title, &chart.subtitle, &[], style)?;
            let note_h = draw::note(area, chart.note.as_deref(), style)?;
            let (w, h) = area.dim_in_pixel();
            let body = area
                .clone()
                .shrink((0, top), (w, (h as i32 - top - note_h).max(1) as u32));
            let cols = (*cols).max(1);
            let rows = panels.len().div_ceil(cols).max(1);
            // Reserve a legend row in every panel if any has a legend, so the frames line up.
            let any_legend = panels.iter().any(|p| match &p.body {
                Body::Xy(xy) => xy.layers.iter().any(|l| match l {
                    Layer::Line { label, .. }
                    | Layer::Band { label, .. }
                    | Layer::Bars { label, .. } => label.is_some(),
                    Layer::ErrorBars { .. } => false,
                }),
                _ => false,
            });
            let panel_style = Style {
                reserve_legend: any_legend,
                ..Style::PANEL.scaled(style.scale)
            };
            for (panel, cell) in panels.iter().zip(body.split_evenly((rows, cols))) {
                let (cw, ch) = cell.dim_in_pixel();
                let (m, m2) = (style.px(4.0), style.px(8.0) as u32);
                let inner = cell.shrink((m, m), (cw.saturating_sub(m2), ch.saturating_sub(m2)));
                draw_chart(panel, &inner, &panel_style)?;
            }
            Ok(())
        }
    }
}

fn wrap(chart: &Chart) -> impl Fn(DrawErr) -> Error + '_ {
    move |e| Error::Plot {
        chart: chart.id.clone(),
        message: e.0,
    }
}

/// Renders `chart` as SVG text.
pub fn to_svg(chart: &Chart) -> Result<String> {
    theme::ensure_font().map_err(|m| Error::Plot {
        chart: chart.id.clone(),
        message: m,
    })?;
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, chart.size).into_drawing_area();
        draw_chart(chart, &root, &Style::FULL).map_err(wrap(chart))?;
        root.present().map_err(|e| wrap(chart)(e.into()))?;
    }
    Ok(s)
}

/// PNGs are drawn at this many times their size and averaged down: anti-aliased lines and
/// evenly spaced text (the bitmap backend draws neither).
pub const SUPERSAMPLE: u32 = 2;

/// Renders `chart` as PNG bytes (RGB, 8 bit, `chart.size` pixels).
pub fn to_png(chart: &Chart) -> Result<Vec<u8>> {
    theme::ensure_font().map_err(|m| Error::Plot {
        chart: chart.id.clone(),
        message: m,
    })?;
    let k = SUPERSAMPLE;
    let (w, h) = chart.size;
    let (bw, bh) = (w * k, h * k);
    let mut big = vec![0u8; bw as usize * bh as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
        draw_chart(chart, &root, &Style::FULL.scaled(k as f64)).map_err(wrap(chart))?;
        root.present().map_err(|e| wrap(chart)(e.into()))?;
    }
    let small = downsample(&big, bw as usize, bh as usize, k as usize);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        let mut wr = enc.write_header().map_err(|e| Error::Plot {
            chart: chart.id.clone(),
            message: e.to_string(),
        })?;
        wr.write_image_data(&small).map_err(|e| Error::Plot {
            chart: chart.id.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(out)
}

/// Box-filter downsampling of an RGB buffer by `k` in each direction.
fn downsample(big: &[u8], bw: usize, bh: usize, k: usize) -> Vec<u8> {
    let (w, h) = (bw / k, bh / k);
    let mut out = vec![0u8; w * h * 3];
    let n = (k * k) as u32;
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * bw;
                    for dx in 0..k {
                        sum += big[(row + x * k + dx) * 3 + c] as u32;
                    }
                }
                out[(y * w + x) * 3 + c] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    out
}

/// Writes `chart` to `dir/<id>.<ext>` in `format`; returns the path.
pub fn save(chart: &Chart, dir: &Path, format: ImageFormat) -> Result<PathBuf> {
    theme::ensure_font().map_err(|m| Error::Plot {
        chart: chart.id.clone(),
        message: m,
    })?;
    let path = dir.join(format!("{}.{}", chart.id, format.ext()));
    match format {
        ImageFormat::Svg => {
            let svg = to_svg(chart)?;
            std::fs::write(&path, svg).map_err(|e| Error::io(&path, e))?;
        }
        ImageFormat::Png => {
            let png = to_png(chart)?;
            std::fs::write(&path, png).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(path)
}
