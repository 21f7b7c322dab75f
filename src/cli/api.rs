//! `taskfleet api`

use anyhow::{Context, Result, bail};

use crate::api::{self, AppState};
use crate::config::{ApiArgs, DbArgs, secret};
use crate::db;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    api: ApiArgs,
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    let jwt = secret(
        &args.api.jwt_secret,
        "TASKFLEET_JWT_SECRET",
        "the HS256 secret of API tokens",
    )?;
    // With one secret for both, any agent could mint API tokens from the ones it receives.
    if args.api.exec.agent_secret.as_deref() == Some(jwt.as_str()) {
        bail!(
            "TASKFLEET_JWT_SECRET and TASKFLEET_AGENT_SECRET are equal: agents could sign API \
             tokens; give each its own secret"
        );
    }
    args.api.exec.check_timezone()?;
    // Listen at once, database or not: requests answer 503 until it is there (3 s acquire
    // timeout), /readyz says so, and a pod is never restarted for its database's outage.
    let pool = db::lazy_pool(&url, 10, db::Acquire::Prompt)?;
    let state = AppState::new(pool, &args.api, &jwt)?;
    let serve = api::serve(args.api.api_addr, state.clone(), crate::signal::shutdown());
    // Logs while the database is away at start; a bad password or database name, for either
    // login, ends the process.
    let (owner, tenant) = (state.pool.connect_options(), state.tenant.connect_options());
    let database = async {
        db::wait_for_database(&owner, std::future::pending()).await?;
        let _ = db::citus::detect(&state.pool).await?; // before any request writes tasks
        db::wait_for_database(&tenant, std::future::pending())
            .await
            .context(
                "the API's tenant login (TASKFLEET_API_DB_PASSWORD, see `taskfleet migrate`)",
            )?;
        std::future::pending::<Result<()>>().await
    };
    tokio::select! {
        served = serve => served,
        failed = database => failed,
    }
}
