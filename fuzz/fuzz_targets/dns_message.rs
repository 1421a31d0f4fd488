//! Any bytes as a DNS packet: the server answers FORMERR, nothing, or an
//! answer that itself decodes; reading a message never panics or loops.
#![no_main]

use gureum_dns::wire::{parse_message, Answer, Question, Rcode};
use gureum_dns::{handle_packet, Authority};
use libfuzzer_sys::fuzz_target;

/// NXDOMAIN for every name: the answer path without zone data.
struct Nothing;

impl Authority for Nothing {
    fn answer(&self, _q: &Question, _source: std::net::IpAddr) -> Answer {
        Answer::code(Rcode::NxDomain)
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_message(data);
    for tcp in [false, true] {
        if let Some(out) = handle_packet(data, [127, 0, 0, 1].into(), &Nothing, tcp) {
            assert!(out.len() >= 12);
            if out[3] & 0x0f != Rcode::FormErr as u8 {
                parse_message(&out).expect("an answer decodes");
            }
        }
    }
});
