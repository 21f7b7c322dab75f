//! The fields of every POST body: wrong types, missing and unknown fields answer 400 TASK_010
//! naming the field, and so does text Postgres cannot store; nothing is written.

mod common;

use serde_json::{Value, json};
use sqlx::PgPool;

use common::api::{ApiCtx, Auth, Body, row_counts, with};

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn wrong_types_missing_fields_and_unknown_fields_answer_400_task_010_naming_them(
    pool: PgPool,
) {
    let c = ApiCtx::new(pool).await;
    let strategy = c.api.create_strategy(&c.token, c.strategy_body()).await;
    let task = c.task_body();
    let decompose = json!({"strategy_id": strategy, "workspace_id": c.ws});
    let execute = json!({"workspace_id": c.ws});
    let sb = c.strategy_body();
    // (path, body, the field the message must name: wrong types, unknown and missing fields)
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        // POST /api/tasks
        (
            "/api/tasks",
            with(&task, "priority", Some(json!("5"))),
            Some("priority"),
        ),
        (
            "/api/tasks",
            with(&task, "priority", Some(json!(5.5))),
            Some("priority"),
        ),
        (
            "/api/tasks",
            with(&task, "workspace_id", Some(json!(12))),
            Some("workspace_id"),
        ),
        (
            "/api/tasks",
            with(&task, "workspace_id", Some(json!("nope"))),
            Some("workspace_id"),
        ),
        (
            "/api/tasks",
            with(&task, "depends_on", Some(json!(["nope"]))),
            Some("depends_on"),
        ),
        (
            "/api/tasks",
            with(&task, "depends_on", Some(json!("x"))),
            Some("depends_on"),
        ),
        (
            "/api/tasks",
            with(&task, "task_type", Some(json!(3))),
            Some("task_type"),
        ),
        (
            "/api/tasks",
            with(&task, "max_retries", Some(json!("3"))),
            Some("max_retries"),
        ),
        (
            "/api/tasks",
            with(&task, "workspace_id", None),
            Some("workspace_id"),
        ),
        (
            "/api/tasks",
            with(&task, "task_description", None),
            Some("task_description"),
        ),
        (
            "/api/tasks",
            with(&task, "task_type", None),
            Some("task_type"),
        ),
        (
            "/api/tasks",
            with(&task, "assigned_agent", None),
            Some("assigned_agent"),
        ),
        (
            "/api/tasks",
            with(&task, "colour", Some(json!("red"))),
            Some("colour"),
        ),
        (
            "/api/tasks",
            with(&task, "status", Some(json!("completed"))),
            Some("status"),
        ),
        // POST /api/strategies
        (
            "/api/strategies",
            with(&sb, "workspace_id", Some(json!(12))),
            Some("workspace_id"),
        ),
        ("/api/strategies", with(&sb, "name", None), Some("name")),
        (
            "/api/strategies",
            with(&sb, "campaign_calendar", None),
            Some("campaign_calendar"),
        ),
        (
            "/api/strategies",
            with(&sb, "campaign_calendar", Some(json!({"phases": "x"}))),
            Some("phases"),
        ),
        (
            "/api/strategies",
            with(
                &sb,
                "content_pillars",
                Some(json!([{"name": "A", "percentage_allocation": "ten"}])),
            ),
            Some("percentage_allocation"),
        ),
        (
            "/api/strategies",
            with(&sb, "kpis", Some(json!({}))),
            Some("kpis"),
        ),
        (
            "/api/strategies",
            with(&sb, "budget", Some(json!(1000))),
            Some("budget"),
        ),
        (
            "/api/strategies",
            with(
                &sb,
                "campaign_calendar",
                Some(
                    json!({"phases": [{"phase_name": "P", "key_activities": ["a"], "owner": "x"}]}),
                ),
            ),
            Some("owner"),
        ),
        // POST /api/tasks/decompose
        (
            "/api/tasks/decompose",
            with(&decompose, "strategy_id", Some(json!("nope"))),
            Some("strategy_id"),
        ),
        (
            "/api/tasks/decompose",
            with(&decompose, "strategy_id", None),
            Some("strategy_id"),
        ),
        (
            "/api/tasks/decompose",
            with(&decompose, "auto_execute", Some(json!("yes"))),
            Some("auto_execute"),
        ),
        (
            "/api/tasks/decompose",
            with(&decompose, "dry_run", Some(json!(true))),
            Some("dry_run"),
        ),
        // POST /api/tasks/execute
        (
            "/api/tasks/execute",
            with(&execute, "workspace_id", None),
            Some("workspace_id"),
        ),
        (
            "/api/tasks/execute",
            with(&execute, "max_concurrent", Some(json!("2"))),
            Some("max_concurrent"),
        ),
        (
            "/api/tasks/execute",
            with(&execute, "max_concurrent", Some(json!(0))),
            Some("max_concurrent"),
        ),
        (
            "/api/tasks/execute",
            with(&execute, "filter", Some(json!({"priority_min": 0}))),
            Some("priority_min"),
        ),
        (
            "/api/tasks/execute",
            with(&execute, "filter", Some(json!({"priority_minimum": 5}))),
            Some("priority_minimum"),
        ),
        (
            "/api/tasks/execute",
            with(&execute, "parallel", Some(json!(true))),
            Some("parallel"),
        ),
    ];
    for (path, body, word) in cases {
        let msg = c
            .reject("POST", path, Some(Body::from(&body)), 400, "TASK_010")
            .await;
        if let Some(word) = word {
            assert!(
                msg.contains(word),
                "{path} {body}: message {msg:?} should name {word:?}"
            );
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn text_postgres_cannot_store_answers_400_task_010_not_500(pool: PgPool) {
    // JSON allows "\u0000"; Postgres text and jsonb do not. That is the client's bad input.
    let c = ApiCtx::new(pool).await;
    let task = c.task_body();
    let strategy = c.strategy_body();
    let mut wrong = Vec::new();
    for (path, field, body) in [
        (
            "/api/tasks",
            "task_description",
            with(&task, "task_description", Some(json!("Write\u{0}post"))),
        ),
        (
            "/api/tasks",
            "input_data",
            with(&task, "input_data", Some(json!({"note": "a\u{0}b"}))),
        ),
        (
            "/api/strategies",
            "name",
            with(&strategy, "name", Some(json!("Spring\u{0}"))),
        ),
        (
            "/api/strategies",
            "kpis[0].target",
            with(
                &strategy,
                "kpis",
                Some(json!([{"metric_name": "Signups", "target": "\u{0}"}])),
            ),
        ),
    ] {
        let before = row_counts(&c.db).await;
        let (status, resp) = c
            .api
            .send(
                "POST",
                path,
                Auth::Bearer(&c.token),
                Some(Body::from(&body)),
            )
            .await;
        assert_eq!(row_counts(&c.db).await, before, "{path} {field}");
        if status != 400 || resp["error"]["code"] != "TASK_010" {
            wrong.push(format!("{path} with NUL in {field}: {status} {resp}"));
        }
    }
    assert!(wrong.is_empty(), "want 400 TASK_010:\n{}", wrong.join("\n"));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn numbers_at_the_edge_of_f64_come_back_from_postgres_unchanged(pool: PgPool) {
    // Found by schemathesis: Postgres prints a jsonb number as its exact decimal (-1.79e308 as
    // 309 digits), which serde_json's default parser read back as out of range: the task was
    // stored, then every read of it answered 500.
    let c = ApiCtx::new(pool).await;
    let input = json!({"min": f64::MIN, "max": f64::MAX, "tiny": 5e-324, "third": 1.0 / 3.0,
                       "big": 1e300, "nested": [[-1.7976931348623157e308]]});
    let task = with(&c.task_body(), "input_data", Some(input.clone()));
    let (status, created) = c.api.post("/api/tasks", &c.token, task).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["task"]["input_data"], input);
    let id = created["task"]["id"].as_str().unwrap();
    let (status, read) = c.api.get(&format!("/api/tasks/{id}"), &c.token).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["task"]["input_data"], input);
}
