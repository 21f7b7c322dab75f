//! Records outcomes in batches. Attempts hand their outcome over and wait for it to be written;
//! the finisher drains whatever has arrived meanwhile and writes it with one statement per kind
//! (complete, requeue, fail), so a busy worker pays a fraction of a round trip per task.

use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::WorkerConfig;
use super::record::{Finish, Outcomes, record_metrics};
use crate::queue::ClaimedTask;

/// Most outcomes written by one statement.
const MAX_BATCH: usize = 512;

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
    /// Hands the outcome over (waiting only when the writer is a full channel behind) and
    /// returns what resolves once it is written (or given up on).
    pub async fn submit(
        &self,
        task: ClaimedTask,
        finish: Finish,
        started: Instant,
    ) -> oneshot::Receiver<()> {
        let (done, written) = oneshot::channel();
        let item = Finished {
            task,
            finish,
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
    let (tx, mut rx) = mpsc::channel::<Finished>(MAX_BATCH * 2);
    let handle = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            write(&pool, &cfg, &wake, &mut batch).await;
        }
    });
    (Finisher { tx }, handle)
}

async fn write(
    pool: &PgPool,
    cfg: &WorkerConfig,
    wake: &mpsc::UnboundedSender<Instant>,
    batch: &mut Vec<Finished>,
) {
    let now = Utc::now();
    let mut outcomes = Outcomes::default();
    for f in batch.iter() {
        outcomes.push(cfg, &f.task, &f.finish, now);
        record_metrics(&f.task, &f.finish, f.started.elapsed());
    }
    for due in outcomes.retry_times() {
        if let Ok(wait) = (due - now).to_std() {
            let _ = wake.send(Instant::now() + wait);
        }
    }
    write_with_retries(pool, &cfg.id, &outcomes).await;
    for f in batch.drain(..) {
        let _ = f.done.send(());
    }
}

/// Writes a batch, retrying while the database is away for a while. If it stays away the leases
/// expire and the reaper of whichever worker survives reclaims the tasks: nothing is lost.
pub async fn write_with_retries(pool: &PgPool, worker_id: &str, outcomes: &Outcomes) {
    let mut delay = Duration::from_millis(100);
    for attempt in 1.. {
        match outcomes.apply(pool, worker_id).await {
            Ok(()) => return,
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
