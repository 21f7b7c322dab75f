//! GET /api/tasks/status: a workspace's tasks with `dependencies_met`, `deadline` and
//! `eta_seconds` (queued and in_progress tasks; README "ETA" says how), and counts by status.
//! Pages with `limit` (default 100, at most 1000) and `cursor` (the `next_cursor` of the previous
//! page), so a workspace of any size answers in the time of one page.
//!
//! Besides the specification's filters it takes the dashboard's: `task_type`, `strategy_id`,
//! `priority`, `q` (text in the description, case-insensitive) and `depends_on` (the tasks that
//! depend on a task: its downstream). Each row also carries what the dashboard's table and DAG
//! show: type, strategy and phase, retries, dependencies, and whether its lease has expired.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as Db;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller, page_limit};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::codes::Code;
use crate::queue::read::{self, StatusFilter, StatusSummary};
use crate::queue::{Approval, Status, TASK_TYPES, TaskTypeName};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// Only this task (404 TASK_003 when it is not in the workspace).
    task_id: Option<Uuid>,
    /// Only tasks in this status.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
    /// Only tasks assigned to this agent.
    assigned_agent: Option<String>,
    /// Page size: 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<Uuid>,
    /// Only tasks of this type.
    #[param(value_type = Option<TaskTypeName>)]
    task_type: Option<String>,
    /// Only tasks of this strategy (404 TASK_001 when it is not in the workspace).
    strategy_id: Option<Uuid>,
    /// Only tasks of this priority.
    #[param(minimum = 1, maximum = 10)]
    priority: Option<i32>,
    /// Only tasks whose description contains this text (case-insensitive, at most 200
    /// characters).
    #[param(max_length = 200)]
    q: Option<String>,
    /// Only the tasks that depend on this task (its downstream; 404 TASK_003 when it is not in
    /// the workspace).
    depends_on: Option<Uuid>,
}

/// Longer search text is a client bug, not a search.
const MAX_SEARCH_CHARS: usize = 200;

/// The specification's `TaskStatus`.
#[derive(Debug, Serialize, ToSchema)]
struct TaskStatus {
    id: Uuid,
    description: String,
    status: Status,
    priority: i32,
    assigned_agent: String,
    /// 0 (queued, failed, cancelled), 50 (in progress) or 100 (completed).
    progress_percentage: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_message: Option<String>,
    dependencies_met: bool,
    deadline: Option<DateTime<Utc>>,
    /// Seconds until it is expected to finish; null when finished, or when its agent has no
    /// recent history to estimate from.
    eta_seconds: Option<f64>,
    task_type: String,
    strategy_id: Option<Uuid>,
    retry_count: i32,
    max_retries: i32,
    depends_on: Vec<Uuid>,
    /// in_progress, but its lease has expired: its worker died or stalled (`stuck_tasks`).
    stuck: bool,
    /// queued again after a failed attempt, waiting for its backoff or a worker.
    retrying: bool,
    /// Its phase in its strategy's plan (null for pillar and KPI tasks and tasks of no strategy).
    phase: Option<String>,
    phase_index: Option<i32>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    /// Null when the task needs no approval; `stale` once a result has waited longer than
    /// TASKFLEET_APPROVAL_REMIND_SECS.
    approval: Option<Approval>,
}

/// The specification's `TaskStatusResult`, plus the paging cursor.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResult {
    success: bool,
    tasks: Vec<TaskStatus>,
    summary: StatusSummary,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<Uuid>,
}

