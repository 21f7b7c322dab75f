//! POST /api/tasks (create one task) and GET /api/tasks/{id} (the full row).
//! A task may carry a `deadline` (RFC 3339): one in the past is a 400, and one within 48 hours
//! raises the priority to the urgent band (`schedule::deadline`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agents::name as agent_name;
use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::extract::{Caller, IdPath, StrictJson, parse_object};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::audit::{self, Action};
use crate::codes::Code;
use crate::queue::read::{self, TaskRecord};
use crate::queue::{self, NewTask, Status, TASK_TYPES, TaskTypeName};
use crate::schedule::deadline;

/// More dependencies than this on one task is almost certainly a client bug.
const MAX_DEPENDENCIES: usize = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
    /// Not empty or blank.
    #[schema(min_length = 1, pattern = "\\S")]
    task_description: String,
    #[schema(value_type = TaskTypeName)]
    task_type: String,
    /// The agent to POST the task to: `[a-z0-9][a-z0-9-]*`, at most 64 characters (422
    /// TASK_010 otherwise). It need not be registered yet: at execution time an unknown or
    /// disabled agent is TASK_004 and the task stays queued.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]*$", max_length = 64)]
    assigned_agent: String,
    /// 1 (lowest) to 10, default 5; 9 and 10 are urgent and ignore the time-of-day rules.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    priority: Option<i32>,
    /// Tasks of the same workspace (422 TASK_011 otherwise) that must complete first; at most
    /// 1000. A failed or cancelled one answers 409 TASK_006.
    #[serde(default)]
    depends_on: Option<Vec<Uuid>>,
    /// A JSON object, sent to the agent as `input` (default `{}`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    input_data: Option<Value>,
    /// Retries after a transient failure (timeout, connection error, 408, 429, 5xx): 0 to
    /// 100, default 3. Other 4xx answers fail the task at once.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    max_retries: Option<i32>,
    /// RFC 3339, not in the past; within 48 hours the priority is raised to 9 or more.
    #[serde(default)]
    deadline: Option<DateTime<Utc>>,
    /// Default false. When true the agent runs as usual and the task ends `completed`, but its
    /// `approval` stays `pending` and its dependents stay blocked until
    /// `POST /api/tasks/{id}/approve`; `/reject` cancels them (TASK_006).
    #[serde(default)]
    requires_approval: Option<bool>,
}

/// One task, as `POST /api/tasks` and `GET /api/tasks/{id}` answer it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskEnvelope {
    success: bool,
    task: TaskRecord,
}

/// Queues one task.
#[utoipa::path(post, path = "/api/tasks", operation_id = "create_task", tag = "tasks",
    request_body = CreateTask,
    responses(
        (status = 201, description = "Queued.", body = TaskEnvelope),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a NUL character, an empty description, priority outside 1..10, max_retries outside 0..100, input_data not an object, a deadline in the past, over 1000 dependencies).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 409, description = "TASK_006: a dependency is failed or cancelled and can never complete (retry it first).", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 422, description = "TASK_007: unknown task_type. TASK_011: depends_on names a task not in this workspace. TASK_010: assigned_agent breaks its naming rule.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateTask>,
) -> ApiResult<(StatusCode, Json<TaskEnvelope>)> {
    let (task, requested_priority) = validate(body, s.pass.clock.now())?;
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, task.workspace_id).await?;
    check_dependencies(&mut tx, &task).await?;
    let actor = caller.actor();
    queue::insert(&mut tx, &actor, std::slice::from_ref(&task), true).await?;
    if task.priority > requested_priority {
        store::audit(
            &mut tx,
            escalated_at_creation(&task, requested_priority, &actor),
        )
        .await?;
    }
    let row = read::tasks_by_id(&mut tx, &[task.id]).await?;
    tx.commit().await?;
    let row = row
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("inserted task not found"))?;
    Ok((
        StatusCode::CREATED,
        Json(TaskEnvelope {
            success: true,
            task: row,
        }),
    ))
}

/// The full row of one task.
#[utoipa::path(get, path = "/api/tasks/{id}", operation_id = "get_task", tag = "tasks",
    params(("id" = Uuid, Path, description = "The task's id.")),
    responses(
        (status = 200, description = "The task.", body = TaskEnvelope),
        (status = 400, description = "TASK_010: the id is not a UUID.", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_003: task not found, or not in a workspace of the token.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<TaskEnvelope>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    let mut task = tenancy::task(&mut tx, &caller, id).await?;
    tx.commit().await?;
    if let Some(approval) = task.approval.as_mut() {
        approval.0.mark_stale(s.approval_remind, s.pass.clock.now());
    }
    Ok(Json(TaskEnvelope {
        success: true,
        task,
    }))
}

/// The `task.escalated` row of a task created with its priority raised for its deadline (the
/// sweep writes the same action for later raises).
pub(crate) fn escalated_at_creation<'a>(
    task: &NewTask,
    requested_priority: i32,
    actor: &'a str,
) -> store::AuditEntry<'a> {
    store::AuditEntry {
        workspace_id: task.workspace_id,
        action: Action::Escalated,
        resource: audit::TASKS,
        resource_id: task.id,
        actor,
        status: Some(Status::Queued.as_str()),
        details: json!({"from_priority": requested_priority, "to_priority": task.priority,
                        "deadline": task.deadline, "at": "creation"}),
    }
}

