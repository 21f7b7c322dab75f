//! Per-agent circuit breakers, shared by the fleet through the `agents` table (migration 0018).
//! Each worker counts its own consecutive transient failures per agent; at
//! `TASKFLEET_BREAKER_FAILURES` it opens the agent's breaker for everyone (NOTIFY reloads every
//! worker's registry). While a breaker is open, the agent's tasks are not sent: they are deferred
//! until the next probe (`task.deferred`, reason `agent_unhealthy`) and consume no retry. When
//! the cool-down is over, one worker wins the probe and sends one task; success closes the
//! breaker and releases the deferred tasks, failure reopens it with twice the cool-down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::agents::Registry;
use crate::agents::registry::Breaker;
use crate::db::sql;
use crate::queue::{AgentHold, Outcome};

/// When breakers open and how long they stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Transient failures in a row (seen by one worker) that open a breaker; 0 turns breakers off.
    pub failures: u32,
    /// The first cool-down; it doubles with each opening in a row.
    pub cooldown: Duration,
    pub max_cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 5,
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
    /// Consecutive transient failures per agent, as this worker saw them.
    failures: Mutex<HashMap<String, u32>>,
}

impl Breakers {
    pub fn new(pool: PgPool, policy: BreakerPolicy, worker_id: String) -> Self {
        Self {
            pool,
            policy,
            worker_id,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Before a call to `agent`: go ahead, probe, or defer.
    pub async fn gate(&self, registry: &Registry, agent: &str, now: DateTime<Utc>) -> Gate {
        let Breaker::Open { probe_at, opens } = registry.breaker(agent) else {
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
        // Until the next probe: a task is there to be the probe when the cool-down ends. When
        // another worker just won the probe, that is one cool-down from now. A close releases
        // the task sooner.
        let until = if probe_at > now {
            probe_at
        } else {
            now + cooldown
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
    /// breaker when that follows. True when the breaker changed (reload the registry).
    pub async fn after(&self, agent: &str, outcome: &Outcome, probe: bool) -> bool {
        if self.policy.failures == 0 {
            return false;
        }
        match outcome {
            // Rate limiting says the agent is up; only other transient failures count.
            Outcome::Transient { class, error, .. } if class != "http_429" => {
                let failed = {
                    let mut counts = self.failures.lock().unwrap_or_else(|e| e.into_inner());
                    let n = counts.entry(agent.to_owned()).or_default();
                    *n += 1;
                    *n
                };
                if probe || failed >= self.policy.failures {
                    let reason = if probe {
                        format!("the probe failed: {error}")
                    } else {
                        format!("{failed} failures in a row; the last: {error}")
                    };
                    self.reset(agent);
                    return self.open(agent, &reason).await;
                }
                false
            }
            Outcome::Success(_) | Outcome::Permanent { .. } => {
                self.reset(agent);
                probe && self.close(agent).await
            }
            _ => false,
        }
    }

    fn reset(&self, agent: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(agent);
    }

    async fn open(&self, agent: &str, reason: &str) -> bool {
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
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(agent, error = %e, "cannot open the agent's breaker");
                false
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
    fn the_cool_down_doubles_with_each_opening_and_is_capped() {
        let p = BreakerPolicy {
            failures: 5,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(60),
        };
        let got: Vec<u64> = (0..6).map(|n| p.cooldown_after(n).as_secs()).collect();
        assert_eq!(got, [10, 10, 20, 40, 60, 60]);
    }
}
