//! `gureum reset`, `gureum export FILE`, `gureum import FILE`: talk to a
//! running server's admin endpoints over a minimal HTTP/1.1 client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Bytes moved per write or read while showing progress.
const CHUNK: usize = 1 << 20;

/// Shows `done / total` on stderr, at most ten times a second.
struct Progress {
    what: &'static str,
    total: u64,
    last: Option<Instant>,
}

impl Progress {
    fn new(what: &'static str, total: u64) -> Progress {
        Progress {
            what,
            total,
            last: None,
        }
    }

    fn show(&mut self, done: u64) {
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
            && done < self.total
        {
            return;
        }
        self.last = Some(Instant::now());
        let pct = if self.total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / self.total as f64
        };
        eprint!(
            "\r{}: {} / {} ({pct:.0}%)",
            self.what,
            size(done),
            size(self.total)
        );
        if done >= self.total {
            eprintln!();
        }
    }
}

fn size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn connect(endpoint: &str) -> Result<(TcpStream, String), String> {
    let hostport = endpoint
        .strip_prefix("http://")
        .ok_or("only http:// endpoints are supported")?
        .trim_end_matches('/')
        .to_string();
    let stream =
        TcpStream::connect(&hostport).map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(600)));
    Ok((stream, hostport))
}

/// Sends a request with `body` (progress shown when `progress` is set),
/// returns the response's status, and a reader positioned at its body
/// with the body's length.
fn request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: &mut dyn Read,
    body_len: u64,
    mut progress: Option<Progress>,
) -> Result<(u16, BufReader<TcpStream>, Option<u64>), String> {
    let (mut stream, hostport) = connect(endpoint)?;
    let io = |e: std::io::Error| format!("{endpoint}: {e}");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n",
    )
    .map_err(io)?;
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(body_len).unwrap_or(CHUNK))];
    let mut sent = 0u64;
    while sent < body_len {
        let n = body
            .read(&mut buf)
            .map_err(|e| format!("reading the body: {e}"))?;
        if n == 0 {
            return Err(format!("the body ended after {sent} of {body_len} bytes"));
        }
        stream.write_all(&buf[..n]).map_err(io)?;
        sent += n as u64;
        if let Some(p) = progress.as_mut() {
            p.show(sent);
        }
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{endpoint} did not answer HTTP: {line:?}"))?;
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(io)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok();
            }
        }
    }
    Ok((status, reader, length))
}

/// Reads a whole (small, JSON) response body.
fn read_json(mut reader: impl Read) -> serde_json::Value {
    let mut raw = String::new();
    let _ = reader.read_to_string(&mut raw);
    serde_json::from_str(&raw).unwrap_or(serde_json::Value::String(raw))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("gureum: {message}");
    ExitCode::FAILURE
}

fn server_error(status: u16, v: &serde_json::Value) -> String {
    match v["error"].as_str() {
        Some(e) => format!("the server refused ({status}): {e}"),
        None => format!("the server answered {status}: {v}"),
    }
}

/// `gureum reset [--service NAME]`.
pub fn reset(endpoint: &str, service: Option<&str>) -> ExitCode {
    let path = match service {
        Some(s) => format!("/_gureum/reset?service={s}"),
        None => "/_gureum/reset".to_string(),
    };
    let (status, reader, _) = match request(endpoint, "POST", &path, &mut std::io::empty(), 0, None)
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let v = read_json(reader);
    if status != 200 {
        return fail(server_error(status, &v));
    }
    let services: Vec<&str> = v["services"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    println!(
        "reset {} ({} tables cleared)",
        services.join(", "),
        v["tables"].as_array().map_or(0, Vec::len)
    );
    ExitCode::SUCCESS
}

/// `gureum export FILE`: the server's whole state, checked, then written.
pub fn export(endpoint: &str, file: &Path) -> ExitCode {
    let (status, mut reader, length) = match request(
        endpoint,
        "GET",
        "/_gureum/export",
        &mut std::io::empty(),
        0,
        None,
    ) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if status != 200 {
        return fail(server_error(status, &read_json(reader)));
    }
    let Some(total) = length else {
        return fail("the export answer has no Content-Length");
    };
    // Through a temporary name: a reader never sees half a file.
    let tmp = file.with_extension("gureum-export-tmp");
    let result = receive(&mut reader, total, &tmp)
        .and_then(|()| std::fs::rename(&tmp, file).map_err(|e| format!("{}: {e}", file.display())));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return fail(e);
    }
    println!("exported {} to {}", size(total), file.display());
    ExitCode::SUCCESS
}

/// Checks a state file's header and checksum reading it once; returns
/// its length.
fn check_file(path: &Path) -> Result<u64, String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut checker = gureum_server::state_file::Checker::default();
    let mut buf = vec![0u8; CHUNK];
    let mut head: Vec<u8> = Vec::new();
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if head.len() < 64 * 1024 {
            head.extend_from_slice(&buf[..n]);
        }
        checker.update(&buf[..n]);
        len += n as u64;
    }
    gureum_server::state_file::verify_header(&head).map_err(|e| e.to_string())?;
    checker.finish().map_err(|e| e.to_string())?;
    Ok(len)
}

/// Copies `total` bytes of an export to `path`, checking them on the way.
fn receive(reader: &mut impl Read, total: u64, path: &Path) -> Result<(), String> {
    let at = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut out = std::fs::File::create(path).map_err(at)?;
    let mut checker = gureum_server::state_file::Checker::default();
    let mut progress = Progress::new("export", total);
    let mut buf = vec![0u8; CHUNK];
    // Enough of the start to hold the header.
    let mut head: Vec<u8> = Vec::new();
    let mut done = 0u64;
    while done < total {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(format!("reading the export: {e}")),
        };
        if head.len() < 64 * 1024 {
            head.extend_from_slice(&buf[..n]);
        }
        checker.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(at)?;
        done += n as u64;
        progress.show(done);
    }
    if done != total {
        return Err(format!("the export ended after {done} of {total} bytes"));
    }
    gureum_server::state_file::verify_header(&head)
        .and_then(|_| checker.finish())
        .map_err(|e| format!("the export is damaged: {e}"))?;
    out.sync_all().map_err(at)
}

/// `gureum import FILE`: replaces the server's whole state with the file's.
pub fn import(endpoint: &str, file: &Path) -> ExitCode {
    // Checked whole before anything is sent (a pass over the file), then
    // sent from the file.
    let len = match check_file(file) {
        Ok(len) => len,
        Err(e) => return fail(format!("{}: {e}", file.display())),
    };
    let mut body = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: {e}", file.display())),
    };
    let progress = Progress::new("import", len);
    let (status, reader, _) = match request(
        endpoint,
        "POST",
        "/_gureum/import",
        &mut body,
        len,
        Some(progress),
    ) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let v = read_json(reader);
    if status != 200 {
        return fail(server_error(status, &v));
    }
    println!(
        "imported {}: {} tables, {} rows, {} files",
        file.display(),
        v["tables"],
        v["rows"],
        v["files"]
    );
    ExitCode::SUCCESS
}
