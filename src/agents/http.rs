//! The real agent call (contract section 4): `POST` to the registered URL with
//! `{task_id, workspace_id, task_type, description, input, attempt}`, a JWT signed with
//! `TASKFLEET_AGENT_SECRET` (claims `sub` = task id, `workspace_id`, `agent`, `exp`) and
//! `Idempotency-Key: <task_id>`, bounded by the task timeout.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::EncodingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::{Executor, Registry, outcome};
use crate::auth::{self, AgentClaims};
use crate::queue::ClaimedTask;
use crate::queue::Outcome;

/// The JSON body an agent receives. The worker sends its task's `input_data` as the text it
/// claimed (`I` = `&RawValue`); a receiver such as agents-sim reads it as a [`Value`].
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentRequest<I = Value> {
    pub task_id: Uuid,
    pub workspace_id: Uuid,
    pub task_type: String,
    pub description: String,
    pub input: I,
    pub attempt: i32,
}

pub struct HttpAgents {
    client: reqwest::Client,
    registry: Registry,
    key: EncodingKey,
    timeout: Duration,
}

impl HttpAgents {
    /// `max_idle` keeps that many connections per agent host open for reuse.
    pub fn new(secret: &str, timeout: Duration, max_idle: usize) -> anyhow::Result<Self> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(max_idle)
            .tcp_nodelay(true)
            // A redirect would hand the task body and its bearer token to whatever host the
            // agent names; a 3xx is the agent's answer (a permanent failure), never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            registry: Registry::default(),
            key: EncodingKey::from_secret(secret.as_bytes()),
            timeout,
        })
    }

    fn token(&self, task: &ClaimedTask) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = AgentClaims {
            sub: task.id,
            workspace_id: task.workspace_id,
            agent: task.assigned_agent.clone(),
            iat: now,
            // Valid for the whole attempt plus clock skew, never much longer.
            exp: now + self.timeout.as_secs() as i64 + 60,
        };
        auth::sign(&self.key, &claims)
    }

    async fn call(&self, task: &ClaimedTask) -> Outcome {
        let url = match self.registry.url_for(&task.assigned_agent) {
            Ok(url) => url,
            Err(e) => {
                return Outcome::Unavailable {
                    error: e.to_string(),
                };
            }
        };
        let token = match self.token(task) {
            Ok(t) => t,
            Err(e) => return outcome::transport(&format!("cannot sign agent token: {e}")),
        };
        let body = AgentRequest {
            task_id: task.id,
            workspace_id: task.workspace_id,
            task_type: task.task_type.clone(),
            description: task.task_description.clone(),
            input: &*task.input_data.0,
            attempt: task.attempt(),
        };
        let sent = self
            .client
            .post(&url)
            .bearer_auth(token)
            .header("Idempotency-Key", task.id.to_string())
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return unreachable(task, e),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match response.bytes().await {
            Ok(bytes) => outcome::classify(status, retry_after.as_deref(), &bytes, Utc::now()),
            Err(e) => unreachable(task, e),
        }
    }
}

impl Executor for HttpAgents {
    async fn execute(&self, task: &ClaimedTask) -> Outcome {
        match tokio::time::timeout(self.timeout, self.call(task)).await {
            Ok(outcome) => outcome,
            Err(_) => outcome::timeout(self.timeout),
        }
    }

    fn registry(&self) -> Option<&Registry> {
        Some(&self.registry)
    }
}

/// A failed call, as the tenant sees it (`error_message`, audit details): it names the agent and
/// the cause, never the agent's URL, which may carry internal hosts or credentials in its query.
fn unreachable(task: &ClaimedTask, e: reqwest::Error) -> Outcome {
    let cause = error_chain(&e.without_url());
    outcome::transport(&format!("{}: {cause}", task.assigned_agent))
}

/// reqwest's Display hides the cause ("error sending request"); the chain says what happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
