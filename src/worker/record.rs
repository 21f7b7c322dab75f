//! Turning attempt outcomes into queue transitions (contract section 4) and writing them in
//! batches: used by the worker's finisher and by the API's one-off execute pass alike.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;

use super::WorkerConfig;
use crate::agents::Outcome;
use crate::audit::Action;
use crate::codes::Code;
use crate::queue::{self, ClaimedTask, Failure, Lease, Requeue};
use crate::schedule::retry::{Decision, max_retries_message};

/// What an attempt came to, as the queue records it.
pub enum Finish {
    Outcome(Outcome),
    /// Drained on shutdown before it finished: back to queued, no retry consumed.
    Released,
}

/// A batch of outcomes sorted into the three writes.
#[derive(Default)]
pub struct Outcomes {
    complete: Vec<(Lease, serde_json::Value)>,
    requeue: Vec<Requeue>,
    fail: Vec<Failure>,
}

impl Outcomes {
    /// When each retry this batch schedules becomes due.
    pub fn retry_times(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.requeue.iter().map(|r| r.next_run_at)
    }

    /// Writes the batch: one statement per kind, each with its audit rows.
    pub async fn apply(&self, pool: &PgPool, worker_id: &str) -> Result<(), sqlx::Error> {
        queue::complete(pool, worker_id, &self.complete).await?;
        queue::requeue(pool, worker_id, &self.requeue).await?;
        if !self.fail.is_empty() {
            let mut tx = pool.begin().await?;
            queue::fail(&mut tx, worker_id, &self.fail).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Sorts one attempt's outcome into the batch (the outcome → transition rule).
    pub fn push(
        &mut self,
        cfg: &WorkerConfig,
        task: &ClaimedTask,
        finish: &Finish,
        now: DateTime<Utc>,
    ) {
        let plan = self;
        let lease = task.lease();
        let outcome = match finish {
            Finish::Released => {
                plan.requeue.push(Requeue {
                    lease,
                    increment: 0,
                    next_run_at: now,
                    error: None,
                    action: Action::Released,
                    details: json!({"reason": "worker shutdown"}),
                });
                return;
            }
            Finish::Outcome(o) => o,
        };
        match outcome {
            Outcome::Success(output) => plan.complete.push((lease, output.clone())),
            Outcome::Transient {
                class,
                error,
                retry_after,
            } => match cfg
                .retry
                .decide(task.retry_count, task.max_retries, *retry_after, now)
            {
                Decision::Retry { next_run_at } => plan.requeue.push(Requeue {
                    lease,
                    increment: 1,
                    next_run_at,
                    error: Some(error.clone()),
                    action: Action::RetryScheduled,
                    details: json!({"class": class, "attempt": task.attempt()}),
                }),
                Decision::GiveUp => plan.fail.push(Failure {
                    lease,
                    error: max_retries_message(task.max_retries, error),
                    action: Action::Failed,
                    details: json!({"class": class, "attempt": task.attempt()}),
                }),
            },
            Outcome::Permanent { class, error } => plan.fail.push(Failure {
                lease,
                error: error.clone(),
                action: Action::Failed,
                details: json!({"class": class, "attempt": task.attempt()}),
            }),
            Outcome::Unavailable { error } => plan.requeue.push(Requeue {
                lease,
                increment: 0,
                next_run_at: now + cfg.agent_retry_delay,
                error: Some(format!("{}: {error}", Code::AgentUnavailable)),
                action: Action::Deferred,
                details: json!({"reason": "agent_unavailable", "agent": task.assigned_agent}),
            }),
        }
    }
}

/// Claimed tasks that the time-of-day rules say may not start now go straight back to queued
/// with their `next_run_at` moved (`task.deferred`, no retry consumed); returns the rest.
pub async fn defer_out_of_hours(
    pool: &PgPool,
    cfg: &WorkerConfig,
    tasks: Vec<ClaimedTask>,
) -> Vec<ClaimedTask> {
    let now = Utc::now();
    let mut run = Vec::with_capacity(tasks.len());
    let mut deferred = Outcomes::default();
    for task in tasks {
        match cfg.time.start_after(task.timing(), now) {
            None => run.push(task),
            Some(at) => deferred.requeue.push(Requeue {
                lease: task.lease(),
                increment: 0,
                next_run_at: at,
                error: None,
                action: Action::Deferred,
                details: json!({"reason": "business_hours", "priority": task.priority}),
            }),
        }
    }
    if !deferred.requeue.is_empty() {
        super::finisher::write_with_retries(pool, &cfg.id, &deferred).await;
    }
    run
}

/// Counts and times one finished attempt.
pub fn record_metrics(task: &ClaimedTask, finish: &Finish, took: Duration) {
    let agent = task.assigned_agent.clone();
    let (outcome, class) = match finish {
        Finish::Released => ("released", String::new()),
        Finish::Outcome(Outcome::Success(_)) => ("completed", String::new()),
        Finish::Outcome(Outcome::Transient { class, .. }) => ("transient", class.clone()),
        Finish::Outcome(Outcome::Permanent { class, .. }) => ("permanent", class.clone()),
        Finish::Outcome(Outcome::Unavailable { .. }) => ("unavailable", "agent".into()),
    };
    metrics::histogram!("taskfleet_task_duration_seconds", "agent" => agent.clone(), "outcome" => outcome)
        .record(took.as_secs_f64());
    match outcome {
        "completed" => {
            metrics::counter!("taskfleet_tasks_completed_total", "agent" => agent).increment(1)
        }
        "transient" if task.retry_count < task.max_retries => {
            metrics::counter!("taskfleet_tasks_retried_total", "agent" => agent, "class" => class)
                .increment(1)
        }
        "transient" | "permanent" => {
            metrics::counter!("taskfleet_tasks_failed_total", "agent" => agent, "class" => class)
                .increment(1)
        }
        "unavailable" => {
            metrics::counter!("taskfleet_tasks_deferred_total", "agent" => agent).increment(1)
        }
        _ => {}
    }
}
