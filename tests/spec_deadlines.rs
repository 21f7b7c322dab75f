//! Deadlines (contract section 9): a task due within 48 hours runs at priority 9 or more, from
//! its creation (POST /api/tasks, or a key activity's deadline) or, as the clock moves, from
//! the deadline_escalation sweep, which raises the task row and its task_queue row together and
//! writes `task.escalated`. A deadline in the past is a 400. The sweep's clock is injected.

mod common;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::ApiCtx;
use taskfleet::schedule::Clock;
use taskfleet::worker::sweeps::{Sweep, SweepConfig, Sweeps};

/// The deadline sweep as a worker whose clock reads `now`.
fn sweeps_at(c: &ApiCtx, now: DateTime<Utc>) -> Sweeps {
    let worker = common::sweep_worker("deadline-test", Clock::starting_at(now));
    let cfg = SweepConfig::parse(
        "*/1 * * * * *",
        "*/15 * * * * *",
        "0 30 2 * * *",
        chrono_tz::UTC,
        Duration::from_secs(60),
        30,
    )
    .unwrap();
    Sweeps::new(c.db.pool.clone(), worker, cfg)
}

async fn escalate_at(c: &ApiCtx, now: DateTime<Utc>) -> i64 {
    let result = sweeps_at(c, now)
        .run_once(Sweep::DeadlineEscalation)
        .await
        .unwrap();
    result["escalated"].as_i64().unwrap()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn id_of(task: &Value) -> Uuid {
    task["id"].as_str().unwrap().parse().unwrap()
}

/// (task row priority, task_queue row priority if it has one).
async fn priorities(c: &ApiCtx, id: Uuid) -> (i32, Option<i32>) {
    sqlx::query_as(
        "SELECT t.priority, q.priority FROM autonomous_tasks t \
         LEFT JOIN task_queue q ON q.id = t.id WHERE t.id = $1",
    )
    .bind(id)
    .fetch_one(&c.db.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_task_due_in_24_hours_is_created_urgent(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    // Whole microseconds, what Postgres stores.
    let deadline = (Utc::now() + TimeDelta::hours(24)).trunc_subsecs(6);
    let task = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"priority": 3, "deadline": rfc3339(deadline)}),
        )
        .await;
    assert_eq!(task["priority"], 9);
    // The raise is recorded like the sweep's.
    assert_eq!(
        c.db.audit_actions(id_of(&task)).await,
        ["task.created", "task.escalated"]
    );
    let stored: DateTime<Utc> = task["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored.timestamp_micros(), deadline.timestamp_micros());
    assert_eq!(priorities(&c, id_of(&task)).await, (9, Some(9)));
    // A higher priority stays.
    let ten = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"priority": 10, "deadline": rfc3339(deadline)}),
        )
        .await;
    assert_eq!(ten["priority"], 10);
    // The status answer carries the deadline.
    let (status, body) = c
        .api
        .get(
            &format!(
                "/api/tasks/status?workspace_id={}&task_id={}",
                c.ws,
                task["id"].as_str().unwrap()
            ),
            &c.token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tasks"][0]["deadline"], task["deadline"]);
    c.db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_task_due_in_72_hours_is_escalated_once_the_clock_passes_24_hours_before_it(
    pool: PgPool,
) {
    let c = ApiCtx::new(pool).await;
    let now = Utc::now();
    let deadline = now + TimeDelta::hours(72);
    let task = c
        .api
        .create_task(&c.token, c.ws, json!({"deadline": rfc3339(deadline)}))
        .await;
    let id = id_of(&task);
    assert_eq!(task["priority"], 5);
    // Blocked behind it: a task with the same deadline and no task_queue row yet.
    let blocked = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"deadline": rfc3339(deadline), "depends_on": [id],
                   "assigned_agent": "email-agent", "task_type": "email"}),
        )
        .await;
    let blocked = id_of(&blocked);
    assert_eq!(priorities(&c, blocked).await, (5, None));

    // 72 h and 49 h before: outside the 48-hour window.
    assert_eq!(escalate_at(&c, now).await, 0);
    assert_eq!(escalate_at(&c, now + TimeDelta::hours(23)).await, 0);
    assert_eq!(priorities(&c, id).await, (5, Some(5)));

    // 24 h before the deadline (the clock has passed 48 h before it).
    let later = deadline - TimeDelta::hours(24);
    assert_eq!(escalate_at(&c, later).await, 2);
    assert_eq!(priorities(&c, id).await, (9, Some(9)));
    assert_eq!(priorities(&c, blocked).await, (9, None));
    assert_eq!(escalate_at(&c, later).await, 0, "raised once");
    assert_eq!(
        c.db.audit_actions(id).await,
        ["task.created", "task.escalated"]
    );
    let details: Value = sqlx::query_scalar(
        "SELECT details FROM audit_logs WHERE resource_id = $1 AND action = 'task.escalated'",
    )
    .bind(id)
    .fetch_one(&c.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (&details["from_priority"], &details["to_priority"]),
        (&json!(5), &json!(9))
    );
    c.db.assert_queue_consistent().await;

    // The blocked task enters the queue at its raised priority.
    c.db.complete_task(id).await;
    assert_eq!(priorities(&c, blocked).await, (9, Some(9)));
    c.db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_running_task_is_escalated_in_both_tables_and_finished_ones_are_not(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let now = Utc::now();
    let deadline = now + TimeDelta::hours(60);
    let running = id_of(
        &c.api
            .create_task(&c.token, c.ws, json!({"deadline": rfc3339(deadline)}))
            .await,
    );
    let done = id_of(
        &c.api
            .create_task(
                &c.token,
                c.ws,
                json!({"deadline": rfc3339(deadline), "assigned_agent": "other-agent"}),
            )
            .await,
    );
    c.db.complete_task(done).await;
    let attempt = c.db.start_task(running).await;
    assert_eq!(escalate_at(&c, now + TimeDelta::hours(13)).await, 1);
    assert_eq!(priorities(&c, running).await, (9, Some(9)));
    assert_eq!(priorities(&c, done).await, (5, None));
    c.db.assert_queue_consistent().await;
    // The attempt's lease is untouched: it completes as usual.
    c.db.complete_attempt(&attempt, json!({})).await;
    c.db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_deadline_in_the_past_or_not_rfc3339_is_a_400(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let past = rfc3339(Utc::now() - TimeDelta::minutes(1));
    for deadline in [json!(past), json!("tomorrow"), json!(17)] {
        let mut body = common::api::task_body(c.ws);
        body["deadline"] = deadline;
        let msg = c
            .reject("POST", "/api/tasks", Some(body.into()), 400, "TASK_010")
            .await;
        assert!(msg.contains("deadline"), "{msg}");
    }
}

fn strategy(ws: Uuid, deadline: &str) -> Value {
    json!({
        "workspace_id": ws,
        "name": "Deadlines",
        "campaign_calendar": {"phases": [
            {"phase_name": "Later", "key_activities": ["Research competitors"]},
            {"phase_name": "Now", "key_activities": [
                "Plan Q3",
                {"activity": "Send welcome email", "deadline": deadline},
            ]},
        ]},
        "content_pillars": [],
        "kpis": [],
    })
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_key_activity_due_within_48_hours_is_decomposed_urgent(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let deadline = rfc3339(Utc::now() + TimeDelta::hours(24));
    let strategy_id = c
        .api
        .create_strategy(&c.token, strategy(c.ws, &deadline))
        .await;
    let (status, body) = c
        .api
        .post(
            "/api/tasks/decompose",
            &c.token,
            json!({"strategy_id": strategy_id, "workspace_id": c.ws}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let got: Vec<(String, i64, bool)> = body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["task_description"].as_str().unwrap().to_owned(),
                t["priority"].as_i64().unwrap(),
                t["deadline"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Research competitors".to_owned(), 8, false),
            ("Plan Q3".to_owned(), 7, false),
            ("Send welcome email".to_owned(), 9, true),
        ]
    );
    let urgent = id_of(&body["tasks"][2]);
    // Bulk inserts write no task.created (TASKFLEET_AUDIT=outcomes); the raise is recorded.
    assert_eq!(c.db.audit_actions(urgent).await, ["task.escalated"]);
    c.db.assert_queue_consistent().await;

    let past = rfc3339(Utc::now() - TimeDelta::hours(1));
    let msg = c
        .reject(
            "POST",
            "/api/strategies",
            Some(strategy(c.ws, &past).into()),
            400,
            "TASK_010",
        )
        .await;
    assert!(msg.contains("key_activities[1]"), "{msg}");
}
