//! Why a user-triggered transition was refused. The API maps these to contract codes in one
//! place (`api::error`); the queue itself knows nothing of HTTP.

use uuid::Uuid;

use super::task::Status;
use crate::codes::Code;

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
    /// An approval decision the task's approval state does not allow (approving twice, a task
    /// that needs no approval or has not completed).
    #[error("cannot {verb} this task: {why}")]
    Approval { verb: &'static str, why: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl Error {
    /// The contract's code for a refusal; None for a database error.
    pub fn code(&self) -> Option<Code> {
        match self {
            Error::NotFound(_) => Some(Code::TaskNotFound),
            Error::InvalidState { .. } | Error::Approval { .. } => Some(Code::InvalidStateChange),
            Error::DeadDependency { .. } => Some(Code::DependencyNotMet),
            Error::Db(_) => None,
        }
    }
}
