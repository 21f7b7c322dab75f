//! A fleet-wide concurrency limit per agent (`taskfleet agents register --max-concurrency N`,
//! migration 0020): three worker processes of ten slots each never run more than N calls to the
//! agent at once, as the agent itself counts them, and every task completes once without using a
//! retry.

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;

use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;
use common::{TestDb, new_task};

const MINUTE: Duration = Duration::from_secs(60);

/// The most calls in progress at one instant, from each call's start and end.
fn most_at_once(spans: &[(Instant, Instant)]) -> usize {
    let mut events: Vec<(Instant, i32)> = spans
        .iter()
        .flat_map(|&(start, end)| [(start, 1), (end, -1)])
        .collect();
    // At the same instant an end comes before a start: back-to-back calls do not overlap.
    events.sort_by_key(|&(at, delta)| (at, delta));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        most = most.max(now);
    }
    most as usize
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn three_workers_never_exceed_an_agents_max_concurrency(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::After(
        Duration::from_millis(150),
        Box::new(Reply::Ok(json!({"ok": true}))),
    ))
    .await;
    db.register_limited_agent("campaign-manager", &agent.url, Some(3), None)
        .await;
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..30).map(|_| new_task(ws, "campaign-manager")).collect();
    let ids = db.insert(&tasks).await;
    let _workers: Vec<WorkerProc> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "10")]).await);
        }
        v
    };
    for id in &ids {
        db.wait_status(*id, "completed", MINUTE).await;
    }
    let spans: Vec<(Instant, Instant)> = agent
        .calls()
        .iter()
        .map(|c| (c.at, agent.ended_at(c.task_id).expect("every call ended")))
        .collect();
    assert_eq!(spans.len(), ids.len(), "each task called once");
    let most = most_at_once(&spans);
    assert!(most <= 3, "{most} calls at once");
    assert_eq!(most, 3, "the limit, not less, is what runs");
    let retries: i64 = sqlx::query_scalar("SELECT sum(retry_count) FROM autonomous_tasks")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(retries, 0, "waiting for a permit uses no retry");
    let held: i64 = db
        .count("SELECT count(*) FROM agent_permits WHERE task_id IS NOT NULL")
        .await;
    assert_eq!(held, 0, "every permit was given back");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn registering_again_resizes_or_removes_the_limit(pool: PgPool) {
    let db = TestDb::new(pool);
    let permits = async |db: &TestDb| {
        db.count("SELECT count(*) FROM agent_permits WHERE agent = 'email-agent'")
            .await
    };
    db.register_limited_agent("email-agent", "http://127.0.0.1:9/x", Some(5), None)
        .await;
    assert_eq!(permits(&db).await, 5);
    db.register_limited_agent("email-agent", "http://127.0.0.1:9/x", Some(2), None)
        .await;
    assert_eq!(permits(&db).await, 2);
    db.register_agent("email-agent", "http://127.0.0.1:9/x")
        .await;
    assert_eq!(permits(&db).await, 0);
}

#[test]
fn most_at_once_counts_overlaps_only() {
    let t = Instant::now();
    let ms = |n| t + Duration::from_millis(n);
    assert_eq!(most_at_once(&[(ms(0), ms(10)), (ms(10), ms(20))]), 1);
    assert_eq!(
        most_at_once(&[(ms(0), ms(10)), (ms(5), ms(20)), (ms(6), ms(7))]),
        3
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn three_workers_keep_to_an_agents_rate(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Ok(json!({"ok": true}))).await;
    // 10 a second, with a burst of 10 (the bucket starts full).
    db.register_limited_agent("analytics-agent", &agent.url, None, Some(10.0))
        .await;
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..30).map(|_| new_task(ws, "analytics-agent")).collect();
    let ids = db.insert(&tasks).await;
    let _a = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "10")]).await;
    let _b = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "10")]).await;
    let _c = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "10")]).await;
    for id in &ids {
        db.wait_status(*id, "completed", MINUTE).await;
    }
    let mut starts: Vec<Instant> = agent.calls().iter().map(|c| c.at).collect();
    starts.sort();
    assert_eq!(starts.len(), ids.len());
    // The k-th call (from 1) needs k tokens: at most 10 + 10 per second since the first.
    for (k, at) in starts.iter().enumerate() {
        let allowed = 10.0 + 10.0 * (*at - starts[0]).as_secs_f64() + 1.0;
        assert!(
            (k + 1) as f64 <= allowed,
            "call {} came {:?} after the first: over 10 a second",
            k + 1,
            *at - starts[0]
        );
    }
    let retries: i64 = sqlx::query_scalar("SELECT sum(retry_count) FROM autonomous_tasks")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(retries, 0, "waiting for a token uses no retry");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_429_with_retry_after_pauses_the_agent_for_every_task(pool: PgPool) {
    let db = TestDb::new(pool);
    // The first call anyone makes gets 429 Retry-After: 2; every later call 200.
    let limited = TestAgent::start({
        let first = std::sync::atomic::AtomicBool::new(true);
        move |_, _| {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                Reply::RetryAfter("2")
            } else {
                Reply::Ok(json!({"ok": true}))
            }
        }
    })
    .await;
    db.register_limited_agent("email-agent", &limited.url, None, Some(50.0))
        .await;
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..5).map(|_| new_task(ws, "email-agent")).collect();
    let ids = db.insert(&tasks).await;
    // One slot: each call starts after the one before has ended.
    let _w = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "1")]).await;
    for id in &ids {
        db.wait_status(*id, "completed", MINUTE).await;
    }
    let mut calls = limited.calls();
    calls.sort_by_key(|c| c.at);
    let refused = &calls[0];
    let ended = limited
        .ended_at(refused.task_id)
        .expect("the 429 was answered");
    let next = calls[1].at;
    assert!(
        next >= ended + Duration::from_millis(1800),
        "the next call came {:?} after the 429, not after its Retry-After of 2 s",
        next - ended
    );
}
