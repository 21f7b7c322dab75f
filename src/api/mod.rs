//! `taskfleet api`: the lightweight HTTP API (contract section 3).
//!
//! * [`state`]: what every handler shares, built from the settings.
//! * [`extract`]: caller from the bearer token, strict JSON / query / path extractors.
//! * [`tenancy`]: every transaction scoped to the caller's workspaces (RLS behind it), and the
//!   tenant-checked lookups of workspaces and tasks.
//! * [`error`]: the contract's envelope, and where errors of the layers below become codes.
//! * [`routes`]: one file per route group. Routes call `queue`, [`store`], [`tenancy`] or
//!   [`execute_pass`], never each other.
//! * [`store`]: the API's reads and writes outside the task queue (strategies, contacts, audit).
//! * [`execute_pass`]: one bounded execute pass, for `POST /api/tasks/execute` and `auto_execute`.
//! * [`openapi`]: the OpenAPI document of all of the above, served at `/api/openapi.json`.
//! * [`ui`]: the operator dashboard's embedded assets at `/ui/`.
//! * [`server`]: the HTTP/1.1 server loop, and the request-head limits it leaves to the router.

pub mod error;
pub mod execute_pass;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod tenancy;
pub mod ui;
mod unique_keys;

pub use state::AppState;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use error::ApiError;
use extract::BODY_LIMIT;

/// The whole API as a router (tests serve it on 127.0.0.1:0).
pub fn router(state: AppState) -> Router {
    routes::routes()
        .fallback(error::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(server::limit_head))
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
    server::serve(listener, router(state), shutdown).await;
    Ok(())
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
