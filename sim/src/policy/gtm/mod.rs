//! Go-to-market strategies (MODEL.md §7.13): the registration point, the keys every strategy shares
//! (window, budget, arms), budget arithmetic, and the checks.
//!
//! A strategy is one file plus one variant of [`GtmPolicy`] (serde `tag = "kind"`): the file holds
//! its `Params` (declared with [`gtm_params!`], which appends the common keys), its range checks
//! and its pure arithmetic (with unit tests on hand-computed cases). The engine side, which needs
//! the world and the ledger, is `crate::phases::gtm`: it calls the strategies at fixed points of
//! the step (P0 schedule and outlays, P2 awareness, P4 platform purchases, P5/P8 subsidies, P7
//! orders, P8 treasury obligations, P9 entry and bounty awards) and is the only code that moves
//! treasury money for them.
//!
//! In TOML a strategy is an entry of `[gtm] policies`, an inline table or a `[[gtm.policies]]`
//! table tagged by `kind`; a missing key takes its default, an unknown one is an error naming it.
//! Common keys: `start_step` (alias `step`), `end_step` (exclusive; absent = to the end of the
//! run), `budget_usd`, `budget_tokens` (absent = only the treasury's holdings limit it) and `arms`
//! (the strategy runs only when `[gtm] arm` is one of them; empty = always).

use serde::{Deserialize, Serialize};

pub(crate) use crate::scenario::nearest;

pub mod accelerator;
pub mod airdrop;
pub mod buyback_and_burn;
pub mod demand_first;
pub mod fee_holiday;
pub mod liquidity;
pub mod rfai;
pub mod studio;
pub mod subsidy;
pub mod supply_first;
pub mod workshops;

/// Declares a strategy's `Params` with its own keys (each `= default`) followed by the common keys
/// `start_step`, `end_step`, `budget_usd`, `budget_tokens` and `arms`, with `Default` and
/// [`Params::common`].
macro_rules! gtm_params {
    (
        $(#[$meta:meta])*
        pub struct Params {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $default:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
        #[serde(default, deny_unknown_fields)]
        pub struct Params {
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// First step of the window (alias `step` for the one-off strategies).
            #[serde(alias = "step")]
            pub start_step: u32,
            /// End of the window, exclusive; absent = until the end of the run.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub end_step: Option<u32>,
            /// Most the strategy may spend, in USD (token outlays valued at the mid price when
            /// paid); absent = no limit but the treasury's holdings.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub budget_usd: Option<f64>,
            /// Most tokens the strategy may spend; absent = no limit but the treasury's holdings.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub budget_tokens: Option<f64>,
            /// The arms in which the strategy runs (`[gtm] arm`); empty = every arm.
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub arms: Vec<String>,
        }

        impl Default for Params {
            fn default() -> Self {
                Params {
                    $( $field: $default, )*
                    start_step: 0,
                    end_step: None,
                    budget_usd: None,
                    budget_tokens: None,
                    arms: Vec::new(),
                }
            }
        }

        impl Params {
            /// The keys every strategy shares.
            pub fn common(&self) -> $crate::policy::gtm::Common<'_> {
                $crate::policy::gtm::Common {
                    start_step: self.start_step,
                    end_step: self.end_step,
                    budget_usd: self.budget_usd,
                    budget_tokens: self.budget_tokens,
                    arms: &self.arms,
                }
            }
        }
    };
}
pub(crate) use gtm_params;

/// The keys every strategy shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Common<'a> {
    /// First step of the window.
    pub start_step: u32,
    /// End of the window (exclusive).
    pub end_step: Option<u32>,
    /// USD budget.
    pub budget_usd: Option<f64>,
    /// Token budget (whole tokens).
    pub budget_tokens: Option<f64>,
    /// Arms.
    pub arms: &'a [String],
}

impl Common<'_> {
    /// Whether step `t` is inside the window [start_step, end_step).
    pub fn in_window(&self, t: u32) -> bool {
        t >= self.start_step && self.end_step.is_none_or(|e| t < e)
    }

    /// Whether the strategy runs in arm `arm` (`[gtm] arm`): always when `arms` is empty.
    pub fn in_arm(&self, arm: &str) -> bool {
        self.arms.is_empty() || self.arms.iter().any(|a| a == arm)
    }
}

/// What a strategy has spent against its budget (kept by the engine per strategy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    /// USD value of all outlays and commitments (nano-USD).
    pub usd_nano: i128,
    /// Tokens spent or committed (base units).
    pub tokens: i128,
}

