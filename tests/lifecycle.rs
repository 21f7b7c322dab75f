//! Cancel (queued, in flight, terminal), the TASK_006 cascade over chains and diamonds, and
//! manual retry bringing back exactly the tasks cancelled on its account.

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;
use common::{TestDb, new_task, wait_until};
use taskfleet::queue::{self, NewTask, Status};

const MINUTE: Duration = Duration::from_secs(60);

/// a → b → c (c depends on b depends on a).
fn chain(ws: Uuid) -> Vec<NewTask> {
    let a = new_task(ws, "x");
    let mut b = new_task(ws, "x");
    b.depends_on = vec![a.id];
    let mut c = new_task(ws, "x");
    c.depends_on = vec![b.id];
    vec![a, b, c]
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn cancelling_a_queued_task_cascades_down_the_chain(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let ids = db.insert(&chain(ws)).await;
    assert_eq!(db.cancel(ids[0]).await, Ok(Status::Queued));
    let a = db.task(ids[0]).await;
    assert_eq!(
        (a.status.as_str(), a.error_message.as_deref()),
        ("cancelled", Some("changed plans"))
    );
    for id in &ids[1..] {
        let row = db.task(*id).await;
        assert_eq!(row.status, "cancelled");
        let msg = row.error_message.unwrap();
        assert!(
            msg.starts_with("TASK_006") && msg.contains(&ids[0].to_string()),
            "{msg}"
        );
        assert_eq!(
            db.audit_actions(*id).await.last().unwrap(),
            "task.cancelled"
        );
    }
    // Terminal now: a second cancel is refused (the API answers 409 TASK_009).
    assert_eq!(
        db.cancel(ids[0]).await,
        Err("cannot cancel a task that is cancelled".into())
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_completed_task_cannot_be_cancelled(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let id = db.insert(&[new_task(ws, "x")]).await[0];
    let t = db.start_task(id).await;
    db.complete_attempt(&t, json!({})).await;
    assert_eq!(
        db.cancel(id).await,
        Err("cannot cancel a task that is completed".into())
    );
    assert_eq!(db.task(id).await.status, "completed");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_diamond_is_cancelled_once_per_task(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let top = new_task(ws, "x");
    let (mut l, mut r) = (new_task(ws, "x"), new_task(ws, "x"));
    l.depends_on = vec![top.id];
    r.depends_on = vec![top.id];
    let mut bottom = new_task(ws, "x");
    bottom.depends_on = vec![l.id, r.id];
    let unrelated = new_task(ws, "x");
    db.insert(&[
        top.clone(),
        l.clone(),
        r.clone(),
        bottom.clone(),
        unrelated.clone(),
    ])
    .await;
    db.cancel(top.id).await.unwrap();
    for id in [l.id, r.id, bottom.id] {
        assert_eq!(db.task(id).await.status, "cancelled");
        let cancels = db
            .audit_actions(id)
            .await
            .iter()
            .filter(|a| *a == "task.cancelled")
            .count();
        assert_eq!(cancels, 1, "one audit row per cancelled task");
    }
    assert_eq!(db.task(unrelated.id).await.status, "queued");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_cancelled_attempt_cannot_complete_late(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let id = db.insert(&[new_task(ws, "x")]).await[0];
    let t = db.start_task(id).await;
    assert_eq!(db.cancel(id).await, Ok(Status::InProgress));
    let late = queue::complete(&db.pool, "w", &[(t.lease(), json!({"late": true}))])
        .await
        .unwrap();
    assert!(late.is_empty());
    let row = db.task(id).await;
    assert_eq!((row.status.as_str(), row.output_data), ("cancelled", None));
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn cancelling_an_in_flight_task_drops_the_agent_call_at_once(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Hang).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let w = WorkerProc::start(&db, &[]).await;
    let id = db.insert(&[new_task(ws, "content-generator")]).await[0];
    agent.wait_called(id, MINUTE).await;
    let cancelled_at = Instant::now();
    assert_eq!(db.cancel(id).await, Ok(Status::InProgress));
    let ended = wait_until(
        "the agent call is dropped",
        Duration::from_secs(5),
        async || agent.ended_at(id).ok_or_else(|| "still running".to_owned()),
    )
    .await;
    let after = ended - cancelled_at;
    assert!(
        after < Duration::from_secs(1),
        "the call ended {after:?} after the cancel"
    );
    // The worker is done with the attempt (it logs that it abandoned it, and writes nothing
    // after that): only now can we tell that it left the cancelled row alone.
    let task = id.to_string();
    wait_until("the worker abandons the attempt", MINUTE, async || {
        w.log()
            .lines()
            .any(|l| l.contains("attempt abandoned") && l.contains(&task))
    })
    .await;
    let row = db.task(id).await;
    assert_eq!(row.status, "cancelled");
    assert_eq!(db.audit_actions(id).await.last().unwrap(), "task.cancelled");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_failure_cancels_dependents_and_a_retry_brings_back_only_those(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::scripted(vec![
        Reply::Status(503),
        Reply::Status(503),
        Reply::Status(503),
        Reply::Status(503),
        Reply::Ok(json!({"finally": true})),
    ])
    .await;
    db.register_agent("flaky", &agent.url).await;
    let fine = TestAgent::always(Reply::Ok(json!({}))).await;
    db.register_agent("fine", &fine.url).await;
    let ws = db.workspace().await;
    let mut upstream = new_task(ws, "flaky");
    upstream.max_retries = 3;
    let mut child = new_task(ws, "fine");
    child.depends_on = vec![upstream.id];
    let mut grandchild = new_task(ws, "fine");
    grandchild.depends_on = vec![child.id];
    let other_root = new_task(ws, "fine");
    db.insert(&[upstream.clone(), child.clone(), grandchild.clone()])
        .await;
    // An unrelated task cancelled on its own account must stay cancelled.
    db.insert(std::slice::from_ref(&other_root)).await;
    db.cancel(other_root.id).await.unwrap();

    let w = WorkerProc::start(&db, &[("TASKFLEET_BACKOFF_BASE_MS", "10")]).await;
    let row = db.wait_status(upstream.id, "failed", MINUTE).await;
    assert!(row.error_message.unwrap().starts_with("TASK_005"));
    assert_eq!(row.retry_count, 3);
    for id in [child.id, grandchild.id] {
        let row = db.task(id).await;
        assert_eq!(row.status, "cancelled");
        assert!(
            row.error_message
                .unwrap()
                .contains(&upstream.id.to_string())
        );
    }

    // Without reset, retry_count stays; with it, it starts over. Only the cascade comes back.
    let mut requeued = db.retry(upstream.id, true).await.unwrap();
    requeued.sort();
    let mut want = vec![upstream.id, child.id, grandchild.id];
    want.sort();
    assert_eq!(requeued, want);
    let row = db.wait_status(grandchild.id, "completed", MINUTE).await;
    assert_eq!(row.error_message, None);
    let up = db.task(upstream.id).await;
    assert_eq!((up.status.as_str(), up.retry_count), ("completed", 0));
    assert_eq!(db.task(other_root.id).await.status, "cancelled");
    assert!(
        db.audit_actions(child.id)
            .await
            .contains(&"task.retried".to_string())
    );
    drop(w);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn retry_keeps_the_retry_count_unless_asked_and_refuses_live_tasks(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let id = db.insert(&[new_task(ws, "x")]).await[0];
    // queued: nothing to retry.
    assert_eq!(
        db.retry(id, false).await,
        Err("cannot retry a task that is queued".into())
    );
    // Failed through real attempts: three retries used, then TASK_005.
    let failed = db.exhaust_retries(id).await;
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.retry_count, 3);
    assert!(failed.error_message.unwrap().starts_with("TASK_005"));
    assert_eq!(db.retry(id, false).await, Ok(vec![id]));
    let row = db.task(id).await;
    assert_eq!(
        (row.status.as_str(), row.retry_count, row.error_message),
        ("queued", 3, None)
    );
    assert!(row.next_run_at <= chrono::Utc::now());
    let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ready, vec![id], "ready at once");
    db.assert_queue_consistent().await;
}
