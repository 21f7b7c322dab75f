//! Every setting, read from flags or `TASKFLEET_*` environment variables (flags win), with its
//! default and meaning. The README's configuration table mirrors this file.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Args;

use crate::schedule::retry::RetryPolicy;
use crate::worker::{WorkerConfig, default_worker_id};

/// The database, for every subcommand that needs one.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// `taskfleet worker` settings.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Tasks this worker runs at once.
    #[arg(long, env = "TASKFLEET_CONCURRENCY", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Per-task execution timeout in seconds (TASK_008 when exceeded).
    #[arg(long, env = "TASKFLEET_TASK_TIMEOUT_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub task_timeout_secs: u64,

    /// Retry n waits base * 2^n milliseconds, plus up to 10 % jitter.
    #[arg(long, env = "TASKFLEET_BACKOFF_BASE_MS", default_value_t = 1000)]
    pub backoff_base_ms: u64,

    /// Claim lease in seconds; the heartbeat renews it every third of it.
    #[arg(long, env = "TASKFLEET_LEASE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub lease_secs: u64,

    /// Where to serve /healthz and /metrics (unset: not served).
    #[arg(long, env = "TASKFLEET_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// HS256 secret for the JWT sent to agents (required).
    #[arg(long, env = "TASKFLEET_AGENT_SECRET", hide_env_values = true)]
    pub agent_secret: Option<String>,

    /// Fallback poll interval in milliseconds; NOTIFY wakes the worker sooner.
    #[arg(long, env = "TASKFLEET_POLL_INTERVAL_MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub poll_interval_ms: u64,

    /// How long a task for an unknown or disabled agent waits before it is tried again (TASK_004).
    #[arg(long, env = "TASKFLEET_AGENT_RETRY_SECS", default_value_t = 30)]
    pub agent_retry_secs: u64,

    /// On SIGTERM, how long in-flight attempts may run before they are released back to
    /// queued (default: the task timeout). Keep the pod's termination grace period above it.
    #[arg(long, env = "TASKFLEET_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,

    /// Worker id written to locked_by and audit rows (default: HOSTNAME-pid-random).
    #[arg(long, env = "TASKFLEET_WORKER_ID")]
    pub worker_id: Option<String>,
}

impl WorkerArgs {
    pub fn agent_secret(&self) -> Result<String> {
        required(
            &self.agent_secret,
            "TASKFLEET_AGENT_SECRET",
            "the HS256 secret agents verify",
        )
    }

    pub fn to_config(&self) -> WorkerConfig {
        WorkerConfig {
            id: self.worker_id.clone().unwrap_or_else(default_worker_id),
            concurrency: self.concurrency as usize,
            task_timeout: Duration::from_secs(self.task_timeout_secs),
            lease: Duration::from_secs(self.lease_secs),
            retry: RetryPolicy {
                base: Duration::from_millis(self.backoff_base_ms),
            },
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            agent_retry_delay: Duration::from_secs(self.agent_retry_secs),
            shutdown_grace: Duration::from_secs(
                self.shutdown_grace_secs.unwrap_or(self.task_timeout_secs),
            ),
        }
    }
}

/// A required secret, with the fix in the message when it is missing.
pub fn required(value: &Option<String>, var: &str, what: &str) -> Result<String> {
    match value {
        Some(v) if !v.is_empty() => Ok(v.clone()),
        _ => Err(anyhow!("{var} is not set: export {var}=... ({what})")),
    }
}
