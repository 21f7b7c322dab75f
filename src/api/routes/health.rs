//! `/healthz` (the process is up), `/readyz` (the database answers), `/metrics` (Prometheus).

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::error::{ApiError, ApiResult};
use crate::api::state::AppState;
use crate::db::sql;

pub async fn healthz() -> &'static str {
    "ok\n"
}

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

pub async fn metrics(State(s): State<AppState>) -> String {
    s.metrics.render()
}
