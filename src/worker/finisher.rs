//! Records outcomes in batches. Attempts hand their outcome over and wait for it to be written;
//! the finisher drains whatever has arrived meanwhile and writes it with one statement per kind
//! (complete, requeue, fail), so a busy worker pays a fraction of a round trip per task.

use std::collections::HashSet;
use std::time::Instant;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::config::WorkerConfig;
use super::record::{record_metrics, write_with_retries};
use crate::queue::{AttemptEnd, Batch, ClaimedTask, Transition, settle};

/// Most outcomes written by one statement, and the most waiting to be written: the statements'
/// cost per task falls with the batch (BENCHMARKS.md: 1,000-task batches 1.2-1.5x 500-task ones
/// under pgbench); a channel twice as deep ran faster still, but took the worker over its 30 MB.
const MAX_BATCH: usize = 1024;

struct Finished {
    task: ClaimedTask,
    end: AttemptEnd,
    started: Instant,
    done: oneshot::Sender<()>,
}

/// Handle the attempts use; cheap to clone.
#[derive(Clone)]
pub struct Finisher {
    tx: mpsc::Sender<Finished>,
}

impl Finisher {
    /// Hands the outcome over (waiting only when the writer is a full channel behind) and
    /// returns what resolves once it is written (or given up on).
    pub async fn submit(
        &self,
        task: ClaimedTask,
        end: AttemptEnd,
        started: Instant,
    ) -> oneshot::Receiver<()> {
        let (done, written) = oneshot::channel();
        let item = Finished {
            task,
            end,
            started,
            done,
        };
        // A closed channel drops `done`, which resolves `written` at once.
        let _ = self.tx.send(item).await;
        written
    }
}

/// Starts the writer. `wake` receives the due time of every retry scheduled, so this worker
/// wakes for it without polling. The task ends when every [`Finisher`] is dropped.
pub fn spawn(
    pool: PgPool,
    cfg: WorkerConfig,
    wake: mpsc::UnboundedSender<Instant>,
) -> (Finisher, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Finished>(MAX_BATCH);
    let handle = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            write(&pool, &cfg, &wake, &mut batch).await;
        }
    });
    (Finisher { tx }, handle)
}

/// What the logs and metrics need of a transition: all but a completion's output, which may be
/// large and goes to the batch instead.
fn without_output(t: &Transition) -> Transition {
    match t {
        Transition::Complete { lease, .. } => Transition::Complete {
            lease: *lease,
            output: serde_json::Value::Null,
        },
        other => other.clone(),
    }
}

/// Settles each attempt of the batch at one instant and writes the transitions.
async fn write(
    pool: &PgPool,
    cfg: &WorkerConfig,
    wake: &mpsc::UnboundedSender<Instant>,
    finished: &mut Vec<Finished>,
) {
    let now = cfg.clock.now();
    let mut batch = Batch::default();
    let mut settled = Vec::with_capacity(finished.len());
    for f in finished.iter() {
        let transition = settle(f.task.attempt_view(), &f.end, cfg.rules(), now);
        settled.push((without_output(&transition), f.started.elapsed()));
        batch.push(transition);
    }
    for due in batch.due_times() {
        if let Ok(wait) = (due - now).to_std() {
            let _ = wake.send(Instant::now() + wait);
        }
    }
    let applied = write_with_retries(pool, &cfg.id, &batch).await;
    // Counted and logged once written: an outcome whose lease was lost (fenced out) or that
    // was given up on is not an execution to report.
    let written: HashSet<Uuid> = applied
        .map(|a| {
            a.completed
                .into_iter()
                .chain(a.requeued)
                .chain(a.failed)
                .collect()
        })
        .unwrap_or_default();
    for (f, (transition, took)) in finished.drain(..).zip(settled) {
        if written.contains(&f.task.id) {
            record_metrics(&f.task, &f.end, &transition, took);
        } else {
            tracing::warn!(task_id = %f.task.id, attempt = f.task.attempt(),
                "outcome not recorded: the attempt lost its lease (another attempt owns the task) or the write was given up");
        }
        let _ = f.done.send(());
    }
}
