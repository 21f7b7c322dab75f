//! The retry window end to end, with the worker's clock placed at 18:30 in Sydney: a failed
//! attempt of a non-urgent task is retried at 09:00 the next morning, an urgent one after its
//! backoff, and a lease reclaim follows the same rule. The worker runs in this process (the real
//! loop, HTTP agent client and SQL) so its clock can be injected; the agent is a real HTTP
//! server on loopback.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::{AGENT_SECRET, TestDb, new_task};
use taskfleet::agents::http::HttpAgents;
use taskfleet::audit::AuditMode;
use taskfleet::queue::{self, ClaimFilter, NewTask};
use taskfleet::schedule::business_hours::{DEFAULT_ZONE, Rules};
use taskfleet::schedule::retry::RetryPolicy;
use taskfleet::schedule::{Clock, TimeRules};
use taskfleet::worker::{self, WorkerConfig};

const MINUTE: Duration = Duration::from_secs(60);

/// 18:30 AEST on Wednesday 12 June 2030: after the retry window (09:00-17:00), inside the start
/// window (06:00-22:00). In the future, so the retries it schedules stay queued while we look.
const EVENING: &str = "2030-06-12T08:30:00Z";
/// 09:00 AEST the next morning.
const NINE_AM: &str = "2030-06-12T23:00:00Z";

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Business hours on, default backoff (2 s before the first retry), clock at 18:30 in Sydney.
fn config(id: &str) -> WorkerConfig {
    WorkerConfig {
        id: id.into(),
        concurrency: 2,
        task_timeout: Duration::from_secs(10),
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_secs(1),
            unavailable_delay: Duration::from_secs(30),
        },
        poll_interval: Duration::from_millis(200),
        shutdown_grace: Duration::from_secs(1),
        time: TimeRules {
            rules: Rules { enabled: true },
            default_zone: DEFAULT_ZONE,
        },
        clock: Clock::starting_at(utc(EVENING)),
        audit: AuditMode::Outcomes,
        claim_order: taskfleet::queue::ClaimOrder::Fair,
        breaker: Default::default(),
        sweeps: None,
    }
}

/// A priority-5 and a priority-9 task (in that order) in a workspace set to Sydney.
async fn normal_and_urgent(db: &TestDb) -> Vec<Uuid> {
    let ws: Uuid = sqlx::query_scalar(taskfleet::db::sql::WORKSPACE_CREATE)
        .bind("Sydney")
        .bind(Some("Australia/Sydney"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let tasks: Vec<_> = [5, 9]
        .map(|priority| NewTask {
            priority,
            ..new_task(ws, "content-generator")
        })
        .into();
    db.insert(&tasks).await
}

/// What a retry's `next_run_at` must be: 09:00 the next morning for a non-urgent task; for an
/// urgent one, the 2 s backoff (+ up to 10 % jitter) after the clock's reading at the write.
fn assert_retry_time(priority: i32, next_run_at: DateTime<Utc>) {
    if priority < 9 {
        assert_eq!(next_run_at, utc(NINE_AM), "priority {priority}");
    } else {
        let after = next_run_at - utc(EVENING);
        assert!(
            after >= TimeDelta::seconds(2) && after < TimeDelta::seconds(30),
            "priority {priority}: retried {after} after 18:30, want the backoff"
        );
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_503_at_half_past_six_in_sydney_retries_at_nine_unless_urgent(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Status(503)).await;
    db.register_agent("content-generator", &agent.url).await;
    let ids = normal_and_urgent(&db).await;

    let cfg = config("evening-worker");
    let executor = Arc::new(HttpAgents::new(AGENT_SECRET, cfg.task_timeout, 2).unwrap());
    let stop = CancellationToken::new();
    let worker = {
        let (pool, stop) = (db.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let ready = Arc::new(AtomicBool::new(false));
            worker::run(pool, cfg, executor, stop.cancelled_owned(), ready).await
        })
    };
    db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE status = 'queued' AND retry_count = 1",
        2,
        MINUTE,
    )
    .await;
    stop.cancel();
    worker.await.unwrap().unwrap();

    for (id, priority) in ids.into_iter().zip([5, 9]) {
        let row = db.task(id).await;
        assert!(
            row.error_message
                .as_deref()
                .unwrap_or_default()
                .starts_with("HTTP 503"),
            "{row:?}"
        );
        assert_retry_time(priority, row.next_run_at);
        assert_eq!(
            db.audit_actions(id).await.last().map(String::as_str),
            Some("task.retry_scheduled")
        );
    }
    assert_eq!(
        agent.calls().len(),
        2,
        "one attempt each, nothing retried yet"
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_lease_reclaimed_at_half_past_six_in_sydney_retries_at_nine_unless_urgent(pool: PgPool) {
    let db = TestDb::new(pool);
    let ids = normal_and_urgent(&db).await;
    // A worker claims both with a lease that runs out at once, then is never heard from again.
    let claimed = queue::claim(
        &db.pool,
        "stalled",
        2,
        Duration::ZERO,
        &ClaimFilter::default(),
        AuditMode::Outcomes,
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 2);
    db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE lease_expires_at < now()",
        2,
        MINUTE,
    )
    .await;

    let reaped = worker::background::reap_once(&db.pool, &config("reaper")).await;
    assert_eq!(reaped, 2);
    for (id, priority) in ids.into_iter().zip([5, 9]) {
        let row = db.task(id).await;
        assert_eq!((row.status.as_str(), row.retry_count), ("queued", 1));
        assert_retry_time(priority, row.next_run_at);
        assert_eq!(
            db.audit_actions(id).await.last().map(String::as_str),
            Some("task.reclaimed")
        );
    }
    db.assert_queue_consistent().await;
}
