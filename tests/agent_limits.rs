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
    db.register_limited_agent("campaign-manager", &agent.url, Some(3))
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
    db.register_limited_agent("email-agent", "http://127.0.0.1:9/x", Some(5))
        .await;
    assert_eq!(permits(&db).await, 5);
    db.register_limited_agent("email-agent", "http://127.0.0.1:9/x", Some(2))
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
