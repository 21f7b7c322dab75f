//! Recurring task templates (issue 17): one task per tick at 09:00 Sydney across both
//! daylight-saving changes, ticks in a gap and an overlap, racing workers, the catch-up rule
//! after an outage, the routes and their refusals, the CLI, and a template's task running like
//! any other. Time is placed with injected clocks (the API's for creation, the sweep's for
//! ticks); sweeps are run by hand, never waited for.

mod common;

use std::time::Duration;

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Australia::Sydney;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, Auth, Body, TestApi, assert_error, row_counts, token, uuid};
use common::procs::run_cli;
use common::{TEST_WORKER, TestDb};
use taskfleet::audit::AuditMode;
use taskfleet::schedule::retry::RetryPolicy;
use taskfleet::schedule::{Clock, TimeRules};
use taskfleet::worker::WorkerConfig;
use taskfleet::worker::sweeps::{Sweep, SweepConfig, Sweeps};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The sweeps of a worker `id` whose clock reads `now`.
fn sweeps_at(pool: &PgPool, id: &str, now: DateTime<Utc>) -> Sweeps {
    let worker = WorkerConfig {
        id: id.into(),
        concurrency: 1,
        task_timeout: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            unavailable_delay: Duration::from_secs(1),
        },
        poll_interval: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
        time: TimeRules::off(),
        clock: Clock::starting_at(now),
        audit: AuditMode::Outcomes,
        sweeps: None,
    };
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

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn nine_am_sydney_creates_one_task_a_day_across_both_daylight_saving_changes(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let template = template_at(
        &db,
        ws,
        at("2026-09-30T00:00:00Z"),
        "0 0 9 * * *",
        json!({}),
    )
    .await;
    // Hourly sweeps from 00:00 on 1 October to 23:00 on 8 October, Sydney time (AEST, then AEDT
    // from 4 October).
    let hour = TimeDelta::hours(1);
    sweep_through(
        &db.pool,
        at("2026-09-30T14:00:00Z"),
        at("2026-10-08T13:00:00Z"),
        hour,
    )
    .await;
    let october = ticks(&db, template).await;
    assert_nine_am_daily(
        &october,
        &[1, 2, 3, 4, 5, 6, 7, 8],
        &[23, 23, 23, 22, 22, 22, 22, 22],
    );

    // April 2027 (AEDT, then AEST from 4 April). The first sweep finds 31 March's tick, hours
    // old: skipped by the catch-up rule, not run.
    sweep_through(
        &db.pool,
        at("2027-03-31T13:00:00Z"),
        at("2027-04-08T13:00:00Z"),
        hour,
    )
    .await;
    let all = ticks(&db, template).await;
    assert_nine_am_daily(
        &all[8..],
        &[1, 2, 3, 4, 5, 6, 7, 8],
        &[22, 22, 22, 23, 23, 23, 23, 23],
    );
    assert_eq!(all.len(), 16);
    assert_eq!(
        last_tick(&db, template).await,
        Some(at("2027-04-07T23:00:00Z"))
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_tick_in_the_spring_gap_runs_once_at_three_am(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    // 02:30 does not exist in Sydney on 4 October 2026: 02:00 AEST became 03:00 AEDT.
    let template = template_at(
        &db,
        ws,
        at("2026-10-03T00:00:00Z"),
        "0 30 2 * * *",
        json!({}),
    )
    .await;
    let minutes = TimeDelta::minutes(10);
    sweep_through(
        &db.pool,
        at("2026-10-03T12:00:00Z"),
        at("2026-10-04T12:00:00Z"),
        minutes,
    )
    .await;
    let got = ticks(&db, template).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (tick, _) = got[0];
    assert_eq!(tick, at("2026-10-03T16:00:00Z"));
    assert_eq!(
        tick.with_timezone(&Sydney).to_rfc3339(),
        "2026-10-04T03:00:00+11:00"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_tick_in_the_autumn_overlap_runs_once(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    // 02:30 happens twice in Sydney on 4 April 2027: at 15:30Z (AEDT) and 16:30Z (AEST).
    let template = template_at(
        &db,
        ws,
        at("2027-04-03T00:00:00Z"),
        "0 30 2 * * *",
        json!({}),
    )
    .await;
    let minutes = TimeDelta::minutes(10);
    sweep_through(
        &db.pool,
        at("2027-04-03T12:00:00Z"),
        at("2027-04-04T12:00:00Z"),
        minutes,
    )
    .await;
    let got = ticks(&db, template).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, at("2027-04-03T15:30:00Z"));
    assert_eq!(
        got[0].0.with_timezone(&Sydney).to_rfc3339(),
        "2027-04-04T02:30:00+11:00"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn two_workers_racing_on_the_same_tick_create_its_task_once(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let created = at("2026-11-02T00:00:00Z");
    let template = template_at(&db, ws, created, "0 * * * * *", json!({})).await;
    for n in 1..=5 {
        let now = created + TimeDelta::minutes(n) + TimeDelta::seconds(1);
        let (a, b) = (sweeps_at(&db.pool, "a", now), sweeps_at(&db.pool, "b", now));
        // The passes themselves, without the sweep's advisory lock and tick claim.
        let (ra, rb) = tokio::join!(a.run_once(Sweep::Templates), b.run_once(Sweep::Templates));
        let made = [ra.unwrap(), rb.unwrap()]
            .iter()
            .map(created_count)
            .sum::<i64>();
        assert_eq!(made, 1, "minute {n}");
        // And through the sweep's own door, as the loop runs it.
        let (ra, rb) = tokio::join!(
            a.run_if_due(Sweep::Templates, now),
            b.run_if_due(Sweep::Templates, now)
        );
        assert!(
            ra.unwrap().is_some() ^ rb.unwrap().is_some(),
            "one worker wins the tick claim"
        );
    }
    assert_eq!(ticks(&db, template).await.len(), 5);
    // Even a worker that never saw last_tick move (here: last_tick lost) cannot create a
    // settled tick's task again: the (template, tick) key refuses it.
    sqlx::query("UPDATE task_templates SET last_tick = NULL WHERE id = $1")
        .bind(template)
        .execute(&db.pool)
        .await
        .unwrap();
    let again = sweep(
        &db.pool,
        created + TimeDelta::minutes(5) + TimeDelta::seconds(2),
    )
    .await;
    assert_eq!(created_count(&again), 0, "{again}");
    assert_eq!(ticks(&db, template).await.len(), 5);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn after_a_three_day_outage_only_the_last_tick_runs_and_only_while_young(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let created = at("2026-11-01T00:00:00Z");
    let hourly = template_at(&db, ws, created, "0 0 9 * * *", json!({})).await;
    let strict = template_at(
        &db,
        ws,
        created,
        "0 0 9 * * *",
        json!({"catch_up_secs": 600}),
    )
    .await;
    // 09:00:30 on 2 November (AEDT): both run.
    sweep(&db.pool, at("2026-11-01T22:00:30Z")).await;
    // The fleet is down until 09:30 on 5 November: the ticks of the 3rd, 4th and 5th are missed.
    let back = sweep(&db.pool, at("2026-11-04T22:30:00Z")).await;
    let fifth = at("2026-11-04T22:00:00Z");
    // The 5th's tick is 30 minutes old: inside the default hour, outside the 10-minute window.
    let got: Vec<DateTime<Utc>> = ticks(&db, hourly)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(got, [at("2026-11-01T22:00:00Z"), fifth]);
    let got: Vec<DateTime<Utc>> = ticks(&db, strict)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(got, [at("2026-11-01T22:00:00Z")]);
    assert_eq!(
        (created_count(&back), back["skipped"].as_i64()),
        (1, Some(1)),
        "{back}"
    );
    // The skipped tick is settled: not retried later that day; the next day's runs.
    assert_eq!(last_tick(&db, strict).await, Some(fifth));
    sweep(&db.pool, at("2026-11-04T23:00:00Z")).await;
    assert_eq!(ticks(&db, strict).await.len(), 1);
    sweep(&db.pool, at("2026-11-05T22:00:05Z")).await;
    assert_eq!(ticks(&db, strict).await.len(), 2);
    assert_eq!(ticks(&db, hourly).await.len(), 3);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_templates_task_runs_like_any_other_and_names_its_template(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let created = at("2026-11-02T00:00:00Z");
    let template = template_at(&c.db, c.ws, created, "0 */5 * * * *", json!({})).await;
    let result = sweep(&c.db.pool, created + TimeDelta::minutes(5)).await;
    assert_eq!(created_count(&result), 1, "{result}");
    let (_, task) = ticks(&c.db, template).await[0];
    let ready: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ready_tasks WHERE id = $1)")
        .bind(task)
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
    assert!(ready, "a template's task is ready as soon as it exists");
    let body = c.get_ok(&format!("/api/tasks/{task}")).await;
    assert_eq!(body["task"]["template_id"], json!(template), "{body}");
    assert_eq!(body["task"]["task_type"], "email");
    assert_eq!(body["task"]["priority"], 6);
    assert_eq!(body["task"]["status"], "queued");
    let audit = c.get_ok(&format!("/api/tasks/{task}/audit")).await;
    let created_row = &audit["audit"][0];
    assert_eq!(created_row["action"], "task.created", "{audit}");
    assert_eq!(
        created_row["details"]["template_id"],
        json!(template),
        "{audit}"
    );
    assert_eq!(created_row["agent"], TEST_WORKER);
    c.db.complete_task(task).await;
    assert_eq!(c.db.task(task).await.status, "completed");
    c.db.assert_queue_consistent().await;
    // A task of a plain POST /api/tasks carries template_id null.
    let plain = c.api.create_task(&c.token, c.ws, json!({})).await;
    assert_eq!(plain["template_id"], Value::Null);
}

async fn template_count(db: &TestDb) -> i64 {
    db.count("SELECT count(*) FROM task_templates").await
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn templates_are_created_listed_and_deleted_per_workspace(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let body = json!({"workspace_id": c.ws, "name": " Morning digest ", "cron": "0 0 9 * * *",
                      "timezone": "Australia/Sydney", "task": digest()});
    let t = create(&c.api, &c.token, body.clone()).await;
    assert_eq!(t["name"], "Morning digest");
    assert_eq!(t["cron"], "0 0 9 * * *");
    assert_eq!(t["timezone"], "Australia/Sydney");
    assert_eq!(t["enabled"], true);
    assert_eq!(t["catch_up_secs"], 3600);
    assert_eq!(t["last_tick"], Value::Null);
    assert_eq!(
        t["task"],
        json!({"task_description": "Send the morning digest", "task_type": "email",
               "assigned_agent": "email-sender", "priority": 6, "input_data": {},
               "max_retries": 3})
    );
    let id = uuid(&t["id"]);
    // The workspace sets no zone: TASKFLEET_TIMEZONE's default. One that sets a zone gives it.
    let default_zone = create(&c.api, &c.token, common::api::with(&body, "timezone", None)).await;
    assert_eq!(default_zone["timezone"], "Australia/Sydney");
    let (london,): (Uuid,) = sqlx::query_as(taskfleet::db::sql::WORKSPACE_CREATE)
        .bind("London office")
        .bind(Some("Europe/London"))
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
    let london_token = token("alice", &[c.ws, london]);
    let mut in_london = common::api::with(&body, "timezone", None);
    in_london["workspace_id"] = json!(london);
    in_london["enabled"] = json!(false);
    in_london["catch_up_secs"] = json!(600);
    let l = create(&c.api, &london_token, in_london).await;
    assert_eq!(
        (l["timezone"].as_str(), l["enabled"].as_bool()),
        (Some("Europe/London"), Some(false))
    );
    assert_eq!(l["catch_up_secs"], 600);

    let listed = c
        .get_ok(&format!("/api/templates?workspace_id={}", c.ws))
        .await;
    let ids: Vec<Value> = listed["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [t["id"].clone(), default_zone["id"].clone()]);
    assert_eq!(listed["templates"][0], t);

    // Another tenant sees none of it: its list of this workspace, and this template, are 404.
    let other = common::api::other_workspace(&c.db).await;
    let mallory = token("mallory", &[other]);
    let path = format!("/api/templates/{id}");
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&mallory), None)
        .await;
    assert_error(&got, 404, "TASK_016");
    let got = c
        .api
        .get(&format!("/api/templates?workspace_id={}", c.ws), &mallory)
        .await;
    assert_error(&got, 404, "TASK_013");
    let got = c.api.post("/api/templates", &mallory, body.clone()).await;
    assert_error(&got, 404, "TASK_013");
    assert_eq!(template_count(&c.db).await, 3);
    let listed = c
        .api
        .get(&format!("/api/templates?workspace_id={other}"), &mallory)
        .await;
    assert_eq!((listed.0, listed.1["templates"].clone()), (200, json!([])));

    // Deleting answers the template as it was; it is gone, and a second delete is a 404. The
    // tasks it made stay, naming it.
    let tomorrow = Utc::now().with_timezone(&Sydney).date_naive() + chrono::Days::new(1);
    let nine = Sydney
        .from_local_datetime(&tomorrow.and_hms_opt(9, 0, 0).unwrap())
        .single()
        .unwrap();
    let made = sweep(&c.db.pool, nine.with_timezone(&Utc) + TimeDelta::seconds(1)).await;
    assert_eq!(created_count(&made), 2, "{made}");
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&c.token), None)
        .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(got.1["template"]["id"], t["id"]);
    assert!(got.1["template"]["last_tick"].is_string(), "{}", got.1);
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&c.token), None)
        .await;
    assert_error(&got, 404, "TASK_016");
    let listed = c
        .get_ok(&format!("/api/templates?workspace_id={}", c.ws))
        .await;
    assert_eq!(listed["templates"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.db.count("SELECT count(*) FROM template_ticks").await,
        1,
        "the deleted template's ticks went with it"
    );
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM autonomous_tasks WHERE template_id = $1")
            .bind(id)
            .fetch_one(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(kept, 1);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["template.created", "template.deleted"]);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn invalid_templates_are_refused_at_creation_naming_the_field(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let good = json!({"workspace_id": c.ws, "name": "Digest", "cron": "0 0 9 * * *",
                      "task": digest()});
    let task_with = |key: &str, value: Value| {
        let mut b = good.clone();
        b["task"][key] = value;
        b
    };
    let task_without = |key: &str| {
        let mut b = good.clone();
        b["task"].as_object_mut().unwrap().remove(key);
        b
    };
    let with = |key: &str, value: Value| common::api::with(&good, key, Some(value));
    // (body, status, code, the message starts with)
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (with("cron", json!("0 9 * * *")), 422, "TASK_010", "cron: "),
        (
            with("cron", json!("every morning")),
            422,
            "TASK_010",
            "cron: ",
        ),
        (
            with("cron", json!("0 0 9 * * * 2020")),
            422,
            "TASK_010",
            "cron: ",
        ),
        (
            with("timezone", json!("Sydney")),
            422,
            "TASK_010",
            "timezone: ",
        ),
        (with("name", json!("  ")), 422, "TASK_010", "name: "),
        (
            with("catch_up_secs", json!(5)),
            422,
            "TASK_010",
            "catch_up_secs: ",
        ),
        (with("task", json!("Send it")), 422, "TASK_010", "task: "),
        (
            task_with("task_type", json!("fax")),
            422,
            "TASK_007",
            "task.task_type ",
        ),
        (
            task_with("priority", json!(11)),
            422,
            "TASK_010",
            "task.priority ",
        ),
        (
            task_with("priority", json!("5")),
            422,
            "TASK_010",
            "task.priority: ",
        ),
        (
            task_with("max_retries", json!(101)),
            422,
            "TASK_010",
            "task.max_retries ",
        ),
        (
            task_with("input_data", json!([1])),
            422,
            "TASK_010",
            "task.input_data ",
        ),
        (
            task_with("task_description", json!(" ")),
            422,
            "TASK_010",
            "task.task_description ",
        ),
        (
            task_with("assigned_agent", json!("Email Sender")),
            422,
            "TASK_010",
            "task.assigned_agent: ",
        ),
        (
            task_with("colour", json!("red")),
            422,
            "TASK_010",
            "task.colour: unknown field",
        ),
        (
            task_without("task_type"),
            422,
            "TASK_010",
            "task: missing field `task_type`",
        ),
        (
            task_with("workspace_id", json!(c.ws)),
            422,
            "TASK_010",
            "task.workspace_id: ",
        ),
        (
            task_with("deadline", json!("2030-01-01T00:00:00Z")),
            422,
            "TASK_010",
            "task.deadline: ",
        ),
        (
            task_with("depends_on", json!([Uuid::now_v7()])),
            422,
            "TASK_010",
            "task.depends_on: ",
        ),
        // The request itself malformed: 400, as on every route.
        (
            with("cron", json!(9)),
            400,
            "TASK_010",
            "invalid body: field `cron`",
        ),
        (
            with("enabled", json!("yes")),
            400,
            "TASK_010",
            "invalid body: field `enabled`",
        ),
        (
            with("schedule", json!("daily")),
            400,
            "TASK_010",
            "invalid body: field `schedule`: unknown field",
        ),
        (
            common::api::with(&good, "task", None),
            400,
            "TASK_010",
            "invalid body: missing field `task`",
        ),
    ];
    for (body, status, code, starts) in cases {
        let before = template_count(&c.db).await;
        let message = c
            .reject(
                "POST",
                "/api/templates",
                Some(body.clone().into()),
                status,
                code,
            )
            .await;
        assert!(
            message.starts_with(starts),
            "{body}: {message:?} should start with {starts:?}"
        );
        assert_eq!(
            template_count(&c.db).await,
            before,
            "{body} wrote a template"
        );
    }
    for raw in ["{\"workspace_id\": ", "[]", "null"] {
        let message = c
            .reject(
                "POST",
                "/api/templates",
                Some(Body::from(raw)),
                400,
                "TASK_010",
            )
            .await;
        assert!(!message.is_empty());
    }
    c.reject("DELETE", "/api/templates/not-a-uuid", None, 400, "TASK_010")
        .await;
    c.reject("GET", "/api/templates", None, 400, "TASK_010")
        .await;
    assert_eq!(template_count(&c.db).await, 0);
    assert_eq!(row_counts(&c.db).await, (0, 0, 0));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_cli_creates_and_lists_templates_with_the_apis_rules(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let ws_s = ws.to_string();
    let env = [("DATABASE_URL", db.url.as_str()), ("USER", "ops")];
    let task = digest().to_string();
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Morning digest",
        "--cron",
        "0 0 9 * * *",
        "--task",
        &task,
        "--disabled",
    ];
    let (status, stdout, stderr) = run_cli(&args, &env);
    assert!(status.success(), "{stderr}");
    let id: Uuid = stdout.trim().parse().unwrap();
    let file = std::env::temp_dir().join(format!("template-{id}.json"));
    std::fs::write(&file, digest().to_string()).unwrap();
    let at_file = format!("@{}", file.display());
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Evening digest",
        "--cron",
        "0 0 18 * * *",
        "--timezone",
        "Europe/London",
        "--task",
        &at_file,
    ];
    let (status, _, stderr) = run_cli(&args, &env);
    assert!(status.success(), "{stderr}");
    std::fs::remove_file(&file).unwrap();

    let (status, stdout, stderr) = run_cli(&["templates", "list", "--workspace", &ws_s], &env);
    assert!(status.success(), "{stderr}");
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(
        rows[0],
        [
            id.to_string().as_str(),
            "Morning digest",
            "0 0 9 * * *",
            "Australia/Sydney",
            "disabled",
            "3600",
            "-"
        ]
    );
    assert_eq!(rows[1][3], "Europe/London");
    assert_eq!(rows[1][4], "enabled");

    // Refused as the API refuses: code and field first, one line, nothing written.
    let bad =
        json!({"task_description": "x", "task_type": "fax", "assigned_agent": "a"}).to_string();
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Bad",
        "--cron",
        "0 0 9 * * *",
        "--task",
        &bad,
    ];
    let (status, _, stderr) = run_cli(&args, &env);
    assert!(!status.success());
    assert!(
        stderr.trim().starts_with("error: TASK_007: task.task_type"),
        "{stderr}"
    );
    let other = Uuid::now_v7().to_string();
    let (status, _, stderr) = run_cli(&["templates", "list", "--workspace", &other], &env);
    assert!(!status.success());
    assert!(stderr.contains("TASK_013"), "{stderr}");
    assert_eq!(template_count(&db).await, 2);
}
