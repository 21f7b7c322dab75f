//! What every handler shares, and how `taskfleet api` (and the demo) build it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::agents::http::HttpAgents;
use crate::alerts::Thresholds;
use crate::auth::TokenVerifier;
use crate::config::ApiArgs;
use crate::db;
use crate::decompose::Limits;
use crate::telemetry;
use crate::worker::background::RegistrySync;
use crate::worker::config::{WorkerConfig, default_worker_id};
use crate::worker::guards::AgentGuards;

/// The role every tenant transaction runs as (created by `taskfleet migrate`).
pub const API_ROLE: &str = "taskfleet_api";

#[derive(Clone)]
pub struct AppState {
    /// The `DATABASE_URL` login (the schema owner): the execute pass, which claims and records
    /// like a worker, the agent registry and `/readyz`. Handlers reach tenant data only through
    /// [`tenancy::begin`](super::tenancy::begin), on [`AppState::tenant`].
    pub pool: PgPool,
    /// The same database, logged in as `taskfleet_api`: not the owner, so row-level security
    /// binds it, and `RESET ROLE` leads nowhere with more rights.
    pub tenant: PgPool,
    pub verifier: TokenVerifier,
    /// Agent calls of the execute pass; None when TASKFLEET_AGENT_SECRET is not set on the API.
    pub agents: Option<Arc<HttpAgents>>,
    pub registry_sync: Arc<RegistrySync>,
    /// The agents' breakers and limits, as the execute pass goes through them.
    pub guards: Arc<AgentGuards>,
    /// Worker settings of the execute pass (its id goes to locked_by and the audit rows).
    pub pass: WorkerConfig,
    /// Zone for "today" when a workspace sets none (TASKFLEET_TIMEZONE).
    pub default_zone: String,
    pub metrics: PrometheusHandle,
    /// How large a strategy may be.
    pub limits: Limits,
    /// When the specification's alerts fire (`TASKFLEET_ALERT_*`).
    pub alerts: Thresholds,
    /// A result awaiting approval longer than this is stale (`TASKFLEET_APPROVAL_REMIND_SECS`).
    pub approval_remind: Duration,
}

impl AppState {
    /// The state of an API on `pool` (the owner's login) with the settings of `args`; the tenant
    /// pool logs in to the same server and database as [`API_ROLE`], with
    /// `TASKFLEET_API_DB_PASSWORD` when one is set.
    pub fn new(pool: PgPool, args: &ApiArgs, jwt_secret: &str) -> Result<Self> {
        let exec = &args.exec;
        // The execute pass sends no heartbeats, so its lease must outlast the task timeout.
        let lease = Duration::from_secs(exec.task_timeout_secs + 30);
        let pass = exec.to_config(format!("api-{}", default_worker_id()), 100, lease);
        let agents = match &exec.agent_secret {
            Some(secret) if !secret.is_empty() => {
                Some(Arc::new(HttpAgents::new(secret, pass.task_timeout, 16)?))
            }
            _ => {
                tracing::warn!(
                    "TASKFLEET_AGENT_SECRET is not set: POST /api/tasks/execute is disabled"
                );
                None
            }
        };
        let mut login = (*pool.connect_options()).clone().username(API_ROLE);
        if let Some(password) = args.api_db_password.as_deref().filter(|p| !p.is_empty()) {
            login = login.password(password);
        }
        Ok(Self {
            registry_sync: Arc::new(RegistrySync::new(pool.clone())),
            guards: Arc::new(AgentGuards::new(&pool, &pass)),
            tenant: db::lazy_pool_with(login, 10, db::Acquire::Prompt),
            pool,
            verifier: TokenVerifier::new(jwt_secret, args.token_lifetime.jwt_max_ttl_secs),
            agents,
            pass,
            default_zone: exec.timezone.clone(),
            metrics: telemetry::metrics(),
            limits: args.limits.limits(),
            alerts: exec.alerts.thresholds(),
            approval_remind: Duration::from_secs(exec.approval_remind_secs),
        })
    }
}

impl FromRef<AppState> for TokenVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
