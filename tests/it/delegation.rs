//! `dns::delegation` against the DNS universe on loopback: the walk from the roots finds each
//! zone cut, the parent's NS set and glue, the zone's own NS set, and name servers without glue
//! by walking for their addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use certready::caa::sources::{SourceFinding, glue_mismatches, ns_mismatch};
use certready::dns::delegation::Walker;
use certready::dns::roots::read_root_hints;
use hickory_server::proto::rr::Name;

use crate::support::authority::{Universe, UniverseBuilder};

/// Root, `test.` on two servers, `example.test.` on two (one of which the zone itself says has
/// another address than its glue, and a third only the zone names), and `other.test.` served
/// by `ns1.elsewhere.`, a name in another top-level zone: no glue, its address is walked for.
fn universe() -> Universe {
    let mut builder = Universe::builder();
    let root = builder.server("a.root.test");
    let nic1 = builder.server("ns1.nic.test");
    let nic2 = builder.server("ns2.nic.test");
    let ex1 = builder.server("ns1.example.test");
    let ex2 = builder.server("ns2.example.test");
    let elsewhere = builder.server("ns.elsewhere");
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
elsewhere. NS ns.elsewhere.
ns.elsewhere. A {elsewhere}
"
        ),
        &["a.root.test"],
    );
    builder.zone(
        "elsewhere",
        &format!(
            "@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A {elsewhere}
ns1 A {ex1}
"
        ),
        &["ns.elsewhere"],
    );
    builder.zone(
        "test",
        &format!(
            "@ SOA ns1.nic hostmaster 1 3600 600 86400 300
@ NS ns1.nic
@ NS ns2.nic
ns1.nic A {nic1}
ns2.nic A {nic2}
example NS ns1.example
example NS ns2.example
ns1.example A {ex1}
ns2.example A 127.0.0.99
other NS ns1.elsewhere.
"
        ),
        &["ns1.nic.test", "ns2.nic.test"],
    );
    builder.zone(
        "example.test",
        &format!(
            "@ SOA ns1 hostmaster 7 3600 600 86400 300
@ NS ns1
@ NS ns2
@ NS ns3
ns1 A {ex1}
ns2 A {ex2}
ns3 A 10.0.0.3
www CAA 0 issue \"letsencrypt.org\"
"
        ),
        &["ns1.example.test", "ns2.example.test"],
    );
    builder.zone(
        "other.test",
        "@ SOA ns1.elsewhere. hostmaster.elsewhere. 3 3600 600 86400 300
@ NS ns1.elsewhere.
",
        &["ns1.example.test"],
    );
    builder.start()
}

/// ns2.example.test serves an older version of example.test that authorises another CA.
fn make_ns2_stale(universe: &Universe) {
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        "@ SOA ns1 hostmaster 6 3600 600 86400 300
@ NS ns1
@ NS ns2
www CAA 0 issue \"digicert.com\"
",
    );
}

/// Let's Encrypt, judging CAA alone (the universe is under .test).
fn lets_encrypt() -> certready::caa::Requester {
    certready::caa::Requester {
        ca: "letsencrypt.org".into(),
        account_uri: None,
        method: None,
        name_policy: false,
    }
}

