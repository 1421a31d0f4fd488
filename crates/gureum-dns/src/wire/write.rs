//! Writing messages: answers with name compression and truncation, and
//! queries for clients and tests.

use super::{Answer, Query, RData, Record, RecordType, SERVER_UDP_SIZE};

/// Writes a message with name compression.
struct Writer {
    out: Vec<u8>,
    /// Where each label written so far starts (a pointer may target any).
    names: Vec<u16>,
    /// A reused buffer for one name in wire form.
    scratch: Vec<u8>,
}

/// Appends `name` (presentation form) in wire form: length-prefixed
/// labels and a zero. `false` when it is not a valid name.
fn to_wire(name: &str, out: &mut Vec<u8>) -> bool {
    let b = name.as_bytes();
    let start = out.len();
    let mut len_at = out.len();
    out.push(0);
    let mut i = 0;
    while i < b.len() {
        let byte = match b[i] {
            b'.' => {
                let n = out.len() - len_at - 1;
                if n == 0 {
                    // Only the root is empty, and only as the whole name.
                    let root = b.len() == 1;
                    out.truncate(start);
                    out.push(0);
                    return root;
                }
                if n > 63 {
                    return false;
                }
                out[len_at] = n as u8;
                len_at = out.len();
                out.push(0);
                i += 1;
                continue;
            }
            b'\\' => match b.get(i + 1..i + 4) {
                Some(d) if d.iter().all(u8::is_ascii_digit) => {
                    let v = u32::from(d[0] - b'0') * 100
                        + u32::from(d[1] - b'0') * 10
                        + u32::from(d[2] - b'0');
                    i += 4;
                    match u8::try_from(v) {
                        Ok(v) => v,
                        Err(_) => return false,
                    }
                }
                _ => match b.get(i + 1) {
                    Some(&c) => {
                        i += 2;
                        c
                    }
                    None => return false,
                },
            },
            c => {
                i += 1;
                c
            }
        };
        out.push(byte);
    }
    let n = out.len() - len_at - 1;
    if n > 63 {
        return false;
    }
    if n > 0 {
        out[len_at] = n as u8;
        out.push(0);
    }
    out.len() - start <= 255
}

impl Writer {
    fn new(capacity: usize) -> Writer {
        Writer {
            out: Vec::with_capacity(capacity),
            names: Vec::with_capacity(8),
            scratch: Vec::with_capacity(64),
        }
    }

    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Whether the name written at `at` (pointers followed) is `wire`.
    fn same_name(&self, mut at: usize, wire: &[u8]) -> bool {
        let mut i = 0;
        // Each step reads a label or a pointer; 128 bounds a 255-byte name.
        for _ in 0..256 {
            let Some(&len) = self.out.get(at) else {
                return false;
            };
            if len & 0xc0 == 0xc0 {
                let Some(&low) = self.out.get(at + 1) else {
                    return false;
                };
                at = usize::from(len & 0x3f) << 8 | usize::from(low);
                continue;
            }
            if wire.get(i) != Some(&len) {
                return false;
            }
            if len == 0 {
                return true;
            }
            let l = usize::from(len);
            match (self.out.get(at + 1..at + 1 + l), wire.get(i + 1..i + 1 + l)) {
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
                _ => return false,
            }
            at += 1 + l;
            i += 1 + l;
        }
        false
    }

    /// A name, pointing at an earlier copy of its longest written suffix
    /// when `compress`.
    fn name_with(&mut self, name: &str, compress: bool) {
        let mut wire = std::mem::take(&mut self.scratch);
        wire.clear();
        if !to_wire(name, &mut wire) {
            // Stored names were validated; an unreadable one is written as
            // the root rather than corrupting the message.
            self.out.push(0);
            self.scratch = wire;
            return;
        }
        let mut i = 0;
        while wire[i] != 0 {
            if compress {
                let suffix = &wire[i..];
                if let Some(&off) = self
                    .names
                    .iter()
                    .find(|&&off| self.same_name(usize::from(off), suffix))
                {
                    self.u16(0xc000 | off);
                    self.scratch = wire;
                    return;
                }
            }
            if self.out.len() < 0x3fff {
                self.names.push(self.out.len() as u16);
            }
            let l = usize::from(wire[i]);
            self.out.extend_from_slice(&wire[i..i + 1 + l]);
            i += 1 + l;
        }
        self.out.push(0);
        self.scratch = wire;
    }

