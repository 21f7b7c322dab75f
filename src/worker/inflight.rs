//! The attempts a worker is running: what the heartbeat renews, and how an attempt is abandoned
//! (its future dropped) when its lease is lost or the worker drains.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::queue::Lease;

/// Why an attempt was abandoned: decides what, if anything, the worker writes for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Abandon {
    /// Not abandoned.
    None = 0,
    /// The heartbeat found the lease gone (reclaimed or cancelled): write nothing, the row is
    /// no longer ours.
    LeaseLost = 1,
    /// The task was cancelled (NOTIFY taskfleet_cancel): drop the call, write nothing.
    Cancelled = 3,
    /// The worker is draining and the attempt outlived the grace period: release it to queued.
    Shutdown = 2,
}

#[derive(Clone)]
pub struct Attempt {
    pub lease: Lease,
    pub cancel: CancellationToken,
    reason: Arc<AtomicU8>,
    /// Its outcome is with the writer: nothing left to abandon, the lease is only kept alive.
    finishing: Arc<AtomicBool>,
}

impl Attempt {
    pub fn reason(&self) -> Abandon {
        match self.reason.load(Ordering::Acquire) {
            1 => Abandon::LeaseLost,
            2 => Abandon::Shutdown,
            3 => Abandon::Cancelled,
            _ => Abandon::None,
        }
    }

    /// The outcome went to the writer; a lease found missing now just means it was written.
    pub fn set_finishing(&self) {
        self.finishing.store(true, Ordering::Release);
    }

    fn abandon(&self, why: Abandon) -> bool {
        if self.finishing.load(Ordering::Acquire) {
            return false;
        }
        // The first reason wins: a lost lease must not later turn into a release.
        let _ = self
            .reason
            .compare_exchange(0, why as u8, Ordering::AcqRel, Ordering::Acquire);
        self.cancel.cancel();
        true
    }
}

#[derive(Clone, Default)]
pub struct Inflight {
    attempts: Arc<Mutex<HashMap<Uuid, Attempt>>>,
}

impl Inflight {
    pub fn start(&self, lease: Lease) -> Attempt {
        let attempt = Attempt {
            lease,
            cancel: CancellationToken::new(),
            reason: Arc::new(AtomicU8::new(0)),
            finishing: Arc::new(AtomicBool::new(false)),
        };
        self.lock().insert(lease.task_id, attempt.clone());
        attempt
    }

    pub fn finish(&self, task_id: Uuid) {
        self.lock().remove(&task_id);
    }

    pub fn leases(&self) -> Vec<Lease> {
        self.lock().values().map(|a| a.lease).collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Abandons the attempt of `task_id` if it is still this lease's and still running; true
    /// when it did.
    pub fn abandon(&self, lease: Lease, why: Abandon) -> bool {
        match self.lock().get(&lease.task_id).filter(|a| a.lease == lease) {
            Some(a) => a.abandon(why),
            None => false,
        }
    }

    /// Abandons whatever attempt of `task_id` this worker runs.
    pub fn abandon_task(&self, task_id: Uuid, why: Abandon) -> bool {
        match self.lock().get(&task_id) {
            Some(a) => a.abandon(why),
            None => false,
        }
    }

    pub fn abandon_all(&self, why: Abandon) {
        for a in self.lock().values() {
            let _ = a.abandon(why);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Attempt>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }
}
