//! `taskfleet agents-sim`: simulated downstream agents — a real HTTP server that checks the agent
//! JWT, answers the six standard agents (`POST /{agent}`) with plausible outputs after a latency,
//! and fails transiently (503) at a configured rate. The demo runs it in-process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::agents::http::AgentRequest;
use crate::auth::TokenVerifier;
use crate::decompose::Agent;

#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    /// Each answer takes a random time in [latency / 2, latency * 3 / 2].
    pub latency: Duration,
    /// Share of calls answered 503 (0.0 ..= 1.0).
    pub failure_rate: f64,
    /// Every call is answered 503 for this long after the sim starts (an outage; the bench's
    /// `--agent-outage-secs`).
    pub down_for: Duration,
    /// Calls the sim answered while it was down.
    pub calls_while_down: Arc<AtomicU64>,
}

struct Sim {
    cfg: SimConfig,
    verifier: TokenVerifier,
    started: Instant,
}

/// Binds `addr` and serves in the background; returns the bound address.
pub async fn start(addr: SocketAddr, secret: &str, cfg: SimConfig) -> Result<SocketAddr> {
    let sim = Arc::new(Sim {
        cfg,
        // Agent tokens live as long as the worker's task timeout; the sim does not bound that.
        verifier: TokenVerifier::new(secret, i64::MAX),
        started: Instant::now(),
    });
    let app = Router::new()
        .route("/{agent}", post(handle))
        .with_state(sim);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "agents-sim stopped");
        }
    });
    Ok(bound)
}

async fn handle(
    State(sim): State<Arc<Sim>>,
    Path(agent): Path<String>,
    headers: HeaderMap,
    Json(req): Json<AgentRequest>,
) -> (StatusCode, Json<Value>) {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let claims = token.and_then(|t| sim.verifier.verify_agent(t).ok());
    match claims {
        Some(c) if c.sub == req.task_id && c.agent == agent => {}
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid agent token"})),
            );
        }
    }
    let Some(kind) = Agent::ALL.iter().find(|a| a.name() == agent) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no agent {agent}")})),
        );
    };
    let jitter = 0.5 + rand::random::<f64>();
    tokio::time::sleep(sim.cfg.latency.mul_f64(jitter)).await;
    if sim.started.elapsed() < sim.cfg.down_for {
        sim.cfg.calls_while_down.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": format!("{agent} is down")})),
        );
    }
    if rand::random::<f64>() < sim.cfg.failure_rate {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": format!("{agent} is overloaded, try again")})),
        );
    }
    (StatusCode::OK, Json(output(*kind, &req)))
}

/// A plausible result per agent.
fn output(agent: Agent, req: &AgentRequest) -> Value {
    let about = &req.description;
    match agent {
        Agent::ContentGenerator => json!({
            "title": format!("Draft: {about}"),
            "word_count": 600 + (req.task_id.as_u128() % 900) as u64,
            "status": "draft_ready",
        }),
        Agent::CalendarAgent => {
            json!({"scheduled_posts": 3 + (req.task_id.as_u128() % 10) as u64, "channel": "linkedin"})
        }
        Agent::EmailAgent => {
            json!({"sequence_steps": 4, "audience": "newsletter", "status": "scheduled"})
        }
        Agent::CampaignManager => {
            json!({"campaign_id": format!("cmp-{}", &req.task_id.simple().to_string()[..8]), "budget_aud": 2500})
        }
        Agent::AnalyticsAgent => {
            json!({"dashboard": format!("https://analytics.example/{}", req.workspace_id), "events_tracked": 6})
        }
        Agent::GeneralExecutor => json!({"done": true, "notes": format!("Completed: {about}")}),
    }
}
