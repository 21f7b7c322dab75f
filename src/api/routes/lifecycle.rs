//! POST /api/tasks/{id}/cancel and POST /api/tasks/{id}/retry (contract sections 3 and 4).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::error::{ApiResult, ErrorEnvelope};
use crate::api::extract::{Caller, IdPath, OptionalJson};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::queue::{self, Status};

/// Optional: an empty body cancels without a reason.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Recorded in the task's `error_message` and the `task.cancelled` audit row.
    #[serde(default)]
    reason: Option<String>,
}

/// Optional: an empty body keeps the retry count.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    /// Set `retry_count` back to 0, so the task gets all its `max_retries` again.
    #[serde(default)]
    reset_retry_count: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    success: bool,
    task_id: Uuid,
    /// `queued` or `in_progress`.
    previous_status: Status,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    success: bool,
    task_id: Uuid,
    /// Always `queued`: the task is ready at once (once its dependencies are met).
    new_status: Status,
    /// Tasks that had been cancelled because this one failed or was cancelled, queued again.
    requeued_dependents: Vec<Uuid>,
}

/// queued / in_progress → cancelled, dependents cascaded (TASK_006); a running attempt is
/// abandoned at once and its late result discarded. Terminal tasks answer 409 TASK_009.
#[utoipa::path(post, path = "/api/tasks/{id}/cancel", operation_id = "cancel_task", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    request_body(content = Option<CancelRequest>, description = "Optional; an empty body means no reason.", content_type = "application/json"),
    responses(
        (status = 200, description = "Cancelled, with its dependents (TASK_006 in their `error_message`).", body = Cancelled),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character, an id that is not a UUID).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 409, description = "TASK_009: the task is completed, failed or cancelled already.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    OptionalJson(req): OptionalJson<CancelRequest>,
) -> ApiResult<Json<Cancelled>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::task(&mut tx, &caller, id).await?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let previous = queue::cancel(&mut tx, id, reason, &caller.actor()).await?;
    tx.commit().await?;
    Ok(Json(Cancelled {
        success: true,
        task_id: id,
        previous_status: previous,
    }))
}

/// failed / cancelled → queued (ready now), with the tasks cancelled on its account. A task
/// whose own dependency failed or was cancelled answers 409 TASK_006: retry that one first.
#[utoipa::path(post, path = "/api/tasks/{id}/retry", operation_id = "retry_task", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    request_body(content = Option<RetryRequest>, description = "Optional; an empty body keeps the retry count.", content_type = "application/json"),
    responses(
        (status = 200, description = "Queued again, with the dependents cancelled on its account.", body = Retried),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character, an id that is not a UUID).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 409, description = "TASK_009: the task is queued, in progress or completed. TASK_006: one of its dependencies is failed or cancelled (retry that one first).", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn retry(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    OptionalJson(req): OptionalJson<RetryRequest>,
) -> ApiResult<Json<Retried>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::task(&mut tx, &caller, id).await?;
    let requeued = queue::retry(&mut tx, id, req.reset_retry_count, &caller.actor()).await?;
    tx.commit().await?;
    Ok(Json(Retried {
        success: true,
        task_id: id,
        new_status: Status::Queued,
        // queue::retry lists the task itself first.
        requeued_dependents: requeued.into_iter().skip(1).collect(),
    }))
}
