//! `taskfleet api`: the lightweight HTTP API (contract section 3).
//!
//! * [`extract`]: caller from the bearer token, strict JSON / query / path extractors.
//! * [`tenancy`]: every transaction scoped to the caller's workspaces (RLS behind it).
//! * [`error`]: the one place errors become the contract's envelope.
//! * [`routes`]: one file per route group.

pub mod error;
pub mod extract;
pub mod routes;
pub mod store;
pub mod tenancy;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::agents::http::HttpAgents;
use crate::worker::WorkerConfig;
use crate::worker::background::RegistrySync;
use error::ApiError;
use extract::{BODY_LIMIT, TokenVerifier};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub verifier: TokenVerifier,
    /// Agent calls of the execute pass; None when TASKFLEET_AGENT_SECRET is not set on the API.
    pub agents: Option<Arc<HttpAgents>>,
    pub registry_sync: Arc<RegistrySync>,
    /// Worker settings of the execute pass (its id goes to locked_by and the audit rows).
    pub pass: WorkerConfig,
    /// Zone for "today" when a workspace sets none (TASKFLEET_TIMEZONE).
    pub default_zone: String,
    pub metrics: PrometheusHandle,
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// The whole API as a router (tests serve it on 127.0.0.1:0).
pub fn router(state: AppState) -> Router {
    routes::routes()
        .fallback(error::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(observe))
        .with_state(state)
}

/// Binds `addr` and serves until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on TASKFLEET_API_ADDR={addr}"))?;
    tracing::info!(%addr, "api listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("api server failed")
}

/// Counts and times every request, and turns a panicking handler into a 500 envelope.
async fn observe(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(r) => r,
        Err(_) => ApiError::internal(format!("handler panicked: {method} {route}")).into_response(),
    };
    let status = response.status().as_u16().to_string();
    metrics::counter!("taskfleet_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("taskfleet_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
