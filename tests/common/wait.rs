//! [`wait_until`]: wait for an observable condition (a row, a lock wait, a log line, an agent
//! call) instead of sleeping for a guessed time.

use std::time::{Duration, Instant};

/// What a [`wait_until`] check answers: `true` or `Ok(value)` once the condition holds; `false`
/// or `Err(what it saw)` to keep polling (the last `Err` is shown if the wait times out).
pub trait Check {
    type Out;
    fn check(self) -> Result<Self::Out, String>;
}

impl Check for bool {
    type Out = ();
    fn check(self) -> Result<(), String> {
        if self { Ok(()) } else { Err("not yet".into()) }
    }
}

impl<T> Check for Result<T, String> {
    type Out = T;
    fn check(self) -> Self {
        self
    }
}

/// Polls `check` every 50 ms until it holds and returns what it gave; panics naming `what` (and
/// the last thing the check saw) once `limit` has passed. Use it to wait for an observable
/// condition instead of sleeping for a guessed time.
pub async fn wait_until<C: Check>(
    what: &str,
    limit: Duration,
    mut check: impl AsyncFnMut() -> C,
) -> C::Out {
    let start = Instant::now();
    loop {
        match check().await.check() {
            Ok(out) => return out,
            Err(seen) => assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting until {what}; last: {seen}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
