//! The worker's claim, running beside its loop. While one batch is being claimed, the tasks the
//! worker already holds keep starting and finishing, so Postgres always has this worker's next
//! claim and its last outcomes to work on at once. (Awaited inside the loop, a claim stopped every
//! attempt from starting for its whole round trip, and the database sat idle half of a no-op run.)

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use sqlx::PgPool;

use super::config::WorkerConfig;
use super::record;
use crate::queue::{self, ClaimFilter, ClaimedTask};

/// What one claim brought back.
pub struct Claimed {
    /// Whether it got all it asked for: then more work is probably waiting.
    pub full: bool,
    /// The tasks to run (out-of-hours ones were already put back on hold).
    pub tasks: Vec<ClaimedTask>,
}

type ClaimFuture = Pin<Box<dyn Future<Output = Claimed> + Send>>;

/// At most one claim in flight.
#[derive(Default)]
pub struct Claiming(Option<ClaimFuture>);

impl Claiming {
    pub fn is_idle(&self) -> bool {
        self.0.is_none()
    }

    /// Starts claiming up to `want` tasks (unfiltered: any ready task, as workers claim).
    pub fn start(&mut self, pool: &PgPool, cfg: &WorkerConfig, want: usize) {
        debug_assert!(self.is_idle(), "one claim at a time");
        let (pool, cfg) = (pool.clone(), cfg.clone());
        self.0 = Some(Box::pin(async move {
            let started = Instant::now();
            let filter = ClaimFilter {
                order: cfg.claim_order,
                ..ClaimFilter::default()
            };
            match queue::claim(&pool, &cfg.id, want, cfg.lease, &filter, cfg.audit).await {
                Ok(tasks) => {
                    metrics::histogram!("taskfleet_claim_latency_seconds")
                        .record(started.elapsed().as_secs_f64());
                    metrics::counter!("taskfleet_tasks_claimed_total")
                        .increment(tasks.len() as u64);
                    let full = tasks.len() == want;
                    let tasks = record::hold_out_of_hours(&pool, &cfg, tasks).await;
                    Claimed { full, tasks }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claim failed");
                    Claimed {
                        full: false,
                        tasks: Vec::new(),
                    }
                }
            }
        }));
    }

    /// Resolves when the claim in flight does; never while idle. Cancel-safe: dropping this
    /// future leaves the claim in flight, to be polled again.
    pub async fn done(&mut self) -> Claimed {
        match self.0.as_mut() {
            Some(claim) => {
                let claimed = claim.await;
                self.0 = None;
                claimed
            }
            None => std::future::pending().await,
        }
    }
}
