//! Every statement the program runs, one const per file in `sql/` (the file's header says what it
//! does, its locks and parameters). [`ALL`] lists them so a test can prepare each one against a
//! migrated database and fail on a file that no const names.

macro_rules! sql_files {
    ($($name:ident => $file:literal),* $(,)?) => {
        $(
            #[doc = concat!("`sql/", $file, "`")]
            pub const $name: &str = include_str!(concat!("../../sql/", $file));
        )*
        /// (file name, statement) for every file in `sql/`.
        pub const ALL: &[(&str, &str)] = &[$(($file, $name)),*];
    };
}

sql_files! {
    AGENT_DELETE => "agent_delete.sql",
    AGENT_LIST => "agent_list.sql",
    AGENT_SET_ENABLED => "agent_set_enabled.sql",
    AGENT_STATS => "agent_stats.sql",
    AGENT_UPSERT => "agent_upsert.sql",
    API_ROLE_PASSWORD => "api_role_password.sql",
    ALERT_EVALUATE => "alert_evaluate.sql",
    APPROVAL_LIST => "approval_list.sql",
    ALERT_RECORD => "alert_record.sql",
    AUDIT_DELETE_EXPIRED => "audit_delete_expired.sql",
    AUDIT_INSERT => "audit_insert.sql",
    AUDIT_LIST_BY_TASK => "audit_list_by_task.sql",
    BENCH_COUNT_COMPLETED => "bench_count_completed.sql",
    BENCH_LATENCY => "bench_latency.sql",
    BENCH_TENANT_LATENCY => "bench_tenant_latency.sql",
    BENCH_MARK_COMPLETED => "bench_mark_completed.sql",
    BENCH_VACUUM => "bench_vacuum.sql",
    CONTACT_EXISTS => "contact_exists.sql",
    DEMO_DBA_QUERY => "demo_dba_query.sql",
    DEMO_EVENTS => "demo_events.sql",
    DEMO_PROGRESS => "demo_progress.sql",
    DEMO_SUMMARY => "demo_summary.sql",
    HEALTH_CHECK => "health_check.sql",
    METRICS_THROUGHPUT => "metrics_throughput.sql",
    ORCHESTRATOR_METRICS => "orchestrator_metrics.sql",
    QUEUE_CHECK => "queue_check.sql",
    QUEUE_DEPTH => "queue_depth.sql",
    STRATEGY_EXISTS => "strategy_exists.sql",
    STRATEGY_INSERT => "strategy_insert.sql",
    STRATEGY_LIST => "strategy_list.sql",
    STRATEGY_LOCK => "strategy_lock.sql",
    STRATEGY_SET_PLAN => "strategy_set_plan.sql",
    TASK_CANCEL => "task_cancel.sql",
    TASK_APPROVAL_DECIDE => "task_approval_decide.sql",
    TASK_CANCEL_DEPENDENTS => "task_cancel_dependents.sql",
    TASK_CLAIM => "task_claim.sql",
    TASK_COMPLETE => "task_complete.sql",
    TASK_COUNT_QUEUED => "task_count_queued.sql",
    SCRATCH_DATABASE => "scratch_database.sql",
    SWEEP_CLAIM_TICK => "sweep_claim_tick.sql",
    SWEEP_RECORD_RESULT => "sweep_record_result.sql",
    SWEEP_LAST_RESULT => "sweep_last_result.sql",
    SWEEP_TRY_LOCK => "sweep_try_lock.sql",
    SWEEP_UNLOCK => "sweep_unlock.sql",
    TASK_DELETE_EXPIRED => "task_delete_expired.sql",
    TASK_DEQUEUE => "task_dequeue.sql",
    TASK_ESCALATE_DEADLINES => "task_escalate_deadlines.sql",
    TASK_ETA => "task_eta.sql",
    TASK_DEPENDENCY_STATUS => "task_dependency_status.sql",
    TASK_FAIL => "task_fail.sql",
    TASK_GET => "task_get.sql",
    TASK_HEARTBEAT => "task_heartbeat.sql",
    TASK_INSERT => "task_insert.sql",
    TASK_LIST_BY_STRATEGY => "task_list_by_strategy.sql",
    TASK_REQUEUE => "task_requeue.sql",
    TASK_RETRY => "task_retry.sql",
    TASK_SELECT_EXPIRED_LEASES => "task_select_expired_leases.sql",
    TASK_STATUS_PAGE => "task_status_page.sql",
    TASK_STATUS_SUMMARY => "task_status_summary.sql",
    TASK_UNBLOCK_DEPENDENTS => "task_unblock_dependents.sql",
    TEMPLATE_DELETE => "template_delete.sql",
    TEMPLATE_INSERT => "template_insert.sql",
    TEMPLATE_INSTANTIATE => "template_instantiate.sql",
    TEMPLATE_LIST => "template_list.sql",
    TEMPLATE_LIST_ENABLED => "template_list_enabled.sql",
    TEMPLATE_SKIP_TICK => "template_skip_tick.sql",
    TEMPLATE_TICK_DELETE_EXPIRED => "template_tick_delete_expired.sql",
    TENANT_SCOPE => "tenant_scope.sql",
    WORKSPACE_CREATE => "workspace_create.sql",
    WORKSPACE_GET => "workspace_get.sql",
    WORKSPACE_LIST => "workspace_list.sql",
}
