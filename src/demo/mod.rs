//! `taskfleet demo`: the whole system in one command. A database (yours, or a private throwaway
//! one), simulated agents, the API and a fleet of workers in this process; a sample strategy is
//! decomposed through the HTTP API and run to completion with live progress, then summarized.
//! Built on the modules above; the CLI runs it, and `bench` reuses [`postgres`] and [`sim`].

pub mod postgres;
pub mod progress;
pub mod sim;
mod summary;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::agents::http::HttpAgents;
use crate::config::{ApiArgs, ExecArgs};
use crate::db::{self, sql};
use crate::decompose::Agent;
use crate::worker::{self, WorkerConfig, sweeps::SweepConfig};
use postgres::EmbeddedPostgres;
use progress::Progress;

const SAMPLE_STRATEGY: &str = include_str!("sample_strategy.json");

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Use this database instead of a private throwaway one.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Worker loops to run (each claims on its own, as separate pods would).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub workers: u32,
    /// Slots per worker.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub concurrency: u32,
    /// Your own strategy: a JSON file shaped like the body of POST /api/strategies, without
    /// workspace_id.
    #[arg(long)]
    pub strategy: Option<PathBuf>,
    /// Apply the Australia/Sydney time-of-day rules (off by default, so the demo finishes now).
    #[arg(long)]
    pub business_hours: bool,
    /// Share of simulated agent calls that fail with 503 (and are retried).
    #[arg(long, default_value_t = 0.15)]
    pub failure_rate: f64,
    /// Typical simulated agent latency in milliseconds.
    #[arg(long, default_value_t = 300)]
    pub latency_ms: u64,
    /// Leave the API running at the end and print a ready-to-paste curl command.
    #[arg(long)]
    pub keep_running: bool,
}

pub async fn run(args: DemoArgs, interrupt: impl std::future::Future<Output = ()>) -> Result<()> {
    if !(0.0..=1.0).contains(&args.failure_rate) {
        bail!("--failure-rate must be between 0 and 1");
    }
    let strategy = load_strategy(&args)?;
    let started = Instant::now();
    let (url, embedded) = match &args.database_url {
        Some(url) => (db::database_url(Some(url.clone()))?, None),
        None => {
            say("starting a private PostgreSQL (no DATABASE_URL given)…");
            let pg = tokio::task::spawn_blocking(EmbeddedPostgres::start).await??;
            say(&format!(
                "  data directory {}, removed on exit",
                pg.dir().display()
            ));
            (pg.url.clone(), Some(pg))
        }
    };
    tokio::pin!(interrupt);
    let result = tokio::select! {
        r = run_on(&args, &url, strategy, started) => r,
        _ = &mut interrupt => Err(anyhow!("interrupted; stopped the demo and cleaned up")),
    };
    drop(embedded); // stops and removes the private PostgreSQL, whatever happened
    result
}

