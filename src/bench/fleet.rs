//! The benchmark's workers: loops in this process, or (`--processes`) real `taskfleet
//! bench-worker` processes, one per worker as pods would run, whose peak RSS is then measured.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio_util::sync::CancellationToken;

use super::args::{AgentKind, BenchArgs};
use crate::agents::Noop;
use crate::agents::http::HttpAgents;
use crate::audit::AuditMode;
use crate::db;
use crate::queue::ClaimOrder;
use crate::schedule::retry::RetryPolicy;
use crate::schedule::{Clock, TimeRules};
use crate::worker::{self, WorkerConfig};

pub enum Fleet {
    InProcess {
        stop: CancellationToken,
        handles: Vec<tokio::task::JoinHandle<()>>,
        /// Completions already counted in this process's recorder (earlier `--repeat` runs).
        baseline: u64,
    },
    Processes {
        children: Vec<Child>,
        /// Each child's /healthz and /metrics address.
        addrs: Vec<std::net::SocketAddr>,
    },
}

/// `taskfleet bench-worker` (hidden): one benchmark worker process.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchWorkerArgs {
    #[arg(long)]
    pub database_url: String,
    #[arg(long)]
    pub id: String,
    #[arg(long)]
    pub concurrency: usize,
    #[arg(long, value_enum)]
    pub agent: AgentKind,
    #[arg(long)]
    pub agent_secret: String,
    /// Where to serve /healthz (the bench waits on it).
    #[arg(long)]
    pub metrics_addr: std::net::SocketAddr,
    #[arg(long, value_enum, default_value_t = AuditMode::Outcomes)]
    pub audit: AuditMode,
    /// As `TASKFLEET_CLAIM_ORDER` (read from the environment, as any worker reads it).
    #[arg(long, env = "TASKFLEET_CLAIM_ORDER", value_enum, default_value_t = ClaimOrder::Fair)]
    pub claim_order: ClaimOrder,
}

/// Worker settings of a benchmark worker: production defaults, time rules off, no sweeps.
fn config(
    id: String,
    concurrency: usize,
    audit: AuditMode,
    claim_order: ClaimOrder,
) -> WorkerConfig {
    WorkerConfig {
        id,
        concurrency,
        task_timeout: Duration::from_secs(30),
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_millis(100),
            unavailable_delay: Duration::from_secs(1),
        },
        poll_interval: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(5),
        time: TimeRules::off(),
        clock: Clock::system(),
        audit,
        claim_order,
        breaker: Default::default(),
        sweeps: None,
    }
}

/// Runs one worker loop until `shutdown`.
async fn run_loop(
    url: &str,
    cfg: WorkerConfig,
    agent: AgentKind,
    agent_secret: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ready: Arc<AtomicBool>,
) -> Result<()> {
    let pool = db::connect(url, 4).await?;
    match agent {
        AgentKind::Noop => worker::run(pool, cfg, Arc::new(Noop), shutdown, ready).await,
        AgentKind::Http => {
            let agents = Arc::new(HttpAgents::new(
                agent_secret,
                cfg.task_timeout,
                cfg.concurrency,
            )?);
            worker::run(pool, cfg, agents, shutdown, ready).await
        }
    }
}

/// The hidden `bench-worker` subcommand.
pub async fn run_worker(args: BenchWorkerArgs) -> Result<()> {
    let ready = Arc::new(AtomicBool::new(false));
    // /readyz's own pool: it connects only when asked.
    let probe = db::lazy_pool(&args.database_url, 1, db::Acquire::Prompt)?;
    worker::health::serve(
        args.metrics_addr,
        ready.clone(),
        crate::telemetry::metrics(),
        probe,
    )
    .await?;
    let cfg = config(args.id, args.concurrency, args.audit, args.claim_order);
    run_loop(
        &args.database_url,
        cfg,
        args.agent,
        &args.agent_secret,
        crate::signal::shutdown(),
        ready,
    )
    .await
}

