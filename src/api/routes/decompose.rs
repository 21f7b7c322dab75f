//! POST /api/tasks/decompose: a strategy becomes its task DAG (contract section 5). Decomposing
//! the same strategy again returns its existing tasks with 200, also when two requests race:
//! the strategy row is locked for the decomposition, and (strategy_id, plan_index) is unique.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tasks::escalated_at_creation;
use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::execute_pass;
use crate::api::extract::{Caller, StrictJson};
use crate::api::state::AppState;
use crate::api::{store, tenancy};
use crate::audit::{self, Action};
use crate::codes::Code;
use crate::db;
use crate::decompose::{self, Plan};
use crate::queue::read::{self, TaskRecord};
use crate::queue::{self, ClaimFilter, NewTask};
use crate::schedule::deadline;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecomposeRequest {
    strategy_id: Uuid,
    /// The strategy's workspace.
    workspace_id: Uuid,
    /// Also run one execute pass (up to 5 ready tasks of the workspace) before answering.
    #[serde(default)]
    auto_execute: bool,
    /// Approval gates for this strategy: each content task of a phase that also has email
    /// tasks gets `requires_approval`, so the phase's email waits until a person approves the
    /// content (README "Approval gates"). Default false. Applies when the strategy is first
    /// decomposed; a repeat returns the tasks as they were created.
    #[serde(default)]
    content_approval: bool,
}

/// The specification's `DecomposeStrategyResult`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecomposeResult {
    success: bool,
    /// 0 when the strategy was decomposed before (its existing tasks are returned).
    tasks_created: usize,
    /// In plan order: key activities phase by phase, then pillars, then KPIs.
    tasks: Vec<TaskRecord>,
    execution_plan: ExecutionPlan,
    /// With `auto_execute`: the pass's `ExecuteResult`, or the error envelope of a pass that
    /// could not run (the tasks stay queued for the workers either way).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    execution: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
