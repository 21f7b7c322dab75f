//! Which tick of a template is due: pure (no IO, `now` passed in).
//!
//! A cron expression is read on the zone's wall clock (contract section 8). Each wall-clock tick
//! becomes one instant by [`resolve_local`], the rule the sweeps and the time-of-day windows
//! share: a tick that a spring-forward gap skips runs at the first valid instant after the gap
//! (02:30 on Sydney's changeover night runs at 03:00 AEDT), and a tick that an autumn overlap
//! repeats runs once, at its first occurrence. Iterating wall-clock times rather than instants
//! is what makes both hold: the cron crate alone drops the skipped tick and, in a zone, yields
//! the repeated one twice.
//!
//! Catch-up: of the ticks missed since the last settled one, only the latest is considered; it
//! runs if younger than the template's `catch_up_secs`, and is skipped (settled without a task)
//! otherwise. The older missed ticks are never run.

use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::schedule::business_hours::resolve_local;

/// What the sweep does with a template at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Create the task of this tick.
    Run(DateTime<Utc>),
    /// The latest missed tick is older than the catch-up window: settle it without a task.
    Skip(DateTime<Utc>),
}

impl Due {
    pub fn tick(self) -> DateTime<Utc> {
        match self {
            Due::Run(t) | Due::Skip(t) => t,
        }
    }
}

/// The tick due at `now` for a template whose ticks up to `settled` (its last tick, or its
/// creation) are done: the latest tick in `(settled, now]`, run if younger than `catch_up`.
/// None when no tick fell in that span.
pub fn due(
    schedule: &Schedule,
    zone: Tz,
    settled: DateTime<Utc>,
    now: DateTime<Utc>,
    catch_up: TimeDelta,
) -> Option<Due> {
    let tick = latest_in(schedule, zone, settled, now)?;
    Some(if now - tick < catch_up {
        Due::Run(tick)
    } else {
        Due::Skip(tick)
    })
}

/// The first tick strictly after `after`, as an instant.
pub fn next_after(schedule: &Schedule, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // A few wall ticks suffice: at most the ones inside one gap resolve to or before `after`.
    schedule
        .after(&wall(zone, after))
        .take(8)
        .map(|w| resolve_local(zone, w.naive_utc()))
        .find(|t| *t > after)
}

/// The latest tick in `(after, now]`, as an instant.
///
/// Wall ticks resolve to instants in the same order (a gap maps its ticks to the gap's end, an
/// overlap its ticks to their earlier occurrence), so walking the wall ticks backwards, the
/// first whose instant is at or before `now` is the latest. The walk starts past `now`'s own
/// wall clock by the hours the clock was set back within the last three (an overlap: a tick
/// whose wall time is still ahead may already have happened at its first occurrence).
pub fn latest_in(
    schedule: &Schedule,
    zone: Tz,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if now <= after {
        return None;
    }
    let offset_now = offset_secs(zone, now);
    let set_back = (1..=3)
        .map(|h| offset_secs(zone, now - TimeDelta::hours(h)) - offset_now)
        .max()
        .unwrap_or(0)
        .max(0);
    let start = wall(zone, now) + TimeDelta::seconds(set_back + 1);
    for w in schedule.after(&start).rev() {
        let t = resolve_local(zone, w.naive_utc());
        if t <= after {
            return None;
        }
        if t <= now {
            return Some(t);
        }
    }
    None
}

/// The wall clock of `zone` at `t`, as a UTC value (a zone without transitions, in which every
/// wall time occurs exactly once).
fn wall(zone: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_timezone(&zone).naive_local().and_utc()
}

fn offset_secs(zone: Tz, t: DateTime<Utc>) -> i64 {
    let naive: NaiveDateTime = t.naive_utc();
    i64::from(
        zone.offset_from_utc_datetime(&naive)
            .fix()
            .local_minus_utc(),
    )
}

#[cfg(test)]
#[path = "tick_tests.rs"]
mod tests;
