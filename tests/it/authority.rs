//! `dns::authority` against a real server on loopback: one question to one authoritative
//! server, over UDP and TCP, with and without EDNS, read as the `--source` rules need it.

use std::net::SocketAddr;
use std::time::Duration;

use certready::caa::sources::Asked;
use certready::dns::authority::{AskFailure, Carrier, Question, ask};
use hickory_server::proto::op::ResponseCode;
use hickory_server::proto::rr::{Name, RecordType};

use crate::support::{Behaviour, DnsServer, Fault};

const PATIENCE: Duration = Duration::from_secs(2);

fn question(name: &str, rtype: RecordType, edns: bool, carrier: Carrier) -> Question {
    Question {
        name: Name::from_ascii(name).unwrap(),
        rtype,
        edns,
        carrier,
        bailiwick: None,
        dnssec: false,
    }
}

fn address(server: &DnsServer) -> SocketAddr {
    server.nameserver().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_authoritative_answer_with_its_serial_over_udp_and_tcp() {
    let server = DnsServer::start(Behaviour::default()).await;
    for carrier in [Carrier::Udp, Carrier::Tcp] {
        for edns in [true, false] {
            let soa = ask(
                address(&server),
                &question("example.test.", RecordType::SOA, edns, carrier),
                PATIENCE,
            )
            .await
            .unwrap();
            assert!(soa.authoritative, "{carrier:?}");
            assert_eq!(soa.serial, Some(1));
            let caa = ask(
                address(&server),
                &question("denied.example.test.", RecordType::CAA, edns, carrier),
                PATIENCE,
            )
            .await
            .unwrap();
            assert_eq!(caa.rcode, ResponseCode::NoError);
            assert!(caa.case_preserved);
            assert_eq!(caa.caa.len(), 1);
            assert_eq!(caa.caa[0].value, b"digicert.com");
            assert!(matches!(
                caa.asked(),
                Asked::Replied {
                    authoritative: true,
                    referral: false,
                    ..
                }
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_negative_answer_carries_the_zone_s_serial() {
    let server = DnsServer::start(Behaviour::default()).await;
    let nothing = ask(
        address(&server),
        &question("nothing.example.test.", RecordType::CAA, true, Carrier::Udp),
        PATIENCE,
    )
    .await
    .unwrap();
    assert!(nothing.caa.is_empty());
    assert_eq!(nothing.serial, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn silence_and_a_closed_port_are_told_apart() {
    let server =
        DnsServer::start(Behaviour::default().fault("silent.example.test", Fault::Silent)).await;
    let silent = ask(
        address(&server),
        &question("silent.example.test.", RecordType::CAA, true, Carrier::Udp),
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(silent, Err(AskFailure::Silent));
    let closed: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = ask(
        closed,
        &question("example.test.", RecordType::SOA, true, Carrier::Tcp),
        PATIENCE,
    )
    .await;
    assert!(
        matches!(refused, Err(AskFailure::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(refused.unwrap_err().asked(), Asked::Refused);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_probe_gathers_what_the_source_rules_judge() {
    use certready::caa::sources::server_findings;
    use certready::dns::authority::probe;
    let server = DnsServer::start(Behaviour::default().fault(
        "servfail.example.test",
        Fault::Rcode(ResponseCode::ServFail),
    ))
    .await;
    let zone = Name::from_ascii("example.test.").unwrap();
    let healthy = probe(
        "ns.example.test.",
        address(&server),
        &zone,
        &Name::from_ascii("denied.example.test.").unwrap(),
        PATIENCE,
        None,
    )
    .await;
    // The loopback server is on loopback, as the roots of a test universe are.
    assert_eq!(server_findings(&healthy, true), []);
    let failing = probe(
        "ns.example.test.",
        address(&server),
        &zone,
        &Name::from_ascii("servfail.example.test.").unwrap(),
        PATIENCE,
        None,
    )
    .await;
    let codes: Vec<&str> = server_findings(&failing, true)
        .iter()
        .map(|finding| finding.code())
        .collect();
    assert_eq!(codes, ["rcode-servfail"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_hickory_refuses_is_read_beside_the_good_records_not_taken_for_silence() {
    use certready::caa::sources::server_findings;
    use certready::dns::authority::probe;
    let server = DnsServer::start(Behaviour::default()).await;
    let zone = Name::from_ascii("example.test.").unwrap();
    for name in ["bad-tag.example.test.", "long-tag.example.test."] {
        let said = probe(
            "ns.example.test.",
            address(&server),
            &zone,
            &Name::from_ascii(name).unwrap(),
            PATIENCE,
            None,
        )
        .await;
        assert_eq!(server_findings(&said, true), [], "{name}: {said:?}");
        let Asked::Replied { records, .. } = &said.caa_udp else {
            panic!("{name}: {said:?}");
        };
        assert_eq!(records.len(), 2, "{name}: {records:?}");
        assert_eq!(said.caa_tcp, said.caa_udp, "{name}");
    }
}
