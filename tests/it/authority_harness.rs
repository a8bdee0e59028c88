//! The DNS universe of `support/authority.rs` itself, asked with hickory's `Message` over plain
//! UDP and TCP sockets, RD=0, as `check --source` will ask it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use certready::dns::roots::read_root_hints;

use crate::support::authority::{Fault, SeenQuery, Universe, UniverseBuilder};

/// How long a test waits for an answer that should come; one that should not comes never.
const PATIENCE: Duration = Duration::from_millis(500);

/// A root on `a.root.test`; `test.` on two servers; `example.test.` on three. `serial` and
/// `issuer` make the version of `example.test.` (the CAA record of `www`).
fn example_zone(serial: u32, issuer: &str) -> String {
    format!(
        "@ SOA ns1 hostmaster {serial} 3600 600 86400 300
@ NS ns1
@ NS ns2
@ NS ns3
ns1 A 127.0.0.13
ns2 A 127.0.0.14
ns3 A 127.0.0.15
www CAA 0 issue \"{issuer}\"
"
    )
}

fn standard() -> UniverseBuilder {
    let mut builder = Universe::builder();
    let root = builder.server("a.root.test");
    let nic1 = builder.server("ns1.nic.test");
    let nic2 = builder.server("ns2.nic.test");
    let ex1 = builder.server("ns1.example.test");
    let ex2 = builder.server("ns2.example.test");
    let ex3 = builder.server("ns3.example.test");
    assert_eq!(
        [root, nic1, nic2, ex1, ex2, ex3].map(|address| address.octets()[3]),
        [10, 11, 12, 13, 14, 15],
        "addresses in the order declared"
    );
    builder.zone(
        ".",
        &format!(
            ". SOA a.root.test. hostmaster.root.test. 1 3600 600 86400 300
. NS a.root.test.
a.root.test. A {root}
test. NS ns1.nic.test.
test. NS ns2.nic.test.
ns1.nic.test. A {nic1}
ns2.nic.test. A {nic2}
"
        ),
        &["a.root.test"],
    );
    builder.zone(
        "test",
        &format!(
            "@ SOA ns1.nic hostmaster 1 3600 600 86400 300
@ NS ns1.nic
@ NS ns2.nic
ns1.nic A {nic1}
ns2.nic A {nic2}
a.root A {root}
example NS ns1.example
example NS ns2.example
example NS ns3.example
ns1.example A {ex1}
ns2.example A {ex2}
ns3.example A {ex3}
; a zone whose server only a private address reaches
private NS ns.private
ns.private A 10.0.0.1
"
        ),
        &["ns1.nic.test", "ns2.nic.test"],
    );
    builder.zone(
        "example.test",
        &example_zone(2026120601, "letsencrypt.org"),
        &["ns1.example.test", "ns2.example.test", "ns3.example.test"],
    );
    builder
}

/// The standard universe, `server` with `fault`.
fn with_fault(server: &str, fault: Fault) -> Universe {
    let mut builder = standard();
    builder.fault(server, fault);
    builder.start()
}

/// A query for `name` and `qtype`, RD=0, with an OPT record (EDNS 1232) if `edns`.
fn question(name: &str, qtype: RecordType, edns: bool) -> Message {
    let mut message = Message::new(4711, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = false;
    // `from_ascii` keeps the case; `from_str` (IDNA) lowercases.
    message.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    if edns {
        let mut opt = Edns::new();
        opt.set_max_payload(1232);
        message.set_edns(opt);
    }
    message
}

/// The answer over UDP, or None if none comes in time.
async fn udp(server: SocketAddr, query: &Message) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket
        .send_to(&query.to_vec().unwrap(), server)
        .await
        .unwrap();
    let mut buffer = vec![0; 65535];
    let (length, from) = tokio::time::timeout(PATIENCE, socket.recv_from(&mut buffer))
        .await
        .ok()?
        .unwrap();
    assert_eq!(from, server, "the answer comes from the address asked");
    Some(Message::from_vec(&buffer[..length]).unwrap())
}

/// The answer over TCP: Err if the connection is refused, Ok(None) if it closes or stays
/// silent.
async fn tcp(server: SocketAddr, query: &Message) -> std::io::Result<Option<Message>> {
    let mut stream = TcpStream::connect(server).await?;
    let bytes = query.to_vec().unwrap();
    let mut framed = u16::try_from(bytes.len()).unwrap().to_be_bytes().to_vec();
    framed.extend(bytes);
    // A server that closes at once may reset the connection under the write.
    if stream.write_all(&framed).await.is_err() {
        return Ok(None);
    }
    let read = async {
        let length = stream.read_u16().await.ok()?;
        let mut buffer = vec![0; usize::from(length)];
        stream.read_exact(&mut buffer).await.ok()?;
        Some(Message::from_vec(&buffer).unwrap())
    };
    Ok(tokio::time::timeout(PATIENCE, read).await.ok().flatten())
}

