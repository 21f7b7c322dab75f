//! Real `taskfleet worker` processes against real loopback agents: exactly-once under a fleet,
//! crash recovery, backoff, failure classes, drain on SIGTERM.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;
use common::{AGENT_SECRET, TestDb, new_task};
use taskfleet::auth::AgentClaims;

const MINUTE: Duration = Duration::from_secs(60);

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn three_workers_run_a_thousand_tasks_exactly_once(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Ok(json!({"ok": true}))).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let mut workers = Vec::new();
    for _ in 0..3 {
        workers.push(WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "5")]).await);
    }
    let tasks: Vec<_> = (0..1000)
        .map(|_| new_task(ws, "content-generator"))
        .collect();
    let ids = db.insert(&tasks).await;

    db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'",
        1000,
        2 * MINUTE,
    )
    .await;

    let mut per_task: HashMap<Uuid, usize> = HashMap::new();
    let key = DecodingKey::from_secret(AGENT_SECRET.as_bytes());
    for call in agent.calls() {
        *per_task.entry(call.task_id).or_default() += 1;
        assert_eq!(call.idempotency_key, Some(call.task_id.to_string()));
        assert_eq!(call.attempt, 1);
        let token = call
            .authorization
            .as_deref()
            .unwrap()
            .strip_prefix("Bearer ")
            .unwrap();
        let claims = jsonwebtoken::decode::<AgentClaims>(token, &key, &Validation::default())
            .unwrap()
            .claims;
        assert_eq!((claims.sub, claims.workspace_id), (call.task_id, ws));
        assert_eq!(claims.agent, "content-generator");
        assert_eq!(call.body["task_type"], "content");
    }
    assert_eq!(per_task.len(), 1000);
    assert!(
        per_task.values().all(|&n| n == 1),
        "an agent call was duplicated"
    );
    for id in ids.iter().take(20) {
        assert_eq!(db.audit_actions(*id).await, ["task.executed"]);
    }
    let executed = db
        .count("SELECT count(*) FROM audit_logs WHERE action = 'task.executed'")
        .await;
    assert_eq!(executed, 1000);
    let workers_used = db
        .count("SELECT count(DISTINCT agent) FROM audit_logs WHERE action = 'task.executed'")
        .await;
    assert_eq!(
        workers_used, 3,
        "every worker of the fleet should have claimed work"
    );
    let metrics = workers[0].metrics_text().await;
    assert!(
        metrics.contains("taskfleet_tasks_claimed_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("taskfleet_claim_latency_seconds_bucket"),
        "{metrics}"
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_killed_worker_task_is_reclaimed_and_completed_once(pool: PgPool) {
    let db = TestDb::new(pool);
    // The first call hangs (the worker dies during it); later calls succeed.
    let agent = TestAgent::scripted(vec![Reply::Hang, Reply::Ok(json!({"second": true}))]).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let env = [
        ("TASKFLEET_LEASE_SECS", "2"),
        ("TASKFLEET_BACKOFF_BASE_MS", "50"),
    ];
    let mut first = WorkerProc::start(&db, &env).await;
    let id = db.insert(&[new_task(ws, "content-generator")]).await[0];
    agent.wait_called(id, MINUTE).await;
    first.kill9();

    db.wait_count("SELECT count(*) FROM stuck_tasks", 1, MINUTE)
        .await;
    let _second = WorkerProc::start(&db, &env).await;
    let row = db.wait_status(id, "completed", MINUTE).await;
    assert_eq!(row.retry_count, 1, "the reclaim counts as a retry");
    assert_eq!(row.output_data, Some(json!({"second": true})));
    let calls = agent.calls_for(id);
    assert_eq!(
        calls.iter().map(|c| c.attempt).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let actions = db.audit_actions(id).await;
    assert_eq!(actions, ["task.reclaimed", "task.executed"]);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn transient_failures_back_off_exponentially_then_succeed(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::scripted(vec![
        Reply::Status(503),
        Reply::Status(503),
        Reply::Ok(json!({})),
    ])
    .await;
    db.register_agent("email-agent", &agent.url).await;
    let ws = db.workspace().await;
    let _w = WorkerProc::start(&db, &[("TASKFLEET_BACKOFF_BASE_MS", "200")]).await;
    let id = db.insert(&[new_task(ws, "email-agent")]).await[0];
    let row = db.wait_status(id, "completed", MINUTE).await;
    assert_eq!(row.retry_count, 2);
    assert_eq!(row.error_message, None, "a completed task carries no error");
    let calls = agent.calls_for(id);
    assert_eq!(
        calls.iter().map(|c| c.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // base * 2^n plus at most 10 % jitter, and a little for the claim and the HTTP call.
    for (i, want_ms) in [(1, 400u64), (2, 800)] {
        let gap = calls[i].at - calls[i - 1].at;
        let want = Duration::from_millis(want_ms);
        assert!(gap >= want, "gap {i} was {gap:?}, want at least {want:?}");
        assert!(
            gap < want * 11 / 10 + Duration::from_millis(500),
            "gap {i} was {gap:?}"
        );
    }
    let actions = db.audit_actions(id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "task.retry_scheduled")
            .count(),
        2
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn failure_classes_follow_the_contract(pool: PgPool) {
    let db = TestDb::new(pool);
    let bad_request = TestAgent::always(Reply::Status(400)).await;
    let unavailable = TestAgent::always(Reply::Status(503)).await;
    let slow_down = TestAgent::scripted(vec![Reply::RetryAfter("1"), Reply::Ok(json!({}))]).await;
    let hangs = TestAgent::always(Reply::Hang).await;
    db.register_agent("bad-request", &bad_request.url).await;
    db.register_agent("unavailable", &unavailable.url).await;
    db.register_agent("slow-down", &slow_down.url).await;
    db.register_agent("hangs", &hangs.url).await;
    let ws = db.workspace().await;
    let _w = WorkerProc::start(
        &db,
        &[
            ("TASKFLEET_BACKOFF_BASE_MS", "20"),
            ("TASKFLEET_TASK_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let permanent = new_task(ws, "bad-request");
    let exhausted = new_task(ws, "unavailable");
    let limited = new_task(ws, "slow-down");
    let mut timeout = new_task(ws, "hangs");
    timeout.max_retries = 0;
    let unknown = new_task(ws, "not-deployed-yet");
    db.insert(&[
        permanent.clone(),
        exhausted.clone(),
        limited.clone(),
        timeout.clone(),
        unknown.clone(),
    ])
    .await;

    // 400: failed at once, no retry.
    let row = db.wait_status(permanent.id, "failed", MINUTE).await;
    assert_eq!(row.retry_count, 0);
    assert!(
        row.error_message
            .as_deref()
            .unwrap()
            .starts_with("TASK_015: agent refused the task: HTTP 400"),
        "{row:?}"
    );
    assert_eq!(bad_request.calls().len(), 1);

    // Always 503: 1 + max_retries attempts, then TASK_005 with retry_count = max_retries.
    let row = db.wait_status(exhausted.id, "failed", MINUTE).await;
    assert_eq!(row.retry_count, 3);
    assert!(
        row.error_message
            .as_deref()
            .unwrap()
            .starts_with("TASK_005"),
        "{row:?}"
    );
    assert_eq!(
        unavailable
            .calls()
            .iter()
            .map(|c| c.attempt)
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );

    // 429 with Retry-After: 1 waits at least a second although the backoff is 40 ms.
    db.wait_status(limited.id, "completed", MINUTE).await;
    let calls = slow_down.calls();
    assert!(
        calls[1].at - calls[0].at >= Duration::from_secs(1),
        "{:?}",
        calls[1].at - calls[0].at
    );

    // Timeout: TASK_008, a transient failure (here with no retries left).
    let row = db.wait_status(timeout.id, "failed", MINUTE).await;
    let error = row.error_message.unwrap();
    assert!(
        error.starts_with("TASK_005") && error.contains("TASK_008"),
        "{error}"
    );

    // Unknown agent: TASK_004, still queued, pushed out, no retry consumed.
    let row = db.task(unknown.id).await;
    assert_eq!(row.status, "queued");
    assert_eq!(row.retry_count, 0);
    assert!(
        row.error_message
            .as_deref()
            .unwrap()
            .starts_with("TASK_004"),
        "{row:?}"
    );
    assert!(row.next_run_at > chrono::Utc::now() + chrono::TimeDelta::seconds(10));
    assert!(
        db.audit_actions(unknown.id)
            .await
            .contains(&"task.deferred".to_string())
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn sigterm_lets_running_tasks_finish_then_exits_zero(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::After(
        Duration::from_millis(800),
        Box::new(Reply::Ok(json!({}))),
    ))
    .await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let mut w = WorkerProc::start(&db, &[]).await;
    let id = db.insert(&[new_task(ws, "content-generator")]).await[0];
    agent.wait_called(id, MINUTE).await;
    w.sigterm();
    let status = w.wait_exit(MINUTE).await;
    assert!(status.success(), "{status}");
    assert_eq!(db.task(id).await.status, "completed");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn sigterm_releases_what_outlives_the_grace_period(pool: PgPool) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Hang).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let mut w = WorkerProc::start(&db, &[("TASKFLEET_SHUTDOWN_GRACE_SECS", "1")]).await;
    let id = db.insert(&[new_task(ws, "content-generator")]).await[0];
    agent.wait_called(id, MINUTE).await;
    w.sigterm();
    let status = w.wait_exit(MINUTE).await;
    assert!(status.success(), "{status}");
    let row = db.task(id).await;
    assert_eq!((row.status.as_str(), row.retry_count), ("queued", 0));
    assert_eq!(row.locked_by, None);
    assert_eq!(db.audit_actions(id).await.last().unwrap(), "task.released");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn an_agent_redirect_is_a_permanent_failure_and_is_not_followed(pool: PgPool) {
    let db = TestDb::new(pool);
    let elsewhere = TestAgent::always(Reply::Ok(json!({"took": "the body"}))).await;
    let redirects = TestAgent::always(Reply::Redirect(elsewhere.url.clone())).await;
    db.register_agent("redirects", &redirects.url).await;
    let ws = db.workspace().await;
    let _w = WorkerProc::start(&db, &[]).await;
    let task = new_task(ws, "redirects");
    db.insert(std::slice::from_ref(&task)).await;

    let row = db.wait_status(task.id, "failed", MINUTE).await;
    assert_eq!(row.retry_count, 0, "a 3xx is permanent: {row:?}");
    assert!(
        row.error_message
            .as_deref()
            .unwrap()
            .starts_with("TASK_015: agent refused the task: HTTP 307"),
        "{row:?}"
    );
    assert_eq!(redirects.calls().len(), 1);
    assert!(
        elsewhere.calls().is_empty(),
        "the task body went to the redirect target"
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn an_unreachable_agent_is_named_and_its_url_never_shown(pool: PgPool) {
    let db = TestDb::new(pool);
    // A port nobody listens on, and a URL carrying a credential.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook?apikey=s3cr3t-token");
    db.register_agent("gone", &url).await;
    let ws = db.workspace().await;
    let _w = WorkerProc::start(&db, &[]).await;
    let mut task = new_task(ws, "gone");
    task.max_retries = 0;
    db.insert(std::slice::from_ref(&task)).await;

    let row = db.wait_status(task.id, "failed", MINUTE).await;
    let message = row.error_message.clone().unwrap();
    assert!(message.contains("gone"), "names the agent: {message}");
    assert!(
        !message.contains("s3cr3t") && !message.contains("127.0.0.1") && !message.contains("/hook"),
        "leaks the URL: {message}"
    );
    let leaks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_logs WHERE details::text LIKE '%s3cr3t%' \
            OR details::text LIKE '%/hook%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(leaks, 0, "the audit trail shows the URL");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn metric_labels_name_only_registered_agents(pool: PgPool) {
    // A tenant may put any agent name on a task: names it invents must not become series on the
    // worker's unauthenticated /metrics (issue 20, finding 4).
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Ok(json!({"ok": true}))).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let invented = "made-up-agent-of-a-tenant";
    let known = new_task(ws, "content-generator");
    let unknown = new_task(ws, invented);
    db.insert(&[known.clone(), unknown.clone()]).await;
    let w = WorkerProc::start(&db, &[("TASKFLEET_AGENT_RETRY_SECS", "60")]).await;
    db.wait_status(known.id, "completed", MINUTE).await;
    common::wait_until("the unknown agent's task is deferred", MINUTE, async || {
        db.audit_actions(unknown.id)
            .await
            .contains(&"task.deferred".to_owned())
    })
    .await;
    let text = reqwest::get(format!("http://{}/metrics", w.metrics))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("agent=\"content-generator\""), "{text}");
    assert!(text.contains("agent=\"unregistered\""), "{text}");
    assert!(!text.contains(invented), "{text}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn tasks_held_behind_a_slow_one_are_released_for_another_worker(pool: PgPool) {
    // A worker of one slot that has seen only fast attempts claims ahead (prefetch). When a slow
    // call then holds its slot, what it claimed ahead must not wait for it: past the hold limit
    // (250 ms) those tasks go back to queued (`task.released`, agent not called) and another
    // worker runs them while the slow call is still going.
    let db = TestDb::new(pool);
    let agent = TestAgent::start(|call, _| {
        if call.body["input"]["slow"] == true {
            Reply::After(Duration::from_secs(6), Box::new(Reply::Ok(json!({}))))
        } else {
            Reply::Ok(json!({}))
        }
    })
    .await;
    db.register_agent("mixed", &agent.url).await;
    let ws = db.workspace().await;
    let a = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "1")]).await;
    let warm: Vec<_> = (0..40).map(|_| new_task(ws, "mixed")).collect();
    db.insert(&warm).await;
    db.wait_count(
        "SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'",
        40,
        MINUTE,
    )
    .await;

    let mut slow = new_task(ws, "mixed");
    slow.priority = 10;
    slow.input_data = json!({"slow": true});
    let fast: Vec<_> = (0..10).map(|_| new_task(ws, "mixed")).collect();
    let mut batch = vec![slow.clone()];
    batch.extend(fast.iter().cloned());
    db.insert(&batch).await;
    agent.wait_called(slow.id, MINUTE).await;
    let _b = WorkerProc::start(&db, &[("TASKFLEET_CONCURRENCY", "4")]).await;

    let slow_row = db.wait_status(slow.id, "completed", MINUTE).await;
    let mut released = 0;
    for t in &fast {
        let row = db.wait_status(t.id, "completed", MINUTE).await;
        assert!(
            row.completed_at < slow_row.completed_at,
            "a fast task waited for the slow call: {row:?} vs {slow_row:?}"
        );
        assert_eq!(
            agent.calls_for(t.id).len(),
            1,
            "released unstarted, run once"
        );
        released += db
            .audit_actions(t.id)
            .await
            .iter()
            .filter(|a| *a == "task.released")
            .count();
    }
    assert!(released > 0, "nothing was released; {}", a.log());
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT details->>'reason' FROM audit_logs WHERE action = 'task.released'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(reasons, ["waited too long for a free slot"]);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_result_fenced_out_by_a_lost_lease_is_neither_counted_nor_logged_as_executed(
    pool: PgPool,
) {
    // While the agent works, the attempt loses its lease (as if reclaimed and claimed again
    // elsewhere: a new attempt token). Its late success matches nothing; the worker must not
    // report an execution that was not recorded.
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::After(
        Duration::from_millis(800),
        Box::new(Reply::Ok(json!({"late": true}))),
    ))
    .await;
    db.register_agent("slowish", &agent.url).await;
    let ws = db.workspace().await;
    let w = WorkerProc::start(&db, &[]).await;
    let task = new_task(ws, "slowish");
    db.insert(std::slice::from_ref(&task)).await;
    agent.wait_called(task.id, MINUTE).await;
    let stolen = sqlx::query("UPDATE task_queue SET attempt_token = $2 WHERE id = $1")
        .bind(task.id)
        .bind(Uuid::new_v4()) // from here: Citus refuses volatile functions in an UPDATE
        .execute(&db.pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(stolen, 1);
    common::wait_until("the worker gives up the late outcome", MINUTE, async || {
        w.log().contains("outcome not recorded")
    })
    .await;
    let row = db.task(task.id).await;
    assert_eq!(
        row.status, "in_progress",
        "the late result changed nothing: {row:?}"
    );
    assert!(!w.log().contains("Task executed"), "{}", w.log());
    assert!(
        !w.metrics_text()
            .await
            .lines()
            .any(|l| l.starts_with("taskfleet_tasks_completed_total")),
        "a fenced-out result was counted"
    );
}
