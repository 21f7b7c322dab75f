//! Citus: the schema spread over a cluster by workspace (README, "Scaling past one Postgres").
//!
//! A database with the `citus` extension is distributed by `taskfleet migrate` right after the
//! migrations (`sql/citus_distribute.sql`): tenant tables on `workspace_id`, co-located; the small
//! shared tables as reference tables. Every later run finds it done and does nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use sqlx::PgPool;

use super::sql;

/// The citus extension's version in this database, if it has one.
pub async fn version(pool: &PgPool) -> Result<Option<String>> {
    super::query_scalar(sql::CITUS_VERSION)
        .fetch_optional(pool)
        .await
        .context("cannot read the database's extensions")
}

/// Distributes the schema (a no-op once done). The worker nodes must have been added
/// (`citus_add_node`) first: shards are placed on the nodes there are.
pub async fn distribute(pool: &PgPool) -> Result<()> {
    sqlx::raw_sql(sql::CITUS_DISTRIBUTE)
        .execute(pool)
        .await
        .context("distributing the schema over the Citus cluster failed")?;
    Ok(())
}

/// Whether this process's database is distributed. One process talks to one database, so this
/// is process-wide: set once at start ([`detect`]), read by the queue's statements, which split
/// their batches per workspace on Citus (see `queue::shard`).
static DISTRIBUTED: AtomicBool = AtomicBool::new(false);

/// Reads whether the database is a Citus one and remembers it for [`distributed`].
pub async fn detect(pool: &PgPool) -> Result<bool> {
    let distributed = version(pool).await?.is_some();
    DISTRIBUTED.store(distributed, Ordering::Relaxed);
    Ok(distributed)
}

/// Whether [`detect`] found a Citus database.
pub fn distributed() -> bool {
    DISTRIBUTED.load(Ordering::Relaxed)
}
