//! `/healthz` (the process is up), `/readyz` (the database answers and takes writes),
//! `/metrics` (Prometheus).

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::api::state::AppState;

/// Liveness: the process is up. No database call.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "health",
    responses((status = 200, description = "The process is up.", body = String, content_type = "text/plain", example = "ok\n")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers within 2 s and takes writes.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers and takes writes.", body = String, content_type = "text/plain", example = "ready\n"),
        (status = 503, description = "TASK_000: `database unreachable` (no answer within 2 s) or `database is read-only` (a standby, or default_transaction_read_only).", body = ErrorEnvelope),
    ))]
pub async fn readyz(State(s): State<AppState>) -> ApiResult<&'static str> {
    match crate::db::check_ready(&s.pool).await {
        Ok(()) => Ok("ready\n"),
        Err(why) => Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "TASK_000",
            message: why.into(),
        }),
    }
}

/// The API's Prometheus metrics (request counts and durations by route).
#[utoipa::path(get, path = "/metrics", operation_id = "prometheus_metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain")))]
pub async fn metrics(State(s): State<AppState>) -> String {
    s.metrics.render()
}
