//! What the numbers mean: labels, units and formats of `steps.csv` columns and summary metrics, and
//! the headline time-series charts of a run. Unknown names still get a readable label and a unit
//! guessed from their suffix (`_usd` → USD, `_tokens` → tokens, `share` → percent), so new columns
//! from the engine are plotted without changes here.

use crate::fmt::NumFormat;

/// How to describe one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricInfo {
    /// The column or key name.
    pub key: String,
    /// A short human label ("Final platform request share").
    pub label: String,
    /// The unit as written on an axis ("USD", "tokens", "%", "day").
    pub unit: String,
    /// Number or percent.
    pub format: NumFormat,
}

/// Known metrics: (key, label, unit, percent?).
const KNOWN: &[(&str, &str, &str, bool)] = &[
    // Summary metrics (summary.json `headline`, sweep runs.csv columns).
    (
        "time_to_critical_mass",
        "Time to critical mass",
        "day",
        false,
    ),
    (
        "tipped_at",
        "Tipped at (platform share ≥ 50%)",
        "day",
        false,
    ),
    (
        "final_platform_share_requests",
        "Final platform request share",
        "% of requests",
        true,
    ),
    (
        "final_onboarded_customers",
        "Final onboarded customers",
        "customers",
        false,
    ),
    (
        "peak_onboarded_customers",
        "Peak onboarded customers",
        "customers",
        false,
    ),
    ("total_gmv_platform_usd", "Total platform GMV", "USD", false),
    (
        "total_gmv_incumbent_usd",
        "Total incumbent GMV",
        "USD",
        false,
    ),
    ("total_gmv_b2b_usd", "Total B2B GMV", "USD", false),
    (
        "token_price_first_usd",
        "Token price, first step",
        "USD",
        false,
    ),
    (
        "token_price_last_usd",
        "Token price, last step",
        "USD",
        false,
    ),
    ("token_price_min_usd", "Lowest token price", "USD", false),
    ("token_price_max_usd", "Highest token price", "USD", false),
    (
        "total_unserved_requests",
        "Unserved requests",
        "requests",
        false,
    ),
    (
        "mean_velocity",
        "Mean token velocity per step",
        "per step",
        false,
    ),
    (
        "total_gtm_spend_usd",
        "Total go-to-market spend",
        "USD",
        false,
    ),
    (
        "gtm_stops",
        "Go-to-market strategies stopped",
        "strategies",
        false,
    ),
    // steps.csv columns.
    ("token_price_usd", "Token price", "USD per token", false),
    (
        "token_price_mid_usd",
        "Token mid price",
        "USD per token",
        false,
    ),
    ("gmv_platform_usd", "Platform GMV", "USD per step", false),
    ("gmv_incumbent_usd", "Incumbent GMV", "USD per step", false),
    ("gmv_b2b_usd", "B2B GMV", "USD per step", false),
    (
        "gmv_platform_tokens",
        "Platform GMV in tokens",
        "tokens per step",
        false,
    ),
    (
        "platform_share_requests",
        "Platform request share",
        "% of requests",
        true,
    ),
    (
        "platform_share_revenue",
        "Platform revenue share",
        "% of revenue",
        true,
    ),
    (
        "active_customers_platform",
        "Active platform customers",
        "customers",
        false,
    ),
    (
        "active_customers_incumbent",
        "Active incumbent customers",
        "customers",
        false,
    ),
    (
        "onboarded_customers",
        "Onboarded customers",
        "customers",
        false,
    ),
    ("aware_customers", "Aware customers", "customers", false),
    ("active_providers", "Active providers", "offerings", false),
    ("active_composites", "Active composites", "offerings", false),
    ("velocity", "Token velocity", "per step", false),
    ("velocity_annual", "Token velocity", "per year", false),
    ("treasury_tokens", "Treasury", "tokens", false),
    ("treasury_usd", "Treasury cash", "USD", false),
    (
        "hhi_offerings",
        "HHI, all offerings",
        "HHI (0–10 000)",
        false,
    ),
    (
        "hhi_platform",
        "HHI, platform offerings",
        "HHI (0–10 000)",
        false,
    ),
    (
        "gini_provider_revenue",
        "Gini of provider revenue",
        "Gini (0–1)",
        false,
    ),
    ("churn_rate", "Churn rate", "% per step", true),
    ("utilization_avg", "Utilization", "% of capacity", true),
    ("market_cap_usd", "Market cap", "USD", false),
];

