//! The OpenAPI document (contract section 9): `GET /api/openapi.json` serves it without a token,
//! it equals the committed `docs/openapi.json` byte for byte, it is OpenAPI 3.1, and it
//! documents every route of the router, each error response with the envelope and its codes.
//!
//! After an API change: `TASKFLEET_BLESS=1 scripts/test.sh --test openapi` rewrites
//! `docs/openapi.json` (or `cargo run -- openapi > docs/openapi.json`); review the diff.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use common::TestDb;
use common::api::{Auth, TestApi};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
const ROUTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/routes/mod.rs");

/// Routes that need no token (contract section 3, and the document itself).
const PUBLIC: [&str; 7] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/openapi.json",
    "/ui",
    "/ui/",
    "/ui/{file}",
];

async fn served(api: &TestApi) -> (u16, String, String) {
    let resp = reqwest::get(format!("{}/api/openapi.json", api.base))
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, resp.text().await.unwrap())
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_served_document_equals_docs_openapi_json(pool: PgPool) {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    let (status, content_type, body) = served(&api).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "application/json");
    if std::env::var("TASKFLEET_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(COMMITTED, &body).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        body == committed,
        "docs/openapi.json differs from the served document: regenerate it with \
         `TASKFLEET_BLESS=1 scripts/test.sh --test openapi` (or `cargo run -- openapi > \
         docs/openapi.json`) and review the diff"
    );
    assert_eq!(body, taskfleet::api::openapi::json());
}

#[test]
fn the_document_is_openapi_3_1_with_a_bearer_scheme() {
    let doc: Value = serde_json::from_str(taskfleet::api::openapi::json()).unwrap();
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi: {version}");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http", "{bearer}");
    assert_eq!(bearer["scheme"], "bearer", "{bearer}");
    assert_eq!(bearer["bearerFormat"], "JWT", "{bearer}");
    let envelope = &doc["components"]["schemas"]["ErrorEnvelope"];
    assert_eq!(
        envelope["required"],
        serde_json::json!(["success", "error"]),
        "{envelope}"
    );
}

/// `(method, path)` of every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    ops
}

/// `(METHOD, path)` of every route the router wires. axum cannot list a router's routes, so this
/// reads `.route("PATH", get(..).post(..))` calls from the router's source; a `nest` or
/// `*_service` mount counts as its path, to be covered by a documented path under it.
fn router_routes() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(ROUTER).unwrap();
    let mut routes = BTreeSet::new();
    for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
        for (at, _) in source.match_indices(call) {
            let rest = &source[at + call.len()..];
            let path = rest.split('"').nth(1).unwrap().to_owned();
            // Up to the call's closing parenthesis: rustfmt may spread it over lines.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let args = &rest[..end];
            let methods: Vec<&str> = ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| args.contains(&format!("{m}(")))
                .collect();
            if call == ".route(" {
                assert!(!methods.is_empty(), "no method in {call}{args}");
                for m in methods {
                    routes.insert((m.to_uppercase(), path.clone()));
                }
            } else {
                routes.insert(("ANY".into(), path));
            }
        }
    }
    assert!(routes.len() >= 13, "router parse found only {routes:?}");
    routes
}

#[test]
fn every_route_of_the_router_is_documented() {
    let doc: Value = serde_json::from_str(taskfleet::api::openapi::json()).unwrap();
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    for (method, path) in router_routes() {
        let covered = if method == "ANY" {
            documented.iter().any(|(_, p)| p.starts_with(&path))
        } else {
            documented.contains(&(method.clone(), path.clone()))
        };
        assert!(covered, "{method} {path} is routed but not documented");
    }
}

#[test]
fn every_operation_documents_its_auth_and_its_errors() {
    let doc: Value = serde_json::from_str(taskfleet::api::openapi::json()).unwrap();
    for (method, path, op) in operations(&doc) {
        let name = format!("{method} {path}");
        let responses = op["responses"].as_object().unwrap();
        let public = PUBLIC.contains(&path.as_str());
        if public {
            assert!(op.get("security").is_none(), "{name} is public");
        } else {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{name}"
            );
            assert!(responses.contains_key("401"), "{name} has no 401");
            assert!(responses.contains_key("400"), "{name} has no 400");
        }
        // A redirect (GET /ui to /ui/) is that route's success.
        let success = |s: &str| s.starts_with('2') || s.starts_with('3');
        assert!(
            responses.keys().any(|s| success(s)),
            "{name} has no success response"
        );
        for (status, response) in responses {
            if success(status) {
                continue;
            }
            let description = response["description"].as_str().unwrap();
            assert!(
                description.starts_with("TASK_0"),
                "{name} {status}: the description must start with its codes: {description}"
            );
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorEnvelope",
                "{name} {status}"
            );
        }
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn every_documented_operation_is_routed(pool: PgPool) {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    let doc: Value = serde_json::from_str(taskfleet::api::openapi::json()).unwrap();
    for (method, path, _) in operations(&doc) {
        let concrete = path
            .replace("{id}", &Uuid::now_v7().to_string())
            .replace("{file}", "main.js");
        let (status, body) = api.send(&method, &concrete, Auth::None, None).await;
        // The router's fallbacks: 404 "no such route" and 405.
        let unrouted =
            status == 405 || (status == 404 && body["error"]["message"] == "no such route");
        assert!(
            !unrouted,
            "{method} {path} is documented but not routed: {status} {body}"
        );
    }
}

#[test]
fn taskfleet_openapi_prints_the_document_without_a_database() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_taskfleet"))
        .arg("openapi")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        taskfleet::api::openapi::json()
    );
}
