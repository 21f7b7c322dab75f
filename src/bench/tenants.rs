//! `taskfleet bench --tenants A:100000,B:100`: does one tenant's backlog starve another's new
//! work? Every tenant but the last is enqueued first; the workers start; then the last tenant
//! enqueues, and the line reports how long until its last task completed and how long its tasks
//! waited once ready, beside the run's throughput. `TASKFLEET_CLAIM_ORDER` (fair or global)
//! decides, as for any worker.

use std::time::Instant;

use anyhow::Result;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::args::{BenchArgs, Deps, Tenants};
use super::fleet::Fleet;
use super::load::{build_tasks, round, wait_completed, workspace};
use crate::db::sql;
use crate::queue;

pub(super) async fn measure(
    args: &BenchArgs,
    pool: &PgPool,
    url: &str,
    tenants: &Tenants,
) -> Result<Value> {
    let mut workspaces = Vec::new();
    for (name, _) in &tenants.0 {
        workspaces.push(workspace(pool, &format!("tenant {name}")).await?);
    }
    let total: usize = tenants.0.iter().map(|(_, n)| n).sum();
    let (last, first) = workspaces.split_last().expect("at least two tenants");
    for (ws, (_, n)) in first.iter().zip(&tenants.0) {
        for chunk in build_tasks(*ws, *n, Deps::None).chunks(5000) {
            queue::insert(
                &mut *pool.acquire().await?,
                "bench",
                chunk,
                args.audit.is_full(),
            )
            .await?;
        }
    }
    sqlx::raw_sql(sql::BENCH_VACUUM).execute(pool).await?;
    // The noop agent needs no secret; the fleet takes one anyway.
    let workers = Fleet::start(args, url, &Uuid::new_v4().to_string()).await?;
    let started = Instant::now();
    let last_n = tenants.0.last().map_or(0, |(_, n)| *n);
    queue::insert(
        &mut *pool.acquire().await?,
        "bench",
        &build_tasks(*last, last_n, Deps::None),
        false,
    )
    .await?;
    wait_completed(&workers, pool, &workspaces, total).await?;
    let secs = started.elapsed().as_secs_f64();
    workers.stop().await;
    let (last_done, p50, p99): (f64, f64, f64) = crate::db::query_as(sql::BENCH_TENANT_LATENCY)
        .bind(last)
        .fetch_one(pool)
        .await?;
    let spec: Vec<String> = tenants.0.iter().map(|(n, c)| format!("{n}:{c}")).collect();
    Ok(json!({
        "tenants": spec.join(","),
        "claim_order": format!("{:?}", args.claim_order).to_lowercase(),
        "tasks": total,
        "throughput_per_sec": round(total as f64 / secs),
        "tenant_b_last_done_ms": round(last_done),
        "tenant_b_p50_pickup_ms": round(p50),
        "tenant_b_p99_pickup_ms": round(p99),
        "processes": args.processes,
        "workers": args.workers,
        "concurrency": args.concurrency,
    }))
}
