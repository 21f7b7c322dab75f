//! The demo's closing summary: tasks by phase with agent, status, attempts and duration; totals;
//! and the SQL a DBA would run to see the same. Every line fits in [`WIDTH`] columns.

use std::fmt::Write;
use std::time::Duration;

use anyhow::{Result, bail};
use sqlx::PgPool;
use uuid::Uuid;

use super::progress::{say, truncate};
use crate::db::sql;

/// The widest line the summary prints.
pub const WIDTH: usize = 100;

const TASK: usize = 44;
const AGENT: usize = 17;
const STATUS: usize = 11;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub phase: String,
    pub assigned_agent: String,
    pub task_description: String,
    pub status: String,
    pub attempts: i32,
    pub duration_ms: f64,
}

/// Where the summary's rows live, and how long the run took.
pub struct Context<'a> {
    pub workspace: Uuid,
    /// The database's name, for the DBA's query.
    pub database: &'a str,
    /// Whether the database is still there after the summary (`--keep-running`).
    pub keep_running: bool,
    /// From decomposition to the last task.
    pub run: Duration,
    /// From the start of the command.
    pub total: Duration,
}

/// Prints the summary; an error when not every task completed.
pub async fn print(pool: &PgPool, cx: &Context<'_>) -> Result<()> {
    let rows: Vec<Row> = crate::db::query_as(sql::DEMO_SUMMARY)
        .bind(cx.workspace)
        .fetch_all(pool)
        .await?;
    say(render(&rows, cx).trim_end_matches('\n'));
    let completed = rows.iter().filter(|r| r.status == "completed").count();
    if completed != rows.len() {
        bail!(
            "{} of {} tasks did not complete",
            rows.len() - completed,
            rows.len()
        );
    }
    say(&format!("  all {} tasks completed", rows.len()));
    Ok(())
}

/// The summary's text, rows in the order given (plan order), a heading per phase.
pub fn render(rows: &[Row], cx: &Context<'_>) -> String {
    let mut out = String::from("\nSummary\n");
    let row = |task: &str, agent: &str, status: &str, tries: &str, ms: &str| {
        format!("    {task:<TASK$}  {agent:<AGENT$}  {status:<STATUS$}  {tries:>5}  {ms:>7}\n")
    };
    out.push_str(&row("task", "agent", "status", "tries", "last ms"));
    let mut phase = None;
    for r in rows {
        if phase != Some(&r.phase) {
            let _ = writeln!(out, "  {}", truncate(&r.phase, WIDTH - 2));
            phase = Some(&r.phase);
        }
        out.push_str(&row(
            &truncate(&r.task_description, TASK),
            &truncate(&r.assigned_agent, AGENT),
            &truncate(&r.status, STATUS),
            &truncate(&r.attempts.to_string(), 5),
            &truncate(&format!("{:.0}", r.duration_ms), 7),
        ));
    }
    let completed = rows.iter().filter(|r| r.status == "completed").count();
    let retries: i64 = rows.iter().map(|r| i64::from(r.attempts - 1)).sum();
    let secs = cx.run.as_secs_f64().max(0.001);
    let _ = writeln!(
        out,
        "\n  {completed}/{} tasks completed in {:.1} s ({:.1} tasks/s), {retries} retries; \
         {:.1} s in all with setup",
        rows.len(),
        secs,
        completed as f64 / secs,
        cx.total.as_secs_f64()
    );
    if cx.keep_running {
        let _ = writeln!(
            out,
            "\n  A DBA sees the same in database {} with:",
            truncate(cx.database, WIDTH - 40)
        );
    } else {
        out.push_str(
            "\n  A DBA sees the same with (the database is dropped on exit; --keep-running keeps it):\n",
        );
    }
    let _ = writeln!(out, "    {}", dba_query(cx.workspace));
    out
}

/// `sql/demo_dba_query.sql` with the workspace filled in, as a DBA would paste it.
fn dba_query(workspace: Uuid) -> String {
    let statement = crate::db::sql::DEMO_DBA_QUERY
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ");
    statement.trim().replace("$1", &format!("'{workspace}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(phase: &str, agent: &str, task: &str, status: &str, attempts: i32) -> Row {
        Row {
            phase: phase.into(),
            assigned_agent: agent.into(),
            task_description: task.into(),
            status: status.into(),
            attempts,
            duration_ms: 123_456.7,
        }
    }

    #[test]
    fn every_line_fits_in_100_columns_whatever_the_names() {
        let long = "a very long name that goes on and on ".repeat(5);
        let rows = vec![
            row(
                "Phase 1: Awareness",
                "content-generator",
                "Write launch blog post",
                "completed",
                1,
            ),
            row(&long, &long, &long, "in_progress", 12_345),
            row(&long, "campaign-manager", "Ümlaut täsk…", "cancelled", 2),
        ];
        for keep_running in [false, true] {
            let database = format!("taskfleet_demo_{}", "0".repeat(48));
            let cx = Context {
                workspace: Uuid::new_v4(),
                database: &database,
                keep_running,
                run: Duration::from_secs(86_400),
                total: Duration::from_secs(90_000),
            };
            let text = render(&rows, &cx);
            for line in text.lines() {
                assert!(
                    line.chars().count() <= WIDTH,
                    "{} columns: {line}",
                    line.chars().count()
                );
            }
            assert!(text.contains("Phase 1: Awareness\n"));
            assert!(text.contains("Write launch blog post"));
            assert!(text.contains("1/3 tasks completed"));
            let query = dba_query(cx.workspace);
            assert!(query.ends_with(&format!("'{}';", cx.workspace)), "{query}");
            assert!(text.contains(&query), "{text}");
        }
    }

    #[test]
    fn a_phase_heading_comes_once_per_run_of_rows() {
        let rows = vec![
            row("P1", "email-agent", "a", "completed", 1),
            row("P1", "email-agent", "b", "completed", 1),
            row("P2", "email-agent", "c", "completed", 2),
        ];
        let cx = Context {
            workspace: Uuid::nil(),
            database: "taskfleet_demo_x",
            keep_running: false,
            run: Duration::from_secs(2),
            total: Duration::from_secs(3),
        };
        let text = render(&rows, &cx);
        assert_eq!(text.matches("\n  P1\n").count(), 1);
        assert_eq!(text.matches("\n  P2\n").count(), 1);
        assert!(text.contains("3/3 tasks completed in 2.0 s (1.5 tasks/s), 1 retries"));
    }
}
