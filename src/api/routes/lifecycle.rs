//! POST /api/tasks/{id}/cancel and POST /api/tasks/{id}/retry (contract sections 3 and 4).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::tasks::find;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, IdPath, OptionalJson};
use crate::api::{AppState, tenancy};
use crate::codes::Code;
use crate::queue::{self, read};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    #[serde(default)]
    reset_retry_count: bool,
}

/// queued / in_progress → cancelled, dependents cascaded (TASK_006); a running attempt is
/// abandoned at once and its late result discarded. Terminal tasks answer 409 TASK_009.
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    OptionalJson(req): OptionalJson<CancelRequest>,
) -> ApiResult<Json<Value>> {
    let mut tx = tenancy::begin(&s.pool, &caller).await?;
    let task = find(&mut tx, &caller, id).await?;
    let actor = format!("api:{}", caller.sub);
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let Some(previous) = queue::cancel(&mut tx, id, reason, &actor).await? else {
        return Err(invalid_state("cancel", &task.status));
    };
    tx.commit().await?;
    Ok(Json(
        json!({"success": true, "task_id": id, "previous_status": previous}),
    ))
}

/// failed / cancelled → queued (ready now), with the tasks cancelled on its account. A task
/// whose own dependency failed or was cancelled answers 409 TASK_006: retry that one first.
pub async fn retry(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    OptionalJson(req): OptionalJson<RetryRequest>,
) -> ApiResult<Json<Value>> {
    let mut tx = tenancy::begin(&s.pool, &caller).await?;
    let task = find(&mut tx, &caller, id).await?;
    if !matches!(task.status.as_str(), "failed" | "cancelled") {
        return Err(invalid_state("retry", &task.status));
    }
    let deps = read::dependency_status(&mut tx, &task.depends_on, task.workspace_id).await?;
    if let Some((dep, status)) = deps
        .iter()
        .find(|(_, st)| st == "failed" || st == "cancelled")
    {
        return Err(ApiError::new(
            Code::DependencyNotMet,
            format!("dependency {dep} is {status}; retry it first"),
        ));
    }
    let requeued = queue::retry(
        &mut tx,
        id,
        req.reset_retry_count,
        &format!("api:{}", caller.sub),
    )
    .await?;
    if requeued.is_empty() {
        return Err(invalid_state("retry", &task.status));
    }
    tx.commit().await?;
    let dependents: Vec<_> = requeued.into_iter().filter(|r| *r != id).collect();
    Ok(Json(json!({
        "success": true,
        "task_id": id,
        "new_status": "queued",
        "requeued_dependents": dependents,
    })))
}

fn invalid_state(verb: &str, status: &str) -> ApiError {
    ApiError::new(
        Code::InvalidStateChange,
        format!("cannot {verb} a task that is {status}"),
    )
}
