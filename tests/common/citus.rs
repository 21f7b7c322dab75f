//! The same tests on a Citus cluster (`scripts/test-citus.sh`): with `TASKFLEET_TEST_CITUS` set
//! to the worker nodes' ports (`54285,57241`), each test's database, which `#[sqlx::test]` has
//! created and migrated on the coordinator, becomes a distributed one before the test uses it:
//! a database of the same name on every worker node with the extension, the nodes added, then
//! `db::migrate::run`, which distributes the schema as `taskfleet migrate` does. Citus 12.1 does
//! not propagate CREATE DATABASE, hence the per-node steps (a user does them once, README).

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};

/// The worker nodes' ports when the tests run on Citus.
fn worker_ports() -> Option<Vec<u16>> {
    let ports = std::env::var("TASKFLEET_TEST_CITUS").ok()?;
    Some(
        ports
            .split(',')
            .map(|p| {
                p.trim()
                    .parse()
                    .expect("TASKFLEET_TEST_CITUS: ports, comma-separated")
            })
            .collect(),
    )
}

/// Whether this run is on Citus (a few tests skip what Citus does differently, and say so).
pub fn enabled() -> bool {
    worker_ports().is_some()
}

/// Distributes the database of `url` when the tests run on Citus; otherwise does nothing.
/// Blocking, on a runtime of its own: it is called from `TestDb::new`, which is not async.
pub fn distribute(url: &str) {
    let Some(workers) = worker_ports() else {
        return;
    };
    let url = url.to_string();
    // One test at a time: distributing writes cluster-wide catalogs on the worker nodes (the
    // API's role, its grants), and two databases doing it at once collide ("tuple concurrently
    // updated"). A deployment distributes once; only the tests do it in parallel.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(setup(&url, &workers))
    })
    .join()
    .expect("turning the test database into a Citus one panicked");
}

async fn setup(url: &str, workers: &[u16]) {
    let coordinator: PgConnectOptions = url.parse().unwrap();
    let db = coordinator.get_database().unwrap().to_string();
    let port = coordinator.get_port();
    for &worker in workers {
        let node = coordinator.clone().port(worker);
        let mut admin = node.clone().database("postgres").connect().await.unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"
            )))
            .await
            .unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut conn = node.database(&db).connect().await.unwrap();
        conn.execute("CREATE EXTENSION citus").await.unwrap();
        conn.close().await.unwrap();
    }
    let mut conn: PgConnection = coordinator.connect().await.unwrap();
    conn.execute("CREATE EXTENSION citus").await.unwrap();
    sqlx::query("SELECT citus_set_coordinator_host('127.0.0.1', $1)")
        .bind(i32::from(port))
        .execute(&mut conn)
        .await
        .unwrap();
    for &worker in workers {
        sqlx::query("SELECT citus_add_node('127.0.0.1', $1)")
            .bind(i32::from(worker))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    // Four shards per table, not Citus's 32: a test's database holds a few hundred rows, and
    // every shard is a table to create on a node.
    let options = coordinator.options([("citus.shard_count", "4")]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    // Also tells this test process's queue code that it writes to Citus (db::citus::detect).
    taskfleet::db::migrate::run(&pool).await.unwrap();
    pool.close().await;
}
