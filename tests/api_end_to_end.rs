//! The API with real agents and a real worker: a strategy is decomposed over HTTP and a
//! `taskfleet worker` process runs the whole DAG in dependency order; the API's own bounded
//! execute pass honours `max_concurrent`, readiness and its filter.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::api::{AgentCtx, ApiCtx, token, uuid};
use common::procs::WorkerProc;
use common::wait_until;

const AGENTS: [&str; 6] = [
    "content-generator",
    "calendar-agent",
    "email-agent",
    "campaign-manager",
    "analytics-agent",
    "general-executor",
];

/// How long every agent call takes: long enough that running a task before its dependency
/// finished would show in the call times.
const AGENT_LATENCY: Duration = Duration::from_millis(40);

/// The shared API context plus one agent, registered under every agent name.
type Ctx = AgentCtx;

async fn ctx(pool: PgPool) -> Ctx {
    let agent = TestAgent::always(Reply::After(
        AGENT_LATENCY,
        Box::new(Reply::Ok(json!({"done": true}))),
    ))
    .await;
    AgentCtx::new(ApiCtx::new(pool).await, agent, &AGENTS).await
}

impl Ctx {
    async fn status(&self) -> Value {
        self.status_page("&limit=1000").await
    }

    async fn execute(&self, body: Value) -> Value {
        let (code, resp) = self.api.post("/api/tasks/execute", &self.token, body).await;
        assert_eq!(code, 200, "{resp}");
        assert_eq!(resp["success"], true, "{resp}");
        resp
    }

    async fn task(&self, priority: i64, depends_on: &[Uuid]) -> Uuid {
        let row = self
            .api
            .create_task(
                &self.token,
                self.ws,
                json!({"priority": priority, "depends_on": depends_on}),
            )
            .await;
        uuid(&row["id"])
    }
}

