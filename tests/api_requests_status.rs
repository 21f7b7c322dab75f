//! GET /api/tasks/status: its query parameters, filters, the summary, paging, and
//! `dependencies_met` as a dependency moves through its states.

mod common;

use std::collections::HashSet;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::{ApiCtx, other_workspace, uuid};
use common::new_task;

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
async fn status_rejects_unknown_query_parameters_and_bad_values(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let ws = c.ws;
    for (query, word) in [
        (format!("workspace_id={ws}&colour=red"), "colour"),
        (format!("workspace_id={ws}&status=done"), "done"),
        (format!("workspace_id={ws}&limit=0"), "limit"),
        (format!("workspace_id={ws}&limit=1001"), "limit"),
        (format!("workspace_id={ws}&limit=two"), "limit"),
        (format!("workspace_id={ws}&assigned_agent=a%00b"), "NUL"),
        (format!("workspace_id={ws}&status=queued%00"), "NUL"),
        (
            format!("workspace_id={ws}&cursor={}", Uuid::now_v7()),
            "cursor",
        ),
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
async fn status_filters_by_status_agent_and_task_id(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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
    // The oldest content task, so the first its agent would claim.
    c.db.complete_task(uuid(&content[0]["id"])).await;
    // A task of another workspace never shows up.
    let other = other_workspace(&c.db).await;
    c.db.insert(&[new_task(other, "email-agent")]).await;

    let all = c.status_page("").await;
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

    let done = c.status_page("&status=completed").await;
    assert_eq!(ids(&done), [id(&content[0])]);
    assert_eq!(done["tasks"][0]["status"], "completed");
    assert_eq!(done["tasks"][0]["progress_percentage"], 100);

    let queued = c.status_page("&status=queued").await;
    assert_eq!(
        sorted(ids(&queued)),
        sorted(vec![id(&content[1]), id(&content[2]), id(&email)])
    );

    let by_agent = c.status_page("&assigned_agent=email-agent").await;
    assert_eq!(ids(&by_agent), [id(&email)]);
    let t = &by_agent["tasks"][0];
    assert_eq!(t["description"], "Send the newsletter");
    assert_eq!(t["assigned_agent"], "email-agent");
    assert_eq!(t["priority"], 5);
    assert_eq!(t["status"], "queued");
    assert_eq!(t["progress_percentage"], 0);
    assert_eq!(t["dependencies_met"], true);

    let one = c
        .status_page(&format!("&task_id={}", id(&content[2])))
        .await;
    assert_eq!(ids(&one), [id(&content[2])]);

    let none = c.status_page("&assigned_agent=nobody").await;
    assert!(ids(&none).is_empty(), "{none}");
    assert_eq!(none["summary"]["total"], 0);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn status_pages_walk_every_task_once_and_the_summary_covers_all(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
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
        let page = c.status_page(&query).await;
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
    let c = ApiCtx::new(pool).await;
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
    let page = c.status_page("").await;
    assert_eq!(met(&page, &up_id), true);
    assert_eq!(met(&page, &down_id), false);

    let attempt = c.db.start_task(uuid(&upstream["id"])).await;
    let page = c.status_page("").await;
    assert_eq!(met(&page, &down_id), false, "in_progress is not completed");

    c.db.complete_attempt(&attempt, json!({})).await;
    let page = c.status_page("").await;
    assert_eq!(met(&page, &down_id), true);
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_cursor_from_another_workspace_is_refused(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    c.api.create_task(&c.token, c.ws, json!({})).await;
    let elsewhere = other_workspace(&c.db).await;
    let foreign =
        c.db.insert(&[new_task(elsewhere, "content-generator")])
            .await[0];
    let msg = c
        .reject(
            "GET",
            &format!("/api/tasks/status?workspace_id={}&cursor={foreign}", c.ws),
            None,
            400,
            "TASK_010",
        )
        .await;
    assert!(msg.contains("cursor"), "{msg:?}");
}
