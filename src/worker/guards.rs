//! What stands between a task and its agent's call, for the workers' attempts and the API's
//! execute pass alike: the agent's circuit breaker ([`Breakers`]) and its fleet-wide limits
//! ([`Limits`]).

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;

use super::background::RegistrySync;
use super::breaker::{Breakers, Gate};
use super::config::WorkerConfig;
use super::limits::Limits;
use crate::agents::Executor;
use crate::queue::{AgentHold, ClaimedTask, Outcome};

pub struct AgentGuards {
    pub breakers: Breakers,
    pub limits: Limits,
}

impl AgentGuards {
    pub fn new(pool: &PgPool, cfg: &WorkerConfig) -> Self {
        Self {
            breakers: Breakers::new(pool.clone(), cfg.breaker, cfg.id.clone()),
            limits: Limits::new(pool.clone(), cfg.id.clone(), cfg.task_timeout),
        }
    }

    /// Calls `task`'s agent behind its guards. The circuit breaker: an open one defers the task,
    /// a due probe sends it as the probe, and the outcome may open or close the breaker for the
    /// fleet (this process reloads its registry at once; the others on NOTIFY); a failed probe's
    /// task waits for the next probe instead of using a retry. The limits: a call to a limited
    /// agent takes a token of its rate and holds one of its concurrency permits; a 429 with
    /// Retry-After empties its bucket for that long. An executor without a registry (the
    /// benchmark's no-op agent) has no guards.
    pub async fn call<E: Executor>(
        &self,
        executor: &E,
        registry_sync: &RegistrySync,
        task: &ClaimedTask,
    ) -> Outcome {
        let Some(registry) = executor.registry() else {
            return call(executor, registry_sync, task).await;
        };
        let agent = task.assigned_agent.as_str();
        let probe = match self.breakers.gate(registry, agent, Utc::now()).await {
            Gate::Defer(outcome) => return outcome,
            Gate::Probe => true,
            Gate::Call => false,
        };
        let permit = match self.limits.acquire(registry, task).await {
            Ok(permit) => permit,
            Err(deferred) => return deferred,
        };
        let outcome = call(executor, registry_sync, task).await;
        if let Some(permit) = permit {
            permit.release().await;
        }
        self.limits.after(registry, agent, &outcome).await;
        let verdict = self.breakers.after(agent, &outcome, probe).await;
        if verdict.reload {
            let _ = registry_sync.reload(registry).await;
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
}

/// Calls the agent; one that looks unregistered triggers one registry reload first, so a
/// just-registered agent never costs a TASK_004 deferral.
async fn call<E: Executor>(
    executor: &E,
    registry_sync: &RegistrySync,
    task: &ClaimedTask,
) -> Outcome {
    let outcome = executor.execute(task).await;
    if let (Outcome::Unavailable { .. }, Some(registry)) = (&outcome, executor.registry())
        && registry_sync
            .reload_if_older(registry, Duration::from_secs(1))
            .await
    {
        return executor.execute(task).await;
    }
    outcome
}
