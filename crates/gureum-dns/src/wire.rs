//! DNS messages on the wire (RFC 1035, EDNS0 of RFC 6891).
//!
//! Names are handled in presentation form: lowercase, ending in `.`, with
//! every byte other than `a-z`, `0-9`, `-`, `_` and `*` written `\DDD`
//! (decimal, RFC 1035's escape). Reading never panics
//! and never loops: compression pointers may only point backwards.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Record type codes (IANA's registry).
pub struct RecordType;

impl RecordType {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service locator.
    pub const SRV: u16 = 33;
    /// Naming authority pointer.
    pub const NAPTR: u16 = 35;
    /// EDNS0's pseudo-record.
    pub const OPT: u16 = 41;
    /// Delegation signer.
    pub const DS: u16 = 43;
    /// Sender policy framework (obsolete, still served).
    pub const SPF: u16 = 99;
    /// Any type (a query only).
    pub const ANY: u16 = 255;
    /// Certification authority authorization.
    pub const CAA: u16 = 257;

    /// The code of a type's mnemonic (`"MX"` → 15).
    pub fn code(name: &str) -> Option<u16> {
        Some(match name {
            "A" => Self::A,
            "NS" => Self::NS,
            "CNAME" => Self::CNAME,
            "SOA" => Self::SOA,
            "PTR" => Self::PTR,
            "MX" => Self::MX,
            "TXT" => Self::TXT,
            "AAAA" => Self::AAAA,
            "SRV" => Self::SRV,
            "NAPTR" => Self::NAPTR,
            "DS" => Self::DS,
            "SPF" => Self::SPF,
            "CAA" => Self::CAA,
            "ANY" => Self::ANY,
            _ => return None,
        })
    }
}

/// A response code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// No error (answers, or NODATA when there are none).
    NoError = 0,
    /// The query could not be read.
    FormErr = 1,
    /// The server failed.
    ServFail = 2,
    /// The name does not exist.
    NxDomain = 3,
    /// The opcode is not supported.
    NotImp = 4,
    /// The server will not answer (a zone it is not authoritative for).
    Refused = 5,
}

/// Why bytes are not a DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The message ends early.
    Short,
    /// A label or name is malformed (too long, a bad pointer).
    BadName,
    /// Not one question, or a response where a query was expected.
    NotAQuery,
    /// Data that does not fit its record type.
    BadData,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Short => "message too short",
            WireError::BadName => "malformed name",
            WireError::NotAQuery => "not a query with one question",
            WireError::BadData => "malformed record data",
        })
    }
}

impl std::error::Error for WireError {}

/// The question of a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name, in presentation form (lowercase, ending in `.`).
    pub name: String,
    /// The type asked for.
    pub qtype: u16,
    /// The class (1, IN).
    pub qclass: u16,
}

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The id to echo.
    pub id: u16,
    /// The opcode (0, QUERY, is the one answered).
    pub opcode: u8,
    /// Recursion desired (echoed).
    pub recursion_desired: bool,
    /// The question.
    pub question: Question,
    /// The client's UDP payload size when it sent EDNS0 (`None` without).
    pub edns_udp_size: Option<u16>,
}

/// A record's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// `A`.
    A(Ipv4Addr),
    /// `AAAA`.
    Aaaa(Ipv6Addr),
    /// A name: `CNAME`, `NS`, `PTR`.
    Name(String),
    /// `MX`.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The mail server.
        exchange: String,
    },
    /// `TXT` and `SPF`: character strings of up to 255 bytes each.
    Txt(Vec<Vec<u8>>),
    /// `SOA`.
    Soa {
        /// The primary name server.
        mname: String,
        /// The responsible mailbox, as a name.
        rname: String,
        /// The serial.
        serial: u32,
        /// Refresh interval.
        refresh: u32,
        /// Retry interval.
        retry: u32,
        /// Expiry.
        expire: u32,
        /// The negative-caching TTL.
        minimum: u32,
    },
    /// `SRV`.
    Srv {
        /// Lower is preferred.
        priority: u16,
        /// Share among equal priorities.
        weight: u16,
        /// The port.
        port: u16,
        /// The host.
        target: String,
    },
    /// `CAA`.
    Caa {
        /// Flags (128: critical).
        flags: u8,
        /// `issue`, `issuewild`, `iodef`.
        tag: String,
        /// The value.
        value: Vec<u8>,
    },
    /// Any other type's bytes, as they are.
    Opaque(Vec<u8>),
}

/// A resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name, in presentation form.
    pub name: String,
    /// The type code.
    pub rtype: u16,
    /// Seconds to cache.
    pub ttl: u32,
    /// The data.
    pub data: RData,
}

