//! `taskfleet migrate`

use anyhow::Result;

use crate::config::DbArgs;
use crate::db;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Sets the password of the `taskfleet_api` login, which the API's tenant transactions use
    /// (give the API the same value).
    #[arg(long, env = "TASKFLEET_API_DB_PASSWORD", hide_env_values = true)]
    api_db_password: Option<String>,
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    // Run as an init container or a Job, it may start before the database: wait for it.
    if !db::wait_for_database(&db::connect_options(&url)?, crate::signal::shutdown()).await? {
        anyhow::bail!("stopped while waiting for the database; nothing migrated");
    }
    let pool = db::lazy_pool(&url, 2, db::Acquire::Patient)?;
    let version = db::migrate::run(&pool).await?;
    if let Some(password) = args.api_db_password.as_deref().filter(|p| !p.is_empty()) {
        db::migrate::set_api_password(&pool, password).await?;
    }
    println!("schema is at migration {version}");
    Ok(())
}
