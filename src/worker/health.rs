//! The worker's HTTP side (`TASKFLEET_METRICS_ADDR`):
//!
//! * `/healthz`: 200 once the worker is connected and listening for work (503 before, while it
//!   waits for its database); what orchestrators and tests wait on (contract section 8);
//! * `/livez`: 200 while the process serves at all: the liveness probe, so a worker riding out a
//!   database outage is not restarted for it;
//! * `/readyz`: 200 while the worker is started and its database answers and takes writes;
//! * `/metrics`: the Prometheus text.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

#[derive(Clone)]
struct Health {
    ready: Arc<AtomicBool>,
    metrics: PrometheusHandle,
    pool: PgPool,
}

/// Binds `addr` and serves until the process ends.
pub async fn serve(
    addr: SocketAddr,
    ready: Arc<AtomicBool>,
    metrics: PrometheusHandle,
    pool: PgPool,
) -> Result<()> {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/livez", get(|| async { "alive\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render))
        .with_state(Health {
            ready,
            metrics,
            pool,
        });
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on TASKFLEET_METRICS_ADDR={addr}"))?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(())
}

async fn healthz(State(h): State<Health>) -> (StatusCode, &'static str) {
    if h.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting\n")
    }
}

async fn readyz(State(h): State<Health>) -> (StatusCode, &'static str) {
    if !h.ready.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n");
    }
    match crate::db::check_ready(&h.pool).await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
    }
}

async fn render(State(h): State<Health>) -> String {
    h.metrics.render()
}
