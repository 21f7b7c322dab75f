//! `/healthz` (the process is up), `/readyz` (the database answers), `/metrics` (Prometheus).

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::state::AppState;
use crate::db::sql;

/// Liveness: the process is up. No database call.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "health",
    responses((status = 200, description = "The process is up.", body = String, content_type = "text/plain", example = "ok\n")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers within 2 s.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers.", body = String, content_type = "text/plain", example = "ready\n"),
        (status = 503, description = "TASK_000: the database did not answer within 2 s.", body = ErrorEnvelope),
    ))]
pub async fn readyz(State(s): State<AppState>) -> ApiResult<&'static str> {
    let probe = crate::db::query(sql::HEALTH_CHECK).execute(&s.pool);
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => Ok("ready\n"),
        _ => Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "TASK_000",
            message: "database unreachable".into(),
        }),
    }
}

/// The API's Prometheus metrics (request counts and durations by route).
#[utoipa::path(get, path = "/metrics", operation_id = "prometheus_metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain")))]
pub async fn metrics(State(s): State<AppState>) -> String {
    s.metrics.render()
}
