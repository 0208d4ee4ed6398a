//! The look of every chart: the embedded font, the Okabe–Ito palette (distinguishable with every
//! common colour-vision deficiency), viridis for heatmaps, and text sizes for full charts and for
//! the panels of small multiples.
//!
//! Text is drawn with DejaVu Sans compiled into the binary (plotters' `ab_glyph` feature), so
//! charts render identically on a machine with no system fonts. plotters must be built without its
//! `ttf` feature, which would silently take precedence (see docs/PLOTS.md and the CI guard).

use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor};

use crate::catalog::Role;

/// DejaVu Sans 2.37 (Bitstream Vera licence, assets/fonts/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The font family every chart uses.
pub const FONT: &str = "sans-serif";

/// Registers the embedded font under [`FONT`] once per process.
pub fn ensure_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS)
            .map_err(|_| "the embedded DejaVu Sans font is not a valid TTF".to_string())
    })
    .clone()
}

/// Okabe–Ito: blue.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito: vermillion.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito: bluish green.
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
/// Okabe–Ito: orange.
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
/// Okabe–Ito: reddish purple.
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
/// Okabe–Ito: sky blue.
pub const SKY: RGBColor = RGBColor(86, 180, 233);
/// Okabe–Ito: black (softened).
pub const INK: RGBColor = RGBColor(34, 34, 34);
/// Okabe–Ito: yellow (last: weak on white).
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);

/// Series colours in order of use.
pub const PALETTE: [RGBColor; 8] = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, INK, YELLOW];

/// Text colour of titles and labels.
pub const TEXT: RGBColor = RGBColor(34, 34, 34);
/// Secondary text (subtitles, units, notes).
pub const MUTED: RGBColor = RGBColor(100, 100, 100);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(228, 228, 228);
/// Axis lines and reference lines.
pub const AXIS: RGBColor = RGBColor(150, 150, 150);
/// Cells without data.
pub const NODATA: RGBColor = RGBColor(235, 235, 235);

/// The i-th series colour (cycling).
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour of a semantic role.
pub fn role_color(role: Role) -> RGBColor {
    match role {
        Role::Platform => BLUE,
        Role::Incumbent => VERMILLION,
        Role::B2b => GREEN,
        Role::Secondary => SKY,
    }
}

/// Viridis at t ∈ [0, 1] (piecewise-linear through 9 stops of matplotlib's table).
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// `c` blended with white (t = 0: unchanged, 1: white).
pub fn lighten(c: RGBColor, t: f64) -> RGBColor {
    let f = |x: u8| (x as f64 + (255.0 - x as f64) * t.clamp(0.0, 1.0)).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// Relative luminance (sRGB, approximate): text on a cell is white below 0.45.
pub fn luminance(c: RGBColor) -> f64 {
    (0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64) / 255.0
}

/// Text sizes and spacing (pixels).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Title.
    pub title: f64,
    /// Subtitle (0: none).
    pub subtitle: f64,
    /// Tick labels.
    pub tick: f64,
    /// Legend entries.
    pub legend: f64,
    /// Unit above the y axis, axis descriptions and notes.
    pub small: f64,
    /// Outer padding.
    pub pad: i32,
    /// Line width of series.
    pub line: u32,
    /// Keep room for a legend row even when a panel has none (aligns small multiples).
    pub reserve_legend: bool,
    /// Pixels per layout pixel (2 when a PNG is drawn at twice its size and downsampled).
    pub scale: f64,
}

impl Style {
    /// A stand-alone chart (1200 × 675).
    pub const FULL: Style = Style {
        title: 26.0,
        subtitle: 16.0,
        tick: 15.0,
        legend: 15.0,
        small: 14.0,
        pad: 20,
        line: 3,
        reserve_legend: false,
        scale: 1.0,
    };
    /// One panel of small multiples.
    pub const PANEL: Style = Style {
        title: 17.0,
        subtitle: 0.0,
        tick: 12.0,
        legend: 12.0,
        small: 12.0,
        pad: 10,
        line: 2,
        reserve_legend: true,
        scale: 1.0,
    };

    /// The same style `k` times larger (for supersampled drawing).
    pub fn scaled(self, k: f64) -> Style {
        Style {
            title: self.title * k,
            subtitle: self.subtitle * k,
            tick: self.tick * k,
            legend: self.legend * k,
            small: self.small * k,
            pad: (self.pad as f64 * k).round() as i32,
            line: (self.line as f64 * k).round() as u32,
            reserve_legend: self.reserve_legend,
            scale: self.scale * k,
        }
    }

    /// `v` layout pixels in drawing pixels.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    /// A stroke width of `v` layout pixels (at least 1).
    pub fn stroke(&self, v: f64) -> u32 {
        ((v * self.scale).round() as u32).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_registers_and_viridis_ends_match() {
        ensure_font().unwrap();
        ensure_font().unwrap();
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
        assert!(luminance(viridis(0.0)) < 0.45 && luminance(viridis(1.0)) > 0.45);
    }
}
