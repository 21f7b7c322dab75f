//! Tenant scoping. Every API transaction starts with `sql/tenant_role.sql` and
//! `sql/tenant_scope.sql`: the `taskfleet_api` role (subject to row-level security) and the
//! caller's workspaces. The handlers also check
//! membership themselves; RLS is the second wall, not the first.

use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

use super::error::ApiError;
use super::extract::Caller;
use super::state::AppState;
use crate::codes::Code;
use crate::db::sql;
use crate::queue::read::{self, TaskRecord};

pub type Tx = Transaction<'static, Postgres>;

/// A workspace the caller is a member of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub timezone: Option<String>,
}

/// Begins a transaction scoped to the caller's workspaces, on the `taskfleet_api` login.
pub async fn begin(s: &AppState, caller: &Caller) -> Result<Tx, ApiError> {
    scope(login(s).begin().await?, caller).await
}

/// The tenant login, subject to row-level security; on Citus the owner's instead: Citus writes a
/// statement's pulled rows into the shards with COPY, which row-level security refuses ("COPY
/// FROM not supported with row-level security"). The handlers' own workspace checks scope every
/// query either way; the policies back them up on PostgreSQL only (README, "Scaling past one
/// Postgres").
fn login(s: &AppState) -> &sqlx::PgPool {
    if crate::db::citus::distributed() {
        &s.pool
    } else {
        &s.tenant
    }
}

/// [`begin`] for a read that answers from several statements (a status page and its summary):
/// one snapshot for all of them, so the counts agree with the rows shown.
pub async fn begin_snapshot(s: &AppState, caller: &Caller) -> Result<Tx, ApiError> {
    let tx = login(s)
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    scope(tx, caller).await
}

async fn scope(mut tx: Tx, caller: &Caller) -> Result<Tx, ApiError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(scope_statements(&caller.workspaces)))
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// The statements that open a tenant transaction for `workspaces` (tenant_role.sql, then
/// tenant_scope.sql with their literal: formatted UUIDs only, so it needs no quoting). On Citus
/// the transaction keeps the owner's role ([`login`]).
pub fn scope_statements(workspaces: &[Uuid]) -> String {
    let scope = sql::TENANT_SCOPE.replace("{workspaces}", &array_literal(workspaces));
    if crate::db::citus::distributed() {
        scope
    } else {
        format!("{}\n{scope}", sql::TENANT_ROLE)
    }
}

/// The workspace named in a request: 404 TASK_013 whether it is missing or someone else's.
pub async fn workspace(
    db: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<Workspace, ApiError> {
    let not_found = || ApiError::new(Code::WorkspaceNotFound, format!("workspace {id} not found"));
    if !caller.is_member(id) {
        return Err(not_found());
    }
    crate::db::query_as(sql::WORKSPACE_GET)
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(not_found)
}

/// A task of one of the caller's workspaces: 404 TASK_003 whether missing or someone else's.
pub async fn task(
    db: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<TaskRecord, ApiError> {
    read::tasks_by_id(db, &[id])
        .await?
        .into_iter()
        .find(|t| caller.is_member(t.workspace_id))
        .ok_or_else(|| task_not_found(id))
}

/// [`task`], which must also belong to `workspace_id` (404 TASK_003 otherwise).
pub async fn task_in(
    db: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
    workspace_id: Uuid,
) -> Result<TaskRecord, ApiError> {
    Some(task(db, caller, id).await?)
        .filter(|t| t.workspace_id == workspace_id)
        .ok_or_else(|| task_not_found(id))
}

/// A paging cursor must name a task of the workspace: an unknown one is the caller's mistake
/// (400 TASK_010), not the end of the list (it used to answer an empty page).
pub async fn cursor_in(
    db: &mut PgConnection,
    caller: &Caller,
    cursor: Uuid,
    workspace_id: Uuid,
) -> Result<(), ApiError> {
    let found = read::tasks_by_id(db, &[cursor])
        .await?
        .into_iter()
        .any(|t| t.workspace_id == workspace_id && caller.is_member(t.workspace_id));
    if found {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "cursor {cursor} is not a task of this workspace: pass the next_cursor of the previous page"
        )))
    }
}

fn task_not_found(id: Uuid) -> ApiError {
    ApiError::new(Code::TaskNotFound, format!("task {id} not found"))
}

/// `{uuid,uuid}`: the form `taskfleet_caller_workspaces()` casts to uuid[].
pub fn array_literal(ids: &[Uuid]) -> String {
    let inner: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    format!("{{{}}}", inner.join(","))
}