struct ExecutionPlan {
    total_tasks: usize,
    phases: Vec<PlanPhase>,
    /// Pillar and KPI tasks: they belong to no phase.
    ongoing_task_ids: Vec<Uuid>,
    estimated_duration_days: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
struct PlanPhase {
    phase_name: String,
    tasks: Vec<Uuid>,
    /// The previous phase's activity tasks, which every task of this phase waits for.
    dependencies: Vec<Uuid>,
    /// The phase's `duration_days` (default 30).
    estimated_days: i64,
}

/// Turns a strategy into its task DAG (README "Decomposition"). A strategy decomposed before
/// answers 200 with its existing tasks; nothing is duplicated.
#[utoipa::path(post, path = "/api/tasks/decompose", operation_id = "decompose_strategy", tag = "tasks",
    request_body = DecomposeRequest,
    responses(
        (status = 201, description = "Decomposed: the tasks are queued.", body = DecomposeResult),
        (status = 200, description = "Decomposed before: its existing tasks and recorded plan.", body = DecomposeResult),
        (status = 400, description = "TASK_010: invalid request (malformed JSON, a body that is not an object, a field of the wrong type, a missing, unknown or duplicate field, a bad UUID).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it. TASK_001: strategy not found in that workspace.", body = ErrorEnvelope),
        (status = 413, description = "TASK_010: body over 1 MiB.", body = ErrorEnvelope),
        (status = 422, description = "TASK_002: the strategy cannot be decomposed (no phases, no activities, a limit exceeded).", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn decompose(
    State(s): State<AppState>,
    caller: Caller,
    StrictJson(req): StrictJson<DecomposeRequest>,
) -> ApiResult<(StatusCode, Json<DecomposeResult>)> {
    let (status, mut result) = match decompose_once(&s, &caller, &req).await? {
        Attempt::Done(status, result) => (status, result),
        // A concurrent decomposition won the unique index: answer with its tasks.
        Attempt::Raced => match decompose_once(&s, &caller, &req).await? {
            Attempt::Done(status, result) => (status, result),
            Attempt::Raced => return Err(ApiError::internal("decomposition raced twice")),
        },
    };
    if req.auto_execute {
        let filter = ClaimFilter {
            workspace_id: Some(req.workspace_id),
            ..Default::default()
        };
        // The tasks are queued for the fleet whatever happens here: a pass that cannot run (no
        // agent secret on the API, say) is reported, not turned into a failed decomposition.
        result.execution = Some(
            match execute_pass::run(&s, &filter, 5, req.workspace_id).await {
                Ok(pass) => serde_json::to_value(pass).map_err(ApiError::internal)?,
                Err(e) => {
                    json!({"success": false, "error": {"code": e.code, "message": e.message}})
                }
            },
        );
    }
    Ok((status, Json(result)))
}

enum Attempt {
    Done(StatusCode, DecomposeResult),
    /// Another request inserted this strategy's tasks first.
    Raced,
}

async fn decompose_once(
    s: &AppState,
    caller: &Caller,
    req: &DecomposeRequest,
) -> ApiResult<Attempt> {
    let mut tx = tenancy::begin(s, caller).await?;
    tenancy::workspace(&mut tx, caller, req.workspace_id).await?;
    let strategy = store::lock_strategy(&mut tx, req.strategy_id, req.workspace_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                Code::StrategyNotFound,
                format!("strategy {} not found", req.strategy_id),
            )
        })?;
    // Decomposed before: answer with the tasks that exist and the plan recorded with them.
    let existing = read::strategy_tasks(&mut tx, strategy.id).await?;
    if !existing.is_empty() {
        let ids: Vec<Uuid> = existing.iter().map(|(id, _)| *id).collect();
        let mut tasks = read::tasks_by_id(&mut tx, &ids).await?;
        tasks.sort_by_key(|t| ids.iter().position(|id| *id == t.id));
        let recorded = strategy
            .execution_plan
            .ok_or_else(|| ApiError::internal("decomposed strategy has no recorded plan"))?;
        let plan: ExecutionPlan = serde_json::from_value(recorded.0).map_err(ApiError::internal)?;
        tx.commit().await?;
        let result = DecomposeResult {
            success: true,
            tasks_created: 0,
            tasks,
            execution_plan: plan,
            execution: None,
        };
        return Ok(Attempt::Done(StatusCode::OK, result));
    }
    let plan = decompose::decompose(
        &strategy.id.to_string(),
        &strategy.campaign_calendar,
        &strategy.content_pillars,
        &strategy.kpis,
        &s.limits,
    )?;

    let ids: Vec<Uuid> = plan.tasks.iter().map(|_| Uuid::now_v7()).collect();
    let gates = plan.content_approvals();
    let actor = caller.actor();
    let now = s.pass.clock.now();
    let new_tasks: Vec<NewTask> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| NewTask {
            id: ids[i],
            workspace_id: req.workspace_id,
            contact_id: strategy.contact_id,
            strategy_id: Some(strategy.id),
            task_description: t.description.clone(),
            task_type: t.task_type.to_string(),
            assigned_agent: t.assigned_agent.to_string(),
            // An activity due within 48 hours (or overdue by now) starts in the urgent band.
            priority: deadline::priority(i32::from(t.priority), t.deadline, now),
            depends_on: t.depends_on.iter().map(|&d| ids[d]).collect(),
            input_data: t.input_data.clone(),
            max_retries: 3,
            next_run_at: None,
            plan_index: Some(i as i32),
            deadline: t.deadline,
            requires_approval: req.content_approval && gates[i],
        })
        .collect();
    if let Err(e) = queue::insert(&mut tx, &actor, &new_tasks, s.pass.audit.is_full()).await {
        return if db::has_sql_state(&e, db::UNIQUE_VIOLATION) {
            Ok(Attempt::Raced)
        } else {
            Err(e.into())
        };
    }
    for (planned, task) in plan.tasks.iter().zip(&new_tasks) {
        let requested = i32::from(planned.priority);
        if task.priority > requested {
            store::audit(&mut tx, escalated_at_creation(task, requested, &actor)).await?;
        }
    }
    let tasks = read::tasks_by_id(&mut tx, &ids).await?;
    let result = result(&plan, &ids, tasks, new_tasks.len());
    let recorded = serde_json::to_value(&result.execution_plan).map_err(ApiError::internal)?;
    store::set_plan(&mut tx, strategy.id, &recorded).await?;
    // The decomposition's one audit row records its tasks (one task.created each only with
    // TASKFLEET_AUDIT=full): how many, and the plan that names them.
    store::audit(
        &mut tx,
        store::AuditEntry {
            workspace_id: req.workspace_id,
            action: Action::StrategyDecomposed,
            resource: audit::STRATEGIES,
            resource_id: strategy.id,
            actor: &actor,
            status: None,
            details: json!({"tasks_created": new_tasks.len(), "phases": plan.phases.len(),
                            "plan": recorded}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Attempt::Done(StatusCode::CREATED, result))
}

fn result(
    plan: &Plan,
    ids: &[Uuid],
    mut tasks: Vec<TaskRecord>,
    created: usize,
) -> DecomposeResult {
    // Tasks in plan order, which is also the order of the plan's phases.
    let position = |id: &Uuid| ids.iter().position(|x| x == id).unwrap_or(usize::MAX);
    tasks.sort_by_key(|t| position(&t.id));
    let pick = |indices: &[usize]| {
        indices
            .iter()
            .filter_map(|&i| ids.get(i).copied())
            .collect()
    };
    DecomposeResult {
        success: true,
        tasks_created: created,
        execution_plan: ExecutionPlan {
            total_tasks: tasks.len(),
            phases: plan
                .phases
                .iter()
                .map(|p| PlanPhase {
                    phase_name: p.phase_name.clone(),
                    tasks: pick(&p.tasks),
                    dependencies: pick(&p.dependencies),
                    estimated_days: p.estimated_days,
                })
                .collect(),
            ongoing_task_ids: pick(&plan.ongoing),
            estimated_duration_days: plan.estimated_duration_days,
        },
        tasks,
        execution: None,
    }
}
