//! One bounded execute pass (`POST /api/tasks/execute`): claims up to `limit` ready tasks with the
//! workers' own claim SQL (so the API and the fleet never run a task twice), runs them at once,
//! settles and records the outcomes like a worker does, and returns what happened to each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::background::RegistrySync;
use super::config::WorkerConfig;
use super::guards::AgentGuards;
use super::record::{hold_out_of_hours, record_metrics, write_with_retries};
use crate::agents::Executor;
use crate::queue::{
    self, AttemptEnd, Batch, ClaimFilter, ClaimedTask, Outcome, Status, Transition,
};

/// The specification's `ExecutionLogEntry`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub task_id: Uuid,
    /// `completed`, or `failed` for any attempt that did not complete (it may be retried).
    pub status: Status,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LogEntry {
    pub fn completed(&self) -> bool {
        self.status == Status::Completed
    }
}

/// What a pass calls agents with: the executor, behind the agents' guards (breakers, limits), with
/// the registry kept fresh.
pub struct PassAgents<E> {
    pub executor: Arc<E>,
    pub guards: Arc<AgentGuards>,
    pub registry_sync: Arc<RegistrySync>,
}

impl<E> Clone for PassAgents<E> {
    fn clone(&self) -> Self {
        Self {
            executor: self.executor.clone(),
            guards: self.guards.clone(),
            registry_sync: self.registry_sync.clone(),
        }
    }
}

/// Runs the pass. `cfg.lease` must outlast `cfg.task_timeout`: the pass sends no heartbeats.
pub async fn run_once<E: Executor>(
    pool: &PgPool,
    cfg: &WorkerConfig,
    agents: PassAgents<E>,
    filter: &ClaimFilter,
    limit: usize,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    let tasks = queue::claim(pool, &cfg.id, limit, cfg.lease, filter, cfg.audit).await?;
    let tasks = hold_out_of_hours(pool, cfg, tasks).await;
    let mut running = JoinSet::new();
    for task in tasks {
        let agents = agents.clone();
        running.spawn(async move {
            let started = Instant::now();
            let outcome = agents
                .guards
                .call(&*agents.executor, &agents.registry_sync, &task)
                .await;
            (task, outcome, started.elapsed())
        });
    }
    let mut finished = Vec::new();
    while let Some(joined) = running.join_next().await {
        if let Ok(item) = joined {
            finished.push(item);
        }
    }
    let now = cfg.clock.now();
    let mut batch = Batch::default();
    let mut log = Vec::with_capacity(finished.len());
    for (task, outcome, took) in finished {
        let end = AttemptEnd::Agent(outcome);
        let transition = queue::settle(task.attempt_view(), &end, cfg.rules(), now);
        record_metrics(&task, &end, &transition, took);
        log.push(log_entry(&task, &end, &transition, took));
        batch.push(transition);
    }
    write_with_retries(pool, &cfg.id, &batch).await;
    Ok(log)
}

/// The specification's wording: "Retry n/m: ..." while retries are left, "Failed after m
/// retries: ..." when they ran out.
fn log_entry(
    task: &ClaimedTask,
    end: &AttemptEnd,
    transition: &Transition,
    took: Duration,
) -> LogEntry {
    let transient = match end {
        AttemptEnd::Agent(Outcome::Transient { error, .. }) => Some(error),
        _ => None,
    };
    let error = match (transition, transient) {
        (Transition::Complete { .. }, _) => None,
        (Transition::Requeue(_), Some(error)) => Some(format!(
            "Retry {}/{}: {error}",
            task.attempt(),
            task.max_retries
        )),
        (Transition::Fail(_), Some(error)) => Some(format!(
            "Failed after {} retries: {error}",
            task.max_retries
        )),
        (Transition::Requeue(r), None) => r.error.clone(),
        (Transition::Fail(f), None) => Some(f.error.clone()),
    };
    LogEntry {
        task_id: task.id,
        status: if error.is_none() {
            Status::Completed
        } else {
            Status::Failed
        },
        duration_ms: took.as_millis() as u64,
        error,
    }
}
