//! Per-agent circuit breakers, shared by the fleet through the `agents` table (migration 0018).
//! Each worker watches its own calls per agent: at `TASKFLEET_BREAKER_FAILURES` transient
//! failures in a row, or a share of failures over `TASKFLEET_BREAKER_FAILURE_RATE` among its last
//! [`WINDOW`] calls, it opens the agent's breaker for everyone (NOTIFY reloads every worker's
//! registry). While a breaker is open, the agent's tasks are not sent: they are deferred
//! until the next probe (`task.deferred`, reason `agent_unhealthy`) and consume no retry. When
//! the cool-down is over, one worker wins the probe and sends one task; success closes the
//! breaker and releases the deferred tasks, failure reopens it with twice the cool-down.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::agents::Registry;
use crate::agents::registry::Breaker;
use crate::db::sql;
use crate::queue::{AgentHold, Outcome};

/// How many of an agent's last calls (seen by one worker) the failure rate looks at; the rate
/// counts only once that many were seen.
pub const WINDOW: usize = 20;

/// How long a task waits when another worker is probing its agent.
const PROBE_ANSWER: Duration = Duration::from_secs(2);

/// When breakers open and how long they stay open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// Transient failures in a row (seen by one worker) that open a breaker; 0 turns breakers off.
    pub failures: u32,
    /// The share of transient failures among the last [`WINDOW`] calls that opens a breaker.
    pub failure_rate: f64,
    /// The first cool-down; it doubles with each opening in a row.
    pub cooldown: Duration,
    pub max_cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 5,
            failure_rate: 0.5,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(300),
        }
    }
}

impl BreakerPolicy {
    /// The cool-down after `opens` openings in a row.
    fn cooldown_after(&self, opens: i32) -> Duration {
        let doubled = self
            .cooldown
            .saturating_mul(1u32 << opens.clamp(1, 20).saturating_sub(1) as u32);
        doubled.min(self.max_cooldown)
    }
}

/// What a call's outcome did to the breaker.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The breaker changed: reload the registry.
    pub reload: bool,
    /// A failed probe: its task waits until then instead of using a retry.
    pub hold_until: Option<DateTime<Utc>>,
}

/// What to do with a task before its agent is called.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    Call,
    /// This worker won the probe of an open breaker: call, and report with `probe: true`.
    Probe,
    /// Not now: the outcome that defers it.
    Defer(Outcome),
}

pub struct Breakers {
    pool: PgPool,
    policy: BreakerPolicy,
    worker_id: String,
    /// Each agent's recent calls, as this worker saw them.
    recent: Mutex<HashMap<String, Recent>>,
}

/// One agent's recent calls: failures in a row, and the last [`WINDOW`] (true = failed).
#[derive(Debug, Default)]
struct Recent {
    in_a_row: u32,
    window: VecDeque<bool>,
}

impl Recent {
    fn record(&mut self, failed: bool) {
        self.in_a_row = if failed { self.in_a_row + 1 } else { 0 };
        self.window.push_back(failed);
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
    }

    /// Why these calls open the breaker, if they do.
    fn trips(&self, policy: &BreakerPolicy) -> Option<String> {
        let failed = self.window.iter().filter(|f| **f).count();
        if self.in_a_row >= policy.failures {
            Some(format!("{} failures in a row", self.in_a_row))
        } else if self.window.len() >= WINDOW
            && failed as f64 >= policy.failure_rate * WINDOW as f64
        {
            Some(format!("{failed} of the last {WINDOW} calls failed"))
        } else {
            None
        }
    }
}