/// Statistics a sweep computes from a step column (`<stat>_<column>`), with their label words.
const STATS: &[(&str, &str)] = &[
    ("final_", "final"),
    ("mean_", "mean"),
    ("sum_", "total"),
    ("max_", "peak"),
    ("min_", "lowest"),
    ("first_", "first"),
];

/// Describes a metric: the known entry, a sweep statistic of a known column (`final_…`, `mean_…`,
/// `sum_…`, `<column>_ge_<x>_step`), or a label and unit guessed from the name.
pub fn describe(key: &str) -> MetricInfo {
    if let Some(&(k, label, unit, pct)) = KNOWN.iter().find(|e| e.0 == key) {
        return MetricInfo {
            key: k.into(),
            label: label.into(),
            unit: unit.into(),
            format: if pct {
                NumFormat::Percent
            } else {
                NumFormat::Number
            },
        };
    }
    for (prefix, word) in STATS {
        if let Some(col) = key.strip_prefix(prefix)
            && KNOWN.iter().any(|e| e.0 == col)
        {
            let base = describe(col);
            let unit = match *prefix {
                // A total of a per-step flow is no longer per step.
                "sum_" => base.unit.trim_end_matches(" per step").to_string(),
                _ => base.unit.clone(),
            };
            return MetricInfo {
                key: key.into(),
                label: format!(
                    "{}{} {}",
                    word[..1].to_uppercase(),
                    &word[1..],
                    lower_first(&base.label)
                ),
                unit,
                format: base.format,
            };
        }
    }
    for (op, sym) in [("_ge_", "≥"), ("_le_", "≤"), ("_gt_", ">"), ("_lt_", "<")] {
        if let Some(rest) = key.strip_suffix("_step")
            && let Some((col, thr)) = rest.split_once(op)
            && let Ok(x) = thr.parse::<f64>()
        {
            let base = describe(col);
            let shown = crate::fmt::value(x, base.format);
            return MetricInfo {
                key: key.into(),
                label: format!("First step with {} {sym} {shown}", lower_first(&base.label)),
                unit: "step".into(),
                format: NumFormat::Number,
            };
        }
    }
    let (stem, unit) = if let Some(s) = key.strip_suffix("_usd") {
        (s, "USD")
    } else if let Some(s) = key.strip_suffix("_tokens") {
        (s, "tokens")
    } else if key.starts_with("time_to_") || key.ends_with("_at") || key.ends_with("_step") {
        (key, "day")
    } else {
        (key, "")
    };
    let pct = key.contains("share") || key.ends_with("_rate") || key.ends_with("_pct");
    MetricInfo {
        key: key.into(),
        label: humanize(stem),
        unit: if pct { "%".into() } else { unit.into() },
        format: if pct {
            NumFormat::Percent
        } else {
            NumFormat::Number
        },
    }
}

/// "Platform GMV" → "platform GMV"; acronyms ("HHI, all …", "B2B GMV") stay.
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f)
            if c.clone()
                .next()
                .is_some_and(|n| n.is_lowercase() || n == ' ') =>
        {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}

/// "final_platform_share" → "Final platform share"; a dotted key path keeps its last two parts
/// ("platform.seller_fee_rate" → "platform seller fee rate").
pub fn humanize(key: &str) -> String {
    capitalize(&key.replace(['_', '.'], " "))
}

/// The first letter in upper case.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A short label for a scenario key path used as a sweep parameter: its last component in words,
/// without a unit suffix ("network_effects.cross_side_weight_usd" → "cross side weight").
pub fn param_label(path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.strip_suffix("_usd").unwrap_or(last);
    last.replace('_', " ")
}

/// The unit a parameter's key path implies ("USD" for `_usd`), or "".
pub fn param_unit(path: &str) -> &'static str {
    if path.ends_with("_usd") { "USD" } else { "" }
}

/// "seller fee rate = 0.05", "cross side weight = 0.004 USD".
pub fn param_value_label(path: &str, value: &str) -> String {
    let unit = param_unit(path);
    if unit.is_empty() {
        format!("{} = {value}", param_label(path))
    } else {
        format!("{} = {value} {unit}", param_label(path))
    }
}

