//! Claimed tasks waiting for a free slot. A worker claims more than its free slots only when
//! attempts are short: the queue holds what the slots would get through in [`HORIZON`] at the
//! recent average attempt time, so a no-op-fast workload claims hundreds per statement while
//! slow agents (seconds per call) get no prefetch at all and never sit on work another worker
//! could start. Queued tasks are leased and heartbeated like running ones.

use std::collections::VecDeque;
use std::time::Duration;

use super::inflight::Attempt;
use crate::queue::ClaimedTask;

/// How much work, in time, a worker may hold beyond its running attempts.
pub const HORIZON: Duration = Duration::from_millis(50);

/// Most tasks held beyond the slots, however fast attempts are.
pub const MAX_PREFETCH: usize = 1000;

#[derive(Default)]
pub struct LocalQueue {
    tasks: VecDeque<(ClaimedTask, Attempt)>,
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
        let depth =
            (concurrency as u128 * HORIZON.as_micros() / avg).min(MAX_PREFETCH as u128) as usize;
        // Refill only once down to half the depth, so claims stay large instead of topping up
        // one freed slot at a time.
        if depth > 0 && self.tasks.len() > depth / 2 {
            return 0;
        }
        (free_slots + depth).saturating_sub(self.tasks.len())
    }

    pub fn push(&mut self, task: ClaimedTask, attempt: Attempt) {
        self.tasks.push_back((task, attempt));
    }

    pub fn pop(&mut self) -> Option<(ClaimedTask, Attempt)> {
        self.tasks.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn drain(&mut self) -> impl Iterator<Item = (ClaimedTask, Attempt)> + '_ {
        self.tasks.drain(..)
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

    fn task() -> ClaimedTask {
        let now = chrono::Utc::now();
        ClaimedTask {
            id: uuid::Uuid::new_v4(),
            workspace_id: uuid::Uuid::new_v4(),
            task_type: "other".into(),
            assigned_agent: "general-executor".into(),
            task_description: "t".into(),
            input_data: sqlx::types::Json(serde_json::json!({})),
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
