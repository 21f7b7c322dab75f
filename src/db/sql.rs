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
    AGENT_LIST => "agent_list.sql",
    AGENT_UPSERT => "agent_upsert.sql",
    TASK_CLAIM => "task_claim.sql",
    TASK_COMPLETE => "task_complete.sql",
    TASK_FAIL => "task_fail.sql",
    TASK_HEARTBEAT => "task_heartbeat.sql",
    TASK_INSERT => "task_insert.sql",
    TASK_REQUEUE => "task_requeue.sql",
    TASK_SELECT_EXPIRED_LEASES => "task_select_expired_leases.sql",
    TASK_UNBLOCK_DEPENDENTS => "task_unblock_dependents.sql",
    WORKSPACE_CREATE => "workspace_create.sql",
}
