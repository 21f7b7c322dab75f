//! When tasks may run: pure rules (no IO, "now" passed in) that the queue and workers apply:
//! retry backoff ([`retry`]) and the time-of-day rules ([`business_hours`]), which
//! [`TimeRules`] applies to a task given its workspace's zone; [`deadline`] raises the priority
//! of tasks due soon; [`Clock`] is where "now" comes from.

pub mod business_hours;
mod clock;
pub mod deadline;
pub mod retry;

pub use clock::Clock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use business_hours::{Kind, Rules, TaskClass};

/// The time-of-day rules as the fleet applies them (`TASKFLEET_BUSINESS_HOURS`,
/// `TASKFLEET_TIMEZONE` for workspaces that set no zone).
#[derive(Debug, Clone, Copy)]
pub struct TimeRules {
    pub rules: Rules,
    pub default_zone: Tz,
}

/// What the rules need to know of a task.
#[derive(Debug, Clone, Copy)]
pub struct TaskTiming<'a> {
    pub priority: i32,
    pub task_type: &'a str,
    pub assigned_agent: &'a str,
    /// The workspace's zone name, if it set one.
    pub timezone: Option<&'a str>,
}

impl TimeRules {
    /// Rules off: every instant is fine (tests, the demo).
    pub fn off() -> Self {
        Self {
            rules: Rules { enabled: false },
            default_zone: business_hours::DEFAULT_ZONE,
        }
    }

    /// When a task claimed at `now` may really start: None when it may start now, else the
    /// instant its `next_run_at` moves to (audited `task.deferred`).
    pub fn start_after(&self, task: TaskTiming<'_>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = self
            .rules
            .earliest(now, self.zone(task), class(task), Kind::Start);
        (at > now).then_some(at)
    }

    /// Moves a retry's backoff-computed instant into the retry window.
    pub fn retry_at(&self, task: TaskTiming<'_>, proposed: DateTime<Utc>) -> DateTime<Utc> {
        self.rules
            .earliest(proposed, self.zone(task), class(task), Kind::Retry)
    }

    fn zone(&self, task: TaskTiming<'_>) -> Tz {
        task.timezone
            .and_then(|z| z.parse().ok())
            .unwrap_or(self.default_zone)
    }
}

fn class(task: TaskTiming<'_>) -> TaskClass {
    TaskClass {
        priority: i16::try_from(task.priority).unwrap_or(i16::MAX),
        is_email: task.task_type == "email" || task.assigned_agent == "email-agent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> TimeRules {
        TimeRules {
            rules: Rules { enabled: true },
            default_zone: business_hours::DEFAULT_ZONE,
        }
    }

    fn task(
        priority: i32,
        task_type: &'static str,
        timezone: Option<&'static str>,
    ) -> TaskTiming<'static> {
        TaskTiming {
            priority,
            task_type,
            assigned_agent: "content-generator",
            timezone,
        }
    }

    #[test]
    fn a_claim_at_night_in_sydney_is_deferred_to_six() {
        // 23:30 AEDT on 25 Nov 2026 is 12:30 UTC; 06:00 AEDT next day is 19:00 UTC.
        let now: DateTime<Utc> = "2026-11-25T12:30:00Z".parse().unwrap();
        let want: DateTime<Utc> = "2026-11-25T19:00:00Z".parse().unwrap();
        assert_eq!(
            rules().start_after(task(5, "content", None), now),
            Some(want)
        );
        assert_eq!(
            rules().start_after(task(9, "content", None), now),
            None,
            "urgent"
        );
        assert_eq!(
            TimeRules::off().start_after(task(5, "content", None), now),
            None,
            "switch off"
        );
    }

    #[test]
    fn the_workspace_zone_wins_over_the_default() {
        // 12:30 UTC is 12:30 in London: a start is fine there, not in Sydney.
        let now: DateTime<Utc> = "2026-11-25T12:30:00Z".parse().unwrap();
        assert_eq!(
            rules().start_after(task(5, "content", Some("Europe/London")), now),
            None
        );
        // Email in London at 12:30 is past the 09:00-12:00 window: next day 09:00 GMT.
        let want: DateTime<Utc> = "2026-11-26T09:00:00Z".parse().unwrap();
        assert_eq!(
            rules().start_after(task(5, "email", Some("Europe/London")), now),
            Some(want)
        );
    }

    #[test]
    fn a_retry_due_at_four_fifty_nine_pm_stays_and_five_pm_moves_to_nine() {
        // 16:59 AEDT = 05:59 UTC; 17:00 AEDT = 06:00 UTC; next 09:00 AEDT = 22:00 UTC.
        let stay: DateTime<Utc> = "2026-11-25T05:59:00Z".parse().unwrap();
        assert_eq!(rules().retry_at(task(5, "content", None), stay), stay);
        let late: DateTime<Utc> = "2026-11-25T06:00:00Z".parse().unwrap();
        let nine: DateTime<Utc> = "2026-11-25T22:00:00Z".parse().unwrap();
        assert_eq!(rules().retry_at(task(5, "content", None), late), nine);
    }
}
