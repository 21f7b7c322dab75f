//! One attempt of a claimed task in a slot: run the executor (cancel-safe), hand the outcome to
//! the finisher, keep the lease renewed until it is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tracing::Instrument;

use super::background::SharedRegistrySync;
use super::breaker::{Breakers, Gate};
use super::finisher::Finisher;
use super::inflight::{Abandon, Attempt, Inflight};
use super::limits::Limits;
use crate::agents::Executor;
use crate::queue::{AgentHold, AttemptEnd, ClaimedTask, Outcome};

/// What stands between a task and its agent's call.
pub struct AgentGuards {
    pub breakers: Breakers,
    pub limits: Limits,
}

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

    /// Runs the executor behind the agent's guards. The circuit breaker: an open one defers
    /// the task, a due probe sends it as the probe, and the outcome may open or close the
    /// breaker for the fleet (this worker reloads its registry at once; the others on NOTIFY).
    /// The limits: a call to a limited agent takes a token of its rate and holds one of its
    /// concurrency permits; a 429 with Retry-After empties its bucket for that long.
    async fn execute(&self, task: &ClaimedTask) -> Outcome {
        let Some(registry) = self.executor.registry() else {
            return self.call(task).await;
        };
        let agent = task.assigned_agent.as_str();
        let probe = match self.guards.breakers.gate(registry, agent, Utc::now()).await {
            Gate::Defer(outcome) => return outcome,
            Gate::Probe => true,
            Gate::Call => false,
        };
        let permit = match self.guards.limits.acquire(registry, task).await {
            Ok(permit) => permit,
            Err(deferred) => return deferred,
        };
        let outcome = self.call(task).await;
        if let Some(permit) = permit {
            permit.release().await;
        }
        self.guards.limits.after(registry, agent, &outcome).await;
        let verdict = self.guards.breakers.after(agent, &outcome, probe).await;
        if verdict.reload {
            let _ = self.registry_sync.reload(registry).await;
        }
        match (verdict.hold_until, outcome) {
            (Some(until), Outcome::Transient { error, .. }) => Outcome::Held {
                hold: AgentHold::Unhealthy,
                error: format!("its probe failed: {error}"),
                until,
            },
            (_, outcome) => outcome,
        }
    }

    /// Calls the agent; one that looks unregistered triggers one registry reload first, so a
    /// just-registered agent never costs a TASK_004 deferral.
    async fn call(&self, task: &ClaimedTask) -> Outcome {
        let outcome = self.executor.execute(task).await;
        if let (Outcome::Unavailable { .. }, Some(registry)) = (&outcome, self.executor.registry())
            && self
                .registry_sync
                .reload_if_older(registry, Duration::from_secs(1))
                .await
        {
            return self.executor.execute(task).await;
        }
        outcome
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
