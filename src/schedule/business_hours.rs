//! Business-hours rules: when a task may start or be retried.
//!
//! With the workspace switch on, non-urgent tasks (priority below 9) are held
//! to local wall-clock windows in the workspace's IANA zone:
//!
//! * no start in [22:00, 06:00), i.e. starts only in [06:00, 22:00);
//! * retries only in [09:00, 17:00);
//! * email tasks only in [09:00, 12:00).
//!
//! Every window that applies is intersected, and a proposed instant outside
//! the result moves to the next opening. All windows lie within one local day,
//! so the intersection is again one daily window `[open, close)`.
//!
//! Daylight saving comes from chrono-tz. A wall-clock target in a DST gap
//! resolves to the first valid instant after the gap; one in a DST overlap
//! resolves to the earlier instant. The module is pure: "now" is always a
//! parameter and nothing here does IO or reads a clock.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Zone used when a workspace has not set one.
pub const DEFAULT_ZONE: Tz = chrono_tz::Australia::Sydney;

/// Priorities at or above this are urgent and ignore every window.
pub const URGENT_PRIORITY: i16 = 9;

/// Whether the instant being placed is a first start or a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Start,
    Retry,
}

/// The task properties the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskClass {
    pub priority: i16,
    pub is_email: bool,
}

impl TaskClass {
    pub fn is_urgent(&self) -> bool {
        self.priority >= URGENT_PRIORITY
    }
}

/// The workspace's business-hours switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub enabled: bool,
}

/// A daily local wall-clock window `[open, close)`, with `open < close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    open: u32,
    close: u32,
}

impl Window {
    const fn hours(open: u32, close: u32) -> Self {
        Window { open, close }
    }

    /// Both bounds are whole hours, so comparing the hour is exact:
    /// 16:59:59.999 is inside [09, 17), 17:00:00 is not.
    fn contains(&self, t: NaiveTime) -> bool {
        (self.open..self.close).contains(&t.hour())
    }

    fn intersect(self, other: Window) -> Window {
        Window::hours(self.open.max(other.open), self.close.min(other.close))
    }
}

const NO_NIGHT_START: Window = Window::hours(6, 22);
const RETRY_HOURS: Window = Window::hours(9, 17);
const EMAIL_HOURS: Window = Window::hours(9, 12);

impl Rules {
    /// Earliest instant >= proposed at which the task may run. Returns
    /// `proposed` itself when no rule moves it.
    pub fn earliest(
        &self,
        proposed: DateTime<Utc>,
        tz: Tz,
        task: TaskClass,
        kind: Kind,
    ) -> DateTime<Utc> {
        match self.window(task, kind) {
            Some(window) => next_in_window(proposed, tz, window),
            None => proposed,
        }
    }

    /// The composed window for this task, or `None` when nothing applies.
    fn window(&self, task: TaskClass, kind: Kind) -> Option<Window> {
        if !self.enabled || task.is_urgent() {
            return None;
        }
        // A retry is also a start, so the night rule applies to both kinds
        // (it is implied by the retry window anyway).
        let mut window = NO_NIGHT_START;
        if kind == Kind::Retry {
            window = window.intersect(RETRY_HOURS);
        }
        if task.is_email {
            window = window.intersect(EMAIL_HOURS);
        }
        Some(window)
    }
}

/// Parses an IANA zone name such as `Australia/Sydney` (exact spelling).
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone {name:?}: expected an IANA name such as \"Australia/Sydney\"")
    })
}

/// The instant at which the wall clock in `tz` reads `hour:minute` on `date`.
///
/// A time in a DST gap resolves to the first valid instant after the gap; a
/// time in a DST overlap resolves to the earlier instant. Out-of-range values
/// are clamped to 23:59 rather than panicking: callers pass constants.
pub fn local_at(tz: Tz, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), minute.min(59), 0).unwrap_or(NaiveTime::MIN);
    resolve_local(tz, date.and_time(time))
}

/// A local wall-clock time as an instant: a time in a DST gap becomes the first valid instant
/// after the gap, one in an overlap the earlier of its two instants (also used by cron sweeps).
pub fn resolve_local(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&wall).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => gap_end(tz, wall),
    }
}

/// First instant whose wall clock reads at or after `wall`, which lies in a
/// gap. Offsets stay within ±16 h (even historical LMT), so the instant lies
/// within `wall ± 16 h` read as UTC; the wall clock only jumps forward in
/// that span, so a binary search over whole seconds (transitions fall on
/// whole seconds) finds the gap's end.
fn gap_end(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    const SPAN: i64 = 16 * 3600;
    let reads_at_or_after = |secs: i64| match DateTime::from_timestamp(secs, 0) {
        Some(t) => t.with_timezone(&tz).naive_local() >= wall,
        None => true,
    };
    let base = wall.and_utc().timestamp();
    let (mut lo, mut hi) = (base - SPAN, base + SPAN); // lo reads before, hi at/after
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reads_at_or_after(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| wall.and_utc())
}

/// Earliest instant >= `proposed` whose local wall-clock time is in `window`.
fn next_in_window(proposed: DateTime<Utc>, tz: Tz, window: Window) -> DateTime<Utc> {
    let local = proposed.with_timezone(&tz);
    if window.contains(local.time()) {
        return proposed;
    }
    // Try each day's opening from today on. A day's opening can be unusable
    // (already past, or swallowed by a gap so the wall clock lands after
    // close, as on Pacific/Apia's skipped 30 Dec 2011), so keep going; a
    // week is far more than any real zone needs.
    let open = NaiveTime::from_hms_opt(window.open, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut day = local.date_naive();
    for _ in 0..7 {
        let wall = day.and_time(open);
        // In an overlap the earlier opening is preferred, but when it is
        // already behind us the second pass of the same wall time is next.
        let later = tz.from_local_datetime(&wall).latest();
        let hit = [
            Some(resolve_local(tz, wall)),
            later.map(|t| t.with_timezone(&Utc)),
        ]
        .into_iter()
        .flatten()
        .find(|c| *c >= proposed && window.contains(c.with_timezone(&tz).time()));
        if let Some(hit) = hit {
            return hit;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    // Unreachable with real tz data; never move a task backwards.
    proposed
}

#[cfg(test)]
#[path = "business_hours_tests.rs"]
mod tests;