fn walker(universe: &Universe) -> Walker {
    let roots: Vec<IpAddr> = read_root_hints(&universe.root_hints())
        .unwrap()
        .into_iter()
        .flat_map(|root| root.addresses)
        .collect();
    Walker::new(roots, universe.port(), Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_finds_each_cut_from_both_sides() {
    let universe = universe();
    let walker = walker(&universe);
    let cuts = walker
        .cuts(&Name::from_ascii("www.example.test.").unwrap())
        .await
        .unwrap();
    let zones: Vec<&str> = cuts
        .iter()
        .map(|cut| cut.delegation.zone.as_str())
        .collect();
    assert_eq!(zones, ["test.", "example.test."]);
    let example = &cuts[1].delegation;
    assert_eq!(
        example.parent_ns,
        ["ns1.example.test.", "ns2.example.test."]
    );
    assert_eq!(
        example.child_ns,
        [
            "ns1.example.test.",
            "ns2.example.test.",
            "ns3.example.test."
        ]
    );
    assert_eq!(
        ns_mismatch(example),
        Some(SourceFinding::NsMismatch {
            only_at_parent: vec![],
            only_at_child: vec!["ns3.example.test.".into()],
        })
    );
    let mismatches: Vec<String> = glue_mismatches(example)
        .iter()
        .map(|finding| finding.code().to_owned())
        .collect();
    assert_eq!(mismatches, ["glue-mismatch"]);
    // Every address of every name server is a server to ask: glue and the zone's own.
    let addresses: Vec<SocketAddr> = cuts[1]
        .servers
        .iter()
        .map(|(_, address)| *address)
        .collect();
    assert!(
        addresses.contains(&universe.address("ns2.example.test")),
        "{addresses:?}"
    );
    assert!(addresses.contains(&SocketAddr::new(
        "10.0.0.3".parse().unwrap(),
        universe.port()
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_server_without_glue_is_walked_for() {
    let universe = universe();
    let walker = walker(&universe);
    let cuts = walker
        .cuts(&Name::from_ascii("other.test.").unwrap())
        .await
        .unwrap();
    let other = cuts.last().unwrap();
    assert_eq!(other.delegation.zone, "other.test.");
    assert!(other.delegation.glue.is_empty());
    assert_eq!(
        other.servers,
        [(
            "ns1.elsewhere.".to_owned(),
            universe.address("ns1.example.test")
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gathered_sources_show_a_stale_secondary_in_half_the_draws() {
    use certready::caa::sources::{disagreements, source_outcomes};
    use certready::dns::source::gather;

    let universe = universe();
    make_ns2_stale(&universe);
    let walker = walker(&universe);
    let climb = [
        "www.example.test".to_owned(),
        "example.test".into(),
        "test".into(),
    ];
    let zones = gather(&walker, &climb, Duration::from_millis(500), None)
        .await
        .unwrap();
    let names: Vec<&Vec<String>> = zones.iter().map(|zone| &zone.names).collect();
    assert_eq!(
        names,
        [
            &vec!["www.example.test".to_owned(), "example.test".into()],
            &vec!["test".to_owned()]
        ]
    );
    let requester = lets_encrypt();
    let answers: Vec<_> = zones.iter().map(|zone| zone.answers()).collect();
    let view = certready::caa::sources::view_sources(&climb, false, &zones, &requester, 4, true);
    assert_eq!(view.consistency.as_str(), "inconsistent");
    assert_eq!(view.verdict, certready::caa::Verdict::Denied);
    assert!((view.chance_of_issuance - 0.5 * (0.0625 + 0.25)).abs() < 1e-9);
    let outcomes = source_outcomes(&climb, false, &answers, &requester);
    // Servers of example.test.: ns1 (current), ns2 (stale; its glue, 127.0.0.99, answers
    // nothing), and ns3 at a private address, never asked: passed over.
    assert!((outcomes.denied - 0.5).abs() < 1e-9, "{outcomes:?}");
    assert!((outcomes.allowed - 0.5).abs() < 1e-9, "{outcomes:?}");
    let www: Vec<_> = zones[0]
        .servers
        .iter()
        .map(|said| said[0].clone())
        .collect();
    let codes: Vec<Option<&str>> = disagreements(&www)
        .iter()
        .map(|finding| finding.as_ref().map(|finding| finding.code()))
        .collect();
    assert!(codes.contains(&Some("stale-secondary")), "{codes:?}");
    // Nothing was sent off loopback.
    assert!(
        zones
            .iter()
            .flat_map(|zone| &zone.servers)
            .flatten()
            .all(|server| server.address.is_loopback()
                || server.soa == certready::caa::sources::Asked::NotAsked)
    );
}

/// `certready check NAME --source` walking `universe`, through a resolver that knows no name
/// (so the resolver's own view is NXDOMAIN), with `extra` options.
async fn check_source(universe: &Universe, name: &str, extra: &[&str]) -> std::process::Output {
    use crate::support::{Behaviour, DnsServer, certready};

    let resolver = DnsServer::start(Behaviour::default()).await;
    let nameserver = resolver.nameserver();
    let walk = universe.walk_args();
    let mut args = vec![
        "check",
        name,
        "--no-name-policy",
        "--nameserver",
        &nameserver,
        "--source",
    ];
    args.extend(walk.iter().map(String::as_str));
    args.extend(extra);
    certready(&args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn check_source_reports_every_server_and_the_worst_a_perspective_meets() {
    use crate::support::{json_lines, stderr};

    let universe = universe();
    make_ns2_stale(&universe);
    let output = check_source(&universe, "www.example.test", &["--json"]).await;
    let reports = json_lines(&output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = &reports[0];
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["consistency"], "inconsistent");
    assert_eq!(report["outcomes"]["denied"], 0.5);
    assert!((report["p_issue"].as_f64().unwrap() - 0.15625).abs() < 1e-9);
    let zone = &report["sources"][0];
    assert_eq!(zone["zone"], "example.test.");
    let findings: Vec<&str> = zone["servers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|server| server["findings"].as_array().unwrap())
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert!(findings.contains(&"stale-secondary"), "{zone}");
    let verdicts: Vec<Option<&str>> = zone["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|server| server["verdict"].as_str())
        .collect();
    // ns1 allows; ns2 at its glue (nothing there) gives no answer, at its own address it is
    // stale and denies; ns3 (private) is not asked.
    assert_eq!(
        verdicts,
        [Some("allowed"), None, Some("denied"), None],
        "{zone}"
    );
    assert!(findings.contains(&"private-address"), "{zone}");
    let zone_findings: Vec<&str> = zone["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert_eq!(zone_findings, ["ns-mismatch", "glue-mismatch"]);

    let output = check_source(&universe, "www.example.test", &[]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        text.contains("sources (every authoritative server, asked directly from the root)"),
        "{text}"
    );
    assert!(
        text.contains("the CA: the servers disagree: 50% of draws allow, 50% deny"),
        "{text}"
    );
    assert!(
        text.contains("    the difference: ns2.example.test. 127.0.0.14 leads to denied\n"),
        "{text}"
    );
    assert!(
        text.contains("Through the resolver this name is allowed; asked directly, its authoritative servers lead some of the CA's perspectives to denied."),
        "{text}"
    );
    assert!(text.lines().all(|line| line == line.trim_end()), "{text}");
}

/// A zone served by one healthy server and one server for each fault the --source rules
/// name; each server's findings, from a real walk and real answers.
#[tokio::test(flavor = "multi_thread")]
async fn each_faulty_server_is_named_by_its_finding() {
    use certready::caa::sources::view_sources;
    use certready::dns::source::gather;
    use hickory_server::proto::op::ResponseCode;

    use crate::support::authority::Fault;

    let faults = [
        ("ns1.faulty.test", None),
        (
            "ns2.faulty.test",
            Some(Fault::CaaRcode(ResponseCode::NotImp)),
        ),
        ("ns3.faulty.test", Some(Fault::DropsCaa)),
        ("ns4.faulty.test", Some(Fault::NoTcp)),
        ("ns5.faulty.test", Some(Fault::CaseNotPreserved)),
        ("ns6.faulty.test", Some(Fault::EdnsFormErr)),
        ("ns7.faulty.test", Some(Fault::Refused)),
        ("ns8.faulty.test", Some(Fault::Silent)),
        (
            "ns9.faulty.test",
            Some(Fault::CaaRcode(ResponseCode::ServFail)),
        ),
        (
            "nsa.faulty.test",
            Some(Fault::CaaRcode(ResponseCode::Refused)),
        ),
        (
            "nsb.faulty.test",
            Some(Fault::CaaRcode(ResponseCode::FormErr)),
        ),
    ];
    let servers: Vec<&str> = faults.iter().map(|(name, _)| *name).collect();
    let mut builder = UniverseBuilder::under_test(&[("faulty.test", &servers)]);
    let apex: String = faults
        .iter()
        .map(|(name, _)| format!("@ NS {name}.\n{name}. A {}\n", builder.address(name)))
        .collect();
    builder.zone(
        "faulty.test",
        &format!("@ SOA ns1 h 9 3600 600 86400 300\n{apex}www CAA 0 issue \"letsencrypt.org\"\n"),
        &servers,
    );
    for (name, fault) in &faults {
        if let Some(fault) = fault {
            builder.fault(name, fault.clone());
        }
    }
    let universe = builder.start();
    let walker = walker(&universe);
    let climb = [
        "www.faulty.test".to_owned(),
        "faulty.test".into(),
        "test".into(),
    ];
    let zones = gather(&walker, &climb, Duration::from_millis(300), None)
        .await
        .unwrap();
    let requester = lets_encrypt();
    let view = view_sources(&climb, false, &zones, &requester, 4, true);
    let found: Vec<(String, Vec<&str>)> = view.zones[0]
        .servers
        .iter()
        .map(|server| {
            (
                server.ns.clone(),
                server
                    .findings
                    .iter()
                    .map(|finding| finding.code())
                    .collect(),
            )
        })
        .collect();
    let expected: Vec<(String, Vec<&str>)> = [
        ("ns1.faulty.test.", vec![]),
        ("ns2.faulty.test.", vec!["rcode-notimp"]),
        ("ns3.faulty.test.", vec!["drops-caa"]),
        ("ns4.faulty.test.", vec!["tcp-broken"]),
        ("ns5.faulty.test.", vec!["case-not-preserved"]),
        ("ns6.faulty.test.", vec!["edns-broken"]),
        ("ns7.faulty.test.", vec!["lame"]),
        ("ns8.faulty.test.", vec!["unreachable"]),
        ("ns9.faulty.test.", vec!["rcode-servfail"]),
        ("nsa.faulty.test.", vec!["rcode-refused"]),
        ("nsb.faulty.test.", vec!["rcode-formerr"]),
    ]
    .into_iter()
    .map(|(ns, codes)| (ns.to_owned(), codes))
    .collect();
    assert_eq!(found, expected);
    assert_eq!(view.zones[0].findings, [], "glue and NS sets agree");
    // The servers that fail are passed over: every perspective is allowed.
    assert_eq!(view.consistency.as_str(), "consistent");
    assert_eq!(view.verdict, certready::caa::Verdict::Allowed);
}

#[tokio::test(flavor = "multi_thread")]
async fn zones_met_once_are_not_walked_again() {
    let universe = universe();
    let walker = walker(&universe);
    for name in [
        "www.example.test.",
        "example.test.",
        "mail.example.test.",
        "test.",
    ] {
        let cuts = walker.cuts(&Name::from_ascii(name).unwrap()).await.unwrap();
        assert!(!cuts.is_empty(), "{name}");
    }
    // The root was asked for the first name only; every later walk started below it.
    assert_eq!(universe.queries("a.root.test").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_answer_at_the_same_serial_is_inconsistent() {
    use certready::dns::source::gather;

    let universe = universe();
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        "@ SOA ns1 hostmaster 7 3600 600 86400 300
@ NS ns1
@ NS ns2
www CAA 0 issue \"sectigo.com\"
",
    );
    let walker = walker(&universe);
    let climb = [
        "www.example.test".to_owned(),
        "example.test".into(),
        "test".into(),
    ];
    let zones = gather(&walker, &climb, Duration::from_millis(300), None)
        .await
        .unwrap();
    let requester = lets_encrypt();
    let view = certready::caa::sources::view_sources(&climb, false, &zones, &requester, 4, true);
    let ns2: Vec<&str> = view.zones[0]
        .servers
        .iter()
        .filter(|server| server.address == universe.address("ns2.example.test").ip())
        .flat_map(|server| server.findings.iter().map(|finding| finding.code()))
        .collect();
    assert_eq!(ns2, ["inconsistent"]);
}

/// `alias.example.test` is a CNAME to `www.other.test`, whose two servers disagree: one at
/// serial 3 authorises Let's Encrypt, a stale one at serial 2 another CA.
fn alias_into_a_disagreeing_zone(universe: &Universe) {
    let ex1 = universe.address("ns1.example.test").ip().to_string();
    let ex2 = universe.address("ns2.example.test").ip().to_string();
    for server in ["ns1.example.test", "ns2.example.test"] {
        universe.set_zone(
            server,
            "example.test.",
            &format!(
                "@ SOA ns1 hostmaster 7 3600 600 86400 300
@ NS ns1
@ NS ns2
ns1 A {ex1}
ns2 A {ex2}
alias CNAME www.other.test.
"
            ),
        );
    }
    let nic = || {
        format!(
            "@ SOA ns1.nic hostmaster 2 3600 600 86400 300
@ NS ns1.nic
@ NS ns2.nic
ns1.nic A {}
ns2.nic A {}
example NS ns1.example
example NS ns2.example
ns1.example A {ex1}
ns2.example A {ex2}
other NS ns1.elsewhere.
other NS ns.elsewhere.
",
            universe.address("ns1.nic.test").ip(),
            universe.address("ns2.nic.test").ip(),
        )
    };
    for server in ["ns1.nic.test", "ns2.nic.test"] {
        universe.set_zone(server, "test.", &nic());
    }
    let other = |serial: u32, issuer: &str| {
        format!(
            "@ SOA ns1.elsewhere. hostmaster.elsewhere. {serial} 3600 600 86400 300
@ NS ns1.elsewhere.
@ NS ns.elsewhere.
www CAA 0 issue \"{issuer}\"
"
        )
    };
    universe.set_zone(
        "ns1.example.test",
        "other.test.",
        &other(3, "letsencrypt.org"),
    );
    universe.set_zone("ns.elsewhere", "other.test.", &other(2, "digicert.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cname_is_followed_into_a_zone_whose_servers_disagree() {
    use crate::support::{json_lines, stderr};

    let universe = universe();
    alias_into_a_disagreeing_zone(&universe);
    let output = check_source(&universe, "alias.example.test", &["--json"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = &json_lines(&output)[0];
    assert_eq!(report["verdict"], "denied", "{report}");
    assert_eq!(report["consistency"], "inconsistent");
    assert_eq!(report["outcomes"]["allowed"], 0.5);
    assert_eq!(report["outcomes"]["denied"], 0.5);
    let zones: Vec<&str> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|zone| zone["zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["example.test.", "test.", "other.test."], "{report}");
    let example = &report["sources"][0]["servers"];
    assert!(
        example
            .as_array()
            .unwrap()
            .iter()
            .filter(|server| server["findings"].as_array().unwrap().is_empty())
            .all(|server| server["outcome"] == "alias"),
        "{example}"
    );
    let other = &report["sources"][2];
    assert_eq!(other["names"][0], "www.other.test");
    let stale: Vec<&str> = other["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|server| server["findings"][0]["code"] == "stale-secondary")
        .map(|server| server["ns"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["ns.elsewhere."], "{other}");
    let human = check_source(&universe, "alias.example.test", &[]).await;
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("other.test.\n      ns.elsewhere.            127.0.0.15       records   2            stale-secondary"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_11_a_caa_set_truncated_over_udp_is_read_over_tcp() {
    use crate::support::authority::Fault;
    use crate::support::{json_lines, stderr};

    let mut builder = UniverseBuilder::under_test(&[("big.test", &["ns1.big.test"])]);
    builder.zone(
        "big.test",
        "@ SOA ns1 hostmaster 3 3600 600 86400 300\n@ NS ns1\nwww CAA 0 issue \"digicert.com\"\n",
        &["ns1.big.test"],
    );
    builder.fault("ns1.big.test", Fault::TruncatesCaa);
    let universe = builder.start();
    let output = check_source(&universe, "www.big.test", &["--json"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = &json_lines(&output)[0];
    // The empty truncated answer is no "no records": TCP's denies.
    assert_eq!(report["verdict"], "denied", "{report}");
    assert_eq!(report["consistency"], "consistent");
    assert_eq!(
        report["sources"][0]["servers"][0]["findings"],
        serde_json::json!([])
    );
}
