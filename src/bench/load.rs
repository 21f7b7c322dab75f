//! What a benchmark run enqueues and how it waits: shared by the single-workspace run
//! (`bench::measure`) and the tenants run (`bench::tenants`).

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::args::Deps;
use super::fleet::Fleet;
use crate::db::sql;
use crate::demo::sim;
use crate::queue::{self, NewTask};

/// Priority of the measured tasks; backlog tasks have a lower one.
pub(super) const MEASURED_PRIORITY: i32 = 5;
pub(super) const BACKLOG_PRIORITY: i32 = 1;

/// `count` ready tasks of priority `priority` in `ws`.
pub(super) async fn prefill(pool: &PgPool, ws: Uuid, count: usize, priority: i32) -> Result<()> {
    let mut left = count;
    while left > 0 {
        let n = left.min(10_000);
        let mut tasks = build_tasks(ws, n, Deps::None);
        for t in &mut tasks {
            t.priority = priority;
        }
        queue::insert(&mut *pool.acquire().await?, "bench", &tasks, false).await?;
        left -= n;
    }
    Ok(())
}

/// Tasks in enqueue order; dependencies only point backwards, so every chunk is insertable.
pub(super) fn build_tasks(ws: Uuid, n: usize, deps: Deps) -> Vec<NewTask> {
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let layer = n.div_ceil(10).max(1);
    (0..n)
        .map(|i| {
            let depends_on = match deps {
                Deps::None => vec![],
                Deps::Chain if i > 0 => vec![ids[i - 1]],
                Deps::Chain => vec![],
                Deps::Layers if i >= layer => {
                    let prev = i - layer;
                    let start = (prev / layer) * layer;
                    let other = start + (prev - start + 1) % layer;
                    let mut d = vec![ids[prev], ids[other.min(n - 1)]];
                    d.dedup();
                    d
                }
                Deps::Layers => vec![],
            };
            NewTask {
                id: ids[i],
                workspace_id: ws,
                contact_id: None,
                strategy_id: None,
                task_description: format!("bench task {i}"),
                task_type: "other".into(),
                assigned_agent: "general-executor".into(),
                priority: MEASURED_PRIORITY,
                depends_on,
                input_data: json!({"i": i}),
                max_retries: 3,
                next_run_at: None,
                plan_index: None,
                deadline: None,
                requires_approval: false,
            }
        })
        .collect()
}

/// Waits until `total` tasks of `workspaces` are completed: on the workers' own counters first,
/// then on the database for the last commits (counting completed rows every 10 ms would cost the
/// database more each poll).
pub(super) async fn wait_completed(
    workers: &Fleet,
    pool: &PgPool,
    workspaces: &[Uuid],
    total: usize,
) -> Result<()> {
    crate::install_crypto_provider();
    let client = reqwest::Client::new();
    // Every 20 ms, as Graphile Worker's harness (scripts/peers/gw.mjs) reports its counts: each
    // poll renders every worker's /metrics page, which at 5 ms took about a tenth of a worker's
    // CPU away from the run it measures.
    while (workers.completed(&client).await? as usize) < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        let mut done = 0;
        for ws in workspaces {
            let n: i64 = crate::db::query_scalar(sql::BENCH_COUNT_COMPLETED)
                .bind(ws)
                .bind(MEASURED_PRIORITY)
                .fetch_one(pool)
                .await?;
            done += n as usize;
        }
        if done >= total {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A workspace named `name` for the benchmark's tasks.
pub(super) async fn workspace(pool: &PgPool, name: &str) -> Result<Uuid> {
    let (ws,): (Uuid,) = crate::db::query_as(sql::WORKSPACE_CREATE)
        .bind(name)
        .bind(None::<String>)
        .fetch_one(pool)
        .await?;
    Ok(ws)
}

pub(super) fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Starts the simulated agents with `cfg` and registers their `general-executor` (the agent of
/// the benchmark's tasks).
pub(super) async fn sim_agent(
    pool: &PgPool,
    agent_secret: &str,
    cfg: sim::SimConfig,
) -> Result<()> {
    let addr = sim::start("127.0.0.1:0".parse()?, agent_secret, cfg).await?;
    crate::db::query(sql::AGENT_UPSERT)
        .bind("general-executor")
        .bind(format!("http://{addr}/general-executor"))
        .bind(true)
        .bind(None::<i32>)
        .bind(None::<f64>)
        .execute(pool)
        .await?;
    Ok(())
}
