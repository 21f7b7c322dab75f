//! `taskfleet agents register|list`

use anyhow::{Result, bail};

use crate::agents::registry::AgentEndpoint;
use crate::config::DbArgs;
use crate::db::{self, sql};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register an agent, or update its URL (upsert): tasks for NAME are POSTed to URL.
    Register {
        /// Agent name as tasks name it in assigned_agent (e.g. content-generator).
        name: String,
        /// http(s) URL the worker POSTs tasks to.
        url: String,
        /// Register it disabled: its tasks wait (TASK_004) until it is enabled.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List registered agents.
    List {
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
                    .fetch_one(&pool)
                    .await?;
            let verb = if inserted { "registered" } else { "updated" };
            let state = if enabled { "enabled" } else { "disabled" };
            println!("{verb} agent {name} -> {url} ({state})");
            Ok(())
        }
        Command::List { db } => {
            let pool = db::connect(&db::database_url(db.database_url)?, 1).await?;
            let agents: Vec<AgentEndpoint> = crate::db::query_as(sql::AGENT_LIST)
                .fetch_all(&pool)
                .await?;
            for a in agents {
                let state = if a.enabled { "enabled" } else { "disabled" };
                println!("{}\t{}\t{state}", a.name, a.url);
            }
            Ok(())
        }
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        bail!(
            "agent name {name:?} must be lowercase letters, digits, '-' or '_' (e.g. content-generator)"
        );
    }
    Ok(())
}

fn check_url(url: &str) -> Result<()> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => bail!("agent URL {url:?} must be an http:// or https:// URL with a host"),
    }
}
