//! Execution environments: one child process per environment, running the
//! function's runtime against its own Runtime API listener
//! ([`crate::runtime_api`]), with AWS's environment variables, its own
//! temp dir and the code extracted to a task root.
//!
//! Each child leads its own process group (killed as a group) and gets
//! `PR_SET_PDEATHSIG` (through util-linux's `setpriv`) so that even a
//! `kill -9` of Gureum ends it. Children are spawned from one long-lived
//! thread because the death signal follows the *thread* that forked, not
//! the process.

use crate::runtime_api::RuntimeApi;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The Python runtime client Gureum writes for `python3.x` functions.
pub const PYTHON_BOOTSTRAP: &str = include_str!("resources/bootstrap.py");
/// The Node.js runtime client Gureum writes for `nodejs*` functions.
pub const NODE_BOOTSTRAP: &str = include_str!("resources/bootstrap.mjs");

/// How long an idle environment is kept warm.
pub const IDLE_LIFETIME: Duration = Duration::from_secs(300);

/// What an environment runs.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Identifies the code and configuration; an environment serves only
    /// invocations of the same key.
    pub key: String,
    /// The runtime (`python3.12`, `nodejs20.x`, `provided.al2023`).
    pub runtime: String,
    /// The extracted code.
    pub task_root: PathBuf,
    /// The function's layers extracted (its `/opt`), if it has any.
    pub opt: Option<PathBuf>,
    /// `MemorySize` in MB: the process's data limit (`RLIMIT_DATA`).
    pub memory_mb: u64,
    /// Every environment variable the process gets, AWS's and the user's.
    pub env: Vec<(String, String)>,
}

/// One running execution environment.
pub struct Environment {
    /// The [`Spec::key`] it serves.
    pub key: String,
    /// Its Runtime API.
    pub api: RuntimeApi,
    child: Mutex<Child>,
    pid: i32,
    tmp: PathBuf,
    /// The highest resident memory seen (MB), kept once the process is gone.
    peak_mb: std::sync::atomic::AtomicU64,
    /// Whether the OS limits its memory (`prlimit` exists).
    pub memory_limited: bool,
    /// Output lines not yet claimed by an invocation.
    pub output: Arc<Mutex<Vec<String>>>,
    /// End-of-output marks seen on stdout and stderr (Gureum's runtime
    /// clients write one on each before every answer).
    marks: Arc<Marks>,
    /// Its CloudWatch Logs stream (`AWS_LAMBDA_LOG_STREAM_NAME`): one per
    /// environment, as AWS writes them.
    pub log_stream: String,
    /// When it was started.
    pub started: Instant,
    /// Whether it has run an invocation (its next one is warm).
    pub warm: Mutex<bool>,
    last_used: Mutex<Instant>,
}

impl Environment {
    /// Whether the process is still running.
    pub fn alive(&self) -> bool {
        matches!(self.child.lock().try_wait(), Ok(None))
    }

