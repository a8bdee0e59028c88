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
    let anchor = [universe.root_key.dnskey.public_key().clone()];
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
        keys: vec![universe.root_key.dnskey.public_key().clone()],
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
        keys: vec![universe.root_key.dnskey.public_key().clone()],
    };
    let validator = Validator::new(vec![elsewhere], now());
    let (security, _) = validator
        .validate(&transport, &Name::from_ascii("www.example.test.").unwrap())
        .await;
    assert_eq!(security, Security::Insecure);
}

// `check --source --dnssec`: each authoritative server's answers validated under the zone's
// keys, the keys walked to through the resolver from the trust anchor.

/// How the test universe of `signed_sources` is broken beyond its servers' faults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Breakage {
    None,
    /// The resolver in front strips signatures.
    StrippingResolver,
    /// test.'s DS for example.test. is of another key.
    WrongDs,
    /// The resolver in front hands over example.test.'s keys from before a rollover.
    StaleKeysAtResolver,
}

/// A signed root, `test.` and `example.test.`, the last on a server for each of `faults` (none:
/// serving it as signed), with a CAA record at www; and a resolver in front of them all.
fn signed_sources(
    faults: &[Option<crate::support::authority::Fault>],
    breakage: Breakage,
) -> (crate::support::authority::Universe, SocketAddr) {
    use crate::support::authority::{Fault, UniverseBuilder};

    let servers: Vec<String> = (1..=faults.len())
        .map(|at| format!("ns{at}.example.test"))
        .collect();
    let servers: Vec<&str> = servers.iter().map(String::as_str).collect();
    let mut builder = UniverseBuilder::under_test(&[("example.test", &servers)]);
    let mut zone = "@ SOA ns1 hostmaster 7 3600 600 86400 300\n".to_owned();
    for server in &servers {
        let address = builder.address(server);
        zone.push_str(&format!("@ NS {server}.\n{server}. A {address}\n"));
    }
    zone.push_str("www CAA 0 issue \"letsencrypt.org\"\n");
    builder.zone("example.test", &zone, &servers);
    for (server, fault) in servers.iter().zip(faults) {
        if let Some(fault) = fault {
            builder.fault(server, fault.clone());
        }
    }
    builder.sign(".").sign("test");
    if breakage == Breakage::WrongDs {
        builder.sign_with_a_wrong_ds("example.test");
    } else {
        builder.sign("example.test");
    }
    let resolver = builder.resolver("resolver.test");
    match breakage {
        Breakage::StrippingResolver => {
            builder.fault("resolver.test", Fault::StripsSignatures);
        }
        Breakage::StaleKeysAtResolver => {
            builder.fault("resolver.test", Fault::SignsWithAnotherKey("example.test"));
        }
        _ => {}
    }
    let universe = builder.start();
    let resolver = SocketAddr::new(resolver.into(), universe.port());
    // Signatures that expire do so a second after the start.
    std::thread::sleep(Duration::from_millis(2_100));
    (universe, resolver)
}

/// `check --source --dnssec --json` through the signed universe of `signed_sources`: the run
/// and its report.
async fn dnssec_sources_report(
    faults: &[Option<crate::support::authority::Fault>],
    breakage: Breakage,
) -> (std::process::Output, serde_json::Value) {
    let (universe, resolver) = signed_sources(faults, breakage);
    let output = check_source(&universe, resolver, &["--dnssec", "--json"]).await;
    let report = crate::support::json_lines(&output).remove(0);
    (output, report)
}

/// `certready check www.example.test --source` walking `universe` through `resolver`, with
/// `extra` options; with `--dnssec` among them, the root's key is the trust anchor.
async fn check_source(
    universe: &crate::support::authority::Universe,
    resolver: SocketAddr,
    extra: &[&str],
) -> std::process::Output {
    use crate::support::{certready, scratch_file};

    let anchor = scratch_file("root.key", universe.anchor_file().as_bytes());
    let resolver = resolver.to_string();
    let walk = universe.walk_args();
    let mut args = vec![
        "check",
        "www.example.test",
        "--no-name-policy",
        "--nameserver",
        &resolver,
        "--source",
    ];
    if extra.contains(&"--dnssec") {
        args.extend(["--trust-anchor", anchor.to_str().unwrap()]);
    }
    args.extend(walk.iter().map(String::as_str));
    args.extend(extra);
    certready(&args).await
}

