//! The specification's three alerts (contract section 9), on both surfaces: the `alerts` of
//! `GET /api/metrics/orchestrator`, and the alerts sweep's `alert.raised` / `alert.resolved`
//! audit rows, written once per change and not again while an alert stays as it was.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::ApiCtx;
use common::new_task;
use taskfleet::schedule::Clock;
use taskfleet::worker::sweeps::{Sweep, SweepConfig, Sweeps};

fn sweeps(c: &ApiCtx) -> Sweeps {
    let worker = common::sweep_worker("alerts-test", Clock::system());
    let cfg = SweepConfig::parse(
        "*/1 * * * * *",
        "*/15 * * * * *",
        "0 30 2 * * *",
        chrono_tz::UTC,
        Duration::from_secs(60),
        30,
    )
    .unwrap();
    Sweeps::new(c.db.pool.clone(), worker, cfg)
}

/// The alert `name` of the workspace, as GET /api/metrics/orchestrator shows it.
async fn alert(c: &ApiCtx, name: &str) -> Value {
    let (status, body) = c
        .api
        .get(
            &format!("/api/metrics/orchestrator?workspace_id={}", c.ws),
            &c.token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let alerts = body["alerts"].as_array().expect("alerts is a list");
    let names: Vec<&str> = alerts.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["queue_depth", "failure_rate", "slow_execution"]);
    alerts.iter().find(|a| a["name"] == name).cloned().unwrap()
}

/// (action, details.name) of the workspace's alert audit rows, oldest first.
async fn alert_rows(c: &ApiCtx) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT action, details->>'name' FROM audit_logs \
         WHERE workspace_id = $1 AND action LIKE 'alert.%' ORDER BY id",
    )
    .bind(c.ws)
    .fetch_all(&c.db.pool)
    .await
    .unwrap()
}

async fn run_alerts(s: &Sweeps) -> Value {
    s.run_once(Sweep::Alerts).await.unwrap()
}

