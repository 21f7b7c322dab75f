//! Bad input on every route answers the contract's envelope with the right code and status, and
//! writes nothing; good input creates, reads, filters and pages tasks.

mod common;

use std::collections::HashSet;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, Auth, Body, assert_error, other_workspace, row_counts, token};
use common::new_task;

type Ctx = ApiCtx;

async fn ctx(pool: PgPool) -> Ctx {
    ApiCtx::new(pool).await
}

impl Ctx {
    /// Sends with a valid token, asserts the error envelope, and that no row was written.
    async fn reject(
        &self,
        method: &str,
        path: &str,
        body: Option<Body>,
        status: u16,
        code: &str,
    ) -> String {
        let before = row_counts(&self.db).await;
        let got = self
            .api
            .send(method, path, Auth::Bearer(&self.token), body)
            .await;
        let message = assert_error(&got, status, code);
        assert_eq!(
            row_counts(&self.db).await,
            before,
            "{method} {path} was rejected but wrote rows"
        );
        message
    }

    fn task_body(&self) -> Value {
        json!({
            "workspace_id": self.ws,
            "task_description": "Write a blog post",
            "task_type": "content",
            "assigned_agent": "content-generator",
        })
    }

    fn strategy_body(&self) -> Value {
        json!({
            "workspace_id": self.ws,
            "name": "Spring",
            "campaign_calendar": {"phases": [{"phase_name": "P1", "key_activities": ["Blog"]}]},
            "content_pillars": [],
            "kpis": [],
        })
    }
}

