use super::*;
use Kind::{Retry, Start};
use chrono::Duration;
use chrono_tz::{America, Australia, Europe, Pacific};

const ON: Rules = Rules { enabled: true };
const OFF: Rules = Rules { enabled: false };
const SYD: Tz = Australia::Sydney;
const PLAIN: TaskClass = class(5, false);
const EMAIL: TaskClass = class(5, true);

const fn class(priority: i16, is_email: bool) -> TaskClass {
    TaskClass { priority, is_email }
}

/// A pinned UTC instant, "YYYY-MM-DD HH:MM".
fn at(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
}

/// Rows are (what, task, kind, proposed UTC, expected UTC); `what` gives local times.
type Case = (&'static str, TaskClass, Kind, &'static str, &'static str);

fn check(rules: Rules, tz: Tz, cases: &[Case]) {
    for &(what, task, kind, proposed, expected) in cases {
        let got = rules.earliest(at(proposed), tz, task, kind);
        assert_eq!(got, at(expected), "{tz}: {what}");
    }
}

#[test]
#[rustfmt::skip] // one row per case reads as a table
fn sydney_windows_in_winter() {
    // June 2026 is AEST, UTC+10.
    check(ON, SYD, &[
        ("start 21:59 stays", PLAIN, Start, "2026-06-15 11:59", "2026-06-15 11:59"),
        ("start 22:00 -> 06:00", PLAIN, Start, "2026-06-15 12:00", "2026-06-15 20:00"),
        ("start 00:00 -> 06:00", PLAIN, Start, "2026-06-15 14:00", "2026-06-15 20:00"),
        ("start 05:59 -> 06:00", PLAIN, Start, "2026-06-15 19:59", "2026-06-15 20:00"),
        ("start 06:00 stays", PLAIN, Start, "2026-06-15 20:00", "2026-06-15 20:00"),
        ("email 08:59 -> 09:00", EMAIL, Start, "2026-06-14 22:59", "2026-06-14 23:00"),
        ("email 09:00 stays", EMAIL, Start, "2026-06-14 23:00", "2026-06-14 23:00"),
        ("email 11:59 stays", EMAIL, Start, "2026-06-15 01:59", "2026-06-15 01:59"),
        ("email 12:00 -> next 09:00", EMAIL, Start, "2026-06-15 02:00", "2026-06-15 23:00"),
        ("email 03:00 -> 09:00", EMAIL, Start, "2026-06-14 17:00", "2026-06-14 23:00"),
        ("retry 08:00 -> 09:00", PLAIN, Retry, "2026-06-14 22:00", "2026-06-14 23:00"),
        ("retry 09:00 stays", PLAIN, Retry, "2026-06-14 23:00", "2026-06-14 23:00"),
        ("retry 16:59 stays", PLAIN, Retry, "2026-06-15 06:59", "2026-06-15 06:59"),
        ("retry 17:00 -> next 09:00", PLAIN, Retry, "2026-06-15 07:00", "2026-06-15 23:00"),
        ("retry 23:00 -> next 09:00", PLAIN, Retry, "2026-06-15 13:00", "2026-06-15 23:00"),
        ("email retry 13:00 -> next 09", EMAIL, Retry, "2026-06-15 03:00", "2026-06-15 23:00"),
        ("email retry 11:59 stays", EMAIL, Retry, "2026-06-15 01:59", "2026-06-15 01:59"),
        ("email retry 08:00 -> 09:00", EMAIL, Retry, "2026-06-14 22:00", "2026-06-14 23:00"),
    ]);
}

#[test]
fn last_instant_before_close_stays() {
    let p = at("2026-06-15 06:59") + Duration::milliseconds(59_999); // 16:59:59.999 AEST
    assert_eq!(ON.earliest(p, SYD, PLAIN, Retry), p);
}

#[test]
#[rustfmt::skip] // one row per case reads as a table
fn sydney_dst_changes_2026() {
    check(ON, SYD, &[
        // 5 Apr 2026 03:00 AEDT (+11) -> 02:00 AEST (+10); 02:00-03:00 happens twice.
        ("Apr 23:00 AEDT -> 06:00 AEST", PLAIN, Start, "2026-04-04 12:00", "2026-04-04 20:00"),
        ("Apr first 02:30", PLAIN, Start, "2026-04-04 15:30", "2026-04-04 20:00"),
        ("Apr second 02:30", PLAIN, Start, "2026-04-04 16:30", "2026-04-04 20:00"),
        ("Apr retry 17:00 -> 09:00 AEST", PLAIN, Retry, "2026-04-04 06:00", "2026-04-04 23:00"),
        ("Apr email 12:00 -> next 09:00", EMAIL, Start, "2026-04-05 02:00", "2026-04-05 23:00"),
        // 4 Oct 2026 02:00 AEST (+10) -> 03:00 AEDT (+11); 02:00-03:00 never happens.
        ("Oct 23:00 AEST -> 06:00 AEDT", PLAIN, Start, "2026-10-03 13:00", "2026-10-03 19:00"),
        ("Oct 03:00 AEDT (gap end)", PLAIN, Start, "2026-10-03 16:00", "2026-10-03 19:00"),
        ("Oct retry 17:00 -> 09:00 AEDT", PLAIN, Retry, "2026-10-03 07:00", "2026-10-03 22:00"),
        ("Oct email 12:00 -> next 09:00", EMAIL, Start, "2026-10-04 01:00", "2026-10-04 22:00"),
    ]);
}

#[test]
#[rustfmt::skip] // one row per case reads as a table
fn other_zones() {
    check(ON, America::New_York, &[
        ("Jan 22:30 EST -> 06:00", PLAIN, Start, "2026-01-16 03:30", "2026-01-16 11:00"),
        ("Jul start 21:59 EDT stays", PLAIN, Start, "2026-07-02 01:59", "2026-07-02 01:59"),
        ("Jul email 08:59 EDT -> 09:00", EMAIL, Start, "2026-07-01 12:59", "2026-07-01 13:00"),
    ]);
    check(ON, Europe::London, &[
        ("Jun retry 17:00 BST -> 09:00", PLAIN, Retry, "2026-06-15 16:00", "2026-06-16 08:00"),
        // 29 Mar 2026 01:00 GMT -> 02:00 BST.
        ("start 23:00 GMT -> 06:00 BST", PLAIN, Start, "2026-03-28 23:00", "2026-03-29 05:00"),
    ]);
    // Apia skipped 30 Dec 2011 (-10 -> +14): 23:00 on the 29th waits for
    // 06:00 on the 31st, not for the gap's end at midnight.
    check(ON, Pacific::Apia, &[
        ("skipped day", PLAIN, Start, "2011-12-30 09:00", "2011-12-30 16:00"),
    ]);
}

#[test]
#[rustfmt::skip] // one row per case reads as a table
fn urgency_and_switch() {
    let night = "2026-06-15 13:00"; // 23:00 AEST
    check(ON, SYD, &[
        ("priority 9 exempt", class(9, false), Start, night, night),
        ("priority 10 exempt", class(10, false), Retry, night, night),
        ("urgent email exempt", class(9, true), Retry, night, night),
        ("priority 8 start held", class(8, false), Start, night, "2026-06-15 20:00"),
        ("priority 8 retry held", class(8, false), Retry, night, "2026-06-15 23:00"),
    ]);
    check(OFF, SYD, &[
        ("off start", PLAIN, Start, night, night),
        ("off retry", PLAIN, Retry, night, night),
        ("off email retry", EMAIL, Retry, night, night),
    ]);
}

#[test]
#[rustfmt::skip] // one row per case reads as a table
fn local_at_resolves_gaps_and_overlaps() {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let cases = [
        ("plain 06:00 AEST", SYD, day(2026, 4, 5), 6, 0, "2026-04-04 20:00"),
        ("Oct gap 02:30 -> 03:00 AEDT", SYD, day(2026, 10, 4), 2, 30, "2026-10-03 16:00"),
        ("Apr overlap 02:30 -> AEDT", SYD, day(2026, 4, 5), 2, 30, "2026-04-04 15:30"),
        ("Apia skipped day 06:00", Pacific::Apia, day(2011, 12, 30), 6, 0, "2011-12-30 10:00"),
    ];
    for (what, tz, date, hour, minute, expected) in cases {
        assert_eq!(local_at(tz, date, hour, minute), at(expected), "{what}");
    }
}

#[test]
fn parse_zone_names() {
    assert_eq!(parse_zone("Australia/Sydney"), Ok(SYD));
    assert_eq!(parse_zone("Europe/London"), Ok(Europe::London));
    let err = parse_zone("Mars/Olympus").unwrap_err();
    assert!(
        err.contains("\"Mars/Olympus\"") && err.contains("IANA"),
        "{err}"
    );
    assert!(parse_zone("").is_err());
}

/// Independent oracle: minute by minute across DST days, the result must be
/// the first minute at or after the proposal whose wall clock the rules allow.
#[test]
fn sweep_matches_minute_oracle() {
    fn allowed(t: NaiveTime, task: TaskClass, kind: Kind) -> bool {
        let h = t.hour();
        let night = !(6..22).contains(&h);
        let retry_ok = kind == Start || (9..17).contains(&h);
        let email_ok = !task.is_email || (9..12).contains(&h);
        !night && retry_ok && email_ok
    }
    let spans = [
        (SYD, "2026-04-03 12:00"),
        (SYD, "2026-10-02 12:00"),
        (Europe::London, "2026-10-24 12:00"),
        (Pacific::Apia, "2011-12-28 12:00"),
    ];
    for (tz, from) in spans {
        let grid: Vec<_> = (0..4 * 1440)
            .map(|m| at(from) + Duration::minutes(m))
            .collect();
        for task in [PLAIN, EMAIL] {
            for kind in [Start, Retry] {
                let mut next = None;
                for &t in grid.iter().rev() {
                    if allowed(t.with_timezone(&tz).time(), task, kind) {
                        next = Some(t);
                    }
                    if let Some(want) = next {
                        let got = ON.earliest(t, tz, task, kind);
                        assert_eq!(got, want, "{tz} {task:?} {kind:?} from {t}");
                    }
                }
            }
        }
    }
}

/// Antarctica/Troll falls back two hours (03:00 +02 -> 01:00 +00 on 25 Oct
/// 2026), so an opening at 02:00 happens twice; from 01:30 on the second pass
/// the next opening is the second 02:00, not tomorrow's.
#[test]
fn opening_inside_an_overlap_uses_its_second_pass() {
    let tz = chrono_tz::Antarctica::Troll;
    let window = Window::hours(2, 22);
    let got = next_in_window(at("2026-10-25 01:30"), tz, window);
    assert_eq!(got, at("2026-10-25 02:00"));
    // Before the first 02:00 the earlier pass wins, per the overlap rule.
    let got = next_in_window(at("2026-10-24 23:00"), tz, window);
    assert_eq!(got, at("2026-10-25 00:00"));
}