async fn run_on(args: &DemoArgs, url: &str, strategy: Value, started: Instant) -> Result<()> {
    let pool = connect_with_retry(url).await?;
    db::migrate::run(&pool).await?;
    let (workspace,): (Uuid,) = crate::db::query_as(sql::WORKSPACE_CREATE)
        .bind(format!(
            "Demo {}",
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S")
        ))
        .bind(None::<String>)
        .fetch_one(&pool)
        .await?;
    let agent_secret = Uuid::new_v4().to_string();
    let jwt_secret = Uuid::new_v4().to_string();

    let sim_addr = sim::start(
        "127.0.0.1:0".parse()?,
        &agent_secret,
        sim::SimConfig {
            latency: Duration::from_millis(args.latency_ms),
            failure_rate: args.failure_rate,
        },
    )
    .await?;
    for agent in Agent::ALL {
        crate::db::query(sql::AGENT_UPSERT)
            .bind(agent.name())
            .bind(format!("http://{sim_addr}/{}", agent.name()))
            .bind(true)
            .execute(&pool)
            .await?;
    }
    say(&format!(
        "simulated agents on http://{sim_addr} (failure rate {:.0} %)",
        args.failure_rate * 100.0
    ));

    let exec = exec_args(args, &agent_secret);
    let stop = CancellationToken::new();
    let api_addr = start_api(&pool, &exec, &jwt_secret, stop.clone()).await?;
    say(&format!("API on http://{api_addr}"));
    let workers = start_workers(url, args, &exec, stop.clone()).await?;
    say(&format!(
        "{} workers × {} slots started",
        args.workers, args.concurrency
    ));

    let token = crate::auth::mint_api_token(&jwt_secret, "demo", &[workspace], 24 * 3600)?;
    let client = Client::new(api_addr, &token)?;
    let mut body = strategy;
    body["workspace_id"] = json!(workspace);
    let created = client.post("/api/strategies", &body).await?;
    let strategy_id = created["strategy_id"].clone();
    let plan = client
        .post(
            "/api/tasks/decompose",
            &json!({"strategy_id": strategy_id, "workspace_id": workspace}),
        )
        .await?;
    say(&format!(
        "decomposed the strategy into {} tasks over {} phases (plan: {} days)\n",
        plan["tasks_created"],
        plan["execution_plan"]["phases"]
            .as_array()
            .map_or(0, Vec::len),
        plan["execution_plan"]["estimated_duration_days"]
    ));

    let run_started = Instant::now();
    let mut progress = Progress::new(workspace);
    loop {
        let phases = progress.refresh(&pool).await?;
        let open: i64 = phases
            .iter()
            .map(|p| p.queued + p.retrying + p.running)
            .sum();
        if open == 0 && !phases.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let elapsed = run_started.elapsed();
    let outcome = summary::print(&pool, workspace, elapsed, started.elapsed()).await;

    if args.keep_running {
        println!(
            "\nThe API keeps running. Try:\n\n  curl -s -H 'Authorization: Bearer {token}' \\\n    'http://{api_addr}/api/tasks/status?workspace_id={workspace}&limit=5'\n\nCtrl-C to stop."
        );
        crate::signal::shutdown().await;
    }
    stop.cancel();
    for w in workers {
        let _ = w.await;
    }
    outcome
}

fn load_strategy(args: &DemoArgs) -> Result<Value> {
    let text = match &args.strategy {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --strategy {}", path.display()))?,
        None => SAMPLE_STRATEGY.to_string(),
    };
    let value: Value = serde_json::from_str(&text).context("--strategy is not valid JSON")?;
    if !value.is_object() {
        bail!("--strategy must hold a JSON object like the body of POST /api/strategies");
    }
    Ok(value)
}

/// A just-started server may refuse queries for a moment ("the database system is starting up").
async fn connect_with_retry(url: &str) -> Result<PgPool> {
    let mut last = None;
    for _ in 0..50 {
        match db::connect(url, 10).await {
            Ok(pool) => return Ok(pool),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.unwrap_or_else(|| anyhow!("cannot connect")))
}

fn exec_args(args: &DemoArgs, agent_secret: &str) -> ExecArgs {
    ExecArgs {
        task_timeout_secs: 30,
        // Short backoff so retries are visible within the demo: 0.5 s, 1 s, 2 s.
        backoff_base_ms: 250,
        agent_retry_secs: 5,
        agent_secret: Some(agent_secret.to_string()),
        timezone: "Australia/Sydney".into(),
        business_hours: if args.business_hours { "on" } else { "off" }.into(),
    }
}

async fn start_api(
    pool: &PgPool,
    exec: &ExecArgs,
    jwt_secret: &str,
    stop: CancellationToken,
) -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    drop(listener);
    let api = ApiArgs {
        exec: exec.clone(),
        api_addr: addr,
        jwt_secret: Some(jwt_secret.to_string()),
        limits: Default::default(),
    };
    let state = crate::api::AppState::new(pool.clone(), &api, jwt_secret)?;
    tokio::spawn(async move {
        if let Err(e) = crate::api::serve(addr, state, async move { stop.cancelled().await }).await
        {
            tracing::error!(error = %e, "demo API stopped");
        }
    });
    // Wait until it answers.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(addr);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("the demo API did not start on {addr}")
}

async fn start_workers(
    url: &str,
    args: &DemoArgs,
    exec: &ExecArgs,
    stop: CancellationToken,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut handles = Vec::new();
    for n in 1..=args.workers {
        let lease = Duration::from_secs(10);
        let mut cfg: WorkerConfig =
            exec.to_config(format!("demo-worker-{n}"), args.concurrency as usize, lease);
        cfg.shutdown_grace = Duration::from_secs(2);
        cfg.sweeps = Some(SweepConfig::parse(
            &SweepConfig::default_reaper_cron(lease),
            "*/15 * * * * *",
            "0 30 3 * * *",
            cfg.time.default_zone,
            Duration::from_secs(300),
            30,
        )?);
        // Each worker has its own pool and LISTEN connection, as separate pods would.
        let pool = db::connect(url, 4).await?;
        let agents = Arc::new(HttpAgents::new(
            exec.agent_secret.as_deref().unwrap_or_default(),
            cfg.task_timeout,
            cfg.concurrency,
        )?);
        let stop = stop.clone();
        handles.push(tokio::spawn(async move {
            let ready = Arc::new(AtomicBool::new(false));
            if let Err(e) = worker::run(
                pool,
                cfg,
                agents,
                async move { stop.cancelled().await },
                ready,
            )
            .await
            {
                tracing::error!(error = %e, "demo worker stopped");
            }
        }));
    }
    Ok(handles)
}

fn say(line: &str) {
    println!("{line}");
}

/// The demo's HTTP client of its own API.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn new(addr: SocketAddr, token: &str) -> Result<Self> {
        crate::install_crypto_provider();
        Ok(Self {
            http: reqwest::Client::builder().build()?,
            base: format!("http://{addr}"),
            token: token.to_string(),
        })
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = response.status();
        let value: Value = response.json().await?;
        if !status.is_success() {
            bail!(
                "POST {path} answered {status}: {}",
                value["error"]["message"].as_str().unwrap_or("?")
            );
        }
        Ok(value)
    }
}
