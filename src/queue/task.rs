//! The queue's vocabulary: task statuses and types, a claimed task, its lease, claim filters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::types::Json;
use sqlx::{Decode, Encode, Postgres, Type};
use uuid::Uuid;

use crate::schedule::TaskTiming;

/// Values of `autonomous_tasks.task_type`: the specification's nine (its CHECK).
pub const TASK_TYPES: &[&str] = &[
    "content",
    "design",
    "campaign",
    "analysis",
    "email",
    "social_media",
    "research",
    "strategy",
    "other",
];

/// The OpenAPI schema of a `task_type` value (the API keeps the field a `String` so an unknown
/// type is its own error, 422 TASK_007, not a generic 400): one of [`TASK_TYPES`].
pub struct TaskTypeName;

impl utoipa::PartialSchema for TaskTypeName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(TASK_TYPES.iter().copied()))
            .description(Some(
                "One of the specification's nine task types; any other value answers 422 TASK_007.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for TaskTypeName {
    fn name() -> std::borrow::Cow<'static, str> {
        "TaskType".into()
    }
}

/// `autonomous_tasks.status` (a text column with a CHECK, so DBAs read plain words).
///
/// A task's status: `queued` (waiting for its dependencies, its `next_run_at` or a worker),
/// `in_progress` (claimed, its agent being called), `completed`, `failed` (a permanent failure,
/// or retries exhausted: TASK_005), `cancelled` (by hand, or because an upstream task failed or
/// was cancelled: TASK_006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    InProgress,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::InProgress,
        Status::Completed,
        Status::Failed,
        Status::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Completed, failed and cancelled tasks never run again unless retried by hand.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Cancelled)
    }

    /// Failed or cancelled: the task can never complete on its own (a manual retry can).
    pub const fn is_dead(self) -> bool {
        matches!(self, Status::Failed | Status::Cancelled)
    }

    /// The list clients see in error messages.
    pub fn names() -> String {
        Self::ALL.map(Status::as_str).join(", ")
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a task status ({})", Self::names()))
    }
}

// Stored as text, not a Postgres enum type: the specification's DDL has a text column.
impl Type<Postgres> for Status {
    fn type_info() -> PgTypeInfo {
        <&str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <&str as Type<Postgres>>::compatible(ty)
    }
}

impl PgHasArrayType for Status {
    fn array_type_info() -> PgTypeInfo {
        <&str as PgHasArrayType>::array_type_info()
    }
}

impl<'r> Decode<'r, Postgres> for Status {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(<&str as Decode<Postgres>>::decode(value)?.parse()?)
    }
}

impl Encode<'_, Postgres> for Status {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.as_str(), buf)
    }
}

/// Identifies one attempt of a task: every write by the claiming worker matches both. The
/// workspace says where the task lives (its shard, on Citus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub task_id: Uuid,
    pub token: Uuid,
    pub workspace_id: Uuid,
}

/// A task as a worker holds it after [`claim`](super::claim).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedTask {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub task_type: String,
    pub assigned_agent: String,
    pub task_description: String,
    /// As Postgres rendered it: passed on to the agent, never read here.
    pub input_data: Json<Box<RawValue>>,
    pub priority: i32,
    pub retry_count: i32,
    pub max_retries: i32,
    pub attempt_token: Uuid,
    /// When the task became ready (for ready → started latency).
    pub next_run_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    /// The workspace's zone, if it set one (time-of-day rules).
    pub timezone: Option<String>,
}

impl ClaimedTask {
    /// What [`settle`](super::settle) needs to know of this attempt.
    pub fn attempt_view(&self) -> AttemptView<'_> {
        AttemptView {
            lease: self.lease(),
            retry_count: self.retry_count,
            max_retries: self.max_retries,
            timing: TaskTiming {
                priority: self.priority,
                task_type: &self.task_type,
                assigned_agent: &self.assigned_agent,
                timezone: self.timezone.as_deref(),
            },
        }
    }

    pub fn lease(&self) -> Lease {
        Lease {
            task_id: self.id,
            token: self.attempt_token,
            workspace_id: self.workspace_id,
        }
    }

    /// Attempts are numbered from 1 (contract section 8).
    pub fn attempt(&self) -> i32 {
        self.retry_count + 1
    }
}

/// One attempt as the outcome rule sees it: which lease, how many retries are used and left,
/// and what the time-of-day rules look at.
#[derive(Debug, Clone, Copy)]
pub struct AttemptView<'a> {
    pub lease: Lease,
    pub retry_count: i32,
    pub max_retries: i32,
    pub timing: TaskTiming<'a>,
}

impl AttemptView<'_> {
    pub fn attempt(&self) -> i32 {
        self.retry_count + 1
    }
}

/// How a worker's claim orders ready tasks across workspaces (`TASKFLEET_CLAIM_ORDER`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ClaimOrder {
    /// Urgent tasks (9-10) first everywhere; the rest shared equally among the workspaces with
    /// work, each in its own priority order: no tenant starves another.
    #[default]
    Fair,
    /// Priority, then age, across all workspaces (a large tenant's backlog goes first).
    Global,
}

/// Narrows a claim; workers claim with the default (anything ready), the API's execute pass
/// with its workspace and filters.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub workspace_id: Option<Uuid>,
    pub priority_min: Option<i32>,
    pub task_type: Option<String>,
    pub assigned_agent: Option<String>,
    /// Applies to an unfiltered claim; a filtered one (one workspace) takes the global order.
    pub order: ClaimOrder,
}

impl ClaimFilter {
    /// No filter at all: any ready task of any workspace (what workers claim).
    pub fn is_empty(&self) -> bool {
        self.workspace_id.is_none()
            && self.priority_min.is_none()
            && self.task_type.is_none()
            && self.assigned_agent.is_none()
    }
}

/// Batch binds: the ids and tokens of `leases` as two arrays.
pub(crate) fn split(leases: &[Lease]) -> (Vec<Uuid>, Vec<Uuid>) {
    leases.iter().map(|l| (l.task_id, l.token)).unzip()
}

/// Postgres reports a deadlock or serialization failure: the transaction can simply be re-run.
pub(crate) fn is_retryable(err: &sqlx::Error) -> bool {
    use crate::db::{DEADLOCK, SERIALIZATION_FAILURE, has_sql_state};
    has_sql_state(err, DEADLOCK) || has_sql_state(err, SERIALIZATION_FAILURE)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Waiting for its agent to succeed, then for an approver.
    Pending,
    Approved,
    Rejected,
}

/// A task's approval, as `GET /api/tasks/{id}` and status entries show it (null when the task
/// needs none). Read from SQL as `taskfleet_approval(t)` (migration 0014); decided in
/// [`decide`](super::decide).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub state: ApprovalState,
    /// Who decided (the caller's `sub`), null while pending.
    pub by: Option<String>,
    /// When it was decided.
    pub at: Option<DateTime<Utc>>,
    /// The approver's comment, or the rejection's reason.
    pub comment: Option<String>,
    /// When the agent's result became ready for approval (the task's completion); null until
    /// then.
    pub requested_at: Option<DateTime<Utc>>,
    /// Pending for longer than `TASKFLEET_APPROVAL_REMIND_SECS` since `requested_at`.
    #[serde(default)]
    pub stale: bool,
}

impl Approval {
    /// Sets `stale` for a result that has waited longer than `remind` at `now`.
    pub fn mark_stale(&mut self, remind: std::time::Duration, now: DateTime<Utc>) {
        self.stale = self.state == ApprovalState::Pending
            && self
                .requested_at
                .is_some_and(|at| (now - at).to_std().is_ok_and(|waited| waited > remind));
    }
}
