//! One bounded execute pass as the API runs it (`POST /api/tasks/execute`, and `auto_execute`
//! after a decomposition): the workers' own claim and outcome rule (`worker::pass`), answered as
//! the specification's `ExecuteQueueResult`.

use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::state::AppState;
use crate::codes::Code;
use crate::queue::{ClaimFilter, read};
use crate::worker::pass::{self, LogEntry};

/// The specification's `ExecuteQueueResult`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExecuteResult {
    success: bool,
    tasks_executed: usize,
    tasks_failed: usize,
    tasks_remaining: i64,
    execution_log: Vec<LogEntry>,
}

/// Runs one pass for a workspace the caller was checked to be a member of.
pub async fn run(
    s: &AppState,
    filter: &ClaimFilter,
    limit: usize,
    workspace_id: Uuid,
) -> ApiResult<ExecuteResult> {
    let Some(agents) = s.agents.clone() else {
        return Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: Code::AgentUnavailable.as_str(),
            message: "agent calls are disabled on this API: set TASKFLEET_AGENT_SECRET".into(),
        });
    };
    if let Some(registry) = crate::agents::Executor::registry(agents.as_ref()) {
        s.registry_sync
            .reload_if_older(registry, Duration::from_secs(1))
            .await;
    }
    // The pass runs as a task of its own: a client that hangs up drops this handler, not the
    // pass, so every task it claimed still runs and has its outcome recorded.
    let (pool, cfg, filter) = (s.pool.clone(), s.pass.clone(), filter.clone());
    let agents = pass::PassAgents {
        executor: agents,
        guards: s.guards.clone(),
        registry_sync: s.registry_sync.clone(),
    };
    let log =
        tokio::spawn(async move { pass::run_once(&pool, &cfg, agents, &filter, limit).await })
            .await
            .map_err(ApiError::internal)??;
    let mut conn = s.pool.acquire().await?;
    let remaining = read::queued_count(&mut conn, workspace_id).await?;
    let executed = log.iter().filter(|e| e.completed()).count();
    Ok(ExecuteResult {
        success: true,
        tasks_executed: executed,
        tasks_failed: log.len() - executed,
        tasks_remaining: remaining,
        execution_log: log,
    })
}
