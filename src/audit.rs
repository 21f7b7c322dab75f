//! The audit trail's vocabulary. Rows are written by the same SQL statement as the state change
//! they record (see `sql/`), so a change and its `audit_logs` row always commit together; this
//! module names the actions so Rust, SQL and tests agree on them.

/// `audit_logs.resource` for task rows.
pub const TASKS: &str = "autonomous_tasks";
/// `audit_logs.resource` for strategy rows.
pub const STRATEGIES: &str = "marketing_strategies";
/// `audit_logs.resource` for recurring task templates.
pub const TEMPLATES: &str = "task_templates";

/// How much of the task lifecycle is audited (`TASKFLEET_AUDIT`, contract section 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditMode {
    /// One `task.executed` per task that ran, and every exceptional transition; creation is
    /// recorded once per request (`strategy.decomposed`, or `task.created` for one task).
    #[default]
    Outcomes,
    /// Also `task.started` for every attempt and `task.created` for every task of a bulk insert.
    Full,
}

impl AuditMode {
    pub fn is_full(self) -> bool {
        self == AuditMode::Full
    }
}

/// One audit action per state change (contract section 8). Actions written by a statement in
/// `sql/` are spelled there too; these names are what Rust and the tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Created,
    Started,
    Executed,
    RetryScheduled,
    Deferred,
    Reclaimed,
    Released,
    Failed,
    Cancelled,
    Retried,
    /// `sql/task_escalate_deadlines.sql`: a deadline came within 48 hours.
    Escalated,
    /// `sql/alert_record.sql`: an alert of a workspace started or stopped firing.
    AlertRaised,
    AlertResolved,
    /// `sql/strategy_insert.sql`.
    StrategyCreated,
    StrategyDecomposed,
    /// POST /api/templates, `taskfleet templates create`.
    TemplateCreated,
    /// DELETE /api/templates/{id}.
    TemplateDeleted,
    /// `sql/task_approval_decide.sql`.
    Approved,
    Rejected,
    /// `sql/agent_breaker_open.sql` / `sql/agent_breaker_close.sql`.
    BreakerOpened,
    BreakerClosed,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Created => "task.created",
            Action::Started => "task.started",
            Action::Executed => "task.executed",
            Action::RetryScheduled => "task.retry_scheduled",
            Action::Deferred => "task.deferred",
            Action::Reclaimed => "task.reclaimed",
            Action::Released => "task.released",
            Action::Failed => "task.failed",
            Action::Cancelled => "task.cancelled",
            Action::Retried => "task.retried",
            Action::Escalated => "task.escalated",
            Action::AlertRaised => "alert.raised",
            Action::AlertResolved => "alert.resolved",
            Action::StrategyCreated => "strategy.created",
            Action::StrategyDecomposed => "strategy.decomposed",
            Action::TemplateCreated => "template.created",
            Action::TemplateDeleted => "template.deleted",
            Action::Approved => "task.approved",
            Action::Rejected => "task.rejected",
            Action::BreakerOpened => "agent.breaker_opened",
            Action::BreakerClosed => "agent.breaker_closed",
        }
    }
}
