//! POST /api/tasks/{id}/cancel and /retry over HTTP: answers, 409s, 404s across tenants, bodies.

mod common;

use serde_json::json;
use sqlx::PgPool;

use common::TestDb;
use common::api::{TestApi, assert_error, other_workspace, token};

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn cancel_then_retry_a_chain_over_http(pool: PgPool) {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    let ws = db.workspace().await;
    let t = token("alice", &[ws]);
    let a = api.create_task(&t, ws, json!({})).await;
    let b = api
        .create_task(&t, ws, json!({"depends_on": [a["id"]]}))
        .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    // Retrying a queued task is an invalid state change.
    let got = api
        .post(&format!("/api/tasks/{a_id}/retry"), &t, json!({}))
        .await;
    assert_error(&got, 409, "TASK_009");

    let (status, body) = api
        .post(
            &format!("/api/tasks/{a_id}/cancel"),
            &t,
            json!({"reason": "paused"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"success": true, "task_id": a_id, "previous_status": "queued"})
    );
    let (_, b_row) = api.get(&format!("/api/tasks/{b_id}"), &t).await;
    assert_eq!(b_row["task"]["status"], "cancelled");
    assert!(
        b_row["task"]["error_message"]
            .as_str()
            .unwrap()
            .starts_with("TASK_006")
    );

    // Cancelling again: 409. Retrying the downstream task alone: its dependency is cancelled.
    let got = api
        .post(&format!("/api/tasks/{a_id}/cancel"), &t, json!({}))
        .await;
    assert_error(&got, 409, "TASK_009");
    let got = api
        .post(&format!("/api/tasks/{b_id}/retry"), &t, json!({}))
        .await;
    assert_error(&got, 409, "TASK_006");

    // Retrying the upstream (empty body allowed) brings the cascade back.
    let (status, body) = api
        .send(
            "POST",
            &format!("/api/tasks/{a_id}/retry"),
            common::api::Auth::Bearer(&t),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["new_status"], "queued");
    assert_eq!(body["requeued_dependents"], json!([b_id]));
    let (_, b_row) = api.get(&format!("/api/tasks/{b_id}"), &t).await;
    assert_eq!(b_row["task"]["status"], "queued");
    assert_eq!(b_row["task"]["error_message"], json!(null));
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn lifecycle_routes_hide_other_tenants_and_check_bodies(pool: PgPool) {
    let db = TestDb::new(pool);
    let api = TestApi::start(&db).await;
    let ws = db.workspace().await;
    let theirs = other_workspace(&db).await;
    let mine = token("alice", &[ws]);
    let stranger = token("mallory", &[theirs]);
    let task = api.create_task(&mine, ws, json!({})).await;
    let id = task["id"].as_str().unwrap();
    for verb in ["cancel", "retry"] {
        let got = api
            .post(&format!("/api/tasks/{id}/{verb}"), &stranger, json!({}))
            .await;
        assert_error(&got, 404, "TASK_003");
        let got = api
            .post(
                &format!("/api/tasks/{}/{verb}", uuid::Uuid::new_v4()),
                &mine,
                json!({}),
            )
            .await;
        assert_error(&got, 404, "TASK_003");
        let got = api
            .post(&format!("/api/tasks/not-a-uuid/{verb}"), &mine, json!({}))
            .await;
        assert_error(&got, 400, "TASK_010");
        let got = api
            .post(
                &format!("/api/tasks/{id}/{verb}"),
                &mine,
                json!({"surprise": 1}),
            )
            .await;
        assert_error(&got, 400, "TASK_010");
    }
    let got = api
        .post(
            &format!("/api/tasks/{id}/retry"),
            &mine,
            json!({"reset_retry_count": "yes"}),
        )
        .await;
    assert_error(&got, 400, "TASK_010");
    let (_, row) = api.get(&format!("/api/tasks/{id}"), &mine).await;
    assert_eq!(row["task"]["status"], "queued", "nothing changed");
}
