//! Cancel (with the transitive TASK_006 cascade) and manual retry: the transitions users trigger.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::sql;

/// Cancels a queued or in_progress task and, transitively, its queued dependents. Returns the
/// previous status, or None when the task is missing or already terminal. Two statements: run it
/// inside a transaction.
pub async fn cancel(
    db: &mut PgConnection,
    id: Uuid,
    reason: Option<&str>,
    actor: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(Uuid, String, i64)> = crate::db::query_as(sql::TASK_CANCEL)
        .bind(id)
        .bind(reason)
        .bind(actor)
        .fetch_optional(&mut *db)
        .await?;
    let Some((_, previous, _)) = row else {
        return Ok(None);
    };
    cancel_dependents(db, &[id], "cancelled", actor).await?;
    Ok(Some(previous))
}

/// Cancels every queued task downstream of `upstream` (which are now `status`), recording the
/// upstream in `cancelled_by`. Returns the ids cancelled.
pub async fn cancel_dependents(
    db: &mut PgConnection,
    upstream: &[Uuid],
    status: &str,
    actor: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    if upstream.is_empty() {
        return Ok(Vec::new());
    }
    crate::db::query_scalar(sql::TASK_CANCEL_DEPENDENTS)
        .bind(upstream)
        .bind(vec![status; upstream.len()])
        .bind(actor)
        .fetch_all(db)
        .await
}

/// Re-queues a failed or cancelled task and the tasks cancelled on its account. Returns the ids
/// re-queued (empty when the task is missing or not failed/cancelled).
pub async fn retry(
    db: &mut PgConnection,
    id: Uuid,
    reset_retry_count: bool,
    actor: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows: Vec<(Uuid, i64)> = crate::db::query_as(sql::TASK_RETRY)
        .bind(id)
        .bind(reset_retry_count)
        .bind(actor)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}