fn names(records: &[Record], rtype: RecordType) -> Vec<String> {
    records
        .iter()
        .filter(|record| record.record_type() == rtype)
        .map(|record| match &record.data {
            RData::NS(ns) => ns.0.to_string(),
            RData::A(a) => a.0.to_string(),
            other => other.to_string(),
        })
        .collect()
}

/// The SOA serial an answer gives, in its answer or its authority section.
fn serial(answer: &Message) -> u32 {
    answer
        .answers
        .iter()
        .chain(&answer.authorities)
        .find_map(|record| match &record.data {
            RData::SOA(soa) => Some(soa.serial),
            _ => None,
        })
        .expect("an SOA record")
}

/// The issuer values of the CAA records answered.
fn caa_values(answer: &Message) -> Vec<String> {
    answer
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::CAA(caa) => Some(String::from_utf8_lossy(&caa.value).into_owned()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_root_refers_to_the_tld_with_glue_and_without_aa() {
    let universe = standard().start();
    let asked = question("www.example.test.", RecordType::CAA, true);
    let referral = udp(universe.address("a.root.test"), &asked).await.unwrap();
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(
        !referral.metadata.authoritative,
        "a referral is not authoritative"
    );
    assert!(referral.answers.is_empty());
    assert_eq!(
        names(&referral.authorities, RecordType::NS),
        ["ns1.nic.test.", "ns2.nic.test."]
    );
    assert!(
        referral
            .authorities
            .iter()
            .all(|ns| ns.name.to_string() == "test.")
    );
    assert_eq!(
        names(&referral.additionals, RecordType::A),
        ["127.0.0.11", "127.0.0.12"]
    );
    assert!(referral.edns.is_some(), "EDNS asked, EDNS answered");

    // One level down, the same; and the NS query at the cut is a referral too.
    for qtype in [RecordType::CAA, RecordType::NS] {
        let asked = question("example.test.", qtype, false);
        let referral = udp(universe.address("ns2.nic.test"), &asked).await.unwrap();
        assert!(!referral.metadata.authoritative);
        assert!(referral.answers.is_empty(), "{qtype}");
        assert_eq!(
            names(&referral.authorities, RecordType::NS),
            [
                "ns1.example.test.",
                "ns2.example.test.",
                "ns3.example.test."
            ]
        );
        assert_eq!(
            names(&referral.additionals, RecordType::A),
            ["127.0.0.13", "127.0.0.14", "127.0.0.15"]
        );
    }
}

/// Why the wrapper answers referrals itself: hickory-server 0.26's in-memory zone handler
/// refers a name below a cut with the NS set in the authority section, but sets AA, gives no
/// glue, and answers NS at the cut as if authoritative, with the NS set again where the glue
/// should be. When this fails, hickory has changed.
#[tokio::test]
async fn hickory_alone_refers_with_aa_and_without_glue() {
    let universe = with_fault("a.root.test", Fault::HickoryReferrals);
    let root = universe.address("a.root.test");
    let asked = question("www.example.test.", RecordType::CAA, true);
    let referral = udp(root, &asked).await.unwrap();
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(referral.metadata.authoritative, "AA set on a referral");
    assert!(referral.answers.is_empty());
    assert_eq!(
        names(&referral.authorities, RecordType::NS),
        ["ns1.nic.test.", "ns2.nic.test."]
    );
    assert!(referral.additionals.is_empty(), "no glue");
    let at_the_cut = udp(root, &question("test.", RecordType::NS, true))
        .await
        .unwrap();
    assert!(at_the_cut.metadata.authoritative);
    assert_eq!(
        names(&at_the_cut.answers, RecordType::NS),
        ["ns1.nic.test.", "ns2.nic.test."]
    );
    // Its additional lookup of the glue names meets the cut too, and adds the NS set again.
    assert_eq!(
        names(&at_the_cut.additionals, RecordType::NS),
        ["ns1.nic.test.", "ns2.nic.test."]
    );
    assert!(names(&at_the_cut.additionals, RecordType::A).is_empty());
}

#[tokio::test]
async fn glue_may_point_at_a_private_address() {
    let universe = standard().start();
    let asked = question("www.private.test.", RecordType::CAA, false);
    let referral = udp(universe.address("ns1.nic.test"), &asked).await.unwrap();
    assert_eq!(
        names(&referral.authorities, RecordType::NS),
        ["ns.private.test."]
    );
    assert_eq!(names(&referral.additionals, RecordType::A), ["10.0.0.1"]);
}

#[tokio::test]
async fn the_zone_s_servers_answer_with_authority_over_udp_and_tcp() {
    let universe = standard().start();
    for server in ["ns1.example.test", "ns2.example.test", "ns3.example.test"] {
        let asked = question("www.example.test.", RecordType::CAA, true);
        let over_udp = udp(universe.address(server), &asked).await.unwrap();
        let over_tcp = tcp(universe.address(server), &asked)
            .await
            .unwrap()
            .unwrap();
        for answer in [&over_udp, &over_tcp] {
            assert!(answer.metadata.authoritative, "{server}");
            assert_eq!(answer.metadata.response_code, ResponseCode::NoError);
            assert_eq!(caa_values(answer), ["letsencrypt.org"]);
        }
        // NODATA carries the SOA; NXDOMAIN too.
        let nodata = question("example.test.", RecordType::CAA, true);
        let nodata = udp(universe.address(server), &nodata).await.unwrap();
        assert!(nodata.metadata.authoritative && nodata.answers.is_empty());
        assert_eq!(serial(&nodata), 2026120601);
        let missing = question("missing.example.test.", RecordType::CAA, true);
        let missing = udp(universe.address(server), &missing).await.unwrap();
        assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(serial(&missing), 2026120601);
    }
}

#[tokio::test]
async fn a_server_may_serve_another_version_of_the_zone() {
    let mut builder = standard();
    builder.zone_on(
        "ns3.example.test",
        "example.test",
        &example_zone(2026120500, "digicert.com"),
    );
    let universe = builder.start();
    let mut seen = Vec::new();
    for server in ["ns1.example.test", "ns2.example.test", "ns3.example.test"] {
        let soa = question("example.test.", RecordType::SOA, false);
        let soa = udp(universe.address(server), &soa).await.unwrap();
        let caa = question("www.example.test.", RecordType::CAA, false);
        let caa = udp(universe.address(server), &caa).await.unwrap();
        seen.push((serial(&soa), caa_values(&caa)));
    }
    let current = (2026120601, vec!["letsencrypt.org".to_owned()]);
    let stale = (2026120500, vec!["digicert.com".to_owned()]);
    assert_eq!(seen, [current.clone(), current, stale]);
}

/// Parent and child disagreeing (NS sets, glue against the child's own A record) and a CNAME
/// into another zone are zone content: the parent refers with what it holds, the child answers
/// with what it holds.
#[tokio::test]
async fn parent_and_child_say_what_their_zones_say() {
    let mut builder = standard();
    let child = "@ SOA ns1 hostmaster 2026120601 3600 600 86400 300
@ NS ns1
@ NS ns2
ns1 A 127.0.0.99
ns2 A 127.0.0.14
www CNAME www.other.test.
";
    builder.zone(
        "example.test",
        child,
        &["ns1.example.test", "ns2.example.test", "ns3.example.test"],
    );
    let universe = builder.start();
    let parent = udp(
        universe.address("ns1.nic.test"),
        &question("example.test.", RecordType::NS, false),
    )
    .await
    .unwrap();
    assert_eq!(names(&parent.authorities, RecordType::NS).len(), 3);
    assert!(names(&parent.additionals, RecordType::A).contains(&"127.0.0.13".to_owned()));
    let server = universe.address("ns3.example.test");
    let apex = udp(server, &question("example.test.", RecordType::NS, false))
        .await
        .unwrap();
    assert!(apex.metadata.authoritative);
    assert_eq!(
        names(&apex.answers, RecordType::NS),
        ["ns1.example.test.", "ns2.example.test."]
    );
    let address = udp(server, &question("ns1.example.test.", RecordType::A, false))
        .await
        .unwrap();
    assert_eq!(names(&address.answers, RecordType::A), ["127.0.0.99"]);
    // The CNAME alone: its target is another zone's, asked of that zone's servers.
    let alias = udp(
        server,
        &question("www.example.test.", RecordType::CAA, false),
    )
    .await
    .unwrap();
    assert!(alias.metadata.authoritative);
    assert_eq!(
        alias
            .answers
            .iter()
            .map(|record| record.record_type())
            .collect::<Vec<_>>(),
        [RecordType::CNAME]
    );
}

#[tokio::test]
async fn a_zone_changes_while_the_universe_runs() {
    let universe = standard().start();
    let server = universe.address("ns2.example.test");
    let caa = question("www.example.test.", RecordType::CAA, false);
    assert_eq!(
        caa_values(&udp(server, &caa).await.unwrap()),
        ["letsencrypt.org"]
    );
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        &example_zone(2026120602, "digicert.com"),
    );
    let after = udp(server, &caa).await.unwrap();
    assert_eq!(caa_values(&after), ["digicert.com"]);
    let soa = question("example.test.", RecordType::SOA, false);
    assert_eq!(serial(&udp(server, &soa).await.unwrap()), 2026120602);
    // The other servers of the zone keep their version.
    let other = udp(universe.address("ns1.example.test"), &caa)
        .await
        .unwrap();
    assert_eq!(caa_values(&other), ["letsencrypt.org"]);
}

#[tokio::test]
async fn lame_servers_answer_refused() {
    let universe = with_fault("ns1.example.test", Fault::Refused);
    for qtype in [RecordType::CAA, RecordType::SOA, RecordType::NS] {
        let asked = question("example.test.", qtype, true);
        let answer = udp(universe.address("ns1.example.test"), &asked)
            .await
            .unwrap();
        assert_eq!(answer.metadata.response_code, ResponseCode::Refused);
        assert!(answer.answers.is_empty() && answer.authorities.is_empty());
    }
    // So does a server given no zone for the name (named in a delegation, say, but never
    // loaded with the zone): lame by content.
    let mut builder = standard();
    builder.server("ns4.example.test");
    let universe = builder.start();
    let asked = question("www.example.test.", RecordType::CAA, false);
    let answer = udp(universe.address("ns4.example.test"), &asked)
        .await
        .unwrap();
    assert_eq!(answer.metadata.response_code, ResponseCode::Refused);
}

#[tokio::test]
async fn a_server_may_fail_caa_queries_only() {
    for rcode in [
        ResponseCode::NotImp,
        ResponseCode::ServFail,
        ResponseCode::Refused,
        ResponseCode::FormErr,
    ] {
        let universe = with_fault("ns2.example.test", Fault::CaaRcode(rcode));
        let server = universe.address("ns2.example.test");
        let caa = question("www.example.test.", RecordType::CAA, true);
        for answer in [
            udp(server, &caa).await.unwrap(),
            tcp(server, &caa).await.unwrap().unwrap(),
        ] {
            assert_eq!(answer.metadata.response_code, rcode);
            assert!(answer.answers.is_empty());
        }
        let soa = question("example.test.", RecordType::SOA, true);
        let soa = udp(server, &soa).await.unwrap();
        assert_eq!(soa.metadata.response_code, ResponseCode::NoError);
        assert_eq!(serial(&soa), 2026120601);
    }
}

#[tokio::test]
async fn a_server_may_drop_caa_queries_and_answer_soa() {
    let universe = with_fault("ns3.example.test", Fault::DropsCaa);
    let server = universe.address("ns3.example.test");
    let caa = question("www.example.test.", RecordType::CAA, true);
    assert!(udp(server, &caa).await.is_none());
    assert!(tcp(server, &caa).await.unwrap().is_none());
    let soa = question("example.test.", RecordType::SOA, true);
    assert_eq!(serial(&udp(server, &soa).await.unwrap()), 2026120601);
    // Seen, though unanswered.
    let caa_seen = universe
        .queries("ns3.example.test")
        .iter()
        .filter(|seen| seen.qtype == RecordType::CAA)
        .count();
    assert_eq!(caa_seen, 2);
}

#[tokio::test]
async fn a_server_may_refuse_or_close_tcp() {
    let mut builder = standard();
    builder.fault("ns1.example.test", Fault::NoTcp);
    builder.fault("ns2.example.test", Fault::TcpClosed);
    let universe = builder.start();
    let caa = question("www.example.test.", RecordType::CAA, true);
    let refused = tcp(universe.address("ns1.example.test"), &caa).await;
    assert_eq!(
        refused.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    let closed = tcp(universe.address("ns2.example.test"), &caa).await;
    assert!(closed.unwrap().is_none());
    for server in ["ns1.example.test", "ns2.example.test"] {
        let answer = udp(universe.address(server), &caa).await.unwrap();
        assert_eq!(caa_values(&answer), ["letsencrypt.org"], "UDP still works");
    }
}

#[tokio::test]
async fn a_server_may_not_preserve_the_question_s_case() {
    let universe = with_fault("ns1.example.test", Fault::CaseNotPreserved);
    let caa = question("wWw.ExAmple.TEST.", RecordType::CAA, true);
    let echoed = |answer: &Message| answer.queries[0].name().to_string();
    let mangled = udp(universe.address("ns1.example.test"), &caa)
        .await
        .unwrap();
    assert_eq!(echoed(&mangled), "WwW.eXaMPLE.test.");
    assert_eq!(caa_values(&mangled), ["letsencrypt.org"]);
    let over_tcp = tcp(universe.address("ns1.example.test"), &caa)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echoed(&over_tcp), "WwW.eXaMPLE.test.");
    // A referral from such a server is mangled the same way; a good server echoes exactly.
    let universe = with_fault("a.root.test", Fault::CaseNotPreserved);
    let referral = udp(universe.address("a.root.test"), &caa).await.unwrap();
    assert_eq!(echoed(&referral), "WwW.eXaMPLE.test.");
    let kept = udp(universe.address("ns2.nic.test"), &caa).await.unwrap();
    assert_eq!(echoed(&kept), "wWw.ExAmple.TEST.");
}

#[tokio::test]
async fn a_server_may_fail_every_query_with_edns() {
    let universe = with_fault("ns2.example.test", Fault::EdnsFormErr);
    let server = universe.address("ns2.example.test");
    for qtype in [RecordType::CAA, RecordType::SOA] {
        let with_edns = udp(server, &question("www.example.test.", qtype, true))
            .await
            .unwrap();
        assert_eq!(with_edns.metadata.response_code, ResponseCode::FormErr);
        assert!(
            with_edns.edns.is_none(),
            "no OPT from a server without EDNS"
        );
    }
    let without = udp(
        server,
        &question("www.example.test.", RecordType::CAA, false),
    )
    .await
    .unwrap();
    assert_eq!(without.metadata.response_code, ResponseCode::NoError);
    assert_eq!(caa_values(&without), ["letsencrypt.org"]);
}

#[tokio::test]
async fn a_silent_server_never_answers() {
    let universe = with_fault("ns1.nic.test", Fault::Silent);
    let asked = question("www.example.test.", RecordType::CAA, true);
    assert!(
        udp(universe.address("ns1.nic.test"), &asked)
            .await
            .is_none()
    );
    assert!(
        tcp(universe.address("ns1.nic.test"), &asked)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        udp(universe.address("ns2.nic.test"), &asked)
            .await
            .is_some()
    );
}

#[tokio::test]
async fn each_server_records_the_queries_it_saw() {
    let universe = standard().start();
    let server = universe.address("ns1.example.test");
    let mut recursive = question("WWW.example.test.", RecordType::CAA, true);
    recursive.metadata.recursion_desired = true;
    udp(server, &recursive).await.unwrap();
    tcp(server, &question("example.TEST.", RecordType::SOA, false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        universe.queries("ns1.example.test"),
        [
            SeenQuery {
                name: "WWW.example.test.".into(),
                qtype: RecordType::CAA,
                protocol: Protocol::Udp,
                recursion_desired: true,
                edns: true,
            },
            SeenQuery {
                name: "example.TEST.".into(),
                qtype: RecordType::SOA,
                protocol: Protocol::Tcp,
                recursion_desired: false,
                edns: false,
            },
        ]
    );
    assert!(universe.queries("ns2.example.test").is_empty());
}

#[tokio::test]
async fn the_root_hints_name_the_root_servers_on_loopback() {
    let universe = standard().start();
    let roots = read_root_hints(&universe.root_hints()).unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].name, "a.root.test.");
    assert_eq!(
        roots[0].addresses,
        [IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10))]
    );
    assert_eq!(universe.address("a.root.test").port(), universe.port());
    assert_eq!(universe.address("ns3.example.test").port(), universe.port());
}

#[tokio::test]
async fn universes_side_by_side_share_addresses_not_ports() {
    let first = standard().start();
    let second = standard().start();
    assert_eq!(
        first.address("a.root.test").ip(),
        second.address("a.root.test").ip()
    );
    assert_ne!(first.port(), second.port());
    let asked = question("www.example.test.", RecordType::CAA, false);
    assert!(
        udp(second.address("ns3.example.test"), &asked)
            .await
            .is_some()
    );
}
