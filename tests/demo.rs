//! `taskfleet demo` end to end as a subprocess (non-TTY), with a DATABASE_URL and with its own
//! embedded PostgreSQL, including SIGINT mid-run; and `taskfleet agents-sim` on its own.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use common::procs::{BIN, free_addr};
use common::{TestDb, wait_until};
use taskfleet::auth::AgentClaims;

/// Runs the demo to the end: (success, stdout).
fn run_demo(database_url: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["demo", "--latency-ms", "50"])
        .env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), stdout)
}

fn assert_finished(stdout: &str) {
    assert!(
        stdout.contains("decomposed the strategy into 17 tasks"),
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
    let db = TestDb::new(pool);
    let url = db.url.clone();
    let (ok, stdout) = tokio::task::spawn_blocking(move || run_demo(Some(&url)))
        .await
        .unwrap();
    assert!(ok, "{stdout}");
    assert_finished(&stdout);
    let completed = db
        .count("SELECT count(*) FROM autonomous_tasks WHERE status = 'completed'")
        .await;
    assert_eq!(completed, 17);
}

#[test]
fn the_demo_runs_on_its_own_postgres_and_leaves_nothing_behind() {
    let (ok, stdout) = run_demo(None);
    assert!(ok, "{stdout}");
    assert_finished(&stdout);
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
        .env("TASKFLEET_AGENT_SECRET", "sim-secret")
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
        call("sim-secret", "email-agent").await.unwrap().status(),
        401,
        "token for another agent"
    );

    let (mut ok, mut unavailable) = (0, 0);
    for _ in 0..400 {
        let r = call("sim-secret", "content-generator").await.unwrap();
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
