//! Fleet-wide periodic sweeps on cron schedules (the `cron` crate's syntax: seconds first,
//! evaluated in `TASKFLEET_TIMEZONE`). Every worker runs the schedule loop, but each tick of each
//! sweep runs on one worker only: the worker must win the sweep's advisory lock *and* claim the
//! tick in `sweep_runs` (`sql/sweep_claim_tick.sql`). Sweeps:
//!
//! * `lease_reaper`: takes back expired leases (every `TASKFLEET_LEASE_SECS / 2` by default);
//! * `queue_metrics`: queue-depth gauges for `/metrics` and a warning for stale ready tasks
//!   (ready longer than `TASKFLEET_STALE_AFTER_SECS`); the workers that lose a tick copy the last
//!   recorded measurement into their gauges;
//! * `retention`: deletes terminal tasks and audit rows older than `TASKFLEET_RETENTION_DAYS`, in
//!   batches, and the `template_ticks` rows of ticks that can never be due again;
//! * `deadline_escalation`: raises to 9 the priority of unfinished tasks whose deadline came
//!   within 48 hours of the worker's clock (`task.escalated`);
//! * `alerts`: evaluates the specification's alerts of every workspace, writes `alert.raised` /
//!   `alert.resolved` on each change (and logs it at warn), and exports the values as gauges
//!   (followed by the workers that lose a tick, as `queue_metrics` is);
//! * `templates`: creates the task of every recurring template's due tick, at the worker's
//!   clock (`crate::templates`: daylight saving and catch-up rules there); the primary key of
//!   `template_ticks` keeps it to one task per tick even without the lock and tick claim.
//!
//! [`Sweeps::run_if_due`] runs one tick by hand (tests); [`Sweeps::run`] is the loop, which only
//! ticks.

use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::background::reap_once;
use super::config::WorkerConfig;
pub use super::sweep_schedule::{Sweep, SweepConfig};
use crate::alerts;
use crate::db::sql;
use crate::schedule::deadline::{URGENT_PRIORITY, URGENT_WINDOW};
use crate::templates;

/// Deletes per retention statement.
const RETENTION_BATCH: i32 = 1000;

/// Tasks per deadline escalation statement.
const ESCALATION_BATCH: i32 = 500;

pub struct Sweeps {
    pool: PgPool,
    worker: WorkerConfig,
    cfg: SweepConfig,
}

impl Sweeps {
    pub fn new(pool: PgPool, worker: WorkerConfig, cfg: SweepConfig) -> Self {
        Self { pool, worker, cfg }
    }

    /// Runs `sweep` for `tick` if this worker wins it; returns what it did, or None when another
    /// worker has it (running now, or already ran this tick).
    pub async fn run_if_due(&self, sweep: Sweep, tick: DateTime<Utc>) -> Result<Option<Value>> {
        let mut conn = self.pool.acquire().await?;
        let locked: bool = crate::db::query_scalar(sql::SWEEP_TRY_LOCK)
            .bind(sweep.lock_key())
            .fetch_one(&mut *conn)
            .await?;
        if !locked {
            return Ok(None);
        }
        let outcome = async {
            let claimed: Option<String> = crate::db::query_scalar(sql::SWEEP_CLAIM_TICK)
                .bind(sweep.name())
                .bind(tick)
                .fetch_optional(&mut *conn)
                .await?;
            if claimed.is_none() {
                return Ok(None);
            }
            let result = self.run_once(sweep).await?;
            crate::db::query(sql::SWEEP_RECORD_RESULT)
                .bind(sweep.name())
                .bind(sqlx::types::Json(&result))
                .execute(&mut *conn)
                .await?;
            Ok::<_, anyhow::Error>(Some(result))
        }
        .await;
        // Unlock on the same session, whatever happened.
        let _ = crate::db::query(sql::SWEEP_UNLOCK)
            .bind(sweep.lock_key())
            .execute(&mut *conn)
            .await;
        outcome
    }

    /// The sweep's work itself.
    pub async fn run_once(&self, sweep: Sweep) -> Result<Value> {
        match sweep {
            Sweep::LeaseReaper => {
                Ok(json!({"reclaimed": reap_once(&self.pool, &self.worker).await}))
            }
            Sweep::QueueMetrics => self.queue_metrics().await,
            Sweep::Retention => self.retention().await,
            Sweep::DeadlineEscalation => self.escalate_deadlines().await,
            Sweep::Alerts => self.alerts().await,
            Sweep::Templates => {
                let now = self.worker.clock.now();
                let done = templates::run_due(&self.pool, now, &self.worker.id).await?;
                // Counts only: at 09:00 thousands of templates may fire, and this result is
                // written to sweep_runs on every pass (the log names each task).
                Ok(json!({"now": now, "created": done.created.len(),
                          "skipped": done.skipped.len(), "failed": done.failed}))
            }
        }
    }

