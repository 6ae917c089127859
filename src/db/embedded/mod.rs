//! A private PostgreSQL server for zero-configuration runs and for the test suite.
//!
//! Started from the PostgreSQL binaries installed on the machine (`AGRUPA_PG_BIN`, then
//! `/usr/lib/postgresql/<newest>/bin`, then `PATH`), with its data in a local folder. It
//! listens only on a unix socket in a folder that only its owner may enter, so the
//! `trust` authentication it uses is reachable by nobody else. When agrupa runs as root,
//! the server runs as the `postgres` user (PostgreSQL refuses to run as root); when that user
//! cannot reach the data folder (a checkout in root's own home, mode 700), the cluster is kept
//! in a folder of its own under [`RELOCATED_BASE`] instead, and the log says where: no
//! permission of the user's folders is loosened. Folders agrupa makes private (chmod, chown)
//! are never symbolic links.
//!
//! The server is a child process whose parent-death signal is SIGINT (PostgreSQL's "fast
//! shutdown"): however agrupa ends, even killed, the server shuts down cleanly after it.
//! [`EmbeddedPostgres::stop`] does the same on an orderly shutdown and waits for it.

mod folders;

pub use folders::RELOCATED_BASE;

use std::{
    fs,
    io::{self, Read, Seek, SeekFrom},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use folders::{check_reachable, cluster_root, private_dir, refuse_symlink, socket_dir_for};

/// The port number in the socket name; nothing listens on TCP.
const PORT: u16 = 5432;
/// The superuser created by `initdb`.
pub const SUPERUSER: &str = "agrupa";

/// What can go wrong while starting the embedded server.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No PostgreSQL server binaries on this machine (where it looked).
    #[error(
        "no PostgreSQL server binaries found in {0}. \
         Either install PostgreSQL (e.g. `apt-get install postgresql`), or point agrupa at a running server \
         with DATABASE_URL (or run `docker compose up`)"
    )]
    NoBinaries(String),
    /// The server could not be prepared or started.
    #[error("embedded PostgreSQL: {0}")]
    Failed(String),
}

fn failed(msg: impl Into<String>) -> EmbeddedError {
    EmbeddedError::Failed(msg.into())
}

/// How to start the embedded server.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Folder holding `data/` (the cluster), `run/` (the socket) and `postgres.log`.
    pub root: PathBuf,
    /// Explicit binaries folder (`AGRUPA_PG_BIN`).
    pub bin_dir: Option<PathBuf>,
    /// Throw-away cluster (tests): durability switched off for speed.
    pub ephemeral: bool,
}

/// A running private PostgreSQL server.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    root: PathBuf,
    socket_dir: PathBuf,
    /// The socket folder was made for this run (mkdtemp) and goes when the server stops.
    temporary_socket_dir: bool,
    data_dir: PathBuf,
    stop_tx: Option<mpsc::Sender<()>>,
    guardian: Option<thread::JoinHandle<()>>,
}

impl EmbeddedPostgres {
    /// Finds the binaries, creates the cluster on first use and starts the server.
    /// Blocks until the server accepts connections (at most 60 s).
    pub fn start(opts: &EmbeddedOptions) -> Result<Self, EmbeddedError> {
        Self::launch(opts, false)
    }

    /// Like [`EmbeddedPostgres::start`], but when another agrupa process already runs the
    /// server of this data folder (a backup taken while serving), connects to that server
    /// instead; it is left running when this handle goes.
    pub fn start_or_join(opts: &EmbeddedOptions) -> Result<Self, EmbeddedError> {
        Self::launch(opts, true)
    }