/// A task body given inside another request (a template's `task`): the POST /api/tasks body
/// without `workspace_id`, decoded and checked by exactly the rules of [`create`]. Every refusal
/// is a 422 (the body is well-formed JSON, but not a task it can create), with the code POST
/// /api/tasks would answer (TASK_007 for the type, TASK_010 for the rest) and a message that
/// starts with `task.` and names the field. Dependencies and deadlines are the caller's to allow.
pub(crate) fn validate_embedded(
    body: Value,
    workspace_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<NewTask> {
    let embedded = |e: ApiError| ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: e.code,
        message: embedded_message(&e.message),
    };
    let Value::Object(mut fields) = body else {
        return Err(ApiError::unprocessable(
            "task: must be a JSON object (the POST /api/tasks body without workspace_id)",
        ));
    };
    if fields.contains_key("workspace_id") {
        return Err(ApiError::unprocessable(
            "task.workspace_id: not allowed here: the task belongs to the enclosing workspace_id",
        ));
    }
    fields.insert("workspace_id".into(), json!(workspace_id));
    let bytes = serde_json::to_vec(&Value::Object(fields)).map_err(ApiError::internal)?;
    let body: CreateTask = parse_object(&bytes).map_err(embedded)?;
    validate(body, now).map(|(task, _)| task).map_err(embedded)
}

/// A message of [`parse_object`] or [`validate`] as the nested `task` field's: `task.priority
/// 11 is outside 1..10`, `task.priority: invalid type...`, `task: missing field ...`.
fn embedded_message(message: &str) -> String {
    let m = message.strip_prefix("invalid body: ").unwrap_or(message);
    if let Some((path, rest)) = m.strip_prefix("field `").and_then(|r| r.split_once("`: ")) {
        return format!("task.{path}: {rest}");
    }
    if m.starts_with("missing field") || m.starts_with("unknown field") {
        return format!("task: {m}");
    }
    // The rules of `validate` start with the field's name.
    format!("task.{m}")
}

/// Field rules beyond types: 422 TASK_007 for an unknown task type, 400 TASK_010 for the rest.
/// Returns the task, its priority raised for a deadline within 48 hours, and the priority asked
/// for.
fn validate(b: CreateTask, now: DateTime<Utc>) -> ApiResult<(NewTask, i32)> {
    if !TASK_TYPES.contains(&b.task_type.as_str()) {
        return Err(ApiError::new(
            Code::InvalidTaskType,
            format!(
                "task_type {:?} is not one of {}",
                b.task_type,
                TASK_TYPES.join(", ")
            ),
        ));
    }
    if b.task_description.trim().is_empty() {
        return Err(ApiError::bad_request("task_description must not be empty"));
    }
    if let Err(rule) = agent_name::check(&b.assigned_agent) {
        return Err(ApiError::unprocessable(format!("assigned_agent: {rule}")));
    }
    let priority = b.priority.unwrap_or(5);
    if !(1..=10).contains(&priority) {
        return Err(ApiError::bad_request(format!(
            "priority {priority} is outside 1..10"
        )));
    }
    let max_retries = b.max_retries.unwrap_or(3);
    if !(0..=100).contains(&max_retries) {
        return Err(ApiError::bad_request(format!(
            "max_retries {max_retries} is outside 0..100"
        )));
    }
    if let Some(d) = b.deadline {
        deadline::check(d, now).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    let requested_priority = priority;
    let priority = deadline::priority(priority, b.deadline, now);
    let input_data = b.input_data.unwrap_or_else(|| json!({}));
    if !input_data.is_object() {
        return Err(ApiError::bad_request("input_data must be a JSON object"));
    }
    let mut depends_on = b.depends_on.unwrap_or_default();
    depends_on.sort();
    depends_on.dedup();
    if depends_on.len() > MAX_DEPENDENCIES {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_DEPENDENCIES} dependencies per task"
        )));
    }
    let task = NewTask {
        id: Uuid::now_v7(),
        workspace_id: b.workspace_id,
        contact_id: None,
        strategy_id: None,
        task_description: b.task_description,
        task_type: b.task_type,
        assigned_agent: b.assigned_agent,
        priority,
        depends_on,
        input_data,
        max_retries,
        next_run_at: None,
        plan_index: None,
        deadline: b.deadline,
        requires_approval: b.requires_approval.unwrap_or(false),
    };
    Ok((task, requested_priority))
}

/// Dependencies must be tasks of the same workspace (422 TASK_011 otherwise) that can still
/// complete (409 TASK_006 for a failed or cancelled one). A new task cannot close a cycle: nothing
/// depends on it yet.
async fn check_dependencies(tx: &mut tenancy::Tx, task: &NewTask) -> ApiResult<()> {
    if task.depends_on.is_empty() {
        return Ok(());
    }
    let found: HashMap<Uuid, Status> =
        read::dependency_status(tx, &task.depends_on, task.workspace_id)
            .await?
            .into_iter()
            .collect();
    let unknown: Vec<String> = task
        .depends_on
        .iter()
        .filter(|id| !found.contains_key(id))
        .map(Uuid::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::new(
            Code::InvalidDependencies,
            format!(
                "depends_on names tasks not found in this workspace: {}",
                unknown.join(", ")
            ),
        ));
    }
    if let Some((id, status)) = found.iter().find(|(_, s)| s.is_dead()) {
        return Err(ApiError::new(
            Code::DependencyNotMet,
            format!("dependency {id} is {status}; it can never complete (retry it first)"),
        ));
    }
    Ok(())
}
