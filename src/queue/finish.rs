//! Writing the transitions [`settle`](super::settle) decides: complete, requeue (retry, defer,
//! release, reclaim) and fail. Each takes a batch so a busy worker writes many outcomes in one
//! statement; [`Batch`] sorts transitions into the three writes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::lifecycle::Fate;
use super::settle::refused_output;
use super::shard;
use super::task::{Lease, is_retryable, split};
use super::transition::{Failure, Requeue, Transition};
use crate::db::sql;

/// Transitions sorted into the three writes, each one statement with its audit rows.
#[derive(Debug, Default)]
pub struct Batch {
    complete: Vec<(Lease, Value)>,
    requeue: Vec<Requeue>,
    fail: Vec<Failure>,
}

impl Batch {
    pub fn push(&mut self, transition: Transition) {
        match transition {
            Transition::Complete { lease, output } => self.complete.push((lease, output)),
            Transition::Requeue(r) => self.requeue.push(r),
            Transition::Fail(f) => self.fail.push(f),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.complete.is_empty() && self.requeue.is_empty() && self.fail.is_empty()
    }

    /// When each requeue of this batch becomes due (workers wake for their own retries).
    pub fn due_times(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.requeue.iter().map(|r| r.next_run_at)
    }

    /// Writes the batch: completions in their own transactions (they retry deadlocks), then
    /// requeues and failures together. A completion whose output Postgres refuses fails that
    /// task alone ([`refused_output`]); every other outcome of the batch is written as usual.
    pub async fn apply(&self, pool: &PgPool, worker_id: &str) -> Result<Applied, sqlx::Error> {
        let (completed, refused) = complete_isolating(pool, worker_id, &self.complete).await?;
        let mut applied = Applied {
            completed,
            ..Applied::default()
        };
        if !(self.requeue.is_empty() && self.fail.is_empty() && refused.is_empty()) {
            let mut tx = pool.begin().await?;
            let mut failed = fail(&mut tx, worker_id, &refused).await?;
            let rest = self.apply_requeues_and_fails(&mut tx, worker_id).await?;
            tx.commit().await?;
            failed.extend(rest.failed);
            applied.requeued = rest.requeued;
            applied.failed = failed;
        }
        Ok(applied)
    }

    /// Writes only the requeues and failures, inside the caller's transaction (the reaper's,
    /// which holds the expired rows locked; it never settles a completion).
    pub async fn apply_requeues_and_fails(
        &self,
        tx: &mut PgConnection,
        worker_id: &str,
    ) -> Result<Applied, sqlx::Error> {
        Ok(Applied {
            completed: Vec::new(),
            requeued: requeue(&mut *tx, worker_id, &self.requeue).await?,
            failed: fail(tx, worker_id, &self.fail).await?,
        })
    }
}

/// The ids each write actually moved: a stale lease matches nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub completed: Vec<Uuid>,
    pub requeued: Vec<Uuid>,
    pub failed: Vec<Uuid>,
}

