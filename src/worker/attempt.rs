//! One attempt of a claimed task in a slot: run the executor (cancel-safe), hand the outcome to
//! the finisher, keep the lease renewed until it is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit};
use tracing::Instrument;

use super::background::SharedRegistrySync;
use super::finisher::Finisher;
use super::guards::AgentGuards;
use super::inflight::{Abandon, Attempt, Inflight};
use crate::agents::Executor;
use crate::queue::{AttemptEnd, ClaimedTask, Outcome};

/// What every attempt shares.
pub struct AttemptCtx<E> {
    pub executor: Arc<E>,
    pub finisher: Finisher,
    pub inflight: Inflight,
    pub registry_sync: SharedRegistrySync,
    /// The agents' circuit breakers and limits (for executors with a registry).
    pub guards: AgentGuards,
    /// Signalled whenever an attempt gives its slot back.
    pub slot_freed: Notify,
    /// Moving average of attempt durations in microseconds (sizes the local queue).
    pub avg_attempt_us: AtomicU64,
}

impl<E: Executor> AttemptCtx<E> {
    pub fn new(
        executor: Arc<E>,
        finisher: Finisher,
        inflight: Inflight,
        registry_sync: SharedRegistrySync,
        guards: AgentGuards,
    ) -> Self {
        Self {
            executor,
            finisher,
            inflight,
            registry_sync,
            guards,
            slot_freed: Notify::new(),
            // Until measured, assume attempts take 10 ms.
            avg_attempt_us: AtomicU64::new(10_000),
        }
    }

    /// Runs one attempt in a slot. The slot is freed as soon as the outcome is handed to the
    /// finisher, not when it is written: slots bound agent calls, and a noop-fast agent would
    /// otherwise leave slots idle for a commit. The attempt stays in the in-flight table (so its
    /// lease keeps being renewed) until the write is done.
    pub async fn run_attempt(
        &self,
        task: ClaimedTask,
        attempt: Attempt,
        slot: OwnedSemaphorePermit,
    ) {
        let span = tracing::info_span!("attempt", task_id = %task.id, workspace_id = %task.workspace_id,
            attempt = task.attempt(), agent = %task.assigned_agent);
        let started = Instant::now();
        let outcome = async {
            tokio::select! {
                outcome = self.execute(&task) => Some(outcome),
                _ = attempt.cancel.cancelled() => None,
            }
        }
        .instrument(span.clone())
        .await;
        self.observe(started.elapsed());
        attempt.set_finishing();
        let written = match (outcome, attempt.reason()) {
            (Some(outcome), Abandon::None) => Some(
                self.finisher
                    .submit(task, AttemptEnd::Agent(outcome), started)
                    .await,
            ),
            (_, Abandon::Shutdown) => Some(
                self.finisher
                    .submit(task, AttemptEnd::Drained, started)
                    .await,
            ),
            // Lease lost or task cancelled: the row is no longer this attempt's; write nothing.
            (_, why) => {
                span.in_scope(|| tracing::info!(reason = ?why, "attempt abandoned"));
                None
            }
        };
        drop(slot);
        self.slot_freed.notify_one();
        if let Some(written) = written {
            let _ = written.await;
        }
        self.forget(&attempt);
    }

    /// Calls the agent behind its guards ([`AgentGuards::call`]).
    async fn execute(&self, task: &ClaimedTask) -> Outcome {
        self.guards
            .call(&*self.executor, &self.registry_sync, task)
            .await
    }

    pub fn forget(&self, attempt: &Attempt) {
        self.inflight.finish(attempt.lease.task_id);
    }

    /// Folds one attempt's duration into the moving average (weight 1/8).
    fn observe(&self, took: Duration) {
        let us = took.as_micros().min(u128::from(u64::MAX)) as u64;
        let _ = self
            .avg_attempt_us
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |avg| {
                Some(avg - avg / 8 + us / 8)
            });
    }
}
