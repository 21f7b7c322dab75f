//! The lease reaper: attempts whose lease expired (their worker died or stalled) are taken back,
//! settled as [`AttemptEnd::LeaseExpired`] (a transient failure).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

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
    let mut tx = db.begin().await?;
    let expired: Vec<Expired> = crate::db::query_as(sql::TASK_SELECT_EXPIRED_LEASES)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
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
