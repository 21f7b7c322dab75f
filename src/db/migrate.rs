//! `taskfleet migrate`: applies `migrations/` (embedded in the binary).
//!
//! sqlx's migrator takes a Postgres advisory lock before it even creates its bookkeeping table,
//! so two pods migrating at once serialize: the second finds every migration applied and
//! does nothing.

use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// The schema, embedded at compile time (the image needs no files beside the binary).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Applies every pending migration and returns the schema version now in place.
pub async fn run(pool: &PgPool) -> Result<i64> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying migrations failed")?;
    Ok(latest_version())
}

/// The newest migration this binary knows.
pub fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}
