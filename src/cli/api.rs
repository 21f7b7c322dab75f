//! `taskfleet api`

use anyhow::{Result, bail};

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
    let pool = db::connect(&url, 10).await?;
    let state = AppState::new(pool, &args.api, &jwt)?;
    api::serve(args.api.api_addr, state, crate::signal::shutdown()).await
}
