//! The lease reaper: attempts whose lease expired (their worker died or stalled) are taken back,
//! settled as [`AttemptEnd::LeaseExpired`] (a transient failure).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::finish::{Applied, Batch};
use super::settle::{AttemptEnd, Rules, settle};
use super::task::{AttemptView, Lease};
use crate::db::sql;
use crate::schedule::TaskTiming;

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

impl Expired {
    fn view(&self) -> AttemptView<'_> {
        AttemptView {
            lease: Lease {
                task_id: self.id,
                token: self.attempt_token,
            },
            retry_count: self.retry_count,
            max_retries: self.max_retries,
            timing: TaskTiming {
                priority: self.priority,
                task_type: &self.task_type,
                assigned_agent: &self.assigned_agent,
                timezone: self.timezone.as_deref(),
            },
        }
    }
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
        batch.push(settle(task.view(), &end, rules, now));
    }
    let applied = batch.apply_requeues_and_fails(&mut tx, reaper_id).await?;
    tx.commit().await?;
    Ok(applied)
}
