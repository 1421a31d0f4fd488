//! Starting and ending engine processes.
//!
//! An engine leads its own process group and gets `PR_SET_PDEATHSIG` =
//! `SIGKILL` through util-linux's `setpriv`, so even a `kill -9` of Gureum
//! ends it (Gureum forbids `unsafe`, so no `pre_exec`). The death signal
//! follows the *thread* that forked, so engines are spawned from one
//! long-lived thread. PostgreSQL refuses to run as root: when Gureum is
//! root, it runs as the host's `postgres` user (`setpriv --reuid`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// Spawns commands from one long-lived thread.
#[derive(Default)]
pub struct Spawner {
    tx: parking_lot::Mutex<Option<mpsc::Sender<SpawnRequest>>>,
}

impl Spawner {
    /// Spawns `cmd` from the spawner thread.
    pub fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let tx = {
            let mut guard = self.tx.lock();
            if guard.is_none() {
                let (tx, rx) = mpsc::channel::<SpawnRequest>();
                std::thread::Builder::new()
                    .name("rds-spawner".into())
                    .spawn(move || {
                        for (mut cmd, reply) in rx {
                            let _ = reply.send(cmd.spawn());
                        }
                    })?;
                *guard = Some(tx);
            }
            guard.clone().expect("set above")
        };
        let (reply, answer) = mpsc::channel();
        tx.send((cmd, reply))
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        answer
            .recv()
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
    }
}

/// The user engines that refuse root run as: `Some("postgres")` when
/// Gureum is root, `None` (Gureum's own user) otherwise.
pub fn engine_user() -> Option<&'static str> {
    static USER: std::sync::OnceLock<Option<&'static str>> = std::sync::OnceLock::new();
    *USER.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let root = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0");
        root.then_some("postgres")
    })
}

/// A long-lived engine command: own process group, death signal, and
/// (for PostgreSQL under root) the engine user.
pub fn engine_command(program: &Path, as_user: Option<&str>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = match setpriv() {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            if let Some(user) = as_user {
                c.arg(format!("--reuid={user}"))
                    .arg(format!("--regid={user}"))
                    .arg("--init-groups");
            }
            c.arg("--pdeathsig").arg("KILL").arg("--").arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.process_group(0).stdin(Stdio::null());
    cmd
}

/// A short-lived helper command (initdb) run as `as_user`.
pub fn helper_command(program: &Path, as_user: Option<&str>) -> Command {
    match (setpriv(), as_user) {
        (Some(setpriv), Some(user)) => {
            let mut c = Command::new(setpriv);
            c.arg(format!("--reuid={user}"))
                .arg(format!("--regid={user}"))
                .arg("--init-groups")
                .arg("--")
                .arg(program);
            c
        }
        _ => Command::new(program),
    }
}

fn setpriv() -> Option<&'static Path> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            ["/usr/bin/setpriv", "/bin/setpriv"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })
        .as_deref()
}

/// Sends `signal` (`INT`, `TERM`, `HUP`, `KILL`) to process `pid`.
pub fn signal(pid: i32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kills process group `pid` (the engine leads its own group).
pub fn kill_group(pid: i32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Gives `user` ownership of `path` (recursively).
pub fn chown(path: &Path, user: &str) -> std::io::Result<()> {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:{user}"))
        .arg(path)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "chown {} failed",
            path.display()
        )))
    }
}

/// Lets other users traverse (not list) every ancestor of `path`, so an
/// engine running as its own user reaches its directory under a private
/// data directory.
pub fn grant_traverse(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for dir in path.ancestors() {
        if let Ok(meta) = std::fs::metadata(dir) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                let _ =
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o011));
            }
        }
    }
}

/// Copies directory `from` to `to` with ownership and modes (`cp -a`).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "copying {} to {} failed",
            from.display(),
            to.display()
        )))
    }
}

/// `want` when it is free on loopback, else one the OS picks.
/// Ports in `taken` (promised to engines still starting) are skipped.
pub fn pick_port(want: &[u16], taken: &std::collections::HashSet<u16>) -> std::io::Result<u16> {
    for &port in want {
        if port != 0
            && !taken.contains(&port)
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return Ok(port);
        }
    }
    loop {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let port = l.local_addr()?.port();
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
}

/// The first of `candidates` that exists.
pub fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}
