//! Claiming ready tasks and renewing the leases of running ones.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::shard;
use super::task::{ClaimFilter, ClaimOrder, ClaimedTask, Lease, split};
use crate::audit::AuditMode;
use crate::db::sql;

/// Claims up to `limit` ready tasks for `worker_id` with `FOR UPDATE SKIP LOCKED`, in the filter's
/// [`ClaimOrder`](super::ClaimOrder) (`task_claim.sql` says how each works), writing the lease
/// and a fresh attempt token (and `task.started` with [`AuditMode::Full`]).
///
/// # Transactions, locks
/// One autocommit statement: rows another worker is claiming are skipped, never waited on.
/// On Citus, one statement per workspace with ready work ([`claim_per_workspace`]).
pub async fn claim(
    db: &PgPool,
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
    if crate::db::citus::distributed() {
        return claim_per_workspace(db, worker_id, limit, lease, filter, audit).await;
    }
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

/// The claim on Citus, where a row lock is taken only by a query of one shard: the workspaces
/// with ready work (all of them, or the filter's one), in a random order so no workspace is
/// always first, each offered an equal share of what is left of the claim (`task_claim_workspace.sql`,
/// one shard each). Urgent tasks come first within a workspace, not across workspaces.
async fn claim_per_workspace(
    db: &PgPool,
    worker_id: &str,
    limit: usize,
    lease: Duration,
    filter: &ClaimFilter,
    audit: AuditMode,
) -> Result<Vec<ClaimedTask>, sqlx::Error> {
    let mut workspaces: Vec<Uuid> = match filter.workspace_id {
        Some(ws) => vec![ws],
        None => {
            crate::db::query_scalar(sql::TASK_CLAIM_WORKSPACES)
                .fetch_all(db)
                .await?
        }
    };
    // Rotate by a random offset: cheap, and every workspace leads as often as any other.
    if !workspaces.is_empty() {
        let offset = Uuid::new_v4().as_u128() as usize % workspaces.len();
        workspaces.rotate_left(offset);
    }
    let mut claimed = Vec::with_capacity(limit);
    for (i, ws) in workspaces.iter().enumerate() {
        let left = limit - claimed.len();
        if left == 0 {
            break;
        }
        let share = left.div_ceil(workspaces.len() - i);
        let mut rows: Vec<ClaimedTask> = crate::db::query_as(sql::TASK_CLAIM_WORKSPACE)
            .bind(worker_id)
            .bind(i32::try_from(share).unwrap_or(i32::MAX))
            .bind(lease.as_secs_f64())
            .bind(ws)
            .bind(filter.priority_min)
            .bind(filter.task_type.as_deref())
            .bind(filter.assigned_agent.as_deref())
            .bind(audit.is_full())
            .bind(Uuid::new_v4())
            .fetch_all(db)
            .await?;
        claimed.append(&mut rows);
    }
    Ok(claimed)
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
    let mut owned = HashSet::with_capacity(leases.len());
    for part in shard::parts(leases, |l| l.workspace_id) {
        let (ids, tokens) = split(&part.items);
        let rows: Vec<(Uuid,)> = crate::db::query_as(sql::TASK_HEARTBEAT)
            .bind(ids)
            .bind(tokens)
            .bind(lease.as_secs_f64())
            .bind(worker_id)
            .bind(&part.workspaces)
            .fetch_all(db)
            .await?;
        owned.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(owned)
}
