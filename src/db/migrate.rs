//! `taskfleet migrate`: applies `migrations/` (embedded in the binary).
//!
//! sqlx's migrator takes a Postgres advisory lock before it even creates its bookkeeping table,
//! so two pods migrating at once serialize: the second finds every migration applied and
//! does nothing. On a Citus coordinator the schema is then distributed ([`super::citus`]).

use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// The schema, embedded at compile time (the image needs no files beside the binary).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Applies every pending migration, distributes the schema when the database is a Citus
/// coordinator, and returns the schema version now in place.
pub async fn run(pool: &PgPool) -> Result<i64> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying migrations failed")?;
    if super::citus::detect(pool).await? {
        super::citus::distribute(pool).await?;
    }
    Ok(latest_version())
}

/// The newest migration this binary knows.
pub fn latest_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Sets the password the API's `taskfleet_api` login uses (`TASKFLEET_API_DB_PASSWORD`).
pub async fn set_api_password(pool: &PgPool, password: &str) -> Result<()> {
    let statement: String = super::query_scalar(super::sql::API_ROLE_PASSWORD)
        .bind(password)
        .fetch_one(pool)
        .await?;
    // The server quoted the password itself (format %L), so the statement is safe to run.
    match sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(pool)
        .await
    {
        Ok(_) => Ok(()),
        // An operator may have created the role with its password beforehand; if not, the API's
        // login fails at start and says so.
        Err(e) if super::has_sql_state(&e, "42501") => {
            tracing::warn!(
                "cannot set the password of taskfleet_api: this login lacks CREATEROLE; \
                 a superuser must run ALTER ROLE taskfleet_api LOGIN PASSWORD '...'"
            );
            Ok(())
        }
        Err(e) => Err(e).context("cannot set the password of taskfleet_api"),
    }
}