    /// The exit status, once the process has ended.
    pub fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.child.lock().try_wait().ok().flatten()
    }

    /// The fewer of the marks seen on stdout and stderr so far.
    pub fn marks(&self) -> u64 {
        let seen = self.marks.seen.lock();
        seen.0.min(seen.1)
    }

    /// Waits up to `limit` until both streams have shown more than `base`
    /// marks: every line written before the answer has then been read.
    pub fn wait_marks(&self, base: u64, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        let mut seen = self.marks.seen.lock();
        while seen.0.min(seen.1) <= base {
            if self.marks.changed.wait_until(&mut seen, until).timed_out() {
                return seen.0.min(seen.1) > base;
            }
        }
        true
    }

    /// Takes the output lines written so far.
    pub fn take_output(&self) -> Vec<String> {
        std::mem::take(&mut *self.output.lock())
    }

    /// The peak resident memory in MB: the runtime's `VmHWM` and the
    /// samples of its process group taken by [`Environment::sample_memory`],
    /// the highest seen so far (the last known once it has exited).
    pub fn max_memory_mb(&self) -> u64 {
        let now = read_kb(self.pid, "VmHWM:").map_or(0, |kb| kb.div_ceil(1024));
        self.peak_mb
            .fetch_max(now, std::sync::atomic::Ordering::Relaxed)
            .max(now)
    }

    /// Records the resident memory of the whole process group (the
    /// runtime and what it started), for a peak that counts children.
    pub fn sample_memory(&self) {
        let mut kb = 0;
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
                    continue;
                };
                if process_group(pid) == Some(self.pid) {
                    kb += read_kb(pid, "VmRSS:").unwrap_or(0);
                }
            }
        }
        self.peak_mb
            .fetch_max(kb.div_ceil(1024), std::sync::atomic::Ordering::Relaxed);
        self.max_memory_mb();
    }

    /// Kills the process group, stops the listener and removes the temp dir.
    pub fn destroy(&self) {
        kill_group(self.pid);
        let mut child = self.child.lock();
        let _ = child.kill();
        let _ = child.wait();
        self.api.stop();
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// A `kB` field of `/proc/PID/status`.
fn read_kb(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The process group of `pid` (field 5 of `/proc/PID/stat`, after the
/// parenthesised command name).
fn process_group(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The pool of environments, by [`Spec::key`], and the thread that spawns
/// them.
pub struct Pool {
    idle: Mutex<HashMap<String, Vec<Arc<Environment>>>>,
    busy: Mutex<Vec<Arc<Environment>>>,
    spawner: Mutex<Option<mpsc::Sender<SpawnRequest>>>,
    stopped: std::sync::atomic::AtomicBool,
    /// Gureum's working directory for code and temp dirs.
    pub work_dir: PathBuf,
}

impl Pool {
    /// A pool working under a fresh directory in the system temp dir
    /// (after removing those of Gureums that are no longer running).
    pub fn new() -> Arc<Pool> {
        let base = std::env::temp_dir();
        sweep_stale(&base);
        static POOLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = POOLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let work_dir = base.join(format!("gureum-lambda-{}-{n}", std::process::id()));
        let _ = std::fs::create_dir_all(&work_dir);
        Arc::new(Pool {
            idle: Mutex::new(HashMap::new()),
            busy: Mutex::new(Vec::new()),
            spawner: Mutex::new(None),
            stopped: Default::default(),
            work_dir,
        })
    }

    fn spawner(&self) -> mpsc::Sender<SpawnRequest> {
        let mut s = self.spawner.lock();
        if let Some(tx) = &*s {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        let _ = std::thread::Builder::new()
            .name("lambda-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            });
        *s = Some(tx.clone());
        tx
    }

    /// An idle environment for `spec.key`, or a new one (`true` when new).
    pub fn acquire(&self, spec: &Spec) -> std::io::Result<(Arc<Environment>, bool)> {
        if self.is_shut_down() {
            return Err(std::io::Error::other("Gureum is stopping"));
        }
        loop {
            let found = self.idle.lock().get_mut(&spec.key).and_then(Vec::pop);
            match found {
                Some(env) if env.alive() => {
                    self.busy.lock().push(env.clone());
                    return Ok((env, false));
                }
                Some(env) => env.destroy(),
                None => break,
            }
        }
        let env = Arc::new(self.spawn(spec)?);
        self.busy.lock().push(env.clone());
        Ok((env, true))
    }

    /// Puts `env` back for reuse under `key`, or destroys it.
    pub fn release(&self, key: &str, env: Arc<Environment>, keep: bool) {
        self.busy.lock().retain(|e| !Arc::ptr_eq(e, &env));
        if keep && env.alive() {
            *env.last_used.lock() = Instant::now();
            *env.warm.lock() = true;
            self.idle
                .lock()
                .entry(key.to_string())
                .or_default()
                .push(env);
        } else {
            env.destroy();
        }
    }

    /// Destroys idle environments whose key starts with `prefix` (the
    /// function's code or configuration changed, or it was deleted).
    pub fn retire(&self, prefix: &str) {
        self.retire_except(prefix, None);
    }

    /// [`Pool::retire`], sparing the environments of key `keep`.
    pub fn retire_except(&self, prefix: &str, keep: Option<&str>) {
        let gone: Vec<Arc<Environment>> = {
            let mut idle = self.idle.lock();
            let keys: Vec<String> = idle
                .keys()
                .filter(|k| k.starts_with(prefix) && Some(k.as_str()) != keep)
                .cloned()
                .collect();
            keys.into_iter()
                .flat_map(|k| idle.remove(&k).unwrap_or_default())
                .collect()
        };
        for env in gone {
            env.destroy();
        }
    }

    /// Destroys environments idle for longer than `lifetime`.
    pub fn reap(&self, lifetime: Duration) {
        let mut gone = Vec::new();
        {
            let mut idle = self.idle.lock();
            for envs in idle.values_mut() {
                envs.retain(|e| {
                    let keep = e.last_used.lock().elapsed() < lifetime && e.alive();
                    if !keep {
                        gone.push(e.clone());
                    }
                    keep
                });
            }
            idle.retain(|_, v| !v.is_empty());
        }
        for env in gone {
            env.destroy();
        }
    }

    /// How many environments busy with an invocation serve keys starting
    /// with `prefix`.
    pub fn busy_for(&self, prefix: &str) -> usize {
        self.busy
            .lock()
            .iter()
            .filter(|e| e.key.starts_with(prefix))
            .count()
    }

    /// How many environments are running (idle and busy).
    pub fn running(&self) -> usize {
        self.idle.lock().values().map(Vec::len).sum::<usize>() + self.busy.lock().len()
    }

    /// Whether [`Pool::shutdown`] ran.
    pub fn is_shut_down(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Ends every environment and removes the working directory.
    pub fn shutdown(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let idle: Vec<Arc<Environment>> = self.idle.lock().drain().flat_map(|(_, v)| v).collect();
        let busy: Vec<Arc<Environment>> = std::mem::take(&mut *self.busy.lock());
        for env in idle.into_iter().chain(busy) {
            env.destroy();
        }
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }

    fn spawn(&self, spec: &Spec) -> std::io::Result<Environment> {
        let api = RuntimeApi::start()?;
        let tmp = self.work_dir.join("tmp").join(crate::new_request_id());
        std::fs::create_dir_all(&tmp)?;
        let runtime_dir = self.work_dir.join("runtime");
        std::fs::create_dir_all(&runtime_dir)?;
        let mut cmd = if spec.runtime.starts_with("python") {
            let script = runtime_dir.join("bootstrap.py");
            write_once(&script, PYTHON_BOOTSTRAP)?;
            let mut c = command_for(python(), spec.memory_mb);
            c.arg("-u").arg(script);
            c
        } else if spec.runtime.starts_with("nodejs") {
            let script = runtime_dir.join("bootstrap.mjs");
            write_once(&script, NODE_BOOTSTRAP)?;
            let mut c = command_for("node", spec.memory_mb);
            c.arg(script);
            c
        } else {
            // A custom runtime may come from a layer (`/opt/bootstrap`).
            let mut bootstrap = spec.task_root.join("bootstrap");
            if let (false, Some(opt)) = (bootstrap.exists(), &spec.opt) {
                bootstrap = opt.join("bootstrap");
            }
            make_executable(&bootstrap);
            command_for(bootstrap, spec.memory_mb)
        };
        cmd.current_dir(&spec.task_root)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for keep in ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "SYSTEMROOT"] {
            if let Ok(v) = std::env::var(keep) {
                cmd.env(keep, v);
            }
        }
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        cmd.env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env("TMPDIR", &tmp)
            .env("LAMBDA_RUNTIME_DIR", &runtime_dir);
        let (tx, rx) = mpsc::channel();
        self.spawner()
            .send((cmd, tx))
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        let mut child = rx
            .recv()
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
            .inspect_err(|_| {
                api.stop();
                let _ = std::fs::remove_dir_all(&tmp);
            })?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let marks = Arc::new(Marks::default());
        if let Some(out) = child.stdout.take() {
            collect_lines(out, output.clone(), marks.clone(), false);
        }
        if let Some(err) = child.stderr.take() {
            collect_lines(err, output.clone(), marks.clone(), true);
        }
        let pid = child.id() as i32;
        Ok(Environment {
            key: spec.key.clone(),
            api,
            child: Mutex::new(child),
            pid,
            tmp,
            peak_mb: Default::default(),
            log_stream: spec
                .env
                .iter()
                .find(|(k, _)| k == "AWS_LAMBDA_LOG_STREAM_NAME")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            memory_limited: prlimit().is_some(),
            output,
            marks,
            started: Instant::now(),
            warm: Mutex::new(false),
            last_used: Mutex::new(Instant::now()),
        })
    }
}

fn write_once(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        let tmp = path.with_extension(format!("tmp{}", crate::new_request_id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)?;
    }
    Ok(())
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mut perms = meta.permissions();
        perms.set_mode(perms.mode() | 0o755);
        let _ = std::fs::set_permissions(path, perms);
    }
}

/// The end-of-output marks counted per stream, and their signal.
#[derive(Default)]
struct Marks {
    seen: Mutex<(u64, u64)>,
    changed: parking_lot::Condvar,
}

/// What Gureum's runtime clients write on stdout and stderr before each
/// answer (not function output: it never reaches the log).
const END_MARK: &str = "\0GUREUM-END";

fn collect_lines(
    source: impl std::io::Read + Send + 'static,
    sink: Arc<Mutex<Vec<String>>>,
    marks: Arc<Marks>,
    stderr: bool,
) {
    let _ = std::thread::Builder::new()
        .name("lambda-output".into())
        .spawn(move || {
            let mut reader = BufReader::new(source);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let text = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                line.clear();
                if let Some(before) = text.strip_suffix(END_MARK) {
                    // A line left open before the mark is still output.
                    if !before.is_empty() {
                        sink.lock().push(before.to_string());
                    }
                    let mut seen = marks.seen.lock();
                    if stderr {
                        seen.1 += 1;
                    } else {
                        seen.0 += 1;
                    }
                    marks.changed.notify_all();
                    continue;
                }
                sink.lock().push(text);
            }
        });
}

/// Kills process group `pid` (the child leads its own group), so that
/// what the function started ends with it.
fn kill_group(pid: i32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The command that runs `program`: in its own process group; where
/// util-linux's `setpriv` exists, with `PR_SET_PDEATHSIG` = `SIGKILL` (so
/// a `kill -9` of Gureum ends it too); and where its `prlimit` exists, with
/// `RLIMIT_DATA` at `memory_mb` (heap and private mappings: what a
/// function allocates; Gureum's crate forbids `unsafe`, so no `pre_exec`).
/// Both tools exec the next program, so the child's pid is the runtime's.
fn command_for(program: impl AsRef<std::ffi::OsStr>, memory_mb: u64) -> Command {
    use std::os::unix::process::CommandExt;
    let mut chain: Vec<std::ffi::OsString> = Vec::new();
    if let Some(setpriv) = setpriv() {
        chain.extend(["--pdeathsig", "KILL", "--"].map(Into::into));
        chain.insert(0, setpriv.into());
    }
    if let Some(prlimit) = prlimit() {
        let bytes = memory_mb * 1024 * 1024;
        chain.push(prlimit.into());
        chain.push(format!("--data={bytes}:{bytes}").into());
        chain.push("--".into());
    }
    chain.push(program.as_ref().into());
    let mut cmd = Command::new(&chain[0]);
    cmd.args(&chain[1..]);
    cmd.process_group(0);
    cmd
}

/// The host's `python3` as the real interpreter's path: a version
/// manager's shim (pyenv's is a shell script) costs every cold start its
/// own start-up, so it is resolved once.
fn python() -> &'static std::ffi::OsStr {
    static FOUND: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|p| !p.is_empty() && Path::new(p).exists())
            .map_or_else(|| "python3".into(), Into::into)
    })
}

fn setpriv() -> Option<&'static Path> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| find_tool("setpriv")).as_deref()
}

fn prlimit() -> Option<&'static Path> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| find_tool("prlimit")).as_deref()
}

fn find_tool(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// Removes `gureum-lambda-PID-N` directories of processes that no longer run.
fn sweep_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("gureum-lambda-")
            .and_then(|p| p.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        if !alive && pid != std::process::id() as i32 {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
