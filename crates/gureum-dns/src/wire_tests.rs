use super::*;

fn query(name: &str, qtype: u16) -> Query {
    parse_query(&encode_query(7, name, qtype, None)).expect("query")
}

fn answer(records: Vec<Record>) -> Answer {
    Answer {
        rcode: Rcode::NoError,
        authoritative: true,
        answers: records,
        authority: Vec::new(),
        additional: Vec::new(),
    }
}

fn a(name: &str, last: u8) -> Record {
    Record {
        name: name.into(),
        rtype: RecordType::A,
        ttl: 300,
        data: RData::A(Ipv4Addr::new(192, 0, 2, last)),
    }
}

#[test]
fn a_query_reads_back_lowercased_with_its_id_and_type() {
    let q = query("WWW.Example.COM.", RecordType::MX);
    assert_eq!(q.id, 7);
    assert!(q.recursion_desired);
    assert_eq!(q.question.name, "www.example.com.");
    assert_eq!(q.question.qtype, RecordType::MX);
    assert_eq!(q.edns_udp_size, None);
}

#[test]
fn edns_udp_size_is_read_from_the_opt_record() {
    let q = parse_query(&encode_query(1, "a.example.", 1, Some(4096))).expect("query");
    assert_eq!(q.edns_udp_size, Some(4096));
}

#[test]
fn every_record_type_round_trips_through_the_codec() {
    let records = vec![
        a("example.com.", 1),
        Record {
            name: "example.com.".into(),
            rtype: RecordType::AAAA,
            ttl: 60,
            data: RData::Aaaa("2001:db8::1".parse().expect("v6")),
        },
        Record {
            name: "www.example.com.".into(),
            rtype: RecordType::CNAME,
            ttl: 60,
            data: RData::Name("example.com.".into()),
        },
        Record {
            name: "example.com.".into(),
            rtype: RecordType::MX,
            ttl: 60,
            data: RData::Mx {
                preference: 10,
                exchange: "mail.example.com.".into(),
            },
        },
        Record {
            name: "example.com.".into(),
            rtype: RecordType::TXT,
            ttl: 60,
            data: RData::Txt(vec![b"v=spf1 -all".to_vec(), b"two".to_vec()]),
        },
        Record {
            name: "example.com.".into(),
            rtype: RecordType::SOA,
            ttl: 900,
            data: RData::Soa {
                mname: "ns-1.awsdns-01.org.".into(),
                rname: "awsdns-hostmaster.amazon.com.".into(),
                serial: 1,
                refresh: 7200,
                retry: 900,
                expire: 1209600,
                minimum: 86400,
            },
        },
        Record {
            name: "_sip._tcp.example.com.".into(),
            rtype: RecordType::SRV,
            ttl: 60,
            data: RData::Srv {
                priority: 1,
                weight: 5,
                port: 5060,
                target: "sip.example.com.".into(),
            },
        },
        Record {
            name: "example.com.".into(),
            rtype: RecordType::CAA,
            ttl: 60,
            data: RData::Caa {
                flags: 0,
                tag: "issue".into(),
                value: b"amazon.com".to_vec(),
            },
        },
    ];
    let q = query("example.com.", RecordType::ANY);
    let bytes = encode_response(&q, &answer(records.clone()), 65535);
    let m = parse_message(&bytes).expect("message");
    assert_eq!(m.id, 7);
    assert!(m.authoritative());
    assert_eq!(m.answers, records);
}

#[test]
fn repeated_names_are_compressed() {
    let q = query("example.com.", RecordType::A);
    let one = encode_response(&q, &answer(vec![a("example.com.", 1)]), 65535);
    let two = encode_response(
        &q,
        &answer(vec![a("example.com.", 1), a("example.com.", 2)]),
        65535,
    );
    // The second record's owner is a 2-byte pointer: 2 + 10 + 4 bytes.
    assert_eq!(two.len() - one.len(), 16);
}

#[test]
fn an_answer_over_the_limit_is_truncated_with_tc_and_no_records() {
    let q = query("big.example.com.", RecordType::A);
    let many = (0..60).map(|i| a("big.example.com.", i)).collect();
    let bytes = encode_response(&q, &answer(many), 512);
    assert!(bytes.len() <= 512);
    let m = parse_message(&bytes).expect("message");
    assert!(m.truncated());
    assert!(m.answers.is_empty());
}

#[test]
fn a_pointer_loop_is_refused_not_followed() {
    let mut bytes = encode_query(1, "a.", 1, None);
    // Question name at offset 12: make it point at itself.
    bytes[12] = 0xc0;
    bytes[13] = 12;
    assert_eq!(parse_query(&bytes), Err(WireError::BadName));
}

#[test]
fn a_response_is_not_read_as_a_query_and_gets_no_formerr() {
    let mut bytes = encode_query(1, "a.", 1, None);
    bytes[2] |= 0x80;
    assert_eq!(parse_query(&bytes), Err(WireError::NotAQuery));
    assert_eq!(formerr(&bytes), None);
}

#[test]
fn truncated_input_never_panics() {
    let bytes = encode_query(9, "www.example.com.", 1, Some(1232));
    for n in 0..bytes.len() {
        let _ = parse_query(&bytes[..n]);
        let _ = parse_message(&bytes[..n]);
    }
}

#[test]
fn escaped_bytes_are_written_as_decimal_escapes() {
    let mut bytes = encode_query(1, "a.example.", 1, None);
    bytes[13] = b' ';
    let q = parse_query(&bytes).expect("query");
    assert_eq!(q.question.name, "\\032.example.");
    assert_eq!(
        labels("\\032.example."),
        Some(vec![b" ".to_vec(), b"example".to_vec()])
    );
}

#[test]
fn names_longer_than_255_bytes_are_not_names() {
    let long = format!("{}.", vec!["a".repeat(63); 5].join("."));
    assert_eq!(labels(&long), None);
    assert!(labels("example.com.").is_some());
    assert_eq!(labels(&format!("{}.", "a".repeat(64))), None);
}

#[test]
fn an_srv_target_is_never_compressed() {
    let q = query("_sip._tcp.example.com.", RecordType::SRV);
    let srv = Record {
        name: "_sip._tcp.example.com.".into(),
        rtype: RecordType::SRV,
        ttl: 60,
        data: RData::Srv {
            priority: 1,
            weight: 1,
            port: 5060,
            target: "example.com.".into(),
        },
    };
    let bytes = encode_response(&q, &answer(vec![srv.clone()]), 65535);
    // The target's 13 wire bytes are written out, not a 2-byte pointer.
    assert!(bytes.windows(13).any(|w| w == b"\x07example\x03com\x00"));
    assert_eq!(parse_message(&bytes).expect("m").answers, vec![srv]);
}
