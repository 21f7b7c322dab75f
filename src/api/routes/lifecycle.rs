//! POST /api/tasks/{id}/cancel and POST /api/tasks/{id}/retry (contract sections 3 and 4).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::error::ApiResult;
use crate::api::extract::{Caller, IdPath, OptionalJson};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::queue::{self, Status};

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
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::task(&mut tx, &caller, id).await?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let previous = queue::cancel(&mut tx, id, reason, &caller.actor()).await?;
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
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::task(&mut tx, &caller, id).await?;
    let requeued = queue::retry(&mut tx, id, req.reset_retry_count, &caller.actor()).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "success": true,
        "task_id": id,
        "new_status": Status::Queued,
        "requeued_dependents": requeued[1..],
    })))
}
