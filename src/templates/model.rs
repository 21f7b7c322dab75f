//! A template as stored (`task_templates`) and as the API answers it, and the rules of its own
//! fields. Each rule returns the message the API answers with 422 TASK_010 (naming the field).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::schedule::business_hours::parse_zone;

/// `catch_up_secs` when the request gives none: a missed tick still runs within the hour.
pub const DEFAULT_CATCH_UP_SECS: i32 = 3600;
/// Shortest catch-up window: the sweep runs every 10 s by default, and a window shorter than a
/// sweep's period (and a worker's restart) would drop ticks for no reason.
pub const MIN_CATCH_UP_SECS: i32 = 60;
/// Longest catch-up window: 31 days, a monthly template's period.
/// (sql/template_tick_delete_expired.sql keeps the ticks of this window: change both together.)
pub const MAX_CATCH_UP_SECS: i32 = 31 * 24 * 3600;
/// Longest name (characters).
pub const MAX_NAME_CHARS: usize = 200;

/// A template as `POST /api/templates` and `GET /api/templates` answer it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Template {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    /// The `cron` crate's syntax: 6 or 7 fields, seconds first, day-of-week 1 = Sunday.
    #[schema(example = "0 0 9 * * *")]
    pub cron: String,
    /// The IANA zone the cron is read in.
    #[schema(example = "Australia/Sydney")]
    pub timezone: String,
    /// The task each tick creates: the POST /api/tasks body without `workspace_id`, with its
    /// defaults filled in (`priority`, `input_data`, `max_retries`).
    #[schema(value_type = Object)]
    pub task: Json<Value>,
    /// A disabled template creates no tasks.
    pub enabled: bool,
    /// A tick missed (the fleet was down) runs late only while younger than this; only the
    /// latest missed tick runs.
    pub catch_up_secs: i32,
    /// Ticks are counted from here.
    pub created_at: DateTime<Utc>,
    /// The latest tick settled (its task created, or skipped as too old); null before the
    /// first.
    pub last_tick: Option<DateTime<Utc>>,
}

/// A validated template, ready for `sql/template_insert.sql`.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    /// The normalized task body (see [`Template::task`]).
    pub task: Value,
    pub enabled: bool,
    pub catch_up_secs: i32,
    /// The creator's clock: the first tick due is the first one after it.
    pub created_at: DateTime<Utc>,
}

/// `cron`: parses in the `cron` crate's syntax (contract section 8) and fires at least once
/// after `now` read in `zone` (a year field entirely in the past never would).
pub fn check_cron(expr: &str, zone: Tz, now: DateTime<Utc>) -> Result<Schedule, String> {
    let schedule = Schedule::from_str(expr.trim()).map_err(|e| {
        format!(
            "cron: {expr:?} is not a cron expression (6 or 7 fields, seconds first, e.g. \
             \"0 0 9 * * *\"): {e}"
        )
    })?;
    if super::tick::next_after(&schedule, zone, now).is_none() {
        return Err(format!("cron: {expr:?} never fires after {now}"));
    }
    Ok(schedule)
}

/// `timezone`: an IANA zone name, spelled exactly.
pub fn check_zone(name: &str) -> Result<Tz, String> {
    parse_zone(name).map_err(|e| format!("timezone: {e}"))
}

/// `name`: not blank, at most [`MAX_NAME_CHARS`]; returned trimmed.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("name: must not be empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name: at most {MAX_NAME_CHARS} characters"));
    }
    Ok(name.to_owned())
}

/// `catch_up_secs`: [`MIN_CATCH_UP_SECS`]..=[`MAX_CATCH_UP_SECS`], default
/// [`DEFAULT_CATCH_UP_SECS`].
pub fn check_catch_up(secs: Option<i32>) -> Result<i32, String> {
    let secs = secs.unwrap_or(DEFAULT_CATCH_UP_SECS);
    if !(MIN_CATCH_UP_SECS..=MAX_CATCH_UP_SECS).contains(&secs) {
        return Err(format!(
            "catch_up_secs: {secs} is outside {MIN_CATCH_UP_SECS}..={MAX_CATCH_UP_SECS}"
        ));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-02T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn field_rules_name_their_field() {
        let sydney = chrono_tz::Australia::Sydney;
        assert!(check_cron("0 0 9 * * *", sydney, now()).is_ok());
        assert!(check_cron("0 0 9 * * * 2030", sydney, now()).is_ok());
        for bad in [
            "",
            "0 9 * * *",
            "0 0 25 * * *",
            "every day",
            "0 0 9 * * * 2020",
        ] {
            let e = check_cron(bad, sydney, now()).unwrap_err();
            assert!(e.starts_with("cron: "), "{bad:?}: {e}");
        }
        assert_eq!(check_zone("Australia/Sydney").unwrap(), sydney);
        for bad in ["", "Sydney", "australia/sydney", "UTC+10"] {
            assert!(
                check_zone(bad).unwrap_err().starts_with("timezone: "),
                "{bad:?}"
            );
        }
        assert_eq!(check_name("  Daily digest ").unwrap(), "Daily digest");
        assert!(check_name(" \t").unwrap_err().starts_with("name: "));
        assert!(check_name(&"x".repeat(201)).is_err());
        assert_eq!(check_catch_up(None).unwrap(), 3600);
        assert_eq!(check_catch_up(Some(60)).unwrap(), 60);
        for bad in [0, 59, -1, MAX_CATCH_UP_SECS + 1] {
            assert!(
                check_catch_up(Some(bad))
                    .unwrap_err()
                    .starts_with("catch_up_secs: ")
            );
        }
    }
}
