//! POST /api/tasks/execute: one bounded pass, claiming with the workers' own SQL so the API and
//! the fleet never run a task twice.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, StrictJson};
use crate::api::{AppState, tenancy};
use crate::codes::Code;
use crate::queue::read;
use crate::queue::{ClaimFilter, TASK_TYPES};
use crate::worker::pass::{self, LogEntry};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    workspace_id: Uuid,
    #[serde(default)]
    max_concurrent: Option<u32>,
    #[serde(default)]
    filter: Option<ExecuteFilter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteFilter {
    #[serde(default)]
    priority_min: Option<i32>,
    #[serde(default)]
    task_type: Option<String>,
    #[serde(default)]
    assigned_agent: Option<String>,
}

/// The specification's `ExecuteQueueResult`.
#[derive(Debug, Serialize)]
pub struct ExecuteResult {
    success: bool,
    tasks_executed: usize,
    tasks_failed: usize,
    tasks_remaining: i64,
    execution_log: Vec<LogEntry>,
}

pub async fn execute(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(req): StrictJson<ExecuteRequest>,
) -> ApiResult<Json<ExecuteResult>> {
    let limit = req.max_concurrent.unwrap_or(5);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "max_concurrent {limit} is outside 1..100"
        )));
    }
    let f = req.filter.unwrap_or_default();
    if let Some(p) = f.priority_min
        && !(1..=10).contains(&p)
    {
        return Err(ApiError::bad_request(format!(
            "filter.priority_min {p} is outside 1..10"
        )));
    }
    if let Some(t) = &f.task_type
        && !TASK_TYPES.contains(&t.as_str())
    {
        return Err(ApiError::new(
            Code::InvalidTaskType,
            format!("filter.task_type {t:?} is not a task type"),
        ));
    }
    let mut tx = tenancy::begin(&s.pool, &caller).await?;
    tenancy::workspace(&mut tx, &caller, req.workspace_id).await?;
    tx.commit().await?;
    let filter = ClaimFilter {
        workspace_id: Some(req.workspace_id),
        priority_min: f.priority_min,
        task_type: f.task_type,
        assigned_agent: f.assigned_agent,
    };
    Ok(Json(
        run_pass(&s, &filter, limit as usize, req.workspace_id).await?,
    ))
}

/// Runs one pass for a workspace the caller was checked to be a member of.
pub async fn run_pass(
    s: &AppState,
    filter: &ClaimFilter,
    limit: usize,
    workspace_id: Uuid,
) -> ApiResult<ExecuteResult> {
    let Some(agents) = s.agents.clone() else {
        return Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: Code::AgentUnavailable.as_str(),
            message: "agent calls are disabled on this API: set TASKFLEET_AGENT_SECRET".into(),
        });
    };
    if let Some(registry) = crate::agents::Executor::registry(agents.as_ref()) {
        s.registry_sync
            .reload_if_older(registry, std::time::Duration::from_secs(1))
            .await;
    }
    let log = pass::run_once(&s.pool, &s.pass, agents, filter, limit).await?;
    let mut conn = s.pool.acquire().await?;
    let remaining = read::queued_count(&mut conn, workspace_id).await?;
    let executed = log.iter().filter(|e| e.status == "completed").count();
    Ok(ExecuteResult {
        success: true,
        tasks_executed: executed,
        tasks_failed: log.len() - executed,
        tasks_remaining: remaining,
        execution_log: log,
    })
}
