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

mod read;
mod write;

pub use read::{formerr, labels, parse_message, parse_query};
pub use write::{encode_query, encode_response};

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
