//! The outcome rule (contract sections 4 and 6): how the end of an attempt becomes a transition.
//! [`settle`] is pure and the only place this is decided; the worker's writer, the API's execute
//! pass and the lease reaper all call it, then write what it returns with
//! [`Batch`](super::Batch).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::task::{AttemptView, Lease};
use super::transition::{Failure, Requeue, Transition};
use crate::audit::Action;
use crate::codes::Code;
use crate::schedule::TimeRules;
use crate::schedule::retry::{Decision, RetryPolicy, max_retries_message};

/// Why an agent was not called for a task that is fine: it waits, without using a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHold {
    /// The agent's circuit breaker is open (it kept failing).
    Unhealthy,
    /// The agent is at its `max_concurrency` across the fleet.
    Busy,
}

impl AgentHold {
    /// `task.deferred`'s reason.
    pub const fn reason(self) -> &'static str {
        match self {
            AgentHold::Unhealthy => "agent_unhealthy",
            AgentHold::Busy => "agent_busy",
        }
    }

    /// How the task's error_message starts after its code. A breaker's close releases exactly
    /// the tasks whose message starts `TASK_004: agent unhealthy:` (`sql/agent_breaker_close.sql`).
    pub const fn prefix(self) -> &'static str {
        match self {
            AgentHold::Unhealthy => "agent unhealthy: ",
            AgentHold::Busy => "agent busy: ",
        }
    }
}

/// What an agent call came to (`agents` classifies HTTP answers into it).
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
    /// TASK_004: not called now (its breaker is open, or it is at its concurrency limit);
    /// deferred until `until`, no retry consumed.
    Held {
        hold: AgentHold,
        error: String,
        until: DateTime<Utc>,
    },
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptEnd {
    /// The agent was called (or could not be).
    Agent(Outcome),
    /// Its lease expired: the worker died or stalled. Counts as a transient failure.
    LeaseExpired { worker: Option<String> },
    /// Claimed outside its start window (time-of-day rules): not run, deferred to the opening.
    OutOfHours,
    /// The worker shut down before the attempt finished: back to queued, no retry consumed.
    Drained,
    /// Claimed, but it waited too long for a free slot of its worker (the agent was not called):
    /// back to queued at once for any worker, no retry consumed.
    HeldTooLong,
}

/// The settings the rule applies.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub retry: &'a RetryPolicy,
    pub time: &'a TimeRules,
}

