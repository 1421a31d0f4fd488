//! PostgreSQL from the host: `initdb` with the master user as superuser
//! (password auth `scram-sha-256`), `postgres` listening on loopback at
//! the instance's port, parameters in an included `gureum.conf`.

use super::process::{engine_command, engine_user, helper_command};
use super::Launch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The newest PostgreSQL server installed (`/usr/lib/postgresql/N/bin`).
pub fn bin_dir() -> Option<PathBuf> {
    static FOUND: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .flatten()
                .filter_map(|e| {
                    let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("postgres").exists().then_some((major, bin))
                })
                .collect();
            dirs.sort();
            dirs.pop().map(|(_, b)| b)
        })
        .clone()
}

fn bin(name: &str) -> PathBuf {
    bin_dir().unwrap_or_default().join(name)
}

/// The administrator every cluster is initialised with (as on RDS); the
/// master user is a superuser created beside it.
pub const ADMIN: &str = "rdsadmin";

/// The template cluster under `root` (`.templates/postgresN`: a cache, so
/// a dot name that state export leaves out), made once
/// with `initdb` so that a new instance is a copy of it rather than an
/// `initdb` of its own (about a second saved per create). Answers its
/// directory and the administrator's password.
pub fn template(root: &Path) -> std::io::Result<(PathBuf, String)> {
    let major = bin_dir()
        .and_then(|b| b.parent().map(|p| p.to_path_buf()))
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_default();
    let dir = root.join(".templates").join(format!("postgres{major}"));
    let password_file = dir.join("admin-password");
    if dir.join("data").join("PG_VERSION").exists() {
        if let Ok(pw) = std::fs::read_to_string(&password_file) {
            return Ok((dir, pw.trim().to_string()));
        }
    }
    let building = root
        .join(".templates")
        .join(format!(".postgres{major}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    std::fs::create_dir_all(&building)?;
    if engine_user().is_some() {
        super::process::grant_traverse(&building);
    }
    let password = gureum_core::id::hex(32);
    let pwfile = building.join("pwfile");
    std::fs::write(&pwfile, format!("{password}\n"))?;
    if let Some(user) = engine_user() {
        super::process::chown(&building, user)?;
    }
    let out = helper_command(&bin("initdb"), engine_user())
        .arg("-D")
        .arg(building.join("data"))
        .arg("-U")
        .arg(ADMIN)
        .arg(format!("--pwfile={}", pwfile.display()))
        .args([
            "-A",
            "scram-sha-256",
            "-N",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ])
        .stdin(Stdio::null())
        .output()?;
    let _ = std::fs::remove_file(&pwfile);
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&building);
        return Err(std::io::Error::other(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let conf = building.join("data").join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf)?;
    text.push_str(
        "\n# Gureum: the DB parameter group's values\ninclude_if_exists = 'gureum.conf'\n",
    );
    std::fs::write(&conf, text)?;
    std::fs::write(building.join("admin-password"), &password)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&building, &dir)?;
    Ok((dir, password))
}

/// Creates the cluster in `dir/data`: a copy of the template.
pub fn init(dir: &Path, template: &Path) -> std::io::Result<()> {
    super::process::copy_dir(&template.join("data"), &dir.join("data"))?;
    if let Some(user) = engine_user() {
        super::process::chown(dir, user)?;
    }
    Ok(())
}

/// Writes the parameter group's values where `postgresql.conf` includes them.
pub fn write_params(dir: &Path, params: &[(String, String)]) -> std::io::Result<()> {
    let mut text = String::from("# Written by Gureum from the DB parameter group.\n");
    for (name, value) in params {
        let value = value.replace('\'', "''");
        text.push_str(&format!("{name} = '{value}'\n"));
    }
    let path = dir.join("data").join("gureum.conf");
    std::fs::write(&path, text)?;
    if let Some(user) = engine_user() {
        super::process::chown(&path, user)?;
    }
    Ok(())
}

/// Ends what is left of a previous server on `dir` (its children outlive
/// a postmaster killed with Gureum by a moment, holding the shared
/// memory a new server would refuse to start beside): the processes of
/// the old postmaster's group that are still `postgres`, then its lock
/// file. Only called when no engine of this Gureum runs on `dir`.
pub fn clear_leftovers(dir: &Path) {
    let Ok(text) = std::fs::read_to_string(dir.join("data").join("postmaster.pid")) else {
        return;
    };
    let Some(old) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return;
    };
    let leftovers = || -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // `pid (comm) state ppid pgrp …`; comm may hold spaces.
                let Some((head, tail)) = stat.rsplit_once(')') else {
                    return false;
                };
                let fields: Vec<&str> = tail.split_whitespace().collect();
                head.ends_with("(postgres")
                    && fields.first() != Some(&"Z")
                    && fields.get(2) == Some(&old.to_string().as_str())
            })
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let pids = leftovers();
        if pids.is_empty() || std::time::Instant::now() > deadline {
            // The old postmaster may linger as a zombie nobody reaps (a
            // container's PID 1 that does not), which PostgreSQL would
            // take for a running server: the lock file goes.
            let _ = std::fs::remove_file(dir.join("data").join("postmaster.pid"));
            return;
        }
        for pid in pids {
            super::process::signal(pid, "KILL");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The server command.
pub fn command(dir: &Path, port: u16) -> Command {
    let mut cmd = engine_command(&bin("postgres"), engine_user());
    cmd.arg("-D")
        .arg(dir.join("data"))
        .arg("-c")
        .arg("listen_addresses=127.0.0.1")
        .arg("-c")
        .arg(format!("port={port}"))
        .arg("-c")
        .arg("unix_socket_directories=");
    cmd
}

/// Whether the server accepts connections.
pub fn ready(port: u16) -> bool {
    Command::new(bin("pg_isready"))
        .args(["-q", "-h", "127.0.0.1", "-t", "1", "-p"])
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn psql(port: u16, launch: &Launch, sql: &str) -> std::io::Result<()> {
    let out = Command::new(bin("psql"))
        .args([
            "-X",
            "-w",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-d",
            "postgres",
        ])
        .arg("-p")
        .arg(port.to_string())
        .arg("-U")
        .arg(&launch.user)
        .arg("-c")
        .arg(sql)
        .env("PGPASSWORD", &launch.password)
        .env("PGCONNECT_TIMEOUT", "5")
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// Sets `user`'s password to `new` (connecting with `old`).
pub fn change_password(port: u16, user: &str, old: &str, new: &str) -> std::io::Result<()> {
    let launch = Launch {
        engine: crate::catalog::Engine::Postgres,
        user: user.to_string(),
        password: old.to_string(),
        db_name: None,
        ports: vec![],
        params: vec![],
    };
    let new = new.replace('\'', "''");
    psql(
        port,
        &launch,
        &format!("ALTER ROLE \"{user}\" PASSWORD '{new}'"),
    )
}

/// Creates the master user (a superuser with the instance's password)
/// and the instance's database on a fresh cluster, as the administrator.
pub fn bootstrap(port: u16, launch: &Launch, admin_password: &str) -> std::io::Result<()> {
    let admin = Launch {
        user: ADMIN.to_string(),
        password: admin_password.to_string(),
        ..launch.clone()
    };
    let user = &launch.user;
    let pw = launch.password.replace('\'', "''");
    psql(
        port,
        &admin,
        &format!("CREATE ROLE \"{user}\" WITH SUPERUSER CREATEDB CREATEROLE REPLICATION LOGIN PASSWORD '{pw}'"),
    )?;
    match &launch.db_name {
        Some(db) => psql(
            port,
            &admin,
            &format!("CREATE DATABASE \"{db}\" OWNER \"{user}\""),
        ),
        None => Ok(()),
    }
}

/// Ends recovery on a standby: it becomes a primary of its own.
pub fn promote(port: u16, user: &str, password: &str) -> std::io::Result<()> {
    let launch = Launch {
        engine: crate::catalog::Engine::Postgres,
        user: user.to_string(),
        password: password.to_string(),
        db_name: None,
        ports: vec![],
        params: vec![],
    };
    psql(port, &launch, "SELECT pg_promote()")
}

/// Applies dynamic parameters now (`gureum.conf` was rewritten): reload.
pub fn reload(pid: i32) {
    super::process::signal(pid, "HUP");
}

/// A standby of the PostgreSQL at `port` in `dir/data`: a base backup
/// with `-R`, which writes `standby.signal` and the connection to stream
/// the source's WAL from.
pub fn replica_backup(port: u16, user: &str, password: &str, dir: &Path) -> std::io::Result<()> {
    let launch = Launch {
        engine: crate::catalog::Engine::Postgres,
        user: user.to_string(),
        password: password.to_string(),
        db_name: None,
        ports: vec![],
        params: vec![],
    };
    base_backup_with(port, &launch, dir, &["-R"])
}

/// A consistent copy of the running cluster into `dest/data`
/// (`pg_basebackup` with the WAL streamed alongside).
pub fn base_backup(port: u16, launch: &Launch, dest: &Path) -> std::io::Result<()> {
    base_backup_with(port, launch, dest, &[])
}

fn base_backup_with(
    port: u16,
    launch: &Launch,
    dest: &Path,
    extra: &[&str],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dest)?;
    let out = Command::new(bin("pg_basebackup"))
        .arg("-D")
        .arg(dest.join("data"))
        .args(["-h", "127.0.0.1", "-X", "stream", "-c", "fast", "-w"])
        .args(extra)
        .arg("-p")
        .arg(port.to_string())
        .arg("-U")
        .arg(&launch.user)
        .env("PGPASSWORD", &launch.password)
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "pg_basebackup: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// Prepares a copied cluster to start as a new instance: its files
/// belong to the engine user and no stale lock is left.
pub fn adopt(dir: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(dir.join("data").join("postmaster.pid"));
    if let Some(user) = engine_user() {
        super::process::chown(dir, user)?;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("data"), std::fs::Permissions::from_mode(0o700))
}
