//! `taskfleet workspaces create|list`

use anyhow::{Result, bail};
use uuid::Uuid;

use crate::config::DbArgs;
use crate::db::{self, sql};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a workspace; prints its UUID alone on stdout.
    #[command(
        after_help = "Example:\n  WS=$(taskfleet workspaces create --name Acme --timezone Europe/London)"
    )]
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// IANA time zone for time-of-day rules (default: TASKFLEET_TIMEZONE, Australia/Sydney).
        #[arg(long)]
        timezone: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List workspaces, oldest first: id, name, time zone, then task counts (total, queued,
    /// in_progress, completed, failed, cancelled), tab-separated.
    #[command(after_help = "Example:\n  taskfleet workspaces list | cut -f1,2")]
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, sqlx::FromRow)]
struct WorkspaceRow {
    id: Uuid,
    name: String,
    timezone: Option<String>,
    total: i64,
    queued: i64,
    in_progress: i64,
    completed: i64,
    failed: i64,
    cancelled: i64,
}

pub async fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Create { name, timezone, db } => create(name, timezone, db).await,
        Command::List { db } => list(db).await,
    }
}

async fn list(db: DbArgs) -> Result<()> {
    let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
    let rows: Vec<WorkspaceRow> = crate::db::query_as(sql::WORKSPACE_LIST)
        .fetch_all(&pool)
        .await?;
    for w in rows {
        // A name is free text: tabs and newlines would break the columns.
        let name = w.name.split_whitespace().collect::<Vec<_>>().join(" ");
        println!(
            "{}\t{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            w.id,
            w.timezone.as_deref().unwrap_or("-"),
            w.total,
            w.queued,
            w.in_progress,
            w.completed,
            w.failed,
            w.cancelled
        );
    }
    Ok(())
}

async fn create(name: String, timezone: Option<String>, db: DbArgs) -> Result<()> {
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    if let Some(tz) = &timezone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        bail!("--timezone {tz:?} is not an IANA time zone (e.g. Australia/Sydney)");
    }
    let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
    let (id,): (Uuid,) = crate::db::query_as(sql::WORKSPACE_CREATE)
        .bind(name.trim())
        .bind(timezone)
        .fetch_one(&pool)
        .await?;
    println!("{id}");
    Ok(())
}
