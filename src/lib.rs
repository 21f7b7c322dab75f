//! taskfleet: a Postgres-native task orchestrator.
//!
//! # Layout
//! Data flows one way: `api` → `queue` (+ `sql/`) → Postgres ← `worker` → `agents`.
//!
//! * [`config`]: every `TASKFLEET_*` setting, its default and meaning.
//! * [`db`]: connecting, migrations, the `sql/` statements.
//! * [`queue`]: the only code that changes task state (claim, complete, requeue, fail, reclaim).
//! * [`worker`]: the worker loop: slots, NOTIFY wake-ups, heartbeat, reaper, drain.
//! * [`agents`]: routing a task to its agent over HTTP, and classifying the answer.
//! * [`schedule`]: pure timing rules (retry backoff).
//! * [`audit`], [`codes`]: the audit actions and the TASK_0xx error codes.
//! * [`decompose`]: pure strategy → task DAG rules.
//! * [`api`]: the HTTP API process.
//! * [`demo`]: the one-command demo (embedded Postgres, simulated agents); nothing imports it.
//! * [`cli`]: the `taskfleet` subcommands.

pub mod agents;
pub mod api;
pub mod audit;
pub mod bench;
pub mod cli;
pub mod codes;
pub mod config;
pub mod db;
pub mod decompose;
pub mod demo;
pub mod queue;
pub mod schedule;
pub mod telemetry;
pub mod worker;

/// rustls needs one process-wide crypto provider; ring keeps the build free of C toolchains
/// beyond what sqlx already needs. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
