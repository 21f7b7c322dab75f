//! Enqueueing from SQL (`taskfleet_add_task`, `taskfleet_add_tasks`, migration 0010): inside the
//! caller's transaction, with the API's rules, dependency counting, audit and NOTIFY.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::TestDb;
use common::agent::{Reply, TestAgent};
use common::procs::WorkerProc;

const MINUTE: Duration = Duration::from_secs(60);

const ADD: &str = "SELECT taskfleet_add_task($1, $2, $3, $4, depends_on => $5)";

async fn add(db: &mut sqlx::PgConnection, ws: Uuid, agent: &str, deps: &[Uuid]) -> Uuid {
    sqlx::query_scalar(ADD)
        .bind(ws)
        .bind("Write the launch post")
        .bind("content")
        .bind(agent)
        .bind(deps)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Rows of any kind that mention the task: its row, its queue entry, its audit rows.
async fn traces(db: &TestDb, id: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM autonomous_tasks WHERE id = $1) \
              + (SELECT count(*) FROM task_queue WHERE id = $1) \
              + (SELECT count(*) FROM audit_logs WHERE resource_id = $1)",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_task_added_in_a_rolled_back_transaction_never_runs_and_a_committed_one_does(
    pool: PgPool,
) {
    let db = TestDb::new(pool);
    let agent = TestAgent::always(Reply::Ok(json!({"ok": true}))).await;
    db.register_agent("content-generator", &agent.url).await;
    let ws = db.workspace().await;
    let _worker = WorkerProc::start(&db, &[]).await;

    let mut tx = db.pool.begin().await.unwrap();
    let rolled_back = add(&mut tx, ws, "content-generator", &[]).await;
    tx.rollback().await.unwrap();

    // A task and one that depends on it, in one application transaction.
    let mut tx = db.pool.begin().await.unwrap();
    let first = add(&mut tx, ws, "content-generator", &[]).await;
    let second = add(&mut tx, ws, "content-generator", &[first]).await;
    tx.commit().await.unwrap();

    db.wait_status(first, "completed", MINUTE).await;
    db.wait_status(second, "completed", MINUTE).await;
    let called: HashSet<Uuid> = agent.calls().iter().map(|c| c.task_id).collect();
    assert_eq!(called, HashSet::from([first, second]));
    assert_eq!(traces(&db, rolled_back).await, 0);
    assert_eq!(db.audit_actions(first).await[0], "task.created");
    let actor: String = sqlx::query_scalar(
        "SELECT agent FROM audit_logs WHERE resource_id = $1 AND action = 'task.created'",
    )
    .bind(second)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(actor, "sql:postgres");
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_batch_form_counts_dependencies_and_queues_only_ready_tasks(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let upstream = add(&mut conn, ws, "content-generator", &[]).await;
    let batch = json!([
        {"workspace_id": ws, "task_description": "Email the list", "task_type": "email",
         "assigned_agent": "email-agent", "depends_on": [upstream], "priority": 7},
        {"workspace_id": ws, "task_description": "Research competitors", "task_type": "research",
         "assigned_agent": "general-executor", "input_data": {"region": "AU"}},
    ]);
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT * FROM taskfleet_add_tasks($1)")
        .bind(&batch)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let (blocked, ready) = (ids[0], ids[1]);
    assert_eq!(db.task(blocked).await.unmet_deps, 1);
    assert_eq!(db.task(ready).await.unmet_deps, 0);
    let queued: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM task_queue ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut want = vec![upstream, ready];
    want.sort();
    assert_eq!(queued, want);
    db.assert_queue_consistent().await;

    // Completing the upstream unblocks the batch's dependent, as for an API task.
    db.complete_task(upstream).await;
    assert_eq!(db.task(blocked).await.unmet_deps, 0);
    db.assert_queue_consistent().await;
}

/// (SQLSTATE, message) of a failed call.
async fn error_of(db: &TestDb, sql: &str, args: serde_json::Value) -> (String, String) {
    let err = sqlx::query("SELECT * FROM taskfleet_add_tasks($1)")
        .bind(args)
        .execute(&db.pool)
        .await
        .map(|_| ())
        .expect_err(sql);
    let e = err.as_database_error().expect("a database error");
    (
        e.code().unwrap_or_default().to_string(),
        e.message().to_string(),
    )
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn bad_arguments_raise_the_task_code_and_leave_nothing(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let other_ws = db.workspace().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let cancelled = add(&mut conn, ws, "content-generator", &[]).await;
    db.cancel(cancelled).await.unwrap();
    let elsewhere = add(&mut conn, other_ws, "content-generator", &[]).await;
    let before: i64 = db.count("SELECT count(*) FROM autonomous_tasks").await;

    let ok = json!({"workspace_id": ws, "task_description": "Write", "task_type": "content",
                    "assigned_agent": "content-generator"});
    let with = |k: &str, v: serde_json::Value| {
        let mut t = ok.clone();
        t[k] = v;
        t
    };
    let cases = [
        (
            "not an array",
            json!({}),
            "TF010",
            "TASK_010: tasks must be a JSON array",
        ),
        (
            "type",
            json!([with("task_type", json!("poetry"))]),
            "TF007",
            "TASK_007: task_type 'poetry' is not one of content, design",
        ),
        (
            "priority",
            json!([with("priority", json!(11))]),
            "TF010",
            "TASK_010: priority 11 is outside 1..10",
        ),
        (
            "wrong type",
            json!([with("priority", json!("high"))]),
            "TF010",
            "TASK_010: invalid input syntax for type integer",
        ),
        (
            "empty",
            json!([with("task_description", json!("  "))]),
            "TF010",
            "TASK_010: task_description must not be empty",
        ),
        (
            "agent",
            json!([with("assigned_agent", json!("Content Generator"))]),
            "TF010",
            "TASK_010: assigned_agent must be an agent name",
        ),
        (
            "input",
            json!([with("input_data", json!([1]))]),
            "TF010",
            "TASK_010: input_data must be a JSON object",
        ),
        (
            "field",
            json!([ok.clone(), with("colour", json!("red"))]),
            "TF010",
            "TASK_010: unknown field(s) colour; the fields are workspace_id",
        ),
        (
            "workspace",
            json!([with("workspace_id", json!(Uuid::new_v4()))]),
            "TF013",
            "TASK_013: workspace",
        ),
        (
            "unknown dependency",
            json!([with("depends_on", json!([elsewhere]))]),
            "TF011",
            "TASK_011: depends_on names tasks not found in this workspace",
        ),
        (
            "dead dependency",
            json!([ok.clone(), with("depends_on", json!([cancelled]))]),
            "TF006",
            "TASK_006: dependency",
        ),
    ];
    for (what, args, code, message) in cases {
        let (got_code, got_message) = error_of(&db, what, args).await;
        assert_eq!(got_code, code, "{what}: {got_message}");
        assert!(got_message.starts_with(message), "{what}: {got_message}");
    }
    // A batch fails as a whole: the valid first task of a refused batch was not kept.
    assert_eq!(
        db.count("SELECT count(*) FROM autonomous_tasks").await,
        before
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn row_level_security_limits_an_application_role_to_its_scope(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let other_ws = db.workspace().await;
    // An application role granted taskfleet_api, scoped as the API scopes its transactions.
    let mut tx = db.pool.begin().await.unwrap();
    let scope = taskfleet::api::tenancy::scope_statements(&[ws]);
    sqlx::raw_sql(sqlx::AssertSqlSafe(scope))
        .execute(&mut *tx)
        .await
        .unwrap();
    let id = add(&mut tx, ws, "content-generator", &[]).await;
    // Locking a dependency FOR SHARE needs only the role's grants.
    let dependent = add(&mut tx, ws, "content-generator", &[id]).await;
    let err = sqlx::query(ADD)
        .bind(other_ws)
        .bind("Not mine")
        .bind("content")
        .bind("content-generator")
        .bind(Vec::<Uuid>::new())
        .execute(&mut *tx)
        .await
        .unwrap_err();
    let e = err.as_database_error().unwrap();
    assert_eq!(e.code().as_deref(), Some("TF013"), "{}", e.message());
    tx.rollback().await.unwrap();
    assert_eq!(traces(&db, dependent).await, 0);

    // PUBLIC may not call it at all.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE pg_monitor")
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = add_err(&mut tx, ws).await;
    assert_eq!(err.as_deref(), Some("42501"), "permission denied");
    tx.rollback().await.unwrap();
    assert_eq!(traces(&db, id).await, 0);
}

async fn add_err(db: &mut sqlx::PgConnection, ws: Uuid) -> Option<String> {
    let err = sqlx::query(ADD)
        .bind(ws)
        .bind("x")
        .bind("content")
        .bind("a")
        .bind(Vec::<Uuid>::new())
        .execute(db)
        .await
        .unwrap_err();
    err.as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.to_string())
}

/// The task row, its task_queue row and its audit row, less what differs between any two tasks
/// (ids, times, the actor).
async fn written(
    db: &TestDb,
    id: Uuid,
) -> (serde_json::Value, serde_json::Value, serde_json::Value) {
    sqlx::query_as(
        "SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at' - 'next_run_at', \
                coalesce((SELECT to_jsonb(q) - 'id' - 'created_at' - 'run_at' \
                          FROM task_queue q WHERE q.id = t.id), 'null'), \
                (SELECT jsonb_agg(to_jsonb(a) - 'id' - 'resource_id' - 'created_at' - 'agent') \
                 FROM audit_logs a WHERE a.resource_id = t.id) \
         FROM autonomous_tasks t WHERE t.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

/// The SQL function and the API's insert (`queue::insert` with a task.created row, as
/// POST /api/tasks calls it) write the same rows, before and after the dependency completes. A
/// column or a write added to one path and not the other fails here.
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_sql_function_writes_what_the_api_insert_writes(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let upstream = add(&mut conn, ws, "content-generator", &[]).await;

    let mut api_task = common::new_task(ws, "email-agent");
    api_task.task_description = "Send the launch email".into();
    api_task.task_type = "email".into();
    api_task.priority = 8;
    api_task.max_retries = 2;
    api_task.input_data = json!({"list": "customers"});
    api_task.depends_on = vec![upstream];
    taskfleet::queue::insert(
        &mut db.pool.acquire().await.unwrap(),
        "api:alice",
        std::slice::from_ref(&api_task),
        true,
    )
    .await
    .unwrap();
    let sql_task: Uuid = sqlx::query_scalar(
        "SELECT taskfleet_add_task($1, 'Send the launch email', 'email', 'email-agent', \
         priority => 8, depends_on => $2, input_data => '{\"list\": \"customers\"}', \
         max_retries => 2)",
    )
    .bind(ws)
    .bind(vec![upstream])
    .fetch_one(&mut *conn)
    .await
    .unwrap();

    let blocked = written(&db, api_task.id).await;
    assert_eq!(blocked.0["unmet_deps"], 1);
    assert_eq!(written(&db, sql_task).await, blocked);
    db.complete_task(upstream).await;
    let ready = written(&db, api_task.id).await;
    assert_ne!(ready.1, json!(null), "ready: in task_queue");
    assert_eq!(written(&db, sql_task).await, ready);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_deadline_within_48_hours_raises_the_priority_as_the_api_does(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let add_due = |hours: i64| {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT taskfleet_add_task($1, 'Send the launch email', 'email', 'email-agent', \
             priority => 4, deadline => now() + make_interval(hours => $2::int))",
        )
        .bind(ws)
        .bind(hours as i32)
        .fetch_one(&db.pool)
    };
    let soon = add_due(24).await.unwrap();
    let later = add_due(72).await.unwrap();
    let priorities: Vec<(Uuid, i32, Option<i32>)> = sqlx::query_as(
        "SELECT t.id, t.priority, q.priority FROM autonomous_tasks t \
         LEFT JOIN task_queue q USING (id) ORDER BY t.priority DESC",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        priorities,
        vec![(soon, 9, Some(9)), (later, 4, Some(4))],
        "24 h away: urgent band in both tables; 72 h away: as asked"
    );
    let escalations: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT resource_id, details FROM audit_logs WHERE action = 'task.escalated'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].0, soon);
    assert_eq!(escalations[0].1["from_priority"], 4);
    assert_eq!(escalations[0].1["to_priority"], 9);

    let past = add_due(-1).await.expect_err("a past deadline");
    let e = past.as_database_error().unwrap();
    assert_eq!(e.code().as_deref(), Some("TF010"));
    assert!(e.message().contains("deadline"), "{}", e.message());
    db.assert_queue_consistent().await;
}

/// Migration 0015: a task added from SQL can need approval, and a dependency completed but not
/// yet approved counts as unmet, as for the API; approving it (the queue's own decision) then
/// unblocks the SQL-added dependent.
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn approval_gates_hold_for_tasks_added_from_sql(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let gated: Uuid = sqlx::query_scalar(
        "SELECT taskfleet_add_task($1, 'Write the launch post', 'content', 'content-generator', \
         requires_approval => true)",
    )
    .bind(ws)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let state: Option<String> =
        sqlx::query_scalar("SELECT approval_state FROM autonomous_tasks WHERE id = $1")
            .bind(gated)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(state.as_deref(), Some("pending"));
    db.complete_task(gated).await;

    // Added after its dependency completed, the email still waits for the approval.
    let mut conn = db.pool.acquire().await.unwrap();
    let email = add(&mut conn, ws, "email-agent", &[gated]).await;
    assert_eq!(db.task(email).await.unmet_deps, 1);
    db.assert_queue_consistent().await;
    let refused = sqlx::query_scalar::<_, Uuid>("SELECT * FROM taskfleet_add_tasks($1)")
        .bind(
            json!([{"workspace_id": ws, "task_description": "x", "task_type": "content",
                      "assigned_agent": "content-generator", "requires_approval": "maybe"}]),
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("TASK_010"), "{refused}");

    let mut tx = db.pool.begin().await.unwrap();
    taskfleet::queue::decide(
        &mut tx,
        gated,
        taskfleet::queue::Decision::Approve,
        "test",
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.task(email).await.unmet_deps, 0);
    db.assert_queue_consistent().await;
}