/// Completes `items`, isolating any whose output Postgres refuses (a data error): the part that
/// failed is halved until the refused item stands alone, and it becomes a failure; the others
/// complete. Each part is its own transaction, and a retried part is fenced, so nothing
/// completes twice. Any other error is returned for the caller to retry.
async fn complete_isolating(
    pool: &PgPool,
    worker_id: &str,
    items: &[(Lease, Value)],
) -> Result<(Vec<Uuid>, Vec<Failure>), sqlx::Error> {
    let mut completed = Vec::new();
    let mut refused = Vec::new();
    let mut parts = vec![items];
    while let Some(part) = parts.pop() {
        match complete(pool, worker_id, part).await {
            Ok(ids) => completed.extend(ids),
            Err(e) if crate::db::is_data_error(&e) => match part {
                [(lease, _)] => {
                    tracing::warn!(task_id = %lease.task_id, error = %e, "agent output refused by the database");
                    refused.push(refused_output(*lease, &e));
                }
                _ => {
                    let (head, tail) = part.split_at(part.len() / 2);
                    parts.push(tail);
                    parts.push(head);
                }
            },
            Err(e) => return Err(e),
        }
    }
    Ok((completed, refused))
}

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
    let parts = shard::parts(items, |(l, _)| l.workspace_id);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = async {
            let mut tx = db.begin().await?;
            let mut done = Vec::with_capacity(items.len());
            for part in &parts {
                let items = &part.items;
                let rows: Vec<(Uuid, bool)> = crate::db::query_as(sql::TASK_COMPLETE)
                    .bind(items.iter().map(|(l, _)| l.task_id).collect::<Vec<_>>())
                    .bind(items.iter().map(|(l, _)| l.token).collect::<Vec<_>>())
                    .bind(items.iter().map(|(_, v)| Json(v)).collect::<Vec<_>>())
                    .bind(worker_id)
                    .bind(&part.workspaces)
                    .fetch_all(&mut *tx)
                    .await?;
                // A task awaiting approval keeps its dependents blocked: approve unblocks them.
                let unblocking: Vec<Uuid> = rows.iter().filter(|r| !r.1).map(|r| r.0).collect();
                unblock_dependents(&mut tx, &unblocking, part.workspaces.as_deref()).await?;
                done.extend(rows.into_iter().map(|(id, _)| id));
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

/// The queued dependents of `completed` (met dependencies now) lose one unmet dependency each;
/// those left with none become ready (how many is returned). Runs as its own statement: see
/// `task_complete.sql`. `workspaces` is the completed tasks' one workspace on Citus, else None
/// (`queue/shard.rs`).
pub(super) async fn unblock_dependents(
    db: &mut PgConnection,
    completed: &[Uuid],
    workspaces: Option<&[Uuid]>,
) -> Result<i64, sqlx::Error> {
    if completed.is_empty() {
        return Ok(0);
    }
    let (ready, _woke): (i64, i64) = crate::db::query_as(sql::TASK_UNBLOCK_DEPENDENTS)
        .bind(completed)
        .bind(workspaces)
        .fetch_one(db)
        .await?;
    Ok(ready)
}

/// Puts attempts back to `queued` (fenced); returns the ids moved.
pub async fn requeue(
    db: &mut PgConnection,
    worker_id: &str,
    items: &[Requeue],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut moved = Vec::with_capacity(items.len());
    for part in shard::parts(items, |r| r.lease.workspace_id) {
        let items = &part.items;
        if items.is_empty() {
            continue;
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
            .bind(&part.workspaces)
            .fetch_all(&mut *db)
            .await?;
        moved.extend(rows.into_iter().map(|(id, _)| id));
    }
    Ok(moved)
}

/// Marks attempts failed (fenced) and cancels their dependents transitively (TASK_006); returns
/// the ids failed. Two statements: run it inside a transaction.
pub async fn fail(
    db: &mut PgConnection,
    worker_id: &str,
    items: &[Failure],
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut all = Vec::with_capacity(items.len());
    for part in shard::parts(items, |f| f.lease.workspace_id) {
        let items = &part.items;
        if items.is_empty() {
            continue;
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
            .bind(&part.workspaces)
            .fetch_all(&mut *db)
            .await?;
        let failed: Vec<Uuid> = rows.into_iter().map(|(id,)| id).collect();
        // The cascade runs once per workspace of the failed tasks (rarely more than one).
        let mut by_workspace: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
        for f in items.iter().filter(|f| failed.contains(&f.lease.task_id)) {
            by_workspace
                .entry(f.lease.workspace_id)
                .or_default()
                .push(f.lease.task_id);
        }
        for (workspace, upstream) in by_workspace {
            super::lifecycle::cancel_dependents(db, &upstream, Fate::Failed, worker_id, workspace)
                .await?;
        }
        all.extend(failed);
    }
    Ok(all)
}
