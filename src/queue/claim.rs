//! Claiming ready tasks and renewing the leases of running ones.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::task::{ClaimFilter, ClaimOrder, ClaimedTask, Lease, split};
use crate::audit::AuditMode;
use crate::db::sql;

/// Claims up to `limit` ready tasks for `worker_id` with `FOR UPDATE SKIP LOCKED`, in the filter's
/// [`ClaimOrder`](super::ClaimOrder) (`task_claim.sql` says how each works), writing the lease
/// and a fresh attempt token (and `task.started` with [`AuditMode::Full`]).
///
/// # Transactions, locks
/// One autocommit statement: rows another worker is claiming are skipped, never waited on.
pub async fn claim(
    db: impl PgExecutor<'_>,
    worker_id: &str,
    limit: usize,
    lease: Duration,
    filter: &ClaimFilter,
    audit: AuditMode,
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
        .bind(audit.is_full())
        .bind(filter.is_empty() && filter.order == ClaimOrder::Fair)
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
