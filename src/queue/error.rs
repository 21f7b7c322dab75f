//! Why a user-triggered transition was refused. The API maps these to contract codes in one
//! place (`api::error`); the queue itself knows nothing of HTTP.

use uuid::Uuid;

use super::task::Status;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such task (or RLS hides it).
    #[error("task {0} not found")]
    NotFound(Uuid),
    /// The task's status does not allow the transition (cancel a completed task, ...).
    #[error("cannot {verb} a task that is {status}")]
    InvalidState { verb: &'static str, status: Status },
    /// A dependency failed or was cancelled: it must be retried first.
    #[error("dependency {dependency} is {status}; retry it first")]
    DeadDependency { dependency: Uuid, status: Status },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}
