//! Every setting, read from flags or `TASKFLEET_*` environment variables (flags win), with its
//! default and meaning. The README's configuration table mirrors this file.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Args;

use crate::alerts::Thresholds;
use crate::audit::AuditMode;
use crate::decompose::Limits;
use crate::queue::ClaimOrder;
use crate::schedule::Clock;
use crate::schedule::TimeRules;
use crate::schedule::business_hours::{DEFAULT_ZONE, Rules};
use crate::schedule::retry::RetryPolicy;
use crate::worker::breaker::BreakerPolicy;
use crate::worker::sweeps::SweepConfig;
use crate::worker::{WorkerConfig, default_worker_id};

/// The database, for every subcommand that needs one.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Postgres connection string.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// How attempts execute: shared by `taskfleet worker` and the API's execute pass.
#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// Per-task execution timeout in seconds (TASK_008 when exceeded).
    #[arg(long, env = "TASKFLEET_TASK_TIMEOUT_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub task_timeout_secs: u64,

    /// Retry n waits base * 2^n milliseconds, plus up to 10 % jitter.
    #[arg(long, env = "TASKFLEET_BACKOFF_BASE_MS", default_value_t = 1000)]
    pub backoff_base_ms: u64,

    /// How long a task for an unknown or disabled agent waits before it is tried again (TASK_004).
    #[arg(long, env = "TASKFLEET_AGENT_RETRY_SECS", default_value_t = 30)]
    pub agent_retry_secs: u64,

    /// HS256 secret for the JWT sent to agents.
    #[arg(long, env = "TASKFLEET_AGENT_SECRET", hide_env_values = true)]
    pub agent_secret: Option<String>,

    /// Zone for time-of-day rules and "today" when a workspace sets none.
    #[arg(long, env = "TASKFLEET_TIMEZONE", default_value = "Australia/Sydney")]
    pub timezone: String,

    /// `outcomes`: one task.executed per task that ran and every exceptional transition;
    /// `full`: also task.started per attempt and task.created for every task of a bulk insert.
    #[arg(long, env = "TASKFLEET_AUDIT", value_enum, default_value_t = AuditMode::Outcomes)]
    pub audit: AuditMode,

    /// Transient failures in a row of one agent (as one worker sees them) that open its circuit
    /// breaker for the fleet; 0 turns breakers off.
    #[arg(long, env = "TASKFLEET_BREAKER_FAILURES", default_value_t = 5)]
    pub breaker_failures: u32,

    /// The share of transient failures among an agent's last 20 calls (seen by one worker) that
    /// opens its breaker.
    #[arg(long, env = "TASKFLEET_BREAKER_FAILURE_RATE", default_value_t = 0.5,
          value_parser = failure_rate)]
    pub breaker_failure_rate: f64,

    /// An open breaker's first cool-down before its probe; it doubles with each opening in a row.
    #[arg(long, env = "TASKFLEET_BREAKER_COOLDOWN_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub breaker_cooldown_secs: u64,

    /// The longest cool-down.
    #[arg(long, env = "TASKFLEET_BREAKER_MAX_COOLDOWN_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub breaker_max_cooldown_secs: u64,

    /// `fair`: urgent tasks first, the rest shared equally among the workspaces with work;
    /// `global`: priority, then age, across all workspaces.
    #[arg(long, env = "TASKFLEET_CLAIM_ORDER", value_enum, default_value_t = ClaimOrder::Fair)]
    pub claim_order: ClaimOrder,

    /// `off` disables every time-of-day rule (night pause, retry and email windows).
    #[arg(long, env = "TASKFLEET_BUSINESS_HOURS", default_value = "on",
          value_parser = ["on", "off"])]
    pub business_hours: String,

    /// A result awaiting approval longer than this is stale: flagged in the API's answers and
    /// counted in the workers' /metrics (`taskfleet_approvals_stale`).
    #[arg(long, env = "TASKFLEET_APPROVAL_REMIND_SECS", default_value_t = 3600)]
    pub approval_remind_secs: u64,

    #[command(flatten)]
    pub alerts: AlertArgs,
}

