//! `taskfleet bench` flags (contract section 7).

use crate::audit::AuditMode;
use crate::queue::ClaimOrder;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deps {
    /// Independent tasks.
    None,
    /// Each task depends on the one before: throughput is 1 / (claim + run + complete).
    Chain,
    /// 10 layers; each task depends on two tasks of the layer before.
    Layers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentKind {
    /// Complete in-process, no HTTP: measures the queue itself.
    Noop,
    /// A real HTTP agent on loopback (agents-sim with no latency and no failures).
    Http,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Server to benchmark on (a database of its own is created and dropped per run).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    pub tasks: usize,
    /// Worker loops (each with its own pool and LISTEN connection, as separate pods have).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Slots per worker (the worker's default is 5).
    #[arg(long, default_value_t = 5)]
    pub concurrency: usize,
    #[arg(long, value_enum, default_value_t = Deps::None)]
    pub deps: Deps,
    #[arg(long, value_enum, default_value_t = AgentKind::Noop)]
    pub agent: AgentKind,
    /// Queued tasks already waiting (lower priority) before the measured ones are enqueued.
    #[arg(long, default_value_t = 0)]
    pub backlog: usize,
    /// Completed tasks already in the table before the run (history).
    #[arg(long, default_value_t = 0)]
    pub history: usize,
    /// Enqueue one task every this many ms while idle workers wait (latency runs), instead of
    /// bulk-enqueueing everything first.
    #[arg(long)]
    pub arrival_ms: Option<u64>,
    /// Run the workers as separate `taskfleet` processes (as pods are), not loops in this
    /// process; peak_rss_mb is then the largest worker's.
    #[arg(long)]
    pub processes: bool,
    /// Audit volume, as `TASKFLEET_AUDIT`: `outcomes` (the default) or `full`.
    #[arg(long, value_enum, default_value_t = AuditMode::Outcomes)]
    pub audit: AuditMode,
    /// Runs; after several, a last line gives the medians.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// As `TASKFLEET_CLAIM_ORDER` (read from the environment, as any worker reads it).
    #[arg(long, env = "TASKFLEET_CLAIM_ORDER", value_enum, default_value_t = ClaimOrder::Fair)]
    pub claim_order: ClaimOrder,
    /// With `--agent http`: the agent answers 503 to every call for this many seconds from the
    /// start of the run, then recovers. The line reports what the circuit breakers made of it:
    /// tasks failed, retries used, calls made while the agent was down, probes, and how long
    /// after the recovery the last task completed. `--tasks` tasks, all for that agent.
    #[arg(long, value_name = "SECS")]
    pub agent_outage_secs: Option<u64>,
    /// Several workspaces instead of one: `A:100000,B:100` enqueues each tenant's tasks in its own
    /// workspace, all but the last before the workers start, the last once they run; the JSON
    /// line then has `tenant_b_last_done_ms` (from the last tenant's enqueue until its last task
    /// completes) and `tenant_b_p50_pickup_ms` / `tenant_b_p99_pickup_ms` (its ready → started
    /// latency). `--tasks` is ignored.
    #[arg(long, value_parser = parse_tenants)]
    pub tenants: Option<Tenants>,
}

/// `--tenants`: (name, task count) per tenant, in enqueue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenants(pub Vec<(String, usize)>);

fn parse_tenants(s: &str) -> Result<Tenants, String> {
    let tenants = s
        .split(',')
        .map(|part| {
            let (name, n) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?} is not NAME:COUNT"))?;
            let n: usize = n
                .parse()
                .map_err(|_| format!("{n:?} in {part:?} is not a task count"))?;
            if name.is_empty() || n == 0 {
                return Err(format!("{part:?}: a name and at least one task"));
            }
            Ok((name.to_owned(), n))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if tenants.len() < 2 {
        return Err("at least two tenants, e.g. A:100000,B:100".into());
    }
    Ok(Tenants(tenants))
}
