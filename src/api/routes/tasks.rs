//! POST /api/tasks (create one task) and GET /api/tasks/{id} (the full row).
//! A task may carry a `deadline` (RFC 3339): one in the past is a 400, and one within 48 hours
//! raises the priority to the urgent band (`schedule::deadline`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::agents::name as agent_name;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::{Caller, IdPath, StrictJson};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::audit::{self, Action};
use crate::codes::Code;
use crate::queue::read;
use crate::queue::{self, NewTask, Status, TASK_TYPES};
use crate::schedule::deadline;

/// More dependencies than this on one task is almost certainly a client bug.
const MAX_DEPENDENCIES: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    workspace_id: Uuid,
    task_description: String,
    task_type: String,
    assigned_agent: String,
    #[serde(default)]
    priority: Option<i32>,
    #[serde(default)]
    depends_on: Option<Vec<Uuid>>,
    #[serde(default)]
    input_data: Option<Value>,
    #[serde(default)]
    max_retries: Option<i32>,
    #[serde(default)]
    deadline: Option<DateTime<Utc>>,
}

pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(body): StrictJson<CreateTask>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (task, requested_priority) = validate(body, s.pass.clock.now())?;
    let mut tx = tenancy::begin(&s, &caller).await?;
    tenancy::workspace(&mut tx, &caller, task.workspace_id).await?;
    check_dependencies(&mut tx, &task).await?;
    let actor = caller.actor();
    queue::insert(&mut *tx, &actor, std::slice::from_ref(&task), true).await?;
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
        Json(json!({"success": true, "task": row})),
    ))
}

pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Value>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    let row = tenancy::task(&mut tx, &caller, id).await?;
    tx.commit().await?;
    Ok(Json(json!({"success": true, "task": row})))
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
