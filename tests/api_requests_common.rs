//! Requests every route answers alike: bodies that are not one JSON object, ids that are not
//! uuids, bodies over the size limit (with and without a Content-Length), request heads over
//! theirs, and unknown routes or methods all get the contract's error envelope and write nothing.

mod common;

use serde_json::json;
use sqlx::PgPool;

use common::api::{ApiCtx, Auth, Body, RawConn, RawResponse, assert_error, row_counts, with};
use taskfleet::api::server::{HYPER_MAX_HEADERS, MAX_HEAD_BYTES};

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn bodies_that_are_not_one_json_object_answer_400_task_010_on_every_post_route(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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
async fn ids_that_are_not_uuids_answer_400_task_010_in_path_and_query(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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
async fn a_body_over_one_mebibyte_answers_413_task_010(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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
async fn a_chunked_body_over_one_mebibyte_answers_413_too(pool: PgPool) {
    // No Content-Length to refuse up front: the limit must hold while streaming.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let c = ApiCtx::new(pool).await;
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

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn unknown_routes_and_wrong_methods_answer_the_envelope(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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

/// A GET /api/tasks/status in the context's workspace, and its Authorization line.
fn status_request(c: &ApiCtx) -> (String, String) {
    (
        format!("/api/tasks/status?workspace_id={}", c.ws),
        format!("Authorization: Bearer {}", c.token),
    )
}

/// `auth`, then filler headers up to `total` header lines counting the Host line RawConn sends.
fn headers(auth: &str, total: usize) -> Vec<String> {
    let mut h = vec![auth.to_owned()];
    h.extend((h.len() + 1..total).map(|i| format!("x-filler-{i}: {i}")));
    h
}

/// The 431 envelope, as JSON; returns its message.
#[track_caller]
fn assert_431(resp: &RawResponse) -> String {
    assert_eq!(
        resp.header("content-type"),
        Some("application/json"),
        "{resp:?}"
    );
    assert_error(&resp.parsed(), 431, "TASK_010")
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_request_with_150_headers_answers_431_with_the_envelope(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let (path, auth) = status_request(&c);
    let mut conn = RawConn::connect(&c.api).await;
    let msg = assert_431(&conn.get(&path, &headers(&auth, 150)).await);
    assert!(msg.contains("150 headers") && msg.contains("100"), "{msg}");
    assert_431(&conn.get(&path, &headers(&auth, 101)).await);
    // The request was read whole, so the connection stays usable; 100 is still allowed.
    let ok = conn.get(&path, &headers(&auth, 100)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_40_kib_header_answers_431_with_the_envelope(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let (path, auth) = status_request(&c);
    let big = |len: usize| vec![auth.clone(), format!("x-big: {}", "a".repeat(len))];
    let mut conn = RawConn::connect(&c.api).await;
    let msg = assert_431(&conn.get(&path, &big(40 * 1024)).await);
    assert!(msg.contains("16 KiB"), "{msg}");
    // The limit counts the head as written: exactly 16 KiB passes, one byte more does not.
    let fits = MAX_HEAD_BYTES - conn.head(&path, &big(0)).len();
    assert_eq!(conn.head(&path, &big(fits)).len(), MAX_HEAD_BYTES);
    let ok = conn.get(&path, &big(fits)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_431(&conn.get(&path, &big(fits + 1)).await);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn past_hypers_own_limits_the_answer_is_hypers_bare_431(pool: PgPool) {
    // What README "HTTP API" documents as the one 431 without the envelope.
    let c = ApiCtx::new(pool).await;
    let (path, auth) = status_request(&c);
    let mut conn = RawConn::connect(&c.api).await;
    let bare = conn
        .get(&path, &headers(&auth, HYPER_MAX_HEADERS + 1))
        .await;
    assert_eq!(bare.status, 431, "{bare:?}");
    assert_eq!(bare.body, "", "{bare:?}");
    assert_eq!(bare.header("connection"), Some("close"), "{bare:?}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn raw_requests_within_the_limits_answer_as_before_on_one_connection(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let (path, auth) = status_request(&c);
    let mut conn = RawConn::connect(&c.api).await;
    let ok = conn.get(&path, std::slice::from_ref(&auth)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.parsed().1["success"], true, "{ok:?}");
    // Same connection (keep-alive), no token.
    assert_error(&conn.get(&path, &[]).await.parsed(), 401, "TASK_012");
}
