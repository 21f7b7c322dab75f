//! The specification's three alerts, per workspace (contract section 9): `queue_depth`,
//! `failure_rate` and `slow_execution`, evaluated in SQL (`sql/alert_evaluate.sql`). Read by
//! `GET /api/metrics/orchestrator`; the workers' `alerts` sweep records each change
//! (`sql/alert_record.sql`: `alert.raised` / `alert.resolved`) and exports the values as gauges.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::db::sql;

/// When each alert fires (`TASKFLEET_ALERT_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `queue_depth`: more queued tasks than this.
    pub queue_depth: u64,
    /// `failure_rate`: failed above this share of today's finished tasks ...
    pub failure_rate: f64,
    /// ... once at least this many finished today.
    pub failure_min_finished: u32,
    /// `slow_execution`: an execution longer than this ...
    pub slow_execution: Duration,
    /// ... that finished within this window.
    pub slow_window: Duration,
}

impl Default for Thresholds {
    /// The specification's: > 100 queued, > 10 % failed of at least 10, > 60 s in 15 minutes.
    fn default() -> Self {
        Self {
            queue_depth: 100,
            failure_rate: 0.10,
            failure_min_finished: 10,
            slow_execution: Duration::from_secs(60),
            slow_window: Duration::from_secs(15 * 60),
        }
    }
}

/// One alert of one workspace as `alert_evaluate.sql` computes it, with what the sweep recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Evaluated {
    pub workspace_id: Uuid,
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub firing: bool,
    /// Tasks that finished today (the failure rate's denominator).
    pub finished_today: i64,
    pub recorded_firing: bool,
    pub recorded_since: Option<DateTime<Utc>>,
}

/// An alert as `GET /api/metrics/orchestrator` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub firing: bool,
    /// When the alerts sweep saw it enter its current state; null until the sweep has (it runs
    /// every `TASKFLEET_ALERTS_CRON` tick), or when it has never fired.
    pub since: Option<DateTime<Utc>>,
}

impl Evaluated {
    pub fn alert(&self) -> Alert {
        Alert {
            name: self.name.clone(),
            value: self.value,
            threshold: self.threshold,
            firing: self.firing,
            since: (self.firing == self.recorded_firing)
                .then_some(self.recorded_since)
                .flatten(),
        }
    }
}

/// Evaluates the alerts of `workspace` (None: of every workspace); `zone` is the day's zone for
/// workspaces that set none.
pub async fn evaluate(
    db: impl PgExecutor<'_>,
    workspace: Option<Uuid>,
    zone: &str,
    t: &Thresholds,
) -> Result<Vec<Evaluated>, sqlx::Error> {
    crate::db::query_as(sql::ALERT_EVALUATE)
        .bind(workspace)
        .bind(zone)
        .bind(t.queue_depth as f64)
        .bind(t.failure_rate)
        .bind(t.failure_min_finished as i32)
        .bind(t.slow_execution.as_secs_f64())
        .bind(t.slow_window.as_secs_f64())
        .fetch_all(db)
        .await
}

/// An alert whose state changed at this evaluation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub workspace_id: Uuid,
    pub name: String,
    pub value: f64,
    pub threshold: f64,
    pub firing: bool,
}

/// Records the evaluation: the alerts whose firing changed get their new state and one audit
/// row each (`alert.raised` / `alert.resolved`); returns them.
pub async fn record(
    db: impl PgExecutor<'_>,
    evaluated: &[Evaluated],
    actor: &str,
) -> Result<Vec<Change>, sqlx::Error> {
    let input: Vec<_> = evaluated
        .iter()
        .map(|e| {
            json!({"workspace_id": e.workspace_id, "name": e.name, "value": e.value,
                   "threshold": e.threshold, "firing": e.firing})
        })
        .collect();
    crate::db::query_as(sql::ALERT_RECORD)
        .bind(sqlx::types::Json(input))
        .bind(actor)
        .fetch_all(db)
        .await
}
