//! Test harness: a fresh migrated database per test (`#[sqlx::test]`), factories, agents that are
//! real HTTP servers on loopback, and worker processes that are the real binary.
//!
//! Factories reach a state the way production does: through the queue's transitions
//! (`queue::claim`, `queue::complete`, `queue::settle` + `queue::Batch`, `queue::cancel`,
//! `queue::retry`), so every row carries the columns and audit rows the real path writes. The one
//! exception is [`TestDb::backdate`], for the age no transition can give a row.
#![allow(dead_code)]

pub mod agent;
pub mod api;
pub mod citus;
pub mod procs;
pub mod proxy;
pub mod wait;

pub use wait::wait_until;

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use taskfleet::audit::AuditMode;
use taskfleet::queue::{
    self, AttemptEnd, ClaimFilter, ClaimedTask, NewTask, Outcome, Status, Transition,
};
use taskfleet::schedule::retry::RetryPolicy;
use taskfleet::schedule::{Clock, TimeRules};
use taskfleet::worker::WorkerConfig;

pub const AGENT_SECRET: &str = "test-agent-secret-of-at-least-32-bytes";

/// The worker the factories claim and write as.
pub const TEST_WORKER: &str = "test-worker";

/// The factories' lease: long enough that no reaper takes a task back during a test.
const FACTORY_LEASE: Duration = Duration::from_secs(3600);

/// The factories' retry policy: a 1 ms backoff base, so a retried task is ready again almost at
/// once (the factories still wait until Postgres sees it ready).
const FACTORY_RETRY: RetryPolicy = RetryPolicy {
    base: Duration::from_millis(1),
    unavailable_delay: Duration::from_secs(1),
};

/// How long the helpers below wait for a state the test itself just caused.
const SHORT: Duration = Duration::from_secs(10);

/// A migrated database of its own, plus the URL subprocesses use to reach it.
pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
}

impl TestDb {
    pub fn new(pool: PgPool) -> Self {
        taskfleet::install_crypto_provider(); // for the harness's own reqwest calls
        let o = pool.connect_options();
        let url = format!(
            "postgres://{}@{}:{}/{}?sslmode=disable",
            o.get_username(),
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("postgres")
        );
        citus::distribute(&url);
        Self { pool, url }
    }

    pub async fn workspace(&self) -> Uuid {
        let (id,): (Uuid,) = sqlx::query_as(taskfleet::db::sql::WORKSPACE_CREATE)
            .bind("test workspace")
            .bind(None::<String>)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        id
    }

    pub async fn register_agent(&self, name: &str, url: &str) {
        self.register_limited_agent(name, url, None, None).await;
    }

    /// [`Self::register_agent`] with fleet-wide limits: calls at once, calls a second.
    pub async fn register_limited_agent(
        &self,
        name: &str,
        url: &str,
        max: Option<i32>,
        rate: Option<f64>,
    ) {
        sqlx::query(taskfleet::db::sql::AGENT_UPSERT)
            .bind(name)
            .bind(url)
            .bind(true)
            .bind(max)
            .bind(rate)
            .execute(&self.pool)
            .await
            .unwrap();
    }

    pub async fn insert(&self, tasks: &[NewTask]) -> Vec<Uuid> {
        for chunk in tasks.chunks(5000) {
            queue::insert(
                &mut self.pool.acquire().await.unwrap(),
                "test",
                chunk,
                false,
            )
            .await
            .unwrap();
        }
        tasks.iter().map(|t| t.id).collect()
    }

