//! `taskfleet demo`: the whole system in one command. A throwaway database (on the server of
//! `DATABASE_URL`, or on a private PostgreSQL started for the run), simulated agents, the API and a
//! fleet of workers in this process; a sample strategy is decomposed through the HTTP API and run
//! to completion with live progress, then summarized. On exit (success, error, Ctrl-C) the workers
//! and the API stop, every pool closes, and the database is dropped (the private server stopped):
//! the database `DATABASE_URL` names is never written to. Built on the modules above; the CLI runs
//! it, and `bench` reuses [`postgres`] and [`sim`].

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
use futures_util::FutureExt;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::agents::http::HttpAgents;
use crate::config::{ApiArgs, ExecArgs};
use crate::db::scratch::{ScratchDatabase, redact_password};
use crate::db::{self, sql};
use crate::decompose::Agent;
use crate::worker::{self, WorkerConfig, sweeps::SweepConfig};
use postgres::EmbeddedPostgres;
use progress::{Progress, say};

const SAMPLE_STRATEGY: &str = include_str!("sample_strategy.json");

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Run on this server instead of a private one: in a throwaway database of the demo's own,
    /// dropped on exit (the database the URL names is not written to; its user needs CREATEDB).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The `taskfleet_api` login's password on that server, when it asks for one (the demo's
    /// API logs in as that role for tenant transactions, as `taskfleet api` does).
    #[arg(long, env = "TASKFLEET_API_DB_PASSWORD", hide_env_values = true)]
    pub api_db_password: Option<String>,
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
    /// Leave the API running at the end and print a ready-to-paste curl command, the database's
    /// URL and the JWT secret; Ctrl-C then stops it (and drops the database).
    #[arg(long)]
    pub keep_running: bool,
}

pub async fn run(
    args: DemoArgs,
    interrupt: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    if !(0.0..=1.0).contains(&args.failure_rate) {
        bail!("--failure-rate must be between 0 and 1");
    }
    let strategy = load_strategy(&args)?;
    let started = Instant::now();
    let interrupted = watch(interrupt);
    let embedded = match &args.database_url {
        Some(_) => None,
        None => {
            say("starting a private PostgreSQL (no DATABASE_URL given)…");
            let pg = tokio::task::spawn_blocking(EmbeddedPostgres::start).await??;
            say(&format!(
                "  data directory {}, removed on exit",
                pg.dir().display()
            ));
            Some(pg)
        }
    };
    let server = match (&args.database_url, &embedded) {
        (Some(url), _) => db::database_url(Some(url.clone())).map(|url| {
            let note = "DATABASE_URL's server; the database the URL names is not written to";
            (url, Some(note))
        }),
        (None, Some(pg)) => wait_until_answers(&pg.url, &interrupted)
            .await
            .map(|()| (pg.url.clone(), None)),
        (None, None) => unreachable!("embedded is set when no URL is"),
    };
    let result = match server {
        Ok((url, note)) => on_server(&args, &url, note, strategy, started, &interrupted).await,
        Err(e) => Err(e),
    };
    drop(embedded); // stops and removes the private PostgreSQL, whatever happened
    result
}

/// A token cancelled when `interrupt` resolves. `interrupt` is polled once at once: a signal
/// future installs its handlers on its first poll, and from then on Ctrl-C is the demo's to handle
/// (cleanly) instead of ending the process wherever it is.
fn watch(interrupt: impl Future<Output = ()> + Send + 'static) -> CancellationToken {
    let token = CancellationToken::new();
    let mut interrupt = Box::pin(interrupt);
    if interrupt.as_mut().now_or_never().is_some() {
        token.cancel();
    } else {
        let token = token.clone();
        tokio::spawn(async move {
            interrupt.await;
            token.cancel();
        });
    }
    token
}

fn interrupted_error() -> anyhow::Error {
    anyhow!("interrupted; stopped the demo and cleaned up")
}

