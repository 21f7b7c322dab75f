//! Records outcomes in batches. Attempts hand their outcome over and wait for it to be written;
//! the finisher drains whatever has arrived meanwhile and writes it with one statement per kind
//! (complete, requeue, fail), so a busy worker pays a fraction of a round trip per task.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::WorkerConfig;
use crate::agents::Outcome;
use crate::audit::Action;
use crate::codes::Code;
use crate::queue::{self, ClaimedTask, Failure, Lease, Requeue};
use crate::schedule::retry::{Decision, max_retries_message};

/// Most outcomes written by one statement.
const MAX_BATCH: usize = 512;

/// What an attempt came to, as the finisher records it.
pub enum Finish {
    Outcome(Outcome),
    /// Drained on shutdown before it finished: back to queued, no retry consumed.
    Released,
}

struct Finished {
    task: ClaimedTask,
    finish: Finish,
    started: Instant,
    done: oneshot::Sender<()>,
}

/// Handle the attempts use; cheap to clone.
#[derive(Clone)]
pub struct Finisher {
    tx: mpsc::Sender<Finished>,
}

impl Finisher {
    /// Hands the outcome over and waits until it is written (or given up on).
    pub async fn finish(&self, task: ClaimedTask, finish: Finish, started: Instant) {
        let (done, written) = oneshot::channel();
        let item = Finished {
            task,
            finish,
            started,
            done,
        };
        if self.tx.send(item).await.is_ok() {
            let _ = written.await;
        }
    }
}

/// Starts the writer. `wake` receives the `next_run_at` of every retry scheduled, so this worker
/// wakes for it without polling. The task ends when every [`Finisher`] is dropped.
pub fn spawn(
    pool: PgPool,
    cfg: WorkerConfig,
    wake: mpsc::UnboundedSender<Instant>,
) -> (Finisher, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Finished>(MAX_BATCH * 2);
    let handle = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            write(&pool, &cfg, &wake, &mut batch).await;
        }
    });
    (Finisher { tx }, handle)
}

#[derive(Default)]
struct Plan {
    complete: Vec<(Lease, serde_json::Value)>,
    requeue: Vec<Requeue>,
    fail: Vec<Failure>,
}

async fn write(
    pool: &PgPool,
    cfg: &WorkerConfig,
    wake: &mpsc::UnboundedSender<Instant>,
    batch: &mut Vec<Finished>,
) {
    let now = Utc::now();
    let mut plan = Plan::default();
    for f in batch.iter() {
        decide(cfg, &f.task, &f.finish, now, &mut plan);
        record_metrics(&f.task, &f.finish, f.started.elapsed());
    }
    for r in &plan.requeue {
        if let Ok(wait) = (r.next_run_at - now).to_std() {
            let _ = wake.send(Instant::now() + wait);
        }
    }
    let mut delay = Duration::from_millis(100);
    for attempt in 1.. {
        match apply(pool, &cfg.id, &plan).await {
            Ok(()) => break,
            // The database is away: keep trying for a while. If it stays away the leases expire
            // and the reaper of whichever worker survives reclaims the tasks; nothing is lost.
            Err(e) if attempt < 8 => {
                tracing::warn!(error = %e, attempt, "writing outcomes failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                tracing::error!(error = %e, "giving up writing outcomes; leases will be reclaimed");
                break;
            }
        }
    }
    for f in batch.drain(..) {
        let _ = f.done.send(());
    }
}

async fn apply(pool: &PgPool, worker_id: &str, plan: &Plan) -> Result<(), sqlx::Error> {
    queue::complete(pool, worker_id, &plan.complete).await?;
    queue::requeue(pool, worker_id, &plan.requeue).await?;
    queue::fail(pool, worker_id, &plan.fail).await?;
    Ok(())
}

/// The outcome → transition rule (contract section 4).
fn decide(
    cfg: &WorkerConfig,
    task: &ClaimedTask,
    finish: &Finish,
    now: chrono::DateTime<Utc>,
    plan: &mut Plan,
) {
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

fn record_metrics(task: &ClaimedTask, finish: &Finish, took: Duration) {
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