    fn launch(opts: &EmbeddedOptions, join: bool) -> Result<Self, EmbeddedError> {
        let bin = find_bin_dir(opts.bin_dir.as_deref())?;
        let owner = server_owner()?;
        let root = cluster_root(&absolute(&opts.root)?, owner)?;
        let data_dir = root.join("data");
        if join && let Some(socket_dir) = running_server(&data_dir) {
            return Ok(Self {
                root,
                socket_dir,
                temporary_socket_dir: false,
                data_dir,
                stop_tx: None,
                guardian: None,
            });
        }
        private_dir(&root, owner)?;
        if owner.is_some() {
            check_reachable(&root)?;
        }
        refuse_symlink(&data_dir)?;
        let (socket_dir, temporary_socket_dir) = socket_dir_for(&root, owner)?;
        let log_path = root.join("postgres.log");

        if !data_dir.join("PG_VERSION").exists() {
            let mut initdb = Command::new(bin.join("initdb"));
            initdb
                .arg("-D")
                .arg(&data_dir)
                .args([
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ])
                .arg("--no-instructions");
            if opts.ephemeral {
                initdb.arg("--no-sync");
            }
            as_owner(&mut initdb, owner);
            let out = initdb
                .output()
                .map_err(|e| failed(format!("cannot run initdb: {e}")))?;
            if !out.status.success() {
                return Err(failed(format!(
                    "initdb failed: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        wait_for_previous_server(&data_dir)?;

        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| failed(format!("cannot open {}: {e}", log_path.display())))?;
        let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
        let log_err = log.try_clone().map_err(|e| failed(e.to_string()))?;

        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data_dir)
            .arg("-k")
            .arg(&socket_dir)
            .args(["-p", &PORT.to_string()])
            .args(["-c", "listen_addresses="])
            .args(["-c", "unix_socket_permissions=0700"])
            .args(["-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        if opts.ephemeral {
            for setting in [
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ] {
                cmd.args(["-c", setting]);
            }
        }
        as_owner(&mut cmd, owner);
        die_with_parent(&mut cmd);

        // The server is spawned from a thread that lives as long as the handle (or the
        // process): the parent-death signal fires when the spawning *thread* ends.
        let (started_tx, started_rx) = mpsc::channel::<io::Result<u32>>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let guardian = thread::Builder::new()
            .name("embedded-postgres".into())
            .spawn(move || guard(cmd, &started_tx, &stop_rx))
            .map_err(|e| failed(format!("cannot start guardian thread: {e}")))?;
        let pid = started_rx
            .recv()
            .map_err(|_| failed("guardian thread ended early"))?
            .map_err(|e| failed(format!("cannot start postgres: {e}")))?;

        let handle = Self {
            root,
            socket_dir,
            temporary_socket_dir,
            data_dir,
            stop_tx: Some(stop_tx),
            guardian: Some(guardian),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if handle.is_ready(pid) {
                return Ok(handle);
            }
            if !Path::new(&format!("/proc/{pid}")).exists() || Instant::now() > deadline {
                let tail = read_tail(&log_path, log_start);
                handle.stop();
                return Err(failed(format!(
                    "the server did not start; its log says:\n{tail}"
                )));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether `postmaster.pid` says the server with this pid is ready for connections.
    fn is_ready(&self, pid: u32) -> bool {
        let Ok(text) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let lines: Vec<&str> = text.lines().collect();
        lines.first().map(|l| l.trim()) == Some(pid.to_string().as_str())
            && lines.get(7).map(|l| l.trim()) == Some("ready")
    }

    /// The folder holding the cluster: the configured one, or the one under
    /// [`RELOCATED_BASE`] it was moved to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A libpq key=value connection string for one database of this server.
    pub fn database_url(&self, database: &str) -> String {
        format!(
            "host='{}' port={PORT} user={SUPERUSER} dbname={database}",
            self.socket_dir.display()
        )
    }

    /// Fast shutdown: open sessions are ended, committed data is kept. Waits for the server.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        if let Some(g) = self.guardian.take() {
            let _ = g.join();
        }
        if std::mem::take(&mut self.temporary_socket_dir) {
            let _ = fs::remove_dir_all(&self.socket_dir);
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Runs in the guardian thread: starts the server, then waits for a stop request (or for the
/// handle to be dropped) and shuts the server down.
fn guard(mut cmd: Command, started: &mpsc::Sender<io::Result<u32>>, stop: &mpsc::Receiver<()>) {
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = started.send(Err(e));
            return;
        }
    };
    let _ = started.send(Ok(child.id()));
    // Either a stop request or the handle being dropped ends the wait.
    let _ = stop.recv();
    stop_child(&mut child);
}

fn stop_child(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    send_signal(child.id(), libc::SIGINT);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    // Immediate shutdown: the server recovers from its WAL at the next start.
    send_signal(child.id(), libc::SIGQUIT);
    let _ = child.wait();
}

#[expect(unsafe_code, reason = "kill(2) has no safe wrapper in std")]
fn send_signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) only reads its two integer arguments.
    unsafe {
        libc::kill(pid, signal);
    }
}

#[expect(
    unsafe_code,
    reason = "pre_exec and prctl(2) have no safe wrapper in std"
)]
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure runs between fork and exec and only calls the async-signal-safe
    // functions prctl(2) and getppid(2).
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() == 1 {
                return Err(io::Error::other("parent exited"));
            }
            Ok(())
        });
    }
}

fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
        cmd.env("HOME", "/tmp");
    }
}

/// When running as root, the `postgres` account that will own the server.
fn server_owner() -> Result<Option<(u32, u32)>, EmbeddedError> {
    #[expect(unsafe_code, reason = "geteuid(2) has no safe wrapper in std")]
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.first() == Some(&"postgres") && f.len() > 3)
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
        .map(Some)
        .ok_or_else(|| {
            failed(
                "running as root, and PostgreSQL refuses to run as root: create a `postgres` \
                 user (the postgresql package does), run agrupa as another user, or set DATABASE_URL",
            )
        })
}

/// The socket folder of a ready server another process runs on `data_dir`, if any
/// (`postmaster.pid`: pid, data folder, start time, port, socket folder, address, shared
/// memory key, status).
fn running_server(data_dir: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let pid = lines.first()?;
    let alive = !pid.is_empty() && Path::new(&format!("/proc/{pid}")).exists();
    if !alive || lines.get(7) != Some(&"ready") {
        return None;
    }
    lines
        .get(4)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

/// A server left by a previous run (the parent-death signal makes it shut down on its
/// own) is given time to finish; any other server on the same folder is an error.
fn wait_for_previous_server(data_dir: &Path) -> Result<(), EmbeddedError> {
    let pid_file = data_dir.join("postmaster.pid");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let Ok(text) = fs::read_to_string(&pid_file) else {
            return Ok(());
        };
        let pid = text.lines().next().unwrap_or_default().trim().to_owned();
        if pid.is_empty() || !Path::new(&format!("/proc/{pid}")).exists() {
            return Ok(()); // stale: PostgreSQL removes it itself
        }
        if Instant::now() > deadline {
            return Err(failed(format!(
                "another PostgreSQL (pid {pid}) is using {}; stop it first",
                data_dir.display()
            )));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    search_bin_dirs(explicit, &["postgres", "initdb"]).map_err(EmbeddedError::NoBinaries)
}

/// A client program (`pg_dump`, `pg_restore`) of the PostgreSQL installation agrupa uses:
/// `AGRUPA_PG_BIN`, then the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
pub fn find_tool(name: &str, explicit: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    search_bin_dirs(explicit, &[name])
        .map(|dir| dir.join(name))
        .map_err(|looked| {
            failed(format!(
                "no {name} found in {looked}; install the PostgreSQL client programs \
                 (e.g. `apt-get install postgresql-client`) or set AGRUPA_PG_BIN"
            ))
        })
}

/// The first folder holding every one of `programs`, or where it looked.
fn search_bin_dirs(explicit: Option<&Path>, programs: &[&str]) -> Result<PathBuf, String> {
    let has_all = |dir: &Path| programs.iter().all(|p| dir.join(p).is_file());
    if let Some(dir) = explicit {
        return if has_all(dir) {
            Ok(dir.to_owned())
        } else {
            Err(format!("AGRUPA_PG_BIN={}", dir.display()))
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    let first = programs.first().copied().unwrap_or("postgres");
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|dir| has_all(dir))
        .map(|dir| {
            fs::canonicalize(dir.join(first))
                .ok()
                .and_then(|p| p.parent().map(Path::to_owned))
                .unwrap_or(dir)
        })
        .ok_or_else(|| "/usr/lib/postgresql/*/bin or PATH".into())
}

fn absolute(path: &Path) -> Result<PathBuf, EmbeddedError> {
    std::path::absolute(path)
        .map_err(|e| failed(format!("bad data folder {}: {e}", path.display())))
}

fn read_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.seek(SeekFrom::Start(from));
        let _ = f.take(8192).read_to_string(&mut text);
    }
    text
}
