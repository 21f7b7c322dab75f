//! The operator's commands, run as the real binary against a test database: `tasks
//! list|show|cancel|retry`, `workspaces list`, `agents enable|disable|remove`; every
//! subcommand's --help example; log format and colours.

mod common;

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use common::procs::{WorkerProc, run_cli};
use common::{TestDb, new_task};

/// Runs a command that must succeed; returns its stdout.
fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let (status, stdout, stderr) = run_cli(args, env);
    assert!(status.success(), "{args:?}: {stderr}");
    stdout
}

/// Runs a command that must fail with one `error:` line; returns that line.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let (status, _, stderr) = run_cli(args, env);
    assert!(!status.success(), "{args:?} should fail");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: one line expected, got {stderr:?}"
    );
    assert!(lines[0].starts_with("error:"), "{args:?}: {stderr:?}");
    assert!(
        !lines[0].contains(".c:"),
        "no PostgreSQL source location: {stderr:?}"
    );
    lines[0].to_owned()
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn tasks_commands_list_show_cancel_and_retry_with_the_apis_rules(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [("DATABASE_URL", db.url.as_str()), ("USER", "ops")];
    let ws = db.workspace().await;
    let other_ws = db.workspace().await;
    let upstream = new_task(ws, "content-generator");
    let mut dependent = new_task(ws, "email-agent");
    dependent.depends_on = vec![upstream.id];
    // Two inserts, so the two have distinct created_at, the list's order.
    let up = db.insert(&[upstream]).await[0];
    let down = db.insert(&[dependent]).await[0];
    let (up_s, ws_s, other_s) = (up.to_string(), ws.to_string(), other_ws.to_string());

    let list = ok(&["tasks", "list", "--workspace", &ws_s], &env);
    let listed: Vec<(&str, &str)> = list
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 7, "{l}");
            (cols[0], cols[1])
        })
        .collect();
    assert_eq!(
        listed,
        [
            (up_s.as_str(), "queued"),
            (down.to_string().as_str(), "queued")
        ]
    );
    let failed = ok(
        &["tasks", "list", "--workspace", &ws_s, "--status", "failed"],
        &env,
    );
    assert_eq!(failed, "");
    let page2 = ok(
        &[
            "tasks",
            "list",
            "--workspace",
            &ws_s,
            "--after",
            &up_s,
            "--limit",
            "1",
        ],
        &env,
    );
    assert!(page2.starts_with(&down.to_string()), "{page2}");

    let shown: Value =
        serde_json::from_str(&ok(&["tasks", "show", &up_s, "--workspace", &ws_s], &env)).unwrap();
    assert_eq!(shown["id"], up_s);
    assert_eq!(shown["status"], "queued");
    // Another workspace's task answers as a missing one, as in the API.
    let e = refused(&["tasks", "show", &up_s, "--workspace", &other_s], &env);
    assert!(
        e.contains("TASK_003: task") && e.contains("not found"),
        "{e}"
    );
    let e = refused(
        &["tasks", "list", "--workspace", &Uuid::new_v4().to_string()],
        &env,
    );
    assert!(e.contains("TASK_013: workspace"), "{e}");

    let out = ok(
        &[
            "tasks",
            "cancel",
            &up_s,
            "--workspace",
            &ws_s,
            "--reason",
            "campaign dropped",
        ],
        &env,
    );
    assert_eq!(out, format!("cancelled task {up} (it was queued)\n"));
    assert_eq!(db.task(up).await.status, "cancelled");
    assert_eq!(
        db.task(down).await.status,
        "cancelled",
        "dependents cascade"
    );
    let actor: String = sqlx::query_scalar(
        "SELECT agent FROM audit_logs WHERE resource_id = $1 AND action = 'task.cancelled'",
    )
    .bind(up)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(actor, "cli:ops");
    let e = refused(&["tasks", "cancel", &up_s, "--workspace", &ws_s], &env);
    assert!(
        e.contains("TASK_009: cannot cancel a task that is cancelled"),
        "{e}"
    );

    let out = ok(&["tasks", "retry", &up_s, "--workspace", &ws_s], &env);
    assert!(
        out.contains("with 1 dependents cancelled on its account"),
        "{out}"
    );
    assert_eq!(db.task(up).await.status, "queued");
    assert_eq!(db.task(down).await.status, "queued");
    assert_eq!(db.audit_actions(up).await.last().unwrap(), "task.retried");
    let e = refused(&["tasks", "retry", &up_s, "--workspace", &ws_s], &env);
    assert!(
        e.contains("TASK_009: cannot retry a task that is queued"),
        "{e}"
    );

    // A bad value lists the valid ones.
    let e = refused(
        &["tasks", "list", "--workspace", &ws_s, "--status", "done"],
        &env,
    );
    assert!(
        e.contains("[possible values: queued, in_progress, completed, failed, cancelled]"),
        "{e}"
    );
    db.assert_queue_consistent().await;
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn workspaces_list_and_agents_enable_disable_remove(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [("DATABASE_URL", db.url.as_str())];
    let ws: Uuid = ok(&["workspaces", "create", "--name", "Acme"], &env)
        .trim()
        .parse()
        .unwrap();
    db.insert(&[new_task(ws, "email-agent")]).await;
    assert_eq!(
        ok(&["workspaces", "list"], &env),
        format!("{ws}\tAcme\t-\t1\t1\t0\t0\t0\t0\n")
    );

    ok(
        &[
            "agents",
            "register",
            "email-agent",
            "http://127.0.0.1:9/email",
        ],
        &env,
    );
    let out = ok(&["agents", "disable", "email-agent"], &env);
    assert_eq!(
        out,
        "agent email-agent -> http://127.0.0.1:9/email is disabled\n"
    );
    assert_eq!(
        ok(&["agents", "list"], &env),
        "email-agent\thttp://127.0.0.1:9/email\tdisabled\tclosed\t0\t-\t-\t-\t-\t-\n"
    );
    ok(&["agents", "enable", "email-agent"], &env);
    assert_eq!(
        ok(&["agents", "list"], &env),
        "email-agent\thttp://127.0.0.1:9/email\tenabled\tclosed\t0\t-\t-\t-\t-\t-\n"
    );
    let e = refused(&["agents", "disable", "email-agnet"], &env);
    assert!(
        e.contains("\"email-agnet\" is not registered (registered: email-agent)"),
        "{e}"
    );
    let out = ok(&["agents", "remove", "email-agent"], &env);
    assert!(out.starts_with("removed agent email-agent"), "{out}");
    assert_eq!(ok(&["agents", "list"], &env), "");
    let e = refused(&["agents", "remove", "email-agent"], &env);
    assert!(e.contains("is not registered (no agent is"), "{e}");
}

