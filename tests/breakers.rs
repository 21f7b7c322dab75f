//! Per-agent circuit breakers (issue 18, migration 0018, src/worker/breaker.rs) with a real
//! worker process and a real loopback agent that goes down and comes back: the breaker opens,
//! the agent's tasks wait without using retries, one probe runs per cool-down, a good probe
//! closes it and every task completes once. Timing limits here are generous bounds on behaviour
//! (probes per cool-down), not speed measurements.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;

use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;
use common::{TestDb, new_task, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

async fn audit_count(db: &TestDb, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_logs WHERE action = $1")
        .bind(action)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn breaker_state(db: &TestDb, agent: &str) -> String {
    sqlx::query_scalar("SELECT breaker_state FROM agents WHERE name = $1")
        .bind(agent)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_failing_agent_opens_its_breaker_and_its_tasks_wait_without_using_retries(pool: PgPool) {
    let db = TestDb::new(pool);
    let down = Arc::new(AtomicBool::new(true));
    let agent = {
        let down = down.clone();
        TestAgent::start(move |_, _| {
            if down.load(Ordering::SeqCst) {
                Reply::Status(503)
            } else {
                Reply::Ok(json!({"sent": true}))
            }
        })
        .await
    };
    db.register_agent("email-agent", &agent.url).await;
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..40).map(|_| new_task(ws, "email-agent")).collect();
    let ids = db.insert(&tasks).await;
    let _w = WorkerProc::start(
        &db,
        &[
            ("TASKFLEET_CONCURRENCY", "4"),
            ("TASKFLEET_BREAKER_FAILURES", "3"),
            ("TASKFLEET_BREAKER_COOLDOWN_SECS", "1"),
            ("TASKFLEET_BREAKER_MAX_COOLDOWN_SECS", "2"),
            // A failed task does not come back before the breaker has opened.
            ("TASKFLEET_BACKOFF_BASE_MS", "5000"),
        ],
    )
    .await;

    wait_until("the breaker opens", MINUTE, async || {
        audit_count(&db, "agent.breaker_opened").await >= 1
    })
    .await;
    // While it is down: the agent sees probes only, at most one per cool-down (1 s, then 2 s).
    let calls_at_open = agent.calls().len();
    let watched = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let probes = agent.calls().len() - calls_at_open;
    let cooldowns = watched.elapsed().as_secs_f64();
    assert!(
        probes as f64 <= cooldowns + 1.0,
        "{probes} calls in {cooldowns:.1} s while the breaker was open"
    );
    assert!(probes >= 1, "no probe ran in {cooldowns:.1} s");
    assert_ne!(breaker_state(&db, "email-agent").await, "closed");
    let deferred: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_logs WHERE action = 'task.deferred' \
         AND details->>'reason' = 'agent_unhealthy'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(deferred > 0, "no task was deferred for the open breaker");

    // Back up: the next probe closes the breaker and every task completes.
    down.store(false, Ordering::SeqCst);
    let up = Instant::now();
    for id in &ids {
        db.wait_status(*id, "completed", MINUTE).await;
    }
    println!(
        "breaker: {probes} agent calls in {cooldowns:.1} s while open; all {} tasks completed {:.1} s after the agent came back",
        ids.len(),
        up.elapsed().as_secs_f64()
    );
    assert_eq!(breaker_state(&db, "email-agent").await, "closed");
    assert!(audit_count(&db, "agent.breaker_closed").await >= 1);
    let failed = db
        .count("SELECT count(*) FROM autonomous_tasks WHERE status = 'failed'")
        .await;
    assert_eq!(failed, 0);
    // Only the failures before the breaker opened (and failed probes) used a retry.
    let max_retries_used: i32 = sqlx::query_scalar("SELECT max(retry_count) FROM autonomous_tasks")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(
        max_retries_used <= 2,
        "a task used {max_retries_used} retries"
    );
    let successes = agent
        .calls()
        .iter()
        .filter(|c| ids.contains(&c.task_id))
        .count();
    assert!(successes >= ids.len());
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn breakers_off_keep_the_old_behaviour(pool: PgPool) {
    // TASKFLEET_BREAKER_FAILURES=0: failures only use retries, nothing is deferred.
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Status(503)).await;
    db.register_agent("email-agent", &agent.url).await;
    let ws = db.workspace().await;
    let mut tasks: Vec<_> = (0..6).map(|_| new_task(ws, "email-agent")).collect();
    for t in &mut tasks {
        t.max_retries = 0;
    }
    let ids = db.insert(&tasks).await;
    let _w = WorkerProc::start(&db, &[("TASKFLEET_BREAKER_FAILURES", "0")]).await;
    for id in &ids {
        db.wait_status(*id, "failed", MINUTE).await;
    }
    assert_eq!(audit_count(&db, "agent.breaker_opened").await, 0);
    assert_eq!(breaker_state(&db, "email-agent").await, "closed");
}
