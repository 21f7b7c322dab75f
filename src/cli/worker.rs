//! `taskfleet worker`

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

use crate::agents::http::HttpAgents;
use crate::config::{DbArgs, WorkerArgs};
use crate::{db, telemetry, worker};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    worker: WorkerArgs,
}

impl Args {
    /// Threads of the worker's async runtime (`--threads`).
    pub fn threads(&self) -> usize {
        usize::from(self.worker.threads)
    }
}

pub async fn run(args: Args) -> Result<()> {
    let url = db::database_url(args.db.database_url)?;
    let secret = args.worker.exec.agent_secret()?;
    args.worker.exec.check_timezone()?;
    let cfg = args.worker.to_config()?;
    let metrics = telemetry::metrics();
    let ready = Arc::new(AtomicBool::new(false));
    // Claims, the finisher, heartbeat and reaper share the pool; LISTEN has its own connection.
    let pool = db::lazy_pool(&url, 4, db::Acquire::Patient)?;
    if let Some(addr) = args.worker.metrics_addr {
        worker::health::serve(addr, ready.clone(), metrics, pool.clone()).await?;
    }
    // A worker started before its database waits for it (with a log line per try) instead of
    // exiting; SIGTERM ends the wait.
    if !db::wait_for_database(&db::connect_options(&url)?, crate::signal::shutdown()).await? {
        return Ok(());
    }
    let executor = Arc::new(HttpAgents::new(&secret, cfg.task_timeout, cfg.concurrency)?);
    worker::run(pool, cfg, executor, crate::signal::shutdown(), ready).await
}
