use super::*;
use crate::wire::{encode_query, parse_message, RData, Record, RecordType};
use std::net::Ipv4Addr;

/// Answers `big.test.` with 100 A records, anything else NXDOMAIN.
struct Fixed;

impl Authority for Fixed {
    fn answer(&self, q: &Question, _source: IpAddr) -> Answer {
        if q.name != "big.test." {
            return Answer {
                authoritative: true,
                ..Answer::code(Rcode::NxDomain)
            };
        }
        Answer {
            rcode: Rcode::NoError,
            authoritative: true,
            answers: (0..100)
                .map(|i| Record {
                    name: q.name.clone(),
                    rtype: RecordType::A,
                    ttl: 60,
                    data: RData::A(Ipv4Addr::new(10, 0, 0, i)),
                })
                .collect(),
            authority: Vec::new(),
            additional: Vec::new(),
        }
    }
}

#[test]
fn an_unknown_name_is_nxdomain_with_the_question_echoed() {
    let out = handle_packet(
        &encode_query(5, "nope.test.", 1, None),
        [127, 0, 0, 1].into(),
        &Fixed,
        false,
    )
    .expect("answer");
    let m = parse_message(&out).expect("message");
    assert_eq!(m.rcode(), Rcode::NxDomain as u16);
    assert_eq!(m.questions[0].name, "nope.test.");
}

#[test]
fn zone_transfers_are_refused() {
    let out = handle_packet(
        &encode_query(5, "big.test.", 252, None),
        [127, 0, 0, 1].into(),
        &Fixed,
        true,
    )
    .expect("answer");
    assert_eq!(
        parse_message(&out).expect("m").rcode(),
        Rcode::Refused as u16
    );
}

#[test]
fn garbage_gets_formerr_and_a_response_gets_nothing() {
    let out =
        handle_packet(&[1, 2, 0, 0, 9], [127, 0, 0, 1].into(), &Fixed, false).expect("formerr");
    assert_eq!(out[3] & 0x0f, Rcode::FormErr as u8);
    let mut response = encode_query(5, "a.test.", 1, None);
    response[2] |= 0x80;
    assert!(handle_packet(&response, [127, 0, 0, 1].into(), &Fixed, false).is_none());
}

#[test]
fn a_large_answer_is_truncated_over_udp_and_whole_over_tcp() {
    let q = encode_query(5, "big.test.", 1, None);
    let udp = parse_message(&handle_packet(&q, [127, 0, 0, 1].into(), &Fixed, false).expect("udp"))
        .expect("m");
    assert!(udp.truncated());
    let tcp = parse_message(&handle_packet(&q, [127, 0, 0, 1].into(), &Fixed, true).expect("tcp"))
        .expect("m");
    assert!(!tcp.truncated());
    assert_eq!(tcp.answers.len(), 100);
}

#[tokio::test]
async fn the_server_answers_over_udp_and_tcp_on_one_port() {
    let server = DnsServer::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let handle = server.serve(Arc::new(Fixed)).expect("serve");
    let addr = handle.local_addr();
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("client");
    udp.send_to(&encode_query(9, "nope.test.", 1, None), addr)
        .await
        .expect("send");
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), udp.recv(&mut buf))
        .await
        .expect("in time")
        .expect("recv");
    assert_eq!(parse_message(&buf[..n]).expect("m").id, 9);

    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let q = encode_query(10, "big.test.", 1, None);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    tcp.write_all(&framed).await.expect("write");
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len).await.expect("len");
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    tcp.read_exact(&mut body).await.expect("body");
    assert_eq!(parse_message(&body).expect("m").answers.len(), 100);
}
