//! Throwaway databases: `taskfleet bench` runs each benchmark in one, and `taskfleet demo` runs in
//! one on the server of a `DATABASE_URL`, so neither writes to the database the URL names.
//!
//! [`ScratchDatabase::create`] makes `<prefix>_<12 random hex digits>` on the URL's server with
//! the `create` line of `sql/scratch_database.sql` (connected to the URL's own database, which it
//! only reads through); [`ScratchDatabase::drop`] removes it with the `drop` line. The caller
//! closes its pools first, so the `WITH (FORCE)` of that line terminates nobody. A value that is
//! never dropped explicitly (a panic, a cancelled future) drops its database when it goes out of
//! scope, from a thread of its own.
//!
//! On a Citus coordinator (the URL's database has the extension and worker nodes), the database
//! is made on every worker node too and joined into a cluster of its own (`sql/citus_scratch.sql`),
//! so the benchmark and the demo run distributed; it is dropped everywhere.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tracing::log::LevelFilter;
use uuid::Uuid;

use crate::db::sql;

/// A database created for one run and dropped after it.
#[derive(Debug)]
pub struct ScratchDatabase {
    name: String,
    url: String,
    server_url: String,
    server: String,
    /// Citus worker nodes (host, port) that hold the database too; empty on PostgreSQL.
    nodes: Vec<(String, u16)>,
    dropped: bool,
}