#[test]
fn every_subcommand_help_has_an_example() {
    let commands: &[&[&str]] = &[
        &["migrate"],
        &["api"],
        &["worker"],
        &["demo"],
        &["agents-sim"],
        &["bench"],
        &["token"],
        &["agents", "register"],
        &["agents", "list"],
        &["agents", "enable"],
        &["agents", "disable"],
        &["agents", "remove"],
        &["workspaces", "create"],
        &["workspaces", "list"],
        &["tasks", "list"],
        &["tasks", "show"],
        &["tasks", "cancel"],
        &["tasks", "retry"],
    ];
    for args in commands {
        let mut with_help = args.to_vec();
        with_help.push("--help");
        let help = ok(&with_help, &[]);
        let example = help
            .split_once("Example")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{args:?} --help has no example:\n{help}"));
        assert!(example.contains("taskfleet "), "{args:?}: {example}");
    }
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn an_unknown_log_format_is_an_error_naming_the_valid_ones(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("TASKFLEET_LOG_FORMAT", "yaml"),
    ];
    let e = refused(&["migrate"], &env);
    assert_eq!(
        e,
        "error: TASKFLEET_LOG_FORMAT \"yaml\" is not one of: text, json"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn logs_written_to_a_file_carry_no_colour_codes(pool: PgPool) {
    let db = TestDb::new(pool);
    // The worker's stderr is a file (tests/common/procs.rs).
    let w = WorkerProc::start(&db, &[]).await;
    let log = w.log();
    assert!(log.contains("worker started"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape in a log file: {log:?}"
    );
}

/// A database error names PostgreSQL's message and SQLSTATE once, not the server's C source line
/// sqlx appends ("at line 1392"), and says how to fix a missing schema.
#[sqlx::test(migrations = false)]
async fn database_errors_show_no_postgres_source_lines(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [("DATABASE_URL", db.url.as_str())];
    let ws = Uuid::new_v4().to_string();
    for args in [
        vec!["tasks", "list", "--workspace", &ws],
        vec!["workspaces", "list"],
        vec!["agents", "enable", "email-agent"],
    ] {
        let e = refused(&args, &env);
        assert!(!e.contains("at line"), "{args:?}: {e}");
        assert!(
            e.starts_with("error: database error: relation \"")
                && e.contains(
                    "does not exist (SQLSTATE 42P01); the schema is missing or older \
                               than this binary: run `taskfleet migrate`"
                ),
            "{args:?}: {e}"
        );
    }
}
