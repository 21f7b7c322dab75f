//! The only code that changes task state. Each transition is one `sql/task_*.sql` file, one
//! function here and one audit action:
//!
//! | transition | SQL | audit action |
//! |---|---|---|
//! | [`insert`] | `task_insert.sql` | `task.created` |
//! | [`claim`] | `task_claim.sql` | `task.started` |
//! | [`heartbeat`] | `task_heartbeat.sql` | (lease only, no state change) |
//! | [`complete`] | `task_complete.sql` + `task_unblock_dependents.sql` | `task.executed` |
//! | [`requeue`] | `task_requeue.sql` | `task.retry_scheduled`, `task.deferred`, `task.released`, `task.reclaimed` |
//! | [`fail`] | `task_fail.sql` + `task_cancel_dependents.sql` | `task.failed` (or `task.reclaimed`) |
//! | [`reclaim_expired`] | `task_select_expired_leases.sql` then requeue/fail | `task.reclaimed` |
//! | [`cancel`] | `task_cancel.sql` + `task_cancel_dependents.sql` | `task.cancelled` |
//! | [`cancel_dependents`] | `task_cancel_dependents.sql` (after a fail, too) | `task.cancelled` |
//! | [`retry`] | `task_retry.sql` | `task.retried` |
//!
//! Every write of a claimed task is fenced by its [`Lease`] (id + attempt token), so a worker that
//! lost its lease cannot overwrite a newer attempt.

mod finish;
mod insert;
mod lifecycle;
pub mod read;
mod reclaim;

pub use finish::{Failure, Requeue, complete, fail, requeue};
pub use insert::{NewTask, insert};
pub use lifecycle::{cancel, cancel_dependents, retry};
pub use reclaim::{ReclaimReport, reclaim_expired};

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::db::sql;

/// Channel that wakes idle workers (NOTIFY from insert, unblock and requeue statements).
pub const READY_CHANNEL: &str = "taskfleet_ready";
/// Channel that tells workers a running task was cancelled (payload: the task id).
pub const CANCEL_CHANNEL: &str = "taskfleet_cancel";
/// Channel that tells workers the agent registry changed.
pub const AGENTS_CHANNEL: &str = "taskfleet_agents";

/// Values of `autonomous_tasks.task_type`: the specification's, plus the two decomposition
/// derives (`scheduling` for calendar-agent, `general` for general-executor).
pub const TASK_TYPES: &[&str] = &[
    "content",
    "design",
    "campaign",
    "analysis",
    "email",
    "social_media",
    "research",
    "strategy",
    "other",
    "scheduling",
    "general",
];

/// Values of `autonomous_tasks.status`.
pub const STATUSES: &[&str] = &["queued", "in_progress", "completed", "failed", "cancelled"];

/// Identifies one attempt of a task: every write by the claiming worker matches both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub task_id: Uuid,
    pub token: Uuid,
}

/// A task as a worker holds it after [`claim`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedTask {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub task_type: String,
    pub assigned_agent: String,
    pub task_description: String,
    pub input_data: Json<Value>,
    pub priority: i32,
    pub retry_count: i32,
    pub max_retries: i32,
    pub attempt_token: Uuid,
    /// When the task became ready (for ready → started latency).
    pub next_run_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    /// The workspace's zone, if it set one (time-of-day rules).
    pub timezone: Option<String>,
}

impl ClaimedTask {
    /// What the time-of-day rules need of this task.
    pub fn timing(&self) -> crate::schedule::TaskTiming<'_> {
        crate::schedule::TaskTiming {
            priority: self.priority,
            task_type: &self.task_type,
            assigned_agent: &self.assigned_agent,
            timezone: self.timezone.as_deref(),
        }
    }

    pub fn lease(&self) -> Lease {
        Lease {
            task_id: self.id,
            token: self.attempt_token,
        }
    }

    /// Attempts are numbered from 1 (contract section 8).
    pub fn attempt(&self) -> i32 {
        self.retry_count + 1
    }
}

/// Narrows a claim; workers claim with the default (anything ready), the API's execute pass
/// with its workspace and filters.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub workspace_id: Option<Uuid>,
    pub priority_min: Option<i32>,
    pub task_type: Option<String>,
    pub assigned_agent: Option<String>,
}

impl ClaimFilter {
    /// No filter at all: any ready task of any workspace (what workers claim).
    pub fn is_empty(&self) -> bool {
        self.workspace_id.is_none()
            && self.priority_min.is_none()
            && self.task_type.is_none()
            && self.assigned_agent.is_none()
    }
}

/// Claims up to `limit` ready tasks for `worker_id` with `FOR UPDATE SKIP LOCKED`, in claim order
/// (priority desc, created_at asc), writing the lease, a fresh attempt token and `task.started`.
///
/// # Transactions, locks
/// One autocommit statement: rows another worker is claiming are skipped, never waited on.
pub async fn claim(
    db: impl PgExecutor<'_>,
    worker_id: &str,
    limit: usize,
    lease: Duration,
    filter: &ClaimFilter,
) -> Result<Vec<ClaimedTask>, sqlx::Error> {
    // The fleet's unfiltered claim is a named statement: its plan is always the claim index in
    // order, and planning this statement afresh takes about 0.85 ms, which a chain of dependent
    // tasks pays at every step (+25 % on `bench --deps chain`). Filtered claims (the API's execute
    // pass) stay unnamed, so each gets a custom plan that can use the workspace's own index.
    crate::db::query_as(sql::TASK_CLAIM)
        .persistent(filter.is_empty())
        .bind(worker_id)
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .bind(lease.as_secs_f64())
        .bind(filter.workspace_id)
        .bind(filter.priority_min)
        .bind(filter.task_type.as_deref())
        .bind(filter.assigned_agent.as_deref())
        .fetch_all(db)
        .await
}

/// Renews the leases `worker_id` holds; returns the task ids it still owns. A lease missing from
/// the answer was lost (reclaimed after expiry, or the task was cancelled): abandon that attempt.
pub async fn heartbeat(
    db: &PgPool,
    worker_id: &str,
    leases: &[Lease],
    lease: Duration,
) -> Result<HashSet<Uuid>, sqlx::Error> {
    if leases.is_empty() {
        return Ok(HashSet::new());
    }
    let (ids, tokens) = split(leases);
    let rows: Vec<(Uuid,)> = crate::db::query_as(sql::TASK_HEARTBEAT)
        .bind(ids)
        .bind(tokens)
        .bind(lease.as_secs_f64())
        .bind(worker_id)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

fn split(leases: &[Lease]) -> (Vec<Uuid>, Vec<Uuid>) {
    leases.iter().map(|l| (l.task_id, l.token)).unzip()
}

/// Postgres reports a deadlock or serialization failure: the transaction can simply be re-run.
fn is_retryable(err: &sqlx::Error) -> bool {
    matches!(err.as_database_error().and_then(|e| e.code()), Some(c) if c == "40P01" || c == "40001")
}
