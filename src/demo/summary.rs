//! The demo's closing summary: a table of tasks by phase and agent, totals, and the SQL a DBA
//! would run to see the same.

use std::time::Duration;

use anyhow::{Result, bail};
use sqlx::PgPool;
use uuid::Uuid;

use super::progress::truncate;
use crate::db::sql;

#[derive(sqlx::FromRow)]
struct Row {
    phase: String,
    assigned_agent: String,
    task_description: String,
    status: String,
    attempts: i32,
    duration_ms: f64,
}

/// Prints the summary; an error when not every task completed.
pub async fn print(pool: &PgPool, workspace: Uuid, run: Duration, total: Duration) -> Result<()> {
    let rows: Vec<Row> = crate::db::query_as(sql::DEMO_SUMMARY)
        .bind(workspace)
        .fetch_all(pool)
        .await?;
    println!("\nSummary");
    println!(
        "  {:<26} {:<17} {:<40} {:<10} {:>8} {:>9}",
        "phase", "agent", "task", "status", "attempts", "last (ms)"
    );
    for r in &rows {
        println!(
            "  {:<26} {:<17} {:<40} {:<10} {:>8} {:>9.0}",
            truncate(&r.phase, 26),
            r.assigned_agent,
            truncate(&r.task_description, 40),
            r.status,
            r.attempts,
            r.duration_ms
        );
    }
    let completed = rows.iter().filter(|r| r.status == "completed").count();
    let retries: i32 = rows.iter().map(|r| r.attempts - 1).sum();
    let secs = run.as_secs_f64().max(0.001);
    println!(
        "\n  {completed}/{} tasks completed in {:.1} s ({:.1} tasks/s), {retries} retries; {:.1} s in all with setup",
        rows.len(),
        secs,
        completed as f64 / secs,
        total.as_secs_f64()
    );
    println!(
        "\n  A DBA sees the same with:\n    SELECT * FROM queue_summary WHERE workspace_id = '{workspace}';"
    );
    if completed != rows.len() {
        bail!(
            "{} of {} tasks did not complete",
            rows.len() - completed,
            rows.len()
        );
    }
    println!("  all {} tasks completed", rows.len());
    Ok(())
}
