//! GET /api/tasks/{id}/audit: one task's audit trail, oldest first (contract section 9, "Task
//! history"). A task of another workspace answers 404 TASK_003 exactly like a missing one.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use uuid::Uuid;

use crate::api::error::ApiResult;
use crate::api::extract::{Caller, IdPath};
use crate::api::state::AppState;
use crate::api::store::{self, AuditRow};
use crate::api::tenancy;

/// A task writes a handful of rows per attempt and has at most 101 attempts, so this bounds
/// the answer without ever cutting a real trail short.
const MAX_ROWS: i64 = 1000;

#[derive(Debug, Serialize)]
pub struct AuditResult {
    success: bool,
    task_id: Uuid,
    audit: Vec<AuditRow>,
}

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
