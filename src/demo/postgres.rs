//! A private, throwaway PostgreSQL for `taskfleet demo` when no `DATABASE_URL` is given: `initdb`
//! in a temporary directory, a server on a free 127.0.0.1 port (its unix socket in that directory
//! too, its process group its own), stopped and removed on drop — on success, error and Ctrl-C
//! alike. `initdb` refuses to
//! run as root, so as root the server runs as the `postgres` system user.
//!
//! Tests also use it as a server of their own to take away: [`EmbeddedPostgres::stop`] (fast or
//! immediate, the latter a crash as far as clients and recovery are concerned) and
//! [`EmbeddedPostgres::start_again`] on the same port and data.

use std::net::TcpListener;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

const INSTALL_HINT: &str = "no PostgreSQL server binaries found (initdb, postgres): install them \
     (apt-get install postgresql / brew install postgresql) or set DATABASE_URL";

pub struct EmbeddedPostgres {
    pub url: String,
    dir: PathBuf,
    server: Option<Child>,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    port: u16,
    /// Whether a commit waits for its WAL write: without it an immediate shutdown (a crash)
    /// loses the last commits, which a test of crashes must not see. fsync stays off: a crash of
    /// the server is not one of the machine.
    pub durable_commits: bool,
}

/// How [`EmbeddedPostgres::stop`] shuts the server down (`pg_ctl stop -m ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// SIGINT: backends end, the postmaster checkpoints and exits.
    Fast,
    /// SIGQUIT: everything exits at once, no checkpoint; the next start runs crash recovery.
    Immediate,
}

impl EmbeddedPostgres {
    /// Initializes and starts the server; returns once it accepts connections.
    pub fn start() -> Result<Self> {
        let bin = find_bindir().ok_or_else(|| anyhow!(INSTALL_HINT))?;
        let owner = if is_root() {
            Some(system_user("postgres")?)
        } else {
            None
        };
        let dir = std::env::temp_dir().join(format!(
            "taskfleet-demo-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        // From here on, Drop removes the directory whatever fails next.
        let mut pg = Self {
            url: String::new(),
            dir,
            server: None,
            bin,
            owner,
            port: TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(),
            durable_commits: false,
        };
        if let Some((uid, gid)) = owner {
            chown(&pg.dir, Some(uid), Some(gid))
                .context("cannot hand the demo directory to the postgres user")?;
        }
        let data = pg.dir.join("data");
        let out = as_user(Command::new(pg.bin.join("initdb")), owner)
            .args([
                "-D",
                path_str(&data)?,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ])
            .stdin(Stdio::null())
            .output()
            .context("cannot run initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        pg.url = format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            pg.port
        );
        pg.start_again()?;
        Ok(pg)
    }

    /// Starts the server on its data and port (again, after [`EmbeddedPostgres::stop`]); returns
    /// once it accepts connections.
    pub fn start_again(&mut self) -> Result<()> {
        if self.server.is_some() {
            bail!("the server is already running");
        }
        let data = self.dir.join("data");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("postgres.log"))?;
        if let Some((uid, gid)) = self.owner {
            chown(self.dir.join("postgres.log"), Some(uid), Some(gid))?;
        }
        let server = as_user(Command::new(self.bin.join("postgres")), self.owner)
            .args([
                "-D",
                path_str(&data)?,
                "-p",
                &self.port.to_string(),
                "-h",
                "127.0.0.1",
            ])
            .args(["-k", path_str(&self.dir)?])
            // A throwaway database: durability buys nothing here, except to a test that crashes
            // the server on purpose and must not lose what was committed (a claim, say).
            .args([
                "-c",
                "fsync=off",
                "-c",
                if self.durable_commits {
                    "synchronous_commit=on"
                } else {
                    "synchronous_commit=off"
                },
                "-c",
                "full_page_writes=off",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .context("cannot start postgres")?;
        self.server = Some(server);
        self.wait_ready()
    }

    /// Shuts the server down and waits until it has exited.
    pub fn stop(&mut self, how: Shutdown) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let signal = match how {
            Shutdown::Fast => "-INT",
            Shutdown::Immediate => "-QUIT",
        };
        let _ = Command::new("kill")
            .args([signal, &server.id().to_string()])
            .status();
        let start = Instant::now();
        while !matches!(server.try_wait(), Ok(Some(_))) {
            if start.elapsed() > Duration::from_secs(10) {
                let _ = server.kill();
                let _ = server.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_ready(&mut self) -> Result<()> {
        let start = Instant::now();
        loop {
            // The pid file is rewritten by each start; the port may still answer a dying server.
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.dir.join("data/postmaster.pid").exists()
            {
                // Accepting TCP is not yet accepting queries; the caller's connect retries briefly.
                return Ok(());
            }
            if let Some(server) = self.server.as_mut()
                && let Ok(Some(status)) = server.try_wait()
            {
                let log =
                    std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
                bail!(
                    "postgres exited ({status}): {}",
                    log.lines().last().unwrap_or("")
                );
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!("postgres did not start within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop(Shutdown::Fast);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server binaries: `pg_config --bindir`, then PATH, then the newest /usr/lib/postgresql/*/bin.
fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Some(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_server(d))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // The effective uid without libc: /proc/self/status "Uid:\treal\teffective...".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// (uid, gid) of a system user, from /etc/passwd.
fn system_user(name: &str) -> Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("cannot read /etc/passwd")?;
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name) && f.len() > 3)
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .ok_or_else(|| anyhow!("running as root, and there is no '{name}' user to run PostgreSQL as: create one (useradd --system {name}) or run the demo as a normal user"))
}

/// `cmd` as `owner`, in a process group of its own: a Ctrl-C in the terminal signals the whole
/// foreground group, and the server must not shut down (terminating the demo's connections)
/// before the demo, which handles the Ctrl-C, has closed them; Drop stops it after that.
fn as_user(mut cmd: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        cmd.gid(gid).uid(uid);
    }
    cmd.process_group(0);
    cmd
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("temporary path {} is not UTF-8", p.display()))
}