fn strategy(ws: Uuid) -> Value {
    json!({
        "workspace_id": ws,
        "name": "Autumn launch",
        "campaign_calendar": {"phases": [
            {"phase_name": "Launch", "duration_days": 10,
             "key_activities": ["Write launch blog post", "Upload lead list", "Schedule posts",
                                "Send welcome email"]},
            {"phase_name": "Grow",
             "key_activities": ["Run ad campaign", "Host webinar", "Write case study copy"]},
            {"phase_name": "Measure",
             "key_activities": ["Set up analytics dashboard", "Email drip for leads"]},
        ]},
        "content_pillars": [{"name": "Thought leadership", "percentage_allocation": 25}],
        "kpis": [{"metric_name": "Signups", "target": 500}],
    })
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_decomposed_strategy_runs_to_completion_in_dependency_order(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy_id = c.api.create_strategy(&c.token, strategy(c.ws)).await;
    let (code, plan) = c.decompose_with(strategy_id, json!({})).await;
    assert_eq!(code, 201, "{plan}");
    let tasks = plan["tasks"].as_array().unwrap().clone();
    let total = tasks.len();
    assert_eq!(total, 11);
    let deps: HashMap<Uuid, Vec<Uuid>> = tasks
        .iter()
        .map(|t| {
            let d = t["depends_on"]
                .as_array()
                .unwrap()
                .iter()
                .map(uuid)
                .collect();
            (uuid(&t["id"]), d)
        })
        .collect();
    assert!(
        deps.values().map(Vec::len).sum::<usize>() > 10,
        "the DAG has edges to respect"
    );

    // Maps the agent's monotonic call times onto the wall clock the database uses.
    let (base_instant, base_wall) = (Instant::now(), Utc::now());
    let wall = |at: Instant| -> DateTime<Utc> {
        base_wall + chrono::Duration::from_std(at.saturating_duration_since(base_instant)).unwrap()
    };
    let _worker = WorkerProc::start(&c.db, &[("TASKFLEET_BUSINESS_HOURS", "off")]).await;

    let s = wait_until(
        "every task completed",
        Duration::from_secs(90),
        async || {
            let s = c.status().await;
            let summary = &s["summary"];
            assert_eq!(summary["total"], total as i64, "{summary}");
            assert_eq!(summary["failed"], 0, "{s}");
            assert_eq!(summary["cancelled"], 0, "{s}");
            if summary["completed"] == total as i64 {
                Ok(s)
            } else {
                Err(format!("not everything completed: {summary}"))
            }
        },
    )
    .await;
    assert!(
        s["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["progress_percentage"] == 100 && t["dependencies_met"] == true),
        "{s}"
    );

    // Every task was called exactly once, after each of its dependencies' calls had answered
    // and their completion had been written.
    let calls: HashMap<Uuid, Instant> = c
        .agent
        .calls()
        .into_iter()
        .map(|call| (call.task_id, call.at))
        .collect();
    assert_eq!(c.agent.calls().len(), total, "an agent call was repeated");
    assert_eq!(
        calls.keys().copied().collect::<HashSet<_>>(),
        deps.keys().copied().collect::<HashSet<_>>()
    );
    for (task, task_deps) in &deps {
        let row = c.db.task(*task).await;
        assert_eq!(row.status, "completed");
        assert_eq!(row.output_data, Some(json!({"done": true})));
        let call = calls[task];
        for dep in task_deps {
            let dep_row = c.db.task(*dep).await;
            let dep_call = calls[dep];
            assert!(
                call >= dep_call + AGENT_LATENCY,
                "task {task} was called {:?} after its dependency {dep}, before that call answered",
                call - dep_call
            );
            let dep_done = dep_row.completed_at.unwrap();
            assert!(
                wall(call) > dep_done,
                "task {task} was called at {} before its dependency completed at {dep_done}",
                wall(call)
            );
            assert!(
                row.started_at.unwrap() >= dep_done,
                "task {task} started before dependency {dep} completed"
            );
        }
    }

    let m = c
        .get_ok(&format!("/api/metrics/orchestrator?workspace_id={}", c.ws))
        .await;
    assert_eq!(m["tasks_executed_today"], total as i64, "{m}");
    assert_eq!(m["tasks_created_today"], total as i64, "{m}");
    assert_eq!(m["tasks_failed_today"], 0, "{m}");
    assert_eq!(m["success_rate"], 1.0, "{m}");
    assert_eq!(m["queue_depth"], 0, "{m}");
    assert_eq!(m["completed"], total as i64, "{m}");
    assert!(
        m["average_execution_time_ms"].as_f64().unwrap() >= AGENT_LATENCY.as_millis() as f64,
        "{m}"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_runs_at_most_max_concurrent_ready_tasks(pool: PgPool) {
    let c = ctx(pool).await;
    let first = c.task(5, &[]).await;
    let second = c.task(5, &[]).await;
    let third = c.task(5, &[]).await;

    let resp = c
        .execute(json!({"workspace_id": c.ws, "max_concurrent": 2}))
        .await;
    assert_eq!(resp["tasks_executed"], 2, "{resp}");
    assert_eq!(resp["tasks_failed"], 0, "{resp}");
    assert_eq!(resp["tasks_remaining"], 1, "{resp}");
    let log = resp["execution_log"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{resp}");
    for entry in log {
        assert_eq!(entry["status"], "completed", "{entry}");
        assert!(entry["duration_ms"].as_u64().is_some(), "{entry}");
    }
    // Claim order: equal priority, oldest first.
    let ran: HashSet<Uuid> = log.iter().map(|e| uuid(&e["task_id"])).collect();
    assert_eq!(ran, HashSet::from([first, second]));
    assert_eq!(c.agent.calls().len(), 2);
    for id in [first, second] {
        let row = c.db.task(id).await;
        assert_eq!(row.status, "completed");
        assert_eq!(row.output_data, Some(json!({"done": true})));
        assert_eq!(
            c.db.audit_actions(id).await,
            ["task.created", "task.executed"]
        );
    }
    assert_eq!(c.db.task(third).await.status, "queued");

    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["tasks_remaining"], 0, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], third.to_string());

    // Nothing left: an empty pass.
    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 0, "{resp}");
    assert_eq!(resp["execution_log"], json!([]));
    assert_eq!(c.agent.calls().len(), 3);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_respects_the_priority_filter(pool: PgPool) {
    let c = ctx(pool).await;
    let low = c.task(3, &[]).await;
    let mid = c.task(6, &[]).await;
    let high = c.task(9, &[]).await;
    let resp = c
        .execute(json!({"workspace_id": c.ws, "max_concurrent": 5, "filter": {"priority_min": 6}}))
        .await;
    assert_eq!(resp["tasks_executed"], 2, "{resp}");
    assert_eq!(resp["tasks_remaining"], 1, "{resp}");
    let ran: HashSet<Uuid> = resp["execution_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| uuid(&e["task_id"]))
        .collect();
    assert_eq!(ran, HashSet::from([mid, high]));
    assert!(
        c.agent.calls_for(low).is_empty(),
        "the filtered-out task ran"
    );
    assert_eq!(c.db.task(low).await.status, "queued");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_runs_only_ready_tasks(pool: PgPool) {
    let c = ctx(pool).await;
    let upstream = c.task(5, &[]).await;
    let downstream = c.task(10, &[upstream]).await;
    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], upstream.to_string());
    assert_eq!(resp["tasks_remaining"], 1, "{resp}");
    assert!(c.agent.calls_for(downstream).is_empty());

    // Now its dependency is completed, the next pass runs it.
    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], downstream.to_string());
    assert_eq!(c.db.task(downstream).await.status, "completed");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_only_touches_the_named_workspace(pool: PgPool) {
    let c = ctx(pool).await;
    let other = common::api::other_workspace(&c.db).await;
    let theirs = c
        .api
        .create_task(&token("bob", &[other]), other, json!({"priority": 10}))
        .await;
    let mine = c.task(1, &[]).await;
    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], mine.to_string());
    assert_eq!(c.db.task(uuid(&theirs["id"])).await.status, "queued");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_with_an_unregistered_agent_defers_without_consuming_a_retry(pool: PgPool) {
    let c = ctx(pool).await;
    let row = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"assigned_agent": "not-deployed-yet"}),
        )
        .await;
    let id = uuid(&row["id"]);
    let resp = c.execute(json!({"workspace_id": c.ws})).await;
    assert_eq!(resp["tasks_executed"], 0, "{resp}");
    assert_eq!(resp["tasks_failed"], 1, "{resp}");
    let entry = &resp["execution_log"][0];
    assert_eq!(entry["task_id"], id.to_string());
    assert_eq!(entry["status"], "failed");
    assert!(
        entry["error"]
            .as_str()
            .unwrap_or_default()
            .contains("TASK_004"),
        "{entry}"
    );
    let task = c.db.task(id).await;
    assert_eq!(task.status, "queued", "TASK_004 leaves the task queued");
    assert_eq!(task.retry_count, 0, "TASK_004 consumes no retry");
    assert!(task.next_run_at > Utc::now(), "next_run_at is pushed out");
    assert_eq!(resp["tasks_remaining"], 1);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_passes_racing_a_worker_never_run_a_task_twice(pool: PgPool) {
    let c = ctx(pool).await;
    let tasks: Vec<_> = (0..60)
        .map(|_| common::new_task(c.ws, "content-generator"))
        .collect();
    let ids = c.db.insert(&tasks).await;
    let _worker = WorkerProc::start(
        &c.db,
        &[
            ("TASKFLEET_BUSINESS_HOURS", "off"),
            ("TASKFLEET_CONCURRENCY", "3"),
        ],
    )
    .await;
    let body = json!({"workspace_id": c.ws, "max_concurrent": 4});
    let mut by_api = 0;
    for _ in 0..5 {
        let (a, b, d) = tokio::join!(
            c.execute(body.clone()),
            c.execute(body.clone()),
            c.execute(body.clone())
        );
        for r in [a, b, d] {
            assert_eq!(r["tasks_failed"], 0, "{r}");
            by_api += r["tasks_executed"].as_i64().unwrap();
        }
    }
    c.db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'",
        60,
        Duration::from_secs(60),
    )
    .await;
    let calls = c.agent.calls();
    let mut per_task: HashMap<Uuid, usize> = HashMap::new();
    for call in &calls {
        *per_task.entry(call.task_id).or_default() += 1;
    }
    assert_eq!(per_task.len(), 60);
    assert!(
        per_task.values().all(|&n| n == 1),
        "a task was run twice: {per_task:?}"
    );
    assert!(by_api > 0, "the API passes claimed nothing");
    let by_worker =
        c.db.count(
            "SELECT count(*) FROM audit_logs WHERE action = 'task.executed' AND agent LIKE 'w-%'",
        )
        .await;
    assert_eq!(by_api + by_worker, 60, "api {by_api} + worker {by_worker}");
    for id in ids.iter().take(10) {
        // One execution row each. A task the worker claimed ahead of its slots and held past
        // the local queue's limit also has its `task.released` (it went back to queued, then
        // ran once): under load that happens, and it is not a second run.
        let mut actions = c.db.audit_actions(*id).await;
        actions.retain(|a| a != "task.released");
        assert_eq!(actions, ["task.executed"]);
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn decompose_with_auto_execute_runs_ready_tasks_only(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy_id = c.api.create_strategy(&c.token, strategy(c.ws)).await;
    let (code, resp) = c
        .decompose_with(strategy_id, json!({"auto_execute": true}))
        .await;
    assert_eq!(code, 201, "{resp}");
    assert_eq!(resp["tasks_created"], 11);
    let execution = &resp["execution"];
    assert_eq!(execution["success"], true, "{resp}");
    let log = execution["execution_log"].as_array().unwrap();
    assert!(!log.is_empty(), "{execution}");
    assert_eq!(execution["tasks_executed"], log.len() as i64);
    let no_deps: HashSet<Uuid> = resp["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["depends_on"] == json!([]))
        .map(|t| uuid(&t["id"]))
        .collect();
    for entry in log {
        assert_eq!(entry["status"], "completed", "{entry}");
        assert!(
            no_deps.contains(&uuid(&entry["task_id"])),
            "a task with dependencies ran: {entry}"
        );
        assert_eq!(c.db.task(uuid(&entry["task_id"])).await.status, "completed");
    }
    assert_eq!(c.agent.calls().len(), log.len());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn execute_respects_the_agent_and_type_filters(pool: PgPool) {
    let c = ctx(pool).await;
    let content = c.task(5, &[]).await;
    let email = uuid(
        &c.api
            .create_task(
                &c.token,
                c.ws,
                json!({"assigned_agent": "email-agent", "task_type": "email"}),
            )
            .await["id"],
    );
    let resp = c
        .execute(json!({"workspace_id": c.ws, "filter": {"assigned_agent": "email-agent"}}))
        .await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], email.to_string());
    let resp = c
        .execute(json!({"workspace_id": c.ws, "filter": {"task_type": "email"}}))
        .await;
    assert_eq!(resp["tasks_executed"], 0, "{resp}");
    let resp = c
        .execute(json!({"workspace_id": c.ws, "filter": {"task_type": "content"}}))
        .await;
    assert_eq!(resp["tasks_executed"], 1, "{resp}");
    assert_eq!(resp["execution_log"][0]["task_id"], content.to_string());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn metrics_count_failures_and_the_success_rate(pool: PgPool) {
    let c = ctx(pool).await;
    let refuses = TestAgent::always(Reply::Status(400)).await;
    c.db.register_agent("refuses", &refuses.url).await;
    c.task(5, &[]).await;
    c.task(5, &[]).await;
    let bad = uuid(
        &c.api
            .create_task(&c.token, c.ws, json!({"assigned_agent": "refuses"}))
            .await["id"],
    );
    let blocked = c.task(5, &[bad]).await;
    let waiting = c.task(1, &[]).await;
    let resp = c
        .execute(json!({"workspace_id": c.ws, "filter": {"priority_min": 5}}))
        .await;
    assert_eq!(resp["tasks_executed"], 2, "{resp}");
    assert_eq!(resp["tasks_failed"], 1, "{resp}");
    let failed_entry = resp["execution_log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["task_id"] == bad.to_string())
        .unwrap()
        .clone();
    assert_eq!(failed_entry["status"], "failed");
    assert!(
        failed_entry["error"].as_str().unwrap().contains("400"),
        "{failed_entry}"
    );
    assert_eq!(c.db.task(bad).await.status, "failed");
    // Its dependent is cancelled (TASK_006); the low-priority task still waits.
    assert_eq!(c.db.task(blocked).await.status, "cancelled");
    assert_eq!(c.db.task(waiting).await.status, "queued");

    let (code, m) = c
        .api
        .get(
            &format!("/api/metrics/orchestrator?workspace_id={}", c.ws),
            &c.token,
        )
        .await;
    assert_eq!(code, 200, "{m}");
    assert_eq!(m["tasks_created_today"], 5, "{m}");
    assert_eq!(m["tasks_executed_today"], 2, "{m}");
    assert_eq!(m["tasks_failed_today"], 1, "{m}");
    let rate = m["success_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{m}");
    assert_eq!(m["queue_depth"], 1, "{m}");
    assert_eq!(m["completed"], 2, "{m}");
    assert_eq!(m["failed"], 1, "{m}");
    assert_eq!(m["cancelled"], 1, "{m}");
}
