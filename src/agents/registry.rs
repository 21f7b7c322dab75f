//! The agent registry as workers see it: an in-memory copy of the `agents` table. The worker
//! reloads it at startup, on NOTIFY `taskfleet_agents` and when an agent looks missing.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};

/// One row of the `agents` table.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgentEndpoint {
    pub name: String,
    pub url: String,
    pub enabled: bool,
    /// `closed`, `open` or `half_open` (migration 0018).
    pub breaker_state: String,
    /// Openings in a row: the cool-down doubles with each.
    pub breaker_opens: i32,
    /// When an open breaker may send its probe.
    pub breaker_probe_at: Option<DateTime<Utc>>,
    /// Calls at once across the fleet (None = no limit).
    pub max_concurrency: Option<i32>,
    /// Calls a second across the fleet (None = no limit).
    pub rate_per_sec: Option<f64>,
}

/// An agent's circuit breaker as this worker last loaded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaker {
    Closed,
    /// Open or half-open: nothing is sent before `probe_at`; then one worker probes.
    /// `probing`: half-open, a probe is out now.
    Open {
        probe_at: DateTime<Utc>,
        opens: i32,
        probing: bool,
    },
}

#[derive(Debug, Default)]
pub struct Registry {
    agents: RwLock<HashMap<String, AgentEndpoint>>,
}

/// Why a task cannot be routed (TASK_004).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("agent '{0}' is not registered")]
    NotRegistered(String),
    #[error("agent '{0}' is disabled")]
    Disabled(String),
}

impl Registry {
    pub fn replace(&self, list: Vec<AgentEndpoint>) {
        let map = list.into_iter().map(|a| (a.name.clone(), a)).collect();
        *self.agents.write().unwrap_or_else(|e| e.into_inner()) = map;
    }

    /// The breaker of `name` (closed for an agent this registry does not know).
    pub fn breaker(&self, name: &str) -> Breaker {
        let agents = self.agents.read().unwrap_or_else(|e| e.into_inner());
        match agents.get(name) {
            Some(a) if a.breaker_state != "closed" => Breaker::Open {
                probe_at: a.breaker_probe_at.unwrap_or_default(),
                opens: a.breaker_opens,
                probing: a.breaker_state == "half_open",
            },
            _ => Breaker::Closed,
        }
    }

    /// The fleet-wide limits of `name`: (max concurrency, rate per second).
    pub fn limits(&self, name: &str) -> (Option<i32>, Option<f64>) {
        let agents = self.agents.read().unwrap_or_else(|e| e.into_inner());
        agents
            .get(name)
            .map_or((None, None), |a| (a.max_concurrency, a.rate_per_sec))
    }

    /// The URL to POST a task for `name` to.
    pub fn url_for(&self, name: &str) -> Result<String, Unavailable> {
        let agents = self.agents.read().unwrap_or_else(|e| e.into_inner());
        match agents.get(name) {
            None => Err(Unavailable::NotRegistered(name.to_string())),
            Some(a) if !a.enabled => Err(Unavailable::Disabled(name.to_string())),
            Some(a) => Ok(a.url.clone()),
        }
    }
}
