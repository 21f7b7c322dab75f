//! `taskfleet worker`: one stateless worker of the fleet.
//!
//! One loop ([`run`]) that claims ready tasks in batches, waking on NOTIFY (`taskfleet_ready`,
//! `taskfleet_cancel`), on this worker's own retry timers, when a slot frees up, and on a slow poll
//! as fallback. Claimed tasks wait in a small local queue (prefetch only for short attempts, see
//! `local_queue`) and each runs as its own tokio task holding a slot (`attempt`); outcomes go to
//! the [`finisher`], which writes them in batches. Beside it: heartbeat and agent registry sync
//! ([`background`]) and the cron sweeps ([`sweeps`]). On shutdown it stops claiming, releases what
//! it holds but has not started, lets attempts finish up to the shutdown grace (the task timeout by
//! default), releases the rest to `queued` and returns.

mod attempt;
pub mod background;
pub mod breaker;
mod claiming;
pub mod config;
pub mod finisher;
pub mod guards;
pub mod health;
pub mod inflight;
mod limits;
mod local_queue;
pub mod pass;
pub mod record;
mod sweep_schedule;
pub mod sweeps;

pub use config::{WorkerConfig, default_worker_id};

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::agents::Executor;
use crate::queue::{AGENTS_CHANNEL, AttemptEnd, CANCEL_CHANNEL, READY_CHANNEL};
use attempt::AttemptCtx;
use background::{RegistrySync, SharedRegistrySync};
use claiming::Claiming;
use guards::AgentGuards;
use inflight::{Abandon, Inflight};
use local_queue::LocalQueue;

/// Runs a worker until `shutdown` resolves, then drains. `ready` flips to true once the worker
/// is connected and listening (what `/healthz` reports).
pub async fn run<E: Executor>(
    pool: PgPool,
    cfg: WorkerConfig,
    executor: Arc<E>,
    shutdown: impl Future<Output = ()>,
    ready: Arc<AtomicBool>,
) -> Result<()> {
    if crate::db::citus::detect(&pool).await? {
        tracing::info!("the database is a Citus coordinator: claims and writes go shard by shard");
    }
    let mut listener = PgListener::connect_with(&pool)
        .await
        .context("cannot open the LISTEN connection")?;
    listener
        .listen_all([READY_CHANNEL, CANCEL_CHANNEL, AGENTS_CHANNEL])
        .await
        .context("LISTEN failed")?;
    let registry_sync: SharedRegistrySync = Arc::new(RegistrySync::new(pool.clone()));
    if let Some(registry) = executor.registry() {
        registry_sync.reload(registry).await.context(
            "cannot load the agent registry (is the schema migrated? run `taskfleet migrate`)",
        )?;
    }

    let (wake_tx, mut wake_rx) = mpsc::unbounded_channel();
    let (finisher, finisher_task) = finisher::spawn(pool.clone(), cfg.clone(), wake_tx);
    let inflight = Inflight::default();
    let stop_background = CancellationToken::new();
    let background = spawn_background(&pool, &cfg, &inflight, &stop_background);

    ready.store(true, Ordering::Release);
    metrics::gauge!("taskfleet_worker_up").set(1.0);
    tracing::info!(worker_id = %cfg.id, concurrency = cfg.concurrency, "worker started");

    let slots = Arc::new(Semaphore::new(cfg.concurrency));
    let mut attempts = JoinSet::new();
    let mut local = LocalQueue::default();
    let mut wakes: BinaryHeap<Reverse<Instant>> = BinaryHeap::new();
    let mut poll = tokio::time::interval(cfg.poll_interval);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let guards = AgentGuards::new(&pool, &cfg);
    let ctx = Arc::new(AttemptCtx::new(
        executor,
        finisher,
        inflight.clone(),
        registry_sync,
        guards,
    ));
    let mut claiming = Claiming::default();
    // Whether the last claim got all it asked for: then more work is probably waiting, and a
    // freed slot should claim again without waiting for a NOTIFY.
    let mut backlog = true;
    let mut want_claim = true;
    tokio::pin!(shutdown);

    loop {
        // Start what we hold, then top up.
        while let Some(permit) = (!local.is_empty())
            .then(|| slots.clone().try_acquire_owned().ok())
            .flatten()
        {
            let Some((task, attempt)) = local.pop() else {
                break;
            };
            if attempt.cancel.is_cancelled() {
                ctx.forget(&attempt); // cancelled or lease lost while waiting
                continue;
            }
            let ctx = ctx.clone();
            attempts.spawn(async move { ctx.run_attempt(task, attempt, permit).await });
        }
        let avg = Duration::from_micros(ctx.avg_attempt_us.load(Ordering::Relaxed));
        let want = local.claim_size(slots.available_permits(), cfg.concurrency, avg);
        if want_claim && want > 0 && claiming.is_idle() {
            want_claim = false;
            claiming.start(&pool, &cfg, want);
        }
        let next_wake = wakes.peek().map(|w| w.0);
        let next_expiry = local.next_expiry();
        tokio::select! {
            biased;
            _ = &mut shutdown => break,
            claimed = claiming.done() => {
                backlog = claimed.full;
                want_claim |= backlog;
                for task in claimed.tasks {
                    let attempt = inflight.start(task.lease());
                    local.push(task, attempt);
                }
                metrics::gauge!("taskfleet_tasks_in_flight").set(inflight.len() as f64);
            }
            _ = ctx.slot_freed.notified() => want_claim |= backlog,
            Some(_) = attempts.join_next(), if !attempts.is_empty() => {}
            notification = listener.recv() => match notification {
                Ok(n) if n.channel() == CANCEL_CHANNEL => {
                    if let Ok(id) = n.payload().parse()
                        && inflight.abandon_task(id, Abandon::Cancelled)
                    {
                        tracing::info!(task_id = %id, "task cancelled; abandoning its attempt");
                    }
                }
                Ok(n) if n.channel() == AGENTS_CHANNEL => {
                    if let Some(registry) = ctx.executor.registry() {
                        let _ = ctx.registry_sync.reload(registry).await;
                    }
                }
                Ok(_) => want_claim = true,
                Err(e) => {
                    // PgListener reconnects on the next recv; the poll covers the gap.
                    tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    want_claim = true;
                }
            },
            Some(at) = wake_rx.recv() => wakes.push(Reverse(at)),
            _ = tokio::time::sleep_until(next_wake.unwrap_or_else(Instant::now).into()), if next_wake.is_some() => {
                let now = Instant::now();
                while wakes.peek().is_some_and(|w| w.0 <= now) {
                    wakes.pop();
                }
                want_claim = true;
            }
            _ = tokio::time::sleep_until(next_expiry.unwrap_or_else(tokio::time::Instant::now)), if next_expiry.is_some() => {
                release_expired(&ctx, &mut local).await;
                want_claim = true;
            }
            _ = poll.tick() => want_claim = true,
        }
    }

    tracing::info!(in_flight = inflight.len(), "draining: no new claims");
    if !claiming.is_idle() {
        for task in claiming.done().await.tasks {
            let attempt = inflight.start(task.lease());
            local.push(task, attempt);
        }
    }
    // Claimed but never started: straight back to queued.
    for (task, attempt) in local.drain() {
        let written = ctx
            .finisher
            .submit(task, AttemptEnd::Drained, Instant::now())
            .await;
        let _ = written.await;
        ctx.forget(&attempt);
    }
    drain(&mut attempts, &inflight, cfg.shutdown_grace).await;
    drop(ctx);
    let _ = finisher_task.await;
    stop_background.cancel();
    for task in background {
        let _ = task.await;
    }
    metrics::gauge!("taskfleet_worker_up").set(0.0);
    tracing::info!("worker stopped");
    Ok(())
}