/// How much of an outlay a budget allows: `want` (in its own unit) worth `value_nano` nano-USD in
/// total, against the USD budget `budget_usd` and, for a token outlay, the token budget
/// `budget_tokens` (whole tokens). Returns the allowed amount, ⌊want × the tightest remaining
/// fraction⌋, and whether a budget binds (the strategy then stops).
pub fn budget_allows(
    spent: &Spent,
    budget_usd: Option<f64>,
    budget_tokens: Option<f64>,
    want: i128,
    value_nano: i128,
    is_tokens: bool,
) -> (i128, bool) {
    if want <= 0 {
        return (0, false);
    }
    let mut allowed = want;
    let mut binds = false;
    if let Some(b) = budget_usd {
        let left = (crate::units::usd_to_nano(b) - spent.usd_nano).max(0);
        if value_nano > left {
            binds = true;
            allowed = allowed.min(if value_nano > 0 {
                crate::units::mul_div_floor(want, left, value_nano)
            } else {
                want
            });
        }
    }
    if is_tokens && let Some(b) = budget_tokens {
        let left = (crate::units::tokens_to_base(b) - spent.tokens).max(0);
        if want > left {
            binds = true;
            allowed = allowed.min(left);
        }
    }
    (allowed.max(0), binds)
}

/// The names a strategy may refer to, for its checks.
#[derive(Clone, Copy, Debug)]
pub struct CheckCtx<'a> {
    /// Category names, in index order.
    pub categories: &'a [String],
    /// Whether each category is composite.
    pub composite: &'a [bool],
    /// Segment names.
    pub segments: &'a [String],
    /// Run length.
    pub steps: u32,
}

/// A check failure: the key (relative to the policy) and the message.
pub type CheckErr = (String, String);

/// A range check: `Err((key, message))` when `v` is not finite or outside `[lo, hi]`.
pub(crate) fn in_range(key: &str, v: f64, lo: f64, hi: f64) -> Result<(), CheckErr> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err((key.into(), format!("must be in [{lo}, {hi}], got {v}")))
    }
}

/// A category reference: it must name a category (with a suggestion otherwise).
pub(crate) fn category_ref(key: &str, name: &str, cx: &CheckCtx<'_>) -> Result<usize, CheckErr> {
    cx.categories.iter().position(|c| c == name).ok_or_else(|| {
        let hint = nearest(name, cx.categories.iter().map(|s| s.as_str()))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        (key.into(), format!("unknown category `{name}`{hint}"))
    })
}

/// A recipe `{ category = units }`: known categories, units in [1, 1000].
pub(crate) fn recipe_ref(
    key: &str,
    recipe: &std::collections::BTreeMap<String, u32>,
    cx: &CheckCtx<'_>,
) -> Result<(), CheckErr> {
    for (c, &u) in recipe {
        category_ref(&format!("{key}.{c}"), c, cx)?;
        in_range(&format!("{key}.{c}"), u as f64, 1.0, 1000.0)?;
    }
    Ok(())
}

/// Checks the common keys.
fn check_common(c: &Common<'_>, cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
    if let Some(e) = c.end_step
        && e <= c.start_step
    {
        return Err((
            "end_step".into(),
            format!("must be > start_step ({}), got {e}", c.start_step),
        ));
    }
    let _ = cx;
    if let Some(b) = c.budget_usd {
        in_range("budget_usd", b, 0.0, 1e12)?;
    }
    if let Some(b) = c.budget_tokens {
        in_range("budget_tokens", b, 0.0, 1e12)?;
    }
    for (i, a) in c.arms.iter().enumerate() {
        if a.is_empty() {
            return Err((format!("arms[{i}]"), "an arm name may not be empty".into()));
        }
    }
    Ok(())
}

/// A go-to-market policy, tagged by `kind` in TOML.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GtmPolicy {
    /// Treasury-funded in-house teams, enterprise sales, third-party supply opened later.
    DemandFirst(demand_first::Params),
    /// Seeded providers with token grants, developer marketing, delayed customer marketing.
    SupplyFirst(supply_first::Params),
    /// Developer workshops: skill boost, entry-cost discount, awareness boost.
    Workshops(workshops::Params),
    /// Requests for AI: token bounties on uncovered or unserved categories.
    Rfai(rfai::Params),
    /// A studio with fiat licensing revenue, converting a share into tokens.
    Studio(studio::Params),
    /// Accelerator cohorts with vesting grants and quality and visibility boosts.
    Accelerator(accelerator::Params),
    /// Per-request customer subsidies, free calls and provider bonuses.
    Subsidy(subsidy::Params),
    /// A one-off token airdrop.
    Airdrop(airdrop::Params),
    /// No platform fees during the window.
    FeeHoliday(fee_holiday::Params),
    /// A one-off treasury deposit into the exchange pool.
    Liquidity(liquidity::Params),
    /// Treasury buys tokens with its cash and burns them.
    BuybackAndBurn(buyback_and_burn::Params),
}

