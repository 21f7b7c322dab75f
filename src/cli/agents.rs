//! `taskfleet agents register|list|enable|disable|remove`: the registry workers route tasks by.
//! Every change notifies the workers (NOTIFY taskfleet_agents), so it applies at once.

use std::collections::HashMap;

use anyhow::{Result, bail};

use crate::agents::registry::AgentEndpoint;
use crate::api::routes::agents::{Agent, BreakerState};
use crate::config::DbArgs;
use crate::db::{self, sql};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register an agent, or update its URL (upsert): tasks for NAME are POSTed to URL.
    #[command(
        after_help = "Example:\n  taskfleet agents register content-generator http://content.internal:8000/tasks"
    )]
    Register {
        /// Agent name as tasks name it in assigned_agent (e.g. content-generator).
        name: String,
        /// http(s) URL the worker POSTs tasks to.
        url: String,
        /// Register it disabled: its tasks wait (TASK_004) until `taskfleet agents enable NAME`.
        #[arg(long)]
        disabled: bool,
        /// At most N calls to it at once across every worker (tasks over the limit wait, without
        /// using a retry). Without it, no limit (registering again without it removes one).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
        max_concurrency: Option<i32>,
        /// At most R calls a second to it across every worker (a token bucket; a 429 with
        /// Retry-After from the agent pauses it for the fleet). Without it, no limit.
        #[arg(long, value_name = "R", value_parser = positive_rate)]
        rate: Option<f64>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List registered agents, tab-separated: name, URL, enabled or disabled, breaker state
    /// (closed, open or half_open), calls in flight, max concurrency, and over the last 15
    /// minutes (every workspace) success rate, p50 and p95 ms and the last error; `-` for none.
    #[command(after_help = "Example:\n  taskfleet agents list")]
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Enable an agent: its waiting tasks run again.
    #[command(after_help = "Example:\n  taskfleet agents enable email-agent")]
    Enable {
        /// Registered agent name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable an agent: its tasks wait (TASK_004, no retry consumed) until it is enabled.
    #[command(after_help = "Example:\n  taskfleet agents disable email-agent")]
    Disable {
        /// Registered agent name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove an agent from the registry; its tasks wait (TASK_004) until it is registered again.
    #[command(after_help = "Example:\n  taskfleet agents remove email-agent")]
    Remove {
        /// Registered agent name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Register {
            name,
            url,
            disabled,
            max_concurrency,
            rate,
            db,
        } => {
            check_name(&name)?;
            check_url(&url)?;
            let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
            let (name, url, enabled, inserted, _): (String, String, bool, bool, bool) =
                crate::db::query_as(sql::AGENT_UPSERT)
                    .bind(&name)
                    .bind(&url)
                    .bind(!disabled)
                    .bind(max_concurrency)
                    .bind(rate)
                    .fetch_one(&pool)
                    .await?;
            let verb = if inserted { "registered" } else { "updated" };
            let state = if enabled { "enabled" } else { "disabled" };
            let limit = [
                max_concurrency.map(|n| format!(", at most {n} calls at once")),
                rate.map(|r| format!(", at most {r} calls a second")),
            ]
            .into_iter()
            .flatten()
            .collect::<String>();
            println!("{verb} agent {name} -> {url} ({state}{limit})");
            Ok(())
        }
        Command::List { db } => {
            let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
            let agents: Vec<AgentEndpoint> = crate::db::query_as(sql::AGENT_LIST)
                .fetch_all(&pool)
                .await?;
            // The figures are GET /api/agents's statement, run as the owner: every workspace's
            // tasks count. An agent registered between the two reads shows `-` throughout.
            let stats: HashMap<String, Agent> = crate::db::query_as::<Agent>(sql::AGENT_STATS)
                .bind(STATS_WINDOW_SECS)
                .fetch_all(&pool)
                .await?
                .into_iter()
                .map(|a| (a.name.clone(), a))
                .collect();
            for a in agents {
                let state = if a.enabled { "enabled" } else { "disabled" };
                println!(
                    "{}\t{}\t{state}\t{}",
                    a.name,
                    a.url,
                    figures(stats.get(&a.name))
                );
            }
            Ok(())
        }
        Command::Enable { name, db } => set_enabled(&name, true, db).await,
        Command::Disable { name, db } => set_enabled(&name, false, db).await,
        Command::Remove { name, db } => {
            let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
            let gone: Option<(String, bool)> = crate::db::query_as(sql::AGENT_DELETE)
                .bind(&name)
                .fetch_optional(&pool)
                .await?;
            if gone.is_none() {
                return Err(not_registered(&pool, &name).await);
            }
            println!(
                "removed agent {name}; its tasks wait (TASK_004) until an agent of that name is registered"
            );
            Ok(())
        }
    }
}

/// `--rate`: a number of calls a second, above 0.
fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(r),
        _ => Err(format!(
            "{s:?} is not a rate above 0 (calls a second, e.g. 5 or 0.5)"
        )),
    }
}

/// The window of the list's figures, as GET /api/agents's: 15 minutes.
const STATS_WINDOW_SECS: f64 = 15.0 * 60.0;

/// The list's columns after name, URL and state: breaker, in flight, max concurrency, success
/// rate, p50 and p95 (ms) and the last error, tab-separated; `-` for none.
fn figures(stats: Option<&Agent>) -> String {
    let Some(a) = stats else {
        return ["-"; 7].join("\t");
    };
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    [
        breaker_name(a.breaker.0.state).to_owned(),
        a.in_flight.to_string(),
        or_dash(a.max_concurrency.map(|n| n.to_string())),
        or_dash(a.success_rate.map(|r| format!("{r:.2}"))),
        or_dash(a.p50_ms.map(|ms| ms.to_string())),
        or_dash(a.p95_ms.map(|ms| ms.to_string())),
        or_dash(a.last_error.as_deref().map(super::tasks::one_line)),
    ]
    .join("\t")
}

fn breaker_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

async fn set_enabled(name: &str, enabled: bool, db: DbArgs) -> Result<()> {
    let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
    let row: Option<(String, String, bool, bool)> = crate::db::query_as(sql::AGENT_SET_ENABLED)
        .bind(name)
        .bind(enabled)
        .fetch_optional(&pool)
        .await?;
    let Some((name, url, enabled, _)) = row else {
        return Err(not_registered(&pool, name).await);
    };
    let state = if enabled { "enabled" } else { "disabled" };
    println!("agent {name} -> {url} is {state}");
    Ok(())
}

/// The error for a name the registry lacks, naming the names it has.
async fn not_registered(pool: &sqlx::PgPool, name: &str) -> anyhow::Error {
    let names: Vec<String> = match crate::db::query_as::<AgentEndpoint>(sql::AGENT_LIST)
        .fetch_all(pool)
        .await
    {
        Ok(agents) => agents.into_iter().map(|a| a.name).collect(),
        Err(e) => return e.into(),
    };
    if names.is_empty() {
        anyhow::anyhow!(
            "agent {name:?} is not registered (no agent is; see `taskfleet agents register --help`)"
        )
    } else {
        anyhow::anyhow!(
            "agent {name:?} is not registered (registered: {})",
            names.join(", ")
        )
    }
}

fn check_name(name: &str) -> Result<()> {
    crate::agents::name::check(name).map_err(|rule| anyhow::anyhow!("agent name {name:?}: {rule}"))
}

fn check_url(url: &str) -> Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => bail!("agent URL {url:?} must be an http:// or https:// URL with a host"),
    }
}