/// When the specification's alerts fire (`GET /api/metrics/orchestrator` and the alerts sweep).
#[derive(Debug, Clone, Args)]
pub struct AlertArgs {
    /// queue_depth fires when a workspace has more queued tasks (ready or blocked) than this.
    #[arg(long, env = "TASKFLEET_ALERT_QUEUE_DEPTH", default_value_t = 100)]
    pub alert_queue_depth: u64,
    /// failure_rate fires when failed tasks exceed this share (0..1) of today's finished ones ...
    #[arg(long, env = "TASKFLEET_ALERT_FAILURE_RATE", default_value_t = 0.10)]
    pub alert_failure_rate: f64,
    /// ... and at least this many finished today.
    #[arg(
        long,
        env = "TASKFLEET_ALERT_FAILURE_MIN_FINISHED",
        default_value_t = 10
    )]
    pub alert_failure_min_finished: u32,
    /// slow_execution fires when an execution took longer than this many seconds ...
    #[arg(
        long,
        env = "TASKFLEET_ALERT_SLOW_EXECUTION_SECS",
        default_value_t = 60
    )]
    pub alert_slow_execution_secs: u64,
    /// ... and finished within the last this many seconds.
    #[arg(long, env = "TASKFLEET_ALERT_SLOW_WINDOW_SECS", default_value_t = 900)]
    pub alert_slow_window_secs: u64,
}

impl Default for AlertArgs {
    fn default() -> Self {
        let t = Thresholds::default();
        Self {
            alert_queue_depth: t.queue_depth,
            alert_failure_rate: t.failure_rate,
            alert_failure_min_finished: t.failure_min_finished,
            alert_slow_execution_secs: t.slow_execution.as_secs(),
            alert_slow_window_secs: t.slow_window.as_secs(),
        }
    }
}

impl AlertArgs {
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            queue_depth: self.alert_queue_depth,
            failure_rate: self.alert_failure_rate,
            failure_min_finished: self.alert_failure_min_finished,
            slow_execution: Duration::from_secs(self.alert_slow_execution_secs),
            slow_window: Duration::from_secs(self.alert_slow_window_secs),
        }
    }
}

impl ExecArgs {
    pub fn agent_secret(&self) -> Result<String> {
        secret(
            &self.agent_secret,
            "TASKFLEET_AGENT_SECRET",
            "the HS256 secret agents verify",
        )
    }

    /// Worker settings for `id` holding leases of `lease`.
    pub fn to_config(&self, id: String, concurrency: usize, lease: Duration) -> WorkerConfig {
        let task_timeout = Duration::from_secs(self.task_timeout_secs);
        WorkerConfig {
            id,
            concurrency,
            task_timeout,
            lease,
            retry: RetryPolicy {
                base: Duration::from_millis(self.backoff_base_ms),
                unavailable_delay: Duration::from_secs(self.agent_retry_secs),
            },
            poll_interval: Duration::from_secs(2),
            shutdown_grace: task_timeout,
            sweeps: None,
            clock: Clock::system(),
            audit: self.audit,
            claim_order: self.claim_order,
            breaker: BreakerPolicy {
                failures: self.breaker_failures,
                failure_rate: self.breaker_failure_rate,
                cooldown: Duration::from_secs(self.breaker_cooldown_secs),
                max_cooldown: Duration::from_secs(self.breaker_max_cooldown_secs),
            },
            time: TimeRules {
                rules: Rules {
                    enabled: self.business_hours == "on",
                },
                default_zone: self.timezone.parse().unwrap_or(DEFAULT_ZONE),
            },
        }
    }

    pub fn check_timezone(&self) -> Result<()> {
        self.timezone
            .parse::<chrono_tz::Tz>()
            .map(|_| ())
            .map_err(|_| {
                anyhow!(
                    "TASKFLEET_TIMEZONE {:?} is not an IANA time zone (e.g. Australia/Sydney)",
                    self.timezone
                )
            })
    }
}

