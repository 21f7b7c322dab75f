//! The error codes of the contract (section 3), in one place. Worker `error_message`s start with
//! the code so DBAs can filter on it; the API maps codes to HTTP statuses.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Strategy not found (404).
    StrategyNotFound,
    /// Decomposition failed: strategy content unusable (422).
    DecompositionFailed,
    /// Task not found, or not yours (404).
    TaskNotFound,
    /// Agent not registered or disabled: the task stays queued.
    AgentUnavailable,
    /// Max retries exceeded: the task failed.
    MaxRetriesExceeded,
    /// Dependency not met, or upstream failed/cancelled.
    DependencyNotMet,
    /// Invalid task type (422).
    InvalidTaskType,
    /// Execution timeout (a transient failure).
    ExecutionTimeout,
    /// Invalid state change (409).
    InvalidStateChange,
    /// Invalid request (400, or 413 for a body over the limit).
    InvalidRequest,
    /// Invalid dependencies: unknown id, other workspace, cycle (422).
    InvalidDependencies,
    /// Missing or invalid credentials (401).
    Unauthorized,
    /// Workspace not found, or the caller is not a member (404).
    WorkspaceNotFound,
    /// The agent answered 2xx with output that cannot be stored (a NUL character, a value over
    /// a limit): the task fails, nothing else does.
    UnusableReply,
    /// The agent refused the task for good: a 4xx other than 408 and 429, or a redirect (which
    /// is never followed). The task fails without retries.
    AgentRefused,
    /// Template not found, or not yours (404).
    TemplateNotFound,
}

impl Code {
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::StrategyNotFound => "TASK_001",
            Code::DecompositionFailed => "TASK_002",
            Code::TaskNotFound => "TASK_003",
            Code::AgentUnavailable => "TASK_004",
            Code::MaxRetriesExceeded => "TASK_005",
            Code::DependencyNotMet => "TASK_006",
            Code::InvalidTaskType => "TASK_007",
            Code::ExecutionTimeout => "TASK_008",
            Code::InvalidStateChange => "TASK_009",
            Code::InvalidRequest => "TASK_010",
            Code::InvalidDependencies => "TASK_011",
            Code::Unauthorized => "TASK_012",
            Code::WorkspaceNotFound => "TASK_013",
            Code::UnusableReply => "TASK_014",
            Code::AgentRefused => "TASK_015",
            Code::TemplateNotFound => "TASK_016",
        }
    }

    /// The HTTP status the API answers with; codes that only appear in `error_message` use 409/500.
    pub const fn http_status(self) -> u16 {
        match self {
            Code::StrategyNotFound
            | Code::TaskNotFound
            | Code::WorkspaceNotFound
            | Code::TemplateNotFound => 404,
            Code::DecompositionFailed | Code::InvalidTaskType | Code::InvalidDependencies => 422,
            Code::DependencyNotMet | Code::InvalidStateChange => 409,
            Code::InvalidRequest => 400,
            Code::Unauthorized => 401,
            Code::AgentUnavailable
            | Code::MaxRetriesExceeded
            | Code::ExecutionTimeout
            | Code::UnusableReply
            | Code::AgentRefused => 500,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
