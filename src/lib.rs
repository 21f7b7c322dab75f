//! taskfleet: a Postgres-native task orchestrator.
//!
//! # Layout
//! Data flows one way: `api` → `queue` (+ `sql/`) → Postgres ← `worker` → `agents`.
//!
//! * [`config`]: every `TASKFLEET_*` setting, its default and meaning.
//! * [`db`]: connecting, migrations, the `sql/` statements and the helpers that run them.
//! * [`queue`]: the only code that changes task state (claim, complete, requeue, fail, reclaim,
//!   cancel, retry), and [`queue::settle`], the one rule that turns how an attempt ended into a
//!   transition.
//! * [`worker`]: the worker loop: slots, NOTIFY wake-ups, heartbeat, sweeps, drain.
//! * [`agents`]: routing a task to its agent over HTTP, and classifying the answer.
//! * [`schedule`]: pure timing rules (retry backoff, time-of-day windows) and the clock.
//! * [`audit`], [`codes`]: the audit actions and the TASK_0xx error codes.
//! * [`alerts`]: the specification's three alerts per workspace, evaluated in SQL.
//! * [`auth`]: the API's and the agents' JWTs (claims, minting, verification).
//! * [`decompose`]: pure strategy → task DAG rules.
//! * [`templates`]: recurring task templates: pure tick rules, their statements, the sweep pass.
//! * [`api`]: the HTTP API process.
//! * [`telemetry`]: the Prometheus recorder shared by the API and workers.
//! * [`bench`]: `taskfleet bench`, the queue benchmark (production SQL and worker loop).
//! * [`demo`]: the one-command demo (embedded Postgres, simulated agents); the CLI runs it, and
//!   `bench` borrows its embedded Postgres and simulated agents.
//! * [`signal`]: the stop signal (SIGTERM, Ctrl-C) of every long-running process.
//! * [`cli`]: the `taskfleet` subcommands; nothing imports it but `main`.

pub mod agents;
pub mod alerts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod codes;
pub mod config;
pub mod db;
pub mod decompose;
pub mod demo;
pub mod queue;
pub mod schedule;
pub mod signal;
pub mod telemetry;
pub mod templates;
pub mod worker;

/// rustls needs one process-wide crypto provider; ring keeps the build free of C toolchains
/// beyond what sqlx already needs. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
