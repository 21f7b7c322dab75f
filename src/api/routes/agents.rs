//! `GET /api/agents` (issue 18, contract section 9): the agent registry as a tenant may see it.
//! Agents are fleet-wide, so every caller sees every agent with its circuit breaker; the figures
//! computed from tasks (in flight, success rate, latencies, last error) count only the caller's
//! workspaces, because `sql/agent_stats.sql` runs under [`tenancy::begin`]'s row-level security.
//! URLs never appear: the API role may not even read them (migration 0019).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as SqlJson;
use utoipa::ToSchema;

use crate::api::error::{ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::db::sql;

/// The window of `success_rate`, `p50_ms`, `p95_ms` and `last_error`: 15 minutes.
const WINDOW_SECS: f64 = 15.0 * 60.0;

/// An agent's circuit breaker (migration 0018), shared by the whole fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Tasks are sent to the agent.
    Closed,
    /// The agent failed too often: its tasks are deferred (no retry consumed) until a probe.
    Open,
    /// One probe task is being sent; the others keep waiting.
    HalfOpen,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Breaker {
    pub state: BreakerState,
    /// When it entered this state; null if it never left `closed`.
    pub since: Option<DateTime<Utc>>,
    /// Why it opened (the failures it counted); null when none was recorded.
    pub reason: Option<String>,
}

/// One agent. Its URL is never shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Agent {
    /// The name tasks give as `assigned_agent`.
    pub name: String,
    /// A disabled agent's tasks wait (TASK_004, no retry consumed) until it is enabled.
    pub enabled: bool,
    #[schema(value_type = Breaker)]
    pub breaker: SqlJson<Breaker>,
    /// The caller's tasks (of the token's workspaces) in progress with this agent now.
    pub in_flight: i64,
    /// At most this many calls to the agent at once across the fleet
    /// (`taskfleet agents register --max-concurrency N`); null: no limit.
    pub max_concurrency: Option<i32>,
    /// At most this many calls a second to the agent across the fleet
    /// (`taskfleet agents register --rate R`); null: no limit.
    pub rate_per_sec: Option<f64>,
    /// Of the caller's attempts with this agent that ended in the last 15 minutes, the share that
    /// succeeded (0..1); a failure is a retry scheduled or a task failed. Null with none.
    #[schema(minimum = 0, maximum = 1)]
    pub success_rate: Option<f64>,
    /// Median duration (ms) of the caller's successful attempts with this agent in the last 15
    /// minutes (the attempt's start to its completion). Null with none.
    pub p50_ms: Option<i64>,
    /// 95th percentile of the same durations. Null with none.
    pub p95_ms: Option<i64>,
    /// The error of the caller's most recent failed attempt with this agent in the last 15
    /// minutes. Null with none.
    pub last_error: Option<String>,
}

/// No parameters: the route takes none, and refuses any (a typo would otherwise pass unseen).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    success: bool,
    /// Every registered agent, by name.
    agents: Vec<Agent>,
    /// The window of `success_rate`, `p50_ms`, `p95_ms` and `last_error`, in seconds (900).
    window_secs: u64,
}

/// The agent registry: every agent with its breaker, and figures from the caller's own tasks.
#[utoipa::path(get, path = "/api/agents", operation_id = "list_agents", tag = "agents",
    responses(
        (status = 200, description = "Every registered agent, by name. `breaker` is fleet-wide; `in_flight`, `success_rate`, `p50_ms`, `p95_ms` and `last_error` count only the tasks of the token's workspaces. `max_concurrency` and `rate_per_sec` are the fleet-wide limits (null: none). No URL is shown.", body = AgentList),
        (status = 400, description = "TASK_010: invalid query (the route takes no parameter; any is refused, as is a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> ApiResult<Json<AgentList>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    let agents: Vec<Agent> = crate::db::query_as(sql::AGENT_STATS)
        .bind(WINDOW_SECS)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Json(AgentList {
        success: true,
        agents,
        window_secs: WINDOW_SECS as u64,
    }))
}