fn row(action: &str, name: &str) -> (String, String) {
    (action.to_owned(), name.to_owned())
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_backlog_of_101_tasks_fires_queue_depth_once_and_resolves_when_drained(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let s = sweeps(&c);
    let mut tasks: Vec<_> = (0..101)
        .map(|_| new_task(c.ws, "content-generator"))
        .collect();
    // The one completed first is claimed first.
    tasks[0].priority = 6;
    let ids = c.db.insert(&tasks).await;

    let a = alert(&c, "queue_depth").await;
    assert_eq!(
        (&a["value"], &a["threshold"], &a["firing"]),
        (&json!(101.0), &json!(100.0), &json!(true))
    );
    assert_eq!(a["since"], Value::Null, "the sweep has not seen it yet");

    assert_eq!(run_alerts(&s).await["raised"], 1);
    let since = alert(&c, "queue_depth").await["since"].clone();
    assert!(since.is_string(), "since is the sweep's time: {since}");
    // Still firing: no second row.
    assert_eq!(run_alerts(&s).await["raised"], 0);
    assert_eq!(alert_rows(&c).await, [row("alert.raised", "queue_depth")]);
    assert_eq!(alert(&c, "queue_depth").await["since"], since);

    // 100 queued is not over 100.
    c.db.complete_task(ids[0]).await;
    let a = alert(&c, "queue_depth").await;
    assert_eq!((&a["value"], &a["firing"]), (&json!(100.0), &json!(false)));
    assert_eq!(run_alerts(&s).await["resolved"], 1);
    c.db.complete_ready().await;
    assert_eq!(run_alerts(&s).await["resolved"], 0);
    assert_eq!(
        alert_rows(&c).await,
        [
            row("alert.raised", "queue_depth"),
            row("alert.resolved", "queue_depth")
        ]
    );
    let a = alert(&c, "queue_depth").await;
    assert_eq!((&a["value"], &a["firing"]), (&json!(0.0), &json!(false)));
    assert!(
        a["since"].is_string(),
        "resolved since the sweep saw it: {a}"
    );
    // The other alerts never fired.
    assert_eq!(alert(&c, "failure_rate").await["firing"], false);
    assert_eq!(alert(&c, "slow_execution").await["firing"], false);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn failure_rate_fires_over_10_percent_of_at_least_10_finished_today(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let s = sweeps(&c);
    let insert = async |n: usize, agent: &str| -> Vec<Uuid> {
        let tasks: Vec<_> = (0..n).map(|_| new_task(c.ws, agent)).collect();
        c.db.insert(&tasks).await
    };
    for id in insert(1, "flaky-agent").await {
        c.db.fail_task(id).await;
    }
    insert(8, "content-generator").await;
    c.db.complete_ready().await;
    // 1 of 9 failed: over 10 %, but fewer than 10 finished.
    let a = alert(&c, "failure_rate").await;
    assert_eq!(a["firing"], false, "{a}");
    assert!(
        (a["value"].as_f64().unwrap() - 1.0 / 9.0).abs() < 1e-9,
        "{a}"
    );
    assert_eq!(a["threshold"], json!(0.1));

    // 1 of 10: not over 10 %.
    insert(1, "content-generator").await;
    c.db.complete_ready().await;
    assert_eq!(alert(&c, "failure_rate").await["firing"], false);
    assert_eq!(run_alerts(&s).await["raised"], 0);

    // 2 of 11.
    for id in insert(1, "flaky-agent").await {
        c.db.fail_task(id).await;
    }
    assert_eq!(alert(&c, "failure_rate").await["firing"], true);
    assert_eq!(run_alerts(&s).await["raised"], 1);
    assert_eq!(run_alerts(&s).await["raised"], 0);

    // 2 of 21: resolved.
    insert(10, "content-generator").await;
    c.db.complete_ready().await;
    assert_eq!(alert(&c, "failure_rate").await["firing"], false);
    assert_eq!(run_alerts(&s).await["resolved"], 1);
    assert_eq!(
        alert_rows(&c).await,
        [
            row("alert.raised", "failure_rate"),
            row("alert.resolved", "failure_rate")
        ]
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn an_execution_over_60_seconds_in_the_last_15_minutes_fires_slow_execution(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let s = sweeps(&c);
    let ids =
        c.db.insert(&[
            new_task(c.ws, "content-generator"),
            new_task(c.ws, "content-generator"),
        ])
        .await;
    c.db.complete_ready().await;
    // No transition can give a row a minute-long execution without waiting a minute: move the
    // start back, as `TestDb::backdate` moves ages.
    let set_execution = async |id: Uuid, secs: f64, finished_ago_secs: f64| {
        sqlx::query(
            "UPDATE autonomous_tasks \
             SET completed_at = now() - make_interval(secs => $3), \
                 started_at = now() - make_interval(secs => $3 + $2) WHERE id = $1",
        )
        .bind(id)
        .bind(secs)
        .bind(finished_ago_secs)
        .execute(&c.db.pool)
        .await
        .unwrap();
    };
    set_execution(ids[0], 59.0, 0.0).await;
    let a = alert(&c, "slow_execution").await;
    assert_eq!(
        (&a["firing"], &a["threshold"]),
        (&json!(false), &json!(60.0))
    );
    assert!((a["value"].as_f64().unwrap() - 59.0).abs() < 0.01, "{a}");

    set_execution(ids[1], 61.0, 0.0).await;
    let a = alert(&c, "slow_execution").await;
    assert_eq!(a["firing"], true, "{a}");
    assert!((a["value"].as_f64().unwrap() - 61.0).abs() < 0.01, "{a}");
    assert_eq!(run_alerts(&s).await["raised"], 1);
    assert_eq!(run_alerts(&s).await["raised"], 0);

    // 16 minutes later it is out of the window.
    set_execution(ids[1], 61.0, 16.0 * 60.0).await;
    assert_eq!(alert(&c, "slow_execution").await["firing"], false);
    assert_eq!(run_alerts(&s).await["resolved"], 1);
    assert_eq!(
        alert_rows(&c).await,
        [
            row("alert.raised", "slow_execution"),
            row("alert.resolved", "slow_execution")
        ]
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn alerts_are_per_workspace(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let other = c.db.workspace().await;
    let s = sweeps(&c);
    let tasks: Vec<_> = (0..101)
        .map(|_| new_task(other, "content-generator"))
        .collect();
    c.db.insert(&tasks).await;
    assert_eq!(alert(&c, "queue_depth").await["firing"], false);
    assert_eq!(run_alerts(&s).await["raised"], 1);
    assert!(alert_rows(&c).await.is_empty());
    let owner: Vec<Uuid> =
        sqlx::query_scalar("SELECT workspace_id FROM audit_logs WHERE action = 'alert.raised'")
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(owner, [other]);
}
