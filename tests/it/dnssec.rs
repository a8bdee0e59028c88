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

use crate::support::signed::{Denial, SignedUniverse, Signing, ZoneSpec};

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
    let universe = universe_of(Signing::Signed { days: 7 }, denial, WWW_CAA).await;
    let trust = trust(&universe).await;
    assert!(matches!(trust, Trust::Keys { .. }), "{trust:?}");
    let www = Name::from_ascii("www.example.test.").unwrap();
    let reply = ask(universe.addr, "www.example.test.", RecordType::CAA).await;
    let caa = Answered::Records(
        answer_rrset(&reply, RecordType::CAA),
        DenialProof::default(),
    );
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
            &Answered::Records(forged, DenialProof::default()),
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

/// www's CAA record, letting Let's Encrypt issue.
const WWW_CAA: &str = "www CAA 0 issue \"letsencrypt.org\"";

/// The root and `test.`, signed, `test.` delegating to example.test. and unsigned.test.
fn upper_zones() -> [ZoneSpec<'static>; 2] {
    [
        ZoneSpec {
            origin: ".",
            text: ". SOA ns.root. hostmaster.root. 1 3600 600 86400 300\n. NS ns.root.\ntest. NS ns.nic.test.\n",
            denial: Denial::Nsec,
            signing: Signing::Signed { days: 7 },
        },
        ZoneSpec {
            origin: "test.",
            text: "@ SOA ns.nic hostmaster 1 3600 600 86400 300\n@ NS ns.nic\nexample NS ns.example\nunsigned NS ns.unsigned\n",
            denial: Denial::Nsec,
            signing: Signing::Signed { days: 7 },
        },
    ]
}

/// example.test. as `signing` says, denying with `denial`, with `www` CAA or a CNAME into
/// unsigned.test.; and unsigned.test., not signed.
async fn universe_of(signing: Signing, denial: Denial, www: &str) -> SignedUniverse {
    let example = format!("@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n{www}\n");
    let [root, tld] = upper_zones();
    SignedUniverse::start(&[
        root,
        tld,
        ZoneSpec {
            origin: "example.test.",
            text: &example,
            denial,
            signing,
        },
        ZoneSpec {
            origin: "unsigned.test.",
            text: "@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nwww CAA 0 issue \"letsencrypt.org\"\n",
            denial: Denial::Nsec,
            signing: Signing::Unsigned,
        },
    ])
    .await
}

/// The security of `name`'s CAA lookup, validated by certready's validator through the
/// universe as a non-validating resolver, `days_later` days from now.
async fn validated(universe: &SignedUniverse, name: &str, days_later: u32) -> Security {
    use certready::dns::Transport;
    use certready::dns::validation::Validator;
    use certready::dnssec::anchors::TrustAnchor;

    let transport = Transport::new(vec![universe.addr], Duration::from_secs(2), 2, 64, None);
    let anchor = TrustAnchor {
        zone: Name::root(),
        ds: Vec::new(),
        keys: vec![universe.root_key.public_key().clone()],
    };
    let validator = Validator::new(vec![anchor], now() + days_later * 86_400);
    validator
        .validate(&transport, &Name::from_ascii(name).unwrap())
        .await
        .0
}

