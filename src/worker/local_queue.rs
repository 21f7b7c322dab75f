//! Claimed tasks waiting for a free slot. A worker claims more than its free slots only when
//! attempts are short: the queue holds what the slots would get through in [`HORIZON`] at the
//! recent average attempt time, so a no-op-fast workload claims hundreds per statement while
//! slow agents (seconds per call) get no prefetch at all and never sit on work another worker
//! could start. Queued tasks are leased and heartbeated like running ones.
//!
//! The average can mislead when fast and slow attempts mix: a slow call can hold every slot
//! while tasks claimed for the fast rate wait behind it. So no task waits here longer than
//! [`MAX_HOLD`]: past it, the worker releases the task (back to `queued` at once, no retry
//! consumed, `task.released`) for any worker with a free slot, and claims only for its free
//! slots for a while ([`PREFETCH_PAUSE`]).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::inflight::Attempt;
use crate::queue::ClaimedTask;

/// How much work, in time, a worker may hold beyond its running attempts.
pub const HORIZON: Duration = Duration::from_millis(50);

/// Most tasks held beyond the slots, however fast attempts are: claims of about half of it.
pub const MAX_PREFETCH: usize = 2000;

/// Longest a claimed task waits here for a slot before it is released to other workers: five
/// horizons, so ordinary jitter around [`HORIZON`] never turns into release churn.
pub const MAX_HOLD: Duration = Duration::from_millis(250);

/// After a release, how long the worker claims only for its free slots.
pub const PREFETCH_PAUSE: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct LocalQueue {
    /// Oldest first, with when each was claimed.
    tasks: VecDeque<(ClaimedTask, Attempt, Instant)>,
    prefetch_paused_until: Option<Instant>,
}

impl LocalQueue {
    /// How many tasks to claim now, given free slots and the average attempt time.
    pub fn claim_size(
        &self,
        free_slots: usize,
        concurrency: usize,
        avg_attempt: Duration,
    ) -> usize {
        let avg = avg_attempt.as_micros().max(1);
        let paused = self
            .prefetch_paused_until
            .is_some_and(|until| Instant::now() < until);
        let depth = if paused {
            0
        } else {
            (concurrency as u128 * HORIZON.as_micros() / avg).min(MAX_PREFETCH as u128) as usize
        };
        // Refill only once down to half the depth, so claims stay large instead of topping up
        // one freed slot at a time.
        if depth > 0 && self.tasks.len() > depth / 2 {
            return 0;
        }
        (free_slots + depth).saturating_sub(self.tasks.len())
    }

    pub fn push(&mut self, task: ClaimedTask, attempt: Attempt) {
        self.tasks.push_back((task, attempt, Instant::now()));
    }

    pub fn pop(&mut self) -> Option<(ClaimedTask, Attempt)> {
        self.tasks
            .pop_front()
            .map(|(task, attempt, _)| (task, attempt))
    }

    /// When the oldest held task reaches [`MAX_HOLD`].
    pub fn next_expiry(&self) -> Option<Instant> {
        self.tasks.front().map(|(_, _, since)| *since + MAX_HOLD)
    }

    /// Takes out every task held for [`MAX_HOLD`] by `now`, to be released, and pauses
    /// prefetching if there were any.
    pub fn take_expired(&mut self, now: Instant) -> Vec<(ClaimedTask, Attempt)> {
        let mut expired = Vec::new();
        while self
            .tasks
            .front()
            .is_some_and(|(_, _, since)| *since + MAX_HOLD <= now)
        {
            expired.extend(self.pop());
        }
        if !expired.is_empty() {
            self.prefetch_paused_until = Some(now + PREFETCH_PAUSE);
        }
        expired
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn drain(&mut self) -> impl Iterator<Item = (ClaimedTask, Attempt)> + '_ {
        self.tasks
            .drain(..)
            .map(|(task, attempt, _)| (task, attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_attempts_prefetch_and_slow_ones_do_not() {
        let q = LocalQueue::default();
        // 5 slots, 10 µs attempts: 5 * 50 ms / 10 µs = 25,000, capped.
        assert_eq!(
            q.claim_size(5, 5, Duration::from_micros(10)),
            5 + MAX_PREFETCH
        );
        // 300 ms agent calls: nothing beyond the free slots.
        assert_eq!(q.claim_size(3, 5, Duration::from_millis(300)), 3);
        // 10 ms attempts: 5 * 50 / 10 = 25 beyond the slots.
        assert_eq!(q.claim_size(0, 5, Duration::from_millis(10)), 25);
    }

    #[test]
    fn a_queue_above_half_its_depth_waits_before_claiming_again() {
        let inflight = super::super::inflight::Inflight::default();
        let mut q = LocalQueue::default();
        for _ in 0..13 {
            let t = task();
            let a = inflight.start(t.lease());
            q.push(t, a);
        }
        assert_eq!(
            q.claim_size(2, 5, Duration::from_millis(10)),
            0,
            "13 of 25 held"
        );
        q.pop();
        assert_eq!(q.claim_size(2, 5, Duration::from_millis(10)), 2 + 25 - 12);
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_held_past_max_hold_are_taken_out_and_prefetch_pauses() {
        let inflight = super::super::inflight::Inflight::default();
        let mut q = LocalQueue::default();
        let hold = |q: &mut LocalQueue| {
            let t = task();
            let a = inflight.start(t.lease());
            q.push(t, a);
        };
        hold(&mut q);
        hold(&mut q);
        tokio::time::advance(MAX_HOLD / 2).await;
        hold(&mut q);
        assert!(q.take_expired(Instant::now()).is_empty());
        assert_eq!(q.claim_size(0, 5, Duration::from_millis(10)), 25 - 3);
        tokio::time::advance(MAX_HOLD / 2).await;
        assert_eq!(q.next_expiry(), Some(Instant::now()));
        assert_eq!(q.take_expired(Instant::now()).len(), 2, "the two oldest");
        // Paused: only free slots are claimed, then prefetch comes back.
        assert_eq!(q.claim_size(2, 5, Duration::from_millis(10)), 1);
        tokio::time::advance(PREFETCH_PAUSE).await;
        assert_eq!(q.take_expired(Instant::now()).len(), 1);
        tokio::time::advance(PREFETCH_PAUSE).await;
        assert_eq!(q.claim_size(2, 5, Duration::from_millis(10)), 2 + 25);
    }

    fn task() -> ClaimedTask {
        let now = chrono::Utc::now();
        ClaimedTask {
            id: uuid::Uuid::new_v4(),
            workspace_id: uuid::Uuid::new_v4(),
            task_type: "other".into(),
            assigned_agent: "general-executor".into(),
            task_description: "t".into(),
            input_data: sqlx::types::Json(
                serde_json::value::RawValue::from_string("{}".into()).unwrap(),
            ),
            priority: 5,
            retry_count: 0,
            max_retries: 3,
            attempt_token: uuid::Uuid::new_v4(),
            next_run_at: now,
            started_at: now,
            timezone: None,
        }
    }
}