/// The last component of a key path, for file names.
pub fn param_id(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Where a plotted series takes its values from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A `steps.csv` column.
    Column(&'static str),
    /// 1 − a column (e.g. the incumbent's request share).
    OneMinus(&'static str),
}

impl Source {
    /// The column the series needs.
    pub fn column(&self) -> &'static str {
        match self {
            Source::Column(c) | Source::OneMinus(c) => c,
        }
    }
}

/// Semantic colour roles (mapped to the Okabe–Ito palette by the plot theme).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The decentralized platform.
    Platform,
    /// The incumbent(s).
    Incumbent,
    /// Business-to-business flows.
    B2b,
    /// A secondary platform series (composites, platform-only HHI).
    Secondary,
}

/// One series of a headline chart.
#[derive(Clone, Copy, Debug)]
pub struct SeriesSpec {
    /// Legend label.
    pub label: &'static str,
    /// Values.
    pub source: Source,
    /// Colour role.
    pub role: Role,
}

/// A headline time-series chart of a run folder.
#[derive(Clone, Copy, Debug)]
pub struct HeadlineChart {
    /// Id: the `--metrics` name and the file stem.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// One sentence under the title: what the chart shows.
    pub about: &'static str,
    /// The unit written above the y axis (the time unit is appended for flows).
    pub unit: &'static str,
    /// Whether the unit is per step (a flow): "USD" becomes "USD per day".
    pub per_step: bool,
    /// The series.
    pub series: &'static [SeriesSpec],
    /// Axis format.
    pub format: NumFormat,
    /// Fixed y range, if any.
    pub y_range: Option<(f64, f64)>,
    /// Whether the y axis starts at zero (quantities); false for prices.
    pub zero_based: bool,
    /// A labelled horizontal reference line.
    pub reference: Option<(f64, &'static str)>,
}

const fn s(label: &'static str, source: Source, role: Role) -> SeriesSpec {
    SeriesSpec {
        label,
        source,
        role,
    }
}

/// The headline charts, in the order of the overview.
pub const HEADLINE: &[HeadlineChart] = &[
    HeadlineChart {
        id: "token_price",
        about: "Price at which each day's token buys and sells clear against the AMM pool.",
        title: "Token price",
        unit: "USD per token",
        per_step: false,
        series: &[s(
            "batch clearing price",
            Source::Column("token_price_usd"),
            Role::Platform,
        )],
        format: NumFormat::Number,
        y_range: None,
        zero_based: false,
        reference: None,
    },
    HeadlineChart {
        id: "gmv_usd",
        about: "End-customer spending on the platform and at the incumbent, and agent-to-agent purchases, per {unit}.",
        title: "Gross merchandise value",
        unit: "USD",
        per_step: true,
        series: &[
            s(
                "incumbent",
                Source::Column("gmv_incumbent_usd"),
                Role::Incumbent,
            ),
            s(
                "platform",
                Source::Column("gmv_platform_usd"),
                Role::Platform,
            ),
            s(
                "B2B (agent to agent)",
                Source::Column("gmv_b2b_usd"),
                Role::B2b,
            ),
        ],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: None,
    },
    HeadlineChart {
        id: "gmv_tokens",
        about: "End-customer payments to platform agents, in tokens, per {unit}.",
        title: "Platform GMV in tokens",
        unit: "tokens",
        per_step: true,
        series: &[s(
            "platform end-customer payments",
            Source::Column("gmv_platform_tokens"),
            Role::Platform,
        )],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: None,
    },
    HeadlineChart {
        id: "request_share",
        about: "Who serves the end customers' requests: the decentralized platform or the incumbent.",
        title: "Share of end-customer requests",
        unit: "% of requests",
        per_step: false,
        series: &[
            s(
                "incumbent",
                Source::OneMinus("platform_share_requests"),
                Role::Incumbent,
            ),
            s(
                "platform",
                Source::Column("platform_share_requests"),
                Role::Platform,
            ),
        ],
        format: NumFormat::Percent,
        y_range: Some((0.0, 1.0)),
        zero_based: true,
        reference: Some((0.5, "tipping line (50%)")),
    },
    HeadlineChart {
        id: "active_customers",
        about: "Customers with at least one request in the last 30 steps, by where they buy.",
        title: "Active customers",
        unit: "customers (30-step window)",
        per_step: false,
        series: &[
            s(
                "incumbent",
                Source::Column("active_customers_incumbent"),
                Role::Incumbent,
            ),
            s(
                "platform",
                Source::Column("active_customers_platform"),
                Role::Platform,
            ),
        ],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: None,
    },
    HeadlineChart {
        id: "active_providers",
        about: "Agents selling on the platform; composites buy sub-services from other agents.",
        title: "Active agents on the platform",
        unit: "offerings",
        per_step: false,
        series: &[
            s(
                "all agents",
                Source::Column("active_providers"),
                Role::Platform,
            ),
            s(
                "composite agents",
                Source::Column("active_composites"),
                Role::Secondary,
            ),
        ],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: None,
    },
    HeadlineChart {
        id: "velocity",
        about: "Token payments (end-customer and B2B) relative to circulating supply, annualized.",
        title: "Token velocity",
        unit: "payments ÷ circulating supply, per year",
        per_step: false,
        series: &[s(
            "annualized",
            Source::Column("velocity_annual"),
            Role::Platform,
        )],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: None,
    },
    HeadlineChart {
        id: "treasury",
        about: "Tokens held by the platform treasury at the end of each step (fees not burned flow in).",
        title: "Treasury",
        unit: "tokens",
        per_step: false,
        series: &[s(
            "treasury balance",
            Source::Column("treasury_tokens"),
            Role::Platform,
        )],
        format: NumFormat::Number,
        y_range: None,
        zero_based: false,
        reference: None,
    },
    HeadlineChart {
        id: "hhi",
        about: "Herfindahl–Hirschman index of revenue over a 30-step window: above 2 500 is highly concentrated.",
        title: "Revenue concentration (HHI)",
        unit: "HHI, 0–10 000",
        per_step: false,
        series: &[
            s(
                "all offerings",
                Source::Column("hhi_offerings"),
                Role::Incumbent,
            ),
            s(
                "platform agents only",
                Source::Column("hhi_platform"),
                Role::Platform,
            ),
        ],
        format: NumFormat::Number,
        y_range: None,
        zero_based: true,
        reference: Some((2500.0, "highly concentrated above 2500")),
    },
    HeadlineChart {
        id: "gini",
        about: "Inequality of revenue among active platform agents over a 30-step window: 0 equal, 1 one agent takes all.",
        title: "Revenue inequality among agents (Gini)",
        unit: "Gini, 0–1",
        per_step: false,
        series: &[s(
            "platform agents",
            Source::Column("gini_provider_revenue"),
            Role::Platform,
        )],
        format: NumFormat::Number,
        y_range: Some((0.0, 1.0)),
        zero_based: true,
        reference: None,
    },
];

/// The headline chart with this id.
pub fn headline(id: &str) -> Option<&'static HeadlineChart> {
    HEADLINE.iter().find(|c| c.id == id)
}

