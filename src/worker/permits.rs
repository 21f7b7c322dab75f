//! Fleet-wide concurrency limits per agent (`taskfleet agents register --max-concurrency N`,
//! migration 0020): a call to a limited agent first takes one of its N permit rows, and gives it
//! back when the call ends, so at most N calls run at once across every worker process. A worker
//! that finds none free waits a little (a permit usually frees within one call), then defers the
//! task (`task.deferred`, reason `agent_busy`, no retry used) so its slot serves other agents.

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::agents::Registry;
use crate::db::sql;
use crate::queue::{AgentHold, ClaimedTask, Outcome};

/// How long a call waits for a permit before its task is deferred, and how often it asks.
const WAIT: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(50);
/// A deferred task comes back after this.
const DEFER: Duration = Duration::from_secs(1);

pub struct Permits {
    pool: PgPool,
    worker_id: String,
    /// A permit expires this long after it was taken (the task timeout, and a margin): one held
    /// by a worker that died frees itself.
    lease: Duration,
}

/// A permit held for one call; [`Permits::release`] gives it back. One that is dropped without
/// (the attempt was cancelled mid-call) is given back by a spawned statement.
pub struct Held {
    pool: PgPool,
    agent: String,
    slot: i32,
    task_id: Uuid,
    released: bool,
}

impl Permits {
    pub fn new(pool: PgPool, worker_id: String, task_timeout: Duration) -> Self {
        Self {
            pool,
            worker_id,
            lease: task_timeout + Duration::from_secs(30),
        }
    }

    /// A permit for `task`'s agent when it is limited (None when it is not), or the outcome
    /// that defers the task.
    pub async fn acquire(
        &self,
        registry: &Registry,
        task: &ClaimedTask,
    ) -> Result<Option<Held>, Outcome> {
        let agent = task.assigned_agent.as_str();
        if !registry.is_limited(agent) {
            return Ok(None);
        }
        let started = tokio::time::Instant::now();
        loop {
            let slot: Result<Option<i32>, _> = crate::db::query_scalar(sql::AGENT_PERMIT_ACQUIRE)
                .bind(agent)
                .bind(task.id)
                .bind(&self.worker_id)
                .bind(self.lease.as_secs_f64())
                .fetch_optional(&self.pool)
                .await;
            match slot {
                Ok(Some(slot)) => {
                    return Ok(Some(Held {
                        pool: self.pool.clone(),
                        agent: agent.to_owned(),
                        slot,
                        task_id: task.id,
                        released: false,
                    }));
                }
                Ok(None) if started.elapsed() < WAIT => tokio::time::sleep(POLL).await,
                Ok(None) => {
                    return Err(Outcome::Held {
                        hold: AgentHold::Busy,
                        error: format!("{agent} is at its max_concurrency"),
                        until: Utc::now() + DEFER,
                    });
                }
                // Without the permit table the limit cannot hold: wait like a busy agent.
                Err(e) => {
                    tracing::warn!(agent, error = %e, "cannot take an agent permit");
                    return Err(Outcome::Held {
                        hold: AgentHold::Busy,
                        error: format!("{agent}: its concurrency permit could not be taken"),
                        until: Utc::now() + DEFER,
                    });
                }
            }
        }
    }
}

impl Held {
    pub async fn release(mut self) {
        self.released = true;
        release(&self.pool, &self.agent, self.slot, self.task_id).await;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.released {
            let (pool, agent, slot, task_id) = (
                self.pool.clone(),
                self.agent.clone(),
                self.slot,
                self.task_id,
            );
            tokio::spawn(async move { release(&pool, &agent, slot, task_id).await });
        }
    }
}

async fn release(pool: &PgPool, agent: &str, slot: i32, task_id: Uuid) {
    let done = crate::db::query(sql::AGENT_PERMIT_RELEASE)
        .bind(agent)
        .bind(slot)
        .bind(task_id)
        .execute(pool)
        .await;
    if let Err(e) = done {
        // It expires with its lease.
        tracing::warn!(agent, error = %e, "cannot give an agent permit back");
    }
}
