//! Enqueueing: a batch of new tasks in one statement (`task_insert.sql`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

/// A task to enqueue. `id` is chosen by the caller so a batch can depend on its own earlier
/// members (decomposition builds its DAG this way).
#[derive(Debug, Clone, Serialize)]
pub struct NewTask {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub strategy_id: Option<Uuid>,
    pub task_description: String,
    pub task_type: String,
    pub assigned_agent: String,
    pub priority: i32,
    pub depends_on: Vec<Uuid>,
    pub input_data: Value,
    pub max_retries: i32,
    /// None = ready now.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Position in its strategy's decomposition plan (unique per strategy).
    pub plan_index: Option<i32>,
    /// When it must be done by; the caller has already raised `priority` for it.
    pub deadline: Option<DateTime<Utc>>,
    /// Its dependents wait until someone approves its result (approval state `pending`).
    pub requires_approval: bool,
}

/// One field of every task: a column of the statement's typed arrays.
fn column<'a, U>(tasks: &'a [NewTask], field: impl Fn(&'a NewTask) -> U) -> Vec<U> {
    tasks.iter().map(field).collect()
}

/// `{a,b}`: a uuid[] literal (uuids need no quoting).
fn array_literal(ids: &[Uuid]) -> String {
    let mut s = String::with_capacity(2 + ids.len() * 37);
    s.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push('}');
    s
}

/// The requires_approval column, empty when no task needs approval (the statement reads the
/// missing values as false), so a bulk insert sends nothing for it.
fn approvals(tasks: &[NewTask]) -> Vec<bool> {
    if tasks.iter().any(|t| t.requires_approval) {
        column(tasks, |t| t.requires_approval)
    } else {
        Vec::new()
    }
}

/// Inserts the batch as `queued`; the tasks with no unmet dependency enter the ready queue, and
/// idle workers are woken when any is ready now. Each task gets a `task.created` audit row when
/// `audit_each` is set: callers set it for a task created by a request of its own, and for every
/// task with `TASKFLEET_AUDIT=full`; a bulk insert is otherwise recorded once by its caller
/// (`strategy.decomposed`).
/// Returns (id, unmet dependency count) per task. On Citus a batch of several workspaces is one
/// statement per workspace (`queue/shard.rs`): atomic only inside the caller's transaction.
pub async fn insert(
    db: &mut PgConnection,
    actor: &str,
    tasks: &[NewTask],
    audit_each: bool,
) -> Result<Vec<(Uuid, i32)>, sqlx::Error> {
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let mut inserted = Vec::with_capacity(tasks.len());
    for part in super::shard::parts(tasks, |t| t.workspace_id) {
        inserted.extend(insert_part(db, actor, &part.items, audit_each, &part.workspaces).await?);
    }
    Ok(inserted)
}

async fn insert_part(
    db: &mut PgConnection,
    actor: &str,
    tasks: &[NewTask],
    audit_each: bool,
    workspaces: &Option<Vec<Uuid>>,
) -> Result<Vec<(Uuid, i32)>, sqlx::Error> {
    let rows: Vec<(Uuid, i32, i64)> = crate::db::query_as(crate::db::sql::TASK_INSERT)
        .bind(actor)
        .bind(audit_each)
        .bind(column(tasks, |t| t.id))
        .bind(column(tasks, |t| t.workspace_id))
        .bind(column(tasks, |t| t.contact_id))
        .bind(column(tasks, |t| t.strategy_id))
        .bind(column(tasks, |t| t.task_description.as_str()))
        .bind(column(tasks, |t| t.task_type.as_str()))
        .bind(column(tasks, |t| t.assigned_agent.as_str()))
        .bind(column(tasks, |t| t.priority))
        .bind(column(tasks, |t| array_literal(&t.depends_on)))
        .bind(column(tasks, |t| Json(&t.input_data)))
        .bind(column(tasks, |t| t.max_retries))
        .bind(column(tasks, |t| t.next_run_at))
        .bind(column(tasks, |t| t.plan_index))
        .bind(column(tasks, |t| t.deadline))
        .bind(approvals(tasks))
        .bind(workspaces)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, unmet, _)| (id, unmet)).collect())
}
