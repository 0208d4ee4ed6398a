//! Potential developers (MODEL.md §7.12) as struct-of-arrays: the supply side's pool. A developer
//! who enters founds one independent firm with one offering.

/// A developer's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum DevStatus {
    /// Does not know the platform.
    Unaware = 0,
    /// Knows it; reviews entry every `entry_review_steps`.
    Aware = 1,
    /// Runs a firm on the platform.
    Active = 2,
    /// Ran a firm that exited; does not re-enter.
    Exited = 3,
}

/// The developer table.
#[derive(Clone, Debug, Default)]
pub struct Developers {
    /// Status.
    pub status: Vec<DevStatus>,
    /// Skill in [0, 1] (entrant quality q0 = 0.3 + 0.4·skill).
    pub skill: Vec<f32>,
    /// The offering of the developer's firm (`NONE` if none).
    pub firm: Vec<u32>,
}

impl Developers {
    /// Number of developers.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }
}
