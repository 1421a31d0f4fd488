//! A small authoritative DNS server.
//!
//! [`wire`] reads queries and writes answers in RFC 1035's format (name
//! compression, EDNS0's UDP size, truncation); [`server`] listens on UDP
//! and TCP and asks an [`Authority`] what to answer. The authority (Route
//! 53's hosted zones, in Gureum) decides the records; this crate knows
//! nothing of AWS.

pub mod server;
pub mod wire;

pub use server::{handle_packet, Authority, DnsHandle, DnsServer};
pub use wire::{Answer, Question, RData, Rcode, Record, RecordType};
