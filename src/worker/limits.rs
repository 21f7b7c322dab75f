//! Fleet-wide limits per agent (`taskfleet agents register --max-concurrency N --rate R`,
//! migration 0020), held in Postgres so they bind every worker process together:
//! * a call to an agent with a rate takes one token of its bucket first;
//! * a call to an agent with a concurrency limit holds one of its N permit rows, given back when
//!   the call ends, so at most N calls run at once;
//! * a 429 with Retry-After empties the agent's bucket for that long: the fleet slows down.
//!
//! A worker that finds no token or permit waits a little (one usually frees within a call), then
//! defers the task (`task.deferred`, reason `agent_busy`, no retry used) so its slot serves
//! other agents.

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use crate::agents::Registry;
use crate::db::sql;
use crate::queue::{AgentHold, ClaimedTask, Outcome};

/// How long a call waits for a token or a permit before its task is deferred, and how often it
/// asks.
const WAIT: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(50);
/// A deferred task comes back after this.
const DEFER: Duration = Duration::from_secs(1);

pub struct Limits {
    pool: PgPool,
    worker_id: String,
    /// A permit expires this long after it was taken (the task timeout, and a margin): one held
    /// by a worker that died frees itself.
    lease: Duration,
}

/// A permit held for one call; [`Held::release`] gives it back. One that is dropped without
/// (the attempt was cancelled mid-call) is given back by a spawned statement.
pub struct Held {
    pool: PgPool,
    agent: String,
    slot: i32,
    task_id: Uuid,
    released: bool,
}

impl Limits {
    pub fn new(pool: PgPool, worker_id: String, task_timeout: Duration) -> Self {
        Self {
            pool,
            worker_id,
            lease: task_timeout + Duration::from_secs(30),
        }
    }

    /// Takes what a call to `task`'s agent needs: a token of its rate, then a permit of its
    /// concurrency limit (None when it has no such limit). Or the outcome that defers the task.
    pub async fn acquire(
        &self,
        registry: &Registry,
        task: &ClaimedTask,
    ) -> Result<Option<Held>, Outcome> {
        let agent = task.assigned_agent.as_str();
        let (max_concurrency, rate) = registry.limits(agent);
        if rate.is_some() {
            self.wait_for(agent, Need::Token, task.id).await?;
        }
        if max_concurrency.is_none() {
            return Ok(None);
        }
        let slot = self.wait_for(agent, Need::Permit, task.id).await?;
        Ok(Some(Held {
            pool: self.pool.clone(),
            agent: agent.to_owned(),
            slot,
            task_id: task.id,
            released: false,
        }))
    }

    /// Asks for `need` every [`POLL`] until it is granted, for up to [`WAIT`]; then the outcome
    /// that defers the task. A database error defers it too: without the rows the limit cannot
    /// hold. Returns the permit's slot (0 for a token).
    async fn wait_for(&self, agent: &str, need: Need, task_id: Uuid) -> Result<i32, Outcome> {
        let started = tokio::time::Instant::now();
        loop {
            let granted = match need {
                Need::Token => crate::db::query_scalar::<f64>(sql::AGENT_TOKEN_TAKE)
                    .bind(agent)
                    .fetch_optional(&self.pool)
                    .await
                    .map(|left| left.map(|_| 0)),
                Need::Permit => {
                    crate::db::query_scalar::<i32>(sql::AGENT_PERMIT_ACQUIRE)
                        .bind(agent)
                        .bind(task_id)
                        .bind(&self.worker_id)
                        .bind(self.lease.as_secs_f64())
                        .fetch_optional(&self.pool)
                        .await
                }
            };
            match granted {
                Ok(Some(slot)) => return Ok(slot),
                Ok(None) if started.elapsed() < WAIT => tokio::time::sleep(POLL).await,
                Ok(None) => return Err(busy(format!("{agent} is at its {}", need.limit()))),
                Err(e) => {
                    tracing::warn!(agent, error = %e, "cannot check an agent limit");
                    return Err(busy(format!(
                        "{agent}: {} could not be checked",
                        need.limit()
                    )));
                }
            }
        }
    }

    /// After a call: a 429 with Retry-After pauses the agent's bucket for the whole fleet.
    pub async fn after(&self, registry: &Registry, agent: &str, outcome: &Outcome) {
        let Outcome::Transient {
            class,
            retry_after: Some(pause),
            ..
        } = outcome
        else {
            return;
        };
        if class != "http_429" || registry.limits(agent).1.is_none() {
            return;
        }
        let paused = crate::db::query(sql::AGENT_BUCKET_PAUSE)
            .bind(agent)
            .bind(pause.as_secs_f64())
            .execute(&self.pool)
            .await;
        if let Err(e) = paused {
            tracing::warn!(agent, error = %e, "cannot pause the agent's rate bucket");
        }
    }
}

/// What a call to a limited agent needs before it is made.
#[derive(Debug, Clone, Copy)]
enum Need {
    Token,
    Permit,
}

impl Need {
    const fn limit(self) -> &'static str {
        match self {
            Need::Token => "rate_per_sec",
            Need::Permit => "max_concurrency",
        }
    }
}

fn busy(error: String) -> Outcome {
    Outcome::Held {
        hold: AgentHold::Busy,
        error,
        until: Utc::now() + DEFER,
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
