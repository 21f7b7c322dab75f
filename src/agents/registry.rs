//! The agent registry as workers see it: an in-memory copy of the `agents` table. The worker
//! reloads it at startup, on NOTIFY `taskfleet_agents` and when an agent looks missing.

use std::collections::HashMap;
use std::sync::RwLock;

/// One row of the `agents` table.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentEndpoint {
    pub name: String,
    pub url: String,
    pub enabled: bool,
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