    fn name(&mut self, name: &str) {
        self.name_with(name, true);
    }

    fn record(&mut self, rec: &Record) {
        self.name(&rec.name);
        self.u16(rec.rtype);
        self.u16(1);
        self.u32(rec.ttl);
        let len_at = self.out.len();
        self.u16(0);
        match &rec.data {
            RData::A(ip) => self.out.extend_from_slice(&ip.octets()),
            RData::Aaaa(ip) => self.out.extend_from_slice(&ip.octets()),
            RData::Name(n) => self.name(n),
            RData::Mx {
                preference,
                exchange,
            } => {
                self.u16(*preference);
                self.name(exchange);
            }
            RData::Txt(strings) => {
                for s in strings {
                    let s = &s[..s.len().min(255)];
                    self.out.push(s.len() as u8);
                    self.out.extend_from_slice(s);
                }
            }
            RData::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            } => {
                self.name(mname);
                self.name(rname);
                for v in [serial, refresh, retry, expire, minimum] {
                    self.u32(*v);
                }
            }
            RData::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                self.u16(*priority);
                self.u16(*weight);
                self.u16(*port);
                // RFC 2782: the target is not compressed.
                self.name_with(target, false);
            }
            RData::Caa { flags, tag, value } => {
                self.out.push(*flags);
                self.out.push(tag.len().min(255) as u8);
                self.out
                    .extend_from_slice(&tag.as_bytes()[..tag.len().min(255)]);
                self.out.extend_from_slice(value);
            }
            RData::Opaque(b) => self.out.extend_from_slice(b),
        }
        let len = (self.out.len() - len_at - 2).min(usize::from(u16::MAX)) as u16;
        self.out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }
}

/// Writes the answer to `query`, at most `limit` bytes: when the records
/// do not fit, the answer is sent with TC set and no records, and the
/// client retries over TCP.
pub fn encode_response(query: &Query, answer: &Answer, limit: usize) -> Vec<u8> {
    let full = encode(query, answer, true);
    if full.len() <= limit {
        return full;
    }
    let mut short = encode(query, answer, false);
    short[2] |= 0x02;
    short
}

fn encode(query: &Query, answer: &Answer, with_records: bool) -> Vec<u8> {
    let mut w = Writer::new(512);
    w.u16(query.id);
    let mut hi = 0x80 | (query.opcode << 3);
    if answer.authoritative {
        hi |= 0x04;
    }
    if query.recursion_desired {
        hi |= 0x01;
    }
    w.out.push(hi);
    w.out.push(answer.rcode as u8);
    let opt = query.edns_udp_size.is_some();
    let (an, ns, ar) = if with_records {
        (
            answer.answers.len(),
            answer.authority.len(),
            answer.additional.len(),
        )
    } else {
        (0, 0, 0)
    };
    w.u16(1);
    w.u16(an as u16);
    w.u16(ns as u16);
    w.u16((ar + usize::from(opt)) as u16);
    w.name(&query.question.name);
    w.u16(query.question.qtype);
    w.u16(query.question.qclass);
    if with_records {
        for rec in answer
            .answers
            .iter()
            .chain(&answer.authority)
            .chain(&answer.additional)
        {
            w.record(rec);
        }
    }
    if opt {
        w.out.push(0);
        w.u16(RecordType::OPT);
        w.u16(SERVER_UDP_SIZE);
        w.u32(0);
        w.u16(0);
    }
    w.out
}

/// Writes a query (for clients and tests).
pub fn encode_query(id: u16, name: &str, qtype: u16, edns_udp_size: Option<u16>) -> Vec<u8> {
    let mut w = Writer::new(64);
    w.u16(id);
    w.u16(0x0100);
    w.u16(1);
    w.u16(0);
    w.u16(0);
    w.u16(u16::from(edns_udp_size.is_some()));
    w.name(name);
    w.u16(qtype);
    w.u16(1);
    if let Some(size) = edns_udp_size {
        w.out.push(0);
        w.u16(RecordType::OPT);
        w.u16(size);
        w.u32(0);
        w.u16(0);
    }
    w.out
}
