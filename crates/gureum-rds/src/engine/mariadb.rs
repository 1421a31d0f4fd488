//! MariaDB from the host (for `mariadb`, and as the stand-in for `mysql`):
//! `mariadb-install-db`, then `mariadbd` on loopback at the instance's
//! port with the master user created over the local socket.

use super::process::{engine_command, find_program};
use super::Launch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The server binary, when installed.
pub fn server() -> Option<PathBuf> {
    find_program(&[
        "/usr/sbin/mariadbd",
        "/usr/bin/mariadbd",
        "/usr/sbin/mysqld",
    ])
}

fn install_db() -> Option<PathBuf> {
    find_program(&["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"])
}

fn client() -> Option<PathBuf> {
    find_program(&["/usr/bin/mariadb", "/usr/bin/mysql"])
}

/// The account Gureum administers the server with over its socket: the
/// OS user it runs as (`unix_socket` authentication), `root` under root.
fn os_user() -> String {
    if super::process::engine_user().is_some() {
        return "root".into();
    }
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into())
}

/// Whether the server, its installer and client are all there.
pub fn installed() -> bool {
    server().is_some() && install_db().is_some() && client().is_some()
}

/// Creates the system tables in `dir/data`.
pub fn init(dir: &Path) -> std::io::Result<()> {
    let Some(install) = install_db() else {
        return Err(std::io::Error::other("mariadb-install-db is not installed"));
    };
    let out = Command::new(install)
        .arg("--no-defaults")
        .arg(format!("--datadir={}", dir.join("data").display()))
        .args([
            &format!("--user={}", os_user()),
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ])
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "mariadb-install-db: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// The option file the server starts with: where it listens, and the
/// parameter group's values.
pub fn write_config(dir: &Path, port: u16, params: &[(String, String)]) -> std::io::Result<()> {
    let mut text = String::from("# Written by Gureum for this DB instance.\n[mysqld]\n");
    text.push_str(&format!("datadir={}\n", dir.join("data").display()));
    text.push_str(&format!("port={port}\nbind-address=127.0.0.1\n"));
    text.push_str(&format!("socket={}\n", socket(dir).display()));
    text.push_str(&format!(
        "pid-file={}\n",
        dir.join("mariadbd.pid").display()
    ));
    text.push_str(&format!("user={}\nskip-name-resolve\n", os_user()));
    text.push_str(&format!("log-error={}\n", dir.join("error.log").display()));
    for (name, value) in params {
        text.push_str(&format!("{name}={value}\n"));
    }
    std::fs::write(dir.join("my.cnf"), text)
}

fn socket(dir: &Path) -> PathBuf {
    dir.join("mariadbd.sock")
}

/// The server command.
pub fn command(dir: &Path) -> Command {
    let mut cmd = engine_command(&server().unwrap_or_default(), None);
    cmd.arg(format!("--defaults-file={}", dir.join("my.cnf").display()));
    cmd
}

fn sql(dir: &Path, statement: &str) -> std::io::Result<()> {
    let out = Command::new(client().unwrap_or_default())
        .arg("--no-defaults")
        .arg("--protocol=socket")
        .arg(format!("--socket={}", socket(dir).display()))
        .arg("-u")
        .arg(os_user())
        .arg("-e")
        .arg(statement)
        .stdin(Stdio::null())
        .output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "mariadb: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// Whether the server answers on its socket.
pub fn ready(dir: &Path) -> bool {
    sql(dir, "SELECT 1").is_ok()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// Creates the master user (all privileges, from anywhere) and the database.
pub fn bootstrap(dir: &Path, launch: &Launch) -> std::io::Result<()> {
    let user = quote(&launch.user);
    let mut statements = format!(
        "CREATE USER {user}@'%' IDENTIFIED BY {pw}; GRANT ALL PRIVILEGES ON *.* TO {user}@'%' WITH GRANT OPTION;",
        pw = quote(&launch.password)
    );
    if let Some(db) = &launch.db_name {
        statements.push_str(&format!(" CREATE DATABASE `{db}`;"));
    }
    sql(dir, &statements)
}

/// Sets `user`'s password.
pub fn change_password(dir: &Path, user: &str, new: &str) -> std::io::Result<()> {
    sql(
        dir,
        &format!(
            "ALTER USER {}@'%' IDENTIFIED BY {}",
            quote(user),
            quote(new)
        ),
    )
}

/// Sets dynamic parameters on the running server.
pub fn set_global(dir: &Path, params: &[(String, String)]) {
    for (name, value) in params {
        // `DEFAULT` (a reset) is a keyword, not a string.
        let value = if value.parse::<f64>().is_ok() || value == "DEFAULT" {
            value.clone()
        } else {
            quote(value)
        };
        if let Err(e) = sql(dir, &format!("SET GLOBAL {name} = {value}")) {
            tracing::warn!(target: "gureum", "rds: SET GLOBAL {name}: {e}");
        }
    }
}