impl Breakers {
    pub fn new(pool: PgPool, policy: BreakerPolicy, worker_id: String) -> Self {
        Self {
            pool,
            policy,
            worker_id,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Before a call to `agent`: go ahead, probe, or defer.
    pub async fn gate(&self, registry: &Registry, agent: &str, now: DateTime<Utc>) -> Gate {
        let Breaker::Open {
            probe_at,
            opens,
            probing,
        } = registry.breaker(agent)
        else {
            return Gate::Call;
        };
        if self.policy.failures == 0 {
            return Gate::Call;
        }
        let cooldown = self.policy.cooldown_after(opens);
        if probe_at <= now {
            let won: Result<Option<(DateTime<Utc>, bool)>, _> =
                crate::db::query_as(sql::AGENT_BREAKER_PROBE)
                    .bind(agent)
                    .bind(cooldown.as_secs_f64())
                    .fetch_optional(&self.pool)
                    .await;
            match won {
                Ok(Some(_)) => {
                    tracing::info!(agent, "breaker half-open: sending one probe task");
                    return Gate::Probe;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(agent, error = %e, "breaker probe claim failed"),
            }
        }
        // Until the next probe: a task is there to be the probe when the cool-down ends. While
        // another worker's probe is out, only until its answer is probably in: a close releases
        // the deferred tasks, but this deferral may be written after it.
        let until = if probing || probe_at <= now {
            now + cooldown.min(PROBE_ANSWER)
        } else {
            probe_at
        };
        Gate::Defer(Outcome::Held {
            hold: AgentHold::Unhealthy,
            error: format!(
                "{agent} failed repeatedly; its breaker is open (next probe at {probe_at})"
            ),
            until,
        })
    }

    /// After a call to `agent` (or its probe) ended with `outcome`: count, and open or close the
    /// breaker when that follows.
    pub async fn after(&self, agent: &str, outcome: &Outcome, probe: bool) -> Verdict {
        if self.policy.failures == 0 {
            return Verdict::default();
        }
        match outcome {
            // Rate limiting says the agent is up; only other transient failures count.
            Outcome::Transient { class, error, .. } if class != "http_429" => {
                let trips = {
                    let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
                    let r = recent.entry(agent.to_owned()).or_default();
                    r.record(true);
                    r.trips(&self.policy)
                };
                let reason = match (probe, trips) {
                    (true, _) => format!("the probe failed: {error}"),
                    (false, Some(why)) => format!("{why}; the last: {error}"),
                    (false, None) => return Verdict::default(),
                };
                self.reset(agent);
                let reopened = self.open(agent, &reason).await;
                Verdict {
                    reload: reopened.is_some(),
                    // The probe's task was the test of an agent known to be failing: it waits
                    // for the next probe like the others, without using a retry.
                    hold_until: if probe { reopened } else { None },
                }
            }
            Outcome::Success(_) | Outcome::Permanent { .. } => {
                if probe {
                    self.reset(agent);
                    return Verdict {
                        reload: self.close(agent).await,
                        hold_until: None,
                    };
                }
                self.recent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(agent.to_owned())
                    .or_default()
                    .record(false);
                Verdict::default()
            }
            _ => Verdict::default(),
        }
    }

    fn reset(&self, agent: &str) {
        self.recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(agent);
    }

    /// Opens the breaker; the next probe's time when this statement opened it.
    async fn open(&self, agent: &str, reason: &str) -> Option<DateTime<Utc>> {
        let opened: Result<Option<(DateTime<Utc>, bool)>, _> =
            crate::db::query_as(sql::AGENT_BREAKER_OPEN)
                .bind(agent)
                .bind(reason)
                .bind(self.policy.cooldown.as_secs_f64())
                .bind(self.policy.max_cooldown.as_secs_f64())
                .bind(&self.worker_id)
                .fetch_optional(&self.pool)
                .await;
        match opened {
            Ok(Some((probe_at, _))) => {
                tracing::warn!(agent, reason, %probe_at, "agent breaker opened: its tasks wait");
                Some(probe_at)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(agent, error = %e, "cannot open the agent's breaker");
                None
            }
        }
    }

    async fn close(&self, agent: &str) -> bool {
        let closed: Result<Option<(i64, bool, i64)>, _> =
            crate::db::query_as(sql::AGENT_BREAKER_CLOSE)
                .bind(agent)
                .bind(&self.worker_id)
                .fetch_optional(&self.pool)
                .await;
        match closed {
            Ok(Some((released, _, _))) => {
                tracing::info!(agent, released, "agent breaker closed: the probe succeeded");
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(agent, error = %e, "cannot close the agent's breaker");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_in_a_row_or_a_failure_rate_open_the_breaker() {
        let p = BreakerPolicy::default();
        let mut r = Recent::default();
        for _ in 0..4 {
            r.record(true);
        }
        assert_eq!(r.trips(&p), None);
        r.record(true);
        assert_eq!(r.trips(&p).as_deref(), Some("5 failures in a row"));
        // Alternating: never 5 in a row, but half of the last 20 once 20 are seen.
        let mut r = Recent::default();
        for i in 0..19 {
            r.record(i % 2 == 0);
            assert_eq!(r.trips(&p), None, "after {} calls", i + 1);
        }
        r.record(true);
        assert_eq!(
            r.trips(&p).as_deref(),
            Some("11 of the last 20 calls failed")
        );
        // Mostly fine: 4 of 20 failed.
        let mut r = Recent::default();
        for i in 0..40 {
            r.record(i % 5 == 0);
        }
        assert_eq!(r.trips(&p), None);
    }

    #[test]
    fn the_cool_down_doubles_with_each_opening_and_is_capped() {
        let p = BreakerPolicy {
            failures: 5,
            failure_rate: 0.5,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(60),
        };
        let got: Vec<u64> = (0..6).map(|n| p.cooldown_after(n).as_secs()).collect();
        assert_eq!(got, [10, 10, 20, 40, 60, 60]);
    }
}
