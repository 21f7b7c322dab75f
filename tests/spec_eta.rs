//! `eta_seconds` on GET /api/tasks/status (contract section 9; README "ETA"): for queued and
//! in_progress tasks, from the tasks ahead of it for the same agent, that agent's recent
//! completion rate and its average execution time; null without history and for finished tasks.

mod common;

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use common::api::ApiCtx;
use common::new_task;

/// eta_seconds by task id, from one status page of the workspace.
async fn etas(c: &ApiCtx) -> Vec<(Uuid, Value)> {
    let (status, body) = c
        .api
        .get(
            &format!("/api/tasks/status?workspace_id={}", c.ws),
            &c.token,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let eta = t
                .get("eta_seconds")
                .cloned()
                .expect("eta_seconds is always present");
            (t["id"].as_str().unwrap().parse().unwrap(), eta)
        })
        .collect()
}

async fn eta_of(c: &ApiCtx, id: Uuid) -> Value {
    etas(c)
        .await
        .into_iter()
        .find(|(t, _)| *t == id)
        .map(|(_, eta)| eta)
        .unwrap()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn eta_counts_the_tasks_ahead_at_the_agents_rate_and_average(pool: PgPool) {
    let c = ApiCtx::new(pool).await;
    let history =
        c.db.insert(&[
            new_task(c.ws, "content-generator"),
            new_task(c.ws, "content-generator"),
        ])
        .await;
    // Without history: null.
    for (_, eta) in etas(&c).await {
        assert_eq!(eta, Value::Null);
    }
    c.db.complete_ready().await;
    // Two completions in the last hour that took 10 s each (moved back, as backdate does: no
    // transition gives a row a 10 s execution without waiting for it).
    sqlx::query(
        "UPDATE autonomous_tasks SET started_at = completed_at - interval '10 seconds' \
         WHERE id = ANY($1)",
    )
    .bind(&history)
    .execute(&c.db.pool)
    .await
    .unwrap();
    for (_, eta) in etas(&c).await {
        assert_eq!(eta, Value::Null, "finished tasks have no ETA");
    }

    // In claim order: priority first (they share created_at, and ids are random).
    let queued: Vec<Uuid> = {
        let tasks: Vec<_> = [7, 6, 5]
            .into_iter()
            .map(|priority| {
                let mut t = new_task(c.ws, "content-generator");
                t.priority = priority;
                t
            })
            .collect();
        c.db.insert(&tasks).await
    };
    let other = c.db.insert(&[new_task(c.ws, "email-agent")]).await[0];
    // Rate: 2 per hour is below one slot's 1 per 10 s, so 0.1/s; each task ahead adds 10 s.
    assert_eq!(eta_of(&c, queued[0]).await, 10.0);
    assert_eq!(eta_of(&c, queued[1]).await, 20.0);
    assert_eq!(eta_of(&c, queued[2]).await, 30.0);
    assert_eq!(
        eta_of(&c, other).await,
        Value::Null,
        "email-agent has no history"
    );

    // The first starts: it has at most its average left, and the others still wait for it.
    let attempt = c.db.start_task(queued[0]).await;
    let running = eta_of(&c, queued[0]).await.as_f64().unwrap();
    assert!((0.0..=10.0).contains(&running), "{running}");
    assert_eq!(eta_of(&c, queued[1]).await, 20.0);
    c.db.complete_attempt(&attempt, serde_json::json!({})).await;
    assert_eq!(eta_of(&c, queued[0]).await, Value::Null);
}
