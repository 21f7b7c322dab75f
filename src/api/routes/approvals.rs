//! Approval gates (issue 17, contract section 9): `POST /api/tasks/{id}/approve`,
//! `POST /api/tasks/{id}/reject` and the approval queue, `GET /api/approvals?workspace_id=`.
//! Tenant-checked like every route: another workspace's task is a 404. The queue decides what a
//! decision does (`queue::decide`); both are audited in the same transaction.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller, IdPath, OptionalJson, StrictJson, page_limit};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::queue::read::{self, ApprovalRequest};
use crate::queue::{self, Approval, Decision};

/// Longer comments and reasons are a client bug, not a review.
const MAX_COMMENT_CHARS: usize = 2000;

/// Optional: an empty body approves without a comment.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Kept in the task's `approval.comment` and the `task.approved` audit row; at most 2000
    /// characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why: required, not blank, at most 2000 characters. Kept in `approval.comment`, the
    /// `task.rejected` audit row and the cancelled dependents' TASK_006 message.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    success: bool,
    task_id: Uuid,
    approval: Approval,
    /// Dependents that became ready (those with no other unmet dependency).
    ready_dependents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rejected {
    success: bool,
    task_id: Uuid,
    approval: Approval,
    /// Queued tasks downstream, cancelled with TASK_006 (a retry of this task queues them again).
    cancelled_dependents: Vec<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// At most this many, oldest result first: 1 to 500, default 100.
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalQueue {
    success: bool,
    approvals: Vec<ApprovalRequest>,
    /// TASKFLEET_APPROVAL_REMIND_SECS: a result waiting longer is `stale`.
    remind_after_secs: u64,
}

/// Approves a completed task's result: its dependents count it as met at once (and wake idle
/// workers).
#[utoipa::path(post, path = "/api/tasks/{id}/approve", operation_id = "approve_task", tag = "approvals",
    params(("id" = Uuid, Path, description = "The task's id.")),
    request_body(content = Option<ApproveRequest>, description = "Optional; an empty body means no comment.", content_type = "application/json"),
    responses(
        (status = 200, description = "Approved; its dependents are unblocked.", body = Approved),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, an unknown or duplicate field, a NUL character, an id that is not a UUID, a comment over 2000 characters).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 409, description = "TASK_009: the task needs no approval, has not completed yet, or was approved or rejected already.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    OptionalJson(req): OptionalJson<ApproveRequest>,
) -> ApiResult<Json<Approved>> {
    let comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    check_length("comment", comment)?;
    let d = decide(&s, &caller, id, Decision::Approve, comment).await?;
    Ok(Json(Approved {
        success: true,
        task_id: id,
        approval: d.approval,
        ready_dependents: d.ready_dependents,
    }))
}

/// Rejects a completed task's result: its queued dependents are cancelled, transitively, with
/// TASK_006 naming the rejection. `POST /api/tasks/{id}/retry` runs the agent again (and asks
/// for approval again), queueing those dependents with it.
#[utoipa::path(post, path = "/api/tasks/{id}/reject", operation_id = "reject_task", tag = "approvals",
    params(("id" = Uuid, Path, description = "The task's id.")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected; its dependents are cancelled (TASK_006).", body = Rejected),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a blank reason or one over 2000 characters, a NUL character, an id that is not a UUID).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 409, description = "TASK_009: the task needs no approval, has not completed yet, or was approved or rejected already.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn reject(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    StrictJson(req): StrictJson<RejectRequest>,
) -> ApiResult<Json<Rejected>> {
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request("reason must not be blank"));
    }
    check_length("reason", Some(reason))?;
    let d = decide(&s, &caller, id, Decision::Reject, Some(reason)).await?;
    Ok(Json(Rejected {
        success: true,
        task_id: id,
        approval: d.approval,
        cancelled_dependents: d.cancelled_dependents,
    }))
}

/// The workspace's results awaiting approval, oldest first, with the agents' outputs.
#[utoipa::path(get, path = "/api/approvals", operation_id = "list_approvals", tag = "approvals",
    params(QueueQuery),
    responses(
        (status = 200, description = "Completed tasks whose approval is pending, oldest result first.", body = ApprovalQueue),
        (status = 400, description = "TASK_010: invalid query (workspace_id missing, a bad UUID, limit outside 1..500, an unknown parameter, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<ApprovalQueue>> {
    let limit = page_limit(q.limit, 500)?;
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    let mut approvals = read::approval_queue(&mut tx, q.workspace_id, limit).await?;
    tx.commit().await?;
    let now = s.pass.clock.now();
    for a in &mut approvals {
        a.approval.0.mark_stale(s.approval_remind, now);
    }
    Ok(Json(ApprovalQueue {
        success: true,
        approvals,
        remind_after_secs: s.approval_remind.as_secs(),
    }))
}

async fn decide(
    s: &AppState,
    caller: &Caller,
    id: Uuid,
    decision: Decision,
    comment: Option<&str>,
) -> ApiResult<queue::Decided> {
    let mut tx = tenancy::begin(s, caller).await?;
    tenancy::task(&mut tx, caller, id).await?;
    let decided = queue::decide(&mut tx, id, decision, &caller.actor(), comment).await?;
    tx.commit().await?;
    Ok(decided)
}

fn check_length(field: &str, text: Option<&str>) -> ApiResult<()> {
    match text.map(|t| t.chars().count()) {
        Some(n) if n > MAX_COMMENT_CHARS => Err(ApiError::bad_request(format!(
            "{field} is {n} characters; at most {MAX_COMMENT_CHARS}"
        ))),
        _ => Ok(()),
    }
}