/// `taskfleet worker` settings.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub exec: ExecArgs,

    /// Tasks this worker runs at once.
    #[arg(long, env = "TASKFLEET_CONCURRENCY", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Threads of the worker's async runtime. 1 (the default) runs everything on one thread,
    /// with no wake-ups across threads: a worker waits on its agents and on PostgreSQL, and on
    /// 2 cores this left more CPU to PostgreSQL (BENCHMARKS.md, "One thread per worker"). Scale
    /// out with replicas; raise it for a pod with several cores and CPU-heavy agent replies.
    #[arg(long, env = "TASKFLEET_WORKER_THREADS", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,

    /// Claim lease in seconds; the heartbeat renews it every third of it.
    #[arg(long, env = "TASKFLEET_LEASE_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub lease_secs: u64,

    /// Where to serve /healthz and /metrics (unset: not served).
    #[arg(long, env = "TASKFLEET_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Fallback poll interval in milliseconds; NOTIFY wakes the worker sooner.
    #[arg(long, env = "TASKFLEET_POLL_INTERVAL_MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub poll_interval_ms: u64,

    /// On SIGTERM, how long in-flight attempts may run before they are released back to
    /// queued (default: the task timeout). Keep the pod's termination grace period above it.
    #[arg(long, env = "TASKFLEET_SHUTDOWN_GRACE_SECS")]
    pub shutdown_grace_secs: Option<u64>,

    /// Worker id written to locked_by and audit rows (default: HOSTNAME-pid-random).
    #[arg(long, env = "TASKFLEET_WORKER_ID")]
    pub worker_id: Option<String>,

    /// Lease reaper schedule (cron, seconds first; default: every lease / 2 seconds).
    #[arg(long, env = "TASKFLEET_REAPER_CRON")]
    pub reaper_cron: Option<String>,

    /// Queue-depth gauges and stale-task warning schedule.
    #[arg(long, env = "TASKFLEET_METRICS_CRON", default_value = "*/15 * * * * *")]
    pub metrics_cron: String,

    /// Retention sweep schedule (default 03:30 daily in TASKFLEET_TIMEZONE).
    #[arg(long, env = "TASKFLEET_RETENTION_CRON", default_value = "0 30 3 * * *")]
    pub retention_cron: String,

    /// Deadline escalation schedule: raises tasks whose deadline came within 48 hours.
    #[arg(long, env = "TASKFLEET_DEADLINE_CRON", default_value = "0 * * * * *")]
    pub deadline_cron: String,

    /// Alerts sweep schedule: evaluates the alerts of every workspace, records each change.
    #[arg(long, env = "TASKFLEET_ALERTS_CRON", default_value = "*/30 * * * * *")]
    pub alerts_cron: String,

    /// Recurring templates schedule: creates the task of each template's due tick.
    #[arg(
        long,
        env = "TASKFLEET_TEMPLATES_CRON",
        default_value = "*/10 * * * * *"
    )]
    pub templates_cron: String,

    /// A ready task waiting longer than this is stale (warned about, counted in /metrics).
    #[arg(long, env = "TASKFLEET_STALE_AFTER_SECS", default_value_t = 300)]
    pub stale_after_secs: u64,

    /// Terminal tasks and audit rows older than this many days are deleted.
    #[arg(long, env = "TASKFLEET_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub retention_days: u64,
}

impl WorkerArgs {
    pub fn to_config(&self) -> Result<WorkerConfig> {
        let id = self.worker_id.clone().unwrap_or_else(default_worker_id);
        let lease = Duration::from_secs(self.lease_secs);
        let mut cfg = self.exec.to_config(id, self.concurrency as usize, lease);
        cfg.poll_interval = Duration::from_millis(self.poll_interval_ms);
        if let Some(grace) = self.shutdown_grace_secs {
            cfg.shutdown_grace = Duration::from_secs(grace);
        }
        let reaper = self
            .reaper_cron
            .clone()
            .unwrap_or_else(|| SweepConfig::default_reaper_cron(lease));
        let mut sweeps = SweepConfig::parse(
            &reaper,
            &self.metrics_cron,
            &self.retention_cron,
            cfg.time.default_zone,
            Duration::from_secs(self.stale_after_secs),
            self.retention_days,
        )?;
        sweeps.set_deadline_cron(&self.deadline_cron)?;
        sweeps.set_alerts_cron(&self.alerts_cron)?;
        sweeps.set_templates_cron(&self.templates_cron)?;
        sweeps.alerts = self.exec.alerts.thresholds();
        sweeps.approval_remind = Duration::from_secs(self.exec.approval_remind_secs);
        cfg.sweeps = Some(sweeps);
        Ok(cfg)
    }
}

/// `TASKFLEET_BREAKER_FAILURE_RATE`: a share of calls, above 0 and at most 1.
fn failure_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 1.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a share of calls above 0 and at most 1 (e.g. 0.5)"
        )),
    }
}

/// `taskfleet api` settings.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    #[command(flatten)]
    pub exec: ExecArgs,

    /// Listen address.
    #[arg(long, env = "TASKFLEET_API_ADDR", default_value = "127.0.0.1:8080")]
    pub api_addr: SocketAddr,

    /// HS256 secret of API bearer tokens (required).
    #[arg(long, env = "TASKFLEET_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    #[command(flatten)]
    pub token_lifetime: TokenLifetimeArgs,

    /// Password of the `taskfleet_api` login the API's tenant transactions use (the one
    /// `taskfleet migrate` was given); unset where the server trusts the connection.
    #[arg(long, env = "TASKFLEET_API_DB_PASSWORD", hide_env_values = true)]
    pub api_db_password: Option<String>,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The longest lifetime of an API token the API accepts (and `taskfleet token` mints).
