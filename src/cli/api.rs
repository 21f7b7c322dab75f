//! `taskfleet api`

use anyhow::Result;

use crate::api::{self, AppState};
use crate::config::{ApiArgs, DbArgs, required};
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
    let jwt = required(
        &args.api.jwt_secret,
        "TASKFLEET_JWT_SECRET",
        "the HS256 secret of API tokens",
    )?;
    args.api.exec.check_timezone()?;
    let pool = db::connect(&url, 10).await?;
    let state = AppState::new(pool, &args.api, &jwt)?;
    api::serve(args.api.api_addr, state, crate::signal::shutdown()).await
}
