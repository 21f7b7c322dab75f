//! `taskfleet demo` end to end as a subprocess (non-TTY), with a DATABASE_URL (in a throwaway
//! database of its own on that server, leaving the URL's database as it was) and with its own
//! embedded PostgreSQL, including SIGINT mid-run and after `--keep-running`; and
//! `taskfleet agents-sim` on its own.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::procs::{BIN, free_addr};
use common::{TestDb, wait_until};
use taskfleet::auth::AgentClaims;

/// Runs the demo to the end with `args` added: (success, stdout, stderr).
fn run_demo(database_url: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["demo", "--latency-ms", "50"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stdout, stderr)
}

/// The demos that create their database on the test server run one at a time, so each can check
/// that it left no `taskfleet_demo_%` database behind.
static SERVER_DEMOS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The `taskfleet_demo_%` databases on the server of `pool`.
async fn demo_databases(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'taskfleet\\_demo\\_%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The throwaway database the demo announced.
fn scratch_name(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("using a throwaway database"))
        .unwrap_or_else(|| panic!("the demo names its database: {stdout}"));
    line.split_whitespace()
        .find(|w| w.starts_with("taskfleet_demo_"))
        .unwrap()
        .to_string()
}

/// Every row of the tables a demo would write to, as JSON text, table by table.
async fn snapshot(pool: &PgPool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for table in [
        "agents",
        "workspaces",
        "marketing_strategies",
        "autonomous_tasks",
        "audit_logs",
    ] {
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]')::text \
             FROM {table} t"
        )))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((table.to_string(), rows));
    }
    out
}

/// No warning or error logged (e.g. sqlx's "terminating connection due to administrator
/// command" when a database or server goes away under an open connection).
fn assert_quiet(stderr: &str) {
    assert!(
        !stderr.contains("WARN") && !stderr.contains("ERROR"),
        "the demo logged: {stderr}"
    );
}

fn assert_finished(stdout: &str) {
    assert!(
        stdout.contains("decomposed the strategy into 17 tasks"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "recurring template \"Morning digest\" (0 0 9 * * * Australia/Sydney): next task at"
        ),
        "{stdout}"
    );
    // Approval gates: the content of each phase that emails waits for the demo's approval.
    assert!(
        stdout.contains("✔ approved Write webinar copy")
            && stdout.contains("auto-approved by the demo"),
        "{stdout}"
    );
    assert!(stdout.contains("Summary"), "{stdout}");
    assert!(stdout.contains("17/17 tasks completed"), "{stdout}");
    assert!(stdout.contains("SELECT * FROM queue_summary"), "{stdout}");
    assert!(
        !stdout.contains("\x1b["),
        "no terminal escapes when not on a TTY"
    );
}

/// The embedded server's directory, as the demo announces it.
fn data_dir(stdout: &str) -> PathBuf {
    let line = stdout
        .lines()
        .find(|l| l.contains("data directory"))
        .expect("the demo names its directory");
    PathBuf::from(
        line.split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches(','),
    )
}

/// Nothing left behind: the directory is gone and no process runs from it.
fn assert_cleaned_up(dir: &Path) {
    assert!(!dir.exists(), "{} was left behind", dir.display());
    let needle = dir.to_string_lossy().to_string();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            assert!(
                !cmdline.contains(&needle),
                "process still running: {cmdline}"
            );
        }
    }
}

#[sqlx::test(migrations = false)]
async fn the_demo_runs_to_completion_on_a_given_database(pool: PgPool) {
    let _one_at_a_time = SERVER_DEMOS.lock().await;
    let db = TestDb::new(pool);
    let url = db.url.clone();
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || run_demo(Some(&url), &[]))
        .await
        .unwrap();
    assert!(ok, "{stdout}\n{stderr}");
    assert_finished(&stdout);
    assert_quiet(&stderr);
    let scratch = scratch_name(&stdout);
    assert!(
        stdout.contains(&format!("dropped the throwaway database {scratch}")),
        "{stdout}"
    );
    assert!(!demo_databases(&db.pool).await.contains(&scratch));
    // The URL's database was not even migrated.
    let tables = db
        .count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        .await;
    assert_eq!(
        tables, 0,
        "the demo created tables in DATABASE_URL's database"
    );
}

