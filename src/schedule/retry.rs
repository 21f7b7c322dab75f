//! Retry policy: exponential backoff stored as `next_run_at`, and when to give up (TASK_005).
//!
//! Retry n (n = the new `retry_count`, 1-based) waits `base * 2^n` plus up to 10 % jitter, so
//! with the default base of 1 s the three retries wait 2 s, 4 s and 8 s. A `Retry-After` from the
//! agent (429) is honoured: the wait is the longer of the two. A task whose `retry_count` already
//! equals `max_retries` fails instead.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::codes::Code;

/// Jitter spreads retries of tasks that failed together (an agent outage) so they do not all
/// come back in the same millisecond.
pub const MAX_JITTER: f64 = 0.10;

/// No backoff waits longer than this, however large max_retries is.
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub base: Duration,
    /// How far TASK_004 (agent unregistered or disabled) pushes `next_run_at`; no retry is used.
    pub unavailable_delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Back to queued with retry_count + 1, ready at `next_run_at`.
    Retry { next_run_at: DateTime<Utc> },
    /// No retries left: failed with TASK_005.
    GiveUp,
}

impl RetryPolicy {
    /// The wait before retry `n` (1-based) with `jitter` in [0, 1) scaled to at most 10 %.
    pub fn backoff(&self, n: i32, jitter: f64) -> Duration {
        let exp = n.clamp(0, 30) as u32;
        let wait = self.base.saturating_mul(1u32 << exp).min(MAX_BACKOFF);
        wait.mul_f64(1.0 + MAX_JITTER * jitter.clamp(0.0, 0.999_999))
    }

    /// Decides what a transient failure of an attempt leads to, with a random jitter.
    pub fn decide(
        &self,
        retry_count: i32,
        max_retries: i32,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Decision {
        self.decide_with(retry_count, max_retries, retry_after, now, rand::random())
    }

    /// [`Self::decide`] with the jitter given, for tests.
    pub fn decide_with(
        &self,
        retry_count: i32,
        max_retries: i32,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> Decision {
        if retry_count >= max_retries {
            return Decision::GiveUp;
        }
        let wait = self
            .backoff(retry_count + 1, jitter)
            .max(retry_after.unwrap_or_default().min(MAX_BACKOFF));
        let wait = TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
        Decision::Retry {
            next_run_at: now + wait,
        }
    }
}

/// `error_message` of a task that ran out of retries.
pub fn max_retries_message(max_retries: i32, last_error: &str) -> String {
    format!(
        "{}: max retries exceeded ({max_retries}); last error: {last_error}",
        Code::MaxRetriesExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            unavailable_delay: Duration::from_secs(30),
        }
    }

    #[test]
    fn default_waits_are_2_4_8_seconds_without_jitter() {
        for (n, want) in [(1, 2), (2, 4), (3, 8)] {
            assert_eq!(policy().backoff(n, 0.0), Duration::from_secs(want), "n={n}");
        }
    }

    #[test]
    fn jitter_adds_at_most_ten_percent() {
        let max = policy().backoff(2, 0.999_999);
        assert!(max > Duration::from_secs(4), "{max:?}");
        assert!(max < Duration::from_millis(4400), "{max:?}");
    }

    #[test]
    fn huge_exponents_are_capped() {
        assert_eq!(policy().backoff(90, 0.0), MAX_BACKOFF);
    }

    #[test]
    fn gives_up_when_retries_are_used_up() {
        let now = Utc::now();
        assert_eq!(policy().decide_with(3, 3, None, now, 0.0), Decision::GiveUp);
        assert_eq!(policy().decide_with(0, 0, None, now, 0.0), Decision::GiveUp);
        assert_eq!(
            policy().decide_with(2, 3, None, now, 0.0),
            Decision::Retry {
                next_run_at: now + TimeDelta::seconds(8)
            }
        );
    }

    #[test]
    fn retry_after_wins_when_longer_than_backoff() {
        let now = Utc::now();
        let long = Some(Duration::from_secs(60));
        assert_eq!(
            policy().decide_with(0, 3, long, now, 0.0),
            Decision::Retry {
                next_run_at: now + TimeDelta::seconds(60)
            }
        );
        let short = Some(Duration::from_secs(1));
        assert_eq!(
            policy().decide_with(0, 3, short, now, 0.0),
            Decision::Retry {
                next_run_at: now + TimeDelta::seconds(2)
            }
        );
    }
}
