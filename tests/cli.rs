//! The binary's command line: migrations (twice, concurrently), registry and workspace commands,
//! and one-line `error:` messages for what users get wrong.

mod common;

use std::process::Command;

use sqlx::PgPool;

use common::TestDb;
use common::procs::{BIN, run_cli};

/// A schema fingerprint: every column of every table and view in public, with its type.
async fn schema(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A database with nothing in it, for `taskfleet migrate` to build.
#[sqlx::test(migrations = false)]
async fn migrate_twice_and_concurrently_gives_the_same_schema(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [("DATABASE_URL", db.url.as_str())];
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(BIN)
                .arg("migrate")
                .env("DATABASE_URL", &db.url)
                .output()
        })
        .collect();
    for out in children {
        let out = out.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let once = schema(&db.pool).await;
    assert!(
        once.iter()
            .any(|(t, c, _)| t == "autonomous_tasks" && c == "next_run_at")
    );
    assert!(once.iter().any(|(t, _, _)| t == "ready_tasks"));

    // Two at the same moment, then again: no error, same schema.
    let a = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .spawn()
        .unwrap();
    let b = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", &db.url)
        .spawn()
        .unwrap();
    for child in [a, b] {
        assert!(child.wait_with_output().unwrap().status.success());
    }
    let (status, stdout, _) = run_cli(&["migrate"], &env);
    assert!(status.success());
    assert!(stdout.starts_with("schema is at migration"), "{stdout}");
    assert_eq!(schema(&db.pool).await, once);

    // The API's tenant login: a role that can log in, with the password migrate was given (a
    // cluster-wide role, so any value works here; the test server trusts loopback anyway).
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("TASKFLEET_API_DB_PASSWORD", "cli-test-api-db-password"),
    ];
    let (status, _, stderr) = run_cli(&["migrate"], &env);
    assert!(status.success(), "{stderr}");
    let (login, password): (bool, bool) = sqlx::query_as(
        "SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'taskfleet_api'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        login && password,
        "taskfleet_api login {login}, password {password}"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn registry_and_workspace_commands_write_what_they_say(pool: PgPool) {
    let db = TestDb::new(pool);
    let env = [("DATABASE_URL", db.url.as_str())];
    let (status, stdout, _) = run_cli(
        &[
            "workspaces",
            "create",
            "--name",
            "Acme",
            "--timezone",
            "Europe/London",
        ],
        &env,
    );
    assert!(status.success());
    let id: uuid::Uuid = stdout.trim().parse().expect("stdout is the UUID alone");
    let tz: Option<String> = sqlx::query_scalar("SELECT timezone FROM workspaces WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(tz.as_deref(), Some("Europe/London"));

    let (status, stdout, _) = run_cli(
        &[
            "agents",
            "register",
            "email-agent",
            "http://127.0.0.1:9000/email",
        ],
        &env,
    );
    assert!(status.success(), "{stdout}");
    let (status, stdout, _) = run_cli(
        &[
            "agents",
            "register",
            "email-agent",
            "http://127.0.0.1:9001/email",
        ],
        &env,
    );
    assert!(status.success());
    assert!(stdout.starts_with("updated"), "{stdout}");
    let (_, list, _) = run_cli(&["agents", "list"], &env);
    assert_eq!(
        list,
        "email-agent\thttp://127.0.0.1:9001/email\tenabled\tclosed\t0\t-\t-\t-\t-\t-\n"
    );
}

/// A secret long enough to be accepted (at least 32 bytes).
const LONG_SECRET: &str = "cli-test-secret-of-at-least-32-bytes";

/// Every user mistake answers one `error:` line naming the fix, and a non-zero exit.
#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn mistakes_get_one_actionable_error_line(pool: PgPool) {
    let db = TestDb::new(pool);
    let good = db.url.as_str();
    let server = good.rsplit_once('/').unwrap().0;
    let unknown_db = format!("{server}/taskfleet_no_such_database?sslmode=disable");
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["migrate"], vec![], "DATABASE_URL is not set"),
        // One-shot commands fail at once on an unreachable server; services wait for it
        // (tests/outages.rs), but not on what waiting cannot fix, like an unknown database.
        (
            vec!["workspaces", "list"],
            vec![("DATABASE_URL", "postgres://postgres@127.0.0.1:1/x")],
            "cannot connect to the database at 127.0.0.1:1",
        ),
        (
            vec!["migrate"],
            vec![("DATABASE_URL", unknown_db.as_str())],
            "database \"taskfleet_no_such_database\" does not exist",
        ),
        (
            vec!["migrate"],
            vec![("DATABASE_URL", "mysql://nope")],
            "DATABASE_URL is not a valid postgres:// URL",
        ),
        (
            vec!["worker"],
            vec![("DATABASE_URL", good)],
            "TASKFLEET_AGENT_SECRET is not set",
        ),
        (
            vec!["worker"],
            vec![("DATABASE_URL", good), ("TASKFLEET_AGENT_SECRET", "short")],
            "TASKFLEET_AGENT_SECRET is 5 bytes; use at least 32",
        ),
        (
            vec!["api"],
            vec![
                ("DATABASE_URL", good),
                ("TASKFLEET_JWT_SECRET", "change-me"),
            ],
            "TASKFLEET_JWT_SECRET is 9 bytes; use at least 32",
        ),
        (
            vec!["api"],
            vec![
                ("DATABASE_URL", good),
                ("TASKFLEET_JWT_SECRET", LONG_SECRET),
                ("TASKFLEET_AGENT_SECRET", LONG_SECRET),
            ],
            "TASKFLEET_JWT_SECRET and TASKFLEET_AGENT_SECRET are equal",
        ),
        (
            vec!["worker", "--concurrency", "0"],
            vec![("DATABASE_URL", good)],
            "--concurrency",
        ),
        (
            vec!["worker", "--bogus"],
            vec![],
            "unexpected argument '--bogus'",
        ),
        (
            vec![
                "token",
                "--sub",
                "me",
                "--workspace",
                "00000000-0000-0000-0000-000000000001",
            ],
            vec![],
            "TASKFLEET_JWT_SECRET is not set",
        ),
        (
            vec![
                "token",
                "--sub",
                "me",
                "--workspace",
                "00000000-0000-0000-0000-000000000001",
                "--ttl-secs",
                "90000",
            ],
            vec![("TASKFLEET_JWT_SECRET", LONG_SECRET)],
            "--ttl-secs 90000 exceeds TASKFLEET_JWT_MAX_TTL_SECS (86400)",
        ),
        (
            vec!["token", "--sub", "me", "--workspace", "nope"],
            vec![],
            "invalid value 'nope'",
        ),
        (
            vec!["agents", "register", "Bad Name", "http://x"],
            vec![("DATABASE_URL", good)],
            "agent name \"Bad Name\"",
        ),
        (
            vec!["agents", "register", "ok", "ftp://x"],
            vec![("DATABASE_URL", good)],
            "must be an http:// or https:// URL",
        ),
        (
            vec![
                "workspaces",
                "create",
                "--name",
                "x",
                "--timezone",
                "Mars/Olympus",
            ],
            vec![("DATABASE_URL", good)],
            "not an IANA time zone",
        ),
    ];
    for (args, env, want) in cases {
        let (status, _, stderr) = run_cli(&args, &env);
        assert!(!status.success(), "{args:?} should fail");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: one line expected, got {stderr:?}"
        );
        assert!(lines[0].starts_with("error:"), "{args:?}: {stderr:?}");
        assert!(
            lines[0].contains(want),
            "{args:?}: {stderr:?} should mention {want:?}"
        );
    }
}

#[test]
fn token_prints_a_verifiable_token_alone() {
    let ws = "6a1c5d3e-2f4b-4c8d-9e0f-1a2b3c4d5e6f";
    let (status, stdout, _) = run_cli(
        &[
            "token",
            "--sub",
            "alice",
            "--workspace",
            ws,
            "--ttl-secs",
            "60",
        ],
        &[("TASKFLEET_JWT_SECRET", LONG_SECRET)],
    );
    assert!(status.success());
    let token = stdout.trim_end_matches('\n');
    assert!(!token.contains(char::is_whitespace));
    let claims = jsonwebtoken::decode::<taskfleet::auth::ApiClaims>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(LONG_SECRET.as_bytes()),
        &jsonwebtoken::Validation::default(),
    )
    .unwrap()
    .claims;
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.workspaces, vec![ws.parse::<uuid::Uuid>().unwrap()]);
    assert_eq!(claims.iat.map(|iat| claims.exp - iat), Some(60));
}
