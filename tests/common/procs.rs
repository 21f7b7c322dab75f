//! Real `taskfleet` processes (workers, the API) that tests start, SIGTERM and `kill -9`.

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

/// A running `taskfleet` subcommand whose output goes to a log file; killed when dropped.
pub struct Proc {
    pub name: String,
    log: PathBuf,
    child: Child,
}

impl Proc {
    /// Starts `taskfleet ARGS` with `DATABASE_URL=database_url`, test defaults and `env` on top.
    pub fn spawn(name: &str, args: &[&str], database_url: &str, env: &[(&str, &str)]) -> Self {
        let log_path = log_path(name);
        let log = std::fs::File::create(&log_path).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("DATABASE_URL", database_url)
            .env("TASKFLEET_AGENT_SECRET", AGENT_SECRET)
            .env("RUST_LOG", "info,taskfleet=debug")
            // Tests run at any hour; the time-of-day rules have their own pinned-clock tests.
            .env("TASKFLEET_BUSINESS_HOURS", "off")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self {
            name: name.to_owned(),
            log: log_path,
            child: cmd.spawn().unwrap(),
        }
    }

    /// What the process has logged so far (text format; no ANSI colours, as stderr is a file).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
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
            assert!(start.elapsed() < limit, "{} did not exit", self.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `http://addr/path` answers 200; panics if the process exits first.
    pub async fn wait_ok(&mut self, addr: SocketAddr, path: &str, limit: Duration) {
        let start = Instant::now();
        let url = format!("http://{addr}{path}");
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && r.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited early: {status}\n{}", self.name, self.log());
            }
            assert!(
                start.elapsed() < limit,
                "{} never answered 200 on {path}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `taskfleet worker` with its metrics and health port.
pub struct WorkerProc {
    pub id: String,
    pub metrics: SocketAddr,
    pub proc: Proc,
}

impl WorkerProc {
    /// Starts `taskfleet worker` on `db` with `env` on top of test defaults, and waits until its
    /// /healthz answers 200.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let mut w = Self::spawn(&db.url, env);
        w.proc
            .wait_ok(w.metrics, "/healthz", Duration::from_secs(20))
            .await;
        w
    }

    /// Starts `taskfleet worker` on `database_url` without waiting for anything.
    pub fn spawn(database_url: &str, env: &[(&str, &str)]) -> Self {
        let id = format!("w-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let metrics = free_addr();
        let mut all = vec![
            ("TASKFLEET_METRICS_ADDR", metrics.to_string()),
            ("TASKFLEET_WORKER_ID", id.clone()),
        ];
        all.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
        let env: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let proc = Proc::spawn(&id, &["worker"], database_url, &env);
        Self { id, metrics, proc }
    }

    pub async fn metrics_text(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn log(&self) -> String {
        self.proc.log()
    }

    pub fn kill9(&mut self) {
        self.proc.kill9()
    }

    pub fn sigterm(&self) {
        self.proc.sigterm()
    }

    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        self.proc.wait_exit(limit).await
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
