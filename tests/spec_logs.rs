//! The specification's `Task executed` log event (issue 13): with TASKFLEET_LOG_FORMAT=json a
//! worker logs one JSON object per attempt, whose fields are the specification's (task_id,
//! assigned_agent, status, duration_ms, retry_count) plus workspace_id and attempt, at info;
//! a failed attempt logs it at warn with the code.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;
use common::{TestDb, new_task};

const MINUTE: Duration = Duration::from_secs(60);

/// The worker's `Task executed` events for `id`.
fn executed(log: &str, id: Uuid) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "Task executed" && v["task_id"] == id.to_string())
        .collect()
}

/// The event's own fields: what tracing-subscriber adds (time, level, target, spans) left out.
fn fields(event: &Value) -> Vec<String> {
    let mut keys: Vec<String> = event
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| {
            !["timestamp", "level", "target", "message", "span", "spans"].contains(&k.as_str())
        })
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn each_attempt_logs_task_executed_as_json(pool: PgPool) {
    let db = TestDb::new(pool);
    let ok = TestAgent::always(Reply::Ok(json!({"done": true}))).await;
    let refusing = TestAgent::always(Reply::Status(400)).await;
    db.register_agent("content-generator", &ok.url).await;
    db.register_agent("email-agent", &refusing.url).await;
    let ws = db.workspace().await;
    let worker = WorkerProc::start(&db, &[("TASKFLEET_LOG_FORMAT", "json")]).await;
    let done = db.insert(&[new_task(ws, "content-generator")]).await[0];
    let failed = db.insert(&[new_task(ws, "email-agent")]).await[0];
    db.wait_status(done, "completed", MINUTE).await;
    db.wait_status(failed, "failed", MINUTE).await;

    // The event is written after the outcome: wait for it in the log.
    let log = common::wait_until("both events are logged", MINUTE, async || {
        let log = worker.log();
        if executed(&log, done).len() == 1 && executed(&log, failed).len() == 1 {
            Ok(log)
        } else {
            Err(log.lines().rev().take(5).collect::<Vec<_>>().join("\n"))
        }
    })
    .await;

    let event = &executed(&log, done)[0];
    assert_eq!(event["level"], "INFO", "{event}");
    assert_eq!(
        fields(event),
        [
            "assigned_agent",
            "attempt",
            "duration_ms",
            "retry_count",
            "status",
            "task_id",
            "workspace_id"
        ],
        "{event}"
    );
    assert_eq!(event["assigned_agent"], "content-generator");
    assert_eq!(event["status"], "completed");
    assert_eq!(event["retry_count"], 0);
    assert_eq!(event["attempt"], 1);
    assert_eq!(event["workspace_id"], ws.to_string());
    assert!(event["duration_ms"].is_u64(), "{event}");

    let event = &executed(&log, failed)[0];
    assert_eq!(event["level"], "WARN", "{event}");
    assert_eq!(event["status"], "failed");
    assert_eq!(event["code"], "TASK_015", "{event}");
    assert!(event["error"].as_str().unwrap().contains("400"), "{event}");
    println!(
        "{}",
        log.lines()
            .find(|l| l.contains("\"Task executed\""))
            .unwrap()
    );
}
