//! `gureum`: serve the AWS API locally, print the environment that points
//! tools at it, ask a running server how it is, or reset, export and
//! import its state.

use clap::{Parser, Subcommand};

mod cost_cmd;
mod state_cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "gureum",
    version,
    about = "The AWS cloud on one machine, in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every AWS service on one endpoint.
    Serve(ServeArgs),
    /// Print shell exports that point the aws CLI and SDKs at Gureum:
    /// `eval "$(gureum env)"`.
    Env {
        /// The endpoint to point at.
        #[arg(long, env = "GUREUM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
        endpoint: String,
    },
    /// Run the aws CLI against Gureum only: `gureum aws s3 ls`. The
    /// endpoint is passed explicitly and the machine's credentials,
    /// profiles and session tokens are hidden, so no command can reach AWS.
    #[command(disable_help_flag = true)]
    Aws {
        /// The endpoint to point at.
        #[arg(
            long = "gureum-endpoint",
            env = "GUREUM_ENDPOINT",
            default_value = "http://127.0.0.1:4566"
        )]
        endpoint: String,
        /// The aws CLI's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Ask a running Gureum for its health and print it as a table.
    Status {
        /// The endpoint to ask.
        #[arg(long, env = "GUREUM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
        endpoint: String,
    },
    /// Print the local certificate authority's root certificate (PEM) of a
    /// running Gureum, or write it to a file: trust it and the HTTPS
    /// listeners serving ACM certificates verify.
    Ca {
        /// The running server.
        #[arg(long, env = "GUREUM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
        endpoint: String,
        /// Write the PEM to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print this month's cost so far by service, metered by a running
    /// Gureum at AWS's on-demand prices.
    Cost {
        /// The running server.
        #[arg(long, env = "GUREUM_ENDPOINT", default_value = "http://127.0.0.1:4566")]
        endpoint: String,
        /// The account (12 digits).
        #[arg(long, default_value = "000000000000")]
        account: String,
    },
    /// Clear a running Gureum's state: every service's, or one's.
    Reset {
        /// The running server.
        #[arg(
            long,
            env = "AWS_ENDPOINT_URL",
            default_value = "http://127.0.0.1:4566"
        )]
        endpoint: String,
        /// Only this service's state (its model name: s3, iam, ec2…).
        #[arg(long)]
        service: Option<String>,
    },
    /// Write a running Gureum's whole state to FILE (one consistent
    /// snapshot, checksummed).
    Export {
        /// The file to write.
        file: PathBuf,
        /// The running server.
        #[arg(
            long,
            env = "AWS_ENDPOINT_URL",
            default_value = "http://127.0.0.1:4566"
        )]
        endpoint: String,
    },
    /// Replace a running Gureum's whole state with FILE's (from `gureum
    /// export`), atomically.
    Import {
        /// The file to read.
        file: PathBuf,
        /// The running server.
        #[arg(
            long,
            env = "AWS_ENDPOINT_URL",
            default_value = "http://127.0.0.1:4566"
        )]
        endpoint: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GUREUM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "GUREUM_PORT", default_value_t = 4566)]
    port: u16,
    /// Where state is kept.
    #[arg(long, env = "GUREUM_DATA_DIR", default_value = ".gureum")]
    data_dir: PathBuf,
    /// Keep all state in memory (nothing survives a restart).
    #[arg(long, env = "GUREUM_EPHEMERAL")]
    ephemeral: bool,
    /// Refuse access keys Gureum did not issue or was not told about.
    #[arg(long, env = "GUREUM_STRICT")]
    strict: bool,
    /// A TOML file of `[[accounts]]` (id, access_key_id, secret_access_key).
    #[arg(long, env = "GUREUM_ACCOUNTS_FILE")]
    accounts: Option<PathBuf>,
    /// Fsync every write before answering (survives a power cut; slower).
    /// By default a write survives a crash or kill -9 of the process, and
    /// a checkpoint fsyncs every second.
    #[arg(long, env = "GUREUM_FSYNC_EVERY_WRITE")]
    fsync_every_write: bool,
    /// The DNS server's port (UDP and TCP), answering Route 53's zones;
    /// a free port when not given (`gureum status` and the health
    /// endpoint show it), 53 for the standard one.
    #[arg(long, env = "GUREUM_DNS_PORT")]
    dns_port: Option<u16>,
    /// Where instances' public IPs and Elastic IPs come from: an IPv4 CIDR
    /// (/8 to /24) that is never routed to the internet. The default,
    /// 198.18.0.0/15, is reserved for benchmarking (RFC 2544).
    #[arg(long, env = "GUREUM_PUBLIC_IP_RANGE", default_value = gureum_ec2::vpc::addresses::DEFAULT_PUBLIC_IP_RANGE)]
    public_ip_range: String,
    /// How much to log.
    #[arg(long, env = "GUREUM_LOG_LEVEL", value_enum, default_value_t = LogLevel::Info)]
    log_level: LogLevel,
    /// Log lines as plain text or as one JSON object each.
    #[arg(long, env = "GUREUM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// `--log-level`: an unknown value is refused by clap, not ignored.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn directive(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines; coloured only on a terminal without `NO_COLOR`.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Env { endpoint } => env(&endpoint),
        Command::Aws { endpoint, args } => aws(&endpoint, &args),
        Command::Status { endpoint } => status(&endpoint),
        Command::Ca { endpoint, out } => ca(&endpoint, out.as_deref()),
        Command::Cost { endpoint, account } => cost_cmd::cost(&endpoint, &account),
        Command::Reset { endpoint, service } => state_cmd::reset(&endpoint, service.as_deref()),
        Command::Export { file, endpoint } => state_cmd::export(&endpoint, &file),
        Command::Import { file, endpoint } => state_cmd::import(&endpoint, &file),
    }
}