fn bogus_code(security: &Security) -> (&str, &'static str) {
    match security {
        Security::Bogus(bogus) => (bogus.zone.as_str(), bogus.kind.code()),
        other => panic!("bogus expected, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_validator_finds_secure_answers_and_denials() {
    let universe = universe_of(Signing::Signed { days: 7 }, Denial::Nsec, WWW_CAA).await;
    for name in [
        "www.example.test.",
        "example.test.",
        "nowhere.example.test.",
    ] {
        assert_eq!(
            validated(&universe, name, 0).await,
            Security::Secure,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_validator_names_an_expired_signature_and_a_ds_with_no_key() {
    let universe = universe_of(Signing::Signed { days: 1 }, Denial::Nsec, WWW_CAA).await;
    let expired = validated(&universe, "www.example.test.", 2).await;
    assert_eq!(bogus_code(&expired), ("example.test.", "signature-expired"));
    let universe = universe_of(Signing::DsOfAnotherKey, Denial::Nsec, WWW_CAA).await;
    let rolled = validated(&universe, "www.example.test.", 0).await;
    assert_eq!(bogus_code(&rolled), ("example.test.", "no-key-for-ds"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsigned_zone_under_a_signed_parent_and_an_alias_into_it_are_insecure() {
    let universe = universe_of(
        Signing::Signed { days: 7 },
        Denial::Nsec,
        "www CNAME www.unsigned.test.",
    )
    .await;
    assert_eq!(
        validated(&universe, "www.unsigned.test.", 0).await,
        Security::Insecure
    );
    assert_eq!(
        validated(&universe, "www.example.test.", 0).await,
        Security::Insecure,
        "a signed CNAME into an unsigned zone is as secure as its weakest link"
    );
}

/// `certready check NAME --dnssec --json` through `nameserver`, trusting the universe's root.
async fn check_dnssec(
    universe: &SignedUniverse,
    nameserver: SocketAddr,
    name: &str,
) -> (Option<i32>, serde_json::Value, String) {
    use crate::support::{certready, json_lines, scratch_file, stderr};

    let anchor = scratch_file("root.key", universe.anchor_file().as_bytes());
    let nameserver = nameserver.to_string();
    let output = certready(&[
        "check",
        name,
        "--no-name-policy",
        "--nameserver",
        &nameserver,
        "--dnssec",
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--json",
    ])
    .await;
    let report = json_lines(&output).into_iter().next().unwrap_or_default();
    (output.status.code(), report, stderr(&output))
}

fn dnssec_states(report: &serde_json::Value) -> Vec<&str> {
    report["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lookup| lookup["dnssec"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_dnssec_through_a_non_validating_resolver_secure_nsec_and_nsec3() {
    for denial in [Denial::Nsec, Denial::Nsec3] {
        let universe = universe_of(Signing::Signed { days: 7 }, denial, WWW_CAA).await;
        let (status, report, stderr) =
            check_dnssec(&universe, universe.addr, "www.example.test").await;
        assert_eq!(status, Some(0), "{stderr}");
        assert_eq!(report["verdict"], "allowed");
        assert_eq!(
            dnssec_states(&report),
            ["secure", "secure", "secure"],
            "{denial:?}"
        );
        // NODATA at every name of the climb: proven by the denial records.
        let (status, report, stderr) =
            check_dnssec(&universe, universe.addr, "mail.example.test").await;
        assert_eq!(status, Some(0), "{stderr} {report}");
        assert_eq!(report["lookups"][0]["outcome"], "nxdomain");
        assert_eq!(
            dnssec_states(&report),
            ["secure", "secure", "secure"],
            "{denial:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_dnssec_names_an_expired_signature_and_a_ds_without_its_key() {
    let universe = universe_of(Signing::Expiring, Denial::Nsec, WWW_CAA).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, report, stderr) = check_dnssec(&universe, universe.addr, "www.example.test").await;
    assert_eq!(status, Some(3), "{stderr}");
    assert_eq!(report["verdict"], "error");
    let lookup = &report["lookups"][0];
    assert_eq!(lookup["outcome"], "dnssec-bogus");
    assert_eq!(lookup["dnssec"], "bogus");
    let detail = lookup["detail"].as_str().unwrap();
    // The zone was signed for a second: its DNSKEY RRset's signatures expired first.
    assert!(
        detail.starts_with("example.test.: every signature over example.test.")
            && detail.contains("expired, the latest at"),
        "{detail}"
    );

    let universe = universe_of(Signing::DsOfAnotherKey, Denial::Nsec, WWW_CAA).await;
    let (status, report, stderr) = check_dnssec(&universe, universe.addr, "www.example.test").await;
    assert_eq!(status, Some(3), "{stderr}");
    let detail = report["lookups"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("the DS at the parent (key tag"), "{detail}");
    assert!(
        detail.contains("matches none of the zone's DNSKEYs"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_dnssec_an_unsigned_zone_and_a_cname_into_it_are_insecure_and_valid() {
    let universe = universe_of(
        Signing::Signed { days: 7 },
        Denial::Nsec,
        "www CNAME www.unsigned.test.",
    )
    .await;
    let (status, report, stderr) =
        check_dnssec(&universe, universe.addr, "www.unsigned.test").await;
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(dnssec_states(&report), ["insecure", "insecure", "secure"]);
    let (status, report, stderr) = check_dnssec(&universe, universe.addr, "www.example.test").await;
    assert_eq!(status, Some(0), "{stderr}");
    assert_eq!(report["lookups"][0]["dnssec"], "insecure");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_dnssec_through_a_stripping_resolver_is_undetermined_and_says_so_once() {
    let universe = universe_of(Signing::Signed { days: 7 }, Denial::Nsec, WWW_CAA).await;
    let forwarder = universe.stripping_forwarder().await;
    let (status, report, stderr) = check_dnssec(&universe, forwarder, "www.example.test").await;
    assert_eq!(status, Some(3), "{stderr}");
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["lookups"][0]["outcome"], "dnssec-indeterminate");
    assert_eq!(stderr.matches("strips DNSSEC").count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_expanded_from_a_wildcard_is_secure_with_its_proof() {
    for denial in [Denial::Nsec, Denial::Nsec3] {
        let wildcard = "* CAA 0 issue \"letsencrypt.org\"";
        let universe = universe_of(Signing::Signed { days: 7 }, denial, wildcard).await;
        assert_eq!(
            validated(&universe, "x.example.test.", 0).await,
            Security::Secure,
            "{denial:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alias_loop_ends_the_validation_as_indeterminate() {
    let looping = "www CNAME loop\nloop CNAME www";
    let universe = universe_of(Signing::Signed { days: 7 }, Denial::Nsec, looping).await;
    let validation = validated(&universe, "www.example.test.", 0);
    let security = tokio::time::timeout(Duration::from_secs(10), validation)
        .await
        .expect("a loop ends the validation");
    assert_eq!(security, Security::Indeterminate);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secure_answer_vouches_only_for_itself_not_for_another_answer_judged() {
    let universe = universe_of(Signing::Signed { days: 7 }, Denial::Nsec, WWW_CAA).await;
    let two_faced = universe.two_faced_forwarder().await;
    let (status, report, stderr) = check_dnssec(&universe, two_faced, "www.example.test").await;
    assert_eq!(status, Some(3), "{stderr}");
    let lookup = &report["lookups"][0];
    assert_eq!(lookup["outcome"], "dnssec-indeterminate", "{report}");
    assert_eq!(
        lookup["detail"],
        "the answer asked with DNSSEC is not the one asked without"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_under_no_trust_anchor_is_insecure() {
    use certready::dns::Transport;
    use certready::dns::validation::Validator;
    use certready::dnssec::anchors::TrustAnchor;

    let universe = universe_of(Signing::Signed { days: 7 }, Denial::Nsec, WWW_CAA).await;
    let transport = Transport::new(vec![universe.addr], Duration::from_secs(2), 2, 64, None);
    let elsewhere = TrustAnchor {
        zone: Name::from_ascii("private.").unwrap(),
        ds: Vec::new(),
        keys: vec![universe.root_key.public_key().clone()],
    };
    let validator = Validator::new(vec![elsewhere], now());
    let (security, _) = validator
        .validate(&transport, &Name::from_ascii("www.example.test.").unwrap())
        .await;
    assert_eq!(security, Security::Insecure);
}