#[sqlx::test(migrator = "taskfleet::db::migrate::MIGRATOR")]
async fn the_demo_leaves_the_users_database_untouched(pool: PgPool) {
    let _one_at_a_time = SERVER_DEMOS.lock().await;
    let db = TestDb::new(pool);
    // A real registry and tenant: what `taskfleet agents register` and `workspaces create` make.
    db.register_agent("content-generator", "https://agents.example.com/content")
        .await;
    db.register_agent("email-agent", "http://10.1.2.3:8080/email")
        .await;
    let workspace = db.workspace().await;
    let before = snapshot(&db.pool).await;
    let databases_before = demo_databases(&db.pool).await;

    let url = db.url.clone();
    // No simulated failures: this test is about what the demo leaves, not how it retries.
    let (ok, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_demo(Some(&url), &["--failure-rate", "0"]))
            .await
            .unwrap();
    assert!(ok, "{stdout}\n{stderr}");
    assert_finished(&stdout);
    assert_quiet(&stderr);

    let agents: Vec<(String, String)> =
        sqlx::query_as("SELECT name, url FROM agents ORDER BY name")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        agents,
        [
            (
                "content-generator".to_string(),
                "https://agents.example.com/content".to_string()
            ),
            (
                "email-agent".to_string(),
                "http://10.1.2.3:8080/email".to_string()
            ),
        ]
    );
    let workspaces: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM workspaces")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(workspaces, [workspace]);
    assert_eq!(
        snapshot(&db.pool).await,
        before,
        "rows changed in the user's database"
    );
    let scratch = scratch_name(&stdout);
    assert!(
        !demo_databases(&db.pool).await.contains(&scratch),
        "{scratch} was left behind"
    );
    // No other either. The demos of this file run one at a time; a demo another test run has
    // going on the same server drops its own database within seconds, a leaked one never does.
    wait_until(
        "no taskfleet_demo_% database is left on the server",
        Duration::from_secs(60),
        async || {
            let now = demo_databases(&db.pool).await;
            if now.iter().all(|d| databases_before.contains(d)) {
                Ok(())
            } else {
                Err(format!("{now:?}, before the demo {databases_before:?}"))
            }
        },
    )
    .await;
}

#[test]
fn the_demo_runs_on_its_own_postgres_and_leaves_nothing_behind() {
    let (ok, stdout, stderr) = run_demo(None, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert_finished(&stdout);
    assert_quiet(&stderr);
    assert_cleaned_up(&data_dir(&stdout));
}

#[test]
fn sigint_mid_run_stops_the_demo_and_cleans_up() {
    let mut child = Command::new(BIN)
        .args(["demo", "--latency-ms", "2000", "--failure-rate", "0"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let start = Instant::now();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("decomposed the strategy") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{seen}");
    }
    let dir = data_dir(&seen);
    assert!(dir.exists());
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "an interrupted demo does not report success"
    );
    assert_cleaned_up(&dir);
}

/// Reads the child's stdout until a line containing `until`: everything read so far.
fn read_until(child: &mut Child, until: &str) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let start = Instant::now();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(until) {
            // Keep reading (and dropping) in the background, so the child never blocks on a
            // full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return seen;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{seen}");
    }
    panic!("the demo ended before printing {until:?}: {seen}");
}

/// The value after `label` on its line of `text`.
fn value_after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        .trim()
}

