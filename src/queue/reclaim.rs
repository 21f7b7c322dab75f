//! The lease reaper: attempts whose lease expired (their worker died or stalled) are taken back,
//! settled as [`AttemptEnd::LeaseExpired`] (a transient failure).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::finish::{Applied, Batch};
use super::settle::{AttemptEnd, Rules, settle};
use super::task::ClaimedTask;
use crate::db::sql;

/// An in_progress task whose lease ran out, and the worker that held it.
#[derive(sqlx::FromRow)]
struct Expired {
    #[sqlx(flatten)]
    task: ClaimedTask,
    locked_by: Option<String>,
}

/// Takes back up to `limit` expired leases in one transaction (rows another reaper holds are
/// skipped). Safe to run on every worker at once. Returns the ids requeued and failed.
pub async fn reclaim_expired(
    db: &PgPool,
    reaper_id: &str,
    limit: usize,
    rules: Rules<'_>,
    now: DateTime<Utc>,
) -> Result<Applied, sqlx::Error> {
    // On Citus, the expired leases are locked one workspace (one shard) at a time.
    let workspaces: Vec<Option<Vec<Uuid>>> = if crate::db::citus::distributed() {
        let found: Vec<Uuid> = crate::db::query_scalar(sql::TASK_EXPIRED_WORKSPACES)
            .fetch_all(db)
            .await?;
        found.into_iter().map(|ws| Some(vec![ws])).collect()
    } else {
        vec![None]
    };
    let mut tx = db.begin().await?;
    let mut expired: Vec<Expired> = Vec::new();
    for ws in &workspaces {
        let left = limit.saturating_sub(expired.len());
        if left == 0 {
            break;
        }
        let mut rows: Vec<Expired> = crate::db::query_as(sql::TASK_SELECT_EXPIRED_LEASES)
            .bind(i64::try_from(left).unwrap_or(i64::MAX))
            .bind(ws)
            .fetch_all(&mut *tx)
            .await?;
        expired.append(&mut rows);
    }
    let mut batch = Batch::default();
    for task in &expired {
        let end = AttemptEnd::LeaseExpired {
            worker: task.locked_by.clone(),
        };
        batch.push(settle(task.task.attempt_view(), &end, rules, now));
    }
    let applied = batch.apply_requeues_and_fails(&mut tx, reaper_id).await?;
    tx.commit().await?;
    Ok(applied)
}