    pub async fn task(&self, id: Uuid) -> TaskRow {
        sqlx::query_as(
            "SELECT id, status, retry_count, max_retries, error_message, output_data, \
             locked_by, started_at, completed_at, next_run_at, unmet_deps \
             FROM autonomous_tasks WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await.unwrap();
        n
    }

    /// Runs the doctor's query (`sql/queue_check.sql`: the ready queue and the unmet_deps
    /// counters against status and depends_on) and panics on any disagreement.
    pub async fn assert_queue_consistent(&self) {
        let problems: Vec<(Uuid, String)> = sqlx::query_as(taskfleet::db::sql::QUEUE_CHECK)
            .fetch_all(&self.pool)
            .await
            .unwrap();
        assert!(problems.is_empty(), "queue_check found: {problems:?}");
    }

    /// Audit actions recorded for a task, oldest first.
    pub async fn audit_actions(&self, id: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Polls until `sql` (a query returning one bigint) returns `want`, or panics after `limit`.
    pub async fn wait_count(&self, sql: &'static str, want: i64, limit: Duration) {
        wait_until(&format!("`{sql}` = {want}"), limit, async || {
            let n = self.count(sql).await;
            if n == want {
                Ok(())
            } else {
                Err(n.to_string())
            }
        })
        .await
    }

    /// Waits until the task is in `status`.
    pub async fn wait_status(&self, id: Uuid, status: &str, limit: Duration) -> TaskRow {
        wait_until(&format!("task {id} is {status}"), limit, async || {
            let row = self.task(id).await;
            if row.status == status {
                Ok(row)
            } else {
                Err(format!("{row:?}"))
            }
        })
        .await
    }

    /// Waits until the task's `next_run_at` has passed by the database's clock (a backoff has
    /// elapsed), so a claim can take it.
    pub async fn wait_ready(&self, id: Uuid) {
        wait_until(&format!("task {id} is due"), SHORT, async || {
            let due: bool = sqlx::query_scalar(
                "SELECT next_run_at <= now() FROM autonomous_tasks WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap();
            due
        })
        .await
    }

    /// Waits until some session of this database is blocked on a lock: what a test that
    /// interleaves two transactions waits for before letting the first one go on.
    pub async fn wait_for_lock_waiter(&self) {
        wait_until(
            "another transaction is blocked on a lock",
            SHORT,
            async || {
                // On Citus the waiter waits on a worker node: the cluster-wide view sees it.
                let query = if citus::enabled() {
                    "SELECT count(*) FROM citus_lock_waits"
                } else {
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE wait_event_type = 'Lock' AND datname = current_database()"
                };
                self.count(query).await > 0
            },
        )
        .await
    }

    /// Claims task `id` as [`TEST_WORKER`] (`in_progress`, `task.started`). The claim is narrowed
    /// to the task's workspace, agent, type and priority, and must take `id` itself: a test with
    /// several such tasks ready gives this one its own agent or a higher priority, or creates it
    /// first.
    pub async fn start_task(&self, id: Uuid) -> ClaimedTask {
        let (workspace_id, priority, task_type, assigned_agent): (Uuid, i32, String, String) =
            sqlx::query_as(
                "SELECT workspace_id, priority, task_type, assigned_agent \
                 FROM autonomous_tasks WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        let filter = ClaimFilter {
            workspace_id: Some(workspace_id),
            priority_min: Some(priority),
            task_type: Some(task_type),
            assigned_agent: Some(assigned_agent),
            ..ClaimFilter::default()
        };
        let claimed = queue::claim(
            &self.pool,
            TEST_WORKER,
            1,
            FACTORY_LEASE,
            &filter,
            AuditMode::Outcomes,
        )
        .await
        .unwrap();
        match claimed.into_iter().next() {
            Some(task) if task.id == id => task,
            Some(other) => panic!(
                "start_task({id}) claimed {} first: give the task its own agent or a higher \
                 priority",
                other.id
            ),
            None => panic!("start_task({id}): not ready: {:?}", self.task(id).await),
        }
    }

    /// Completes a claimed attempt with `output` (`task.executed`; its dependents are unblocked).
    pub async fn complete_attempt(&self, attempt: &ClaimedTask, output: Value) {
        let done = queue::complete(&self.pool, TEST_WORKER, &[(attempt.lease(), output)])
            .await
            .unwrap();
        assert_eq!(done, [attempt.id], "the attempt's lease was stale");
    }

    /// Runs task `id` to `completed` with an empty output: claim, then complete.
    pub async fn complete_task(&self, id: Uuid) {
        let attempt = self.start_task(id).await;
        self.complete_attempt(&attempt, json!({})).await;
    }

    /// Claims every ready task and completes it, in one batch; returns their ids. One round:
    /// dependents it unblocks stay queued.
    pub async fn complete_ready(&self) -> Vec<Uuid> {
        let claimed = queue::claim(
            &self.pool,
            TEST_WORKER,
            usize::MAX,
            FACTORY_LEASE,
            &ClaimFilter::default(),
            AuditMode::Outcomes,
        )
        .await
        .unwrap();
        let items: Vec<_> = claimed.iter().map(|t| (t.lease(), json!({}))).collect();
        queue::complete(&self.pool, TEST_WORKER, &items)
            .await
            .unwrap()
    }

    /// Ends a claimed attempt the way the worker does: the outcome rule ([`queue::settle`],
    /// time-of-day rules off) decides the transition, a [`queue::Batch`] writes it. Returns it.
    pub async fn end_attempt(&self, attempt: &ClaimedTask, end: AttemptEnd) -> Transition {
        let time = TimeRules::off();
        let rules = queue::Rules {
            retry: &FACTORY_RETRY,
            time: &time,
        };
        let transition = queue::settle(attempt.attempt_view(), &end, rules, Utc::now());
        let mut batch = queue::Batch::default();
        batch.push(transition.clone());
        let applied = batch.apply(&self.pool, TEST_WORKER).await.unwrap();
        let written = [applied.completed, applied.requeued, applied.failed].concat();
        assert_eq!(written, [attempt.id], "the attempt's lease was stale");
        transition
    }

    /// Fails task `id` at once: claimed, then a permanent agent error (HTTP 422, `task.failed`;
    /// its queued dependents are cancelled with TASK_006).
    pub async fn fail_task(&self, id: Uuid) {
        let attempt = self.start_task(id).await;
        let end = AttemptEnd::Agent(Outcome::Permanent {
            class: "http_422".into(),
            error: "HTTP 422: rejected by the test".into(),
        });
        self.end_attempt(&attempt, end).await;
    }

    /// Fails task `id` the way a flaky agent does: every attempt ends in a transient error
    /// (`task.retry_scheduled`, `retry_count + 1`) until none is left, and the last one fails it
    /// with TASK_005. Returns the failed row.
    pub async fn exhaust_retries(&self, id: Uuid) -> TaskRow {
        loop {
            self.wait_ready(id).await;
            let attempt = self.start_task(id).await;
            let end = AttemptEnd::Agent(Outcome::Transient {
                class: "http_503".into(),
                error: "HTTP 503: unavailable in the test".into(),
                retry_after: None,
            });
            if let Transition::Fail(_) = self.end_attempt(&attempt, end).await {
                return self.task(id).await;
            }
        }
    }

    /// Claims up to `n` ready tasks as `worker` with a lease that runs out at once (a worker that
    /// stalls right after its claim), and waits until Postgres sees every lease expired.
    pub async fn claim_expired(&self, worker: &str, n: usize) -> Vec<ClaimedTask> {
        let claimed = queue::claim(
            &self.pool,
            worker,
            n,
            Duration::ZERO,
            &ClaimFilter::default(),
            AuditMode::Outcomes,
        )
        .await
        .unwrap();
        let ids: Vec<Uuid> = claimed.iter().map(|t| t.id).collect();
        wait_until("the claimed leases have expired", SHORT, async || {
            let stuck: i64 =
                sqlx::query_scalar("SELECT count(*) FROM stuck_tasks WHERE id = ANY($1)")
                    .bind(&ids)
                    .fetch_one(&self.pool)
                    .await
                    .unwrap();
            stuck == ids.len() as i64
        })
        .await;
        claimed
    }

    /// Cancels task `id` (and, transitively, its queued dependents) with the reason "changed
    /// plans": the previous status, or why the cancel was refused.
    pub async fn cancel(&self, id: Uuid) -> Result<Status, String> {
        let mut tx = self.pool.begin().await.unwrap();
        let previous = queue::cancel(&mut tx, id, Some("changed plans"), "test")
            .await
            .map_err(|e| e.to_string());
        tx.commit().await.unwrap();
        previous
    }

    /// Re-queues a failed or cancelled task (and the tasks cancelled on its account): the ids
    /// re-queued (the task first), or why the retry was refused.
    pub async fn retry(&self, id: Uuid, reset_retry_count: bool) -> Result<Vec<Uuid>, String> {
        let mut tx = self.pool.begin().await.unwrap();
        let ids = queue::retry(&mut tx, id, reset_retry_count, "test")
            .await
            .map_err(|e| e.to_string());
        tx.commit().await.unwrap();
        ids
    }

    /// Moves tasks `ids` and their audit rows `age` into the past: every timestamp of the task
    /// (`created_at`, `updated_at`, `next_run_at`, `started_at`, `completed_at`) and the audit
    /// rows' `created_at`, so the row reads as if it had happened `age` ago.
    ///
    /// This is the only raw write of task rows in the tests, and it exists because no transition
    /// can make a row old: every transition stamps `now()`. Use it only for what depends on a
    /// row's age (the retention sweep), after reaching the state itself through real transitions.
    pub async fn backdate(&self, ids: &[Uuid], age: TimeDelta) {
        let mut tx = self.pool.begin().await.unwrap();
        sqlx::query(
            "UPDATE autonomous_tasks SET created_at = created_at - $2, updated_at = updated_at - $2, \
             next_run_at = next_run_at - $2, started_at = started_at - $2, \
             completed_at = completed_at - $2 WHERE id = ANY($1)",
        )
        .bind(ids)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE audit_logs SET created_at = created_at - $2 WHERE resource_id = ANY($1)",
        )
        .bind(ids)
        .bind(age)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub status: String,
    pub retry_count: i32,
    pub max_retries: i32,
    pub error_message: Option<String>,
    pub output_data: Option<Value>,
    pub locked_by: Option<String>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub next_run_at: chrono::DateTime<chrono::Utc>,
    pub unmet_deps: i32,
}

/// A queued task for `agent` with sensible defaults; adjust fields as the test needs.
pub fn new_task(workspace_id: Uuid, agent: &str) -> NewTask {
    NewTask {
        id: Uuid::new_v4(),
        workspace_id,
        contact_id: None,
        strategy_id: None,
        task_description: "test task".into(),
        task_type: "content".into(),
        assigned_agent: agent.into(),
        priority: 5,
        depends_on: vec![],
        input_data: json!({}),
        max_retries: 3,
        next_run_at: None,
        plan_index: None,
        deadline: None,
        requires_approval: false,
    }
}

/// The worker settings a test of the sweeps needs: worker `id` reading `clock`, time rules off,
/// no sweep loop of its own (the test ticks the sweeps by hand). Tests override fields with
/// `WorkerConfig { lease: ..., ..sweep_worker(id, clock) }`.
pub fn sweep_worker(id: &str, clock: Clock) -> WorkerConfig {
    WorkerConfig {
        id: id.into(),
        concurrency: 1,
        task_timeout: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            unavailable_delay: Duration::from_secs(1),
        },
        poll_interval: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
        time: TimeRules::off(),
        clock,
        audit: AuditMode::Outcomes,
        claim_order: taskfleet::queue::ClaimOrder::Fair,
        breaker: Default::default(),
        sweeps: None,
    }
}
