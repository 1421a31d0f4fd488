//! WebSocket (RFC 6455) on the server side: the handshake's accept key
//! and frames read from and written to the client.

use base64::Engine;
use sha1::{Digest, Sha1};

/// The GUID RFC 6455 appends to the client's key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Frames larger than this close the connection (API Gateway's message
/// limit is 128 KB; frames of a message are 32 KB).
pub const MAX_FRAME: usize = 1024 * 1024;

/// `Sec-WebSocket-Accept` for the client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.trim().as_bytes());
    h.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// FIN bit.
    pub fin: bool,
    /// The opcode (1 text, 2 binary, 0 continuation, 8 close, 9 ping, 10 pong).
    pub opcode: u8,
    /// The unmasked payload.
    pub payload: Vec<u8>,
}

/// Text frame opcode.
pub const TEXT: u8 = 1;
/// Binary frame opcode.
pub const BINARY: u8 = 2;
/// Close frame opcode.
pub const CLOSE: u8 = 8;
/// Ping frame opcode.
pub const PING: u8 = 9;
/// Pong frame opcode.
pub const PONG: u8 = 10;

/// Parses one frame from the front of `buf`: `Ok(Some((frame, used)))`,
/// `Ok(None)` when more bytes are needed, `Err` for a frame to refuse
/// (unmasked from a client, too large).
pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, &'static str> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let fin = buf[0] & 0x80 != 0;
    let opcode = buf[0] & 0x0f;
    let masked = buf[1] & 0x80 != 0;
    if !masked {
        return Err("client frames must be masked");
    }
    let mut at = 2;
    let len = match buf[1] & 0x7f {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            at = 4;
            u16::from_be_bytes([buf[2], buf[3]]) as usize
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            at = 10;
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX)
        }
        n => n as usize,
    };
    if len > MAX_FRAME {
        return Err("frame too large");
    }
    if buf.len() < at + 4 + len {
        return Ok(None);
    }
    let mask = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
    at += 4;
    let payload = buf[at..at + len]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ mask[i % 4])
        .collect();
    Ok(Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        at + len,
    )))
}

/// A server frame (unmasked, final) with `opcode` and `payload`.
pub fn encode(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= u16::MAX as usize => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}