/// Each server's finding codes in the report's first zone.
fn server_findings(report: &serde_json::Value) -> Vec<Vec<String>> {
    report["sources"][0]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|server| {
            server["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|finding| finding["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_names_the_server_serving_the_zone_unsigned_expired_or_by_another_key()
{
    use crate::support::authority::Fault;
    use crate::support::{json_lines, stderr};

    let (universe, resolver) = signed_sources(
        &[
            None,
            Some(Fault::ServesUnsigned),
            Some(Fault::SignaturesExpiring),
            Some(Fault::SignsWithAnotherKey("example.test")),
        ],
        Breakage::None,
    );
    let output = check_source(&universe, resolver, &["--dnssec", "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = &json_lines(&output)[0];
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["consistency"], "consistent");
    assert_eq!(dnssec_states(report), ["secure", "secure", "secure"]);
    assert_eq!(report["sources"][0]["zone"], "example.test.");
    assert_eq!(
        server_findings(report),
        [
            vec![],
            vec!["dnssec-stripped"],
            vec!["dnssec-expired"],
            vec!["dnssec-bogus"]
        ]
    );
    let servers = &report["sources"][0]["servers"];
    // Passed over, as the CA's resolver passes over them: only ns1 decides.
    let verdicts: Vec<Option<&str>> = (0..4).map(|at| servers[at]["verdict"].as_str()).collect();
    assert_eq!(verdicts, [Some("allowed"), None, None, None]);
    let another_key = servers[3]["findings"][0]["detail"].as_str().unwrap();
    assert!(
        another_key.starts_with("example.test.: www.example.test. CAA is signed by key tag "),
        "{another_key}"
    );

    let output = check_source(&universe, resolver, &["--dnssec"]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    for line in [
        "      ns2.example.test.        127.0.0.",
        "        dnssec-expired: every signature it serves has expired, the latest at ",
        "        dnssec-bogus: example.test.: www.example.test. CAA is signed by key tag ",
        "    the CA: every server that answers leads to allowed: so will every perspective",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }

    // Without --dnssec the signatures are read, not verified: another key goes unseen.
    let output = check_source(&universe, resolver, &["--json"]).await;
    assert_eq!(
        server_findings(&json_lines(&output)[0]),
        [
            vec![],
            vec!["dnssec-stripped"],
            vec!["dnssec-expired"],
            vec![]
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_fails_when_no_server_of_a_signed_zone_validates() {
    use crate::support::authority::Fault;
    use crate::support::{json_lines, stderr};

    let (universe, resolver) = signed_sources(
        &[Some(Fault::ServesUnsigned), Some(Fault::SignaturesExpiring)],
        Breakage::None,
    );
    let output = check_source(&universe, resolver, &["--dnssec", "--json"]).await;
    let report = &json_lines(&output)[0];
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(report["verdict"], "error");
    assert_eq!(
        server_findings(report),
        [vec!["dnssec-stripped"], vec!["dnssec-expired"]]
    );
    let output = check_source(&universe, resolver, &["--dnssec"]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        text.contains("    the CA: no server of example.test. gives an answer the CA's resolver takes: every perspective fails\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_through_a_stripping_resolver_judges_signatures_by_their_dates() {
    use crate::support::authority::Fault;
    use crate::support::stderr;

    let (output, report) = dnssec_sources_report(
        &[None, Some(Fault::ServesUnsigned)],
        Breakage::StrippingResolver,
    )
    .await;
    let report = &report;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(stderr(&output).matches("strips DNSSEC").count(), 1);
    assert_eq!(report["lookups"][0]["outcome"], "dnssec-indeterminate");
    // Neither the zone nor every server bogus: the server serving the zone unsigned is
    // named, as without --dnssec.
    assert_eq!(server_findings(report), [vec![], vec!["dnssec-stripped"]]);
    assert_eq!(report["sources"][0]["findings"], serde_json::json!([]));
    // The servers lead to allowed, but by dates alone: what the CA meets is not known.
    assert_eq!(report["verdict"], "error");
    let advice = report["advice"].to_string();
    assert!(advice.contains("is not known from here"), "{advice}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_names_a_broken_chain_once_for_the_zone_not_each_server() {
    use crate::support::{json_lines, stderr};

    let (universe, resolver) = signed_sources(&[None, None], Breakage::WrongDs);
    let output = check_source(&universe, resolver, &["--dnssec", "--json"]).await;
    let report = &json_lines(&output)[0];
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(report["verdict"], "error");
    let zone = &report["sources"][0];
    assert_eq!(zone["findings"][0]["code"], "dnssec-bogus", "{zone}");
    let detail = zone["findings"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("the DS at the parent (key tag"), "{detail}");
    assert_eq!(server_findings(report), [Vec::<String>::new(), vec![]]);
    let output = check_source(&universe, resolver, &["--dnssec"]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        text.contains(
            "    example.test.\n      dnssec-bogus: example.test.: the DS at the parent (key tag"
        ),
        "{text}"
    );
    assert!(
        text.contains("    the CA: no server of example.test. gives an answer the CA's resolver takes: every perspective fails\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_tries_each_server_s_own_keys_when_the_resolver_s_do_not_validate() {
    use crate::support::authority::Fault;
    use crate::support::{json_lines, stderr};

    let (universe, resolver) = signed_sources(
        &[None, Some(Fault::SignsWithAnotherKey("example.test"))],
        Breakage::StaleKeysAtResolver,
    );
    let output = check_source(&universe, resolver, &["--dnssec", "--json"]).await;
    let report = &json_lines(&output)[0];
    // Through the resolver the zone's keys are the stale ones: its lookups are bogus. Asked
    // directly, ns1's keys validate and ns2's do not: the CA passes over ns2 and issues, so
    // the failure is the resolver's alone.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["lookups"][0]["outcome"], "dnssec-bogus");
    assert_eq!(report["ca_answer"], serde_json::Value::Null);
    let advice = report["advice"][0].as_str().unwrap();
    assert!(advice.contains("failed only through"), "{advice}");
    assert_eq!(report["sources"][0]["findings"], serde_json::json!([]));
    assert_eq!(server_findings(report), [vec![], vec!["dnssec-bogus"]]);
    let detail = report["sources"][0]["servers"][1]["findings"][0]["detail"]
        .as_str()
        .unwrap();
    // Judged, as the CA's resolver judges it, under the keys that validate (ns1's).
    assert!(
        detail.contains("www.example.test. CAA is signed by key tag")
            && detail.contains("which is none of the zone's DNSKEYs"),
        "{detail}"
    );
    assert_eq!(report["sources"][0]["servers"][0]["verdict"], "allowed");
    // The human report says whose failure it is, and whose reasons it gives.
    let output = check_source(&universe, resolver, &["--dnssec"]).await;
    let text = String::from_utf8_lossy(&output.stdout);
    for said in [
        "www.example.test: allowed\n  Through the resolver this name is error; asked directly, its authoritative servers lead every one of the CA's perspectives to allowed.",
        "\n  why, through the resolver\n",
        "failed only through",
    ] {
        assert!(text.contains(said), "{said} not in:\n{text}");
    }
    assert!(!text.contains("what this means"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_judges_each_server_under_keys_that_validate_from_any_server() {
    use crate::support::authority::Fault;
    use crate::support::stderr;

    // ns1 refuses TCP (its keys come over UDP), ns3 serves the keys from before a rollover;
    // the resolver holds those stale keys.
    let (output, report) = dnssec_sources_report(
        &[
            Some(Fault::NoTcp),
            None,
            Some(Fault::SignsWithAnotherKey("example.test")),
        ],
        Breakage::StaleKeysAtResolver,
    )
    .await;
    let report = &report;
    // The keys ns1 and ns2 serve validate: every answer is judged under them, ns3's bogus.
    assert_eq!(report["verdict"], "allowed", "{}", stderr(&output));
    assert_eq!(report["sources"][0]["findings"], serde_json::json!([]));
    assert_eq!(
        server_findings(report),
        [vec!["tcp-broken"], vec![], vec!["dnssec-bogus"]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_dnssec_counts_a_zone_unvalidated_when_a_server_that_answers_gives_no_keys() {
    use crate::support::authority::Fault;
    use crate::support::stderr;

    let (output, report) = dnssec_sources_report(
        &[
            None,
            Some(Fault::DropsDnskey),
            Some(Fault::SignsWithAnotherKey("example.test")),
        ],
        Breakage::StaleKeysAtResolver,
    )
    .await;
    let report = &report;
    // ns2 answers CAA but its keys could not be had: a resolver may hold them. ns3's failure
    // under the keys known stands, but the zone is not validated, so the resolver's bogus
    // lookups are not overruled: what the CA meets is not known.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(report["verdict"], "error");
    assert_eq!(
        server_findings(report),
        [vec![], vec![], vec!["dnssec-bogus"]]
    );
    let advice = report["advice"].to_string();
    assert!(advice.contains("is not known from here"), "{advice}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_dnssec_asks_a_resolver_that_answered_nothing_no_more() {
    use crate::support::{Behaviour, DnsServer, Fault, certready, json_lines};

    let mut behaviour = Behaviour::default();
    for name in ["dead.example.test", "example.test", "test"] {
        behaviour = behaviour.fault(name, Fault::Silent);
    }
    let server = DnsServer::start(behaviour).await;
    let nameserver = server.nameserver();
    let mut counts = Vec::new();
    for dnssec in [false, true] {
        let before = server.stats.query_count();
        let mut args = vec![
            "check",
            "dead.example.test",
            "--no-name-policy",
            "--nameserver",
            &nameserver,
            "--timeout",
            "0.2",
            "--retries",
            "0",
            "--json",
        ];
        if dnssec {
            args.push("--dnssec");
        }
        let output = certready(&args).await;
        assert_eq!(output.status.code(), Some(3));
        let report = &json_lines(&output)[0];
        assert_eq!(report["lookups"][0]["outcome"], "timeout");
        if dnssec {
            assert_eq!(
                dnssec_states(report),
                ["indeterminate", "indeterminate", "indeterminate"]
            );
        }
        counts.push(server.stats.query_count() - before);
    }
    // Validation's questions (the anchor's DNSKEY, each DS, the CAA with DO) would only wait
    // out their timeouts again.
    assert_eq!(counts[0], counts[1], "{counts:?}");
}
