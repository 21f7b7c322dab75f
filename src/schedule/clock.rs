//! The "now" the outcome rule and the time-of-day rules are applied at.

use chrono::{DateTime, TimeDelta, Utc};

/// The system clock, optionally shifted. A shifted clock lets a test place a worker at a chosen
/// local time of day (18:30 in Sydney, say) without waiting for it; Postgres keeps its own
/// clock for readiness and leases, so only the rules' view of time moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            offset: at - Utc::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}
