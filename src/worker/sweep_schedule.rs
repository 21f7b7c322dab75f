//! The fleet-wide sweeps and their cron schedules (see `sweeps` for what each does).

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::alerts::Thresholds;
use crate::schedule::business_hours::resolve_local;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    LeaseReaper,
    QueueMetrics,
    Retention,
    DeadlineEscalation,
    Alerts,
    Templates,
}

impl Sweep {
    pub const ALL: [Sweep; 6] = [
        Sweep::LeaseReaper,
        Sweep::QueueMetrics,
        Sweep::Retention,
        Sweep::DeadlineEscalation,
        Sweep::Alerts,
        Sweep::Templates,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sweep::LeaseReaper => "lease_reaper",
            Sweep::QueueMetrics => "queue_metrics",
            Sweep::Retention => "retention",
            Sweep::DeadlineEscalation => "deadline_escalation",
            Sweep::Alerts => "alerts",
            Sweep::Templates => "templates",
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
    /// `TASKFLEET_DEADLINE_CRON` (default every minute).
    pub deadline: Schedule,
    /// `TASKFLEET_ALERTS_CRON` (default every 30 seconds).
    pub alerts_schedule: Schedule,
    /// `TASKFLEET_TEMPLATES_CRON` (default every 10 seconds): how often the recurring templates'
    /// due ticks are settled. A tick's task is created within one period of it.
    pub templates: Schedule,
    pub zone: Tz,
    pub stale_after: Duration,
    /// `TASKFLEET_APPROVAL_REMIND_SECS`: a result awaiting approval longer is stale.
    pub approval_remind: Duration,
    pub retention_age: Duration,
    /// `TASKFLEET_ALERT_*`.
    pub alerts: Thresholds,
}

/// `TASKFLEET_DEADLINE_CRON`'s default: every minute.
pub const DEFAULT_DEADLINE_CRON: &str = "0 * * * * *";
/// `TASKFLEET_ALERTS_CRON`'s default: every 30 seconds.
pub const DEFAULT_ALERTS_CRON: &str = "*/30 * * * * *";
/// `TASKFLEET_TEMPLATES_CRON`'s default: every 10 seconds.
pub const DEFAULT_TEMPLATES_CRON: &str = "*/10 * * * * *";

fn parse_cron(expr: &str, var: &str) -> Result<Schedule> {
    Schedule::from_str(expr).with_context(|| {
        format!("{var}={expr:?} is not a cron expression (6 or 7 fields, seconds first)")
    })
}

impl SweepConfig {
    /// Parses the three cron expressions; a bad one is an error naming its variable. The
    /// deadline, alerts and templates sweeps start on their defaults
    /// ([`Self::set_deadline_cron`], [`Self::set_alerts_cron`], [`Self::set_templates_cron`]),
    /// with the specification's alert thresholds.
    pub fn parse(
        reaper: &str,
        metrics: &str,
        retention: &str,
        zone: Tz,
        stale_after: Duration,
        retention_days: u64,
    ) -> Result<Self> {
        Ok(Self {
            reaper: parse_cron(reaper, "TASKFLEET_REAPER_CRON")?,
            metrics: parse_cron(metrics, "TASKFLEET_METRICS_CRON")?,
            retention: parse_cron(retention, "TASKFLEET_RETENTION_CRON")?,
            deadline: parse_cron(DEFAULT_DEADLINE_CRON, "TASKFLEET_DEADLINE_CRON")?,
            alerts_schedule: parse_cron(DEFAULT_ALERTS_CRON, "TASKFLEET_ALERTS_CRON")?,
            templates: parse_cron(DEFAULT_TEMPLATES_CRON, "TASKFLEET_TEMPLATES_CRON")?,
            zone,
            stale_after,
            approval_remind: Duration::from_secs(3600),
            retention_age: Duration::from_secs(retention_days * 24 * 3600),
            alerts: Thresholds::default(),
        })
    }

    pub fn set_deadline_cron(&mut self, expr: &str) -> Result<()> {
        self.deadline = parse_cron(expr, "TASKFLEET_DEADLINE_CRON")?;
        Ok(())
    }

    pub fn set_alerts_cron(&mut self, expr: &str) -> Result<()> {
        self.alerts_schedule = parse_cron(expr, "TASKFLEET_ALERTS_CRON")?;
        Ok(())
    }

    pub fn set_templates_cron(&mut self, expr: &str) -> Result<()> {
        self.templates = parse_cron(expr, "TASKFLEET_TEMPLATES_CRON")?;
        Ok(())
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
            Sweep::DeadlineEscalation => &self.deadline,
            Sweep::Alerts => &self.alerts_schedule,
            Sweep::Templates => &self.templates,
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
