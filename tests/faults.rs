//! Faults that must cost only the task they belong to: an agent reply Postgres cannot store
//! (JSON allows `\u0000`; jsonb and text do not), and a client that hangs up on
//! `POST /api/tasks/execute` while its tasks run.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::api::ApiCtx;
use common::procs::WorkerProc;
use common::{TestDb, new_task};
use taskfleet::audit::AuditMode;
use taskfleet::queue::{self, Batch, ClaimFilter, Transition};

const MINUTE: Duration = Duration::from_secs(60);

fn id_of(task: &Value) -> Uuid {
    task["id"].as_str().unwrap().parse().unwrap()
}

fn poison() -> Value {
    json!({"x": "a\u{0000}b"})
}

/// Calls per task id.
fn calls_per_task(agent: &TestAgent) -> HashMap<Uuid, usize> {
    let mut per_task = HashMap::new();
    for call in agent.calls() {
        *per_task.entry(call.task_id).or_default() += 1;
    }
    per_task
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_poisoned_reply_in_a_batch_of_a_hundred_costs_no_other_task(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..100)
        .map(|_| new_task(ws, "content-generator"))
        .collect();
    let poisoned = tasks[37].id;
    let agent = TestAgent::start(move |call, _| {
        if call.task_id == poisoned {
            Reply::Ok(poison())
        } else {
            Reply::Ok(json!({"ok": true}))
        }
    })
    .await;
    db.register_agent("content-generator", &agent.url).await;
    db.insert(&tasks).await;
    // Enough slots that the poisoned reply shares its outcome batch with others.
    let _worker = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "50")]).await;

    db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE status IN ('completed', 'failed')",
        100,
        MINUTE,
    )
    .await;
    let completed = db
        .count("SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
        .await;
    assert_eq!(completed, 99);
    let row = db.task(poisoned).await;
    assert_eq!(row.status, "failed");
    let error = row.error_message.unwrap_or_default();
    assert!(
        error.starts_with("TASK_014: agent reply cannot be stored: a NUL character"),
        "{error}"
    );
    let per_task = calls_per_task(&agent);
    assert_eq!(per_task.len(), 100);
    assert!(
        per_task.values().all(|&n| n == 1),
        "an agent ran twice: {per_task:?}"
    );
    db.assert_queue_consistent().await;
}

