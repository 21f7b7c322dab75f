//! POST /api/tasks and GET /api/tasks/{id}: what a created task looks like, the priority and
//! task-type rules, and dependencies (unknown, another tenant's, dead, already completed).

mod common;

use std::collections::HashSet;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, Body, assert_error, other_workspace, row_counts, token, uuid, with};
use common::new_task;

/// POST /api/tasks with `depends_on: deps`, which must be refused with `status` and `code`
/// writing nothing; returns the message.
async fn reject_deps(c: &ApiCtx, deps: Value, status: u16, code: &str) -> String {
    let body = with(&c.task_body(), "depends_on", Some(deps));
    c.reject("POST", "/api/tasks", Some(Body::from(body)), status, code)
        .await
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn creating_a_task_returns_the_full_row_which_get_returns_too(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let dep1 = c.api.create_task(&c.token, c.ws, json!({})).await;
    let dep2 = c.api.create_task(&c.token, c.ws, json!({})).await;
    let before = row_counts(&c.db).await;
    let body = json!({
        "workspace_id": c.ws,
        "task_description": "Schedule the launch posts",
        "task_type": "social_media",
        "assigned_agent": "calendar-agent",
        "depends_on": [dep1["id"], dep2["id"]],
        "input_data": {"channel": "linkedin"},
    });
    let (status, resp) = c.api.post("/api/tasks", &c.token, body).await;
    assert_eq!(status, 201, "{resp}");
    assert_eq!(resp["success"], true);
    let t = &resp["task"];
    let id: Uuid = t["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(t["workspace_id"], c.ws.to_string());
    assert_eq!(t["task_description"], "Schedule the launch posts");
    assert_eq!(t["task_type"], "social_media");
    assert_eq!(t["assigned_agent"], "calendar-agent");
    assert_eq!(t["status"], "queued");
    assert_eq!(t["priority"], 5, "default priority");
    assert_eq!(t["retry_count"], 0);
    assert_eq!(t["max_retries"], 3, "default max_retries");
    assert_eq!(t["input_data"], json!({"channel": "linkedin"}));
    assert_eq!(t["output_data"], Value::Null);
    assert_eq!(t["error_message"], Value::Null);
    assert_eq!(t["started_at"], Value::Null);
    assert_eq!(t["completed_at"], Value::Null);
    assert_eq!(t["strategy_id"], Value::Null);
    assert!(
        t["created_at"].is_string() && t["updated_at"].is_string(),
        "{t}"
    );
    let deps: HashSet<&str> = t["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let want: HashSet<&str> = [dep1["id"].as_str().unwrap(), dep2["id"].as_str().unwrap()].into();
    assert_eq!(deps, want);
    assert!(
        t.get("attempt_token").is_none(),
        "the fencing token is private: {t}"
    );

    // One task row and its task.created audit row.
    let after = row_counts(&c.db).await;
    assert_eq!(
        (after.0, after.1, after.2),
        (before.0 + 1, before.1, before.2 + 1)
    );
    assert_eq!(c.db.audit_actions(id).await, ["task.created"]);
    assert_eq!(c.db.task(id).await.unmet_deps, 2);

    let (status, got) = c.api.get(&format!("/api/tasks/{id}"), &c.token).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["success"], true);
    assert_eq!(&got["task"], t, "GET returns the row POST returned");

    // Explicit optional fields are stored as given.
    let row = c
        .api
        .create_task(&c.token, c.ws, json!({"priority": 9, "max_retries": 0}))
        .await;
    assert_eq!(
        (row["priority"].clone(), row["max_retries"].clone()),
        (json!(9), json!(0))
    );
    assert_eq!(row["depends_on"], json!([]));
    assert_eq!(row["input_data"], json!({}));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn an_agent_that_is_not_registered_yet_is_accepted(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let row = c
        .api
        .create_task(&c.token, c.ws, json!({"assigned_agent": "future-agent"}))
        .await;
    assert_eq!(row["assigned_agent"], "future-agent");
    assert_eq!(row["status"], "queued");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn priority_outside_1_to_10_answers_400_and_an_unknown_task_type_422_task_007(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let task = c.task_body();
    // (field, refused values, status, code); the message names the field.
    let cases = [
        ("priority", json!([0, 11, -1, 100]), 400, "TASK_010"),
        (
            "task_type",
            json!(["juggling", "Content", "", "scheduling "]),
            422,
            "TASK_007",
        ),
    ];
    for (field, values, status, code) in cases {
        for v in values.as_array().unwrap() {
            let body = with(&task, field, Some(v.clone()));
            let msg = c
                .reject("POST", "/api/tasks", Some(Body::from(body)), status, code)
                .await;
            assert!(msg.contains(field), "{msg:?}");
        }
    }
    c.reject(
        "POST",
        "/api/tasks/execute",
        Some(Body::from(
            json!({"workspace_id": c.ws, "filter": {"task_type": "juggling"}}),
        )),
        422,
        "TASK_007",
    )
    .await;
    // The boundaries themselves are accepted.
    for p in [1, 10] {
        let row = c
            .api
            .create_task(&c.token, c.ws, json!({"priority": p}))
            .await;
        assert_eq!(row["priority"], p);
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn dependencies_on_unknown_or_other_workspace_tasks_answer_422_task_011(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let other = other_workspace(&c.db).await;
    let theirs = c.db.insert(&[new_task(other, "content-generator")]).await[0];
    let mine = c.api.create_task(&c.token, c.ws, json!({})).await;
    let mine_id = mine["id"].as_str().unwrap().to_owned();
    let unknown = Uuid::new_v4();
    let task = c.task_body();

    let msg_unknown = reject_deps(&c, json!([mine_id, unknown]), 422, "TASK_011").await;
    assert!(
        msg_unknown.contains(&unknown.to_string()),
        "{msg_unknown:?}"
    );

    let msg_theirs = reject_deps(&c, json!([theirs]), 422, "TASK_011").await;
    // Another tenant's task is reported exactly like a missing one.
    let msg_missing = reject_deps(&c, json!([unknown]), 422, "TASK_011").await;
    assert_eq!(
        msg_theirs.replace(&theirs.to_string(), "<id>"),
        msg_missing.replace(&unknown.to_string(), "<id>")
    );

    // A member of both workspaces still cannot link tasks across them.
    let both = token("carol", &[c.ws, other]);
    let before = row_counts(&c.db).await;
    let got = c
        .api
        .post(
            "/api/tasks",
            &both,
            with(&task, "depends_on", Some(json!([theirs]))),
        )
        .await;
    assert_error(&got, 422, "TASK_011");
    assert_eq!(row_counts(&c.db).await, before);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn depending_on_a_failed_or_cancelled_task_answers_409_task_006(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    // Created first, so the oldest ready content task: the one `fail_task` claims.
    let failed = c.api.create_task(&c.token, c.ws, json!({})).await;
    let cancelled = c.api.create_task(&c.token, c.ws, json!({})).await;
    let ok = c.api.create_task(&c.token, c.ws, json!({})).await;
    c.db.fail_task(uuid(&failed["id"])).await;
    c.db.cancel(uuid(&cancelled["id"])).await.unwrap();
    for dep in [&failed, &cancelled] {
        let msg = reject_deps(&c, json!([ok["id"], dep["id"]]), 409, "TASK_006").await;
        assert!(msg.contains(dep["id"].as_str().unwrap()), "{msg:?}");
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_task_whose_dependencies_are_already_completed_is_ready_at_once(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let upstream = c.api.create_task(&c.token, c.ws, json!({})).await;
    let up_id = uuid(&upstream["id"]);
    c.db.complete_task(up_id).await;
    let downstream = c
        .api
        .create_task(&c.token, c.ws, json!({"depends_on": [up_id]}))
        .await;
    let down_id = uuid(&downstream["id"]);
    assert_eq!(c.db.task(down_id).await.unmet_deps, 0);
    let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&c.db.pool)
        .await
        .unwrap();
    assert_eq!(ready, [down_id]);
    let page = c.status_page(&format!("&task_id={down_id}")).await;
    assert_eq!(page["tasks"][0]["dependencies_met"], true, "{page}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn agent_names_are_bounded_and_follow_the_rule(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let task = c.task_body();
    for bad in [
        "x".repeat(65),
        "under_score".into(),
        "-leading".into(),
        "Upper".into(),
        "a b".into(),
    ] {
        let msg = c
            .reject(
                "POST",
                "/api/tasks",
                Some(Body::from(with(&task, "assigned_agent", Some(json!(bad))))),
                422,
                "TASK_010",
            )
            .await;
        assert!(msg.contains("64"), "{bad:?}: {msg}");
    }
    let longest = "x".repeat(64);
    let row = c
        .api
        .create_task(&c.token, c.ws, json!({"assigned_agent": longest}))
        .await;
    assert_eq!(row["assigned_agent"], json!(longest));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_body_with_a_duplicate_key_is_refused(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let other = other_workspace(&c.db).await;
    // serde_json alone would keep the second workspace_id.
    let body = format!(
        r#"{{"workspace_id": "{}", "task_description": "Write", "task_type": "content",
            "assigned_agent": "content-generator", "workspace_id": "{other}"}}"#,
        c.ws
    );
    let msg = c
        .reject(
            "POST",
            "/api/tasks",
            Some(Body::Text(body)),
            400,
            "TASK_010",
        )
        .await;
    assert!(msg.contains("duplicate key `workspace_id`"), "{msg}");
}