#[derive(Debug, Clone, Args)]
pub struct TokenLifetimeArgs {
    /// Longest accepted token lifetime in seconds, counted from `iat` (or from now without one).
    #[arg(long, env = "TASKFLEET_JWT_MAX_TTL_SECS", default_value_t = crate::auth::DEFAULT_MAX_TTL_SECS,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub jwt_max_ttl_secs: i64,
}

/// How large a strategy the API takes (413 on `POST /api/strategies`, 422 TASK_002 on
/// decomposition, naming the limit). Each task of phase N+1 depends on each activity of phase
/// N, so the edge limit is what keeps a decomposition's work and answer linear in its body.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Phases of a campaign calendar.
    #[arg(long, env = "TASKFLEET_MAX_PHASES", default_value_t = Limits::default().phases)]
    pub max_phases: usize,
    /// Key activities of one phase.
    #[arg(long, env = "TASKFLEET_MAX_ACTIVITIES_PER_PHASE",
          default_value_t = Limits::default().activities_per_phase)]
    pub max_activities_per_phase: usize,
    /// Tasks one decomposition creates (activities, pillars and KPIs).
    #[arg(long, env = "TASKFLEET_MAX_TASKS_PER_DECOMPOSITION",
          default_value_t = Limits::default().tasks)]
    pub max_tasks_per_decomposition: usize,
    /// Dependency edges one decomposition creates.
    #[arg(long, env = "TASKFLEET_MAX_DEPENDENCY_EDGES", default_value_t = Limits::default().edges)]
    pub max_dependency_edges: usize,
}

impl Default for LimitArgs {
    fn default() -> Self {
        let l = Limits::default();
        Self {
            max_phases: l.phases,
            max_activities_per_phase: l.activities_per_phase,
            max_tasks_per_decomposition: l.tasks,
            max_dependency_edges: l.edges,
        }
    }
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            phases: self.max_phases,
            activities_per_phase: self.max_activities_per_phase,
            tasks: self.max_tasks_per_decomposition,
            edges: self.max_dependency_edges,
        }
    }
}

/// A required secret, with the fix in the message when it is missing.
/// Shortest secret accepted: HS256 keys of fewer bytes are guessable offline from one token.
pub const MIN_SECRET_BYTES: usize = 32;

/// A signing secret from `var`: set, and at least [`MIN_SECRET_BYTES`] long.
pub fn secret(value: &Option<String>, var: &str, what: &str) -> Result<String> {
    match value {
        Some(v) if v.len() >= MIN_SECRET_BYTES => Ok(v.clone()),
        Some(v) if !v.is_empty() => Err(anyhow!(
            "{var} is {} bytes; use at least {MIN_SECRET_BYTES} random ones ({what}), \
             e.g. export {var}=$(openssl rand -hex 32)",
            v.len()
        )),
        _ => Err(anyhow!(
            "{var} is not set: export {var}=$(openssl rand -hex 32) ({what})"
        )),
    }
}

/// `TASKFLEET_LOG_FORMAT`: how log lines are written (stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines; coloured only when stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    pub const VALUES: [&str; 2] = ["text", "json"];

    /// Reads `TASKFLEET_LOG_FORMAT` (unset or empty: text). A value we do not know is an error
    /// rather than silently text: a typo would otherwise feed plain text to a JSON log shipper.
    pub fn from_env() -> Result<Self> {
        Self::parse(std::env::var("TASKFLEET_LOG_FORMAT").ok().as_deref())
    }

    pub fn parse(value: Option<&str>) -> Result<Self> {
        match value.map(str::trim) {
            None | Some("") => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(Self::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(Self::Json),
            Some(v) => Err(anyhow!(
                "TASKFLEET_LOG_FORMAT {v:?} is not one of: {}",
                Self::VALUES.join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod log_format_tests {
    use super::LogFormat;

    #[test]
    fn log_format_accepts_text_and_json_and_names_them_otherwise() {
        for (value, want) in [
            (None, Some(LogFormat::Text)),
            (Some(""), Some(LogFormat::Text)),
            (Some("text"), Some(LogFormat::Text)),
            (Some("JSON"), Some(LogFormat::Json)),
            (Some("yaml"), None),
        ] {
            let got = LogFormat::parse(value);
            assert_eq!(got.as_ref().ok(), want.as_ref(), "{value:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("text, json"), "{e}");
            }
        }
    }
}