/// What an authority answers to a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The response code.
    pub rcode: Rcode,
    /// The AA bit: the answer comes from the zone's own data.
    pub authoritative: bool,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section (the SOA of NXDOMAIN and NODATA).
    pub authority: Vec<Record>,
    /// The additional section.
    pub additional: Vec<Record>,
}

impl Answer {
    /// An answer with only a response code.
    pub fn code(rcode: Rcode) -> Answer {
        Answer {
            rcode,
            authoritative: false,
            answers: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
        }
    }
}

/// A decoded message of any kind (what a client reads back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The id.
    pub id: u16,
    /// The flags word as sent (QR, opcode, AA, TC, RD, RA, rcode).
    pub flags: u16,
    /// The questions.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section (the OPT record included, as `Opaque`).
    pub additional: Vec<Record>,
}

impl Message {
    /// The response code (low four bits of the flags).
    pub fn rcode(&self) -> u16 {
        self.flags & 0x000f
    }

    /// The AA bit.
    pub fn authoritative(&self) -> bool {
        self.flags & 0x0400 != 0
    }

    /// The TC bit.
    pub fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }
}

/// The UDP payload size this server offers in its own OPT record.
pub const SERVER_UDP_SIZE: u16 = 1232;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, WireError> {
        let b = *self.buf.get(self.pos).ok_or(WireError::Short)?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from(self.u16()?) << 16 | u32::from(self.u16()?))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Short)?;
        let s = self.buf.get(self.pos..end).ok_or(WireError::Short)?;
        self.pos = end;
        Ok(s)
    }

    /// A name at the current position, following compression pointers
    /// (each strictly backwards, so reading always ends).
    fn name(&mut self) -> Result<String, WireError> {
        let mut out = String::new();
        let mut pos = self.pos;
        let mut jumped = false;
        let mut wire_len = 0usize;
        loop {
            let len = *self.buf.get(pos).ok_or(WireError::Short)?;
            match len & 0xc0 {
                0x00 => {
                    pos += 1;
                    if len == 0 {
                        break;
                    }
                    let label = self
                        .buf
                        .get(pos..pos + usize::from(len))
                        .ok_or(WireError::Short)?;
                    wire_len += usize::from(len) + 1;
                    if wire_len > 255 {
                        return Err(WireError::BadName);
                    }
                    push_label(&mut out, label);
                    pos += usize::from(len);
                }
                0xc0 => {
                    let low = *self.buf.get(pos + 1).ok_or(WireError::Short)?;
                    let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                    if target >= pos {
                        return Err(WireError::BadName);
                    }
                    if !jumped {
                        self.pos = pos + 2;
                        jumped = true;
                    }
                    pos = target;
                }
                _ => return Err(WireError::BadName),
            }
        }
        if !jumped {
            self.pos = pos;
        }
        if out.is_empty() {
            out.push('.');
        }
        Ok(out)
    }
}

/// Appends one label in presentation form and its dot.
fn push_label(out: &mut String, label: &[u8]) {
    for &b in label {
        let b = b.to_ascii_lowercase();
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*' {
            out.push(char::from(b));
        } else {
            out.push('\\');
            out.push(char::from(b'0' + b / 100));
            out.push(char::from(b'0' + b / 10 % 10));
            out.push(char::from(b'0' + b % 10));
        }
    }
    out.push('.');
}

/// The labels of a name in presentation form (`\DDD` and `\X` escapes
/// read), or `None` when it is not a valid name.
pub fn labels(name: &str) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut label = Vec::new();
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                if label.is_empty() {
                    // Only the root may be empty, and only as the whole name.
                    return (bytes.len() == 1 && out.is_empty()).then_some(out);
                }
                out.push(std::mem::take(&mut label));
                i += 1;
            }
            b'\\' => {
                let d = bytes.get(i + 1..i + 4);
                match d {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        let v = u32::from(d[0] - b'0') * 100
                            + u32::from(d[1] - b'0') * 10
                            + u32::from(d[2] - b'0');
                        label.push(u8::try_from(v).ok()?);
                        i += 4;
                    }
                    _ => {
                        label.push(*bytes.get(i + 1)?);
                        i += 2;
                    }
                }
            }
            b => {
                label.push(b);
                i += 1;
            }
        }
        if label.len() > 63 {
            return None;
        }
    }
    if !label.is_empty() {
        out.push(label);
    }
    let total: usize = out.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
    (total <= 255).then_some(out)
}

