//! `taskfleet migrate`

use anyhow::Result;

use crate::config::DbArgs;
use crate::db;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    // Run as an init container or a Job, it may start before the database: wait for it.
    if !db::wait_for_database(&url, crate::signal::shutdown()).await? {
        anyhow::bail!("stopped while waiting for the database; nothing migrated");
    }
    let pool = db::lazy_pool(&url, 2, db::Acquire::Patient)?;
    let version = db::migrate::run(&pool).await?;
    println!("schema is at migration {version}");
    Ok(())
}
