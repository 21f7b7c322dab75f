//! POST /api/tasks/execute: one bounded pass, claiming with the workers' own SQL so the API and
//! the fleet never run a task twice.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult};
use crate::api::execute_pass::{self, ExecuteResult};
use crate::api::extract::{Caller, StrictJson};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::codes::Code;
use crate::queue::{ClaimFilter, TASK_TYPES};

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
    };
    Ok(Json(
        execute_pass::run(&s, &filter, limit as usize, req.workspace_id).await?,
    ))
}
