//! The claim across workspaces (`TASKFLEET_CLAIM_ORDER`, sql/task_claim.sql): `fair` shares each
//! claim among the workspaces with work, urgent tasks first everywhere; `global` keeps priority,
//! then age, across all of them. Correctness only; the timing is `taskfleet bench --tenants`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use common::{TestDb, new_task};
use taskfleet::audit::AuditMode;
use taskfleet::queue::{self, ClaimFilter, ClaimOrder, ClaimedTask};

/// `n` tasks of `priority` in `ws`, inserted in one batch.
async fn queue_tasks(db: &TestDb, ws: Uuid, n: usize, priority: i32) -> Vec<Uuid> {
    let tasks: Vec<_> = (0..n)
        .map(|_| taskfleet::queue::NewTask {
            id: Uuid::now_v7(),
            priority,
            ..new_task(ws, "general-executor")
        })
        .collect();
    db.insert(&tasks).await
}

async fn claim(db: &TestDb, n: usize, order: ClaimOrder) -> Vec<ClaimedTask> {
    let filter = ClaimFilter {
        order,
        ..ClaimFilter::default()
    };
    queue::claim(
        &db.pool,
        "w",
        n,
        Duration::from_secs(60),
        &filter,
        AuditMode::Outcomes,
    )
    .await
    .unwrap()
}

fn per_workspace(claimed: &[ClaimedTask]) -> HashMap<Uuid, usize> {
    let mut counts = HashMap::new();
    for t in claimed {
        *counts.entry(t.workspace_id).or_default() += 1;
    }
    counts
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_fair_claim_shares_between_workspaces_and_a_global_one_does_not(pool: PgPool) {
    let db = TestDb::new(pool);
    let (a, b) = (db.workspace().await, db.workspace().await);
    queue_tasks(&db, a, 300, 5).await;
    // B's tasks are younger, at the same priority: the global order puts all of A's first.
    let b_tasks = queue_tasks(&db, b, 10, 5).await;

    let global = claim(&db, 20, ClaimOrder::Global).await;
    assert_eq!(per_workspace(&global), HashMap::from([(a, 20)]));

    let fair = claim(&db, 20, ClaimOrder::Fair).await;
    assert_eq!(fair.len(), 20);
    assert_eq!(per_workspace(&fair), HashMap::from([(a, 10), (b, 10)]));
    let mut got: Vec<Uuid> = fair
        .iter()
        .filter(|t| t.workspace_id == b)
        .map(|t| t.id)
        .collect();
    got.sort();
    let mut want = b_tasks.clone();
    want.sort();
    assert_eq!(got, want);

    // B has no work left: A gets the whole claim, in its own order.
    let only_a = claim(&db, 20, ClaimOrder::Fair).await;
    assert_eq!(per_workspace(&only_a), HashMap::from([(a, 20)]));
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn urgent_tasks_come_first_everywhere_and_each_share_keeps_its_priority_order(pool: PgPool) {
    let db = TestDb::new(pool);
    let (a, b, c) = (
        db.workspace().await,
        db.workspace().await,
        db.workspace().await,
    );
    queue_tasks(&db, a, 50, 5).await;
    let urgent = queue_tasks(&db, b, 4, 10).await;
    let high = queue_tasks(&db, c, 3, 8).await;
    queue_tasks(&db, c, 20, 2).await;

    // B's 4 urgent tasks first; the other 8 shared by the 3 workspaces with work, 3 each: A 3,
    // C its 3 at priority 8, B none (it has only urgent ones); the 2 left over go by the global
    // order, to A's priority-5 tasks.
    let claimed = claim(&db, 12, ClaimOrder::Fair).await;
    assert_eq!(claimed.len(), 12);
    let ids: Vec<Uuid> = claimed.iter().map(|t| t.id).collect();
    assert!(urgent.iter().all(|u| ids.contains(u)), "urgent tasks first");
    assert!(
        high.iter().all(|h| ids.contains(h)),
        "C's own priority order"
    );
    assert_eq!(
        per_workspace(&claimed),
        HashMap::from([(a, 5), (b, 4), (c, 3)])
    );
    // Returned in claim order: priority, then age.
    let priorities: Vec<i32> = claimed.iter().map(|t| t.priority).collect();
    let mut sorted = priorities.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(priorities, sorted);
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn a_single_workspace_gets_the_whole_claim_in_either_order(pool: PgPool) {
    let db = TestDb::new(pool);
    let ws = db.workspace().await;
    queue_tasks(&db, ws, 100, 5).await;
    assert_eq!(claim(&db, 40, ClaimOrder::Fair).await.len(), 40);
    assert_eq!(claim(&db, 40, ClaimOrder::Global).await.len(), 40);
    // Two claims never take the same task.
    let third = claim(&db, 40, ClaimOrder::Fair).await;
    assert_eq!(third.len(), 20);
    db.assert_queue_consistent().await;
}
