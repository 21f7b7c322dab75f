//! The fleet-wide sweeps and their cron schedules (see `sweeps` for what each does).

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::schedule::business_hours::resolve_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    LeaseReaper,
    QueueMetrics,
    Retention,
}

impl Sweep {
    pub const ALL: [Sweep; 3] = [Sweep::LeaseReaper, Sweep::QueueMetrics, Sweep::Retention];

    pub fn name(self) -> &'static str {
        match self {
            Sweep::LeaseReaper => "lease_reaper",
            Sweep::QueueMetrics => "queue_metrics",
            Sweep::Retention => "retention",
        }
    }

    /// Advisory lock key: fixed per sweep so every worker of every version agrees.
    pub(super) fn lock_key(self) -> i64 {
        0x7466_5357_0000 + self as i64
    }
}

/// Schedules and thresholds of the sweeps.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub reaper: Schedule,
    pub metrics: Schedule,
    pub retention: Schedule,
    pub zone: Tz,
    pub stale_after: Duration,
    pub retention_age: Duration,
}

impl SweepConfig {
    /// Parses the three cron expressions; a bad one is an error naming its variable.
    pub fn parse(
        reaper: &str,
        metrics: &str,
        retention: &str,
        zone: Tz,
        stale_after: Duration,
        retention_days: u64,
    ) -> Result<Self> {
        let parse = |expr: &str, var: &str| {
            Schedule::from_str(expr).with_context(|| {
                format!("{var}={expr:?} is not a cron expression (6 or 7 fields, seconds first)")
            })
        };
        Ok(Self {
            reaper: parse(reaper, "TASKFLEET_REAPER_CRON")?,
            metrics: parse(metrics, "TASKFLEET_METRICS_CRON")?,
            retention: parse(retention, "TASKFLEET_RETENTION_CRON")?,
            zone,
            stale_after,
            retention_age: Duration::from_secs(retention_days * 24 * 3600),
        })
    }

    /// The reaper's default: every lease / 2 seconds (contract section 8).
    pub fn default_reaper_cron(lease: Duration) -> String {
        format!("*/{} * * * * *", (lease.as_secs() / 2).clamp(1, 59))
    }

    pub(super) fn schedule(&self, sweep: Sweep) -> &Schedule {
        match sweep {
            Sweep::LeaseReaper => &self.reaper,
            Sweep::QueueMetrics => &self.metrics,
            Sweep::Retention => &self.retention,
        }
    }

    /// The first tick of `sweep` strictly after `after`. The schedule is read on the zone's wall
    /// clock: a tick that a daylight-saving change skips runs once at the first valid instant
    /// after the gap, and a tick that occurs twice runs once, the first time (contract section 8;
    /// the cron crate alone would drop the skipped one).
    pub fn next_tick(&self, sweep: Sweep, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // The wall clock as a zone without transitions, so every wall time occurs exactly once.
        let wall = after.with_timezone(&self.zone).naive_local().and_utc();
        self.schedule(sweep)
            .after(&wall)
            .take(4)
            .map(|t| resolve_local(self.zone, t.naive_utc()))
            .find(|t| *t > after)
    }
}