/// The same, one level down: output that reaches the write unchecked (the classification is
/// bypassed here) is refused by Postgres, and only its task pays.
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_completion_postgres_refuses_fails_alone(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..100)
        .map(|_| new_task(ws, "content-generator"))
        .collect();
    db.insert(&tasks).await;
    let claimed = queue::claim(
        &db.pool,
        "w",
        100,
        MINUTE,
        &ClaimFilter::default(),
        AuditMode::Outcomes,
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 100);
    let mut batch = Batch::default();
    for (i, task) in claimed.iter().enumerate() {
        let output = if i == 63 { poison() } else { json!({"n": i}) };
        batch.push(Transition::Complete {
            lease: task.lease(),
            output,
        });
    }
    let applied = batch.apply(&db.pool, "w").await.unwrap();
    assert_eq!(applied.completed.len(), 99);
    assert_eq!(applied.failed, vec![claimed[63].id]);
    let row = db.task(claimed[63].id).await;
    assert_eq!(row.status, "failed");
    assert!(
        row.error_message
            .unwrap_or_default()
            .starts_with("TASK_014: agent reply cannot be stored"),
    );
    // Written again (a retry after a lost connection would do this): nothing changes twice.
    let again = batch.apply(&db.pool, "w").await.unwrap();
    assert_eq!(again, queue::Applied::default());
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_reports_a_poisoned_reply_as_failed_and_records_it(pool: PgPool) {
    let ctx = ApiCtx::new(pool).await;
    let agent = TestAgent::always(Reply::Ok(poison())).await;
    ctx.db.register_agent("content-generator", &agent.url).await;
    let task = ctx.api.create_task(&ctx.token, ctx.ws, json!({})).await;
    let id = id_of(&task);

    let (status, body) = ctx
        .api
        .post(
            "/api/tasks/execute",
            &ctx.token,
            json!({"workspace_id": ctx.ws}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tasks_failed"], 1, "{body}");
    assert_eq!(body["execution_log"][0]["status"], "failed", "{body}");
    let row = ctx.db.task(id).await;
    assert_eq!(row.status, "failed");
    assert_eq!(row.locked_by, None);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_finishes_and_records_its_tasks_when_the_client_hangs_up(pool: PgPool) {
    let ctx = ApiCtx::new(pool).await;
    let agent = TestAgent::always(Reply::After(
        Duration::from_secs(2),
        Box::new(Reply::Ok(json!({"done": true}))),
    ))
    .await;
    ctx.db.register_agent("content-generator", &agent.url).await;
    let id = id_of(&ctx.api.create_task(&ctx.token, ctx.ws, json!({})).await);

    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let sent = impatient
        .post(format!("{}/api/tasks/execute", ctx.api.base))
        .bearer_auth(&ctx.token)
        .json(&json!({"workspace_id": ctx.ws}))
        .send()
        .await;
    assert!(sent.is_err(), "the client was meant to give up first");

    let row = ctx.db.wait_status(id, "completed", MINUTE).await;
    assert_eq!(row.output_data, Some(json!({"done": true})));
    assert_eq!(row.locked_by, None);
    assert_eq!(calls_per_task(&agent).get(&id), Some(&1));
}

/// A strategy body: `phases` phases of `per_phase` activities each.
fn strategy(ws: Uuid, phases: usize, per_phase: usize) -> Value {
    let phases: Vec<Value> = (0..phases)
        .map(|p| {
            json!({
                "phase_name": format!("phase {p}"),
                "key_activities": vec!["Write blog"; per_phase],
            })
        })
        .collect();
    json!({
        "workspace_id": ws,
        "name": "big",
        "campaign_calendar": {"phases": phases},
        "content_pillars": [],
        "kpis": [],
    })
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_largest_strategy_the_body_limit_allows_is_refused_naming_the_limit(pool: PgPool) {
    let ctx = ApiCtx::new(pool).await;
    // About 1 MiB: two phases of 40,000 activities, each of which would depend on all 40,000
    // of the phase before (1.6 billion edges without a limit).
    let body = strategy(ctx.ws, 2, 40_000);
    assert!(body.to_string().len() < 1024 * 1024);
    let started = std::time::Instant::now();
    let message = ctx
        .reject(
            "POST",
            "/api/strategies",
            Some(body.into()),
            413,
            "TASK_010",
        )
        .await;
    eprintln!("refused in {:?}", started.elapsed());
    assert!(
        message.contains("key_activities of phase 0 is 40000, over the limit of 200 (TASKFLEET_MAX_ACTIVITIES_PER_PHASE)"),
        "{message}"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn decomposing_a_stored_strategy_over_a_limit_is_refused_naming_it(pool: PgPool) {
    let ctx = ApiCtx::new(pool).await;
    // Strategies written by other tools reach the decomposition unchecked: it checks again.
    for (phases, per_phase, var) in [
        (2, 3_000, "TASKFLEET_MAX_ACTIVITIES_PER_PHASE"),
        (3, 200, "TASKFLEET_MAX_DEPENDENCY_EDGES"),
        (6, 200, "TASKFLEET_MAX_TASKS_PER_DECOMPOSITION"),
    ] {
        let body = strategy(ctx.ws, phases, per_phase);
        let mut conn = ctx.db.pool.acquire().await.unwrap();
        let id = taskfleet::api::store::insert_strategy(
            &mut conn,
            taskfleet::api::store::NewStrategy {
                workspace_id: ctx.ws,
                contact_id: None,
                name: "big",
                campaign_calendar: body["campaign_calendar"].clone(),
                content_pillars: json!([]),
                kpis: json!([]),
            },
            "another-tool",
        )
        .await
        .unwrap();
        let message = ctx
            .reject(
                "POST",
                "/api/tasks/decompose",
                Some(json!({"strategy_id": id, "workspace_id": ctx.ws}).into()),
                422,
                "TASK_002",
            )
            .await;
        assert!(message.ends_with(&format!("({var})")), "{message}");
    }
}