/// Reads a query: one question, QR clear; EDNS0's OPT read for the UDP
/// size.
pub fn parse_query(buf: &[u8]) -> Result<Query, WireError> {
    let mut r = Reader { buf, pos: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    let qd = r.u16()?;
    let an = r.u16()?;
    let ns = r.u16()?;
    let ar = r.u16()?;
    if flags & 0x8000 != 0 || qd != 1 {
        return Err(WireError::NotAQuery);
    }
    let name = r.name()?;
    let qtype = r.u16()?;
    let qclass = r.u16()?;
    // Skip answer and authority records (a query has none, but may).
    for _ in 0..u32::from(an) + u32::from(ns) {
        skip_record(&mut r)?;
    }
    let mut edns_udp_size = None;
    for _ in 0..ar {
        r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        r.u32()?;
        let len = r.u16()?;
        r.bytes(usize::from(len))?;
        if rtype == RecordType::OPT {
            edns_udp_size = Some(class.max(512));
        }
    }
    Ok(Query {
        id,
        opcode: ((flags >> 11) & 0x0f) as u8,
        recursion_desired: flags & 0x0100 != 0,
        question: Question {
            name,
            qtype,
            qclass,
        },
        edns_udp_size,
    })
}

fn skip_record(r: &mut Reader<'_>) -> Result<(), WireError> {
    r.name()?;
    r.bytes(8)?;
    let len = r.u16()?;
    r.bytes(usize::from(len))?;
    Ok(())
}

/// The id and RD bit of bytes too broken to be a query, for a FORMERR
/// answer (`None` when not even a header is there).
pub fn formerr(buf: &[u8]) -> Option<Vec<u8>> {
    let head = buf.get(..4)?;
    if head[2] & 0x80 != 0 {
        // Never answer a response: that is how reflection loops start.
        return None;
    }
    let mut out = vec![0u8; 12];
    out[0] = head[0];
    out[1] = head[1];
    out[2] = 0x80 | (head[2] & 0x79);
    out[3] = Rcode::FormErr as u8;
    Some(out)
}

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

/// Reads any message, every section decoded (for clients and tests).
pub fn parse_message(buf: &[u8]) -> Result<Message, WireError> {
    let mut r = Reader { buf, pos: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    let counts = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    let mut questions = Vec::new();
    for _ in 0..counts[0] {
        let name = r.name()?;
        questions.push(Question {
            name,
            qtype: r.u16()?,
            qclass: r.u16()?,
        });
    }
    let mut sections: [Vec<Record>; 3] = Default::default();
    for (section, count) in sections.iter_mut().zip(&counts[1..]) {
        for _ in 0..*count {
            section.push(read_record(&mut r)?);
        }
    }
    let [answers, authority, additional] = sections;
    Ok(Message {
        id,
        flags,
        questions,
        answers,
        authority,
        additional,
    })
}

fn read_record(r: &mut Reader<'_>) -> Result<Record, WireError> {
    let name = r.name()?;
    let rtype = r.u16()?;
    let _class = r.u16()?;
    let ttl = r.u32()?;
    let len = usize::from(r.u16()?);
    let end = r.pos + len;
    if end > r.buf.len() {
        return Err(WireError::Short);
    }
    let data = match rtype {
        RecordType::A if len == 4 => {
            let b = r.bytes(4)?;
            RData::A(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        }
        RecordType::AAAA if len == 16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(r.bytes(16)?);
            RData::Aaaa(Ipv6Addr::from(o))
        }
        RecordType::CNAME | RecordType::NS | RecordType::PTR => RData::Name(r.name()?),
        RecordType::MX => RData::Mx {
            preference: r.u16()?,
            exchange: r.name()?,
        },
        RecordType::TXT | RecordType::SPF => {
            let mut strings = Vec::new();
            while r.pos < end {
                let n = usize::from(r.u8()?);
                strings.push(r.bytes(n)?.to_vec());
            }
            RData::Txt(strings)
        }
        RecordType::SOA => RData::Soa {
            mname: r.name()?,
            rname: r.name()?,
            serial: r.u32()?,
            refresh: r.u32()?,
            retry: r.u32()?,
            expire: r.u32()?,
            minimum: r.u32()?,
        },
        RecordType::SRV => RData::Srv {
            priority: r.u16()?,
            weight: r.u16()?,
            port: r.u16()?,
            target: r.name()?,
        },
        RecordType::CAA => {
            let flags = r.u8()?;
            let n = usize::from(r.u8()?);
            let tag = String::from_utf8_lossy(r.bytes(n)?).into_owned();
            let rest = end.checked_sub(r.pos).ok_or(WireError::BadData)?;
            RData::Caa {
                flags,
                tag,
                value: r.bytes(rest)?.to_vec(),
            }
        }
        _ => RData::Opaque(r.bytes(len)?.to_vec()),
    };
    if r.pos != end {
        return Err(WireError::BadData);
    }
    Ok(Record {
        name,
        rtype,
        ttl,
        data,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
