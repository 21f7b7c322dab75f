//! POST /api/tasks/execute: one bounded pass, claiming with the workers' own SQL so the API and
//! the fleet never run a task twice.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::execute_pass::{self, ExecuteResult};
use crate::api::extract::{Caller, StrictJson};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::codes::Code;
use crate::queue::{ClaimFilter, TASK_TYPES, TaskTypeName};

/// The specification's `ExecuteQueueRequest`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    workspace_id: Uuid,
    /// How many ready tasks the pass claims and runs at once: 1 to 100, default 5.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    max_concurrent: Option<u32>,
    #[serde(default)]
    filter: Option<ExecuteFilter>,
}

/// Which ready tasks the pass may claim.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteFilter {
    /// Only tasks of at least this priority (1 to 10).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    priority_min: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<TaskTypeName>)]
    task_type: Option<String>,
    #[serde(default)]
    assigned_agent: Option<String>,
}

/// One bounded pass: claims ready tasks with the workers' own SQL, calls their agents, records
/// the outcomes (retries and failures as a worker would), and reports each attempt.
#[utoipa::path(post, path = "/api/tasks/execute", operation_id = "execute_tasks", tag = "tasks",
    request_body = ExecuteRequest,
    responses(
        (status = 200, description = "The pass ran (possibly claiming nothing).", body = ExecuteResult),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character, max_concurrent outside 1..100, filter.priority_min outside 1..10).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 422, description = "TASK_007: filter.task_type is not a task type.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
        (status = 503, description = "TASK_004: agent calls are disabled on this API (TASKFLEET_AGENT_SECRET is not set).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
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
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, req.workspace_id).await?;
    tx.commit().await?;
    let filter = ClaimFilter {
        workspace_id: Some(req.workspace_id),
        priority_min: f.priority_min,
        task_type: f.task_type,
        assigned_agent: f.assigned_agent,
        ..ClaimFilter::default()
    };
    Ok(Json(
        execute_pass::run(&s, &filter, limit as usize, req.workspace_id).await?,
    ))
}