impl GtmPolicy {
    /// The policy's `kind` as written in TOML.
    pub fn kind(&self) -> &'static str {
        match self {
            GtmPolicy::DemandFirst(_) => "demand_first",
            GtmPolicy::SupplyFirst(_) => "supply_first",
            GtmPolicy::Workshops(_) => "workshops",
            GtmPolicy::Rfai(_) => "rfai",
            GtmPolicy::Studio(_) => "studio",
            GtmPolicy::Accelerator(_) => "accelerator",
            GtmPolicy::Subsidy(_) => "subsidy",
            GtmPolicy::Airdrop(_) => "airdrop",
            GtmPolicy::FeeHoliday(_) => "fee_holiday",
            GtmPolicy::Liquidity(_) => "liquidity",
            GtmPolicy::BuybackAndBurn(_) => "buyback_and_burn",
        }
    }

    /// The keys every strategy shares.
    pub fn common(&self) -> Common<'_> {
        match self {
            GtmPolicy::DemandFirst(p) => p.common(),
            GtmPolicy::SupplyFirst(p) => p.common(),
            GtmPolicy::Workshops(p) => p.common(),
            GtmPolicy::Rfai(p) => p.common(),
            GtmPolicy::Studio(p) => p.common(),
            GtmPolicy::Accelerator(p) => p.common(),
            GtmPolicy::Subsidy(p) => p.common(),
            GtmPolicy::Airdrop(p) => p.common(),
            GtmPolicy::FeeHoliday(p) => p.common(),
            GtmPolicy::Liquidity(p) => p.common(),
            GtmPolicy::BuybackAndBurn(p) => p.common(),
        }
    }

    /// Checks the policy's keys; on failure returns the key (relative to the policy) and the
    /// message.
    pub fn check(&self, cx: &CheckCtx<'_>) -> Result<(), CheckErr> {
        check_common(&self.common(), cx)?;
        match self {
            GtmPolicy::DemandFirst(p) => p.check(cx),
            GtmPolicy::SupplyFirst(p) => p.check(cx),
            GtmPolicy::Workshops(p) => p.check(),
            GtmPolicy::Rfai(p) => p.check(),
            GtmPolicy::Studio(p) => p.check(cx),
            GtmPolicy::Accelerator(p) => p.check(cx),
            GtmPolicy::Subsidy(p) => p.check(),
            GtmPolicy::Airdrop(p) => p.check(),
            GtmPolicy::FeeHoliday(_) => Ok(()),
            GtmPolicy::Liquidity(p) => p.check(),
            GtmPolicy::BuybackAndBurn(p) => p.check(),
        }
    }

    /// One default instance of every registered policy (registry-wide tests loop over these).
    pub fn examples() -> Vec<GtmPolicy> {
        vec![
            GtmPolicy::DemandFirst(demand_first::Params::default()),
            GtmPolicy::SupplyFirst(supply_first::Params::default()),
            GtmPolicy::Workshops(workshops::Params::default()),
            GtmPolicy::Rfai(rfai::Params::default()),
            GtmPolicy::Studio(studio::Params::default()),
            GtmPolicy::Accelerator(accelerator::Params::default()),
            GtmPolicy::Subsidy(subsidy::Params::default()),
            GtmPolicy::Airdrop(airdrop::Params {
                tokens_total: 1e6,
                ..airdrop::Params::default()
            }),
            GtmPolicy::FeeHoliday(fee_holiday::Params::default()),
            GtmPolicy::Liquidity(liquidity::Params {
                usd: 1e4,
                tokens: 5e5,
                ..liquidity::Params::default()
            }),
            GtmPolicy::BuybackAndBurn(buyback_and_burn::Params {
                usd_per_step: 100.0,
                ..buyback_and_burn::Params::default()
            }),
        ]
    }
}