/// The name of `steps` time units for a step length in days ("day", "week", "step").
pub fn time_unit(step_days: f64) -> &'static str {
    if (step_days - 1.0).abs() < 1e-9 {
        "day"
    } else if (step_days - 7.0).abs() < 1e-9 {
        "week"
    } else if (30.0..=31.0).contains(&step_days) {
        "month"
    } else {
        "step"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_guessed_descriptions() {
        let d = describe("final_platform_share_requests");
        assert_eq!(
            (d.unit.as_str(), d.format),
            ("% of requests", NumFormat::Percent)
        );
        let g = describe("treasury_runway_usd");
        assert_eq!(
            (g.label.as_str(), g.unit.as_str()),
            ("Treasury runway", "USD")
        );
        assert_eq!(describe("staked_tokens").unit, "tokens");
        assert_eq!(describe("time_to_tipping").unit, "day");
        let f = describe("final_platform_share_requests");
        assert_eq!(f.label, "Final platform request share");
        let m = describe("mean_gmv_platform_usd");
        assert_eq!(
            (m.label.as_str(), m.unit.as_str()),
            ("Mean platform GMV", "USD per step")
        );
        let t = describe("sum_gmv_b2b_usd");
        assert_eq!(
            (t.label.as_str(), t.unit.as_str()),
            ("Total B2B GMV", "USD")
        );
        let g = describe("platform_share_requests_ge_0.05_step");
        assert_eq!(
            (g.label.as_str(), g.unit.as_str()),
            ("First step with platform request share ≥ 5%", "step")
        );
        assert_eq!(
            describe("final_active_providers").label,
            "Final active providers"
        );
        assert_eq!(param_label("platform.seller_fee_rate"), "seller fee rate");
        assert_eq!(
            param_value_label("network_effects.cross_side_weight_usd", "0.004"),
            "cross side weight = 0.004 USD"
        );
        assert_eq!(time_unit(1.0), "day");
        assert_eq!(time_unit(7.0), "week");
    }

    #[test]
    fn headline_ids_are_unique() {
        for (i, a) in HEADLINE.iter().enumerate() {
            assert!(HEADLINE[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
    }
}
