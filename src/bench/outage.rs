//! `taskfleet bench --agent http --agent-outage-secs 60 --tasks 200`: the agent is down (503 to
//! every call) for the first minute of the run, then recovers. With circuit breakers (the
//! workers' defaults, or `TASKFLEET_BREAKER_*` in the environment) no task should fail, the agent
//! should see one probe per cool-down while it is down, and every task should complete soon
//! after it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::args::{AgentKind, BenchArgs, Deps};
use super::fleet::Fleet;
use super::load::{build_tasks, round, sim_agent, workspace};
use crate::db::sql;
use crate::demo::sim::SimConfig;
use crate::queue;

/// How long past the outage the run may take before the bench gives up on it.
const GRACE: Duration = Duration::from_secs(600);

pub(super) async fn measure(
    args: &BenchArgs,
    pool: &PgPool,
    url: &str,
    outage: Duration,
) -> Result<Value> {
    if args.agent != AgentKind::Http {
        bail!("--agent-outage-secs needs --agent http (the noop agent cannot go down)");
    }
    let ws = workspace(pool, "bench").await?;
    for chunk in build_tasks(ws, args.tasks, Deps::None).chunks(5000) {
        queue::insert(&mut *pool.acquire().await?, "bench", chunk, false).await?;
    }
    let secret = Uuid::new_v4().to_string();
    let calls_while_down = Arc::new(AtomicU64::new(0));
    let cfg = SimConfig {
        down_for: outage,
        calls_while_down: calls_while_down.clone(),
        ..SimConfig::default()
    };
    sim_agent(pool, &secret, cfg).await?;
    let started = Instant::now();
    let workers = Fleet::start(args, url, &secret).await?;
    let row = loop {
        let row: (i64, i64, i32, i64, i64) = crate::db::query_as(sql::BENCH_OUTAGE_RESULT)
            .bind(ws)
            .fetch_one(pool)
            .await?;
        if row.1 as usize >= args.tasks || started.elapsed() > outage + GRACE {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let all_done = started.elapsed();
    workers.stop().await;
    let (failed, done, max_retries_used, opened, closed) = row;
    Ok(json!({
        "agent_outage_secs": outage.as_secs(),
        "tasks": args.tasks,
        "done": done,
        "failed": failed,
        "max_retries_used": max_retries_used,
        "calls_while_down": calls_while_down.load(Ordering::Relaxed),
        "breaker_opened": opened,
        "failed_probes": (opened - 1).max(0),
        "breaker_closed": closed,
        "all_done_after_recovery_ms": round(all_done.saturating_sub(outage).as_secs_f64() * 1000.0),
        "workers": args.workers,
        "processes": args.processes,
    }))
}
