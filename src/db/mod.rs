//! Postgres access: connecting with actionable errors, migrations, and the `sql/` statements.
//!
//! Every statement the program runs comes from [`sql`] (one const per file in `sql/`) and goes
//! through [`query`], [`query_as`] or [`query_scalar`]. Task state changes only in `queue`;
//! the other callers read, or write rows that are not task state:
//!
//! * `api::store`, `api::tenancy`, `api::routes::health`: strategies, contacts, audit rows of
//!   non-task changes, the tenant scope, the health probe;
//! * `worker::background`, `worker::sweeps`: the agent registry, sweep ticks, queue gauges,
//!   retention deletes;
//! * `cli::agents`, `cli::workspaces`, `cli::tasks`: the registry and workspace commands, and the
//!   task commands' workspace check (their reads and transitions go through `queue`);
//! * `templates::store`: recurring task templates, and the one statement outside `queue` that
//!   creates tasks (`sql/template_instantiate.sql`: a template's task per tick, written as
//!   `sql/task_insert.sql` writes a task with no dependencies);
//! * `demo`, `bench`: their own databases, progress and summary reads.

pub mod citus;
pub mod migrate;
pub mod scratch;
pub mod sql;

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{ConnectOptions, FromRow, Postgres};

/// SQLSTATE codes the program reacts to.
pub const UNIQUE_VIOLATION: &str = "23505";
pub const DEADLOCK: &str = "40P01";
pub const SERIALIZATION_FAILURE: &str = "40001";

/// Whether `err` is a database error with SQLSTATE `code`.
pub fn has_sql_state(err: &sqlx::Error, code: &str) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|c| c == code)
}

/// The server could not be reached, went away, or cannot take writes now (read-only, shutting
/// down, out of connections): the same statement may succeed later, so a result is held and
/// written again rather than given up.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|c| {
            // 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now;
            // 53: insufficient resources; 25006: read-only transaction (a standby, or
            // default_transaction_read_only); 40001/40P01: serialization failure, deadlock.
            c.starts_with("08")
                || c.starts_with("57P0")
                || c.starts_with("53")
                || c == "25006"
                || c == SERIALIZATION_FAILURE
                || c == DEADLOCK
        }),
        _ => false,
    }
}

/// The data of one row cannot be stored (SQLSTATE class 22, data exception, e.g. a NUL
/// character in text or jsonb; or 54, a value over a program limit): writing it again will fail
/// again, and only that row should pay for it.
pub fn is_data_error(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|c| c.starts_with("22") || c.starts_with("54"))
}

/// Reads `DATABASE_URL`, with the fix in the message when it is missing.
pub fn database_url(value: Option<String>) -> Result<String> {
    match value {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(url),
        Some(url) if !url.trim().is_empty() => Err(anyhow!(
            "DATABASE_URL is not a valid postgres:// URL (it starts with {:?})",
            url.split("://").next().unwrap_or_default()
        )),
        _ => Err(anyhow!(
            "DATABASE_URL is not set: export DATABASE_URL=postgres://USER@HOST:5432/DB"
        )),
    }
}

/// The program's statements, always sent unnamed, so PostgreSQL plans each execution with its
/// actual parameters. Generic plans cannot see how many ids a batch array holds, nor drop the
/// optional filters (`$4 IS NULL OR ...`) a custom plan folds away: one scanned the whole table
/// per id for the dependents of a completed batch (1 s per batch at 30k rows). Planning costs a
/// fraction of a millisecond per statement. Named statements plus `plan_cache_mode =
/// force_custom_plan` would do the same for our statements, but the setting also re-plans the
/// foreign-key checks PostgreSQL runs for every inserted row, a third of the cost of an enqueue.
/// The one statement kept named is the workers' unfiltered claim (see `queue::claim`).
pub fn query(sql: &'static str) -> Query<'static, Postgres, PgArguments> {
    sqlx::query(sql).persistent(false)
}

/// [`query`], with rows mapped to `O`.
pub fn query_as<O>(sql: &'static str) -> QueryAs<'static, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_as(sql).persistent(false)
}

/// [`query`], with one column of one type per row.
pub fn query_scalar<O>(sql: &'static str) -> QueryScalar<'static, Postgres, O, PgArguments>
where
    (O,): for<'r> FromRow<'r, PgRow>,
{
    sqlx::query_scalar(sql).persistent(false)
}

/// Whether the database can do the work now (what `/readyz` of the API and of a worker say):
/// `Err` names why not, unreachable or read-only, within 2 s.
pub async fn check_ready(pool: &PgPool) -> Result<(), &'static str> {
    let probe = query_scalar::<bool>(sql::HEALTH_CHECK).fetch_one(pool);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(false)) => Ok(()),
        Ok(Ok(true)) => Err("database is read-only"),
        Ok(Err(e)) if has_sql_state(&e, "25006") => Err("database is read-only"),
        _ => Err("database unreachable"),
    }
}

