//! The DNSSEC core against zones hickory-server signs at test time (`support/signed.rs`): the
//! records read by certready's own reply reader with DO and CD set, the chain walked from the
//! root's key down to `example.test.`, and answers, NODATA and NXDOMAIN proven, by NSEC and by
//! NSEC3.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use certready::dns::transport::tcp_roundtrip;
use certready::dns::wire::{Ask, Reply, decode_reply, encode_query, wire_name};
use certready::dnssec::Security;
use certready::dnssec::chain::{
    Answered, Cut, DenialProof, DsAnswer, Signed, Trust, answer_security, rrsets, walk_down,
};
use certready::dnssec::keys::Vouchers;
use hickory_server::proto::rr::rdata::NULL;
use hickory_server::proto::rr::{Name, RData, RecordType};
use tokio::net::UdpSocket;

use crate::support::signed::{Denial, SignedUniverse, ZoneSpec};

/// The root, `test.` and `example.test.` (denying with `denial`), each signed.
async fn universe(denial: Denial) -> SignedUniverse {
    SignedUniverse::start(&[
        ZoneSpec {
            origin: ".",
            text: ". SOA ns.root. hostmaster.root. 1 3600 600 86400 300\n. NS ns.root.\ntest. NS ns.nic.test.\n",
            denial: Denial::Nsec,
        },
        ZoneSpec {
            origin: "test.",
            text: "@ SOA ns.nic hostmaster 1 3600 600 86400 300\n@ NS ns.nic\nexample NS ns.example\n",
            denial: Denial::Nsec,
        },
        ZoneSpec {
            origin: "example.test.",
            text: "@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nwww CAA 0 issue \"letsencrypt.org\"\n",
            denial,
        },
    ])
    .await
}

/// `qtype` of `name`, asked with DO and CD, read by certready's reader (over TCP when
/// truncated).
async fn ask(server: SocketAddr, name: &str, qtype: RecordType) -> Reply {
    let wire = wire_name(name).unwrap();
    let question = Ask {
        name: &wire,
        qtype: u16::from(qtype),
        dnssec: true,
    };
    let query = encode_query(question, 4711);
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(&query, server).await.unwrap();
    let mut buffer = vec![0; 65_535];
    let (length, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buffer))
        .await
        .expect("an answer")
        .unwrap();
    let reply = decode_reply(&buffer[..length], question).unwrap();
    if !reply.truncated {
        return reply;
    }
    let bytes = tcp_roundtrip(server, &query).await.unwrap();
    decode_reply(&bytes, question).unwrap()
}

/// The answer section's RRset of `rtype`, with its signatures.
fn answer_rrset(reply: &Reply, rtype: RecordType) -> Signed {
    rrsets(&reply.sections.answers)
        .into_iter()
        .find(|rrset| rrset.rtype == rtype)
        .unwrap_or_else(|| panic!("no {rtype} in {:?}", reply.sections))
}

fn now() -> u32 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    u32::try_from(seconds).unwrap()
}

/// The walk from the root's key down to example.test., each RRset asked of the universe.
async fn trust(universe: &SignedUniverse) -> Trust {
    let server = universe.addr;
    let root_dnskey = answer_rrset(
        &ask(server, ".", RecordType::DNSKEY).await,
        RecordType::DNSKEY,
    );
    let mut cuts = Vec::new();
    for zone in ["test.", "example.test."] {
        let ds = answer_rrset(&ask(server, zone, RecordType::DS).await, RecordType::DS);
        let dnskey = answer_rrset(
            &ask(server, zone, RecordType::DNSKEY).await,
            RecordType::DNSKEY,
        );
        cuts.push(Cut {
            zone: Name::from_ascii(zone).unwrap(),
            ds: DsAnswer::Present(ds),
            dnskey: Some(dnskey),
        });
    }
    let anchor = [universe.root_key.public_key().clone()];
    let vouchers = Vouchers {
        ds: &[],
        keys: &anchor,
    };
    walk_down(&Name::root(), vouchers, Some(&root_dnskey), &cuts, now())
}

async fn secure_answers_and_denials(denial: Denial) {
    let universe = universe(denial).await;
    let trust = trust(&universe).await;
    assert!(matches!(trust, Trust::Keys { .. }), "{trust:?}");
    let www = Name::from_ascii("www.example.test.").unwrap();
    let reply = ask(universe.addr, "www.example.test.", RecordType::CAA).await;
    let caa = Answered::Records(answer_rrset(&reply, RecordType::CAA));
    assert_eq!(
        answer_security(&trust, &www, RecordType::CAA, &caa, now()),
        Security::Secure
    );
    let apex = Name::from_ascii("example.test.").unwrap();
    let reply = ask(universe.addr, "example.test.", RecordType::CAA).await;
    let proof = DenialProof::from_authority(&reply.sections.authority);
    let proof_type = match denial {
        Denial::Nsec => RecordType::NSEC,
        Denial::Nsec3 => RecordType::NSEC3,
    };
    assert!(
        !proof.rrsets.is_empty() && proof.rrsets.iter().all(|rrset| rrset.rtype == proof_type),
        "{proof:?}"
    );
    let nodata = Answered::NoData(proof);
    assert_eq!(
        answer_security(&trust, &apex, RecordType::CAA, &nodata, now()),
        Security::Secure,
        "{:?}",
        reply.sections.authority
    );
    let nowhere = Name::from_ascii("nowhere.example.test.").unwrap();
    let reply = ask(universe.addr, "nowhere.example.test.", RecordType::CAA).await;
    let nxdomain = Answered::NxDomain(DenialProof::from_authority(&reply.sections.authority));
    assert_eq!(
        answer_security(&trust, &nowhere, RecordType::CAA, &nxdomain, now()),
        Security::Secure,
        "{:?}",
        reply.sections.authority
    );
    // Records changed after signing do not verify.
    let mut forged = answer_rrset(
        &ask(universe.addr, "www.example.test.", RecordType::CAA).await,
        RecordType::CAA,
    );
    let mut rdata = vec![0, 5];
    rdata.extend(b"issuedigicert.com");
    forged.records[0].data = RData::Unknown {
        code: RecordType::CAA,
        rdata: NULL::with(rdata),
    };
    assert!(matches!(
        answer_security(
            &trust,
            &www,
            RecordType::CAA,
            &Answered::Records(forged),
            now()
        ),
        Security::Bogus(_)
    ));
    // A proof served for one name proves nothing of another.
    assert!(matches!(
        answer_security(&trust, &www, RecordType::CAA, &nodata, now()),
        Security::Bogus(_)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_signed_by_hickory_server_validates_with_nsec() {
    secure_answers_and_denials(Denial::Nsec).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_signed_by_hickory_server_validates_with_nsec3() {
    secure_answers_and_denials(Denial::Nsec3).await;
}
