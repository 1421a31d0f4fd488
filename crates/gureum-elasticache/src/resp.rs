//! The few Redis commands Gureum sends to its own engines (`CONFIG SET`,
//! `SAVE`, `REPLICAOF`), over RESP on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

/// Runs `args` on the engine at `port` (authenticating as `auth`, a user
/// and password, first) and returns the reply as text; an error reply is
/// an `Err`.
pub fn command(
    port: u16,
    auth: Option<&(String, String)>,
    args: &[&str],
) -> std::io::Result<String> {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    if let Some((user, password)) = auth {
        writer.write_all(&encode(&["AUTH", user, password]))?;
        read_reply(&mut reader)?;
    }
    writer.write_all(&encode(args))?;
    read_reply(&mut reader)
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_reply(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let line = line.trim_end();
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" | ":" => Ok(rest.to_string()),
        "-" => Err(std::io::Error::other(rest.to_string())),
        "$" => {
            let n: i64 = rest.parse().map_err(std::io::Error::other)?;
            if n < 0 {
                return Ok(String::new());
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf)?;
            buf.truncate(n as usize);
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        "*" => {
            let n: i64 = rest.parse().map_err(std::io::Error::other)?;
            let mut parts = Vec::new();
            for _ in 0..n.max(0) {
                parts.push(read_reply(r)?);
            }
            Ok(parts.join("\n"))
        }
        _ => Err(std::io::Error::other(format!("unexpected reply {line:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_of_each_kind_are_read() {
        let mut r =
            std::io::Cursor::new(b"$5\r\nhello\r\n*2\r\n$1\r\na\r\n:3\r\n-ERR no\r\n".to_vec());
        assert_eq!(read_reply(&mut r).expect("a reply"), "hello");
        assert_eq!(read_reply(&mut r).expect("a reply"), "a\n3");
        assert_eq!(
            read_reply(&mut r).expect_err("an error reply").to_string(),
            "ERR no"
        );
        assert_eq!(encode(&["GET", "k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }
}
