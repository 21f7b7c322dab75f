//! What [`settle`](super::settle) decides and [`Batch`](super::Batch) writes: a task's next
//! state, with its audit action and details.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::task::Lease;
use crate::audit::Action;

/// What the queue does with the task.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// `completed` with its output (`task.executed`); dependents are unblocked.
    Complete { lease: Lease, output: Value },
    /// Back to `queued` at an instant, with its audit action.
    Requeue(Requeue),
    /// `failed` (`task.failed`, or `task.reclaimed`); dependents are cancelled (TASK_006).
    Fail(Failure),
}

impl Transition {
    /// `task.executed`, `task.retry_scheduled`, ...: the audit action this transition writes.
    pub fn action(&self) -> Action {
        match self {
            Transition::Complete { .. } => Action::Executed,
            Transition::Requeue(r) => r.action,
            Transition::Fail(f) => f.action,
        }
    }
}

/// An attempt going back to `queued`.
#[derive(Debug, Clone, PartialEq)]
pub struct Requeue {
    pub lease: Lease,
    /// 1 when the attempt counts as a retry (transient failure, reclaim), else 0.
    pub increment: i32,
    pub next_run_at: DateTime<Utc>,
    /// `error_message` to leave on the task; None clears it.
    pub error: Option<String>,
    /// `task.retry_scheduled`, `task.deferred`, `task.released` or `task.reclaimed`.
    pub action: Action,
    /// Extra audit details (failure class, reason).
    pub details: Value,
}

/// An attempt that ends the task as `failed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub lease: Lease,
    /// Starts with the code (`TASK_005: ...`, `TASK_008: ...`) or the HTTP status.
    pub error: String,
    /// `task.failed`, or `task.reclaimed` when an expired lease used up the last retry.
    pub action: Action,
    pub details: Value,
}