/// A just-started server may refuse queries for a moment ("the database system is starting up").
async fn wait_until_answers(url: &str, interrupted: &CancellationToken) -> Result<()> {
    let mut last = None;
    for _ in 0..50 {
        if interrupted.is_cancelled() {
            return Err(interrupted_error());
        }
        match db::connect(url, 1).await {
            Ok(pool) => {
                pool.close().await;
                return Ok(());
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.unwrap_or_else(|| anyhow!("cannot connect")))
}

/// Runs the demo in a throwaway database of its own on the server of `server_url`, and drops it
/// afterwards (after an error or an interrupt too). The database `server_url` names is only
/// connected to, to create and drop that one.
async fn on_server(
    args: &DemoArgs,
    server_url: &str,
    server_note: Option<&str>,
    strategy: Value,
    started: Instant,
    interrupted: &CancellationToken,
) -> Result<()> {
    if interrupted.is_cancelled() {
        return Err(interrupted_error());
    }
    let scratch = ScratchDatabase::create(server_url, "taskfleet_demo").await?;
    say(&format!(
        "using a throwaway database, dropped on exit: {} on {}",
        scratch.name(),
        scratch.server()
    ));
    if let Some(note) = server_note {
        say(&format!("  ({note})"));
    }
    let outcome = run_in(args, &scratch, strategy, started, interrupted).await;
    let name = scratch.name().to_string();
    let dropped = scratch.drop().await;
    if dropped.is_ok() {
        say(&format!("dropped the throwaway database {name}"));
    }
    match (outcome, dropped) {
        (Ok(()), dropped) => dropped,
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(dropping)) => {
            tracing::error!(error = %format!("{dropping:#}"), "cleaning up after the error below failed too");
            Err(e)
        }
    }
}

/// The demo on its database: everything it starts is stopped, and every pool closed, before it
/// returns, so the database can be dropped (and the private server stopped) with no connection
/// left to terminate.
async fn run_in(
    args: &DemoArgs,
    scratch: &ScratchDatabase,
    strategy: Value,
    started: Instant,
    interrupted: &CancellationToken,
) -> Result<()> {
    let pool = db::connect(scratch.url(), 10).await?;
    let mut fleet = Fleet::default();
    let ran = tokio::select! {
        r = drive(args, scratch, &pool, &mut fleet, strategy, started) => r,
        _ = interrupted.cancelled() => Err(interrupted_error()),
    };
    let outcome = match ran {
        Ok(done) => {
            if args.keep_running && !interrupted.is_cancelled() {
                done.print_keep_running(scratch);
                interrupted.cancelled().await;
                say("\nstopping…");
            }
            done.outcome
        }
        Err(e) => Err(e),
    };
    fleet.stop().await;
    close(pool).await;
    outcome
}

/// What [`drive`] leaves for `--keep-running`.
struct Finished {
    /// The summary's verdict.
    outcome: Result<()>,
    api_addr: SocketAddr,
    token: String,
    jwt_secret: String,
    workspace: Uuid,
}

impl Finished {
    fn print_keep_running(&self, scratch: &ScratchDatabase) {
        let Self {
            api_addr,
            token,
            jwt_secret,
            workspace,
            ..
        } = self;
        say(&format!(
            "\nThe API keeps running on http://{api_addr}. Try:\n\n  curl -s -H 'Authorization: Bearer {token}' \\\n    'http://{api_addr}/api/tasks/status?workspace_id={workspace}&limit=5'\n"
        ));
        // The token rides in the fragment, which the browser keeps to itself (README "Dashboard").
        say(&format!(
            "Or look around in the dashboard:\n\n  http://{api_addr}/ui/?workspace={workspace}#token={token}\n"
        ));
        say(&format!("  database    {}", redact_password(scratch.url())));
        say(&format!("  JWT secret  {jwt_secret}"));
        say(&format!(
            "  a token     TASKFLEET_JWT_SECRET={jwt_secret} taskfleet token --sub you --workspace {workspace}"
        ));
        say("\nCtrl-C to stop (the database is dropped then).");
    }
}

/// What the demo started and must stop: the API, the workers and their pools.
#[derive(Default)]
struct Fleet {
    stop: CancellationToken,
    api: Option<tokio::task::JoinHandle<()>>,
    workers: Vec<(tokio::task::JoinHandle<()>, PgPool)>,
}

impl Fleet {
    /// Stops the workers (each drains for up to its grace period) and the API, and closes the
    /// workers' pools.
    async fn stop(self) {
        self.stop.cancel();
        for (worker, pool) in self.workers {
            let _ = worker.await;
            close(pool).await;
        }
        if let Some(api) = self.api {
            // Graceful: requests in flight finish, idle connections close.
            if tokio::time::timeout(Duration::from_secs(5), api)
                .await
                .is_err()
            {
                tracing::warn!("the demo API did not stop within 5 s");
            }
        }
    }
}

/// Closes `pool`: waits until every connection is back and closed (a task still holding one
/// for over 10 s is left to the database's drop).
async fn close(pool: PgPool) {
    if tokio::time::timeout(Duration::from_secs(10), pool.close())
        .await
        .is_err()
    {
        tracing::warn!("a demo connection was still in use 10 s after the stop");
    }
}

async fn drive(
    args: &DemoArgs,
    scratch: &ScratchDatabase,
    pool: &PgPool,
    fleet: &mut Fleet,
    strategy: Value,
    started: Instant,
) -> Result<Finished> {
    db::migrate::run(pool).await?;
    let (workspace,): (Uuid,) = crate::db::query_as(sql::WORKSPACE_CREATE)
        .bind(format!(
            "Demo {}",
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S")
        ))
        .bind(None::<String>)
        .fetch_one(pool)
        .await?;
    let agent_secret = Uuid::new_v4().to_string();
    let jwt_secret = Uuid::new_v4().to_string();

    let sim_addr = sim::start(
        "127.0.0.1:0".parse()?,
        &agent_secret,
        sim::SimConfig {
            latency: Duration::from_millis(args.latency_ms),
            failure_rate: args.failure_rate,
            ..Default::default()
        },
    )
    .await?;
    // The registry of the demo's own database: the simulated agents.
    for agent in Agent::ALL {
        crate::db::query(sql::AGENT_UPSERT)
            .bind(agent.name())
            .bind(format!("http://{sim_addr}/{}", agent.name()))
            .bind(true)
            .bind(None::<i32>)
            .bind(None::<f64>)
            .execute(pool)
            .await?;
    }
    say(&format!(
        "simulated agents on http://{sim_addr} (failure rate {:.0} %)",
        args.failure_rate * 100.0
    ));

    let exec = exec_args(args, &agent_secret);
    let api_addr = start_api(
        pool,
        &exec,
        &jwt_secret,
        args.api_db_password.clone(),
        fleet,
    )
    .await?;
    say(&format!("API on http://{api_addr}"));
    start_workers(scratch.url(), args, &exec, fleet).await?;
    say(&format!(
        "{} workers × {} slots started",
        args.workers, args.concurrency
    ));

    let token = crate::auth::mint_api_token(
        &jwt_secret,
        "demo",
        &[workspace],
        crate::auth::DEFAULT_MAX_TTL_SECS,
    )?;
    let client = Client::new(api_addr, &token)?;
    if args.keep_running {
        // Early, so the strategy can be watched while it runs (with --latency-ms it runs slower).
        say(&format!(
            "watch it in the dashboard: http://{api_addr}/ui/?workspace={workspace}#token={token}"
        ));
    }
    let mut body = strategy;
    body["workspace_id"] = json!(workspace);
    let created = client.post("/api/strategies", &body).await?;
    let strategy_id = created["strategy_id"].clone();
    let plan = client
        .post(
            "/api/tasks/decompose",
            // Approval gates: each phase's content waits for a person before its email goes out.
            &json!({"strategy_id": strategy_id, "workspace_id": workspace,
                    "content_approval": true}),
        )
        .await?;
    say(&format!(
        "decomposed the strategy into {} tasks over {} phases (plan: {} days)",
        plan["tasks_created"],
        plan["execution_plan"]["phases"]
            .as_array()
            .map_or(0, Vec::len),
        plan["execution_plan"]["estimated_duration_days"]
    ));

    schedule_digest(&client, workspace).await?;

    let run_started = Instant::now();
    let mut progress = Progress::new(workspace);
    loop {
        approve_waiting(&client, workspace).await?;
        let phases = progress.refresh(pool).await?;
        let open: i64 = phases
            .iter()
            .map(|p| p.queued + p.retrying + p.running)
            .sum();
        if open == 0 && !phases.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    progress.finish();
    let outcome = summary::print(
        pool,
        &summary::Context {
            workspace,
            database: scratch.name(),
            keep_running: args.keep_running,
            run: run_started.elapsed(),
            total: started.elapsed(),
        },
    )
    .await;
    Ok(Finished {
        outcome,
        api_addr,
        token,
        jwt_secret,
        workspace,
    })
}

/// Stands in for the person who reviews content before its email goes out (README, "Approval
/// gates"): approves each result waiting in the workspace's approval queue through the API. The
/// event log prints the `task.approved` line.
async fn approve_waiting(client: &Client, workspace: Uuid) -> Result<()> {
    let queue = client
        .get(&format!("/api/approvals?workspace_id={workspace}"))
        .await?;
    for waiting in queue["approvals"].as_array().into_iter().flatten() {
        let path = format!(
            "/api/tasks/{}/approve",
            waiting["id"].as_str().unwrap_or_default()
        );
        let comment = "auto-approved by the demo; a person reviews the draft with POST /api/tasks/{id}/approve";
        client.post(&path, &json!({ "comment": comment })).await?;
    }
    Ok(())
}

/// The specification's "execute at 9am AEST" as a recurring template (README, "Recurring
/// templates"): created through the API like any client would, with its next run printed in
/// Sydney time. Its first task comes at the next 09:00 there, after the demo has ended.
async fn schedule_digest(client: &Client, workspace: Uuid) -> Result<()> {
    let created = client
        .post(
            "/api/templates",
            &json!({
                "workspace_id": workspace,
                "name": "Morning digest",
                "cron": "0 0 9 * * *",
                "timezone": "Australia/Sydney",
                "task": {"task_description": "Send the morning performance digest",
                         "task_type": "email", "assigned_agent": "email-agent"},
            }),
        )
        .await?;
    let template = &created["template"];
    let zone = chrono_tz::Australia::Sydney;
    let now = chrono::Utc::now();
    let next = crate::templates::model::check_cron("0 0 9 * * *", zone, now)
        .ok()
        .and_then(|schedule| crate::templates::tick::next_after(&schedule, zone, now));
    if let Some(next) = next {
        say(&format!(
            "recurring template {} ({} {}): next task at {}\n",
            template["name"],
            template["cron"].as_str().unwrap_or_default(),
            template["timezone"].as_str().unwrap_or_default(),
            next.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z")
        ));
    }
    Ok(())
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

fn exec_args(args: &DemoArgs, agent_secret: &str) -> ExecArgs {
    ExecArgs {
        task_timeout_secs: 30,
        // Short backoff so retries are visible within the demo: 0.5 s, 1 s, 2 s.
        backoff_base_ms: 250,
        agent_retry_secs: 5,
        agent_secret: Some(agent_secret.to_string()),
        // The demo narrates from the audit trail: every start too, as TASKFLEET_AUDIT=full.
        audit: crate::audit::AuditMode::Full,
        timezone: "Australia/Sydney".into(),
        business_hours: if args.business_hours { "on" } else { "off" }.into(),
        approval_remind_secs: 3600,
        claim_order: crate::queue::ClaimOrder::Fair,
        breaker_failures: 5,
        breaker_failure_rate: 0.5,
        breaker_cooldown_secs: 10,
        breaker_max_cooldown_secs: 300,
        alerts: crate::config::AlertArgs::default(),
    }
}

async fn start_api(
    pool: &PgPool,
    exec: &ExecArgs,
    jwt_secret: &str,
    api_db_password: Option<String>,
    fleet: &mut Fleet,
) -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    drop(listener);
    let api = ApiArgs {
        exec: exec.clone(),
        api_addr: addr,
        jwt_secret: Some(jwt_secret.to_string()),
        api_db_password,
        token_lifetime: crate::config::TokenLifetimeArgs {
            jwt_max_ttl_secs: crate::auth::DEFAULT_MAX_TTL_SECS,
        },
        limits: Default::default(),
    };
    let state = crate::api::AppState::new(pool.clone(), &api, jwt_secret)?;
    let stop = fleet.stop.clone();
    fleet.api = Some(tokio::spawn(async move {
        if let Err(e) = crate::api::serve(addr, state, async move { stop.cancelled().await }).await
        {
            tracing::error!(error = %e, "demo API stopped");
        }
    }));
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
    fleet: &mut Fleet,
) -> Result<()> {
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
        let agents = Arc::new(HttpAgents::new(
            exec.agent_secret.as_deref().unwrap_or_default(),
            cfg.task_timeout,
            cfg.concurrency,
        )?);
        // Each worker has its own pool and LISTEN connection, as separate pods would.
        let pool = db::connect(url, 4).await?;
        let stop = fleet.stop.clone();
        let worker_pool = pool.clone();
        let handle = tokio::spawn(async move {
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
        });
        fleet.workers.push((handle, worker_pool));
    }
    Ok(())
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
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send("POST", path, request).await
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send("GET", path, request).await
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value> {
        let response = request.bearer_auth(&self.token).send().await?;
        let status = response.status();
        let value: Value = response.json().await?;
        if !status.is_success() {
            bail!(
                "{method} {path} answered {status}: {}",
                value["error"]["message"].as_str().unwrap_or("?")
            );
        }
        Ok(value)
    }
}