/// Grants fixed in USD are paid in tokens at max(p, `grant_price_floor_usd`) (MODEL.md §7.11):
/// the base units of `usd` at `price_usd` USD per token, floored. 0 for a non-positive price.
pub fn usd_grant_tokens(usd: f64, price_usd: f64, floor_usd: f64) -> i128 {
    let p = price_usd.max(floor_usd);
    if p.is_nan() || p <= 0.0 || !p.is_finite() {
        return 0;
    }
    crate::units::tokens_to_base(usd / p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_arms() {
        let arms = vec!["a".to_string()];
        let c = Common {
            start_step: 10,
            end_step: Some(20),
            budget_usd: None,
            budget_tokens: None,
            arms: &arms,
        };
        assert!(!c.in_window(9) && c.in_window(10) && c.in_window(19) && !c.in_window(20));
        assert!(c.in_arm("a") && !c.in_arm("b") && !c.in_arm(""));
        let open = Common {
            end_step: None,
            arms: &[],
            ..c
        };
        assert!(open.in_window(1_000_000) && open.in_arm("anything") && open.in_arm(""));
    }

    #[test]
    fn budgets_cut_outlays_pro_rata_and_bind() {
        let spent = Spent {
            usd_nano: 600_000_000_000, // 600 USD
            tokens: 0,
        };
        // 1 000 USD budget, 600 spent: an outlay of 500 tokens worth 500 USD gets 400 tokens.
        let (a, binds) = budget_allows(&spent, Some(1000.0), None, 500, 500_000_000_000, true);
        assert_eq!((a, binds), (400, true));
        // It fits: all of it, not binding.
        let (a, binds) = budget_allows(&spent, Some(1000.0), None, 300, 300_000_000_000, true);
        assert_eq!((a, binds), (300, false));
        // A token budget of 2 tokens (2e8 base units), 1.5e8 spent.
        let spent = Spent {
            usd_nano: 0,
            tokens: 150_000_000,
        };
        let (a, binds) = budget_allows(&spent, None, Some(2.0), 100_000_000, 1, true);
        assert_eq!((a, binds), (50_000_000, true));
        // The token budget does not apply to USD outlays.
        assert_eq!(
            budget_allows(&spent, None, Some(2.0), 100_000_000, 1, false),
            (100_000_000, false)
        );
        assert_eq!(budget_allows(&spent, None, None, 0, 0, true), (0, false));
    }

    #[test]
    fn usd_grants_use_the_price_floor() {
        // 8 000 USD at 0.02 USD/token = 400 000 tokens; with the Deep Funding floor 0.08: 100 000.
        assert_eq!(usd_grant_tokens(8000.0, 0.02, 0.0), 400_000 * 100_000_000);
        assert_eq!(usd_grant_tokens(8000.0, 0.02, 0.08), 100_000 * 100_000_000);
        assert_eq!(usd_grant_tokens(8000.0, 0.1, 0.08), 80_000 * 100_000_000);
        assert_eq!(usd_grant_tokens(1.0, 0.0, 0.0), 0);
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Wrap {
        policies: Vec<GtmPolicy>,
    }

    #[test]
    fn every_policy_round_trips_through_toml_and_checks() {
        let cats: Vec<String> = ["chat_llm", "embeddings", "agent_orchestration"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cx = CheckCtx {
            categories: &cats,
            composite: &[false, false, true],
            segments: &["enterprise".to_string()],
            steps: 100,
        };
        for p in GtmPolicy::examples() {
            let w = Wrap {
                policies: vec![p.clone()],
            };
            let text = toml::to_string(&w).unwrap();
            assert!(text.contains(&format!("kind = \"{}\"", p.kind())), "{text}");
            let back: Wrap = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, w, "{text}");
            p.check(&cx)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.kind()));
        }
        // Inline form with a common key and the `step` alias.
        let w: Wrap = toml::from_str(
            "policies = [{ kind = \"liquidity\", step = 5, usd = 1.0, arms = [\"b\"] }]",
        )
        .unwrap();
        assert_eq!(w.policies[0].common().start_step, 5);
        let e =
            toml::from_str::<Wrap>("policies = [{ kind = \"studio\", revnue_usd_per_step = 1 }]")
                .unwrap_err();
        assert!(e.to_string().contains("revnue_usd_per_step"), "{e}");
        let e = toml::from_str::<Wrap>("policies = [{ kind = \"stuido\" }]").unwrap_err();
        assert!(e.to_string().contains("studio"), "{e}");
    }

    #[test]
    fn common_checks() {
        let cx = CheckCtx {
            categories: &[],
            composite: &[],
            segments: &[],
            steps: 10,
        };
        let p = GtmPolicy::FeeHoliday(fee_holiday::Params {
            start_step: 5,
            end_step: Some(5),
            ..Default::default()
        });
        assert_eq!(p.check(&cx).unwrap_err().0, "end_step");
        let p = GtmPolicy::FeeHoliday(fee_holiday::Params {
            budget_usd: Some(-1.0),
            ..Default::default()
        });
        assert_eq!(p.check(&cx).unwrap_err().0, "budget_usd");
    }
}
