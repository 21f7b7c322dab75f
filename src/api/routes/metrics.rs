//! GET /api/metrics/orchestrator: the specification's `OrchestratorMetrics` for one workspace,
//! computed in SQL (`sql/orchestrator_metrics.sql`), "today" in the workspace's zone, and its
//! `alerts` (contract section 9; `crate::alerts`).
//!
//! For the dashboard it also answers `p95_execution_time_ms`, `agents_in_flight` and
//! `throughput`: completed, failed and retried attempts per minute over the last hour, from the
//! audit trail (`sql/metrics_throughput.sql`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::alerts::{self, Alert};
use crate::api::error::{ApiResult, ErrorEnvelope};
use crate::api::extract::{ApiQuery, Caller};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::queue::read::{self, MinuteCounts, OrchestratorMetrics};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// A workspace the token is a member of.
    workspace_id: Uuid,
}

/// The specification's `OrchestratorMetrics` (flattened in), with the workspace's alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsResult {
    success: bool,
    workspace_id: Uuid,
    /// The zone "today" is counted in: the workspace's, else `TASKFLEET_TIMEZONE`.
    timezone: String,
    #[serde(flatten)]
    metrics: OrchestratorMetrics,
    /// `queue_depth`, `failure_rate` and `slow_execution` (thresholds: `TASKFLEET_ALERT_*`).
    alerts: Vec<Alert>,
    /// The last 60 minutes, oldest first; the last one is the current minute.
    throughput: Vec<MinuteCounts>,
}

#[utoipa::path(get, path = "/api/metrics/orchestrator", operation_id = "orchestrator_metrics", tag = "metrics",
    params(MetricsQuery),
    responses(
        (status = 200, description = "The workspace's metrics and alerts.", body = MetricsResult),
        (status = 400, description = "TASK_010: invalid query (workspace_id missing or not a UUID, an unknown parameter, a NUL character).", body = ErrorEnvelope),
        (status = 401, description = "TASK_012: missing or invalid bearer token.", body = ErrorEnvelope),
        (status = 404, description = "TASK_013: workspace not found, or the token is not a member of it.", body = ErrorEnvelope),
        (status = 500, description = "TASK_000: internal error (the cause is in the API log).", body = ErrorEnvelope),
    ),
    security(("bearer" = [])))]
pub async fn orchestrator(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsResult>> {
    let mut tx = tenancy::begin(&s, &caller).await?;
    let ws = tenancy::workspace(&mut tx, &caller, q.workspace_id).await?;
    let zone = ws.timezone.unwrap_or_else(|| s.default_zone.clone());
    let metrics = read::orchestrator_metrics(&mut tx, ws.id, &zone).await?;
    let alerts = alerts::evaluate(&mut *tx, Some(ws.id), &zone, &s.alerts).await?;
    let throughput = read::throughput(&mut tx, ws.id).await?;
    tx.commit().await?;
    Ok(Json(MetricsResult {
        success: true,
        workspace_id: ws.id,
        timezone: zone,
        metrics,
        alerts: alerts.iter().map(alerts::Evaluated::alert).collect(),
        throughput,
    }))
}
