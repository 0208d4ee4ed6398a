//! `workshops` (MODEL.md §7.13): every `every_steps` from `start_step` (inside the window) a
//! workshop trains `attendees` aware developers (drawn uniformly without replacement by hashed keys):
//! each gets +`skill_boost` skill (capped at 1) and an entry-cost discount `entry_cost_discount`
//! (a share of `[developers] entry_cost_usd`, kept until it enters); for `duration_steps` after each
//! workshop the developers' Bass p is raised by `awareness_boost` (per year). Each workshop costs
//! `cost_usd_per_workshop`, a treasury obligation paid to the outside world.

use super::{CheckErr, gtm_params, in_range};

gtm_params! {
    /// Parameters of `workshops`.
    pub struct Params {
        /// Steps between workshops, in [1, 3650].
        pub every_steps: u32 = 90,
        /// Developers trained per workshop.
        pub attendees: u32 = 100,
        /// Skill added to each attendee, in [0, 1].
        pub skill_boost: f64 = 0.1,
        /// Share of the entry cost an attendee does not pay, in [0, 1].
        pub entry_cost_discount: f64 = 0.5,
        /// Added to `dev_bass_p` after a workshop (per year), in [0, 1].
        pub awareness_boost: f64 = 0.05,
        /// Steps the awareness boost lasts, in [0, 3650].
        pub duration_steps: u32 = 14,
        /// Cost of one workshop (USD), a treasury obligation.
        pub cost_usd_per_workshop: f64 = 0.0,
    }
}

impl Params {
    /// Range checks.
    pub fn check(&self) -> Result<(), CheckErr> {
        in_range("every_steps", self.every_steps as f64, 1.0, 3650.0)?;
        in_range("skill_boost", self.skill_boost, 0.0, 1.0)?;
        in_range("entry_cost_discount", self.entry_cost_discount, 0.0, 1.0)?;
        in_range("awareness_boost", self.awareness_boost, 0.0, 1.0)?;
        in_range("duration_steps", self.duration_steps as f64, 0.0, 3650.0)?;
        in_range(
            "cost_usd_per_workshop",
            self.cost_usd_per_workshop,
            0.0,
            1e9,
        )
    }
}

/// Whether a workshop takes place at step `t`.
pub fn workshop_at(p: &Params, t: u32) -> bool {
    p.common().in_window(t) && (t - p.start_step).is_multiple_of(p.every_steps.max(1))
}

/// Whether the awareness boost of the latest workshop is on at step `t`: a workshop at s ≤ t with
/// t < s + `duration_steps`.
pub fn boost_on(p: &Params, t: u32) -> bool {
    if t < p.start_step || p.duration_steps == 0 {
        return false;
    }
    let every = p.every_steps.max(1);
    let last = p.start_step + (t - p.start_step) / every * every;
    p.common().in_window(last) && t < last + p.duration_steps
}

/// The entry cost a developer with discount `d` pays.
pub fn discounted_entry_cost(entry_cost_usd: f64, d: f64) -> f64 {
    entry_cost_usd * (1.0 - d.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_boost_and_discount() {
        let p = Params {
            start_step: 10,
            end_step: Some(200),
            ..Params::default()
        };
        assert!(workshop_at(&p, 10) && workshop_at(&p, 100) && workshop_at(&p, 190));
        assert!(!workshop_at(&p, 9) && !workshop_at(&p, 11) && !workshop_at(&p, 280));
        assert!(boost_on(&p, 10) && boost_on(&p, 23) && !boost_on(&p, 24));
        assert!(boost_on(&p, 113) && !boost_on(&p, 114));
        // The workshop at 190 boosts 190 … 203 even past the window's end (200).
        assert!(boost_on(&p, 203) && !boost_on(&p, 204) && !boost_on(&p, 5));
        assert_eq!(discounted_entry_cost(5_000.0, 0.5), 2_500.0);
        assert_eq!(discounted_entry_cost(5_000.0, 1.5), 0.0);
    }
}