    /// Raises the tasks whose deadline is now within the window, in batches, at the worker's
    /// clock (tests move it).
    async fn escalate_deadlines(&self) -> Result<Value> {
        let now = self.worker.clock.now();
        let window = URGENT_WINDOW.as_seconds_f64();
        let mut escalated = 0usize;
        loop {
            let rows: Vec<(uuid::Uuid, uuid::Uuid, i32, i32, i64)> =
                crate::db::query_as(sql::TASK_ESCALATE_DEADLINES)
                    .bind(now)
                    .bind(window)
                    .bind(URGENT_PRIORITY)
                    .bind(&self.worker.id)
                    .bind(ESCALATION_BATCH)
                    .fetch_all(&self.pool)
                    .await?;
            for (task_id, workspace_id, from, to, _) in &rows {
                tracing::info!(%task_id, %workspace_id, from_priority = from, to_priority = to,
                               "deadline within 48 hours: priority raised");
            }
            escalated += rows.len();
            if rows.len() < ESCALATION_BATCH as usize {
                break;
            }
        }
        Ok(json!({"escalated": escalated, "now": now}))
    }

    /// Evaluates every workspace's alerts and records what changed.
    async fn alerts(&self) -> Result<Value> {
        let evaluated =
            alerts::evaluate(&self.pool, None, self.cfg.zone.name(), &self.cfg.alerts).await?;
        let changes = alerts::record(&self.pool, &evaluated, &self.worker.id).await?;
        for c in &changes {
            let state = if c.firing { "raised" } else { "resolved" };
            tracing::warn!(workspace_id = %c.workspace_id, alert = %c.name, value = c.value,
                           threshold = c.threshold, "alert {state}");
        }
        let result = json!({
            "raised": changes.iter().filter(|c| c.firing).count(),
            "resolved": changes.iter().filter(|c| !c.firing).count(),
            "alerts": evaluated.iter().map(|e| json!({
                "workspace_id": e.workspace_id, "name": e.name, "value": e.value,
                "firing": e.firing, "finished_today": e.finished_today,
            })).collect::<Vec<_>>(),
        });
        set_alert_gauges(&result);
        Ok(result)
    }

    /// The losers of an alerts tick copy its winner's values, as for `queue_metrics`.
    async fn follow_alerts(&self) -> Result<()> {
        let last: Option<Value> = crate::db::query_scalar(sql::SWEEP_LAST_RESULT)
            .bind(Sweep::Alerts.name())
            .fetch_optional(&self.pool)
            .await?;
        if let Some(last) = last {
            set_alert_gauges(&last);
        }
        Ok(())
    }

    async fn queue_metrics(&self) -> Result<Value> {
        let (queued, in_progress, ready, stale, oldest, approvals, stale_approvals): (
            i64,
            i64,
            i64,
            i64,
            f64,
            i64,
            i64,
        ) = crate::db::query_as(sql::QUEUE_DEPTH)
            .bind(self.cfg.stale_after.as_secs_f64())
            .bind(self.cfg.approval_remind.as_secs_f64())
            .fetch_one(&self.pool)
            .await?;
        if stale > 0 {
            tracing::warn!(
                stale,
                oldest_ready_age_secs = oldest,
                "ready tasks are waiting longer than the stale threshold: add workers?"
            );
        }
        if stale_approvals > 0 {
            tracing::warn!(
                stale_approvals,
                "results have waited for approval longer than TASKFLEET_APPROVAL_REMIND_SECS"
            );
        }
        let result = json!({"queued": queued, "in_progress": in_progress, "ready": ready,
                            "stale": stale, "oldest_ready_age_secs": oldest,
                            "approvals_pending": approvals, "approvals_stale": stale_approvals});
        set_queue_gauges(&result);
        Ok(result)
    }

    /// A worker that lost a queue_metrics tick copies the winner's last measurement into its own
    /// gauges: alerts take max() over the fleet, so a worker that rarely wins must not keep
    /// exporting a depth it measured long ago.
    async fn follow_queue_metrics(&self) -> Result<()> {
        let last: Option<Value> = crate::db::query_scalar(sql::SWEEP_LAST_RESULT)
            .bind(Sweep::QueueMetrics.name())
            .fetch_optional(&self.pool)
            .await?;
        if let Some(last) = last {
            set_queue_gauges(&last);
        }
        Ok(())
    }

    async fn retention(&self) -> Result<Value> {
        let cutoff =
            Utc::now() - TimeDelta::from_std(self.cfg.retention_age).unwrap_or(TimeDelta::MAX);
        let tasks = delete_in_batches(&self.pool, sql::TASK_DELETE_EXPIRED, cutoff).await?;
        let audit = delete_in_batches(&self.pool, sql::AUDIT_DELETE_EXPIRED, cutoff).await?;
        let ticks =
            delete_in_batches(&self.pool, sql::TEMPLATE_TICK_DELETE_EXPIRED, cutoff).await?;
        if tasks + audit + ticks > 0 {
            tracing::info!(tasks, audit_rows = audit, template_ticks = ticks, %cutoff,
                           "retention sweep deleted old rows");
        }
        Ok(json!({"tasks_deleted": tasks, "audit_rows_deleted": audit,
                  "template_ticks_deleted": ticks, "cutoff": cutoff}))
    }

