//! When tasks may run: pure rules (no IO, "now" passed in) that the queue and workers apply.

pub mod retry;
