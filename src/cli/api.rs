//! `taskfleet api`

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use crate::agents::http::HttpAgents;
use crate::api::{self, AppState, extract::TokenVerifier};
use crate::config::{ApiArgs, DbArgs, required};
use crate::worker::background::RegistrySync;
use crate::{db, telemetry, worker};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    api: ApiArgs,
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    let jwt = required(
        &args.api.jwt_secret,
        "TASKFLEET_JWT_SECRET",
        "the HS256 secret of API tokens",
    )?;
    args.api.exec.check_timezone()?;
    let pool = db::connect(&url, 10).await?;
    let state = state(pool, &args.api, &jwt)?;
    api::serve(args.api.api_addr, state, super::shutdown_signal()).await
}

/// The API's shared state; the demo builds it the same way.
pub fn state(pool: sqlx::PgPool, args: &ApiArgs, jwt_secret: &str) -> Result<AppState> {
    let exec = &args.exec;
    // The execute pass sends no heartbeats, so its lease must outlast the task timeout.
    let lease = Duration::from_secs(exec.task_timeout_secs + 30);
    let pass = exec.to_config(format!("api-{}", worker::default_worker_id()), 100, lease);
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
    Ok(AppState {
        registry_sync: Arc::new(RegistrySync::new(pool.clone())),
        pool,
        verifier: TokenVerifier::new(jwt_secret),
        agents,
        pass,
        default_zone: exec.timezone.clone(),
        metrics: telemetry::metrics(),
    })
}