    /// Runs the schedule until `stop`: sleeps to the next tick of any sweep and runs the sweeps
    /// due then (if this worker wins them).
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let now = Utc::now();
            let Some((tick, due)) = self.next_due(now) else {
                return;
            };
            let wait = (tick - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            for sweep in due {
                let outcome = match self.run_if_due(sweep, tick).await {
                    Ok(None) if sweep == Sweep::QueueMetrics => self.follow_queue_metrics().await,
                    Ok(None) if sweep == Sweep::Alerts => self.follow_alerts().await,
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                };
                if let Err(e) = outcome {
                    tracing::warn!(sweep = sweep.name(), error = %e, "sweep failed");
                }
            }
        }
    }

    fn next_due(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, Vec<Sweep>)> {
        let ticks: Vec<(Sweep, DateTime<Utc>)> = Sweep::ALL
            .iter()
            .filter_map(|&s| self.cfg.next_tick(s, now).map(|t| (s, t)))
            .collect();
        let first = ticks.iter().map(|(_, t)| *t).min()?;
        Some((
            first,
            ticks
                .into_iter()
                .filter(|(_, t)| *t == first)
                .map(|(s, _)| s)
                .collect(),
        ))
    }
}

/// Sets the queue gauges from a queue_metrics result (this worker's or the tick winner's); a
/// result without a field (none recorded yet) leaves that gauge alone.
fn set_queue_gauges(result: &Value) {
    let field = |name: &str| result.get(name).and_then(Value::as_f64);
    for status in ["queued", "in_progress", "ready"] {
        if let Some(v) = field(status) {
            metrics::gauge!("taskfleet_queue_depth", "status" => status).set(v);
        }
    }
    if let Some(v) = field("stale") {
        metrics::gauge!("taskfleet_stale_ready_tasks").set(v);
    }
    if let Some(v) = field("oldest_ready_age_secs") {
        metrics::gauge!("taskfleet_oldest_ready_age_seconds").set(v);
    }
    if let Some(v) = field("approvals_pending") {
        metrics::gauge!("taskfleet_approvals_pending").set(v);
    }
    if let Some(v) = field("approvals_stale") {
        metrics::gauge!("taskfleet_approvals_stale").set(v);
    }
}

/// Per-workspace gauges from an alerts result: the values the PrometheusRule's alerts compare
/// with their thresholds, and whether the fleet's own evaluation fires.
fn set_alert_gauges(result: &Value) {
    let Some(list) = result.get("alerts").and_then(Value::as_array) else {
        return;
    };
    for a in list {
        let (Some(ws), Some(name), Some(value)) = (
            a.get("workspace_id").and_then(Value::as_str),
            a.get("name").and_then(Value::as_str),
            a.get("value").and_then(Value::as_f64),
        ) else {
            continue;
        };
        let ws = ws.to_owned();
        let firing = a.get("firing").and_then(Value::as_bool).unwrap_or(false);
        metrics::gauge!("taskfleet_alert_firing", "workspace_id" => ws.clone(), "alert" => name.to_owned())
            .set(if firing { 1.0 } else { 0.0 });
        match name {
            "queue_depth" => {
                metrics::gauge!("taskfleet_workspace_queued_tasks", "workspace_id" => ws).set(value)
            }
            "failure_rate" => {
                metrics::gauge!("taskfleet_workspace_failure_ratio", "workspace_id" => ws.clone())
                    .set(value);
                if let Some(n) = a.get("finished_today").and_then(Value::as_f64) {
                    metrics::gauge!("taskfleet_workspace_finished_today_tasks", "workspace_id" => ws)
                        .set(n);
                }
            }
            "slow_execution" => metrics::gauge!(
                "taskfleet_workspace_slowest_execution_seconds", "workspace_id" => ws
            )
            .set(value),
            _ => {}
        }
    }
}

/// Runs a retention statement (which deletes one batch and returns how many) until a batch
/// comes back short.
async fn delete_in_batches(
    pool: &PgPool,
    statement: &'static str,
    cutoff: DateTime<Utc>,
) -> Result<u64> {
    let mut total = 0;
    loop {
        let deleted: i64 = crate::db::query_scalar(statement)
            .bind(cutoff)
            .bind(RETENTION_BATCH)
            .fetch_one(pool)
            .await?;
        total += deleted as u64;
        if deleted < i64::from(RETENTION_BATCH) {
            return Ok(total);
        }
    }
}
