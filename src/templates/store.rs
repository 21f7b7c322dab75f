//! The `sql/template_*.sql` statements. The API runs the first three in its tenant transaction
//! (row-level security on `task_templates`); the sweep runs the rest on the worker login.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{NewTemplate, Template};
use crate::db::sql;

pub async fn insert(db: &mut PgConnection, t: &NewTemplate) -> Result<Template, sqlx::Error> {
    crate::db::query_as(sql::TEMPLATE_INSERT)
        .bind(t.id)
        .bind(t.workspace_id)
        .bind(&t.name)
        .bind(&t.cron)
        .bind(&t.timezone)
        .bind(Json(&t.task))
        .bind(t.enabled)
        .bind(t.catch_up_secs)
        .bind(t.created_at)
        .fetch_one(db)
        .await
}

/// A workspace's templates, oldest first.
pub async fn list(db: &mut PgConnection, workspace_id: Uuid) -> Result<Vec<Template>, sqlx::Error> {
    crate::db::query_as(sql::TEMPLATE_LIST)
        .bind(workspace_id)
        .fetch_all(db)
        .await
}

/// Deletes the template if it belongs to one of `workspaces`; None if missing or not theirs.
pub async fn delete(
    db: &mut PgConnection,
    id: Uuid,
    workspaces: &[Uuid],
) -> Result<Option<Template>, sqlx::Error> {
    crate::db::query_as(sql::TEMPLATE_DELETE)
        .bind(id)
        .bind(workspaces)
        .fetch_optional(db)
        .await
}

/// What the sweep needs of an enabled template.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scheduled {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub cron: String,
    pub timezone: String,
    pub catch_up_secs: i32,
    pub created_at: DateTime<Utc>,
    pub last_tick: Option<DateTime<Utc>>,
}

pub async fn list_enabled(pool: &PgPool) -> Result<Vec<Scheduled>, sqlx::Error> {
    crate::db::query_as(sql::TEMPLATE_LIST_ENABLED)
        .fetch_all(pool)
        .await
}

/// Creates the task of `tick` unless that tick is settled already (by this or another worker):
/// the new task's id, or None.
pub async fn instantiate(
    pool: &PgPool,
    template_id: Uuid,
    tick: DateTime<Utc>,
    actor: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let row: Option<(Uuid, i64)> = crate::db::query_as(sql::TEMPLATE_INSTANTIATE)
        .bind(template_id)
        .bind(tick)
        .bind(Uuid::now_v7())
        .bind(actor)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|(id, _)| id))
}

/// Settles `tick` without a task (too old to catch up); false if it was settled already.
pub async fn skip_tick(
    pool: &PgPool,
    template_id: Uuid,
    tick: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let row: Option<Uuid> = crate::db::query_scalar(sql::TEMPLATE_SKIP_TICK)
        .bind(template_id)
        .bind(tick)
        .fetch_optional(pool)
        .await?;
    Ok(row.is_some())
}
