//! The `taskfleet` subcommands: clap types here, one file per subcommand.

mod agents;
mod api;
mod demo;
mod migrate;
mod tasks;
mod templates;
mod token;
mod worker;
mod workspaces;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "taskfleet",
    version,
    about = "Postgres-native task orchestrator"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations/ (idempotent; safe to run from two pods at once).
    #[command(
        after_help = "Example:\n  DATABASE_URL=postgres://taskfleet@db/taskfleet taskfleet migrate"
    )]
    Migrate(migrate::Args),
    /// Serve the HTTP API on TASKFLEET_API_ADDR.
    #[command(
        after_help = "Example:\n  TASKFLEET_JWT_SECRET=... TASKFLEET_AGENT_SECRET=... \
                            TASKFLEET_API_ADDR=0.0.0.0:8080 taskfleet api"
    )]
    Api(api::Args),
    /// Run one stateless worker until SIGTERM/SIGINT, then drain.
    #[command(
        after_help = "Example:\n  TASKFLEET_AGENT_SECRET=... TASKFLEET_METRICS_ADDR=0.0.0.0:9090 \
                            taskfleet worker --concurrency 10"
    )]
    Worker(worker::Args),
    /// Run the whole system on a sample strategy, with live progress (no setup needed).
    #[command(after_help = "Examples:\n  taskfleet demo\n  \
                            DATABASE_URL=postgres://postgres@localhost/postgres taskfleet demo --keep-running")]
    Demo(crate::demo::DemoArgs),
    /// Simulated downstream agents (the ones the demo uses).
    #[command(
        after_help = "Example:\n  TASKFLEET_AGENT_SECRET=... taskfleet agents-sim --addr 127.0.0.1:9000 --failure-rate 0"
    )]
    AgentsSim(demo::SimArgs),
    /// Benchmark the queue: enqueue, process, one JSON line per run.
    #[command(
        after_help = "Example:\n  taskfleet bench --tasks 100000 --workers 4 --concurrency 50 --deps chain"
    )]
    Bench(crate::bench::BenchArgs),
    /// One benchmark worker process (started by `bench --processes`).
    #[command(hide = true)]
    BenchWorker(crate::bench::BenchWorkerArgs),
    /// Manage the agent registry.
    #[command(subcommand)]
    Agents(agents::Command),
    /// Manage workspaces (tenants).
    #[command(subcommand)]
    Workspaces(workspaces::Command),
    /// Inspect, cancel and retry a workspace's tasks.
    #[command(subcommand)]
    Tasks(tasks::Command),
    /// List and create recurring task templates.
    #[command(subcommand)]
    Templates(templates::Command),
    /// Print an API bearer token signed with TASKFLEET_JWT_SECRET.
    #[command(
        after_help = "Example:\n  TOKEN=$(taskfleet token --sub alice --workspace \"$WS\" --ttl-secs 600)"
    )]
    Token(token::Args),
    /// Print the API's OpenAPI 3.1 document (what GET /api/openapi.json serves).
    #[command(after_help = "Example:\n  taskfleet openapi > docs/openapi.json")]
    Openapi,
}

/// Parses the command line. Help and version print and exit 0; a bad flag prints clap's first
/// line (what is wrong) plus a pointer to --help, and exits 2.
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        use clap::error::ErrorKind;
        match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                ExitCode::SUCCESS
            }
            _ => {
                let rendered = e.render().to_string();
                let first = rendered
                    .lines()
                    .next()
                    .unwrap_or("error: invalid arguments");
                // An invalid value names the valid ones, still on the one line.
                let valid = rendered
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with("[possible values:"))
                    .map(|l| format!(" {l}"))
                    .unwrap_or_default();
                eprintln!("{first}{valid} (see --help)");
                ExitCode::from(2)
            }
        }
    })
}

impl Cli {
    /// Threads of the async runtime: `Some(n)` for a worker process (1 = a current-thread
    /// runtime), None for the rest (one thread per core).
    pub fn runtime_threads(&self) -> Option<usize> {
        match &self.command {
            Command::Worker(args) => Some(args.threads()),
            Command::BenchWorker(_) => Some(1),
            _ => None,
        }
    }

    /// The demo draws progress on the terminal: only warnings interleave with it by default.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            // The demo narrates every attempt from the audit trail; the workers' per-attempt
            // `Task executed` warnings would only break up its progress display.
            Command::Demo(_) => "warn,taskfleet::executed=error",
            _ => "info",
        }
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Migrate(args) => migrate::run(args).await,
        Command::Api(args) => api::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Bench(args) => crate::bench::run(args).await,
        Command::BenchWorker(args) => crate::bench::run_worker(args).await,
        Command::AgentsSim(args) => demo::agents_sim(args).await,
        Command::Worker(args) => worker::run(args).await,
        Command::Agents(cmd) => agents::run(cmd).await,
        Command::Workspaces(cmd) => workspaces::run(cmd).await,
        Command::Tasks(cmd) => tasks::run(cmd).await,
        Command::Templates(cmd) => templates::run(cmd).await,
        Command::Token(args) => token::run(args),
        Command::Openapi => {
            print!("{}", crate::api::openapi::json());
            Ok(())
        }
    }
}

/// The one line an error prints as (after `error: `): the causes' messages joined by `: `, as
/// `{:#}` does, except that a PostgreSQL error is named once, by its message and SQLSTATE, without
/// the server's C source line that sqlx's Display appends, and with the fix when the schema is
/// missing or older than this binary.
pub fn error_line(e: &anyhow::Error) -> String {
    let db = e.chain().find_map(|c| {
        let sqlx_error = match c.downcast_ref::<crate::queue::Error>() {
            Some(crate::queue::Error::Db(inner)) => Some(inner),
            _ => c.downcast_ref::<sqlx::Error>(),
        };
        sqlx_error.and_then(sqlx::Error::as_database_error)
    });
    let Some(db) = db else {
        return format!("{e:#}").replace('\n', " ");
    };
    // The wrappers of the database error (sqlx::Error, queue::Error) and the error itself repeat
    // its message: keep only the context added above them.
    let mut parts: Vec<String> = e
        .chain()
        .map(ToString::to_string)
        .filter(|m| !m.contains(db.message()))
        .collect();
    let code = db.code().unwrap_or_default();
    let mut what = format!("database error: {} (SQLSTATE {code})", db.message());
    if matches!(code.as_ref(), "42P01" | "42883" | "42703") {
        what.push_str("; the schema is missing or older than this binary: run `taskfleet migrate`");
    }
    parts.push(what);
    parts.join(": ").replace('\n', " ")
}
