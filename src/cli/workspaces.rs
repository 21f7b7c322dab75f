//! `taskfleet workspaces create`

use anyhow::{Result, bail};
use uuid::Uuid;

use crate::config::DbArgs;
use crate::db::{self, sql};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a workspace; prints its UUID alone on stdout.
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
}

pub async fn run(cmd: Command) -> Result<()> {
    let Command::Create { name, timezone, db } = cmd;
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
