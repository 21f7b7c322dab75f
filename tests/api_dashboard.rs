//! The dashboard's side of the API: the embedded assets at /ui/ (types, CSP, no token needed),
//! GET /api/tasks/{id}/audit, GET /api/strategies, the dashboard's filters and fields of
//! GET /api/tasks/status, and the throughput / p95 fields of GET /api/metrics/orchestrator.
//! The browser itself is driven by scripts/ui-test.sh.

mod common;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, Auth, assert_error, other_workspace, token, uuid};
use taskfleet::queue::{AttemptEnd, Outcome};

/// A client that does not follow redirects, so `/ui` → `/ui/` is visible.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn ui_assets_are_served_without_a_token_with_types_and_a_strict_csp(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let client = raw_client();

    let r = client
        .get(format!("{}/ui", c.api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/ui/");

    for (path, want_type) in [
        ("/ui/", "text/html; charset=utf-8"),
        ("/ui/index.html", "text/html; charset=utf-8"),
        ("/ui/main.js", "text/javascript; charset=utf-8"),
        ("/ui/dag_layout.js", "text/javascript; charset=utf-8"),
        ("/ui/style.css", "text/css; charset=utf-8"),
        ("/ui/icon.svg", "image/svg+xml"),
    ] {
        let r = client
            .get(format!("{}{path}", c.api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h["content-type"], want_type, "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(!r.bytes().await.unwrap().is_empty(), "{path}");
    }

    // Unknown assets are the API's 404 envelope; the dashboard's data routes still need a token.
    let got = c.api.send("GET", "/ui/nope.js", Auth::None, None).await;
    assert_error(&got, 404, "TASK_010");
    let got = c
        .api
        .send("GET", "/ui/../Cargo.toml", Auth::None, None)
        .await;
    assert_eq!(got.0, 404, "{got:?}");
    let got = c
        .api
        .send(
            "GET",
            &format!("/api/metrics/orchestrator?workspace_id={}", c.ws),
            Auth::None,
            None,
        )
        .await;
    assert_error(&got, 401, "TASK_012");
}

/// The CSP forbids inline code: the page must not need any. Checked on the embedded files.
#[test]
fn the_page_has_no_inline_script_or_style_and_no_html_sinks() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/ui/assets");
    let html = std::fs::read_to_string(format!("{dir}/index.html")).unwrap();
    for tag in html.split("<script").skip(1) {
        let head = tag.split('>').next().unwrap();
        assert!(head.contains("src="), "inline <script{head}>");
        assert!(
            tag.split("</script>")
                .next()
                .unwrap()
                .trim_start_matches(|c| c != '>')[1..]
                .trim()
                .is_empty(),
            "a script with a body"
        );
    }
    assert!(!html.contains("<style"), "inline <style>");
    assert!(!html.contains(" style="), "inline style attribute");
    assert!(!html.contains(" onclick="), "inline handler");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "js") {
            let js = std::fs::read_to_string(&path).unwrap();
            // Data goes into the page as text nodes only; styles by class only (CSP).
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
            ] {
                assert!(!js.contains(sink), "{} uses {sink}", path.display());
            }
            assert!(
                !js.contains("'style'") && !js.contains("style:"),
                "{} sets a style attribute",
                path.display()
            );
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn audit_route_lists_a_task_trail_oldest_first_and_only_to_its_tenant(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let task = c.api.create_task(&c.token, c.ws, json!({})).await;
    let id = uuid(&task["id"]);
    let (s, b) = c
        .api
        .post(
            &format!("/api/tasks/{id}/cancel"),
            &c.token,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = c
        .api
        .post(&format!("/api/tasks/{id}/retry"), &c.token, json!({}))
        .await;
    assert_eq!(s, 200, "{b}");

    let body = c.get_ok(&format!("/api/tasks/{id}/audit")).await;
    assert_eq!(body["task_id"], json!(id));
    let rows = body["audit"].as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["task.created", "task.cancelled", "task.retried"]);
    let statuses: Vec<&Value> = rows.iter().map(|r| &r["status"]).collect();
    assert_eq!(
        statuses,
        [&json!("queued"), &json!("cancelled"), &json!("queued")]
    );
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(rows[0]["agent"], "api:alice");
    assert!(rows[1]["details"].is_object());
    assert_eq!(
        c.db.audit_actions(id).await,
        actions,
        "the route shows every row the database has"
    );

    // Another workspace's member: 404 TASK_003, exactly like a task that does not exist.
    let other = other_workspace(&c.db).await;
    let stranger = token("mallory", &[other]);
    let got = c
        .api
        .get(&format!("/api/tasks/{id}/audit"), &stranger)
        .await;
    let theirs = assert_error(&got, 404, "TASK_003");
    let missing = Uuid::now_v7();
    let got = c
        .api
        .get(&format!("/api/tasks/{missing}/audit"), &c.token)
        .await;
    let none = assert_error(&got, 404, "TASK_003");
    assert_eq!(
        theirs.replace(&id.to_string(), "X"),
        none.replace(&missing.to_string(), "X")
    );
    let got = c
        .api
        .send("GET", &format!("/api/tasks/{id}/audit"), Auth::None, None)
        .await;
    assert_error(&got, 401, "TASK_012");
    let got = c.api.get("/api/tasks/not-a-uuid/audit", &c.token).await;
    assert_error(&got, 400, "TASK_010");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_takes_the_dashboard_filters(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let a = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"task_description": "Write the 100% LAUNCH post", "priority": 8}),
        )
        .await;
    let b = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"task_description": "Email the launch list", "task_type": "email",
                   "assigned_agent": "email-agent", "depends_on": [a["id"]]}),
        )
        .await;
    let ids = |page: &Value| -> Vec<String> {
        page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let page = c.status_page("&task_type=email").await;
    assert_eq!(ids(&page), [b_id]);
    assert_eq!(page["summary"]["total"], 1);
    let page = c.status_page("&priority=8").await;
    assert_eq!(ids(&page), [a_id]);
    // Case-insensitive substring; % and _ are plain characters, not patterns.
    assert_eq!(ids(&c.status_page("&q=launch").await), [a_id, b_id]);
    assert_eq!(ids(&c.status_page("&q=100%25%20launch").await), [a_id]);
    assert_eq!(ids(&c.status_page("&q=%25").await), [a_id]);
    assert_eq!(ids(&c.status_page("&q=_").await), Vec::<String>::new());
    assert_eq!(
        ids(&c.status_page("&q=%20%20").await).len(),
        2,
        "blank q is no filter"
    );
    // depends_on: the tasks downstream of one.
    let page = c.status_page(&format!("&depends_on={a_id}")).await;
    assert_eq!(ids(&page), [b_id]);
    assert_eq!(page["summary"]["queued"], 1);
    assert_eq!(
        ids(&c.status_page(&format!("&depends_on={b_id}")).await).len(),
        0
    );

    // The row's extra fields.
    let page = c.status_page(&format!("&task_id={b_id}")).await;
    let row = &page["tasks"][0];
    assert_eq!(row["task_type"], "email");
    assert_eq!(row["depends_on"], json!([a_id]));
    assert_eq!(row["retry_count"], 0);
    assert_eq!(row["max_retries"], 3);
    assert_eq!(row["stuck"], false);
    assert_eq!(row["retrying"], false);
    assert_eq!(row["strategy_id"], json!(null));
    assert_eq!(row["phase"], json!(null));
    assert!(row["created_at"].is_string());

    // A decomposed strategy: its tasks by strategy_id, each with its phase (none for pillars
    // and KPIs).
    let mut body = c.strategy_body();
    body["campaign_calendar"]["phases"] = json!([
        {"phase_name": "Warm up", "key_activities": ["Write blog"]},
        {"phase_name": "Go", "key_activities": ["Run ad campaign"]}]);
    body["kpis"] = json!([{"metric_name": "MQLs"}]);
    let strategy = c.api.create_strategy(&c.token, body).await;
    let (s, d) = c.decompose_with(strategy, json!({})).await;
    assert_eq!(s, 201, "{d}");
    let page = c.status_page(&format!("&strategy_id={strategy}")).await;
    assert_eq!(page["summary"]["total"], 3);
    let phases: Vec<(Value, Value)> = page["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["phase"].clone(), t["phase_index"].clone()))
        .collect();
    assert_eq!(
        phases,
        [
            (json!("Warm up"), json!(0)),
            (json!("Go"), json!(1)),
            (json!(null), json!(null))
        ]
    );

    // Bad values: 400 TASK_010, like the existing parameters.
    for (query, what) in [
        ("&task_type=nope", "task_type"),
        ("&priority=11", "priority"),
        ("&priority=0", "priority"),
        ("&priority=high", "priority"),
        ("&strategy_id=not-a-uuid", "strategy_id"),
        ("&depends_on=42", "depends_on"),
    ] {
        let path = format!("/api/tasks/status?workspace_id={}{query}", c.ws);
        let message = c.reject("GET", &path, None, 400, "TASK_010").await;
        assert!(message.contains(what), "{query}: {message}");
    }
    let long = "x".repeat(201);
    let path = format!("/api/tasks/status?workspace_id={}&q={long}", c.ws);
    c.reject("GET", &path, None, 400, "TASK_010").await;

    // Another workspace's strategy or task as a filter: 404 as if missing.
    let other = other_workspace(&c.db).await;
    let theirs = token("mallory", &[other]);
    let their_task = c.api.create_task(&theirs, other, json!({})).await;
    let path = format!(
        "/api/tasks/status?workspace_id={}&depends_on={}",
        c.ws,
        their_task["id"].as_str().unwrap()
    );
    c.reject("GET", &path, None, 404, "TASK_003").await;
    let mut their_body = c.strategy_body();
    their_body["workspace_id"] = json!(other);
    let their_strategy = c.api.create_strategy(&theirs, their_body).await;
    let path = format!(
        "/api/tasks/status?workspace_id={}&strategy_id={their_strategy}",
        c.ws
    );
    c.reject("GET", &path, None, 404, "TASK_001").await;
    let path = format!(
        "/api/tasks/status?workspace_id={}&strategy_id={}",
        c.ws,
        Uuid::now_v7()
    );
    c.reject("GET", &path, None, 404, "TASK_001").await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_marks_stuck_and_retrying_tasks(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let stuck = c
        .api
        .create_task(&c.token, c.ws, json!({"priority": 9}))
        .await;
    let retrying = c
        .api
        .create_task(&c.token, c.ws, json!({"assigned_agent": "email-agent"}))
        .await;
    let claimed = c.db.claim_expired("gone-worker", 1).await;
    assert_eq!(claimed[0].id, uuid(&stuck["id"]));
    let attempt = c.db.start_task(uuid(&retrying["id"])).await;
    c.db.end_attempt(
        &attempt,
        AttemptEnd::Agent(Outcome::Transient {
            class: "http_503".into(),
            error: "HTTP 503: busy".into(),
            retry_after: None,
        }),
    )
    .await;

    let page = c.status_page("").await;
    let by_id = |id: &Value| {
        page["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| &t["id"] == id)
            .unwrap()
            .clone()
    };
    let s = by_id(&stuck["id"]);
    assert_eq!(
        (s["status"].as_str(), &s["stuck"], &s["retrying"]),
        (Some("in_progress"), &json!(true), &json!(false))
    );
    let r = by_id(&retrying["id"]);
    assert_eq!(
        (r["status"].as_str(), &r["stuck"], &r["retrying"]),
        (Some("queued"), &json!(false), &json!(true))
    );
    assert_eq!(r["retry_count"], 1);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn metrics_add_the_last_hour_p95_and_agents_in_flight(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let done = c
        .api
        .create_task(&c.token, c.ws, json!({"priority": 9}))
        .await;
    let running = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"assigned_agent": "email-agent", "task_type": "email"}),
        )
        .await;
    c.db.complete_task(uuid(&done["id"])).await;
    c.db.start_task(uuid(&running["id"])).await;

    let m = c
        .get_ok(&format!("/api/metrics/orchestrator?workspace_id={}", c.ws))
        .await;
    let minutes = m["throughput"].as_array().unwrap();
    assert_eq!(minutes.len(), 60);
    let sum = |k: &str| minutes.iter().map(|b| b[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("completed"), sum("failed"), sum("retried")), (1, 0, 0));
    assert_eq!(
        minutes[59]["completed"], 1,
        "the current minute is last: {m}"
    );
    let stamps: Vec<chrono::DateTime<chrono::Utc>> = minutes
        .iter()
        .map(|b| b["minute"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| (w[1] - w[0]).num_seconds() == 60));
    assert!(m["p95_execution_time_ms"].as_f64().unwrap() >= 0.0, "{m}");
    assert!(
        m["p95_execution_time_ms"].as_f64().unwrap()
            >= m["average_execution_time_ms"].as_f64().unwrap() - 1.0
    );
    assert_eq!(m["agents_in_flight"], json!({"email-agent": 1}));

    // Another workspace's numbers are its own.
    let other = other_workspace(&c.db).await;
    let theirs = token("mallory", &[other]);
    let (s, m) = c
        .api
        .get(
            &format!("/api/metrics/orchestrator?workspace_id={other}"),
            &theirs,
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let completed: i64 = m["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["completed"].as_i64().unwrap())
        .sum();
    assert_eq!(completed, 0);
    assert_eq!(m["agents_in_flight"], json!({}));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn strategies_are_listed_newest_first_to_their_workspace_only(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let first = c.api.create_strategy(&c.token, c.strategy_body()).await;
    let mut body = c.strategy_body();
    body["name"] = json!("Autumn");
    let second = c.api.create_strategy(&c.token, body).await;
    let (s, d) = c.decompose_with(first, json!({})).await;
    assert_eq!(s, 201, "{d}");

    let list = c
        .get_ok(&format!("/api/strategies?workspace_id={}", c.ws))
        .await;
    let got: Vec<(Value, Value, Value, Value)> = list["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].clone(),
                s["name"].clone(),
                s["decomposed"].clone(),
                s["task_count"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (json!(second), json!("Autumn"), json!(false), json!(0)),
            (json!(first), json!("Spring"), json!(true), json!(1)),
        ]
    );
    let limited = c
        .get_ok(&format!("/api/strategies?workspace_id={}&limit=1", c.ws))
        .await;
    assert_eq!(limited["strategies"].as_array().unwrap().len(), 1);

    let other = other_workspace(&c.db).await;
    let theirs = token("mallory", &[other]);
    let got = c
        .api
        .get(&format!("/api/strategies?workspace_id={}", c.ws), &theirs)
        .await;
    assert_error(&got, 404, "TASK_013");
    let (s, mine) = c
        .api
        .get(&format!("/api/strategies?workspace_id={other}"), &theirs)
        .await;
    assert_eq!((s, &mine["strategies"]), (200, &json!([])));
    let path = format!("/api/strategies?workspace_id={}&limit=0", c.ws);
    c.reject("GET", &path, None, 400, "TASK_010").await;
    let path = format!("/api/strategies?workspace_id={}&colour=red", c.ws);
    c.reject("GET", &path, None, 400, "TASK_010").await;
    let got = c
        .api
        .send(
            "GET",
            &format!("/api/strategies?workspace_id={}", c.ws),
            Auth::None,
            None,
        )
        .await;
    assert_error(&got, 401, "TASK_012");
}
