//! Test harness: a fresh migrated database per test (`#[sqlx::test]`), factories, agents that are
//! real HTTP servers on loopback, and worker processes that are the real binary.
#![allow(dead_code)]

pub mod agent;
pub mod api;
pub mod procs;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use taskfleet::queue::{self, NewTask};

pub const AGENT_SECRET: &str = "test-agent-secret";

/// A migrated database of its own, plus the URL subprocesses use to reach it.
pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
}

impl TestDb {
    pub fn new(pool: PgPool) -> Self {
        taskfleet::install_crypto_provider(); // for the harness's own reqwest calls
        let o = pool.connect_options();
        let url = format!(
            "postgres://{}@{}:{}/{}?sslmode=disable",
            o.get_username(),
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("postgres")
        );
        Self { pool, url }
    }

    pub async fn workspace(&self) -> Uuid {
        let (id,): (Uuid,) = sqlx::query_as(taskfleet::db::sql::WORKSPACE_CREATE)
            .bind("test workspace")
            .bind(None::<String>)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        id
    }

    pub async fn register_agent(&self, name: &str, url: &str) {
        sqlx::query(taskfleet::db::sql::AGENT_UPSERT)
            .bind(name)
            .bind(url)
            .bind(true)
            .execute(&self.pool)
            .await
            .unwrap();
    }

    pub async fn insert(&self, tasks: &[NewTask]) -> Vec<Uuid> {
        for chunk in tasks.chunks(5000) {
            queue::insert(&self.pool, "test", chunk).await.unwrap();
        }
        tasks.iter().map(|t| t.id).collect()
    }

    pub async fn task(&self, id: Uuid) -> TaskRow {
        sqlx::query_as(
            "SELECT id, status, retry_count, max_retries, error_message, output_data, \
             locked_by, started_at, completed_at, next_run_at, unmet_deps \
             FROM autonomous_tasks WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await.unwrap();
        n
    }

    /// Audit actions recorded for a task, oldest first.
    pub async fn audit_actions(&self, id: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Polls until `sql` (a query returning one bigint) returns `want`, or panics after `limit`.
    pub async fn wait_count(&self, sql: &'static str, want: i64, limit: Duration) {
        let start = Instant::now();
        loop {
            let n = self.count(sql).await;
            if n == want {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for `{sql}` = {want}; last {n}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the task is in `status`.
    pub async fn wait_status(&self, id: Uuid, status: &str, limit: Duration) -> TaskRow {
        let start = Instant::now();
        loop {
            let row = self.task(id).await;
            if row.status == status {
                return row;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for task {id} to be {status}; it is {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub status: String,
    pub retry_count: i32,
    pub max_retries: i32,
    pub error_message: Option<String>,
    pub output_data: Option<Value>,
    pub locked_by: Option<String>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub next_run_at: chrono::DateTime<chrono::Utc>,
    pub unmet_deps: i32,
}

/// A queued task for `agent` with sensible defaults; adjust fields as the test needs.
pub fn new_task(workspace_id: Uuid, agent: &str) -> NewTask {
    NewTask {
        id: Uuid::new_v4(),
        workspace_id,
        contact_id: None,
        strategy_id: None,
        task_description: "test task".into(),
        task_type: "content".into(),
        assigned_agent: agent.into(),
        priority: 5,
        depends_on: vec![],
        input_data: json!({}),
        max_retries: 3,
        next_run_at: None,
        plan_index: None,
    }
}
