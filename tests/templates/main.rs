//! Recurring task templates (issue 17). `sweep`: one task per tick at 09:00 Sydney across both
//! daylight-saving changes, ticks in a gap and an overlap, racing workers, the catch-up rule
//! after an outage, and a template's task running like any other. `routes`: the routes and
//! their refusals, and the CLI. Time is placed with injected clocks (the API's for creation,
//! the sweep's for ticks); sweeps are run by hand, never waited for. This file: the helpers.

#[path = "../common/mod.rs"]
mod common;
mod routes;
mod sweep;

use std::time::Duration;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use chrono_tz::Australia::Sydney;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{TestApi, token, uuid};
use common::{TEST_WORKER, TestDb};
use taskfleet::schedule::Clock;
use taskfleet::worker::sweeps::{Sweep, SweepConfig, Sweeps};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The sweeps of a worker `id` whose clock reads `now`.
fn sweeps_at(pool: &PgPool, id: &str, now: DateTime<Utc>) -> Sweeps {
    let worker = common::sweep_worker(id, Clock::starting_at(now));
    let cfg = SweepConfig::parse(
        "*/1 * * * * *",
        "*/15 * * * * *",
        "0 30 3 * * *",
        Sydney,
        Duration::from_secs(60),
        30,
    )
    .unwrap();
    Sweeps::new(pool.clone(), worker, cfg)
}

/// One templates pass at `now`, as the sweep runs it; returns its recorded result (counts).
async fn sweep(pool: &PgPool, now: DateTime<Utc>) -> Value {
    sweeps_at(pool, TEST_WORKER, now)
        .run_once(Sweep::Templates)
        .await
        .unwrap()
}

/// The number of tasks a pass's result says it created.
#[track_caller]
fn created_count(result: &Value) -> i64 {
    result["created"]
        .as_i64()
        .unwrap_or_else(|| panic!("{result}"))
}

/// Runs the sweep at every `step` from `from` to `to` inclusive.
async fn sweep_through(pool: &PgPool, from: DateTime<Utc>, to: DateTime<Utc>, step: TimeDelta) {
    let mut now = from;
    while now <= to {
        sweep(pool, now).await;
        now += step;
    }
}

/// A task body for templates.
fn digest() -> Value {
    json!({"task_description": "Send the morning digest", "task_type": "email",
           "assigned_agent": "email-sender", "priority": 6})
}

/// POST /api/templates on `api` with `token`; panics unless 201. Returns the template.
async fn create(api: &TestApi, token: &str, body: Value) -> Value {
    let (status, resp) = api.post("/api/templates", token, body).await;
    assert_eq!(status, 201, "{resp}");
    assert_eq!(resp["success"], true, "{resp}");
    resp["template"].clone()
}

/// A template of `ws` created by an API whose clock reads `created`.
async fn template_at(
    db: &TestDb,
    ws: Uuid,
    created: DateTime<Utc>,
    cron: &str,
    extra: Value,
) -> Uuid {
    let api = TestApi::start_at(db, created).await;
    let mut body = json!({"workspace_id": ws, "name": "Morning digest", "cron": cron,
                          "timezone": "Australia/Sydney", "task": digest()});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    uuid(&create(&api, &token("alice", &[ws]), body).await["id"])
}

/// (tick, task id) of every task of `template`, in tick order.
async fn ticks(db: &TestDb, template: Uuid) -> Vec<(DateTime<Utc>, Uuid)> {
    let rows: Vec<(DateTime<Utc>, Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT k.tick, k.task_id, t.template_id FROM template_ticks k \
         JOIN autonomous_tasks t ON t.id = k.task_id WHERE k.template_id = $1 ORDER BY k.tick",
    )
    .bind(template)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let tasks: i64 =
        sqlx::query_scalar("SELECT count(*) FROM autonomous_tasks WHERE template_id = $1")
            .bind(template)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        tasks,
        rows.len() as i64,
        "a task without its tick, or the reverse"
    );
    for (_, _, from) in &rows {
        assert_eq!(*from, Some(template));
    }
    rows.into_iter().map(|(tick, id, _)| (tick, id)).collect()
}

async fn last_tick(db: &TestDb, template: Uuid) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("SELECT last_tick FROM task_templates WHERE id = $1")
        .bind(template)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Asserts one tick per day at 09:00 Sydney on `days` (day of month), at these UTC hours.
#[track_caller]
fn assert_nine_am_daily(got: &[(DateTime<Utc>, Uuid)], days: &[u32], utc_hours: &[u32]) {
    let local: Vec<(u32, u32, u32)> = got
        .iter()
        .map(|(t, _)| {
            let l = t.with_timezone(&Sydney);
            (l.day0() + 1, l.hour(), l.minute())
        })
        .collect();
    let want: Vec<(u32, u32, u32)> = days.iter().map(|d| (*d, 9, 0)).collect();
    assert_eq!(local, want, "{got:?}");
    let hours: Vec<u32> = got.iter().map(|(t, _)| t.hour()).collect();
    assert_eq!(hours, utc_hours, "{got:?}");
}