/// A workspace's tasks, newest last, a page at a time, with counts by status.
#[utoipa::path(get, path = "/api/tasks/status", operation_id = "task_status", tag = "tasks",
    params(StatusQuery),
    responses(
        (status = 200, description = "One page of tasks and the summary of all that match.", body = StatusResult),
        (status = 400, description = "TASK_010: invalid query (workspace_id missing, a bad UUID, an unknown status, task_type or parameter, limit outside 1..1000, priority outside 1..10, q over 200 characters, a cursor that is not a task of the workspace, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it. TASK_003: task_id or depends_on is not a task of the workspace. TASK_001: strategy_id is not a strategy of the workspace.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn status(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<StatusResult>> {
    let status = match &q.status {
        None => None,
        Some(st) => Some(st.parse::<Status>().map_err(|_| {
            ApiError::bad_request(format!("status {st:?} is not one of {}", Status::names()))
        })?),
    };
    let limit = page_limit(q.limit, 1000)?;
    if let Some(t) = q.task_type.as_deref().filter(|t| !TASK_TYPES.contains(t)) {
        return Err(ApiError::bad_request(format!(
            "task_type {t:?} is not one of {}",
            TASK_TYPES.join(", ")
        )));
    }
    if let Some(p) = q.priority.filter(|p| !(1..=10).contains(p)) {
        return Err(ApiError::bad_request(format!(
            "priority {p} is outside 1..10"
        )));
    }
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::bad_request(format!(
            "q is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    let mut tx = tenancy::begin_snapshot(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    if let Some(id) = q.task_id {
        tenancy::task_in(&mut tx, &caller, id, q.workspace_id).await?;
    }
    if let Some(id) = q.depends_on {
        tenancy::task_in(&mut tx, &caller, id, q.workspace_id).await?;
    }
    if let Some(id) = q.strategy_id
        && !store::strategy_exists(&mut tx, id, q.workspace_id).await?
    {
        return Err(ApiError::new(
            Code::StrategyNotFound,
            format!("strategy {id} not found"),
        ));
    }
    if let Some(cursor) = q.cursor {
        tenancy::cursor_in(&mut tx, &caller, cursor, q.workspace_id).await?;
    }
    let filter = StatusFilter {
        workspace_id: q.workspace_id,
        task_id: q.task_id,
        status,
        assigned_agent: q.assigned_agent,
        task_type: q.task_type,
        strategy_id: q.strategy_id,
        priority: q.priority,
        text: text.map(str::to_owned),
        depends_on: q.depends_on,
    };
    let rows = read::status_page(&mut tx, &filter, q.cursor, limit).await?;
    let summary = read::status_summary(&mut tx, &filter).await?;
    let open: Vec<Uuid> = rows
        .iter()
        .filter(|r| !r.status.is_terminal())
        .map(|r| r.id)
        .collect();
    let etas: HashMap<Uuid, Option<f64>> = if open.is_empty() {
        HashMap::new()
    } else {
        read::eta(&mut tx, &open, q.workspace_id)
            .await?
            .into_iter()
            .collect()
    };
    tx.commit().await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let now = s.pass.clock.now();
    let tasks = rows
        .into_iter()
        .map(|r| TaskStatus {
            progress_percentage: match r.status {
                Status::Completed => 100,
                Status::InProgress => 50,
                _ => 0,
            },
            id: r.id,
            description: r.task_description,
            status: r.status,
            priority: r.priority,
            assigned_agent: r.assigned_agent,
            error_message: r.error_message,
            dependencies_met: r.dependencies_met,
            deadline: r.deadline,
            // Whole seconds: an estimate, not a measurement.
            eta_seconds: etas.get(&r.id).copied().flatten().map(f64::round),
            retrying: r.status == Status::Queued && r.retry_count > 0,
            task_type: r.task_type,
            strategy_id: r.strategy_id,
            retry_count: r.retry_count,
            max_retries: r.max_retries,
            depends_on: r.depends_on,
            stuck: r.stuck,
            phase: r.phase_name,
            phase_index: r.phase_index,
            created_at: r.created_at,
            started_at: r.started_at,
            approval: r.approval.map(|Db(mut a)| {
                a.mark_stale(s.approval_remind, now);
                a
            }),
        })
        .collect();
    Ok(Json(StatusResult {
        success: true,
        tasks,
        summary,
        next_cursor,
    }))
}
