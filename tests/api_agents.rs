//! `GET /api/agents` (issue 18): every registered agent with its breaker, and figures from the
//! caller's own tasks only; never a URL. Agents are real HTTP servers on loopback; tasks run
//! through the execute pass, so the audit rows the figures come from are the real ones.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::agent::{Reply, TestAgent};
use common::api::{ApiCtx, Auth, assert_error, other_workspace, token, uuid};
use common::wait_until;

/// Registered URLs carry this in their query, as a credential would be: it must never be shown.
const URL_SECRET: &str = "agent-url-secret-7f3a";

/// The caller's agents, by name.
async fn agents(c: &ApiCtx, token: &str) -> (Value, Vec<Value>) {
    let (code, body) = c.api.get("/api/agents", token).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["success"], true, "{body}");
    let list = body["agents"].as_array().expect("agents array").clone();
    (body, list)
}

fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no agent {name} in {list:?}"))
}

/// No key named `url` at any depth, and neither the registered URLs nor their secret in the text.
fn assert_no_url(body: &Value, urls: &[&str]) {
    fn walk(v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    assert_ne!(k.to_ascii_lowercase(), "url", "a url key: {v}");
                    walk(v);
                }
            }
            Value::Array(items) => items.iter().for_each(walk),
            _ => {}
        }
    }
    walk(body);
    let text = body.to_string();
    assert!(!text.contains(URL_SECRET), "the URL's secret shown: {text}");
    for url in urls {
        assert!(!text.contains(url), "{url} shown: {text}");
    }
}

async fn execute(c: &ApiCtx, token: &str, ws: Uuid) -> Value {
    let (code, resp) = c
        .api
        .post(
            "/api/tasks/execute",
            token,
            json!({"workspace_id": ws, "max_concurrent": 10}),
        )
        .await;
    assert_eq!(code, 200, "{resp}");
    resp
}

async fn status(c: &ApiCtx, id: Uuid) -> Value {
    c.get_ok(&format!("/api/tasks/{id}")).await["task"]["status"].clone()
}