impl Fleet {
    pub async fn start(args: &BenchArgs, url: &str, agent_secret: &str) -> Result<Self> {
        if args.processes {
            return Self::start_processes(args, url, agent_secret).await;
        }
        // The in-process loops count completions in this process's recorder.
        let baseline = completed_total(&crate::telemetry::metrics().render());
        let stop = CancellationToken::new();
        let mut handles = Vec::new();
        for w in 0..args.workers {
            let cfg = config(
                format!("bench-{w}"),
                args.concurrency,
                args.audit,
                args.claim_order,
            );
            let (url, secret, stop, agent) = (
                url.to_string(),
                agent_secret.to_string(),
                stop.clone(),
                args.agent,
            );
            handles.push(tokio::spawn(async move {
                let shutdown = async move { stop.cancelled().await };
                let ready = Arc::new(AtomicBool::new(false));
                if let Err(e) = run_loop(&url, cfg, agent, &secret, shutdown, ready).await {
                    tracing::error!(error = %e, "bench worker failed");
                }
            }));
        }
        Ok(Fleet::InProcess {
            stop,
            handles,
            baseline,
        })
    }

    async fn start_processes(args: &BenchArgs, url: &str, agent_secret: &str) -> Result<Self> {
        let exe = std::env::current_exe().context("cannot find the taskfleet binary")?;
        let mut children = Vec::new();
        let mut health = Vec::new();
        for w in 0..args.workers {
            let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            let child = Command::new(&exe)
                .arg("bench-worker")
                .args(["--database-url", url, "--id", &format!("bench-{w}")])
                .args(["--concurrency", &args.concurrency.to_string()])
                .args([
                    "--audit",
                    if args.audit.is_full() {
                        "full"
                    } else {
                        "outcomes"
                    },
                ])
                .args([
                    "--agent",
                    if args.agent == AgentKind::Http {
                        "http"
                    } else {
                        "noop"
                    },
                ])
                .args([
                    "--agent-secret",
                    agent_secret,
                    "--metrics-addr",
                    &addr.to_string(),
                ])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .spawn()
                .context("cannot start a bench-worker process")?;
            children.push(child);
            health.push(addr);
        }
        crate::install_crypto_provider();
        let client = reqwest::Client::new();
        let started = Instant::now();
        for addr in &health {
            while !matches!(client.get(format!("http://{addr}/healthz")).send().await, Ok(r) if r.status() == 200)
            {
                if started.elapsed() > Duration::from_secs(30) {
                    bail!("bench workers did not become healthy");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(Fleet::Processes {
            children,
            addrs: health,
        })
    }

    /// Peak resident set (VmHWM) in MiB: of the largest worker process, or of this process when
    /// the workers are loops in it.
    pub fn peak_rss_mb(&self) -> f64 {
        match self {
            Fleet::InProcess { .. } => vm_hwm_mb("self"),
            Fleet::Processes { children, .. } => children
                .iter()
                .map(|c| vm_hwm_mb(&c.id().to_string()))
                .fold(0.0, f64::max),
        }
    }

    pub async fn stop(self) {
        match self {
            Fleet::InProcess { stop, handles, .. } => {
                stop.cancel();
                for h in handles {
                    let _ = h.await;
                }
            }
            Fleet::Processes { children, .. } => {
                for mut c in children {
                    let _ = Command::new("kill")
                        .args(["-TERM", &c.id().to_string()])
                        .status();
                    let _ = tokio::task::spawn_blocking(move || c.wait()).await;
                }
            }
        }
    }

    /// Attempts the workers have finished successfully so far (`taskfleet_tasks_completed_total`,
    /// counted when an outcome is handed to the writer, before it commits). Read from the
    /// workers' own metrics, so waiting on it costs the database nothing; Graphile Worker's
    /// harness counts handler calls the same way.
    pub async fn completed(&self, client: &reqwest::Client) -> Result<u64> {
        match self {
            Fleet::InProcess { baseline, .. } => {
                Ok(completed_total(&crate::telemetry::metrics().render()) - baseline)
            }
            Fleet::Processes { addrs, .. } => {
                let mut total = 0;
                for addr in addrs {
                    let url = format!("http://{addr}/metrics");
                    total += completed_total(&client.get(url).send().await?.text().await?);
                }
                Ok(total)
            }
        }
    }
}

/// Sum of the `taskfleet_tasks_completed_total` series in a Prometheus text page.
fn completed_total(text: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with("taskfleet_tasks_completed_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

fn vm_hwm_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::completed_total;

    #[test]
    fn sums_every_completed_series_and_nothing_else() {
        let text = "# TYPE taskfleet_tasks_completed_total counter\n\
            taskfleet_tasks_completed_total{agent=\"a\"} 12\n\
            taskfleet_tasks_completed_total{agent=\"b\"} 30\n\
            taskfleet_tasks_claimed_total 99\n";
        assert_eq!(completed_total(text), 42);
        assert_eq!(completed_total(""), 0);
    }
}
