//! Postgres going away (issue 20, "Postgres outages, tested"): real worker and API processes reach
//! the test's database through a loopback proxy ([`DbProxy`]) that the test takes down (port
//! closed, every connection cut) and brings back, and the database itself is made read-only.
//! What must hold: nothing exits or crash-loops, health endpoints tell the truth, the API answers
//! 503 with the envelope quickly, and every agent success is recorded once.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::procs::{Proc, WorkerProc, free_addr};
use common::proxy::DbProxy;
use common::{TestDb, new_task, wait_until};

const MINUTE: Duration = Duration::from_secs(60);
const AGENT: &str = "content-generator";

async fn status_of(url: String) -> u16 {
    match reqwest::get(url).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Waits until `http://addr/path` answers `want`.
async fn wait_status(addr: std::net::SocketAddr, path: &str, want: u16) {
    let url = format!("http://{addr}{path}");
    wait_until(&format!("{path} answers {want}"), MINUTE, async || {
        let got = status_of(url.clone()).await;
        if got == want {
            Ok(())
        } else {
            Err(format!("{got}"))
        }
    })
    .await;
}

async fn completed(db: &TestDb) -> i64 {
    db.count("SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
        .await
}

/// The agent of every test here: answers `output` after `ms`, registered as [`AGENT`].
async fn slow_agent(db: &TestDb, ms: u64, output: Value) -> TestAgent {
    let agent = TestAgent::always(Reply::After(
        Duration::from_millis(ms),
        Box::new(Reply::Ok(output)),
    ))
    .await;
    db.register_agent(AGENT, &agent.url).await;
    agent
}

/// Waits until every task has completed, then [`assert_each_ran_once`].
async fn assert_each_completes_once(db: &TestDb, agent: &TestAgent, ids: &[Uuid]) {
    wait_until("every task completed", MINUTE, async || {
        completed(db).await == ids.len() as i64
    })
    .await;
    assert_each_ran_once(db, agent, ids).await;
}

/// Every task completed, its agent called exactly once, one `task.executed` each.
async fn assert_each_ran_once(db: &TestDb, agent: &TestAgent, ids: &[Uuid]) {
    for id in ids {
        let row = db.task(*id).await;
        assert_eq!(row.status, "completed", "{row:?}");
        assert_eq!(agent.calls_for(*id).len(), 1, "agent calls of {id}");
        let executed = db
            .audit_actions(*id)
            .await
            .into_iter()
            .filter(|a| a == "task.executed")
            .count();
        assert_eq!(executed, 1, "task.executed rows of {id}");
    }
    db.assert_queue_consistent().await;
}

async fn insert_tasks(db: &TestDb, n: usize) -> Vec<Uuid> {
    let ws = db.workspace().await;
    let tasks: Vec<_> = (0..n).map(|_| new_task(ws, AGENT)).collect();
    db.insert(&tasks).await
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_worker_started_before_its_database_waits_then_rides_out_an_outage(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = slow_agent(&db, 200, json!({"ok": true})).await;
    let proxy = DbProxy::new(&db);

    // Started while "the server" is down: it waits with a log line, stays up and says so.
    let mut w = WorkerProc::spawn(proxy.url(), &[("TASKFLEET_CONCURRENCY", "4")]);
    wait_until("the worker logs that it waits", MINUTE, async || {
        w.log()
            .contains("database unavailable (DATABASE_URL); waiting for it")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(w.proc.alive(), "exited while waiting:\n{}", w.log());
    assert_eq!(status_of(format!("http://{}/livez", w.metrics)).await, 200);
    assert_eq!(
        status_of(format!("http://{}/healthz", w.metrics)).await,
        503
    );
    assert_eq!(status_of(format!("http://{}/readyz", w.metrics)).await, 503);

    proxy.up().await;
    wait_status(w.metrics, "/readyz", 200).await;
    assert!(w.log().contains("database reachable"), "{}", w.log());

    // Mid-run, the server goes away for 3 s: connections cut, port closed.
    let ids = insert_tasks(&db, 40).await;
    wait_until("some tasks completed", MINUTE, async || {
        completed(&db).await >= 8
    })
    .await;
    proxy.down();
    wait_status(w.metrics, "/readyz", 503).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(w.proc.alive(), "exited during the outage:\n{}", w.log());
    proxy.up().await;
    wait_status(w.metrics, "/readyz", 200).await;
    assert_each_completes_once(&db, &agent, &ids).await;

    w.sigterm();
    assert!(w.wait_exit(MINUTE).await.success(), "{}", w.log());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn sigterm_ends_a_worker_still_waiting_for_its_database(pool: PgPool) {
    let db = TestDb::new(pool);
    let proxy = DbProxy::new(&db);
    let mut w = WorkerProc::spawn(proxy.url(), &[]);
    wait_until("the worker logs that it waits", MINUTE, async || {
        w.log().contains("waiting for it")
    })
    .await;
    w.sigterm();
    assert!(w.wait_exit(MINUTE).await.success(), "{}", w.log());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_api_answers_503_while_its_database_is_away_then_recovers(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let proxy = DbProxy::new(&db);
    let addr = free_addr();
    let mut api = Proc::spawn(
        "api-outage",
        &["api"],
        proxy.url(),
        &[
            ("TASKFLEET_API_ADDR", &addr.to_string()),
            ("TASKFLEET_JWT_SECRET", common::api::JWT_SECRET),
        ],
    );
    // It listens at once, database or not: alive, not ready.
    api.wait_ok(addr, "/healthz", MINUTE).await;
    assert_eq!(status_of(format!("http://{addr}/readyz")).await, 503);
    let token = common::api::token("ops", &[ws]);
    let status_url = format!("http://{addr}/api/tasks/status?workspace_id={ws}");
    let get = async || -> (u16, Option<String>, Value) {
        let r = reqwest::Client::new()
            .get(&status_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, retry_after, r.json().await.unwrap())
    };
    let started = std::time::Instant::now();
    let (status, retry_after, body) = get().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a client and its load balancer would have given up: {:?}",
        started.elapsed()
    );
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "TASK_000");
    assert_eq!(
        body["error"]["message"],
        "database unavailable; retry later"
    );
    assert_eq!(retry_after.as_deref(), Some("5"));

    proxy.up().await;
    wait_status(addr, "/readyz", 200).await;
    let (status, _, body) = get().await;
    assert_eq!(status, 200, "{body}");

    // Down again mid-life: 503 again, then back.
    proxy.down();
    wait_status(addr, "/readyz", 503).await;
    assert_eq!(get().await.0, 503);
    proxy.up().await;
    wait_status(addr, "/readyz", 200).await;
    assert_eq!(get().await.0, 200);
    assert!(api.alive(), "{}", api.log());
}

/// Makes `db`'s database read-only (or writable again) for every new session, and ends the
/// current ones so that the processes reconnect under the new setting; what a failover to a
/// standby, or `default_transaction_read_only` during maintenance, looks like to them.
async fn set_read_only(db: &TestDb, on: bool) {
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("SET TRANSACTION READ WRITE")
        .execute(&mut *tx)
        .await
        .unwrap();
    let value = if on { "on" } else { "off" };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = {value}"
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&db.pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn agent_successes_during_a_read_only_spell_are_all_recorded_once(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = slow_agent(&db, 300, json!({"ok": true})).await;
    // The default 30 s lease outlasts the spell: results are held and written after it.
    let mut w = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "4")]).await;
    let ids = insert_tasks(&db, 30).await;
    wait_until("some tasks completed", MINUTE, async || {
        completed(&db).await >= 4
    })
    .await;
    set_read_only(&db, true).await;
    wait_status(w.metrics, "/readyz", 503).await;
    let body = reqwest::get(format!("http://{}/readyz", w.metrics))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "database is read-only");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(w.proc.alive(), "{}", w.log());
    set_read_only(&db, false).await;
    wait_status(w.metrics, "/readyz", 200).await;
    assert_each_completes_once(&db, &agent, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_ride_out_a_fast_and_an_immediate_restart() {
    // A server of the test's own (initdb in a temp dir, as the demo's), so it can really be
    // restarted: `pg_ctl restart -m fast`, then `-m immediate` (a crash: no checkpoint, crash
    // recovery on start), each mid-run under three worker processes.
    use taskfleet::demo::postgres::{EmbeddedPostgres, Shutdown};
    let mut pg = tokio::task::spawn_blocking(EmbeddedPostgres::start)
        .await
        .unwrap()
        .expect("a private PostgreSQL (server binaries installed)");
    // Commits survive the crash, as on any production server; then restart it as such.
    pg.durable_commits = true;
    pg.stop(Shutdown::Fast);
    pg.start_again().unwrap();
    let url = pg.url.clone();
    let pool = taskfleet::db::lazy_pool(&url, 4, taskfleet::db::Acquire::Patient).unwrap();
    taskfleet::db::migrate::run(&pool).await.unwrap();
    let db = TestDb::new(pool);
    let agent = slow_agent(&db, 100, json!({"ok": true})).await;
    let mut workers: Vec<WorkerProc> = (0..3)
        .map(|_| WorkerProc::spawn(&url, &[("TASKFLEET_CONCURRENCY", "4")]))
        .collect();
    for w in &mut workers {
        w.proc.wait_ok(w.metrics, "/healthz", MINUTE).await;
    }
    let ids = insert_tasks(&db, 300).await;
    for (round, how) in [Shutdown::Fast, Shutdown::Immediate]
        .into_iter()
        .enumerate()
    {
        let target = 60 * (round as i64 + 1);
        wait_until("tasks completed before the restart", MINUTE, async || {
            completed(&db).await >= target
        })
        .await;
        let stopped = std::time::Instant::now();
        pg.stop(how);
        tokio::time::sleep(Duration::from_secs(2)).await;
        pg.start_again().unwrap();
        let back = std::time::Instant::now();
        for w in &workers {
            wait_status(w.metrics, "/readyz", 200).await;
        }
        // Processing resumes: more tasks complete soon after the server is back.
        let before = completed(&db).await;
        wait_until("processing resumes", MINUTE, async || {
            completed(&db).await > before
        })
        .await;
        println!(
            "{how:?} restart: down {:?}, processing again {:?} after the server was back",
            back - stopped,
            back.elapsed()
        );
    }
    assert_each_completes_once(&db, &agent, &ids).await;
    for w in &mut workers {
        assert!(w.proc.alive(), "a worker exited:\n{}", w.log());
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn terminating_every_worker_connection_again_and_again_loses_nothing(pool: PgPool) {
    // pg_terminate_backend on every connection of two workers (pool, LISTEN, sweeps), five
    // times mid-run: they reconnect, and every task completes once.
    let db = TestDb::new(pool);
    let agent = slow_agent(&db, 100, json!({"ok": true})).await;
    let mut workers = Vec::new();
    for _ in 0..2 {
        workers.push(WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "4")]).await);
    }
    let ids = insert_tasks(&db, 150).await;
    for round in 1..=5 {
        wait_until(
            "tasks completed before the next round",
            MINUTE,
            async || completed(&db).await >= 20 * round,
        )
        .await;
        let killed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'taskfleet') k",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(
            killed > 0,
            "round {round}: no worker connection to terminate"
        );
    }
    assert_each_completes_once(&db, &agent, &ids).await;
    for w in &mut workers {
        assert!(w.proc.alive(), "{}", w.log());
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_success_held_through_an_outage_longer_than_its_lease_is_recorded(pool: PgPool) {
    // The "down for 5 minutes", scaled down: worker A loses the database for longer
    // than its 2 s lease while its agent call succeeds; worker B, which still reaches the
    // database, reclaims the expired lease (a 10 s backoff keeps it from starting the task
    // again at once). When A is back, its held success is the task's result: the agent ran once.
    let db = TestDb::new(pool);
    let agent = slow_agent(&db, 1000, json!({"held": true})).await;
    let proxy = DbProxy::new(&db);
    proxy.up().await;
    let mut a = WorkerProc::spawn(proxy.url(), &[("TASKFLEET_LEASE_SECS", "2")]);
    a.proc.wait_ok(a.metrics, "/healthz", MINUTE).await;
    let ids = insert_tasks(&db, 1).await;
    agent.wait_called(ids[0], MINUTE).await;
    proxy.down();
    let _b = WorkerProc::start(
        &db,
        &[
            ("TASKFLEET_LEASE_SECS", "2"),
            ("TASKFLEET_BACKOFF_BASE_MS", "10000"),
        ],
    )
    .await;
    wait_until(
        "the reaper reclaims the expired lease",
        MINUTE,
        async || {
            db.audit_actions(ids[0])
                .await
                .contains(&"task.reclaimed".to_string())
        },
    )
    .await;
    proxy.up().await;
    let row = db.wait_status(ids[0], "completed", MINUTE).await;
    assert_eq!(row.output_data, Some(json!({"held": true})));
    assert_eq!(agent.calls_for(ids[0]).len(), 1, "the agent ran once");
    assert_eq!(
        db.audit_actions(ids[0]).await,
        ["task.reclaimed", "task.executed"]
    );
    db.assert_queue_consistent().await;
}
