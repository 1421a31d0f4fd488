//! Start a throwaway Gureum for a test.
//!
//! [`Gureum::start`] runs `gureum serve --port 0 --ephemeral`, reads the
//! address it bound from its log (so two tests never race for a port),
//! waits until it answers, and hands back the endpoint and the credentials
//! to use. Dropping the handle stops the server; nothing is left on disk.
//!
//! ```no_run
//! let gureum = gureum_testing::Gureum::start().expect("gureum");
//! let out = gureum.command("aws").args(["sts", "get-caller-identity"]).output().unwrap();
//! assert!(out.status.success());
//! ```

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to start before [`Gureum::start`] gives up.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Gureum, stopped when dropped.
#[derive(Debug)]
pub struct Gureum {
    child: Child,
    endpoint: String,
    log: mpsc::Receiver<String>,
}

/// Why a Gureum could not be started.
#[derive(Debug)]
pub enum StartError {
    /// The binary could not be run (not installed, not executable).
    Spawn {
        /// The binary tried.
        binary: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// It exited or stayed silent instead of listening; its log so far.
    NotListening(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Spawn { binary, source } => write!(
                f,
                "cannot run {}: {source} (set GUREUM_BIN or install gureum on PATH)",
                binary.display()
            ),
            StartError::NotListening(log) => write!(f, "gureum did not start:\n{log}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The binary to run: `$GUREUM_BIN`, else `gureum` on `PATH`.
pub fn binary() -> PathBuf {
    std::env::var_os("GUREUM_BIN")
        .filter(|b| !b.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("gureum"))
}

impl Gureum {
    /// Starts a server with in-memory state on a free loopback port.
    pub fn start() -> Result<Gureum, StartError> {
        Gureum::start_with(std::iter::empty::<&str>())
    }

    /// Starts a server with extra `serve` arguments (e.g. `--strict`).
    pub fn start_with<I, S>(args: I) -> Result<Gureum, StartError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Gureum::start_binary(binary(), args)
    }

    /// Starts `binary` (not [`binary()`]'s choice) with extra arguments.
    pub fn start_binary<I, S>(binary: PathBuf, args: I) -> Result<Gureum, StartError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut child = Command::new(&binary)
            .args(["serve", "--port", "0", "--ephemeral", "--log-level", "info"])
            .args(args.into_iter().map(Into::into))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| StartError::Spawn {
                binary: binary.clone(),
                source,
            })?;
        // A thread drains the log (a full pipe would stall the server) and
        // forwards lines until the listening address shows up.
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = String::new();
        let deadline = Instant::now() + START_TIMEOUT;
        let endpoint = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(endpoint) = listening_endpoint(&line) {
                        break endpoint;
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(StartError::NotListening(seen));
                }
            }
        };
        let gureum = Gureum {
            child,
            endpoint,
            log: rx,
        };
        if !gureum.healthy() {
            return Err(StartError::NotListening(seen));
        }
        Ok(gureum)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region requests default to.
    pub fn region(&self) -> &'static str {
        "us-east-1"
    }

    /// The access key of the default account's root (`test`).
    pub fn access_key_id(&self) -> &'static str {
        "test"
    }

    /// Its secret (`test`).
    pub fn secret_access_key(&self) -> &'static str {
        "test"
    }

    /// The environment that points the aws CLI and SDKs here, and away from
    /// any credentials or profile the machine has.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key_id().into()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key().into()),
            ("AWS_DEFAULT_REGION", self.region().into()),
            ("AWS_REGION", self.region().into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_PAGER", String::new()),
        ]
    }

    /// A command with [`env`](Self::env) applied and no session token or
    /// profile inherited.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_remove("AWS_SESSION_TOKEN").env_remove("AWS_PROFILE");
        c.envs(self.env());
        c
    }

    /// The server's log lines written since the last call.
    pub fn drain_log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// Whether `/_gureum/health` answers 200.
    pub fn healthy(&self) -> bool {
        let Some(hostport) = self.endpoint.strip_prefix("http://") else {
            return false;
        };
        let Ok(mut s) = TcpStream::connect(hostport) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let request = format!(
            "GET /_gureum/health HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
        );
        let mut answer = String::new();
        s.write_all(request.as_bytes()).is_ok()
            && s.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 200")
    }
}

impl Drop for Gureum {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The endpoint in `Gureum listening on http://127.0.0.1:4566 (…)`.
fn listening_endpoint(line: &str) -> Option<String> {
    let rest = line.split("Gureum listening on ").nth(1)?;
    let endpoint = rest.split_whitespace().next()?;
    endpoint
        .starts_with("http://")
        .then(|| endpoint.to_string())
}

#[cfg(test)]
mod tests {
    use super::listening_endpoint;

    #[test]
    fn the_endpoint_is_read_off_the_listening_line() {
        let line = "2026-12-07T12:31:27Z  INFO Gureum listening on http://127.0.0.1:47293 (state: in memory)";
        assert_eq!(
            listening_endpoint(line).as_deref(),
            Some("http://127.0.0.1:47293")
        );
        assert_eq!(listening_endpoint("INFO stopped"), None);
    }
}
