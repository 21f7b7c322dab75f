//! A database of the previous schema (migrations up to 0007), holding tasks in every state,
//! migrated forward to the hot path (0008): every task keeps its state, the ready queue holds
//! exactly the ready and running ones, and the fleet carries on from there. The old rows are
//! written with raw SQL because no code of today writes the old schema. A database before 0009
//! has its `scheduling` and `general` tasks reclassified into the specification's nine types.

mod common;

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::TestDb;
use taskfleet::audit::AuditMode;
use taskfleet::db::migrate::MIGRATOR;
use taskfleet::queue::{self, ClaimFilter, Lease};

const BEFORE_HOT_PATH: i64 = 7;

/// Inserts one task of the old schema, then sets `extra` (an SQL `SET` list) on it; its id.
async fn old_task(pool: &PgPool, ws: Uuid, status: &str, extra: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO autonomous_tasks (id, workspace_id, task_description, task_type, \
         assigned_agent, status) VALUES ($1, $2, 'old', 'content', 'content-generator', $3)",
    )
    .bind(id)
    .bind(ws)
    .bind(status)
    .execute(pool)
    .await
    .unwrap();
    if !extra.is_empty() {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE autonomous_tasks SET {extra} WHERE id = $1"
        )))
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    id
}

#[sqlx::test(migrations = false)]
async fn tasks_in_every_state_keep_it_across_the_hot_path_migration(pool: PgPool) {
    MIGRATOR.run_to(BEFORE_HOT_PATH, &pool).await.unwrap();
    let ws: Uuid = sqlx::query_scalar("INSERT INTO workspaces (name) VALUES ('old') RETURNING id")
        .fetch_one(&pool)
        .await
        .unwrap();
    let token = Uuid::new_v4();
    let ready = old_task(&pool, ws, "queued", "").await;
    let later = old_task(
        &pool,
        ws,
        "queued",
        "next_run_at = now() + interval '1 hour'",
    )
    .await;
    let running = old_task(
        &pool,
        ws,
        "in_progress",
        &format!(
            "started_at = now(), locked_by = 'old-worker', \
             lease_expires_at = now() + interval '10 minutes', attempt_token = '{token}'"
        ),
    )
    .await;
    let blocked = old_task(
        &pool,
        ws,
        "queued",
        &format!("depends_on = ARRAY['{running}'::uuid], unmet_deps = 1"),
    )
    .await;
    let done = old_task(&pool, ws, "completed", "completed_at = now()").await;
    let failed = old_task(&pool, ws, "failed", "error_message = 'TASK_005: x'").await;
    let cancelled = old_task(
        &pool,
        ws,
        "cancelled",
        "error_message = 'Cancelled by user'",
    )
    .await;

    MIGRATOR.run(&pool).await.unwrap();
    let db = TestDb::new(pool);
    db.assert_queue_consistent().await;
    for (id, status) in [
        (ready, "queued"),
        (later, "queued"),
        (running, "in_progress"),
        (blocked, "queued"),
        (done, "completed"),
        (failed, "failed"),
        (cancelled, "cancelled"),
    ] {
        assert_eq!(db.task(id).await.status, status, "{id}");
    }
    let mut in_queue: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM task_queue")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    in_queue.sort();
    let mut want = vec![ready, later, running];
    want.sort();
    assert_eq!(
        in_queue, want,
        "ready, later and running tasks, nothing else"
    );
    let ready_view: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ready_view, [ready]);

    // The fleet carries on: the old attempt completes under its own token and unblocks its
    // dependent; the ready task is claimed.
    let lease = Lease {
        task_id: running,
        token,
        workspace_id: ws,
    };
    let completed = queue::complete(&db.pool, "old-worker", &[(lease, json!({"ok": 1}))])
        .await
        .unwrap();
    assert_eq!(completed, [running]);
    let claimed: Vec<Uuid> = queue::claim(
        &db.pool,
        "new-worker",
        10,
        Duration::from_secs(30),
        &ClaimFilter::default(),
        AuditMode::Outcomes,
    )
    .await
    .unwrap()
    .iter()
    .map(|t| t.id)
    .collect();
    let mut want = vec![ready, blocked];
    want.sort();
    let mut got = claimed.clone();
    got.sort();
    assert_eq!(got, want);
    db.assert_queue_consistent().await;
}

const BEFORE_SPEC_TYPES: i64 = 8;

#[sqlx::test(migrations = false)]
async fn old_task_types_are_reclassified_into_the_nine_by_the_keyword_rules(pool: PgPool) {
    MIGRATOR.run_to(BEFORE_SPEC_TYPES, &pool).await.unwrap();
    let ws: Uuid = sqlx::query_scalar("INSERT INTO workspaces (name) VALUES ('old') RETURNING id")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cases = [
        // (old type, description, new type)
        ("scheduling", "Schedule social posts", "social_media"),
        ("scheduling", "Build the content calendar", "content"),
        ("scheduling", "Build the calendar", "other"),
        ("general", "Upload lead list", "other"),
        ("general", "Host webinars", "campaign"),
        ("general", "Interview customers", "research"),
        ("general", "Newsletter and blog", "email"),
        ("general", "Publish a customer case study", "content"),
        ("general", "Messaging plan", "strategy"),
        ("general", "Banner mockups", "design"),
        ("general", "Weekly KPI report", "analysis"),
        // Rows of the nine keep their type, whatever their text says.
        ("content", "Email blast", "content"),
    ];
    let mut ids = Vec::new();
    for (old, description, _) in cases {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO autonomous_tasks (workspace_id, task_description, task_type, \
             assigned_agent) VALUES ($1, $2, $3, 'general-executor') RETURNING id",
        )
        .bind(ws)
        .bind(description)
        .bind(old)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO task_queue (id, workspace_id, priority, created_at, run_at) \
             SELECT id, workspace_id, priority, created_at, next_run_at FROM autonomous_tasks \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
        ids.push(id);
    }

    MIGRATOR.run(&pool).await.unwrap();
    for (id, (old, description, new)) in ids.iter().zip(cases) {
        let (task_type, deadline): (String, Option<chrono::DateTime<chrono::Utc>>) =
            sqlx::query_as("SELECT task_type, deadline FROM autonomous_tasks WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(task_type, new, "{old} {description:?}");
        assert_eq!(deadline, None);
    }
    // The rules the migration applied are the ones decomposition applies.
    for (_, description, new) in &cases[..cases.len() - 1] {
        assert_eq!(
            taskfleet::decompose::task_type_for(description).as_str(),
            *new,
            "{description}"
        );
    }
    let db = TestDb::new(pool);
    db.assert_queue_consistent().await;
}
