//! One file per route group; [`routes`] wires them. Each handler carries its
//! `#[utoipa::path]`; `api::openapi` lists them, so a new route is one line here and one there
//! (tests/openapi.rs fails when a route of this file is missing from the document).

pub(crate) mod agents;
pub(crate) mod approvals;
pub(crate) mod audit;
pub(crate) mod decompose;
pub(crate) mod execute;
pub(crate) mod health;
pub(crate) mod lifecycle;
pub(crate) mod metrics;
pub(crate) mod status;
pub(crate) mod strategies;
pub(crate) mod strategy_list;
pub(crate) mod tasks;
pub(crate) mod templates;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::api::openapi;
use crate::api::state::AppState;
use crate::api::ui;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/openapi.json", get(openapi::serve))
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
        .route("/api/tasks/{id}/approve", post(approvals::approve))
        .route("/api/tasks/{id}/reject", post(approvals::reject))
        .route("/api/approvals", get(approvals::list))
        .route("/api/agents", get(agents::list))
        .route(
            "/api/templates",
            post(templates::create).get(templates::list),
        )
        .route("/api/templates/{id}", delete(templates::delete))
        .route("/api/metrics/orchestrator", get(metrics::orchestrator))
        .route("/ui", get(ui::redirect))
        .route("/ui/", get(ui::index))
        .route("/ui/{file}", get(ui::asset))
}
