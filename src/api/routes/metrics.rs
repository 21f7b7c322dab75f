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
use uuid::Uuid;

use crate::alerts::{self, Alert};
use crate::api::error::ApiResult;
use crate::api::extract::{ApiQuery, Caller};
use crate::api::state::AppState;
use crate::api::tenancy;
use crate::queue::read::{self, MinuteCounts, OrchestratorMetrics};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    workspace_id: Uuid,
}

#[derive(Debug, Serialize)]
pub struct MetricsResult {
    success: bool,
    workspace_id: Uuid,
    timezone: String,
    #[serde(flatten)]
    metrics: OrchestratorMetrics,
    alerts: Vec<Alert>,
    /// The last 60 minutes, oldest first; the last one is the current minute.
    throughput: Vec<MinuteCounts>,
}

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
