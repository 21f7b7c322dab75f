//! Human approval gates (contract section 9). A task created with `requires_approval` runs its
//! agent as usual and ends `completed`; its approval starts `pending`, and until an approver
//! decides, its dependents count it as unmet (`taskfleet_dependency_met` in migration 0014).
//! Approving unblocks them; rejecting cancels them (TASK_006, quoting the reason); a retry of a
//! rejected task runs the agent again and asks again (`task_retry.sql`).

use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::error::Error;
use super::finish::unblock_dependents;
use super::lifecycle::{Fate, cancel_dependents};
use super::read;
use super::task::{Approval, ApprovalState, Status};
use crate::db::sql;

/// What an approver decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    const fn state(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }

    const fn verb(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
}

/// The decision as recorded, and what it did downstream.
#[derive(Debug, Clone)]
pub struct Decided {
    pub approval: Approval,
    /// Approve: how many dependents became ready. Reject: 0.
    pub ready_dependents: i64,
    /// Reject: the dependents cancelled with TASK_006, transitively. Approve: empty.
    pub cancelled_dependents: Vec<Uuid>,
}

/// Records `decision` on a completed task whose approval is pending, with its audit row
/// (`task.approved` / `task.rejected`), then unblocks or cancels its dependents. `comment` is the
/// approver's comment or the rejection's reason. Several statements: run it inside a
/// transaction. Refused (409) when the task needs no approval, has not completed, or was
/// decided already.
pub async fn decide(
    db: &mut PgConnection,
    id: Uuid,
    decision: Decision,
    actor: &str,
    comment: Option<&str>,
) -> Result<Decided, Error> {
    let workspace = super::lifecycle::workspace_of(db, id).await?;
    let row: Option<Json<Approval>> = crate::db::query_scalar(sql::TASK_APPROVAL_DECIDE)
        .bind(id)
        .bind(decision.state())
        .bind(actor)
        .bind(comment)
        .bind(workspace)
        .fetch_optional(&mut *db)
        .await?;
    let Some(Json(approval)) = row else {
        return Err(refusal(db, id, decision).await);
    };
    Ok(match decision {
        Decision::Approve => Decided {
            approval,
            ready_dependents: unblock_dependents(db, &[id], Some(&[workspace])).await?,
            cancelled_dependents: Vec::new(),
        },
        Decision::Reject => Decided {
            approval,
            ready_dependents: 0,
            cancelled_dependents: cancel_dependents(db, &[id], Fate::Rejected, actor, workspace)
                .await?,
        },
    })
}

/// Why `decision` changed nothing: the task is gone, or its approval is not pending on a
/// completed result.
async fn refusal(db: &mut PgConnection, id: Uuid, decision: Decision) -> Error {
    let task = match read::tasks_by_id(db, &[id]).await {
        Ok(mut rows) => match rows.pop() {
            Some(task) => task,
            None => return Error::NotFound(id),
        },
        Err(e) => return e.into(),
    };
    let why = match (task.approval.as_ref().map(|a| &a.0), task.status) {
        (None, _) => "it needs no approval".to_owned(),
        (Some(a), _) if a.state == ApprovalState::Approved => {
            format!("it was approved already{}", by_whom(a))
        }
        (Some(a), _) if a.state == ApprovalState::Rejected => {
            format!(
                "it was rejected already{}; retry it to run its agent again",
                by_whom(a)
            )
        }
        (Some(_), status) if status != Status::Completed => {
            format!("it is {status}: its result can be approved or rejected once it completes")
        }
        (Some(_), _) => "its approval changed meanwhile".to_owned(),
    };
    Error::Approval {
        verb: decision.verb(),
        why,
    }
}

fn by_whom(a: &Approval) -> String {
    a.by.as_deref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default()
}
