//! Writing the result of attempts: complete, requeue (retry, defer, release, reclaim) and fail.
//! Each takes a batch so a busy worker writes many outcomes in one statement.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{Lease, is_retryable, split};
use crate::audit::Action;
use crate::db::sql;

/// Marks attempts completed with their outputs and unblocks their dependents, in one
/// transaction. Returns the ids actually completed: a stale lease matches nothing.
///
/// # Transactions, locks
/// Two statements in one transaction (see `task_complete.sql` for why two). Completed rows and
/// dependents are locked in id order; a deadlock or serialization failure is retried.
pub async fn complete(
    db: &PgPool,
    worker_id: &str,
    items: &[(Lease, Value)],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = items.iter().map(|(l, _)| l.task_id).collect();
    let tokens: Vec<Uuid> = items.iter().map(|(l, _)| l.token).collect();
    let outputs: Vec<Json<&Value>> = items.iter().map(|(_, v)| Json(v)).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let mut tx = db.begin().await?;
            let done: Vec<(Uuid, Uuid, String)> = crate::db::query_as(sql::TASK_COMPLETE)
                .bind(&ids)
                .bind(&tokens)
                .bind(&outputs)
                .bind(worker_id)
                .fetch_all(&mut *tx)
                .await?;
            let done: Vec<Uuid> = done.into_iter().map(|(id, _, _)| id).collect();
            if !done.is_empty() {
                crate::db::query(sql::TASK_UNBLOCK_DEPENDENTS)
                    .bind(&done)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(done)
        }
        .await;
        match result {
            Err(e) if attempt < 5 && is_retryable(&e) => continue,
            other => return other,
        }
    }
}

/// An attempt going back to `queued`.
#[derive(Debug, Clone)]
pub struct Requeue {
    pub lease: Lease,
    /// 1 when the attempt counts as a retry (transient failure, reclaim), else 0.
    pub increment: i32,
    pub next_run_at: DateTime<Utc>,
    /// `error_message` to leave on the task; None clears it.
    pub error: Option<String>,
    /// `task.retry_scheduled`, `task.deferred`, `task.released` or `task.reclaimed`.
    pub action: Action,
    /// Extra audit details (failure class, reason).
    pub details: Value,
}

/// Puts attempts back to `queued` (fenced); returns the ids moved.
pub async fn requeue(
    db: impl PgExecutor<'_>,
    worker_id: &str,
    items: &[Requeue],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let leases: Vec<Lease> = items.iter().map(|r| r.lease).collect();
    let (ids, tokens) = split(&leases);
    let rows: Vec<(Uuid, i64)> = crate::db::query_as(sql::TASK_REQUEUE)
        .bind(ids)
        .bind(tokens)
        .bind(items.iter().map(|r| r.increment).collect::<Vec<_>>())
        .bind(items.iter().map(|r| r.next_run_at).collect::<Vec<_>>())
        .bind(items.iter().map(|r| r.error.clone()).collect::<Vec<_>>())
        .bind(items.iter().map(|r| r.action.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|r| Json(&r.details)).collect::<Vec<_>>())
        .bind(worker_id)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// An attempt that ends the task as `failed`.
#[derive(Debug, Clone)]
pub struct Failure {
    pub lease: Lease,
    /// Starts with the code (`TASK_005: ...`, `TASK_008: ...`) or the HTTP status.
    pub error: String,
    /// `task.failed`, or `task.reclaimed` when an expired lease used up the last retry.
    pub action: Action,
    pub details: Value,
}

/// Marks attempts failed (fenced) and cancels their dependents transitively (TASK_006); returns
/// the ids failed. Two statements: run it inside a transaction.
pub async fn fail(
    db: &mut PgConnection,
    worker_id: &str,
    items: &[Failure],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let leases: Vec<Lease> = items.iter().map(|f| f.lease).collect();
    let (ids, tokens) = split(&leases);
    let rows: Vec<(Uuid,)> = crate::db::query_as(sql::TASK_FAIL)
        .bind(ids)
        .bind(tokens)
        .bind(items.iter().map(|f| f.error.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|f| f.action.as_str()).collect::<Vec<_>>())
        .bind(items.iter().map(|f| Json(&f.details)).collect::<Vec<_>>())
        .bind(worker_id)
        .fetch_all(&mut *db)
        .await?;
    let failed: Vec<Uuid> = rows.into_iter().map(|(id,)| id).collect();
    super::lifecycle::cancel_dependents(db, &failed, "failed", worker_id).await?;
    Ok(failed)
}
