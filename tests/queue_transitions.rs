//! The queue's SQL transitions, driven directly (no worker): fencing, dependency readiness,
//! the views DBAs read, and the `sql/` index.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sqlx::{Executor, PgPool};
use uuid::Uuid;

use common::{TestDb, new_task};
use taskfleet::audit::AuditMode;
use taskfleet::db::sql;
use taskfleet::queue::{self, ClaimFilter};
use taskfleet::schedule::TimeRules;
use taskfleet::schedule::retry::RetryPolicy;

const LEASE: Duration = Duration::from_secs(30);
const POLICY: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(1),
    unavailable_delay: Duration::from_secs(1),
};

async fn claim(db: &TestDb, worker: &str, n: usize) -> Vec<queue::ClaimedTask> {
    queue::claim(
        &db.pool,
        worker,
        n,
        LEASE,
        &ClaimFilter::default(),
        AuditMode::Outcomes,
    )
    .await
    .unwrap()
}

/// One reaper pass.
async fn reap(db: &TestDb) -> queue::Applied {
    let time = TimeRules::off();
    let rules = queue::Rules {
        retry: &POLICY,
        time: &time,
    };
    queue::reclaim_expired(&db.pool, "reaper", 10, rules, Utc::now())
        .await
        .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn every_sql_file_is_named_in_code_and_prepares(pool: PgPool) {
    let on_disk: BTreeSet<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    let named: BTreeSet<String> = sql::ALL.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(
        on_disk, named,
        "every sql/ file needs a const in src/db/sql.rs"
    );
    for (file, text) in sql::ALL {
        assert!(
            text.starts_with(&format!("-- {file}")),
            "{file} must open with its header"
        );
        pool.prepare(sqlx::SqlSafeStr::into_sql_str(*text))
            .await
            .unwrap_or_else(|e| panic!("{file} does not prepare: {e}"));
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn claim_takes_a_batch_in_priority_then_age_order(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let mut tasks = Vec::new();
    for p in [3, 9, 5, 9, 1] {
        let mut t = new_task(ws, "a");
        t.priority = p;
        tasks.push(t);
        // created_at must differ for the age tiebreak to be observable.
        db.insert(&tasks[tasks.len() - 1..]).await;
    }
    let future = {
        let mut t = new_task(ws, "a");
        t.priority = 10;
        t.next_run_at = Some(Utc::now() + chrono::TimeDelta::hours(1));
        t
    };
    db.insert(std::slice::from_ref(&future)).await;

    let got = claim(&db, "w1", 3).await;
    let ids: Vec<Uuid> = got.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![tasks[1].id, tasks[3].id, tasks[2].id]);
    for t in &got {
        assert_eq!(t.attempt(), 1);
        let row = db.task(t.id).await;
        assert_eq!(row.status, "in_progress");
        assert_eq!(row.locked_by.as_deref(), Some("w1"));
        assert!(row.started_at.is_some());
        // A claim writes no audit row by default (task.started only with TASKFLEET_AUDIT=full).
        assert!(db.audit_actions(t.id).await.is_empty());
    }
    // A second worker gets the rest, never the future task nor what w1 holds.
    let rest: Vec<Uuid> = claim(&db, "w2", 10).await.iter().map(|t| t.id).collect();
    assert_eq!(rest, vec![tasks[0].id, tasks[4].id]);
    assert_eq!(db.task(future.id).await.status, "queued");
    db.assert_queue_consistent().await;
}

/// A permanent failure that `w1` reports for `lease` is written for no task.
async fn assert_late_failure_changes_nothing(db: &TestDb, lease: taskfleet::queue::Lease) {
    let fail = queue::Failure {
        lease,
        error: "late".into(),
        action: taskfleet::audit::Action::Failed,
        details: json!({}),
    };
    let failed = queue::fail(&mut db.pool.acquire().await.unwrap(), "w1", &[fail])
        .await
        .unwrap();
    assert!(failed.is_empty(), "a late failure was written: {failed:?}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_stale_attempt_token_changes_nothing(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let id = db.insert(&[new_task(ws, "a")]).await[0];
    // w1 claims, then stalls: its lease expires and the reaper takes the task back.
    let first = db.claim_expired("w1", 1).await.remove(0);
    assert_eq!(db.count("SELECT count(*) FROM stuck_tasks").await, 1);
    let report = reap(&db).await;
    assert_eq!(report.requeued, vec![id]);
    assert_eq!(db.task(id).await.retry_count, 1);
    db.wait_ready(id).await; // the 2 ms backoff has passed

    let second = claim(&db, "w2", 1).await.remove(0);
    assert_eq!(second.attempt(), 2);
    assert_ne!(second.attempt_token, first.attempt_token);

    // w1 wakes up and tries to finish its old attempt: every write is refused.
    let late = queue::complete(&db.pool, "w1", &[(first.lease(), json!({"from": "w1"}))])
        .await
        .unwrap();
    assert!(late.is_empty());
    assert!(
        queue::heartbeat(&db.pool, "w1", &[first.lease()], LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    assert_late_failure_changes_nothing(&db, first.lease()).await;
    let row = db.task(id).await;
    assert_eq!(
        (row.status.as_str(), row.locked_by.as_deref()),
        ("in_progress", Some("w2"))
    );

    // The current attempt completes, once.
    let done = queue::complete(&db.pool, "w2", &[(second.lease(), json!({"from": "w2"}))])
        .await
        .unwrap();
    assert_eq!(done, vec![id]);
    let again = queue::complete(&db.pool, "w2", &[(second.lease(), json!({"again": true}))])
        .await
        .unwrap();
    assert!(again.is_empty());
    let row = db.task(id).await;
    assert_eq!(row.status, "completed");
    assert_eq!(row.output_data, Some(json!({"from": "w2"})));
    assert_eq!(
        db.audit_actions(id).await,
        ["task.reclaimed", "task.executed"]
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_reclaimed_attempt_still_completes_until_another_attempt_is_claimed(pool: PgPool) {
    // w1 lost the database for longer than its lease: the reaper reclaimed its task, but nobody
    // has started it since. w1's held success is still the task's result; a late failure of
    // that attempt is not (the reclaim already counted it), and neither is a heartbeat.
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let ids = db.insert(&[new_task(ws, "a"), new_task(ws, "a")]).await;
    let attempts = db.claim_expired("w1", 2).await;
    let report = reap(&db).await;
    assert_eq!(report.requeued.len(), 2);
    let (late_success, late_failure) = (&attempts[0], &attempts[1]);

    assert!(
        queue::heartbeat(&db.pool, "w1", &[late_success.lease()], LEASE)
            .await
            .unwrap()
            .is_empty(),
        "a reclaimed lease is not renewed"
    );
    assert_late_failure_changes_nothing(&db, late_failure.lease()).await;
    let done = queue::complete(
        &db.pool,
        "w1",
        &[(late_success.lease(), json!({"held": true}))],
    )
    .await
    .unwrap();
    assert_eq!(done, vec![late_success.id]);
    let row = db.task(late_success.id).await;
    assert_eq!(row.status, "completed");
    assert_eq!(row.output_data, Some(json!({"held": true})));
    assert_eq!(row.retry_count, 1, "the reclaim stays counted");
    assert_eq!(
        db.audit_actions(late_success.id).await,
        ["task.reclaimed", "task.executed"]
    );
    // The other one is queued with its reclaim counted once, and runs as a new attempt.
    let row = db.task(late_failure.id).await;
    assert_eq!((row.status.as_str(), row.retry_count), ("queued", 1));
    db.wait_ready(late_failure.id).await;
    let next = claim(&db, "w2", 1).await.remove(0);
    assert_eq!(next.id, late_failure.id);
    assert_ne!(next.attempt_token, late_failure.attempt_token);
    assert!(ids.contains(&next.id));
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn reclaiming_the_last_retry_fails_the_task_with_task_005(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let mut t = new_task(ws, "a");
    t.max_retries = 0;
    let id = db.insert(&[t]).await[0];
    db.claim_expired("w1", 1).await;
    let report = reap(&db).await;
    assert_eq!(report.failed, vec![id]);
    let row = db.task(id).await;
    assert_eq!(row.status, "failed");
    assert_eq!(row.retry_count, 0);
    assert!(row.error_message.unwrap().starts_with("TASK_005"));
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_chain_runs_in_order_and_blocked_tasks_names_the_unmet_dependency(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let a = new_task(ws, "x");
    let mut b = new_task(ws, "x");
    b.depends_on = vec![a.id];
    b.priority = 10;
    let mut c = new_task(ws, "x");
    c.depends_on = vec![b.id];
    c.priority = 10;
    db.insert(&[a.clone(), b.clone(), c.clone()]).await;

    let blocked: Vec<(Uuid, Vec<Uuid>)> = sqlx::query_as(
        "SELECT id, unmet_dependencies FROM blocked_tasks ORDER BY unmet_dependencies",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut want = vec![(b.id, vec![a.id]), (c.id, vec![b.id])];
    want.sort_by_key(|(_, deps)| deps.clone());
    assert_eq!(blocked, want);

    for (step, expect) in [a.id, b.id, c.id].into_iter().enumerate() {
        let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(ready, vec![expect], "step {step}");
        let got = claim(&db, "w", 10).await;
        assert_eq!(
            got.iter().map(|t| t.id).collect::<Vec<_>>(),
            vec![expect],
            "step {step}"
        );
        queue::complete(&db.pool, "w", &[(got[0].lease(), json!({}))])
            .await
            .unwrap();
    }
    assert_eq!(
        db.count("SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
            .await,
        3
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_diamond_waits_for_both_branches(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let top = new_task(ws, "x");
    let (mut left, mut right) = (new_task(ws, "x"), new_task(ws, "x"));
    left.depends_on = vec![top.id];
    right.depends_on = vec![top.id];
    let mut bottom = new_task(ws, "x");
    bottom.depends_on = vec![left.id, right.id, left.id]; // a repeated id counts once
    db.insert(&[top.clone(), left.clone(), right.clone(), bottom.clone()])
        .await;
    assert_eq!(db.task(bottom.id).await.unmet_deps, 2);

    let t = claim(&db, "w", 10).await;
    assert_eq!(t.len(), 1);
    queue::complete(&db.pool, "w", &[(t[0].lease(), json!({}))])
        .await
        .unwrap();
    let branches = claim(&db, "w", 10).await;
    let mut ids: Vec<Uuid> = branches.iter().map(|t| t.id).collect();
    ids.sort();
    let mut want = vec![left.id, right.id];
    want.sort();
    assert_eq!(ids, want);

    let l = branches.iter().find(|t| t.id == left.id).unwrap();
    queue::complete(&db.pool, "w", &[(l.lease(), json!({}))])
        .await
        .unwrap();
    let unmet: Vec<Uuid> =
        sqlx::query_scalar("SELECT unnest(unmet_dependencies) FROM blocked_tasks WHERE id = $1")
            .bind(bottom.id)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(unmet, vec![right.id]);
    assert!(claim(&db, "w", 10).await.is_empty());

    let r = branches.iter().find(|t| t.id == right.id).unwrap();
    queue::complete(&db.pool, "w", &[(r.lease(), json!({}))])
        .await
        .unwrap();
    let last = claim(&db, "w", 10).await;
    assert_eq!(
        last.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![bottom.id]
    );
    db.assert_queue_consistent().await;
}

/// A dependency completing while a dependent is being inserted: whichever commits first, the
/// dependent must end up ready (not blocked forever by a stale unmet count).
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_dependent_inserted_during_completion_is_not_lost(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;

    // Order 1: the completion holds its locks first; the insert waits, then sees `completed`.
    let a = new_task(ws, "x");
    db.insert(std::slice::from_ref(&a)).await;
    let ca = claim(&db, "w", 1).await.remove(0);
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query(sql::TASK_COMPLETE)
        .bind(vec![ca.id])
        .bind(vec![ca.attempt_token])
        .bind(vec![sqlx::types::Json(json!({}))])
        .bind("w")
        .bind(vec![ca.workspace_id]) // its shard, on Citus
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut b = new_task(ws, "x");
    b.depends_on = vec![a.id];
    let pool = db.pool.clone();
    let b2 = b.clone();
    let insert = tokio::spawn(async move {
        queue::insert(&mut pool.acquire().await.unwrap(), "t", &[b2], false)
            .await
            .unwrap()
    });
    db.wait_for_lock_waiter().await; // the insert waits for a's row
    sqlx::query(sql::TASK_UNBLOCK_DEPENDENTS)
        .bind(vec![ca.id])
        .bind(vec![ca.workspace_id])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    insert.await.unwrap();
    assert_eq!(db.task(b.id).await.unmet_deps, 0, "order 1");

    // Order 2: the insert holds its FOR SHARE lock first; the completion waits, and its second
    // statement sees the new dependent.
    let mut c = new_task(ws, "x");
    c.priority = 10; // claimed ahead of b, which must stay queued for the final check
    db.insert(std::slice::from_ref(&c)).await;
    let cc = claim(&db, "w", 1).await.remove(0);
    assert_eq!(cc.id, c.id);
    let mut d = new_task(ws, "x");
    d.depends_on = vec![c.id];
    let mut tx = db.pool.begin().await.unwrap();
    queue::insert(&mut tx, "t", std::slice::from_ref(&d), false)
        .await
        .unwrap();
    let pool = db.pool.clone();
    let complete = tokio::spawn(async move {
        queue::complete(&pool, "w", &[(cc.lease(), json!({}))])
            .await
            .unwrap()
    });
    db.wait_for_lock_waiter().await; // the completion waits for c's row
    tx.commit().await.unwrap();
    assert_eq!(complete.await.unwrap(), vec![c.id]);
    assert_eq!(db.task(d.id).await.unmet_deps, 0, "order 2");
    let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(ready.contains(&b.id) && ready.contains(&d.id), "{ready:?}");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn queue_summary_counts_by_status_per_workspace(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let other = db.workspace().await;
    db.insert(&[new_task(ws, "x"), new_task(ws, "x"), new_task(other, "x")])
        .await;
    let t = claim(&db, "w", 1).await.remove(0);
    let (total, queued, in_progress, ready): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT total, queued, in_progress, ready FROM queue_summary WHERE workspace_id = $1",
    )
    .bind(t.workspace_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let mine = if t.workspace_id == ws { 2 } else { 1 };
    assert_eq!(
        (total, queued, in_progress, ready),
        (mine, mine - 1, 1, mine - 1)
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn full_audit_records_each_creation_and_every_start(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let task = new_task(ws, "x");
    queue::insert(
        &mut db.pool.acquire().await.unwrap(),
        "t",
        std::slice::from_ref(&task),
        true,
    )
    .await
    .unwrap();
    let claimed = queue::claim(
        &db.pool,
        "w1",
        1,
        LEASE,
        &ClaimFilter::default(),
        AuditMode::Full,
    )
    .await
    .unwrap();
    queue::complete(&db.pool, "w1", &[(claimed[0].lease(), json!({}))])
        .await
        .unwrap();
    assert_eq!(
        db.audit_actions(task.id).await,
        ["task.created", "task.started", "task.executed"]
    );
    db.assert_queue_consistent().await;
}