async fn create(c: &ApiCtx, agent: &str, input: Value) -> Uuid {
    let task = c
        .api
        .create_task(
            &c.token,
            c.ws,
            json!({"assigned_agent": agent, "input_data": input}),
        )
        .await;
    uuid(&task["id"])
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn agents_show_breaker_and_the_callers_figures_never_a_url(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    // content-generator succeeds, except for a task asking it to fail (503: a retry is
    // scheduled); email-agent refuses everything (400: the task fails for good).
    let content = TestAgent::start(|call, _| {
        if call.body["input"]["fail"] == true {
            Reply::Status(503)
        } else {
            Reply::After(
                Duration::from_millis(30),
                Box::new(Reply::Ok(json!({"ok": 1}))),
            )
        }
    })
    .await;
    let email = TestAgent::always(Reply::Status(400)).await;
    let content_url = format!("{}?key={URL_SECRET}", content.url);
    let email_url = format!("{}?key={URL_SECRET}", email.url);
    c.db.register_agent("content-generator", &content_url).await;
    c.db.register_agent("email-agent", &email_url).await;
    c.db.register_agent("general-executor", &email_url).await;

    let ok = create(&c, "content-generator", json!({})).await;
    let retried = create(&c, "content-generator", json!({"fail": true})).await;
    let failed = create(&c, "email-agent", json!({})).await;
    execute(&c, &c.token, c.ws).await;
    assert_eq!(status(&c, ok).await, "completed");
    assert_eq!(status(&c, retried).await, "queued");
    assert_eq!(status(&c, failed).await, "failed");

    let (body, list) = agents(&c, &c.token).await;
    assert_no_url(&body, &[&content_url, &email_url, &content.url, &email.url]);
    assert_eq!(body["window_secs"], 900, "{body}");
    let names: Vec<&str> = list.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["content-generator", "email-agent", "general-executor"]
    );
    let mut keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "breaker",
            "enabled",
            "in_flight",
            "last_error",
            "max_concurrency",
            "name",
            "p50_ms",
            "p95_ms",
            "rate_per_sec",
            "success_rate"
        ]
    );

    let cg = named(&list, "content-generator");
    assert_eq!(cg["enabled"], true, "{cg}");
    assert_eq!(
        cg["breaker"],
        json!({"state": "closed", "since": null, "reason": null})
    );
    assert_eq!(cg["in_flight"], 0, "{cg}");
    assert_eq!(
        cg["success_rate"], 0.5,
        "one success, one retry scheduled: {cg}"
    );
    let p50 = cg["p50_ms"]
        .as_i64()
        .unwrap_or_else(|| panic!("p50_ms: {cg}"));
    let p95 = cg["p95_ms"]
        .as_i64()
        .unwrap_or_else(|| panic!("p95_ms: {cg}"));
    assert!(p50 >= 30 && p95 >= p50, "{cg}");
    let retry_error = cg["last_error"].as_str().unwrap_or_else(|| panic!("{cg}"));
    assert!(retry_error.contains("503"), "{cg}");
    assert_eq!(cg["max_concurrency"], Value::Null);
    assert_eq!(cg["rate_per_sec"], Value::Null);

    let ea = named(&list, "email-agent");
    assert_eq!(ea["success_rate"], 0.0, "{ea}");
    assert_eq!(ea["p50_ms"], Value::Null, "failures carry no latency: {ea}");
    assert_eq!(ea["p95_ms"], Value::Null, "{ea}");
    let fail_error = ea["last_error"].as_str().unwrap_or_else(|| panic!("{ea}"));
    assert!(fail_error.contains("400"), "{ea}");
    assert_eq!(ea["in_flight"], 0);

    // Registered, never called: listed, with no figures.
    let idle = named(&list, "general-executor");
    for field in ["success_rate", "p50_ms", "p95_ms", "last_error"] {
        assert_eq!(idle[field], Value::Null, "{field}: {idle}");
    }
    assert_eq!(idle["in_flight"], 0);

    // Another tenant sees the same agents, and none of these figures.
    let other = other_workspace(&c.db).await;
    let bob = token("bob", &[other]);
    let (body, theirs) = agents(&c, &bob).await;
    assert_no_url(&body, &[&content_url, &email_url]);
    let names: Vec<&str> = theirs.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["content-generator", "email-agent", "general-executor"]
    );
    for a in &theirs {
        assert_eq!(a["in_flight"], 0, "{a}");
        assert_eq!(a["breaker"]["state"], "closed", "{a}");
        for field in ["success_rate", "p50_ms", "p95_ms", "last_error"] {
            assert_eq!(
                a[field],
                Value::Null,
                "{field} of another tenant's tasks: {a}"
            );
        }
    }

    // Attempts older than the 15-minute window no longer count.
    c.db.backdate(&[ok, retried, failed], TimeDelta::minutes(16))
        .await;
    let (_, list) = agents(&c, &c.token).await;
    for a in &list {
        for field in ["success_rate", "p50_ms", "p95_ms", "last_error"] {
            assert_eq!(a[field], Value::Null, "{field} out of the window: {a}");
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn in_flight_counts_only_the_callers_running_tasks(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let slow = TestAgent::always(Reply::After(
        Duration::from_secs(3),
        Box::new(Reply::Ok(json!({}))),
    ))
    .await;
    c.db.register_agent("content-generator", &slow.url).await;
    let id = create(&c, "content-generator", json!({})).await;
    let running = {
        let (base, token) = (c.api.base.clone(), c.token.clone());
        let body = json!({"workspace_id": c.ws, "max_concurrent": 1});
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/tasks/execute"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    slow.wait_called(id, Duration::from_secs(10)).await;
    let (_, mine) = agents(&c, &c.token).await;
    assert_eq!(
        named(&mine, "content-generator")["in_flight"],
        1,
        "{mine:?}"
    );

    let other = other_workspace(&c.db).await;
    let (_, theirs) = agents(&c, &token("bob", &[other])).await;
    assert_eq!(
        named(&theirs, "content-generator")["in_flight"],
        0,
        "{theirs:?}"
    );

    assert_eq!(running.await.unwrap(), 200);
    wait_until("the task completes", Duration::from_secs(10), async || {
        status(&c, id).await == "completed"
    })
    .await;
    let (_, mine) = agents(&c, &c.token).await;
    let cg = named(&mine, "content-generator");
    assert_eq!(cg["in_flight"], 0, "{cg}");
    assert_eq!(cg["success_rate"], 1.0, "{cg}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn agents_need_a_token_and_take_no_parameters(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    c.db.register_agent("content-generator", "http://127.0.0.1:9/")
        .await;
    let got = c.api.send("GET", "/api/agents", Auth::None, None).await;
    assert_error(&got, 401, "TASK_012");
    let got = c
        .api
        .send("GET", "/api/agents", Auth::Raw("Bearer not-a-jwt"), None)
        .await;
    assert_error(&got, 401, "TASK_012");
    // The route takes no parameter; a misspelt one is refused rather than ignored.
    c.reject("GET", "/api/agents?workspace=x", None, 400, "TASK_010")
        .await;
}

/// Migration 0019: the API's role reads the columns the route shows, and not the URL.
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_api_role_cannot_read_agent_urls(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    c.db.register_agent("content-generator", "http://127.0.0.1:9/")
        .await;
    let mut tx = c.db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL ROLE taskfleet_api")
        .execute(&mut *tx)
        .await
        .unwrap();
    let shown: (String, bool, String) =
        sqlx::query_as("SELECT name, enabled, breaker_state FROM agents")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(shown.0, "content-generator");
    let err = sqlx::query("SELECT url FROM agents")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}
