use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Australia::Sydney;
use cron::Schedule;

use super::{Due, due, latest_in, next_after};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cron(expr: &str) -> Schedule {
    Schedule::from_str(expr).unwrap()
}

const HOUR: TimeDelta = TimeDelta::hours(1);

#[test]
fn nine_am_sydney_moves_its_utc_instant_with_daylight_saving() {
    let nine = cron("0 0 9 * * *");
    // (settled after, now, latest tick): AEST is UTC+10, AEDT (from 2026-10-04) UTC+11.
    for (after, now, want) in [
        (
            "2026-10-02T00:00:00Z",
            "2026-10-02T23:00:00Z",
            Some("2026-10-02T23:00:00Z"),
        ),
        ("2026-10-02T23:00:00Z", "2026-10-03T21:59:59Z", None),
        (
            "2026-10-02T23:00:00Z",
            "2026-10-03T22:00:00Z",
            Some("2026-10-03T22:00:00Z"),
        ),
        (
            "2027-04-02T00:00:00Z",
            "2027-04-02T22:00:00Z",
            Some("2027-04-02T22:00:00Z"),
        ),
        ("2027-04-02T22:00:00Z", "2027-04-03T22:30:00Z", None),
        (
            "2027-04-02T22:00:00Z",
            "2027-04-03T23:00:00Z",
            Some("2027-04-03T23:00:00Z"),
        ),
    ] {
        assert_eq!(
            latest_in(&nine, Sydney, at(after), at(now)),
            want.map(at),
            "after {after}, now {now}"
        );
    }
}

#[test]
fn a_tick_in_the_spring_gap_runs_once_at_the_first_valid_instant_after_it() {
    // 02:30 does not exist on 2026-10-04 in Sydney: 02:00 AEST became 03:00 AEDT (16:00Z).
    let half_past_two = cron("0 30 2 * * *");
    let after = at("2026-10-03T12:00:00Z");
    assert_eq!(
        latest_in(&half_past_two, Sydney, after, at("2026-10-03T15:59:59Z")),
        None
    );
    let gap_end = at("2026-10-03T16:00:00Z");
    assert_eq!(
        latest_in(&half_past_two, Sydney, after, gap_end),
        Some(gap_end)
    );
    assert_eq!(
        latest_in(&half_past_two, Sydney, gap_end, at("2026-10-04T12:00:00Z")),
        None
    );
    assert_eq!(next_after(&half_past_two, Sydney, after), Some(gap_end));
    // Every quarter hour: 02:00, 02:15, 02:30 and 02:45 all fall in the gap and become the one
    // instant 03:00 AEDT, which is also the 03:00 tick: one tick, not five.
    let quarters = cron("0 */15 * * * *");
    let before_gap = at("2026-10-03T15:45:00Z"); // 01:45 AEST
    assert_eq!(next_after(&quarters, Sydney, before_gap), Some(gap_end));
    assert_eq!(
        next_after(&quarters, Sydney, gap_end),
        Some(gap_end + TimeDelta::minutes(15))
    );
}

#[test]
fn a_tick_in_the_autumn_overlap_runs_once_at_its_first_occurrence() {
    // 02:30 happens twice on 2027-04-04 in Sydney: 15:30Z (AEDT), then 16:30Z (AEST).
    let half_past_two = cron("0 30 2 * * *");
    let first = at("2027-04-03T15:30:00Z");
    let after = at("2027-04-03T12:00:00Z");
    assert_eq!(
        latest_in(&half_past_two, Sydney, after, at("2027-04-03T15:29:59Z")),
        None
    );
    assert_eq!(latest_in(&half_past_two, Sydney, after, first), Some(first));
    // At 02:10 the second time round the wall clock is behind 02:30, yet the tick has run.
    assert_eq!(
        latest_in(&half_past_two, Sydney, after, at("2027-04-03T16:10:00Z")),
        Some(first)
    );
    // Once settled, the second 02:30 is not a tick.
    assert_eq!(
        latest_in(&half_past_two, Sydney, first, at("2027-04-03T16:30:00Z")),
        None
    );
    assert_eq!(
        latest_in(&half_past_two, Sydney, first, at("2027-04-04T12:00:00Z")),
        None
    );
    assert_eq!(
        next_after(&half_past_two, Sydney, first),
        Some(at("2027-04-04T16:30:00Z"))
    );
    // Every quarter hour: the repeated hour's ticks run in its first pass only.
    let quarters = cron("0 */15 * * * *");
    assert_eq!(
        latest_in(
            &quarters,
            Sydney,
            at("2027-04-03T15:40:00Z"),
            at("2027-04-03T16:59:00Z")
        ),
        Some(at("2027-04-03T15:45:00Z"))
    );
    assert_eq!(
        next_after(&quarters, Sydney, at("2027-04-03T15:45:00Z")),
        Some(at("2027-04-03T17:00:00Z"))
    );
}

#[test]
fn after_an_outage_only_the_latest_missed_tick_runs_and_only_while_young() {
    let nine = cron("0 0 9 * * *");
    let settled = at("2026-11-01T22:00:00Z"); // 09:00 AEDT on 2 November
    // Down until 09:30 on 5 November: the ticks of the 3rd and 4th are gone, the 5th's runs.
    let tick = at("2026-11-04T22:00:00Z");
    assert_eq!(
        due(&nine, Sydney, settled, tick + HOUR / 2, HOUR),
        Some(Due::Run(tick))
    );
    // Down until 10:00: the 5th's is an hour old, as old as the window: settled, not run.
    assert_eq!(
        due(&nine, Sydney, settled, tick + HOUR, HOUR),
        Some(Due::Skip(tick))
    );
    // A day's window catches it.
    assert_eq!(
        due(&nine, Sydney, settled, tick + HOUR, TimeDelta::days(1)),
        Some(Due::Run(tick))
    );
    // Nothing is due between ticks, nor before the first.
    assert_eq!(due(&nine, Sydney, tick, tick + HOUR * 20, HOUR), None);
    assert_eq!(due(&nine, Sydney, tick, tick, HOUR), None);
}
