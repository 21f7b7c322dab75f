//! Reads of task rows for the API (no state changes): full rows, status pages and summaries,
//! dependency checks, and the orchestrator metrics, each one `sql/` statement.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::task::Status;
use crate::db::sql;

/// A task as clients see it: every column of the specification plus the queue's public ones
/// (the attempt token stays private: it is the fencing secret of the running attempt).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TaskRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub strategy_id: Option<Uuid>,
    pub task_description: String,
    /// One of the nine task types.
    #[schema(value_type = super::task::TaskTypeName)]
    pub task_type: String,
    pub assigned_agent: String,
    /// 1 (lowest) to 10; 9 and 10 are urgent (they ignore the time-of-day rules).
    #[schema(minimum = 1, maximum = 10)]
    pub priority: i32,
    pub status: Status,
    /// Tasks that must be `completed` before this one is ready.
    pub depends_on: Vec<Uuid>,
    #[schema(value_type = Object)]
    pub input_data: Json<Value>,
    /// The agent's 2xx JSON answer; null until the task completes.
    #[schema(value_type = Option<Value>)]
    pub output_data: Option<Json<Value>>,
    /// Why the last attempt failed or the task was cancelled, starting with its code (TASK_004
    /// agent unavailable, TASK_005 max retries exceeded, TASK_006 upstream failed, TASK_008
    /// timeout, TASK_014 unusable agent output).
    pub error_message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub retry_count: i32,
    pub max_retries: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    /// The recurring template that created the task (null for any other task); it stays when
    /// the template is deleted.
    pub template_id: Option<Uuid>,
    /// Null when the task needs no approval (`requires_approval` at creation); otherwise its
    /// approver's decision. Its dependents wait until it is `approved`.
    #[schema(value_type = Option<super::task::Approval>)]
    pub approval: Option<Json<super::task::Approval>>,
}

pub async fn tasks_by_id(
    db: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<TaskRecord>, sqlx::Error> {
    crate::db::query_as(sql::TASK_GET)
        .bind(ids)
        .fetch_all(db)
        .await
}

/// (task id, plan index) of a strategy's decomposed tasks, in plan order.
pub async fn strategy_tasks(
    db: &mut PgConnection,
    strategy_id: Uuid,
) -> Result<Vec<(Uuid, i32)>, sqlx::Error> {
    crate::db::query_as(sql::TASK_LIST_BY_STRATEGY)
        .bind(strategy_id)
        .fetch_all(db)
        .await
}

/// (id, status) of the given ids that exist in `workspace_id`.
pub async fn dependency_status(
    db: &mut PgConnection,
    ids: &[Uuid],
    workspace_id: Uuid,
) -> Result<Vec<(Uuid, Status)>, sqlx::Error> {
    crate::db::query_as(sql::TASK_DEPENDENCY_STATUS)
        .bind(ids)
        .bind(workspace_id)
        .fetch_all(db)
        .await
}

/// Filters of GET /api/tasks/status.
#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    pub workspace_id: Uuid,
    pub task_id: Option<Uuid>,
    pub status: Option<Status>,
    pub assigned_agent: Option<String>,
    pub task_type: Option<String>,
    pub strategy_id: Option<Uuid>,
    pub priority: Option<i32>,
    /// Text the description contains, case-insensitive.
    pub text: Option<String>,
    /// Only the tasks that depend on this one (its downstream).
    pub depends_on: Option<Uuid>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusRow {
    pub id: Uuid,
    pub task_description: String,
    pub status: Status,
    pub priority: i32,
    pub assigned_agent: String,
    pub error_message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
    pub dependencies_met: bool,
    pub task_type: String,
    pub strategy_id: Option<Uuid>,
    pub retry_count: i32,
    pub max_retries: i32,
    pub depends_on: Vec<Uuid>,
    /// in_progress with an expired lease (what `stuck_tasks` lists).
    pub stuck: bool,
    /// Position and name of its phase in its strategy's recorded plan; None for pillar and KPI
    /// tasks and for tasks of no strategy.
    pub phase_index: Option<i32>,
    pub phase_name: Option<String>,
    pub approval: Option<Json<super::task::Approval>>,
}

/// Counts by status of the tasks the filters select.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StatusSummary {
    pub total: i64,
    pub queued: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Completed tasks whose approval is pending (their dependents wait).
    pub awaiting_approval: i64,
}

