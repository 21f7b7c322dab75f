//! The only code that changes task state. [`settle`] decides what the end of an attempt does to
//! its task; each transition is one `sql/task_*.sql` file, one function here and one audit action:
//!
//! | transition | SQL | audit action |
//! |---|---|---|
//! | [`insert`] | `task_insert.sql` | `task.created` |
//! | [`claim`] | `task_claim.sql` | `task.started` |
//! | [`heartbeat`] | `task_heartbeat.sql` | (lease only, no state change) |
//! | [`complete`] | `task_complete.sql` + `task_unblock_dependents.sql` | `task.executed` |
//! | [`requeue`] | `task_requeue.sql` | `task.retry_scheduled`, `task.deferred`, `task.released`, `task.reclaimed` |
//! | [`fail`] | `task_fail.sql` + `task_cancel_dependents.sql` | `task.failed` (or `task.reclaimed`) |
//! | [`reclaim_expired`] | `task_select_expired_leases.sql` then requeue/fail | `task.reclaimed` |
//! | [`cancel`] | `task_cancel.sql` + `task_cancel_dependents.sql` | `task.cancelled` |
//! | [`cancel_dependents`] | `task_dependents_reach.sql` + `task_cancel_dependents.sql` (after a fail, too) | `task.cancelled` |
//! | [`retry`] | `task_retry.sql` | `task.retried` |
//! | [`decide`] (approve / reject) | `task_approval_decide.sql` + unblock or cancel dependents | `task.approved`, `task.rejected` |
//!
//! Every write of a claimed task is fenced by its [`Lease`] (id + attempt token), so a worker that
//! lost its lease cannot overwrite a newer attempt. Reads for the API live in [`read`].
//!
//! Two writes of task rows happen elsewhere, neither a transition of a live task: the retention
//! sweep deletes terminal tasks past their retention (`worker::sweeps`, `task_delete_expired.sql`),
//! and the benchmark marks its synthetic history completed in its own throwaway database
//! (`bench`, `bench_mark_completed.sql`).
//!
//! This file only declares and re-exports; the items live in the files named above.

mod approval;
mod claim;
mod error;
mod finish;
mod insert;
mod lifecycle;
pub mod read;
mod reclaim;
mod settle;
mod shard;
mod task;
mod transition;

pub use approval::{Decided, Decision, decide};
pub use claim::{claim, heartbeat};
pub use error::Error;
pub use finish::{Applied, Batch, complete, fail, requeue};
pub use insert::{NewTask, insert};
pub use lifecycle::{Fate, cancel, cancel_dependents, retry};
pub use reclaim::reclaim_expired;
pub use settle::{AgentHold, AttemptEnd, Outcome, Rules, hold, settle};
pub use task::{
    Approval, ApprovalState, AttemptView, ClaimFilter, ClaimOrder, ClaimedTask, Lease, Status,
    TASK_TYPES, TaskTypeName,
};
pub use transition::{Failure, Requeue, Transition};

/// Channel that wakes idle workers (NOTIFY from insert, unblock and requeue statements).
pub const READY_CHANNEL: &str = "taskfleet_ready";
/// Channel that tells workers a running task was cancelled (payload: the task id).
pub const CANCEL_CHANNEL: &str = "taskfleet_cancel";
/// Channel that tells workers the agent registry changed.
pub const AGENTS_CHANNEL: &str = "taskfleet_agents";
