//! What a worker does with settled attempts: writes them (retrying while the database is away),
//! holds claimed tasks that may not start yet, and counts each finished attempt in the metrics.

use std::time::Duration;

use sqlx::PgPool;

use super::config::WorkerConfig;
use crate::audit::Action;
use crate::queue::{self, AttemptEnd, Batch, ClaimedTask, Outcome, Transition};

/// Writes a batch, retrying while the database is away for a while. If it stays away the leases
/// expire and the reaper of whichever worker survives reclaims the tasks: nothing is lost.
pub async fn write_with_retries(pool: &PgPool, worker_id: &str, batch: &Batch) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1.. {
        match batch.apply(pool, worker_id).await {
            Ok(_) => return,
            Err(e) if attempt < 8 => {
                tracing::warn!(error = %e, attempt, "writing outcomes failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                tracing::error!(error = %e, "giving up writing outcomes; leases will be reclaimed");
                return;
            }
        }
    }
}

/// Claimed tasks that the time-of-day rules say may not start now go straight back to queued
/// with their `next_run_at` moved (`task.deferred`, no retry consumed); returns the rest.
pub async fn hold_out_of_hours(
    pool: &PgPool,
    cfg: &WorkerConfig,
    tasks: Vec<ClaimedTask>,
) -> Vec<ClaimedTask> {
    let now = cfg.clock.now();
    let mut run = Vec::with_capacity(tasks.len());
    let mut held = Batch::default();
    for task in tasks {
        match queue::hold(task.attempt_view(), cfg.rules(), now) {
            None => run.push(task),
            Some(transition) => held.push(transition),
        }
    }
    if !held.is_empty() {
        write_with_retries(pool, &cfg.id, &held).await;
    }
    run
}

/// Counts and times one finished attempt of this worker, by how it ended and what it led to.
pub fn record_metrics(
    task: &ClaimedTask,
    end: &AttemptEnd,
    transition: &Transition,
    took: Duration,
) {
    let (outcome, class) = match end {
        AttemptEnd::Agent(Outcome::Success(_)) => ("completed", ""),
        AttemptEnd::Agent(Outcome::Transient { class, .. }) => ("transient", class.as_str()),
        AttemptEnd::Agent(Outcome::Permanent { class, .. }) => ("permanent", class.as_str()),
        AttemptEnd::Agent(Outcome::Unavailable { .. }) => ("unavailable", "agent"),
        AttemptEnd::Drained => ("released", ""),
        // Not attempts this worker ran.
        AttemptEnd::LeaseExpired { .. } | AttemptEnd::OutOfHours => return,
    };
    let agent = task.assigned_agent.clone();
    metrics::histogram!("taskfleet_task_duration_seconds", "agent" => agent.clone(), "outcome" => outcome)
        .record(took.as_secs_f64());
    let class = class.to_string();
    match transition.action() {
        Action::Executed => {
            metrics::counter!("taskfleet_tasks_completed_total", "agent" => agent).increment(1)
        }
        Action::RetryScheduled => {
            metrics::counter!("taskfleet_tasks_retried_total", "agent" => agent, "class" => class)
                .increment(1)
        }
        Action::Failed => {
            metrics::counter!("taskfleet_tasks_failed_total", "agent" => agent, "class" => class)
                .increment(1)
        }
        Action::Deferred => {
            metrics::counter!("taskfleet_tasks_deferred_total", "agent" => agent).increment(1)
        }
        _ => {}
    }
}