/// Releases what waited too long for a slot (see [`local_queue::MAX_HOLD`]): back to queued at
/// once, for any worker with a free slot, without waiting for the writes.
async fn release_expired<E: Executor>(ctx: &AttemptCtx<E>, local: &mut LocalQueue) {
    let expired = local.take_expired(tokio::time::Instant::now());
    tracing::debug!(
        released = expired.len(),
        "claimed tasks waited too long for a slot; releasing them"
    );
    for (task, attempt) in expired {
        drop(
            ctx.finisher
                .submit(task, AttemptEnd::HeldTooLong, Instant::now())
                .await,
        );
        ctx.forget(&attempt);
    }
}

/// Lets attempts finish for up to `grace`, then abandons the rest, which release their tasks.
async fn drain(attempts: &mut JoinSet<()>, inflight: &Inflight, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    while !attempts.is_empty() {
        match tokio::time::timeout_at(deadline, attempts.join_next()).await {
            Ok(_) => {}
            Err(_) => {
                tracing::warn!(
                    in_flight = inflight.len(),
                    "grace period over; releasing unfinished tasks"
                );
                inflight.abandon_all(Abandon::Shutdown);
                while attempts.join_next().await.is_some() {}
            }
        }
    }
}

fn spawn_background(
    pool: &PgPool,
    cfg: &WorkerConfig,
    inflight: &Inflight,
    stop: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let heartbeat = {
        let (pool, cfg, inflight) = (pool.clone(), cfg.clone(), inflight.clone());
        let period = (cfg.lease / 3).max(Duration::from_millis(100));
        tokio::spawn(background::every(period, stop.clone(), move || {
            let (pool, cfg, inflight) = (pool.clone(), cfg.clone(), inflight.clone());
            async move { background::heartbeat_once(&pool, &cfg, &inflight).await }
        }))
    };
    let mut tasks = vec![heartbeat];
    if let Some(sweep_cfg) = cfg.sweeps.clone() {
        let sweeps = sweeps::Sweeps::new(pool.clone(), cfg.clone(), sweep_cfg);
        tasks.push(tokio::spawn(sweeps.run(stop.clone())));
    }
    tasks
}
