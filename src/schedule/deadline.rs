//! Deadlines (contract section 9): a task that is not finished and whose deadline is within
//! [`URGENT_WINDOW`] runs at priority [`URGENT_PRIORITY`] or more. Applied when a task is
//! created and, as time passes, by the `deadline_escalation` sweep. Pure: "now" is passed in.

use chrono::{DateTime, TimeDelta, Utc};

/// How close a deadline makes a task urgent: the specification's "deadlines within 48 hours".
pub const URGENT_WINDOW: TimeDelta = TimeDelta::hours(48);

/// The bottom of the specification's urgent band (9-10), which also skips the time-of-day rules.
pub const URGENT_PRIORITY: i32 = 9;

/// Why a deadline cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("deadline {deadline} is in the past (now is {now})")]
pub struct PastDeadline {
    pub deadline: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// Rejects a deadline that has already passed: nothing could meet it.
pub fn check(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), PastDeadline> {
    if deadline <= now {
        return Err(PastDeadline { deadline, now });
    }
    Ok(())
}

/// The priority a task with `deadline` should have at `now`: raised to the urgent band once the
/// deadline is within the window (an overdue one included), never lowered.
pub fn priority(priority: i32, deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> i32 {
    match deadline {
        Some(d) if d - now <= URGENT_WINDOW => priority.max(URGENT_PRIORITY),
        _ => priority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_within_48_hours_are_urgent() {
        let now: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let h = TimeDelta::hours;
        for (p, deadline, want) in [
            (5, None, 5),
            (5, Some(now + h(72)), 5),
            (5, Some(now + h(48) + TimeDelta::seconds(1)), 5),
            (5, Some(now + h(48)), 9),
            (5, Some(now + h(24)), 9),
            (10, Some(now + h(24)), 10),
            (3, Some(now - h(1)), 9),
        ] {
            assert_eq!(priority(p, deadline, now), want, "{p} {deadline:?}");
        }
        assert!(check(now + h(1), now).is_ok());
        assert!(check(now, now).is_err());
        assert!(check(now - h(1), now).is_err());
    }
}
