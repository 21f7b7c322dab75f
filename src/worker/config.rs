//! A worker's settings, built from `TASKFLEET_*` by `config`, or directly by the demo, the
//! benchmark and tests.

use std::time::Duration;

use super::breaker::BreakerPolicy;
use super::sweep_schedule::SweepConfig;
use crate::audit::AuditMode;
use crate::queue::{ClaimOrder, Rules};
use crate::schedule::retry::RetryPolicy;
use crate::schedule::{Clock, TimeRules};

/// Everything a worker needs to know; built from `TASKFLEET_*` by the CLI, or directly by the
/// demo and the benchmark.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Written to `locked_by` and the audit rows; unique per process.
    pub id: String,
    /// Slots: attempts run at once.
    pub concurrency: usize,
    pub task_timeout: Duration,
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// Fallback poll when no NOTIFY arrives.
    pub poll_interval: Duration,
    /// On shutdown, how long attempts may still run before they are released to `queued`.
    pub shutdown_grace: Duration,
    /// Time-of-day rules (contract section 6).
    pub time: TimeRules,
    /// "Now" for the outcome and time-of-day rules (the system clock outside tests).
    pub clock: Clock,
    /// `TASKFLEET_AUDIT`: whether claims write `task.started`.
    pub audit: AuditMode,
    /// `TASKFLEET_CLAIM_ORDER`: how the claim shares work across workspaces.
    pub claim_order: ClaimOrder,
    /// `TASKFLEET_BREAKER_*`: when agents' circuit breakers open, and for how long.
    pub breaker: BreakerPolicy,
    /// Fleet-wide sweeps this worker takes part in (None: none, e.g. the API's execute pass).
    pub sweeps: Option<SweepConfig>,
}

impl WorkerConfig {
    /// The settings [`settle`](crate::queue::settle) applies.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            retry: &self.retry,
            time: &self.time,
        }
    }
}

/// A unique worker id: `HOSTNAME` (the pod name on Kubernetes), the pid and a random suffix.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "worker".into());
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    format!("{host}-{}-{suffix}", std::process::id())
}
