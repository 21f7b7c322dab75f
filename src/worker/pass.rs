//! One bounded execute pass (`POST /api/tasks/execute`): claims up to `limit` ready tasks with the
//! workers' own claim SQL (so the API and the fleet never run a task twice), runs them at once,
//! records the outcomes like a worker does, and returns what happened to each.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use sqlx::PgPool;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::WorkerConfig;
use super::finisher::write_with_retries;
use super::record::{Finish, Outcomes, record_metrics};
use crate::agents::{Executor, Outcome};
use crate::queue::{self, ClaimFilter, ClaimedTask};

/// The specification's `ExecutionLogEntry`.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub task_id: Uuid,
    /// `completed`, or `failed` for any attempt that did not complete (it may be retried).
    pub status: &'static str,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs the pass. `cfg.lease` must outlast `cfg.task_timeout`: the pass sends no heartbeats.
pub async fn run_once<E: Executor>(
    pool: &PgPool,
    cfg: &WorkerConfig,
    executor: Arc<E>,
    filter: &ClaimFilter,
    limit: usize,
) -> Result<Vec<LogEntry>, sqlx::Error> {
    let tasks = queue::claim(pool, &cfg.id, limit, cfg.lease, filter).await?;
    let tasks = super::record::defer_out_of_hours(pool, cfg, tasks).await;
    let mut running = JoinSet::new();
    for task in tasks {
        let executor = executor.clone();
        running.spawn(async move {
            let started = Instant::now();
            let outcome = executor.execute(&task).await;
            (task, outcome, started.elapsed())
        });
    }
    let mut finished: Vec<(ClaimedTask, Outcome, std::time::Duration)> = Vec::new();
    while let Some(joined) = running.join_next().await {
        if let Ok(item) = joined {
            finished.push(item);
        }
    }
    let now = Utc::now();
    let mut outcomes = Outcomes::default();
    let mut log = Vec::with_capacity(finished.len());
    for (task, outcome, took) in finished {
        let entry = log_entry(&task, &outcome, took);
        let finish = Finish::Outcome(outcome);
        record_metrics(&task, &finish, took);
        outcomes.push(cfg, &task, &finish, now);
        log.push(entry);
    }
    write_with_retries(pool, &cfg.id, &outcomes).await;
    Ok(log)
}

fn log_entry(task: &ClaimedTask, outcome: &Outcome, took: std::time::Duration) -> LogEntry {
    let error = match outcome {
        Outcome::Success(_) => None,
        Outcome::Transient { error, .. } if task.retry_count < task.max_retries => Some(format!(
            "Retry {}/{}: {error}",
            task.retry_count + 1,
            task.max_retries
        )),
        Outcome::Transient { error, .. } => Some(format!(
            "Failed after {} retries: {error}",
            task.max_retries
        )),
        Outcome::Permanent { error, .. } => Some(error.clone()),
        Outcome::Unavailable { error } => {
            Some(format!("{}: {error}", crate::codes::Code::AgentUnavailable))
        }
    };
    LogEntry {
        task_id: task.id,
        status: if error.is_none() {
            "completed"
        } else {
            "failed"
        },
        duration_ms: took.as_millis() as u64,
        error,
    }
}