#[sqlx::test(migrations = false)]
async fn keep_running_prints_how_to_reach_it_and_exits_0_on_sigint(pool: PgPool) {
    let _one_at_a_time = SERVER_DEMOS.lock().await;
    let db = TestDb::new(pool);
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--keep-running",
            "--latency-ms",
            "20",
            "--failure-rate",
            "0",
        ])
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stdout, mut child) = tokio::task::spawn_blocking(move || {
        let seen = read_until(&mut child, "Ctrl-C to stop");
        (seen, child)
    })
    .await
    .unwrap();
    assert_finished(&stdout);
    let scratch = scratch_name(&stdout);
    let database_url = value_after(&stdout, "database ");
    assert!(
        database_url.starts_with("postgres://") && database_url.contains(&format!("/{scratch}")),
        "{stdout}"
    );
    let jwt_secret = value_after(&stdout, "JWT secret ");
    let status_url = stdout
        .split('\'')
        .find(|s| s.starts_with("http://") && s.contains("/api/tasks/status"))
        .unwrap_or_else(|| panic!("no curl line: {stdout}"));
    let workspace: Uuid = status_url
        .split("workspace_id=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap()
        .parse()
        .unwrap();

    // The API answers, to a token minted with the printed secret, from the printed database.
    let token = taskfleet::auth::mint_api_token(jwt_secret, "test", &[workspace], 60).unwrap();
    let response = reqwest::Client::new()
        .get(status_url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The dashboard's URL: the page itself, and a token in the fragment that the API accepts
    // for the workspace the query names.
    let dashboard = stdout
        .split_whitespace()
        .find(|s| s.starts_with("http://") && s.contains("/ui/?workspace="))
        .unwrap_or_else(|| panic!("no dashboard URL: {stdout}"));
    let (page, fragment_token) = dashboard.split_once("#token=").unwrap();
    assert!(
        page.ends_with(&format!("/ui/?workspace={workspace}")),
        "{dashboard}"
    );
    let response = reqwest::get(page).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("<title>taskfleet"));
    let response = reqwest::Client::new()
        .get(status_url)
        .bearer_auth(fragment_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let scratch_pool = PgPool::connect(database_url).await.unwrap();
    let completed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM autonomous_tasks WHERE workspace_id = $1 AND status = 'completed'",
    )
    .bind(workspace)
    .fetch_one(&scratch_pool)
    .await
    .unwrap();
    assert_eq!(completed, 17);
    scratch_pool.close().await;

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the demo did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        status.success(),
        "Ctrl-C after --keep-running exits 0: {status}, {stderr}"
    );
    assert_quiet(&stderr);
    assert!(
        !demo_databases(&db.pool).await.contains(&scratch),
        "{scratch} was left behind"
    );
}

#[tokio::test]
async fn agents_sim_checks_the_jwt_and_honours_the_failure_rate() {
    taskfleet::install_crypto_provider();
    let addr = free_addr();
    let mut sim = Command::new(BIN)
        .args([
            "agents-sim",
            "--addr",
            &addr.to_string(),
            "--latency-ms",
            "1",
            "--failure-rate",
            "0.3",
        ])
        .env(
            "TASKFLEET_AGENT_SECRET",
            "sim-secret-of-at-least-32-bytes-long",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/content-generator");
    wait_until(
        "the simulated agents listen",
        Duration::from_secs(20),
        async || tokio::net::TcpStream::connect(addr).await.is_ok(),
    )
    .await;
    let call = |secret: &'static str, agent: &'static str| {
        let task_id = Uuid::new_v4();
        let now = chrono::Utc::now().timestamp();
        let claims = AgentClaims {
            sub: task_id,
            workspace_id: Uuid::new_v4(),
            agent: agent.into(),
            iat: now,
            exp: now + 60,
        };
        let token = jsonwebtoken::encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        let body = json!({"task_id": task_id, "workspace_id": claims.workspace_id, "task_type": "content",
                          "description": "Write a post", "input": {}, "attempt": 1});
        client.post(&url).bearer_auth(token).json(&body).send()
    };
    assert_eq!(
        call("wrong-secret", "content-generator")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        call("sim-secret-of-at-least-32-bytes-long", "email-agent")
            .await
            .unwrap()
            .status(),
        401,
        "token for another agent"
    );

    let (mut ok, mut unavailable) = (0, 0);
    for _ in 0..400 {
        let r = call("sim-secret-of-at-least-32-bytes-long", "content-generator")
            .await
            .unwrap();
        match r.status().as_u16() {
            200 => {
                let body: serde_json::Value = r.json().await.unwrap();
                assert!(body["title"].as_str().unwrap().contains("Write a post"));
                ok += 1;
            }
            503 => unavailable += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    // 400 draws at p = 0.3: 120 expected, standard deviation ~9; 60..180 is over 6 sigma.
    assert!(
        (60..=180).contains(&unavailable),
        "{unavailable} failures of 400 ({ok} ok)"
    );
    sim.kill().unwrap();
    sim.wait().unwrap();
}
