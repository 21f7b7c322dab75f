//! Real `taskfleet` processes: workers that tests start, SIGTERM and `kill -9`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{AGENT_SECRET, TestDb};

pub const BIN: &str = env!("CARGO_BIN_EXE_taskfleet");

/// A free loopback port (bound then released; fine for tests).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Where subprocess logs go: target/tmp/test-logs/NAME.log, kept for debugging failures.
fn log_path(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-logs");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.log"))
}

pub struct WorkerProc {
    pub id: String,
    pub metrics: SocketAddr,
    log: PathBuf,
    child: Child,
}

impl WorkerProc {
    /// Starts `taskfleet worker` on `db` with `env` on top of test defaults, and waits until its
    /// /healthz answers 200.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let id = format!("w-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let metrics = free_addr();
        let log_path = log_path(&id);
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("worker")
            .env("DATABASE_URL", &db.url)
            .env("TASKFLEET_AGENT_SECRET", AGENT_SECRET)
            .env("TASKFLEET_METRICS_ADDR", metrics.to_string())
            .env("TASKFLEET_WORKER_ID", &id)
            .env("RUST_LOG", "info,taskfleet=debug")
            // Tests run at any hour; the time-of-day rules have their own pinned-clock tests.
            .env("TASKFLEET_BUSINESS_HOURS", "off")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let mut w = Self {
            id,
            metrics,
            log: log_path,
            child,
        };
        w.wait_healthy(Duration::from_secs(20)).await;
        w
    }

    async fn wait_healthy(&mut self, limit: Duration) {
        let start = Instant::now();
        let url = format!("http://{}/healthz", self.metrics);
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && r.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("worker {} exited early: {status}", self.id);
            }
            assert!(
                start.elapsed() < limit,
                "worker {} never became healthy",
                self.id
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn metrics_text(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// What the worker has logged so far (text format; no ANSI colours, as stderr is a file).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn sigterm(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits for the process to exit by itself.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < limit, "worker {} did not exit", self.id);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion: (exit status, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