impl ScratchDatabase {
    /// Creates `<prefix>_<random>` on the server of `server_url` (whose user needs CREATEDB).
    /// `prefix` is lowercase letters, digits and underscores, e.g. `taskfleet_demo`.
    pub async fn create(server_url: &str, prefix: &str) -> Result<Self> {
        let name = format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..12]);
        let create = statement("create", &name)?;
        let options: PgConnectOptions = server_url
            .parse()
            .context("DATABASE_URL is not a valid postgres:// URL")?;
        let server = format!("{}:{}", options.get_host(), options.get_port());
        crate::install_crypto_provider();
        let mut admin = admin(server_url).await?;
        let created = sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
        created.with_context(|| {
            format!("cannot create the throwaway database {name} on {server} (does DATABASE_URL's user have CREATEDB?)")
        })?;
        let mut scratch = Self {
            url: with_database(server_url, &name),
            name,
            server_url: server_url.to_string(),
            server,
            nodes: Vec::new(),
            dropped: false,
        };
        scratch.nodes = citus_nodes(&options).await?;
        if !scratch.nodes.is_empty() {
            // On failure the value is dropped here, and with it the database on every node.
            join_citus(&options, &scratch.name, &scratch.nodes).await?;
        }
        Ok(scratch)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database: the server URL with its database replaced.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port` of the server it lives on.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Drops the database. Close every pool on it first: connections still open are terminated
    /// (and their owners log it).
    pub async fn drop(mut self) -> Result<()> {
        self.dropped = true;
        drop_everywhere(&self.server_url, &self.name, &self.nodes).await
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Not dropped by its owner: do it now, on a runtime of its own (this may run inside
        // another runtime, which cannot be blocked on).
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        let nodes = std::mem::take(&mut self.nodes);
        let outcome = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(drop_everywhere(&server_url, &name, &nodes)))
        })
        .join()
        .unwrap_or_else(|_| Err(anyhow!("the thread dropping it panicked")));
        if let Err(e) = outcome {
            tracing::error!(database = %self.name, error = %format!("{e:#}"), "cannot drop the throwaway database");
        }
    }
}

/// Drops the database on the server of `server_url` and on its Citus worker nodes: the nodes
/// first, so the coordinator's copy, which knows them, goes last.
async fn drop_everywhere(server_url: &str, name: &str, nodes: &[(String, u16)]) -> Result<()> {
    let options: PgConnectOptions = server_url.parse()?;
    let mut first_error = None;
    for (host, port) in nodes {
        let node = options.clone().host(host).port(*port);
        if let Err(e) = drop_database(node, name).await {
            first_error.get_or_insert(e);
        }
    }
    let dropped = drop_database(options, name).await;
    match first_error {
        Some(e) => Err(e),
        None => dropped,
    }
}

async fn drop_database(options: PgConnectOptions, name: &str) -> Result<()> {
    let drop = statement("drop", name)?;
    crate::install_crypto_provider();
    let mut admin = admin_at(options).await?;
    let dropped = tokio::time::timeout(
        Duration::from_secs(30),
        sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut admin),
    )
    .await;
    let _ = admin.close().await;
    match dropped {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e).with_context(|| format!("cannot drop the throwaway database {name}")),
        Err(_) => bail!("dropping the throwaway database {name} took over 30 s"),
    }
}

/// One connection to the server for CREATE / DROP DATABASE. Both wait for a checkpoint and take
/// over a second on a busy server, which sqlx reports as a slow statement at WARN: expected here,
/// so not logged (the demo prints no warning for it).
async fn admin(server_url: &str) -> Result<PgConnection> {
    let options: PgConnectOptions = server_url
        .parse()
        .context("DATABASE_URL is not a valid postgres:// URL")?;
    admin_at(options).await
}

/// [`admin`] with parsed options: a worker node's, or the throwaway database itself.
async fn admin_at(options: PgConnectOptions) -> Result<PgConnection> {
    let target = format!("{}:{}", options.get_host(), options.get_port());
    let options = options
        .application_name("taskfleet")
        .log_statements(LevelFilter::Trace)
        .log_slow_statements(LevelFilter::Off, Duration::from_secs(1));
    match tokio::time::timeout(Duration::from_secs(10), options.connect()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(anyhow!(
            "cannot connect to the database at {target} (DATABASE_URL): {e}"
        )),
        Err(_) => Err(anyhow!(
            "cannot connect to the database at {target} (DATABASE_URL): no answer within 10 s"
        )),
    }
}

/// The Citus worker nodes of the server's database (none on PostgreSQL, or on a Citus server
/// without worker nodes).
async fn citus_nodes(options: &PgConnectOptions) -> Result<Vec<(String, u16)>> {
    let mut admin = admin_at(options.clone()).await?;
    let citus: Option<String> = sqlx::query_scalar(sql::CITUS_VERSION)
        .fetch_optional(&mut admin)
        .await?;
    let mut nodes = Vec::new();
    if citus.is_some() {
        let listed: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(citus_line("nodes")?))
            .fetch_all(&mut admin)
            .await?;
        for node in listed {
            let (host, port) = node
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse().ok()?)))
                .with_context(|| format!("odd Citus node {node:?}"))?;
            nodes.push((host, port));
        }
    }
    let _ = admin.close().await;
    Ok(nodes)
}

/// Makes the throwaway database `name` a Citus cluster of its own: the database and the extension
/// on every worker node, then the extension on the coordinator's copy, which is told where it and
/// the nodes are (`sql/citus_scratch.sql`).
async fn join_citus(
    coordinator: &PgConnectOptions,
    name: &str,
    nodes: &[(String, u16)],
) -> Result<()> {
    let extension = citus_line("extension")?;
    for (host, port) in nodes {
        let node = coordinator.clone().host(host).port(*port);
        let mut admin = admin_at(node.clone()).await?;
        let created = sqlx::raw_sql(sqlx::AssertSqlSafe(statement("create", name)?))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
        created.with_context(|| format!("cannot create {name} on the Citus node {host}:{port}"))?;
        let mut conn = admin_at(node.database(name)).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(extension.clone()))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
    }
    let mut conn = admin_at(coordinator.clone().database(name)).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(extension))
        .execute(&mut conn)
        .await?;
    let at = |which: &str, host: &str, port: u16| -> Result<String> {
        let safe = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !safe {
            bail!("unsafe Citus node host {host:?}");
        }
        Ok(citus_line(which)?
            .replace("{host}", host)
            .replace("{port}", &port.to_string()))
    };
    let here = at(
        "coordinator",
        coordinator.get_host(),
        coordinator.get_port(),
    )?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(here))
        .execute(&mut conn)
        .await?;
    for (host, port) in nodes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(at("add", host, *port)?))
            .execute(&mut conn)
            .await?;
    }
    let _ = conn.close().await;
    Ok(())
}

/// One line of `sql/citus_scratch.sql`.
fn citus_line(which: &str) -> Result<String> {
    template(sql::CITUS_SCRATCH, "citus_scratch.sql", which)
}

/// The `-- which:` line of a file of statement templates.
fn template(file: &str, file_name: &str, which: &str) -> Result<String> {
    let prefix = format!("-- {which}:");
    file.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|t| t.trim().to_string())
        .with_context(|| format!("sql/{file_name} lacks the {which} template"))
}

/// The CREATE / DROP DATABASE line of `sql/scratch_database.sql` for `name` (such statements take
/// no parameters, so the name is checked instead).
fn statement(which: &str, name: &str) -> Result<String> {
    let safe = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !safe {
        bail!("unsafe database name {name:?}");
    }
    Ok(template(sql::SCRATCH_DATABASE, "scratch_database.sql", which)?.replace("{name}", name))
}

/// `url` with its database (the path) replaced by `name`; user, host, port and query kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// `url` with its password, if any, replaced by `****`: for printing.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scratch_database_replaces_the_one_in_the_url() {
        for (url, want) in [
            (
                "postgres://u@h:5432/app?sslmode=disable",
                "postgres://u@h:5432/b1?sslmode=disable",
            ),
            ("postgres://u@h/app", "postgres://u@h/b1"),
            ("postgres://u@h:5432", "postgres://u@h:5432/b1"),
            (
                "postgres://u@h:5432?sslmode=disable",
                "postgres://u@h:5432/b1?sslmode=disable",
            ),
            ("postgresql://u:p@h:5432/app", "postgresql://u:p@h:5432/b1"),
        ] {
            assert_eq!(with_database(url, "b1"), want, "{url}");
        }
    }

    #[test]
    fn statements_come_from_the_sql_file_and_refuse_odd_names() {
        assert_eq!(
            statement("create", "taskfleet_bench_1").unwrap(),
            "CREATE DATABASE taskfleet_bench_1"
        );
        assert_eq!(
            statement("drop", "x").unwrap(),
            "DROP DATABASE IF EXISTS x WITH (FORCE)"
        );
        for bad in ["x; DROP TABLE y", "", "Upper", "a-b", &"a".repeat(64)] {
            assert!(statement("create", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_redacted_for_printing() {
        for (url, want) in [
            (
                "postgres://u:secret@h:5432/db?sslmode=disable",
                "postgres://u:****@h:5432/db?sslmode=disable",
            ),
            ("postgres://u@h:5432/db", "postgres://u@h:5432/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://u:p:q@h/db", "postgres://u:****@h/db"),
        ] {
            assert_eq!(redact_password(url), want, "{url}");
        }
    }
}
