//! One pass of the `templates` sweep: for every enabled template, the tick due at `now`
//! ([`tick::due`](super::tick::due)) is settled: its task created, or skipped when too old to
//! catch up. Each template is its own statement, so one template's failure does not hold back
//! the others; its tick stays unsettled and the next pass tries again.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::model;
use super::store::{self, Scheduled};
use super::tick::{self, Due};

/// What one pass did (the sweep's recorded result).
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct SweepSummary {
    /// Tasks created.
    pub created: Vec<Settled>,
    /// Ticks settled without a task, as older than their template's catch-up window.
    pub skipped: Vec<Settled>,
    /// Templates whose tick failed (logged), tried again on the next pass.
    pub failed: usize,
}

/// One tick of one template, and its task if one was created.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Settled {
    pub template_id: Uuid,
    pub tick: DateTime<Utc>,
    pub task_id: Option<Uuid>,
}

/// Settles every enabled template's due tick at `now` (the worker's clock), writing `actor` to
/// the audit rows. Safe to run on every worker at once: the task of a tick is created once.
pub async fn run_due(pool: &PgPool, now: DateTime<Utc>, actor: &str) -> sqlx::Result<SweepSummary> {
    let mut summary = SweepSummary::default();
    for t in store::list_enabled(pool).await? {
        let Some(due) = due_at(&t, now) else {
            continue;
        };
        let outcome = match due {
            Due::Run(at) => store::instantiate(pool, t.id, at, actor)
                .await
                .map(|task| {
                    if let Some(task_id) = task {
                        tracing::info!(template_id = %t.id, workspace_id = %t.workspace_id,
                                       %task_id, tick = %at, "template task created");
                        summary.created.push(Settled {
                            template_id: t.id,
                            tick: at,
                            task_id: Some(task_id),
                        });
                    }
                }),
            Due::Skip(at) => store::skip_tick(pool, t.id, at).await.map(|settled| {
                if settled {
                    tracing::warn!(template_id = %t.id, workspace_id = %t.workspace_id,
                                   tick = %at, catch_up_secs = t.catch_up_secs,
                                   "template tick missed by more than its catch-up window: skipped");
                    summary.skipped.push(Settled {
                        template_id: t.id,
                        tick: at,
                        task_id: None,
                    });
                }
            }),
        };
        if let Err(e) = outcome {
            if crate::db::is_unavailable(&e) {
                return Err(e);
            }
            tracing::warn!(template_id = %t.id, error = %e, "template tick failed");
            summary.failed += 1;
        }
    }
    Ok(summary)
}

/// The template's due tick at `now`. Its cron and zone were checked at creation; should one no
/// longer parse (a zone removed from the database, say), the template is logged and left alone.
fn due_at(t: &Scheduled, now: DateTime<Utc>) -> Option<Due> {
    let parsed = model::check_zone(&t.timezone).and_then(|zone| Ok((zone, cron_of(&t.cron)?)));
    let (zone, schedule) = match parsed {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(template_id = %t.id, error = %e, "template cannot be scheduled");
            return None;
        }
    };
    let settled = t.last_tick.unwrap_or(t.created_at);
    tick::due(
        &schedule,
        zone,
        settled,
        now,
        TimeDelta::seconds(i64::from(t.catch_up_secs)),
    )
}

fn cron_of(expr: &str) -> Result<cron::Schedule, String> {
    expr.parse::<cron::Schedule>()
        .map_err(|e| format!("cron: {expr:?}: {e}"))
}
