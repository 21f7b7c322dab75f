//! One file per route group; [`routes`] wires them.

mod audit;
mod decompose;
mod execute;
mod health;
mod lifecycle;
mod metrics;
mod status;
mod strategies;
mod strategy_list;
mod tasks;

use axum::Router;
use axum::routing::{get, post};

use crate::api::state::AppState;
use crate::api::ui;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/api/strategies",
            post(strategies::create).get(strategy_list::list),
        )
        .route("/api/tasks/decompose", post(decompose::decompose))
        .route("/api/tasks", post(tasks::create))
        .route("/api/tasks/execute", post(execute::execute))
        .route("/api/tasks/status", get(status::status))
        .route("/api/tasks/{id}", get(tasks::get))
        .route("/api/tasks/{id}/audit", get(audit::list))
        .route("/api/tasks/{id}/cancel", post(lifecycle::cancel))
        .route("/api/tasks/{id}/retry", post(lifecycle::retry))
        .route("/api/metrics/orchestrator", get(metrics::orchestrator))
        .route("/ui", get(ui::redirect))
        .route("/ui/", get(ui::index))
        .route("/ui/{file}", get(ui::asset))
}
