//! The demo's terminal output: on a TTY, a bar per phase redrawn in place under a scrolling log
//! of notable events; elsewhere (CI, pipes) plain lines: each event, and the counts whenever
//! they change.

use std::io::{IsTerminal, Write};

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::sql;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PhaseProgress {
    pub phase: String,
    pub total: i64,
    pub queued: i64,
    pub retrying: i64,
    pub running: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
}

#[derive(sqlx::FromRow)]
struct Event {
    id: i64,
    action: String,
    details: sqlx::types::Json<Value>,
    task_description: String,
    assigned_agent: String,
    dependencies: i32,
}

pub struct Progress {
    workspace: Uuid,
    tty: bool,
    last_event: i64,
    drawn: usize,
    last_plain: Vec<PhaseProgress>,
}

impl Progress {
    pub fn new(workspace: Uuid) -> Self {
        Self {
            workspace,
            tty: std::io::stdout().is_terminal(),
            last_event: 0,
            drawn: 0,
            last_plain: Vec::new(),
        }
    }

    /// Prints what happened since the last call; returns the per-phase counts.
    pub async fn refresh(&mut self, pool: &PgPool) -> anyhow::Result<Vec<PhaseProgress>> {
        let events: Vec<Event> = crate::db::query_as(sql::DEMO_EVENTS)
            .bind(self.workspace)
            .bind(self.last_event)
            .fetch_all(pool)
            .await?;
        let phases: Vec<PhaseProgress> = crate::db::query_as(sql::DEMO_PROGRESS)
            .bind(self.workspace)
            .fetch_all(pool)
            .await?;
        let mut out = std::io::stdout().lock();
        if self.tty && self.drawn > 0 {
            // Back to the top of the bars, and clear them: events scroll above the new bars.
            write!(out, "\x1b[{}F\x1b[J", self.drawn)?;
        }
        for e in &events {
            self.last_event = self.last_event.max(e.id);
            if let Some(line) = describe(e) {
                writeln!(out, "  {line}")?;
            }
        }
        if self.tty {
            self.drawn = draw_bars(&mut out, &phases)?;
        } else if phases != self.last_plain {
            writeln!(out, "  progress: {}", totals_line(&phases))?;
            self.last_plain = phases.clone();
        }
        out.flush()?;
        Ok(phases)
    }
}

/// One line per notable event, or None for the ones not worth a line.
fn describe(e: &Event) -> Option<String> {
    let task = format!("{} [{}]", e.task_description, e.assigned_agent);
    let d = &e.details.0;
    Some(match e.action.as_str() {
        "task.started" if d["attempt"].as_i64().unwrap_or(1) > 1 => {
            format!("↻ attempt {} of {task}", d["attempt"])
        }
        "task.started" if e.dependencies > 0 => format!("▶ dependencies met, started {task}"),
        "task.executed" => format!("✓ completed {task} in {} ms", d["duration_ms"]),
        "task.retry_scheduled" => format!(
            "⚠ {task} failed ({}); retry {} in {}",
            d["class"].as_str().unwrap_or("error"),
            d["retry_count"],
            d["next_run_at"]
                .as_str()
                .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
                .map(|t| format!(
                    "{:.1} s (backoff)",
                    (t - chrono::Utc::now()).as_seconds_f64().max(0.0)
                ))
                .unwrap_or_else(|| "?".into())
        ),
        "task.failed" => format!("✗ {task} failed: {}", d["error"].as_str().unwrap_or("")),
        "task.cancelled" => format!(
            "⊘ cancelled {task}: {}",
            d["upstream"]
                .as_str()
                .map(|u| format!("upstream {u} did not complete"))
                .unwrap_or_default()
        ),
        "task.reclaimed" => format!("↺ reclaimed {task} after an expired lease"),
        "task.deferred" => format!("⏸ deferred {task}: {}", d["reason"].as_str().unwrap_or("")),
        _ => return None,
    })
}

fn draw_bars(out: &mut impl Write, phases: &[PhaseProgress]) -> std::io::Result<usize> {
    const WIDTH: i64 = 30;
    let mut lines = 0;
    writeln!(out)?;
    lines += 1;
    for p in phases {
        let done = p.completed + p.failed + p.cancelled;
        let filled = (done * WIDTH).checked_div(p.total).unwrap_or(0);
        let bar: String = (0..WIDTH)
            .map(|i| if i < filled { '█' } else { '░' })
            .collect();
        writeln!(
            out,
            "  {:<34} {bar} {done:>3}/{:<3}",
            truncate(&p.phase, 34),
            p.total
        )?;
        lines += 1;
    }
    writeln!(out, "  {}", totals_line(phases))?;
    Ok(lines + 1)
}

/// `queued 3 · running 2 · retrying 1 · completed 10 · failed 0 · cancelled 0`
pub fn totals_line(phases: &[PhaseProgress]) -> String {
    let sum = |f: fn(&PhaseProgress) -> i64| phases.iter().map(f).sum::<i64>();
    format!(
        "queued {} · running {} · retrying {} · completed {} · failed {} · cancelled {}",
        sum(|p| p.queued),
        sum(|p| p.running),
        sum(|p| p.retrying),
        sum(|p| p.completed),
        sum(|p| p.failed),
        sum(|p| p.cancelled)
    )
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}
