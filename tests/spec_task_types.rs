//! Task types are the specification's nine values (contract section 8): decomposition classifies
//! each activity's text by the contract's keyword rules, pillars are `content` and KPIs
//! `analysis`, and POST /api/tasks takes nothing else (422 TASK_007).

mod common;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use common::api::ApiCtx;

const NINE: [&str; 9] = [
    "content",
    "design",
    "campaign",
    "analysis",
    "email",
    "social_media",
    "research",
    "strategy",
    "other",
];

/// (description, task_type) of every task the strategy decomposes into, in plan order.
async fn decompose(c: &ApiCtx, strategy: Value) -> Vec<(String, String)> {
    let strategy_id = c.api.create_strategy(&c.token, strategy).await;
    let (status, body) = c
        .api
        .post(
            "/api/tasks/decompose",
            &c.token,
            json!({"strategy_id": strategy_id, "workspace_id": c.ws}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["task_description"].as_str().unwrap().to_owned(),
                t["task_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The strategy of the README's "Running the pieces yourself".
fn readme_strategy(ws: Uuid) -> Value {
    json!({
      "workspace_id": ws, "name": "Q1 launch",
      "campaign_calendar": {"phases": [
        {"phase_name": "Phase 1: Awareness", "key_activities": ["Write launch blog post", "Launch LinkedIn ad campaign"]},
        {"phase_name": "Phase 2: Engagement", "key_activities": ["Schedule social posts", "Send email drip"], "duration_days": 14}]},
      "content_pillars": [{"name": "AI Education", "percentage_allocation": 40}],
      "kpis": [{"metric_name": "MQLs", "target": 100}]})
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_readme_strategy_decomposes_into_the_nine_types_only(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let got = decompose(&c, readme_strategy(c.ws)).await;
    assert_eq!(
        got,
        owned(&[
            // "post" is social media, a rule before "blog".
            ("Write launch blog post", "social_media"),
            ("Launch LinkedIn ad campaign", "campaign"),
            ("Schedule social posts", "social_media"),
            ("Send email drip", "email"),
            ("Create content for AI Education pillar", "content"),
            ("Setup tracking for MQLs", "analysis"),
        ])
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_demo_strategy_decomposes_into_the_nine_types_only(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let mut strategy: Value =
        serde_json::from_str(include_str!("../src/demo/sample_strategy.json")).unwrap();
    strategy["workspace_id"] = json!(c.ws);
    let got = decompose(&c, strategy).await;
    assert!(got.len() > 10, "{got:?}");
    for (description, task_type) in &got {
        assert!(
            NINE.contains(&task_type.as_str()),
            "{description}: {task_type}"
        );
    }
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT task_type FROM autonomous_tasks ORDER BY 1")
            .fetch_all(&c.db.pool)
            .await
            .unwrap();
    assert!(
        stored.iter().all(|t| NINE.contains(&t.as_str())),
        "{stored:?}"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn post_tasks_takes_the_nine_types_and_nothing_else(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    for task_type in NINE {
        let task = c
            .api
            .create_task(&c.token, c.ws, json!({"task_type": task_type}))
            .await;
        assert_eq!(task["task_type"], task_type);
    }
    for task_type in ["scheduling", "general", "Content", ""] {
        let mut body = common::api::task_body(c.ws);
        body["task_type"] = json!(task_type);
        let msg = c
            .reject("POST", "/api/tasks", Some(body.into()), 422, "TASK_007")
            .await;
        assert!(msg.contains("social_media"), "names the nine: {msg}");
    }
    // The database's CHECK says the same to anything that bypasses the API.
    let err = sqlx::query(
        "INSERT INTO autonomous_tasks (workspace_id, task_description, task_type, assigned_agent) \
         VALUES ($1, 'x', 'general', 'general-executor')",
    )
    .bind(c.ws)
    .execute(&c.db.pool)
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("autonomous_tasks_task_type_check"),
        "{err}"
    );
}
