//! Logs (`RUST_LOG`, `TASKFLEET_LOG_FORMAT=text|json`) and the Prometheus recorder.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Logs go to stderr so subcommands that print a value (`workspaces create`, `token`) keep
/// stdout clean for scripts. Colours only when stderr is a terminal: a log redirected to a file
/// or a pipe gets no escape codes.
pub fn init_logging(default_level: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx::postgres::notice=warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Installs the global metrics recorder once and returns the handle that renders `/metrics`.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Claims take about a millisecond, attempts up to minutes: buckets for both.
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("claim_latency_seconds".into()),
                    &[
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Suffix("duration_seconds".into()),
                        &[
                            0.001, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0,
                        ],
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_ok() {
                describe();
                spawn_upkeep(handle.clone());
            }
            handle
        })
        .clone()
}

/// Histogram samples pile up in the recorder until something drains them; a scrape does, but
/// the chart's default install is never scraped, so a timer does it too (memory stays flat).
/// A plain thread: this runs before and outside any tokio runtime.
fn spawn_upkeep(handle: PrometheusHandle) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(5);
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "metrics upkeep thread did not start; memory grows until scraped");
    }
}

/// HELP text and units of every metric the API and workers export (`promtool check metrics`
/// reads them; scripts/promtool-check.sh runs it on live scrapes).
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "taskfleet_http_requests_total",
        "API requests answered, by method, route and status."
    );
    describe_histogram!(
        "taskfleet_http_request_duration_seconds",
        Unit::Seconds,
        "API request handling time, by route."
    );
    describe_gauge!(
        "taskfleet_worker_up",
        "1 while this worker is connected and claiming."
    );
    describe_counter!(
        "taskfleet_tasks_claimed_total",
        "Tasks this worker claimed."
    );
    describe_histogram!(
        "taskfleet_claim_latency_seconds",
        Unit::Seconds,
        "Time one claim statement took."
    );
    describe_gauge!(
        "taskfleet_tasks_in_flight",
        "Attempts this worker is running now."
    );
    describe_histogram!(
        "taskfleet_task_duration_seconds",
        Unit::Seconds,
        "Execution time of one attempt (agent call), by agent and outcome."
    );
    describe_counter!(
        "taskfleet_tasks_completed_total",
        "Attempts that completed their task, by agent."
    );
    describe_counter!(
        "taskfleet_tasks_retried_total",
        "Attempts that failed transiently and were scheduled again, by agent and class."
    );
    describe_counter!(
        "taskfleet_tasks_failed_total",
        "Attempts that failed their task for good, by agent and class."
    );
    describe_counter!(
        "taskfleet_tasks_deferred_total",
        "Attempts put back without running (agent unavailable or outside business hours)."
    );
    describe_counter!(
        "taskfleet_lease_reclaims_total",
        "Expired leases the reaper took back."
    );
    describe_gauge!(
        "taskfleet_queue_depth",
        "Tasks by status (queued, in_progress) and ready tasks, at the last queue_metrics sweep."
    );
    describe_gauge!(
        "taskfleet_stale_ready_tasks",
        "Ready tasks waiting longer than TASKFLEET_STALE_AFTER_SECS."
    );
    describe_gauge!(
        "taskfleet_oldest_ready_age_seconds",
        Unit::Seconds,
        "Age of the oldest ready task."
    );
    describe_gauge!(
        "taskfleet_agent_breaker_open",
        "1 while the agent's circuit breaker is open or half-open (its tasks wait), else 0."
    );
    describe_gauge!(
        "taskfleet_approvals_pending",
        "Completed tasks whose result awaits approval (their dependents wait), fleet-wide."
    );
    describe_gauge!(
        "taskfleet_approvals_stale",
        "Results awaiting approval longer than TASKFLEET_APPROVAL_REMIND_SECS."
    );
    describe_gauge!(
        "taskfleet_workspace_queued_tasks",
        "Queued tasks (ready or blocked) per workspace: the queue_depth alert's value."
    );
    describe_gauge!(
        "taskfleet_workspace_failure_ratio",
        "Failed share of the tasks that finished today per workspace: the failure_rate alert's value."
    );
    describe_gauge!(
        "taskfleet_workspace_finished_today_tasks",
        "Tasks that finished (completed or failed) today per workspace."
    );
    describe_gauge!(
        "taskfleet_workspace_slowest_execution_seconds",
        Unit::Seconds,
        "Longest execution among tasks finished in the slow-execution window, per workspace."
    );
    describe_gauge!(
        "taskfleet_alert_firing",
        "1 while the fleet's own evaluation of an alert fires for a workspace, else 0."
    );
}
