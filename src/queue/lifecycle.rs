//! Cancel (with the transitive TASK_006 cascade) and manual retry: the transitions users trigger.

use sqlx::PgConnection;
use uuid::Uuid;

use super::error::Error;
use super::read;
use super::task::ApprovalState;
use super::task::Status;
use crate::db::sql;

/// Cancels a queued or in_progress task and, transitively, its queued dependents. Returns the
/// previous status. Two statements: run it inside a transaction.
pub async fn cancel(
    db: &mut PgConnection,
    id: Uuid,
    reason: Option<&str>,
    actor: &str,
) -> Result<Status, Error> {
    let workspace = workspace_of(db, id).await?;
    // The task_queue row first: every writer locks it before the task row.
    crate::db::query(sql::TASK_DEQUEUE)
        .bind(id)
        .bind(workspace)
        .execute(&mut *db)
        .await?;
    let row: Option<(Status, bool, i64)> = crate::db::query_as(sql::TASK_CANCEL)
        .bind(id)
        .bind(reason)
        .bind(actor)
        .bind(workspace)
        .fetch_optional(&mut *db)
        .await?;
    match row {
        None => Err(Error::NotFound(id)),
        Some((status, false, _)) => Err(Error::InvalidState {
            verb: "cancel",
            status,
        }),
        Some((previous, true, _)) => {
            cancel_dependents(db, &[id], Fate::Cancelled, actor, workspace).await?;
            Ok(previous)
        }
    }
}

/// The workspace of task `id` (what a write names on Citus: its shard); NotFound when there is
/// none, or the caller's row-level security hides it.
pub(super) async fn workspace_of(db: &mut PgConnection, id: Uuid) -> Result<Uuid, Error> {
    crate::db::query_scalar(sql::TASK_WORKSPACE)
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(Error::NotFound(id))
}

/// Why the upstream of a TASK_006 cascade can never satisfy its dependents (the message names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Failed,
    Cancelled,
    /// Completed, but an approver rejected its result.
    Rejected,
}

impl Fate {
    const fn as_str(self) -> &'static str {
        match self {
            Fate::Failed => "failed",
            Fate::Cancelled => "cancelled",
            Fate::Rejected => "rejected",
        }
    }
}

/// Cancels every queued task downstream of `upstream` (which all met `fate`), recording the
/// upstream in `cancelled_by`. Returns the ids cancelled. The upstream tasks are all of
/// `workspace`, where their dependents are too.
pub async fn cancel_dependents(
    db: &mut PgConnection,
    upstream: &[Uuid],
    fate: Fate,
    actor: &str,
    workspace: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    if upstream.is_empty() {
        return Ok(Vec::new());
    }
    let reached: Vec<(Uuid, Uuid, String)> = crate::db::query_as(sql::TASK_DEPENDENTS_REACH)
        .bind(upstream)
        .bind(vec![fate.as_str(); upstream.len()])
        .bind(workspace)
        .fetch_all(&mut *db)
        .await?;
    if reached.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns = (Vec::new(), Vec::new(), Vec::new());
    for (id, root, root_status) in reached {
        columns.0.push(id);
        columns.1.push(root);
        columns.2.push(root_status);
    }
    crate::db::query_scalar(sql::TASK_CANCEL_DEPENDENTS)
        .bind(columns.0)
        .bind(columns.1)
        .bind(columns.2)
        .bind(actor)
        .bind(workspace)
        .fetch_all(db)
        .await
}

/// Re-queues a failed or cancelled task (or a completed one whose result was rejected: it runs
/// again and asks for approval again) and the tasks cancelled on its account; returns the ids
/// re-queued, the task first. Refused while one of its own dependencies is failed or cancelled:
/// that one must be retried first. Run it inside a transaction.
pub async fn retry(
    db: &mut PgConnection,
    id: Uuid,
    reset_retry_count: bool,
    actor: &str,
) -> Result<Vec<Uuid>, Error> {
    let task = read::tasks_by_id(db, &[id])
        .await?
        .pop()
        .ok_or(Error::NotFound(id))?;
    let refused = Error::InvalidState {
        verb: "retry",
        status: task.status,
    };
    let rejected = task
        .approval
        .as_ref()
        .is_some_and(|a| a.0.state == ApprovalState::Rejected);
    if !task.status.is_dead() && !rejected {
        return Err(refused);
    }
    let deps = read::dependency_status(db, &task.depends_on, task.workspace_id).await?;
    if let Some(&(dependency, status)) = deps.iter().find(|(_, st)| st.is_dead()) {
        return Err(Error::DeadDependency { dependency, status });
    }
    let rows: Vec<(Uuid, i64)> = crate::db::query_as(sql::TASK_RETRY)
        .bind(id)
        .bind(reset_retry_count)
        .bind(actor)
        .bind(task.workspace_id)
        .fetch_all(db)
        .await?;
    if rows.is_empty() {
        return Err(refused); // changed under us (a concurrent retry)
    }
    let mut ids: Vec<Uuid> = rows.into_iter().map(|(id, _)| id).collect();
    ids.sort_by_key(|r| *r != id);
    Ok(ids)
}