/// Logs go to stderr: coloured only when it is a terminal and `NO_COLOR`
/// is unset (<https://no-color.org>), so a log file holds plain text.
fn init_logging(level: LogLevel, format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,gureum={}", level.directive()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            builder.with_ansi(colour).init();
        }
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_level, args.log_format);
    if let Err(e) = gureum_ec2::vpc::addresses::set_public_ip_range(&args.public_ip_range) {
        eprintln!("gureum: --public-ip-range: {e}");
        return ExitCode::from(2);
    }
    let config = gureum_server::Config {
        host: args.host,
        port: args.port,
        data_dir: args.data_dir,
        ephemeral: args.ephemeral,
        strict: args.strict,
        accounts_file: args.accounts,
        fsync_every_write: args.fsync_every_write,
        dns_port: args.dns_port,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gureum: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let storage = if config.ephemeral {
        "in memory".to_string()
    } else {
        config.data_dir.display().to_string()
    };
    let result = runtime.block_on(gureum_server::serve(
        &config,
        |addr| {
            tracing::info!(target: "gureum", "Gureum listening on http://{addr} (state: {storage})");
        },
        shutdown_signal(),
    ));
    match result {
        Ok(()) => {
            tracing::info!(target: "gureum", "stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gureum: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Prints the exports for `eval "$(gureum env)"`. They point at Gureum even
/// when it is not running (so the next command fails locally instead of
/// reaching real AWS), and the command then says so and exits non-zero.
fn env(endpoint: &str) -> ExitCode {
    for (name, value) in client_env(endpoint) {
        println!("export {name}={value}");
    }
    println!("unset AWS_PROFILE AWS_SESSION_TOKEN");
    match http_get(endpoint, "/_gureum/health") {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gureum: {e}: Gureum is not running there (start it with `gureum serve`)");
            ExitCode::FAILURE
        }
    }
}

/// The environment that points clients at `endpoint` and away from any
/// credentials file or profile.
fn client_env(endpoint: &str) -> [(&'static str, String); 7] {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ("AWS_PAGER", String::new()),
    ]
}

/// `gureum aws …`: the aws CLI with `--endpoint-url` given explicitly (the
/// CLI v1 ignores `AWS_ENDPOINT_URL` for some services, `sqs` among them)
/// and nothing of the machine's AWS configuration visible.
fn aws(endpoint: &str, args: &[std::ffi::OsString]) -> ExitCode {
    let mut command = std::process::Command::new("aws");
    command
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_DEFAULT_PROFILE")
        .envs(client_env(endpoint))
        .arg("--endpoint-url")
        .arg(endpoint)
        .args(args);
    match command.status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("gureum: cannot run the aws CLI: {e} (pip install awscli)");
            ExitCode::FAILURE
        }
    }
}

/// A tiny HTTP/1.1 GET, enough to read the health endpoint without pulling
/// an HTTP client into the binary.
fn http_get(endpoint: &str, path: &str) -> Result<String, String> {
    let hostport = endpoint
        .strip_prefix("http://")
        .ok_or("only http:// endpoints are supported")?
        .trim_end_matches('/');
    let mut stream =
        TcpStream::connect(hostport).map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let (head, body) = raw.split_once("\r\n\r\n").ok_or("malformed response")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "unexpected answer: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    Ok(body.to_string())
}

/// `gureum ca`: the root certificate from `/_gureum/ca.pem`.
fn ca(endpoint: &str, out: Option<&std::path::Path>) -> ExitCode {
    let pem = match http_get(endpoint, "/_gureum/ca.pem") {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gureum: {e} (is `gureum serve` running?)");
            return ExitCode::FAILURE;
        }
    };
    let written = match out {
        Some(path) => std::fs::write(path, &pem).map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(pem.as_bytes())
            .map_err(|e| e.to_string()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gureum: {e}");
            ExitCode::FAILURE
        }
    }
}

fn status(endpoint: &str) -> ExitCode {
    let body = match http_get(endpoint, "/_gureum/health") {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gureum: {e} (is `gureum serve` running?)");
            return ExitCode::FAILURE;
        }
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
        eprintln!("gureum: the health answer is not JSON");
        return ExitCode::FAILURE;
    };
    // A closed pipe (`gureum status | head -1`) ends the listing quietly.
    let _ = print_status(&mut std::io::stdout().lock(), endpoint, &v);
    ExitCode::SUCCESS
}

fn print_status(
    out: &mut impl Write,
    endpoint: &str,
    v: &serde_json::Value,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Gureum {} at {endpoint} — up {} s, state {}",
        v["version"].as_str().unwrap_or("?"),
        v["uptime_seconds"],
        if v["persistent"].as_bool() == Some(true) {
            "persistent"
        } else {
            "in memory"
        }
    )?;
    if let Some(endpoints) = v["endpoints"].as_object() {
        for (name, address) in endpoints {
            writeln!(out, "  {name:<16} {}", address.as_str().unwrap_or("-"))?;
        }
    }
    writeln!(out, "{:<18} {:<12} OPERATIONS", "SERVICE", "STATE")?;
    let Some(services) = v["services"].as_object() else {
        return Ok(());
    };
    for name in services.keys() {
        let ops = &v["operations"][name];
        let (done, total) = (
            ops["implemented"].as_u64().unwrap_or(0),
            ops["total"].as_u64().unwrap_or(0),
        );
        let state = match (done, total) {
            (0, _) => "missing",
            (d, t) if d >= t => "complete",
            _ => "partial",
        };
        writeln!(out, "{name:<18} {state:<12} {done:>4} / {total}")?;
    }
    Ok(())
}
