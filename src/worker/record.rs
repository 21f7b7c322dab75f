//! What a worker does with settled attempts: writes them (retrying while the database is away),
//! holds claimed tasks that may not start yet, and counts and logs each finished attempt.

use std::time::Duration;

use sqlx::PgPool;

use super::config::WorkerConfig;
use crate::audit::Action;
use crate::queue::{self, Applied, AttemptEnd, Batch, ClaimedTask, Outcome, Transition};

/// Writes a batch. While the database is unreachable, read-only or out of connections, the
/// outcomes are held and written again with backoff for as long as the process lives: the
/// attempts stay in flight, so their leases keep being renewed once it answers, and a write that
/// comes after a lease was lost matches nothing (fenced). Any other error is retried a few times,
/// then logged and given up: the leases expire and the reaper takes the tasks back.
/// Returns what was written, or None when it gave up.
pub async fn write_with_retries(pool: &PgPool, worker_id: &str, batch: &Batch) -> Option<Applied> {
    const OTHER_ERROR_TRIES: u32 = 8;
    let mut delay = Duration::from_millis(100);
    let mut other_errors = 0;
    loop {
        match batch.apply(pool, worker_id).await {
            Ok(applied) => return Some(applied),
            Err(e) if crate::db::is_unavailable(&e) => tracing::warn!(
                error = %e, retry_in_ms = delay.as_millis() as u64,
                "database unavailable; holding outcomes until they are written"
            ),
            Err(e) => {
                other_errors += 1;
                if other_errors == OTHER_ERROR_TRIES {
                    tracing::error!(error = %e, "giving up writing outcomes; leases will be reclaimed");
                    return None;
                }
                tracing::warn!(error = %e, attempt = other_errors, "writing outcomes failed; retrying");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
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

/// Counts, times and logs one finished attempt of this worker, by how it ended and what it led
/// to.
pub fn record_metrics(
    task: &ClaimedTask,
    end: &AttemptEnd,
    transition: &Transition,
    took: Duration,
) {
    log_attempt(task, end, transition, took);
    let (outcome, class) = match end {
        AttemptEnd::Agent(Outcome::Success(_)) => ("completed", ""),
        AttemptEnd::Agent(Outcome::Transient { class, .. }) => ("transient", class.as_str()),
        AttemptEnd::Agent(Outcome::Permanent { class, .. }) => ("permanent", class.as_str()),
        AttemptEnd::Agent(Outcome::Unavailable { .. }) => ("unavailable", "agent"),
        AttemptEnd::Agent(Outcome::Held { hold, .. }) => ("held", hold.reason()),
        AttemptEnd::Drained | AttemptEnd::HeldTooLong => ("released", ""),
        // Not attempts this worker ran.
        AttemptEnd::LeaseExpired { .. } | AttemptEnd::OutOfHours => return,
    };
    // Label values come only from agents the operator registered: a tenant can name any agent
    // on a task, and every name it invents would otherwise become a new series on /metrics.
    let agent = match end {
        AttemptEnd::Agent(Outcome::Unavailable { .. }) => "unregistered".to_string(),
        _ => task.assigned_agent.clone(),
    };
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

/// The log target of `Task executed`, so a filter can name the event (`RUST_LOG`; the demo turns
/// it off: it narrates attempts from the audit trail).
pub const EXECUTED: &str = "taskfleet::executed";

/// The specification's `Task executed` event, once per attempt the agent was called for (not for
/// TASK_004, where no agent is): the
/// specification's fields (task_id, assigned_agent, status, duration_ms, retry_count) plus
/// workspace_id and attempt, at info. An attempt that failed logs the same event at warn, with
/// the code (`TASK_0xx` when the error carries one, else the failure class) and the error.
/// `status` and `retry_count` are the task's after this attempt.
fn log_attempt(task: &ClaimedTask, end: &AttemptEnd, transition: &Transition, took: Duration) {
    let outcome = match end {
        // TASK_004: the agent was not called (the task waits for it, `task.deferred`); released,
        // reclaimed or held out of hours: no execution to report either.
        AttemptEnd::Agent(Outcome::Unavailable { .. } | Outcome::Held { .. }) => return,
        AttemptEnd::Agent(outcome) => outcome,
        _ => return,
    };
    let (status, retry_count, error) = match transition {
        Transition::Complete { .. } => ("completed", task.retry_count, None),
        Transition::Requeue(r) => ("queued", task.retry_count + r.increment, r.error.as_deref()),
        Transition::Fail(f) => ("failed", task.retry_count, Some(f.error.as_str())),
    };
    let task_id = task.id;
    let workspace_id = task.workspace_id;
    let assigned_agent = task.assigned_agent.as_str();
    let duration_ms = took.as_millis() as u64;
    let attempt = task.attempt();
    let class = match outcome {
        Outcome::Success(_) => {
            tracing::info!(target: EXECUTED, %task_id, assigned_agent, status, duration_ms, retry_count,
                           %workspace_id, attempt, "Task executed");
            return;
        }
        Outcome::Transient { class, .. } | Outcome::Permanent { class, .. } => class.as_str(),
        Outcome::Unavailable { .. } | Outcome::Held { .. } => return,
    };
    let error = error.unwrap_or_default();
    let code = match error.split_once(':') {
        Some((code, _)) if code.starts_with("TASK_") => code,
        _ => class,
    };
    tracing::warn!(target: EXECUTED, %task_id, assigned_agent, status, duration_ms, retry_count, %workspace_id,
                   attempt, code, error, "Task executed");
}
