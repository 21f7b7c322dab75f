//! The references of autonomous_tasks (migration 0016): checked once per statement instead of by
//! foreign keys, with the foreign keys' SQLSTATE and ON DELETE rules.

mod common;

use sqlx::PgPool;
use uuid::Uuid;

use common::{TestDb, new_task};

const FOREIGN_KEY_VIOLATION: &str = "23503";

async fn insert_raw(db: &TestDb, ws: Uuid, contact: Option<Uuid>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO autonomous_tasks (workspace_id, contact_id, task_description, task_type, \
         assigned_agent) VALUES ($1, $2, 'x', 'other', 'general-executor')",
    )
    .bind(ws)
    .bind(contact)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

fn sql_state(e: &sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_missing_reference_refuses_the_whole_statement(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let ghost = Uuid::now_v7();
    let e = insert_raw(&db, ghost, None).await.unwrap_err();
    assert_eq!(sql_state(&e), FOREIGN_KEY_VIOLATION, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("workspace_id {ghost} does not exist")),
        "{e}"
    );
    let e = insert_raw(&db, ws, Some(ghost)).await.unwrap_err();
    assert_eq!(sql_state(&e), FOREIGN_KEY_VIOLATION, "{e}");

    // One batch with one bad row writes nothing, through the fleet's own insert too.
    let good = new_task(ws, "general-executor");
    let bad = common::new_task(ghost, "general-executor");
    let e = taskfleet::queue::insert(
        &mut db.pool.acquire().await.unwrap(),
        "test",
        &[good, bad],
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(sql_state(&e), FOREIGN_KEY_VIOLATION, "{e}");
    assert_eq!(db.count("SELECT count(*) FROM autonomous_tasks").await, 0);

    // An UPDATE that points a task at a missing parent is refused as well.
    insert_raw(&db, ws, None).await.unwrap();
    let e = sqlx::query("UPDATE autonomous_tasks SET strategy_id = $1")
        .bind(ghost)
        .execute(&db.pool)
        .await
        .unwrap_err();
    assert_eq!(sql_state(&e), FOREIGN_KEY_VIOLATION, "{e}");
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn deleting_a_parent_does_what_the_foreign_keys_did(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    let other = db.workspace().await;
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contacts (workspace_id, name) VALUES ($1, 'Ada') RETURNING id",
    )
    .bind(ws)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    insert_raw(&db, ws, Some(contact)).await.unwrap();
    db.insert(&[
        new_task(ws, "general-executor"),
        new_task(other, "general-executor"),
    ])
    .await;

    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM autonomous_tasks WHERE contact_id IS NOT NULL")
            .await,
        0
    );

    sqlx::query("DELETE FROM workspaces WHERE id = $1")
        .bind(ws)
        .execute(&db.pool)
        .await
        .unwrap();
    let left: Vec<Uuid> = sqlx::query_scalar("SELECT workspace_id FROM autonomous_tasks")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        left,
        [other],
        "the workspace's tasks go with it, no one else's"
    );
    let queued: Vec<Uuid> = sqlx::query_scalar("SELECT workspace_id FROM task_queue")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(queued, [other], "and so do their task_queue rows");
    db.assert_queue_consistent().await;
}
