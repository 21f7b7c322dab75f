//! The demo's live output: on a terminal, a bar per phase (indicatif) under a scrolling log of
//! notable events; elsewhere (CI, pipes) plain lines without escape codes: each event, and the
//! counts whenever they change.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::sql;

/// Width of a phase's name before its bar.
const PHASE_WIDTH: usize = 34;

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

impl PhaseProgress {
    fn done(&self) -> i64 {
        self.completed + self.failed + self.cancelled
    }
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
    last_event: i64,
    view: View,
}

enum View {
    /// stdout is a terminal: indicatif draws, events are printed above its bars.
    Bars {
        multi: MultiProgress,
        phases: Vec<ProgressBar>,
        /// A blank line above the bars and the totals under them, once the first counts came.
        frame: Option<(ProgressBar, ProgressBar)>,
    },
    /// Anything else: plain lines, the counts only when they changed.
    Plain { last: Vec<PhaseProgress> },
}

impl Progress {
    pub fn new(workspace: Uuid) -> Self {
        // Hidden when stdout is not a terminal (or TERM=dumb): then nothing draws, and the plain
        // view prints instead. Every change redraws, and a redraw over the rate is dropped: a
        // refresh makes a few changes every 250 ms, far below 100 a second, so none is lost.
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout_with_hz(100));
        let view = if multi.is_hidden() {
            View::Plain { last: Vec::new() }
        } else {
            View::Bars {
                multi,
                phases: Vec::new(),
                frame: None,
            }
        };
        Self {
            workspace,
            last_event: 0,
            view,
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
        for e in &events {
            self.last_event = self.last_event.max(e.id);
        }
        let lines = events.iter().filter_map(describe).map(|l| format!("  {l}"));
        match &mut self.view {
            View::Bars {
                multi,
                phases: bars,
                frame,
            } => {
                for line in lines {
                    let _ = multi.println(line); // see `say`
                }
                draw(multi, bars, frame, &phases);
            }
            View::Plain { last } => {
                for line in lines {
                    say(&line);
                }
                if phases != *last {
                    say(&format!("  progress: {}", totals_line(&phases)));
                    *last = phases.clone();
                }
            }
        }
        Ok(phases)
    }

    /// Leaves the bars on screen as they are, so what follows prints below them.
    pub fn finish(self) {
        if let View::Bars { phases, frame, .. } = self.view {
            let frame = frame.iter().flat_map(|(blank, totals)| [blank, totals]);
            for bar in frame.chain(&phases) {
                bar.finish();
            }
            say(""); // indicatif leaves the cursor at the end of its last line
        }
    }
}

/// Updates the bars to `phases`, adding one per phase the first time it is seen.
fn draw(
    multi: &MultiProgress,
    bars: &mut Vec<ProgressBar>,
    frame: &mut Option<(ProgressBar, ProgressBar)>,
    phases: &[PhaseProgress],
) {
    let line = |template: &str| {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template(template).expect("the demo's templates are valid"),
        )
    };
    let (_, totals) = frame.get_or_insert_with(|| {
        let blank = multi.add(line(" "));
        blank.tick(); // a bar shows once it has drawn
        (blank, multi.add(line("  {msg}")))
    });
    let style = ProgressStyle::with_template(&format!(
        "  {{prefix:{PHASE_WIDTH}}} {{bar:30}} {{pos:>3}}/{{len:<3}}"
    ))
    .expect("the demo's templates are valid")
    .progress_chars("█░");
    for (i, p) in phases.iter().enumerate() {
        if bars.len() <= i {
            bars.push(multi.insert_before(totals, ProgressBar::new(0).with_style(style.clone())));
        }
        // Only what changed: each change is a redraw.
        let bar = &bars[i];
        let prefix = truncate(&p.phase, PHASE_WIDTH);
        if bar.prefix() != prefix {
            bar.set_prefix(prefix);
        }
        let (total, done) = (p.total.max(0) as u64, p.done().max(0) as u64);
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        if bar.position() != done {
            bar.set_position(done);
        }
    }
    let line = totals_line(phases);
    if totals.message() != line {
        totals.set_message(line);
    }
}

/// Prints a line of the demo's output. A write that fails (stdout closed early, as by `| head`)
/// is dropped: the demo still runs to its end and cleans up.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
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
        "task.approved" => format!(
            "✔ approved {task}: {}",
            d["comment"].as_str().unwrap_or("no comment")
        ),
        "task.rejected" => format!("✗ rejected {task}: {}", d["comment"].as_str().unwrap_or("")),
        "task.deferred" => format!("⏸ deferred {task}: {}", d["reason"].as_str().unwrap_or("")),
        _ => return None,
    })
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
