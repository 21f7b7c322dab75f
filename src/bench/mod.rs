//! `taskfleet bench` (contract section 7): enqueue N tasks, run W worker loops of C slots on the
//! production claim / complete SQL (audit rows included), and print one JSON line per run.
//!
//! Each run gets a database of its own, created on the server of `DATABASE_URL` and dropped
//! afterwards (or a private throwaway server, like the demo's, when none is given — with fsync
//! off, so its figures are not comparable with a real server's). Built on the modules above;
//! nothing imports it.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::scratch::ScratchDatabase;
use crate::db::{self, sql};
use crate::demo::postgres::EmbeddedPostgres;
use crate::demo::sim;
use crate::queue;

pub use args::{AgentKind, BenchArgs, Deps};
use fleet::Fleet;
pub use fleet::{BenchWorkerArgs, run_worker};
use load::{
    BACKLOG_PRIORITY, MEASURED_PRIORITY, build_tasks, prefill, round, sim_agent, wait_completed,
    workspace,
};

mod args;
mod fleet;
mod load;
mod outage;
mod tenants;

pub async fn run(args: BenchArgs) -> Result<()> {
    if args.tasks == 0 || args.workers == 0 || args.concurrency == 0 {
        bail!("--tasks, --workers and --concurrency must be at least 1");
    }
    let embedded = match &args.database_url {
        Some(_) => None,
        None => Some(tokio::task::spawn_blocking(EmbeddedPostgres::start).await??),
    };
    let server_url = match (&args.database_url, &embedded) {
        (Some(url), _) => db::database_url(Some(url.clone()))?,
        (None, Some(pg)) => pg.url.clone(),
        (None, None) => unreachable!("embedded is set when no URL is"),
    };
    let mut runs = Vec::new();
    for n in 1..=args.repeat.max(1) {
        let result = run_once(&args, &server_url, n, embedded.is_some()).await?;
        println!("{result}");
        runs.push(result);
    }
    if runs.len() > 1 {
        println!("{}", medians(&runs));
    }
    Ok(())
}

async fn run_once(args: &BenchArgs, server_url: &str, n: usize, embedded: bool) -> Result<Value> {
    let scratch = ScratchDatabase::create(server_url, "taskfleet_bench").await?;
    let outcome = measure(args, scratch.url(), embedded).await;
    let _ = scratch.drop().await;
    let mut result = outcome?;
    result["run"] = json!(n);
    Ok(result)
}

async fn measure(args: &BenchArgs, url: &str, embedded: bool) -> Result<Value> {
    let pool = db::connect(url, 4).await?;
    db::migrate::run(&pool).await?;
    if let Some(t) = &args.tenants {
        return tenants::measure(args, &pool, url, t).await;
    }
    if let Some(secs) = args.agent_outage_secs {
        return outage::measure(args, &pool, url, Duration::from_secs(secs)).await;
    }
    let ws = workspace(&pool, "bench").await?;
    let agent_secret = Uuid::new_v4().to_string();
    if args.agent == AgentKind::Http {
        sim_agent(&pool, &agent_secret, sim::SimConfig::default()).await?;
    }
    if args.history > 0 {
        let history_ws = workspace(&pool, "bench history").await?;
        prefill(&pool, history_ws, args.history, 1).await?;
        // History: completed rows of another workspace, as a long-running fleet accumulates.
        crate::db::query(sql::BENCH_MARK_COMPLETED)
            .bind(history_ws)
            .execute(&pool)
            .await?;
    }
    if args.backlog > 0 {
        // In the measured tasks' workspace: under the fair claim, another workspace's backlog
        // would get its share whatever its priority (which is the point of fairness).
        prefill(&pool, ws, args.backlog, BACKLOG_PRIORITY).await?;
    }

    let tasks = build_tasks(ws, args.tasks, args.deps);
    let (enqueue_secs, run_started) = if let Some(gap) = args.arrival_ms {
        let workers = Fleet::start(args, url, &agent_secret).await?;
        tokio::time::sleep(Duration::from_millis(500)).await; // idle and listening
        let mut conn = pool.acquire().await?;
        let started = Instant::now();
        for task in &tasks {
            queue::insert(
                &mut conn,
                "bench",
                std::slice::from_ref(task),
                args.audit.is_full(),
            )
            .await?;
            tokio::time::sleep(Duration::from_millis(gap)).await;
        }
        (started.elapsed().as_secs_f64(), (started, workers))
    } else {
        let started = Instant::now();
        for chunk in tasks.chunks(5000) {
            queue::insert(
                &mut *pool.acquire().await?,
                "bench",
                chunk,
                args.audit.is_full(),
            )
            .await?;
        }
        let enqueue = started.elapsed().as_secs_f64();
        sqlx::raw_sql(sql::BENCH_VACUUM).execute(&pool).await?;
        let workers = Fleet::start(args, url, &agent_secret).await?;
        (enqueue, (Instant::now(), workers))
    };
    let (started, workers) = run_started;
    wait_completed(&workers, &pool, &[ws], args.tasks).await?;
    let secs = started.elapsed().as_secs_f64();
    let peak_rss = workers.peak_rss_mb();
    workers.stop().await;
    let (p50, p99): (f64, f64) = crate::db::query_as(sql::BENCH_LATENCY)
        .bind(ws)
        .bind(MEASURED_PRIORITY)
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(json!({
        "tasks": args.tasks,
        "enqueue_per_sec": round(args.tasks as f64 / enqueue_secs),
        "throughput_per_sec": round(args.tasks as f64 / secs),
        "latency_ms_p50": round(p50),
        "latency_ms_p99": round(p99),
        "peak_rss_mb": round(peak_rss),
        "processes": args.processes,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "deps": format!("{:?}", args.deps).to_lowercase(),
        "agent": format!("{:?}", args.agent).to_lowercase(),
        "backlog": args.backlog,
        "history": args.history,
        "arrival_ms": args.arrival_ms,
        "database": if embedded { "embedded (fsync off)" } else { "DATABASE_URL" },
    }))
}

fn medians(runs: &[Value]) -> Value {
    let median = |key: &str| {
        let mut v: Vec<f64> = runs.iter().filter_map(|r| r[key].as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mut out = runs[0].clone();
    for key in [
        "enqueue_per_sec",
        "throughput_per_sec",
        "latency_ms_p50",
        "latency_ms_p99",
        "peak_rss_mb",
    ] {
        out[key] = json!(median(key));
    }
    out["run"] = json!("median");
    out["runs"] = json!(runs.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_point_only_backwards_into_the_previous_layer() {
        let tasks = build_tasks(Uuid::new_v4(), 100, Deps::Layers);
        let index = |id: &Uuid| tasks.iter().position(|t| t.id == *id).unwrap();
        for (i, t) in tasks.iter().enumerate() {
            let layer = i / 10;
            if layer == 0 {
                assert!(t.depends_on.is_empty());
            }
            for d in &t.depends_on {
                assert_eq!(index(d) / 10, layer - 1, "task {i}");
            }
        }
    }
}