/// Turns how an attempt ended into the task's transition, at `now`:
///
/// | end | transition |
/// |---|---|
/// | success | complete |
/// | transient failure, retries left | requeue (`task.retry_scheduled`), `retry_count + 1`, at backoff moved into the retry window |
/// | transient failure, none left | fail with TASK_005 |
/// | permanent failure | fail |
/// | agent unavailable (TASK_004) | requeue (`task.deferred`) after the agent delay, no retry used |
/// | lease expired | as a transient failure, audited `task.reclaimed` |
/// | out of hours | requeue (`task.deferred`) at the start window's opening, no retry used |
/// | drained | requeue (`task.released`) now, no retry used |
///
/// One case is found only when the outcome is written: output Postgres refuses to store
/// ([`refused_output`], TASK_014).
pub fn settle(
    task: AttemptView<'_>,
    end: &AttemptEnd,
    rules: Rules<'_>,
    now: DateTime<Utc>,
) -> Transition {
    let lease = task.lease;
    match end {
        AttemptEnd::Agent(Outcome::Success(output)) => Transition::Complete {
            lease,
            output: output.clone(),
        },
        AttemptEnd::Agent(Outcome::Transient {
            class,
            error,
            retry_after,
        }) => transient(
            task,
            rules,
            now,
            Failed {
                error,
                retry_after: *retry_after,
                action: Action::RetryScheduled,
                last_action: Action::Failed,
                details: json!({"class": class, "attempt": task.attempt()}),
            },
        ),
        AttemptEnd::Agent(Outcome::Permanent { class, error }) => Transition::Fail(Failure {
            lease,
            error: error.clone(),
            action: Action::Failed,
            details: json!({"class": class, "attempt": task.attempt()}),
        }),
        AttemptEnd::Agent(Outcome::Unavailable { error }) => Transition::Requeue(Requeue {
            lease,
            increment: 0,
            next_run_at: now + rules.retry.unavailable_delay,
            error: Some(format!("{}: {error}", Code::AgentUnavailable)),
            action: Action::Deferred,
            details: json!({"reason": "agent_unavailable", "agent": task.timing.assigned_agent}),
        }),
        AttemptEnd::Agent(Outcome::Held { hold, error, until }) => Transition::Requeue(Requeue {
            lease,
            increment: 0,
            next_run_at: (*until).max(now),
            error: Some(format!(
                "{}: {}{error}",
                Code::AgentUnavailable,
                hold.prefix()
            )),
            action: Action::Deferred,
            details: json!({"reason": hold.reason(), "agent": task.timing.assigned_agent}),
        }),
        AttemptEnd::LeaseExpired { worker } => transient(
            task,
            rules,
            now,
            Failed {
                error: &format!(
                    "lease expired: worker {} stopped renewing it",
                    worker.as_deref().unwrap_or("?")
                ),
                retry_after: None,
                action: Action::Reclaimed,
                last_action: Action::Reclaimed,
                details: json!({"class": "lease_expired", "previous_worker": worker}),
            },
        ),
        AttemptEnd::OutOfHours => Transition::Requeue(Requeue {
            lease,
            increment: 0,
            next_run_at: rules.time.start_after(task.timing, now).unwrap_or(now),
            error: None,
            action: Action::Deferred,
            details: json!({"reason": "business_hours", "priority": task.timing.priority}),
        }),
        AttemptEnd::Drained | AttemptEnd::HeldTooLong => Transition::Requeue(Requeue {
            lease,
            increment: 0,
            next_run_at: now,
            error: None,
            action: Action::Released,
            details: json!({"reason": if *end == AttemptEnd::Drained {
                "worker shutdown"
            } else {
                "waited too long for a free slot"
            }}),
        }),
    }
}

/// An agent's output that Postgres refused to store (found by `Batch` when it writes a
/// completion): the task fails with TASK_014 and nothing else in its batch is held up. The
/// classification of agent answers catches the known cases (a NUL character) before this.
pub fn refused_output(lease: Lease, err: &sqlx::Error) -> Failure {
    Failure {
        lease,
        error: format!(
            "{}: agent reply cannot be stored: {err}",
            Code::UnusableReply
        ),
        action: Action::Failed,
        details: json!({"class": "unusable_reply"}),
    }
}

/// Whether a task just claimed at `now` may start: None when it may, else the transition that
/// defers it to its start window ([`AttemptEnd::OutOfHours`]).
pub fn hold(task: AttemptView<'_>, rules: Rules<'_>, now: DateTime<Utc>) -> Option<Transition> {
    rules
        .time
        .start_after(task.timing, now)
        .map(|_| settle(task, &AttemptEnd::OutOfHours, rules, now))
}

/// A failure that counts against the task's retries.
struct Failed<'e> {
    error: &'e str,
    retry_after: Option<Duration>,
    /// Audit action when a retry is scheduled.
    action: Action,
    /// Audit action when no retry is left.
    last_action: Action,
    details: Value,
}

fn transient(
    task: AttemptView<'_>,
    rules: Rules<'_>,
    now: DateTime<Utc>,
    f: Failed<'_>,
) -> Transition {
    match rules
        .retry
        .decide(task.retry_count, task.max_retries, f.retry_after, now)
    {
        Decision::Retry { next_run_at } => Transition::Requeue(Requeue {
            lease: task.lease,
            increment: 1,
            next_run_at: rules.time.retry_at(task.timing, next_run_at),
            error: Some(f.error.to_string()),
            action: f.action,
            details: f.details,
        }),
        Decision::GiveUp => Transition::Fail(Failure {
            lease: task.lease,
            error: max_retries_message(task.max_retries, f.error),
            action: f.last_action,
            details: f.details,
        }),
    }
}

#[cfg(test)]
#[path = "settle_tests.rs"]
mod tests;
