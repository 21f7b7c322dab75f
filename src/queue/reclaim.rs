//! The lease reaper: attempts whose lease expired (their worker died or stalled) are taken back.
//! A reclaim counts as a transient failure: retry with backoff, or TASK_005 when none is left.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Failure, Lease, Requeue, fail, requeue};
use crate::audit::Action;
use crate::db::sql;
use crate::schedule::retry::{Decision, RetryPolicy};
use crate::schedule::{TaskTiming, TimeRules};

/// What one reaper pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReclaimReport {
    pub requeued: Vec<Uuid>,
    pub failed: Vec<Uuid>,
}

#[derive(sqlx::FromRow)]
struct Expired {
    id: Uuid,
    retry_count: i32,
    max_retries: i32,
    attempt_token: Uuid,
    locked_by: Option<String>,
    priority: i32,
    task_type: String,
    assigned_agent: String,
    timezone: Option<String>,
}

/// Takes back up to `limit` expired leases in one transaction (rows another reaper holds are
/// skipped). Safe to run on every worker at once.
pub async fn reclaim_expired(
    db: &PgPool,
    reaper_id: &str,
    limit: usize,
    policy: &RetryPolicy,
    time: &TimeRules,
    now: DateTime<Utc>,
) -> Result<ReclaimReport, sqlx::Error> {
    let mut tx = db.begin().await?;
    let expired: Vec<Expired> = crate::db::query_as(sql::TASK_SELECT_EXPIRED_LEASES)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
    let mut requeues = Vec::new();
    let mut failures = Vec::new();
    for task in &expired {
        let lease = Lease {
            task_id: task.id,
            token: task.attempt_token,
        };
        let reason = format!(
            "lease expired: worker {} stopped renewing it",
            task.locked_by.as_deref().unwrap_or("?")
        );
        let details = json!({"class": "lease_expired", "previous_worker": task.locked_by});
        match policy.decide(task.retry_count, task.max_retries, None, now) {
            Decision::Retry { next_run_at } => requeues.push(Requeue {
                lease,
                increment: 1,
                next_run_at: time.retry_at(
                    TaskTiming {
                        priority: task.priority,
                        task_type: &task.task_type,
                        assigned_agent: &task.assigned_agent,
                        timezone: task.timezone.as_deref(),
                    },
                    next_run_at,
                ),
                error: Some(reason),
                action: Action::Reclaimed,
                details,
            }),
            Decision::GiveUp => failures.push(Failure {
                lease,
                error: crate::schedule::retry::max_retries_message(task.max_retries, &reason),
                action: Action::Reclaimed,
                details,
            }),
        }
    }
    let report = ReclaimReport {
        requeued: requeue(&mut *tx, reaper_id, &requeues).await?,
        failed: fail(&mut tx, reaper_id, &failures).await?,
    };
    tx.commit().await?;
    Ok(report)
}
