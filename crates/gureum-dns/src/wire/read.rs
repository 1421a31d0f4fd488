//! Reading messages: queries for the server, any message for clients
//! and tests.

use super::{Message, Query, Question, RData, Rcode, Record, RecordType, WireError};
use std::net::{Ipv4Addr, Ipv6Addr};

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
