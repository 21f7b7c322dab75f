//! The `templates` sweep: daylight saving, racing workers, catch-up, and the task it creates.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Australia::Sydney;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use std::time::Duration;

use crate::common::agent::{Reply, TestAgent};
use crate::common::api::{ApiCtx, uuid};
use crate::common::procs::WorkerProc;
use crate::common::{TEST_WORKER, TestDb, wait_until};
use crate::{
    assert_nine_am_daily, at, create, created_count, digest, last_tick, sweep, sweep_through,
    sweeps_at, template_at, ticks,
};
use taskfleet::worker::sweeps::Sweep;

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

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn retention_drops_the_keys_of_ticks_that_can_never_be_due_again(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    // 09:00 Sydney on 2 October only, so the sweep at the real "now" below finds it not due.
    let old = template_at(
        &db,
        ws,
        at("2026-09-30T00:00:00Z"),
        "0 0 9 2 10 *",
        json!({}),
    )
    .await;
    sweep(&db.pool, at("2026-10-01T23:00:01Z")).await;
    let now = Utc::now();
    let recent = template_at(
        &db,
        ws,
        now - TimeDelta::minutes(10),
        "0 * * * * *",
        json!({}),
    )
    .await;
    sweep(&db.pool, now).await;
    assert_eq!(ticks(&db, old).await.len(), 1);
    assert_eq!(ticks(&db, recent).await.len(), 1);
    let result = sweeps_at(&db.pool, TEST_WORKER, now)
        .run_once(Sweep::Retention)
        .await
        .unwrap();
    assert_eq!(result["template_ticks_deleted"], 1, "{result}");
    // The October tick's key is gone (its task, still queued, stays); the recent one's is kept.
    assert_eq!(db.count("SELECT count(*) FROM template_ticks").await, 1);
    let kept: Vec<Uuid> = sqlx::query_scalar("SELECT template_id FROM template_ticks")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, [recent]);
    assert_eq!(
        db.count("SELECT count(*) FROM autonomous_tasks WHERE template_id IS NOT NULL")
            .await,
        2
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_worker_process_runs_the_sweep_and_then_the_task(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let agent = TestAgent::always(Reply::Ok(json!({"sent": true}))).await;
    c.db.register_agent("email-sender", &agent.url).await;
    let body = json!({"workspace_id": c.ws, "name": "Every second", "cron": "* * * * * *",
                      "task": digest()});
    let template = uuid(&create(&c.api, &c.token, body).await["id"]);
    // The real binary, its sweep loop on the system clock, ticking every second.
    let _worker = WorkerProc::start(
        &c.db,
        &[
            ("TASKFLEET_BUSINESS_HOURS", "off"),
            ("TASKFLEET_TEMPLATES_CRON", "* * * * * *"),
        ],
    )
    .await;
    // It keeps ticking every second: wait for the first of its tasks to complete.
    let task = wait_until(
        "a template task completed",
        Duration::from_secs(30),
        async || {
            let first: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM autonomous_tasks WHERE template_id = $1 AND status = 'completed' \
             ORDER BY created_at LIMIT 1",
            )
            .bind(template)
            .fetch_optional(&c.db.pool)
            .await
            .unwrap();
            first.ok_or_else(|| "none yet".to_string())
        },
    )
    .await;
    assert_eq!(
        c.db.audit_actions(task).await,
        ["task.created", "task.executed"]
    );
    assert!(agent.calls().iter().any(|call| call.task_id == task));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_template_can_create_tasks_that_need_approval(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let created = at("2026-11-02T00:00:00Z");
    let mut task = digest();
    task["requires_approval"] = json!(true);
    let template = template_at(&c.db, c.ws, created, "0 */5 * * * *", json!({"task": task})).await;
    sweep(&c.db.pool, created + TimeDelta::minutes(5)).await;
    let (_, id) = ticks(&c.db, template).await[0];
    let body = c.get_ok(&format!("/api/tasks/{id}")).await;
    assert_eq!(body["task"]["approval"]["state"], "pending", "{body}");
    c.db.assert_queue_consistent().await;
}
