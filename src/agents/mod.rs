//! Downstream agents: where a claimed task is executed. Agents never touch Postgres: the worker
//! loads the registry and hands it over; what comes back is a [`queue::Outcome`](Outcome), which
//! the queue's outcome rule settles.
//!
//! * [`name`]: what an agent name may be.
//! * [`registry`]: agent name → URL, enabled flag (in memory, refreshed by the worker).
//! * [`http`]: the real call (JWT, Idempotency-Key, timeout).
//! * [`outcome`]: pure classification of a response into success / transient / permanent.

pub mod http;
pub mod name;
pub mod outcome;
pub mod registry;

use serde_json::Value;
use std::future::Future;

use crate::queue::{ClaimedTask, Outcome};
pub use registry::Registry;

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