/// `base` with `key` set to `value` (or removed when `value` is None).
fn with(base: &Value, key: &str, value: Option<Value>) -> Value {
    let mut v = base.clone();
    let obj = v.as_object_mut().unwrap();
    match value {
        Some(x) => {
            obj.insert(key.to_owned(), x);
        }
        None => {
            obj.remove(key);
        }
    }
    v
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn bodies_that_are_not_one_json_object_answer_400_task_010_on_every_post_route(pool: PgPool) {
    let c = ctx(pool).await;
    let strategy = c.api.create_strategy(&c.token, c.strategy_body()).await;
    for path in [
        "/api/strategies",
        "/api/tasks/decompose",
        "/api/tasks",
        "/api/tasks/execute",
    ] {
        for raw in [
            r#"{"workspace_id": "#,
            "{not json}",
            "",
            "[]",
            r#"[{"workspace_id": "00000000-0000-0000-0000-000000000000"}]"#,
            r#""a string""#,
            "42",
            "null",
            "true",
        ] {
            let msg = c
                .reject("POST", path, Some(Body::from(raw)), 400, "TASK_010")
                .await;
            assert!(!msg.is_empty(), "{path} {raw:?}");
        }
        // Trailing garbage after a valid object.
        let mut raw = match path {
            "/api/strategies" => c.strategy_body(),
            "/api/tasks/decompose" => json!({"strategy_id": strategy, "workspace_id": c.ws}),
            "/api/tasks" => c.task_body(),
            _ => json!({"workspace_id": c.ws}),
        }
        .to_string();
        raw.push_str(" {}");
        c.reject("POST", path, Some(Body::from(raw)), 400, "TASK_010")
            .await;
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn wrong_types_missing_fields_and_unknown_fields_answer_400_task_010_naming_them(
    pool: PgPool,
) {
    let c = ctx(pool).await;
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
async fn ids_that_are_not_uuids_answer_400_task_010_in_path_and_query(pool: PgPool) {
    let c = ctx(pool).await;
    let ws = c.ws;
    for path in [
        "/api/tasks/not-a-uuid".to_owned(),
        "/api/tasks/123".to_owned(),
        "/api/tasks/status?workspace_id=nope".to_owned(),
        "/api/tasks/status".to_owned(),
        format!("/api/tasks/status?workspace_id={ws}&task_id=nope"),
        format!("/api/tasks/status?workspace_id={ws}&cursor=nope"),
        "/api/metrics/orchestrator?workspace_id=nope".to_owned(),
        "/api/metrics/orchestrator".to_owned(),
    ] {
        c.reject("GET", &path, None, 400, "TASK_010").await;
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_rejects_unknown_query_parameters_and_bad_values(pool: PgPool) {
    let c = ctx(pool).await;
    let ws = c.ws;
    for (query, word) in [
        (format!("workspace_id={ws}&colour=red"), "colour"),
        (format!("workspace_id={ws}&status=done"), "done"),
        (format!("workspace_id={ws}&limit=0"), "limit"),
        (format!("workspace_id={ws}&limit=1001"), "limit"),
        (format!("workspace_id={ws}&limit=two"), "limit"),
    ] {
        let msg = c
            .reject(
                "GET",
                &format!("/api/tasks/status?{query}"),
                None,
                400,
                "TASK_010",
            )
            .await;
        assert!(msg.contains(word), "{query}: {msg:?}");
    }
    let msg = c
        .reject(
            "GET",
            &format!("/api/metrics/orchestrator?workspace_id={ws}&since=today"),
            None,
            400,
            "TASK_010",
        )
        .await;
    assert!(msg.contains("since"), "{msg:?}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn priority_outside_1_to_10_answers_400_and_an_unknown_task_type_422_task_007(pool: PgPool) {
    let c = ctx(pool).await;
    let task = c.task_body();
    for p in [0, 11, -1, 100] {
        let msg = c
            .reject(
                "POST",
                "/api/tasks",
                Some(Body::from(with(&task, "priority", Some(json!(p))))),
                400,
                "TASK_010",
            )
            .await;
        assert!(msg.contains("priority"), "{msg:?}");
    }
    for t in ["juggling", "Content", "", "scheduling "] {
        let msg = c
            .reject(
                "POST",
                "/api/tasks",
                Some(Body::from(with(&task, "task_type", Some(json!(t))))),
                422,
                "TASK_007",
            )
            .await;
        assert!(msg.contains("task_type"), "{msg:?}");
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
async fn a_body_over_one_mebibyte_answers_413_task_010(pool: PgPool) {
    let c = ctx(pool).await;
    let huge = "x".repeat(1024 * 1024 + 1);
    let body = with(&c.task_body(), "task_description", Some(json!(huge)));
    let msg = c
        .reject(
            "POST",
            "/api/tasks",
            Some(Body::from(&body)),
            413,
            "TASK_010",
        )
        .await;
    assert!(!msg.is_empty());
    let body = with(&c.strategy_body(), "name", Some(json!(huge)));
    c.reject(
        "POST",
        "/api/strategies",
        Some(Body::from(&body)),
        413,
        "TASK_010",
    )
    .await;
    // Just under the limit is read (and accepted).
    let fits = "y".repeat(1024 * 1024 - 1024);
    let row = c
        .api
        .create_task(&c.token, c.ws, json!({"task_description": fits}))
        .await;
    assert_eq!(row["task_description"].as_str().unwrap().len(), fits.len());
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn dependencies_on_unknown_or_other_workspace_tasks_answer_422_task_011(pool: PgPool) {
    let c = ctx(pool).await;
    let other = other_workspace(&c.db).await;
    let theirs = c.db.insert(&[new_task(other, "content-generator")]).await[0];
    let mine = c.api.create_task(&c.token, c.ws, json!({})).await;
    let mine_id = mine["id"].as_str().unwrap().to_owned();
    let unknown = Uuid::new_v4();
    let task = c.task_body();

    let msg_unknown = c
        .reject(
            "POST",
            "/api/tasks",
            Some(Body::from(with(
                &task,
                "depends_on",
                Some(json!([mine_id, unknown])),
            ))),
            422,
            "TASK_011",
        )
        .await;
    assert!(
        msg_unknown.contains(&unknown.to_string()),
        "{msg_unknown:?}"
    );

    let msg_theirs = c
        .reject(
            "POST",
            "/api/tasks",
            Some(Body::from(with(&task, "depends_on", Some(json!([theirs]))))),
            422,
            "TASK_011",
        )
        .await;
    // Another tenant's task is reported exactly like a missing one.
    let msg_missing = c
        .reject(
            "POST",
            "/api/tasks",
            Some(Body::from(with(
                &task,
                "depends_on",
                Some(json!([unknown])),
            ))),
            422,
            "TASK_011",
        )
        .await;
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
    let c = ctx(pool).await;
    let failed = c.api.create_task(&c.token, c.ws, json!({})).await;
    let cancelled = c.api.create_task(&c.token, c.ws, json!({})).await;
    let ok = c.api.create_task(&c.token, c.ws, json!({})).await;
    for (row, status) in [(&failed, "failed"), (&cancelled, "cancelled")] {
        sqlx::query("UPDATE autonomous_tasks SET status = $2, error_message = 'x' WHERE id = $1")
            .bind(row["id"].as_str().unwrap().parse::<Uuid>().unwrap())
            .bind(status)
            .execute(&c.db.pool)
            .await
            .unwrap();
    }
    for dep in [&failed, &cancelled] {
        let body = with(
            &c.task_body(),
            "depends_on",
            Some(json!([ok["id"], dep["id"]])),
        );
        let msg = c
            .reject(
                "POST",
                "/api/tasks",
                Some(Body::from(body)),
                409,
                "TASK_006",
            )
            .await;
        assert!(msg.contains(dep["id"].as_str().unwrap()), "{msg:?}");
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn unknown_routes_and_wrong_methods_answer_the_envelope(pool: PgPool) {
    let c = ctx(pool).await;
    let task = c.api.create_task(&c.token, c.ws, json!({})).await;
    let id = task["id"].as_str().unwrap();
    for (method, path, status) in [
        ("GET", "/api/nope".to_owned(), 404),
        ("GET", "/".to_owned(), 404),
        ("POST", "/api/tasks/decompose/extra".to_owned(), 404),
        ("GET", "/api/tasks".to_owned(), 405),
        ("DELETE", format!("/api/tasks/{id}"), 405),
        ("PUT", "/api/strategies".to_owned(), 405),
        ("GET", "/api/tasks/execute".to_owned(), 405),
        ("POST", "/api/tasks/status".to_owned(), 405),
        ("POST", "/healthz".to_owned(), 405),
        ("OPTIONS", "/api/tasks".to_owned(), 405),
    ] {
        for auth in [Auth::Bearer(&c.token), Auth::None] {
            let before = row_counts(&c.db).await;
            let (got_status, body) = c.api.send(method, &path, auth, None).await;
            // With no token the route may answer 401 first; never plain text or a framework body.
            if matches!(auth, Auth::None) && got_status == 401 {
                assert_error(&(got_status, body), 401, "TASK_012");
                continue;
            }
            assert_eq!(got_status, status, "{method} {path}: {body}");
            assert_eq!(body["success"], false, "{method} {path}: {body}");
            let code = body["error"]["code"].as_str().unwrap_or_default();
            assert!(
                code.len() == 8 && code.starts_with("TASK_"),
                "{method} {path}: {body}"
            );
            assert!(body["error"]["message"].is_string(), "{body}");
            assert_eq!(row_counts(&c.db).await, before);
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn creating_a_task_returns_the_full_row_which_get_returns_too(pool: PgPool) {
    let c = ctx(pool).await;
    let dep1 = c.api.create_task(&c.token, c.ws, json!({})).await;
    let dep2 = c.api.create_task(&c.token, c.ws, json!({})).await;
    let before = row_counts(&c.db).await;
    let body = json!({
        "workspace_id": c.ws,
        "task_description": "Schedule the launch posts",
        "task_type": "scheduling",
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
    assert_eq!(t["task_type"], "scheduling");
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
    let c = ctx(pool).await;
    let row = c
        .api
        .create_task(&c.token, c.ws, json!({"assigned_agent": "future-agent"}))
        .await;
    assert_eq!(row["assigned_agent"], "future-agent");
    assert_eq!(row["status"], "queued");
}

/// GET /api/tasks/status for `query`, asserting 200.
async fn status(c: &Ctx, query: &str) -> Value {
    let (code, body) = c
        .api
        .get(
            &format!("/api/tasks/status?workspace_id={}{query}", c.ws),
            &c.token,
        )
        .await;
    assert_eq!(code, 200, "{query}: {body}");
    assert_eq!(body["success"], true);
    body
}

fn ids(body: &Value) -> Vec<String> {
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_filters_by_status_agent_and_task_id(pool: PgPool) {
    let c = ctx(pool).await;
    let mut content = Vec::new();
    for _ in 0..3 {
        content.push(c.api.create_task(&c.token, c.ws, json!({})).await);
    }
    let email = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"assigned_agent": "email-agent", "task_type": "email",
                   "task_description": "Send the newsletter"}),
        )
        .await;
    let id = |t: &Value| t["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE autonomous_tasks SET status = 'completed', completed_at = now() WHERE id = $1",
    )
    .bind(id(&content[0]).parse::<Uuid>().unwrap())
    .execute(&c.db.pool)
    .await
    .unwrap();
    // A task of another workspace never shows up.
    let other = other_workspace(&c.db).await;
    c.db.insert(&[new_task(other, "email-agent")]).await;

    let all = status(&c, "").await;
    assert_eq!(all["tasks"].as_array().unwrap().len(), 4, "{all}");
    let summary = &all["summary"];
    for (key, want) in [
        ("total", 4),
        ("queued", 3),
        ("in_progress", 0),
        ("completed", 1),
        ("failed", 0),
    ] {
        assert_eq!(summary[key], want, "summary.{key}: {summary}");
    }

    let done = status(&c, "&status=completed").await;
    assert_eq!(ids(&done), [id(&content[0])]);
    assert_eq!(done["tasks"][0]["status"], "completed");
    assert_eq!(done["tasks"][0]["progress_percentage"], 100);

    let queued = status(&c, "&status=queued").await;
    assert_eq!(
        sorted(ids(&queued)),
        sorted(vec![id(&content[1]), id(&content[2]), id(&email)])
    );

    let by_agent = status(&c, "&assigned_agent=email-agent").await;
    assert_eq!(ids(&by_agent), [id(&email)]);
    let t = &by_agent["tasks"][0];
    assert_eq!(t["description"], "Send the newsletter");
    assert_eq!(t["assigned_agent"], "email-agent");
    assert_eq!(t["priority"], 5);
    assert_eq!(t["status"], "queued");
    assert_eq!(t["progress_percentage"], 0);
    assert_eq!(t["dependencies_met"], true);

    let one = status(&c, &format!("&task_id={}", id(&content[2]))).await;
    assert_eq!(ids(&one), [id(&content[2])]);

    let none = status(&c, "&assigned_agent=nobody").await;
    assert!(ids(&none).is_empty(), "{none}");
    assert_eq!(none["summary"]["total"], 0);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_pages_walk_every_task_once_and_the_summary_covers_all(pool: PgPool) {
    let c = ctx(pool).await;
    // Inserted in one statement: equal created_at, so paging must break ties by id.
    let same_instant: Vec<_> = (0..4)
        .map(|_| new_task(c.ws, "content-generator"))
        .collect();
    let mut want: Vec<String> =
        c.db.insert(&same_instant)
            .await
            .iter()
            .map(Uuid::to_string)
            .collect();
    for _ in 0..3 {
        let row = c.api.create_task(&c.token, c.ws, json!({})).await;
        want.push(row["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(want.len(), 7);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(cur) => format!("&limit=2&cursor={cur}"),
            None => "&limit=2".to_owned(),
        };
        let page = status(&c, &query).await;
        pages += 1;
        assert!(pages <= 5, "paging does not end: {page}");
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 2, "{page}");
        assert_eq!(
            page["summary"]["total"], 7,
            "summary counts every task: {page}"
        );
        assert_eq!(page["summary"]["queued"], 7);
        seen.extend(page_ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "a task was repeated or skipped: {seen:?}");
    assert_eq!(sorted(seen.clone()), sorted(want.clone()));
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 7);
    // The API-created tasks come after the bulk insert, in creation order.
    assert_eq!(&seen[4..], &want[4..]);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn dependencies_met_is_false_while_a_dependency_is_not_completed(pool: PgPool) {
    let c = ctx(pool).await;
    let upstream = c.api.create_task(&c.token, c.ws, json!({})).await;
    let up_id = upstream["id"].as_str().unwrap().to_owned();
    let downstream = c
        .api
        .create_task(&c.token, c.ws, json!({"depends_on": [up_id]}))
        .await;
    let down_id = downstream["id"].as_str().unwrap().to_owned();
    let met = |body: &Value, id: &str| {
        body["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["dependencies_met"].clone())
            .unwrap()
    };
    let page = status(&c, "").await;
    assert_eq!(met(&page, &up_id), true);
    assert_eq!(met(&page, &down_id), false);

    sqlx::query(
        "UPDATE autonomous_tasks SET status = 'in_progress', started_at = now() WHERE id = $1",
    )
    .bind(up_id.parse::<Uuid>().unwrap())
    .execute(&c.db.pool)
    .await
    .unwrap();
    let page = status(&c, "").await;
    assert_eq!(met(&page, &down_id), false, "in_progress is not completed");

    sqlx::query(
        "UPDATE autonomous_tasks SET status = 'completed', completed_at = now() WHERE id = $1",
    )
    .bind(up_id.parse::<Uuid>().unwrap())
    .execute(&c.db.pool)
    .await
    .unwrap();
    let page = status(&c, "").await;
    assert_eq!(met(&page, &down_id), true);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]

async fn text_postgres_cannot_store_answers_400_task_010_not_500(pool: PgPool) {
    // JSON allows "\u0000"; Postgres text and jsonb do not. That is the client's bad input.
    let c = ctx(pool).await;
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
async fn a_task_whose_dependencies_are_already_completed_is_ready_at_once(pool: PgPool) {
    let c = ctx(pool).await;
    let upstream = c.api.create_task(&c.token, c.ws, json!({})).await;
    let up_id: Uuid = upstream["id"].as_str().unwrap().parse().unwrap();
    sqlx::query(
        "UPDATE autonomous_tasks SET status = 'completed', completed_at = now() WHERE id = $1",
    )
    .bind(up_id)
    .execute(&c.db.pool)
    .await
    .unwrap();
    let downstream = c
        .api
        .create_task(&c.token, c.ws, json!({"depends_on": [up_id]}))
        .await;
    let down_id: Uuid = downstream["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(c.db.task(down_id).await.unmet_deps, 0);
    let ready: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM ready_tasks")
        .fetch_all(&c.db.pool)
        .await
        .unwrap();
    assert_eq!(ready, [down_id]);
    let page = status(&c, &format!("&task_id={down_id}")).await;
    assert_eq!(page["tasks"][0]["dependencies_met"], true, "{page}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_chunked_body_over_one_mebibyte_answers_413_too(pool: PgPool) {
    // No Content-Length to refuse up front: the limit must hold while streaming.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = ctx(pool).await;
    let before = row_counts(&c.db).await;
    let addr = c.api.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/tasks HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        c.token
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let prefix = format!(
        r#"{{"workspace_id":"{}","task_type":"content","assigned_agent":"content-generator","task_description":""#,
        c.ws
    );
    let chunk = |data: &[u8]| {
        let mut v = format!("{:x}\r\n", data.len()).into_bytes();
        v.extend_from_slice(data);
        v.extend_from_slice(b"\r\n");
        v
    };
    // The server may answer and close before it has read everything: ignore write errors.
    let _ = stream.write_all(&chunk(prefix.as_bytes())).await;
    let filler = vec![b'x'; 64 * 1024];
    for _ in 0..20 {
        if stream.write_all(&chunk(&filler)).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(&chunk(br#""}"#)).await;
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        &response[..response.len().min(500)]
    );
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains(r#""code":"TASK_010""#), "{response}");
    assert!(body.contains(r#""success":false"#), "{response}");
    assert_eq!(row_counts(&c.db).await, before);
}
