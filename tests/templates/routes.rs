//! POST/GET/DELETE /api/templates and `taskfleet templates`: tenancy, refusals, the CLI.

use chrono::{TimeDelta, TimeZone, Utc};
use chrono_tz::Australia::Sydney;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::TestDb;
use crate::common::api::{ApiCtx, Auth, Body, assert_error, row_counts, token, uuid};
use crate::common::procs::run_cli;
use crate::{create, created_count, digest, sweep};

async fn template_count(db: &TestDb) -> i64 {
    db.count("SELECT count(*) FROM task_templates").await
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn templates_are_created_listed_and_deleted_per_workspace(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let body = json!({"workspace_id": c.ws, "name": " Morning digest ", "cron": "0 0 9 * * *",
                      "timezone": "Australia/Sydney", "task": digest()});
    let t = create(&c.api, &c.token, body.clone()).await;
    assert_eq!(t["name"], "Morning digest");
    assert_eq!(t["cron"], "0 0 9 * * *");
    assert_eq!(t["timezone"], "Australia/Sydney");
    assert_eq!(t["enabled"], true);
    assert_eq!(t["catch_up_secs"], 3600);
    assert_eq!(t["last_tick"], Value::Null);
    assert_eq!(
        t["task"],
        json!({"task_description": "Send the morning digest", "task_type": "email",
               "assigned_agent": "email-sender", "priority": 6, "input_data": {},
               "max_retries": 3, "requires_approval": false})
    );
    let id = uuid(&t["id"]);
    // The workspace sets no zone: TASKFLEET_TIMEZONE's default. One that sets a zone gives it.
    let default_zone = create(
        &c.api,
        &c.token,
        crate::common::api::with(&body, "timezone", None),
    )
    .await;
    assert_eq!(default_zone["timezone"], "Australia/Sydney");
    let (london,): (Uuid,) = sqlx::query_as(taskfleet::db::sql::WORKSPACE_CREATE)
        .bind("London office")
        .bind(Some("Europe/London"))
        .fetch_one(&c.db.pool)
        .await
        .unwrap();
    let london_token = token("alice", &[c.ws, london]);
    let mut in_london = crate::common::api::with(&body, "timezone", None);
    in_london["workspace_id"] = json!(london);
    in_london["enabled"] = json!(false);
    in_london["catch_up_secs"] = json!(600);
    // An empty depends_on is no dependency: allowed, and not stored.
    in_london["task"]["depends_on"] = json!([]);
    let l = create(&c.api, &london_token, in_london).await;
    assert_eq!(
        (l["timezone"].as_str(), l["enabled"].as_bool()),
        (Some("Europe/London"), Some(false))
    );
    assert_eq!(l["catch_up_secs"], 600);
    assert_eq!(l["task"], t["task"]);

    let listed = c
        .get_ok(&format!("/api/templates?workspace_id={}", c.ws))
        .await;
    let ids: Vec<Value> = listed["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [t["id"].clone(), default_zone["id"].clone()]);
    assert_eq!(listed["templates"][0], t);

    // Another tenant sees none of it: its list of this workspace, and this template, are 404.
    let other = crate::common::api::other_workspace(&c.db).await;
    let mallory = token("mallory", &[other]);
    let path = format!("/api/templates/{id}");
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&mallory), None)
        .await;
    assert_error(&got, 404, "TASK_016");
    let got = c
        .api
        .get(&format!("/api/templates?workspace_id={}", c.ws), &mallory)
        .await;
    assert_error(&got, 404, "TASK_013");
    let got = c.api.post("/api/templates", &mallory, body.clone()).await;
    assert_error(&got, 404, "TASK_013");
    assert_eq!(template_count(&c.db).await, 3);
    let listed = c
        .api
        .get(&format!("/api/templates?workspace_id={other}"), &mallory)
        .await;
    assert_eq!((listed.0, listed.1["templates"].clone()), (200, json!([])));

    // Deleting answers the template as it was; it is gone, and a second delete is a 404. The
    // tasks it made stay, naming it.
    let tomorrow = Utc::now().with_timezone(&Sydney).date_naive() + chrono::Days::new(1);
    let nine = Sydney
        .from_local_datetime(&tomorrow.and_hms_opt(9, 0, 0).unwrap())
        .single()
        .unwrap();
    let made = sweep(&c.db.pool, nine.with_timezone(&Utc) + TimeDelta::seconds(1)).await;
    assert_eq!(created_count(&made), 2, "{made}");
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&c.token), None)
        .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(got.1["template"]["id"], t["id"]);
    assert!(got.1["template"]["last_tick"].is_string(), "{}", got.1);
    let got = c
        .api
        .send("DELETE", &path, Auth::Bearer(&c.token), None)
        .await;
    assert_error(&got, 404, "TASK_016");
    let listed = c
        .get_ok(&format!("/api/templates?workspace_id={}", c.ws))
        .await;
    assert_eq!(listed["templates"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.db.count("SELECT count(*) FROM template_ticks").await,
        1,
        "the deleted template's ticks went with it"
    );
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM autonomous_tasks WHERE template_id = $1")
            .bind(id)
            .fetch_one(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(kept, 1);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["template.created", "template.deleted"]);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn invalid_templates_are_refused_at_creation_naming_the_field(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let good = json!({"workspace_id": c.ws, "name": "Digest", "cron": "0 0 9 * * *",
                      "task": digest()});
    let task_with = |key: &str, value: Value| {
        let mut b = good.clone();
        b["task"][key] = value;
        b
    };
    let task_without = |key: &str| {
        let mut b = good.clone();
        b["task"].as_object_mut().unwrap().remove(key);
        b
    };
    let with = |key: &str, value: Value| crate::common::api::with(&good, key, Some(value));
    // (body, status, code, the message starts with)
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (with("cron", json!("0 9 * * *")), 422, "TASK_010", "cron: "),
        (
            with("cron", json!("every morning")),
            422,
            "TASK_010",
            "cron: ",
        ),
        (
            with("cron", json!("0 0 9 * * * 2020")),
            422,
            "TASK_010",
            "cron: ",
        ),
        (
            with("timezone", json!("Sydney")),
            422,
            "TASK_010",
            "timezone: ",
        ),
        (with("name", json!("  ")), 422, "TASK_010", "name: "),
        (
            with("catch_up_secs", json!(5)),
            422,
            "TASK_010",
            "catch_up_secs: ",
        ),
        (with("task", json!("Send it")), 422, "TASK_010", "task: "),
        (
            task_with("task_type", json!("fax")),
            422,
            "TASK_007",
            "task.task_type ",
        ),
        (
            task_with("priority", json!(11)),
            422,
            "TASK_010",
            "task.priority ",
        ),
        (
            task_with("priority", json!("5")),
            422,
            "TASK_010",
            "task.priority: ",
        ),
        (
            task_with("max_retries", json!(101)),
            422,
            "TASK_010",
            "task.max_retries ",
        ),
        (
            task_with("input_data", json!([1])),
            422,
            "TASK_010",
            "task.input_data ",
        ),
        (
            task_with("task_description", json!(" ")),
            422,
            "TASK_010",
            "task.task_description ",
        ),
        (
            task_with("assigned_agent", json!("Email Sender")),
            422,
            "TASK_010",
            "task.assigned_agent: ",
        ),
        (
            task_with("colour", json!("red")),
            422,
            "TASK_010",
            "task.colour: unknown field",
        ),
        (
            task_without("task_type"),
            422,
            "TASK_010",
            "task: missing field `task_type`",
        ),
        (
            task_with("workspace_id", json!(c.ws)),
            422,
            "TASK_010",
            "task.workspace_id: ",
        ),
        (
            task_with("deadline", json!("2030-01-01T00:00:00Z")),
            422,
            "TASK_010",
            "task.deadline: ",
        ),
        (
            task_with("depends_on", json!([Uuid::now_v7()])),
            422,
            "TASK_010",
            "task.depends_on: ",
        ),
        // The request itself malformed: 400, as on every route.
        (
            with("cron", json!(9)),
            400,
            "TASK_010",
            "invalid body: field `cron`",
        ),
        (
            with("enabled", json!("yes")),
            400,
            "TASK_010",
            "invalid body: field `enabled`",
        ),
        (
            with("schedule", json!("daily")),
            400,
            "TASK_010",
            "invalid body: field `schedule`: unknown field",
        ),
        (
            crate::common::api::with(&good, "task", None),
            400,
            "TASK_010",
            "invalid body: missing field `task`",
        ),
    ];
    for (body, status, code, starts) in cases {
        let before = template_count(&c.db).await;
        let message = c
            .reject(
                "POST",
                "/api/templates",
                Some(body.clone().into()),
                status,
                code,
            )
            .await;
        assert!(
            message.starts_with(starts),
            "{body}: {message:?} should start with {starts:?}"
        );
        assert_eq!(
            template_count(&c.db).await,
            before,
            "{body} wrote a template"
        );
    }
    for raw in ["{\"workspace_id\": ", "[]", "null"] {
        let message = c
            .reject(
                "POST",
                "/api/templates",
                Some(Body::from(raw)),
                400,
                "TASK_010",
            )
            .await;
        assert!(!message.is_empty());
    }
    c.reject("DELETE", "/api/templates/not-a-uuid", None, 400, "TASK_010")
        .await;
    c.reject("GET", "/api/templates", None, 400, "TASK_010")
        .await;
    assert_eq!(template_count(&c.db).await, 0);
    assert_eq!(row_counts(&c.db).await, (0, 0, 0));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_cli_creates_and_lists_templates_with_the_apis_rules(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let ws_s = ws.to_string();
    let env = [("DATABASE_URL", db.url.as_str()), ("USER", "ops")];
    let task = digest().to_string();
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Morning digest",
        "--cron",
        "0 0 9 * * *",
        "--task",
        &task,
        "--disabled",
    ];
    let (status, stdout, stderr) = run_cli(&args, &env);
    assert!(status.success(), "{stderr}");
    let id: Uuid = stdout.trim().parse().unwrap();
    let file = std::env::temp_dir().join(format!("template-{id}.json"));
    std::fs::write(&file, digest().to_string()).unwrap();
    let at_file = format!("@{}", file.display());
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Evening digest",
        "--cron",
        "0 0 18 * * *",
        "--timezone",
        "Europe/London",
        "--task",
        &at_file,
    ];
    let (status, _, stderr) = run_cli(&args, &env);
    assert!(status.success(), "{stderr}");
    std::fs::remove_file(&file).unwrap();

    let (status, stdout, stderr) = run_cli(&["templates", "list", "--workspace", &ws_s], &env);
    assert!(status.success(), "{stderr}");
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(
        rows[0],
        [
            id.to_string().as_str(),
            "Morning digest",
            "0 0 9 * * *",
            "Australia/Sydney",
            "disabled",
            "3600",
            "-"
        ]
    );
    assert_eq!(rows[1][3], "Europe/London");
    assert_eq!(rows[1][4], "enabled");

    // Refused as the API refuses: code and field first, one line, nothing written.
    let bad =
        json!({"task_description": "x", "task_type": "fax", "assigned_agent": "a"}).to_string();
    let args = [
        "templates",
        "create",
        "--workspace",
        &ws_s,
        "--name",
        "Bad",
        "--cron",
        "0 0 9 * * *",
        "--task",
        &bad,
    ];
    let (status, _, stderr) = run_cli(&args, &env);
    assert!(!status.success());
    assert!(
        stderr.trim().starts_with("error: TASK_007: task.task_type"),
        "{stderr}"
    );
    let other = Uuid::now_v7().to_string();
    let (status, _, stderr) = run_cli(&["templates", "list", "--workspace", &other], &env);
    assert!(!status.success());
    assert!(stderr.contains("TASK_013"), "{stderr}");
    assert_eq!(template_count(&db).await, 2);
}
