//! `/healthz` (the process is up), `/readyz` (the database answers and takes writes),
//! `/metrics` (Prometheus).

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::error::{ApiError, ApiResult};
use crate::api::state::AppState;

pub async fn healthz() -> &'static str {
    "ok\n"
}

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

pub async fn metrics(State(s): State<AppState>) -> String {
    s.metrics.render()
}