/// The connection settings of `url`, with the session options every taskfleet connection uses.
pub fn connect_options(url: &str) -> Result<PgConnectOptions> {
    let options: PgConnectOptions = url
        .parse()
        .with_context(|| "DATABASE_URL is not a valid postgres:// URL".to_string())?;
    Ok(options
        .application_name("taskfleet")
        // The queue's hot rows live in shared buffers, where a random page costs about what a
        // sequential one does. With the default of 4 the planner preferred a sequential scan of
        // the whole task table to 500 primary-key lookups in a completion batch (11 ms → 0.5 ms
        // per batch measured at 50k rows); 1.1 is the usual setting for cached or SSD data.
        // No JIT: every statement here touches at most a batch of rows, but a generic plan of the
        // claim is costed past jit_above_cost, and compiling it took 50 ms of each 500-task claim
        // (75 ms against 23 ms planned without JIT).
        .options([("random_page_cost", "1.1"), ("jit", "off")])
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// One direct connection: a pool's error is "timed out", this one says why (connection refused,
/// unknown database, bad password).
async fn probe(options: &PgConnectOptions) -> Result<(), sqlx::Error> {
    match tokio::time::timeout(PROBE_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => {
            drop(conn);
            Ok(())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

fn target(options: &PgConnectOptions) -> String {
    format!(
        "{}:{} as {}",
        options.get_host(),
        options.get_port(),
        options.get_username()
    )
}

/// How long a caller waits for a pooled connection before its statement fails as unavailable.
#[derive(Debug, Clone, Copy)]
pub enum Acquire {
    /// Background work that retries anyway: ride out short outages.
    Patient,
    /// The API: answer 503 quickly rather than outwait the client and its load balancer.
    Prompt,
}

impl Acquire {
    fn timeout(self) -> Duration {
        match self {
            Acquire::Patient => Duration::from_secs(30),
            Acquire::Prompt => Duration::from_secs(3),
        }
    }
}

/// A pool of at most `max` connections that opens them when first needed.
pub fn lazy_pool(url: &str, max: u32, acquire: Acquire) -> Result<PgPool> {
    Ok(lazy_pool_with(connect_options(url)?, max, acquire))
}

/// [`lazy_pool`] with settings already parsed (another login to the same database, say).
pub fn lazy_pool_with(options: PgConnectOptions, max: u32, acquire: Acquire) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(acquire.timeout())
        .connect_lazy_with(options)
}

/// Opens a pool of at most `max` connections and checks the database answers, so a wrong host
/// fails at once with one line (for one-shot commands; services use [`wait_for_database`]).
pub async fn connect(url: &str, max: u32) -> Result<PgPool> {
    let options = connect_options(url)?;
    probe(&options).await.map_err(|e| match e {
        sqlx::Error::PoolTimedOut => anyhow!(
            "cannot connect to the database at {} (DATABASE_URL): no answer within {} s",
            target(&options),
            PROBE_TIMEOUT.as_secs()
        ),
        e => anyhow!(
            "cannot connect to the database at {} (DATABASE_URL): {e}",
            target(&options)
        ),
    })?;
    lazy_pool(url, max, Acquire::Patient)
}

/// For services (`worker`, `api`, `migrate`): waits until the database at `url` answers,
/// retrying with capped backoff and a log line per try while it is unreachable, starting up or
/// out of connections, so a pod started before its database does not crash-loop. Errors a retry
/// cannot fix (bad password, unknown database) end the wait at once. `Ok(false)` when `stop`
/// resolved first (SIGTERM while waiting).
pub async fn wait_for_database(
    options: &PgConnectOptions,
    stop: impl Future<Output = ()>,
) -> Result<bool> {
    let target = target(options);
    let mut delay = Duration::from_millis(500);
    let mut waited = false;
    tokio::pin!(stop);
    loop {
        match probe(options).await {
            Ok(()) => {
                if waited {
                    tracing::info!(%target, "database reachable");
                }
                return Ok(true);
            }
            Err(e) if is_unavailable(&e) => {
                tracing::warn!(%target, error = %e, retry_in_ms = delay.as_millis() as u64,
                    "database unavailable (DATABASE_URL); waiting for it");
                waited = true;
            }
            Err(e) => {
                return Err(anyhow!(
                    "cannot connect to the database at {target} (DATABASE_URL): {e}"
                ));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = &mut stop => return Ok(false),
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
