//! Downstream agents: where a claimed task is executed. Agents never touch Postgres: the worker
//! loads the registry and hands it over; what comes back is an [`Outcome`] the worker records.
//!
//! * [`registry`]: agent name → URL, enabled flag (in memory, refreshed by the worker).
//! * [`http`]: the real call (JWT, Idempotency-Key, timeout).
//! * [`outcome`]: pure classification of a response into success / transient / permanent.

pub mod http;
pub mod outcome;
pub mod registry;

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::queue::ClaimedTask;
pub use registry::Registry;

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 2xx: the body becomes `output_data`.
    Success(Value),
    /// Timeout, connection error, 408, 429, 5xx: retried with backoff.
    Transient {
        /// Short machine name (`timeout`, `connect`, `http_503`, ...), for metrics and audit.
        class: String,
        error: String,
        /// From a `Retry-After` header.
        retry_after: Option<Duration>,
    },
    /// Any other 4xx: failed at once.
    Permanent { class: String, error: String },
    /// TASK_004: the agent is not registered or is disabled; no retry is consumed.
    Unavailable { error: String },
}

/// Runs one attempt of a task. Implementations must be cancel-safe: the worker drops the future
/// when the attempt is abandoned (lease lost, task cancelled, shutdown deadline).
pub trait Executor: Send + Sync + 'static {
    fn execute(&self, task: &ClaimedTask) -> impl Future<Output = Outcome> + Send;

    /// The registry the worker keeps fresh, if this executor routes by agent name.
    fn registry(&self) -> Option<&Registry> {
        None
    }
}

/// Completes every task at once with `{}`: measures the queue itself (`bench --agent noop`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Noop;

impl Executor for Noop {
    fn execute(&self, _task: &ClaimedTask) -> impl Future<Output = Outcome> + Send {
        std::future::ready(Outcome::Success(Value::Object(Default::default())))
    }
}
