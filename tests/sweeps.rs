//! Cron sweeps: once per tick across the fleet, the retention sweep's batches and its limits,
//! the reaper as a sweep, and cron ticks across daylight-saving changes.

mod common;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgPool;

use common::procs::WorkerProc;
use common::{TestDb, new_task, wait_until};
use taskfleet::schedule::Clock;
use taskfleet::worker::WorkerConfig;
use taskfleet::worker::sweeps::{Sweep, SweepConfig, Sweeps};

fn worker(id: &str) -> WorkerConfig {
    // A short lease, so the reaper's tests see leases expire.
    WorkerConfig {
        lease: Duration::from_secs(2),
        ..common::sweep_worker(id, Clock::system())
    }
}

fn sweep_config(zone: Tz) -> SweepConfig {
    SweepConfig::parse(
        "*/1 * * * * *",
        "*/15 * * * * *",
        "0 30 2 * * *",
        zone,
        Duration::from_secs(60),
        30,
    )
    .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn two_workers_reaching_the_same_tick_run_each_sweep_once(pool: PgPool) {
    let a = Sweeps::new(pool.clone(), worker("a"), sweep_config(chrono_tz::UTC));
    let b = Sweeps::new(pool.clone(), worker("b"), sweep_config(chrono_tz::UTC));
    let base: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    for sweep in Sweep::ALL {
        for n in 0..3 {
            let tick = base + chrono::TimeDelta::seconds(n * 15);
            let (ra, rb) = tokio::join!(a.run_if_due(sweep, tick), b.run_if_due(sweep, tick));
            let ran = [ra.unwrap(), rb.unwrap()]
                .iter()
                .filter(|r| r.is_some())
                .count();
            assert_eq!(ran, 1, "{} at {tick}", sweep.name());
            // A worker arriving late for the same tick does not run it again.
            assert!(a.run_if_due(sweep, tick).await.unwrap().is_none());
        }
    }
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM sweep_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, Sweep::ALL.len() as i64);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn retention_deletes_old_terminal_rows_in_batches_but_keeps_needed_dependencies(
    pool: PgPool,
) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let old: Vec<_> = (0..2500).map(|_| new_task(ws, "x")).collect();
    db.insert(&old).await;
    let needed = new_task(ws, "x");
    let mut waiting = new_task(ws, "x");
    waiting.depends_on = vec![needed.id];
    let recent = new_task(ws, "x");
    db.insert(&[needed.clone(), waiting.clone(), recent.clone()])
        .await;
    // Everything ready runs to completed (`waiting` stays queued: it was blocked on `needed`).
    assert_eq!(db.complete_ready().await.len(), 2502);
    // All but `recent` happened 40 days ago, audit rows included.
    let old_ids: Vec<_> = old.iter().map(|t| t.id).collect();
    db.backdate(
        &[old_ids, vec![needed.id, waiting.id]].concat(),
        TimeDelta::days(40),
    )
    .await;

    let sweeps = Sweeps::new(db.pool.clone(), worker("w"), sweep_config(chrono_tz::UTC));
    let result = sweeps.run_once(Sweep::Retention).await.unwrap();
    assert_eq!(result["tasks_deleted"], json!(2500));
    let left: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM autonomous_tasks ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut want = vec![needed.id, waiting.id, recent.id];
    want.sort();
    assert_eq!(
        left, want,
        "the dependency of a queued task and recent rows stay"
    );
    let audit_left = db.count("SELECT count(*) FROM audit_logs").await;
    assert_eq!(db.audit_actions(recent.id).await, ["task.executed"]);
    assert_eq!(
        audit_left, 1,
        "only the recent task's audit rows are younger than 30 days"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_reaper_sweep_reclaims_expired_leases(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let id = db.insert(&[new_task(ws, "x")]).await[0];
    db.claim_expired("dead-worker", 1).await;
    let sweeps = Sweeps::new(
        db.pool.clone(),
        worker("reaper"),
        sweep_config(chrono_tz::UTC),
    );
    let result = sweeps.run_once(Sweep::LeaseReaper).await.unwrap();
    assert_eq!(result, json!({"reclaimed": 1}));
    let row = db.task(id).await;
    assert_eq!((row.status.as_str(), row.retry_count), ("queued", 1));
    assert_eq!(db.audit_actions(id).await.last().unwrap(), "task.reclaimed");
}

#[test]
fn cron_ticks_follow_the_zone_across_daylight_saving() {
    let sydney: Tz = "Australia/Sydney".parse().unwrap();
    let cfg = sweep_config(sydney);
    let ticks_from = |start: &str, n: usize| {
        let mut at: DateTime<Utc> = start.parse().unwrap();
        let mut ticks = Vec::new();
        for _ in 0..n {
            at = cfg.next_tick(Sweep::Retention, at).unwrap();
            ticks.push(
                at.with_timezone(&sydney)
                    .format("%m-%d %H:%M %Z")
                    .to_string(),
            );
        }
        ticks
    };
    // Daily at 02:30 local. On 4 Oct 2026 02:30 does not exist (02:00 AEST → 03:00 AEDT): that day
    // runs once, at the first valid instant after the gap.
    assert_eq!(
        ticks_from("2026-09-30T12:00:00Z", 6),
        [
            "10-01 02:30 AEST",
            "10-02 02:30 AEST",
            "10-03 02:30 AEST",
            "10-04 03:00 AEDT",
            "10-05 02:30 AEDT",
            "10-06 02:30 AEDT"
        ]
    );
    // On 5 Apr 2026 02:30 occurs twice (03:00 AEDT → 02:00 AEST): it runs once, the first time.
    assert_eq!(
        ticks_from("2026-04-03T12:00:00Z", 3),
        ["04-04 02:30 AEDT", "04-05 02:30 AEDT", "04-06 02:30 AEST"]
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn workers_that_lose_the_metrics_tick_export_the_recorded_measurement(pool: PgPool) {
    let db = TestDb::new(pool);
    // The fleet's last measurement, recorded by a winner whose tick lies so far ahead that these
    // workers lose every tick: their gauges can only come from the record.
    sqlx::query(
        "INSERT INTO sweep_runs (name, last_tick, last_result)
         VALUES ('queue_metrics', '2100-01-01T00:00:00Z',
                 '{\"queued\": 42, \"in_progress\": 7, \"ready\": 40, \"stale\": 3,
                   \"oldest_ready_age_secs\": 12.5}')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let env = [("TASKFLEET_METRICS_CRON", "* * * * * *")];
    let workers = [
        WorkerProc::start(&db, &env).await,
        WorkerProc::start(&db, &env).await,
    ];
    let want = [
        "taskfleet_queue_depth{status=\"queued\"} 42",
        "taskfleet_queue_depth{status=\"in_progress\"} 7",
        "taskfleet_queue_depth{status=\"ready\"} 40",
        "taskfleet_stale_ready_tasks 3",
        "taskfleet_oldest_ready_age_seconds 12.5",
    ];
    for w in &workers {
        let what = format!("worker {} exports the recorded queue metrics", w.id);
        wait_until(&what, Duration::from_secs(20), async || {
            let text = w.metrics_text().await;
            want.iter()
                .all(|line| text.contains(line))
                .then_some(())
                .ok_or(text)
        })
        .await;
    }
}
