//! The worker's background loops besides claiming: lease heartbeat, lease reaper, and keeping
//! the agent registry in sync with the `agents` table. Each exposes a `*_once` pass that tests
//! call directly; the loops only tick.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::WorkerConfig;
use super::inflight::{Abandon, Inflight};
use crate::agents::Registry;
use crate::agents::registry::AgentEndpoint;
use crate::db::sql;
use crate::queue;

/// Renews this worker's leases; abandons attempts whose lease is no longer ours.
pub async fn heartbeat_once(pool: &PgPool, cfg: &WorkerConfig, inflight: &Inflight) {
    let leases = inflight.leases();
    if leases.is_empty() {
        return;
    }
    match queue::heartbeat(pool, &cfg.id, &leases, cfg.lease).await {
        Ok(held) => {
            for lease in leases.iter().filter(|l| !held.contains(&l.task_id)) {
                if inflight.abandon(*lease, Abandon::LeaseLost) {
                    tracing::warn!(task_id = %lease.task_id, "lease lost; abandoned the attempt");
                }
            }
        }
        // Keep running: if the database stays away the leases expire and are reclaimed.
        Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
    }
}

/// Reclaims expired leases until none is left; returns how many were reclaimed.
pub async fn reap_once(pool: &PgPool, cfg: &WorkerConfig) -> usize {
    const BATCH: usize = 100;
    let mut total = 0;
    loop {
        match queue::reclaim_expired(pool, &cfg.id, BATCH, cfg.rules(), cfg.clock.now()).await {
            Ok(report) => {
                let n = report.requeued.len() + report.failed.len();
                for id in report.requeued.iter().chain(&report.failed) {
                    tracing::warn!(task_id = %id, "reclaimed a task whose lease expired");
                }
                metrics::counter!("taskfleet_lease_reclaims_total").increment(n as u64);
                total += n;
                if n < BATCH {
                    return total;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "lease reaper pass failed");
                return total;
            }
        }
    }
}

/// Runs `pass` every `period` until `stop`.
pub async fn every<F, Fut>(period: Duration, stop: CancellationToken, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => pass().await,
        }
    }
}

/// Loads the `agents` table into the executor's registry. Reloads on demand are rate-limited so
/// a burst of tasks for an unregistered agent costs one query, not one per task.
pub struct RegistrySync {
    pool: PgPool,
    last: Mutex<Option<Instant>>,
}

impl RegistrySync {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            last: Mutex::new(None),
        }
    }

    /// Reloads now. Errors leave the previous copy in place.
    pub async fn reload(&self, registry: &Registry) -> Result<(), sqlx::Error> {
        let mut last = self.last.lock().await;
        let list: Vec<AgentEndpoint> = crate::db::query_as(sql::AGENT_LIST)
            .fetch_all(&self.pool)
            .await?;
        for a in &list {
            let open = if a.breaker_state == "closed" {
                0.0
            } else {
                1.0
            };
            metrics::gauge!("taskfleet_agent_breaker_open", "agent" => a.name.clone()).set(open);
        }
        registry.replace(list);
        *last = Some(Instant::now());
        Ok(())
    }

    /// Reloads unless the copy is younger than `min_age`; true when it reloaded.
    pub async fn reload_if_older(&self, registry: &Registry, min_age: Duration) -> bool {
        let fresh = matches!(*self.last.lock().await, Some(at) if at.elapsed() < min_age);
        !fresh && self.reload(registry).await.is_ok()
    }
}

pub type SharedRegistrySync = Arc<RegistrySync>;
