//! GET /api/tasks/{id}/audit: one task's audit trail, oldest first (contract section 9, "Task
//! history"). A task of another workspace answers 404 TASK_003 exactly like a missing one.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use uuid::Uuid;

use utoipa::ToSchema;

use crate::api::error::{ApiResult, ErrorEnvelope};
use crate::api::extract::{Caller, IdPath};
use crate::api::state::AppState;
use crate::api::store::{self, AuditRow};
use crate::api::tenancy;

/// A task writes a handful of rows per attempt and has at most 101 attempts, so this bounds
/// the answer without ever cutting a real trail short.
const MAX_ROWS: i64 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditResult {
    success: bool,
    task_id: Uuid,
    audit: Vec<AuditRow>,
}

#[utoipa::path(get, path = "/api/tasks/{id}/audit", operation_id = "task_audit", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    responses(
        (status = 200, description = "The task's audit rows, oldest first (at most 1000).", body = AuditResult),
        (status = 400, description = "TASK_010: the id is not a UUID.", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<AuditResult>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::task(&mut tx, &caller, id).await?;
    let audit = store::audit_trail(&mut tx, id, MAX_ROWS).await?;
    tx.commit().await?;
    Ok(Json(AuditResult {
        success: true,
        task_id: id,
        audit,
    }))
}
