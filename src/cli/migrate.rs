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
    let pool = db::connect(&url, 2).await?;
    let version = db::migrate::run(&pool).await?;
    println!("schema is at migration {version}");
    Ok(())
}