pub async fn status_page(
    db: &mut PgConnection,
    f: &StatusFilter,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<StatusRow>, sqlx::Error> {
    crate::db::query_as(sql::TASK_STATUS_PAGE)
        .bind(f.workspace_id)
        .bind(f.task_id)
        .bind(f.status)
        .bind(f.assigned_agent.as_deref())
        .bind(cursor)
        .bind(limit)
        .bind(f.task_type.as_deref())
        .bind(f.strategy_id)
        .bind(f.priority)
        .bind(f.text.as_deref())
        .bind(f.depends_on)
        .fetch_all(db)
        .await
}

pub async fn status_summary(
    db: &mut PgConnection,
    f: &StatusFilter,
) -> Result<StatusSummary, sqlx::Error> {
    crate::db::query_as(sql::TASK_STATUS_SUMMARY)
        .bind(f.workspace_id)
        .bind(f.task_id)
        .bind(f.status)
        .bind(f.assigned_agent.as_deref())
        .bind(f.task_type.as_deref())
        .bind(f.strategy_id)
        .bind(f.priority)
        .bind(f.text.as_deref())
        .bind(f.depends_on)
        .fetch_one(db)
        .await
}

/// How far back the ETA looks at an agent's completions (`sql/task_eta.sql`).
pub const ETA_HISTORY_SECS: f64 = 3600.0;

/// (id, eta_seconds) of the queued and in_progress tasks among `ids` (README: "ETA").
pub async fn eta(
    db: &mut PgConnection,
    ids: &[Uuid],
    workspace_id: Uuid,
) -> Result<Vec<(Uuid, Option<f64>)>, sqlx::Error> {
    crate::db::query_as(sql::TASK_ETA)
        .bind(ids)
        .bind(workspace_id)
        .bind(ETA_HISTORY_SECS)
        .fetch_all(db)
        .await
}

pub async fn queued_count(db: &mut PgConnection, workspace_id: Uuid) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(sql::TASK_COUNT_QUEUED)
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

/// The specification's `OrchestratorMetrics`, plus counts, success rate, retries, ready depth
/// and the oldest ready task's age.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrchestratorMetrics {
    pub tasks_created_today: i64,
    pub tasks_executed_today: i64,
    pub tasks_failed_today: i64,
    pub average_execution_time_ms: f64,
    pub queue_depth: i64,
    pub ready_depth: i64,
    pub oldest_ready_age_seconds: f64,
    pub total_tasks: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub total_retries: i64,
    pub success_rate: Option<f64>,
    #[schema(value_type = Object)]
    pub agents_utilization: Json<Value>,
    pub p95_execution_time_ms: f64,
    /// Tasks running now, by agent.
    #[schema(value_type = Object)]
    pub agents_in_flight: Json<Value>,
}

pub async fn orchestrator_metrics(
    db: &mut PgConnection,
    workspace_id: Uuid,
    zone: &str,
) -> Result<OrchestratorMetrics, sqlx::Error> {
    crate::db::query_as(sql::ORCHESTRATOR_METRICS)
        .bind(workspace_id)
        .bind(zone)
        .fetch_one(db)
        .await
}

/// One minute of a workspace's last hour (`sql/metrics_throughput.sql`).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MinuteCounts {
    pub minute: DateTime<Utc>,
    pub completed: i64,
    pub failed: i64,
    pub retried: i64,
}

/// The last 60 minutes of completions, failures and scheduled retries, oldest first.
pub async fn throughput(
    db: &mut PgConnection,
    workspace_id: Uuid,
) -> Result<Vec<MinuteCounts>, sqlx::Error> {
    crate::db::query_as(sql::METRICS_THROUGHPUT)
        .bind(workspace_id)
        .fetch_all(db)
        .await
}

/// A result awaiting its approver: what `GET /api/approvals` lists.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApprovalRequest {
    pub id: Uuid,
    pub strategy_id: Option<Uuid>,
    pub task_description: String,
    #[schema(value_type = super::task::TaskTypeName)]
    pub task_type: String,
    pub assigned_agent: String,
    pub priority: i32,
    /// The agent's answer: what the approver judges.
    #[schema(value_type = Option<Value>)]
    pub output_data: Option<Json<Value>>,
    #[schema(value_type = super::task::Approval)]
    pub approval: Json<super::task::Approval>,
    /// Queued tasks that depend on it: approve unblocks them, reject cancels them (TASK_006).
    pub waiting_dependents: Vec<Uuid>,
}

/// The workspace's completed tasks awaiting approval, oldest result first.
pub async fn approval_queue(
    db: &mut PgConnection,
    workspace_id: Uuid,
    limit: i64,
) -> Result<Vec<ApprovalRequest>, sqlx::Error> {
    crate::db::query_as(sql::APPROVAL_LIST)
        .bind(workspace_id)
        .bind(limit)
        .fetch_all(db)
        .await
}
