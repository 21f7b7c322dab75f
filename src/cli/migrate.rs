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
    /// Requires a Citus coordinator: refuses a database without the citus extension instead of
    /// migrating it as a plain one (the schema is distributed whenever the extension is there).
    #[arg(long)]
    citus: bool,
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    // Run as an init container or a Job, it may start before the database: wait for it.
    if !db::wait_for_database(&db::connect_options(&url)?, crate::signal::shutdown()).await? {
        anyhow::bail!("stopped while waiting for the database; nothing migrated");
    }
    let pool = db::lazy_pool(&url, 2, db::Acquire::Patient)?;
    let citus = db::citus::version(&pool).await?;
    if args.citus && citus.is_none() {
        anyhow::bail!(
            "--citus: this database has no citus extension; run CREATE EXTENSION citus and \
             citus_add_node for each worker node first (README, \"Scaling past one Postgres\")"
        );
    }
    let version = db::migrate::run(&pool).await?;
    if let Some(password) = args.api_db_password.as_deref().filter(|p| !p.is_empty()) {
        db::migrate::set_api_password(&pool, password).await?;
    }
    match citus {
        Some(v) => {
            println!("schema is at migration {version}, distributed by workspace_id (Citus {v})")
        }
        None => println!("schema is at migration {version}"),
    }
    Ok(())
}
