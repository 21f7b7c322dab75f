//! `taskfleet templates list|create --workspace ID`: recurring task templates from the shell.
//! `create` runs the API's own checks (`api::routes::templates::prepare`: the cron, the zone,
//! and the task body by POST /api/tasks's rules), so a template the API would refuse is refused
//! here with the same code and message. The CLI connects as the login role (no row-level
//! security), so `--workspace` is checked here (TASK_013).

use anyhow::{Context, Result, anyhow, bail};
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::error::ApiError;
use crate::api::extract::parse_object;
use crate::api::routes::templates::{CreateTemplate, created_entry, prepare};
use crate::api::store;
use crate::codes::Code;
use crate::config::DbArgs;
use crate::db::{self, sql};
use crate::templates::store as templates;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List a workspace's templates, oldest first: id, name, cron, time zone, enabled or
    /// disabled, catch_up_secs, last tick (or -), tab-separated.
    #[command(after_help = "Example:\n  taskfleet templates list --workspace \"$WS\"")]
    List {
        #[command(flatten)]
        scope: Scope,
    },
    /// Create a template; prints its id alone on stdout. Its first tick is the first after now.
    #[command(after_help = "Example (the specification's 09:00 Sydney job):\n  \
        taskfleet templates create --workspace \"$WS\" --name \"Morning digest\" \\\n    \
        --cron \"0 0 9 * * *\" --timezone Australia/Sydney \\\n    \
        --task '{\"task_description\": \"Send the morning digest\", \"task_type\": \"email\", \
        \"assigned_agent\": \"email-sender\"}'")]
    Create {
        #[command(flatten)]
        scope: Scope,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Cron expression, the `cron` crate's syntax: 6 or 7 fields, seconds first.
        #[arg(long)]
        cron: String,
        /// IANA zone the cron is read in (default: the workspace's, else TASKFLEET_TIMEZONE).
        #[arg(long)]
        timezone: Option<String>,
        /// The task each tick creates, as JSON (the POST /api/tasks body without
        /// workspace_id), or @FILE to read it from a file.
        #[arg(long, value_name = "JSON|@FILE")]
        task: String,
        /// A missed tick runs late only while younger than this (60..=2678400, default 3600).
        #[arg(long)]
        catch_up_secs: Option<i32>,
        /// Create it disabled (it creates no tasks).
        #[arg(long)]
        disabled: bool,
        /// The fleet's zone, used when neither --timezone nor the workspace sets one.
        #[arg(long, env = "TASKFLEET_TIMEZONE", default_value = "Australia/Sydney")]
        fleet_timezone: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct Scope {
    /// The workspace (`taskfleet workspaces list` shows them).
    #[arg(long, value_name = "ID")]
    workspace: Uuid,
    #[command(flatten)]
    db: DbArgs,
}

pub async fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::List { scope } => list(scope).await,
        Command::Create {
            scope,
            name,
            cron,
            timezone,
            task,
            catch_up_secs,
            disabled,
            fleet_timezone,
        } => {
            let body = json!({
                "workspace_id": scope.workspace,
                "name": name,
                "cron": cron,
                "timezone": timezone,
                "task": read_task(&task)?,
                "enabled": !disabled,
                "catch_up_secs": catch_up_secs,
            });
            create(scope, body, &fleet_timezone).await
        }
    }
}

async fn list(scope: Scope) -> Result<()> {
    let pool = db::connect(&db::database_url(scope.db.database_url)?, 1).await?;
    let mut conn = pool.acquire().await?;
    workspace_zone(&mut conn, scope.workspace).await?;
    for t in templates::list(&mut conn, scope.workspace).await? {
        // A name is free text: tabs and newlines would break the columns.
        let name = t.name.split_whitespace().collect::<Vec<_>>().join(" ");
        println!(
            "{}\t{name}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            t.cron,
            t.timezone,
            if t.enabled { "enabled" } else { "disabled" },
            t.catch_up_secs,
            t.last_tick
                .map_or_else(|| "-".to_owned(), |at| at.to_rfc3339()),
        );
    }
    Ok(())
}

async fn create(scope: Scope, body: Value, fleet_zone: &str) -> Result<()> {
    let bytes = serde_json::to_vec(&body)?;
    let body: CreateTemplate = parse_object(&bytes).map_err(refused)?;
    let pool = db::connect(&db::database_url(scope.db.database_url)?, 1).await?;
    let mut tx = pool.begin().await?;
    let zone = workspace_zone(&mut tx, scope.workspace)
        .await?
        .unwrap_or_else(|| fleet_zone.to_owned());
    let new = prepare(body, &zone, Utc::now()).map_err(refused)?;
    let template = templates::insert(&mut tx, &new).await?;
    store::audit(&mut tx, created_entry(&template, &super::tasks::actor())).await?;
    tx.commit().await?;
    println!("{}", template.id);
    Ok(())
}

/// `--task`: JSON, or `@path` to a file holding it.
fn read_task(arg: &str) -> Result<Value> {
    let (text, source) = match arg.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path).with_context(|| format!("--task: cannot read {path}"))?,
            path,
        ),
        None => (arg.to_owned(), "--task"),
    };
    serde_json::from_str(&text).with_context(|| format!("{source} is not valid JSON"))
}

/// The workspace's own zone (None: it sets none); TASK_013 when it does not exist.
async fn workspace_zone(db: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<String>> {
    let found: Option<(Uuid, String, Option<String>)> = crate::db::query_as(sql::WORKSPACE_GET)
        .bind(id)
        .fetch_optional(db)
        .await?;
    match found {
        Some((_, _, zone)) => Ok(zone),
        None => bail!(
            "{}: workspace {id} not found (`taskfleet workspaces list` shows them)",
            Code::WorkspaceNotFound.as_str()
        ),
    }
}

/// The API's refusal as the CLI's one-line error, code first.
fn refused(e: ApiError) -> anyhow::Error {
    anyhow!("{}: {}", e.code, e.message)
}
