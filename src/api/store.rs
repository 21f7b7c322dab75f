//! The API's writes and reads outside the task queue: contacts, strategies, audit rows (written,
//! and read back as a task's trail).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::audit::Action;
use crate::db::sql;

pub async fn contact_exists(
    db: &mut PgConnection,
    id: Uuid,
    workspace_id: Uuid,
) -> Result<bool, sqlx::Error> {
    crate::db::query_scalar(sql::CONTACT_EXISTS)
        .bind(id)
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

pub async fn strategy_exists(
    db: &mut PgConnection,
    id: Uuid,
    workspace_id: Uuid,
) -> Result<bool, sqlx::Error> {
    crate::db::query_scalar(sql::STRATEGY_EXISTS)
        .bind(id)
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

/// A strategy as GET /api/strategies lists it.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StrategySummary {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub decomposed: bool,
    pub task_count: i64,
}

/// A workspace's strategies, newest first.
pub async fn strategy_list(
    db: &mut PgConnection,
    workspace_id: Uuid,
    limit: i64,
) -> Result<Vec<StrategySummary>, sqlx::Error> {
    crate::db::query_as(sql::STRATEGY_LIST)
        .bind(workspace_id)
        .bind(limit)
        .fetch_all(db)
        .await
}

pub struct NewStrategy<'a> {
    pub workspace_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub name: &'a str,
    pub campaign_calendar: Value,
    pub content_pillars: Value,
    pub kpis: Value,
}

pub async fn insert_strategy(
    db: &mut PgConnection,
    s: NewStrategy<'_>,
    actor: &str,
) -> Result<Uuid, sqlx::Error> {
    crate::db::query_scalar(sql::STRATEGY_INSERT)
        .bind(s.workspace_id)
        .bind(s.contact_id)
        .bind(s.name)
        .bind(Json(s.campaign_calendar))
        .bind(Json(s.content_pillars))
        .bind(Json(s.kpis))
        .bind(actor)
        .fetch_one(db)
        .await
}

#[derive(Debug, sqlx::FromRow)]
pub struct StrategyRow {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub campaign_calendar: Json<Value>,
    pub content_pillars: Json<Value>,
    pub kpis: Json<Value>,
    /// The plan of its decomposition, once decomposed.
    pub execution_plan: Option<Json<Value>>,
}

/// Records the plan of the strategy's decomposition.
pub async fn set_plan(db: &mut PgConnection, id: Uuid, plan: &Value) -> Result<(), sqlx::Error> {
    crate::db::query(sql::STRATEGY_SET_PLAN)
        .bind(id)
        .bind(Json(plan))
        .execute(db)
        .await?;
    Ok(())
}

/// The strategy, locked until the transaction ends (serializes decompositions of it).
pub async fn lock_strategy(
    db: &mut PgConnection,
    id: Uuid,
    workspace_id: Uuid,
) -> Result<Option<StrategyRow>, sqlx::Error> {
    crate::db::query_as(sql::STRATEGY_LOCK)
        .bind(id)
        .bind(workspace_id)
        .fetch_optional(db)
        .await
}

/// One audit row for a change that is not a task transition.
pub struct AuditEntry<'a> {
    pub workspace_id: Uuid,
    pub action: Action,
    pub resource: &'a str,
    pub resource_id: Uuid,
    pub actor: &'a str,
    pub status: Option<&'a str>,
    pub details: Value,
}

pub async fn audit(db: &mut PgConnection, e: AuditEntry<'_>) -> Result<(), sqlx::Error> {
    crate::db::query(sql::AUDIT_INSERT)
        .bind(e.workspace_id)
        .bind(e.action.as_str())
        .bind(e.resource)
        .bind(e.resource_id)
        .bind(e.actor)
        .bind(e.status)
        .bind(Json(e.details))
        .execute(db)
        .await?;
    Ok(())
}

/// One row of a task's audit trail, as GET /api/tasks/{id}/audit answers it.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub action: String,
    /// The acting component: `task-orchestrator`, `api:<sub>`, a worker id.
    pub agent: String,
    /// The task's status after the change.
    pub status: Option<String>,
    /// What the action recorded (its error, retry count, reason...).
    #[schema(value_type = Object)]
    pub details: Json<Value>,
    pub created_at: DateTime<Utc>,
}

/// A task's audit rows, oldest first, at most `limit`.
pub async fn audit_trail(
    db: &mut PgConnection,
    task_id: Uuid,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    crate::db::query_as(sql::AUDIT_LIST_BY_TASK)
        .bind(task_id)
        .bind(limit)
        .fetch_all(db)
        .await
}
