//! `taskfleet tasks list|show|cancel|retry --workspace ID`: the operator's view of the queue.
//! Reads and transitions go through `queue` (the functions the API calls), so a cancel or retry
//! here follows the API's rules and writes the same audit rows, with the actor `cli:<user>`.
//! The CLI connects as the login role (no row-level security), so `--workspace` is checked here:
//! a task of another workspace answers as a missing one does.

use anyhow::{Result, anyhow, bail};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::codes::Code;
use crate::config::DbArgs;
use crate::db::{self, sql};
use crate::queue::read::{self, StatusFilter, TaskRecord};
use crate::queue::{self, Status};

/// Most rows `tasks list` prints at once; `--after` pages on.
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List a workspace's tasks, oldest first: id, status, priority, agent, created_at,
    /// description, error (tab-separated).
    #[command(
        after_help = "Examples:\n  taskfleet tasks list --workspace \"$WS\" --status failed\n  \
                            taskfleet tasks list --workspace \"$WS\" --limit 50 --after \"$LAST_ID\""
    )]
    List {
        #[command(flatten)]
        scope: Scope,
        /// Only tasks in this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only tasks assigned to this agent.
        #[arg(long)]
        agent: Option<String>,
        /// At most this many rows (1..=1000).
        #[arg(long, default_value_t = 100,
              value_parser = clap::value_parser!(i64).range(1..=MAX_LIMIT))]
        limit: i64,
        /// Start after this task id (the last one of the previous page).
        #[arg(long, value_name = "TASK_ID")]
        after: Option<Uuid>,
    },
    /// Print one task as JSON (the body of GET /api/tasks/{id}).
    #[command(
        after_help = "Example:\n  taskfleet tasks show \"$TASK\" --workspace \"$WS\" | jq .status"
    )]
    Show {
        /// Task id.
        id: Uuid,
        #[command(flatten)]
        scope: Scope,
    },
    /// Cancel a queued or in_progress task; its queued dependents are cancelled too (TASK_006).
    #[command(
        after_help = "Example:\n  taskfleet tasks cancel \"$TASK\" --workspace \"$WS\" --reason \"campaign dropped\""
    )]
    Cancel {
        /// Task id.
        id: Uuid,
        #[command(flatten)]
        scope: Scope,
        /// Recorded in error_message and the audit row (default: Cancelled by user).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Re-queue a failed or cancelled task, with the dependents cancelled on its account.
    #[command(
        after_help = "Example:\n  taskfleet tasks retry \"$TASK\" --workspace \"$WS\" --reset-retry-count"
    )]
    Retry {
        /// Task id.
        id: Uuid,
        #[command(flatten)]
        scope: Scope,
        /// Start counting retries from 0 again.
        #[arg(long)]
        reset_retry_count: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct Scope {
    /// The task's workspace (`taskfleet workspaces list` shows them).
    #[arg(long, value_name = "ID")]
    workspace: Uuid,
    #[command(flatten)]
    db: DbArgs,
}

/// `--status` values: clap lists them on a bad one.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum StatusArg {
    Queued,
    InProgress,
    Completed,
    Failed,
    Cancelled,
}

impl From<StatusArg> for Status {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Queued => Status::Queued,
            StatusArg::InProgress => Status::InProgress,
            StatusArg::Completed => Status::Completed,
            StatusArg::Failed => Status::Failed,
            StatusArg::Cancelled => Status::Cancelled,
        }
    }
}

pub async fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::List {
            scope,
            status,
            agent,
            limit,
            after,
        } => {
            let pool = connect(&scope).await?;
            let mut conn = pool.acquire().await?;
            workspace(&mut conn, scope.workspace).await?;
            let filter = StatusFilter {
                workspace_id: scope.workspace,
                task_id: None,
                status: status.map(Status::from),
                assigned_agent: agent,
                ..StatusFilter::default()
            };
            for t in read::status_page(&mut conn, &filter, after, limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.status,
                    t.priority,
                    t.assigned_agent,
                    t.created_at.to_rfc3339(),
                    one_line(&t.task_description),
                    one_line(t.error_message.as_deref().unwrap_or("-"))
                );
            }
            Ok(())
        }
        Command::Show { id, scope } => {
            let pool = connect(&scope).await?;
            let mut conn = pool.acquire().await?;
            let task = task_in(&mut conn, id, scope.workspace).await?;
            println!("{}", serde_json::to_string_pretty(&task)?);
            Ok(())
        }
        Command::Cancel { id, scope, reason } => {
            let pool = connect(&scope).await?;
            let mut tx = pool.begin().await?;
            task_in(&mut tx, id, scope.workspace).await?;
            let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
            let previous = queue::cancel(&mut tx, id, reason, &actor())
                .await
                .map_err(refused)?;
            tx.commit().await?;
            println!("cancelled task {id} (it was {previous})");
            Ok(())
        }
        Command::Retry {
            id,
            scope,
            reset_retry_count,
        } => {
            let pool = connect(&scope).await?;
            let mut tx = pool.begin().await?;
            task_in(&mut tx, id, scope.workspace).await?;
            let requeued = queue::retry(&mut tx, id, reset_retry_count, &actor())
                .await
                .map_err(refused)?;
            tx.commit().await?;
            match requeued.len() {
                0 | 1 => println!("retried task {id}: queued"),
                n => println!(
                    "retried task {id}: queued, with {} dependents cancelled on its account",
                    n - 1
                ),
            }
            Ok(())
        }
    }
}

async fn connect(scope: &Scope) -> Result<PgPool> {
    db::connect(&db::database_url(scope.db.database_url.clone())?, 1).await
}

/// Who the audit rows name: the operator's login name when the shell has one.
pub(super) fn actor() -> String {
    match std::env::var("USER") {
        Ok(user) if !user.is_empty() => format!("cli:{user}"),
        _ => "cli".to_owned(),
    }
}

/// The workspace must exist (TASK_013 otherwise).
async fn workspace(db: &mut PgConnection, id: Uuid) -> Result<()> {
    let found: Option<(Uuid, String, Option<String>)> = crate::db::query_as(sql::WORKSPACE_GET)
        .bind(id)
        .fetch_optional(db)
        .await?;
    if found.is_none() {
        bail!(
            "{}: workspace {id} not found (`taskfleet workspaces list` shows them)",
            Code::WorkspaceNotFound.as_str()
        );
    }
    Ok(())
}

/// The task, which must belong to `workspace_id`: TASK_003 whether missing or another
/// workspace's, as the API answers.
async fn task_in(db: &mut PgConnection, id: Uuid, workspace_id: Uuid) -> Result<TaskRecord> {
    workspace(db, workspace_id).await?;
    read::tasks_by_id(db, &[id])
        .await?
        .into_iter()
        .find(|t| t.workspace_id == workspace_id)
        .ok_or_else(|| {
            anyhow!(
                "{}: task {id} not found in workspace {workspace_id}",
                Code::TaskNotFound.as_str()
            )
        })
}

/// A refused transition, with the code the API would answer.
fn refused(e: queue::Error) -> anyhow::Error {
    match e.code() {
        Some(code) => anyhow!("{}: {e}", code.as_str()),
        None => e.into(),
    }
}

/// Free text on one line, so a tab-separated row stays one row.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
