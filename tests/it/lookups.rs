//! How the lookups behave over real sockets: failures, aliases, truncation and TCP, the
//! parallel climb. The binary against a hickory-server on loopback; each test names the rule
//! or behaviour of the issue it covers.

use std::time::{Duration, Instant};

use crate::support::{
    Behaviour, DnsServer, Fault, certready, check_json, raw_caa, report, status, stderr,
};
use hickory_server::net::xfer::Protocol;
use hickory_server::proto::op::ResponseCode;
use serde_json::Value;

fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lookup| {
            (
                lookup["name"].as_str().unwrap().to_owned(),
                lookup["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const FAST: [&str; 4] = ["--timeout", "0.3", "--retries", "1"];

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_1_all_lookups_of_a_climb_start_at_once() {
    let server = DnsServer::start(Behaviour::default().delay(Duration::from_millis(200))).await;
    let started = Instant::now();
    let report = report(&server, "b.c.d.parent2.example.test", &[]).await;
    let elapsed = started.elapsed();
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["relevant"]["owner"], "d.parent2.example.test");
    assert_eq!(server.stats.distinct_names(), 6, "one name per label");
    assert_eq!(
        server.stats.max_in_flight(),
        6,
        "the server saw all six queries in flight together"
    );
    // A figure for the record, not an assertion: about one round trip, not six.
    eprintln!("6-label check against a 200 ms server took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_8_nxdomain_at_a_tld_is_an_error() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, reports) = check_json(&server, &["www.example.nosuchtld"], &[]).await;
    assert_eq!(status(&output), 3);
    assert_eq!(reports[0]["verdict"], "error");
    assert_eq!(
        outcomes(&reports[0]),
        vec![
            ("www.example.nosuchtld".into(), "nxdomain".into()),
            ("example.nosuchtld".into(), "nxdomain".into()),
            ("nosuchtld".into(), "nxdomain".into()),
        ]
    );
    assert!(
        reports[0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("TLD nosuchtld")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_9_every_error_rcode_at_or_below_the_relevant_name_is_an_error() {
    let cases = [
        (ResponseCode::ServFail, "servfail"),
        (ResponseCode::Refused, "refused"),
        (ResponseCode::NotImp, "notimp"),
        (ResponseCode::FormErr, "formerr"),
    ];
    for (rcode, outcome) in cases {
        // The parent allows: only the failure below it can make this an error (behaviour 5).
        let server = DnsServer::start(
            Behaviour::default().fault("www.allowed.example.test", Fault::Rcode(rcode)),
        )
        .await;
        let report = report(&server, "www.allowed.example.test", &[]).await;
        assert_eq!(report["verdict"], "error", "{outcome}");
        assert_eq!(report["lookups"][0]["outcome"], outcome);
        assert_eq!(report["relevant"], Value::Null);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_5_a_failure_above_the_relevant_rrset_does_not_matter() {
    let server = DnsServer::start(
        Behaviour::default().fault("example.test", Fault::Rcode(ResponseCode::ServFail)),
    )
    .await;
    let report = report(&server, "allowed.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["lookups"][1]["outcome"], "servfail");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_10_a_timeout_after_retries_is_an_error() {
    let server =
        DnsServer::start(Behaviour::default().fault("silent.example.test", Fault::Silent)).await;
    let report = report(&server, "silent.example.test", &FAST).await;
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["lookups"][0]["outcome"], "timeout");
    let asked = server
        .stats
        .queries()
        .iter()
        .filter(|(name, _)| name == "silent.example.test")
        .count();
    assert!(asked >= 2, "each attempt sends at least once: {asked}");
    assert!(
        report["lookups"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("2 attempt(s)"),
        "{}",
        report["lookups"][0]["detail"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_datagram_is_sent_again_within_the_attempt() {
    let server = DnsServer::start(
        Behaviour::default().fault("lossy.allowed.example.test", Fault::DropFirst),
    )
    .await;
    // One attempt of 10 s and a 3 s deadline: only a resend within the attempt can answer.
    let report = report(
        &server,
        "lossy.allowed.example.test",
        &["--timeout", "10", "--retries", "0", "--deadline", "3"],
    )
    .await;
    assert_eq!(report["verdict"], "allowed", "{report}");
    assert_eq!(report["lookups"][0]["outcome"], "nxdomain");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_10_a_dead_server_is_an_error_and_the_next_server_is_tried() {
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead_address = dead.local_addr().unwrap().to_string();
    drop(dead);
    let output = certready(&[
        "check",
        "--no-name-policy",
        "--json",
        "--nameserver",
        &dead_address,
        "--timeout",
        "0.3",
        "--retries",
        "0",
        "allowed.example.test",
    ])
    .await;
    assert_eq!(status(&output), 3);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let outcome = report["lookups"][0]["outcome"].as_str().unwrap();
    assert!(["unreachable", "timeout"].contains(&outcome), "{outcome}");

    let server = DnsServer::start(Behaviour::default()).await;
    let live = server.nameserver();
    let output = certready(&[
        "check",
        "--no-name-policy",
        "--json",
        "--nameserver",
        &dead_address,
        "--nameserver",
        &live,
        "--timeout",
        "0.3",
        "--retries",
        "1",
        "allowed.example.test",
    ])
    .await;
    assert_eq!(status(&output), 0, "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_11_and_behaviour_2_a_thousand_record_rrset_is_read_whole_over_tcp() {
    let server = DnsServer::start(Behaviour::default()).await;
    let report = report(&server, "big.test", &[]).await;
    // Only the last of the 1000 records names the CA.
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(
        report["relevant"]["records"].as_array().unwrap().len(),
        1000
    );
    let protocols: Vec<Protocol> = server
        .stats
        .queries()
        .into_iter()
        .filter(|(name, _)| name == "big.test")
        .map(|(_, protocol)| protocol)
        .collect();
    assert_eq!(protocols, vec![Protocol::Udp, Protocol::Tcp]);
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_3_a_large_answer_with_a_refused_tag_is_read_over_tcp() {
    let mut records: Vec<_> = (0..300)
        .map(|i| raw_caa(0, "issue", format!("ca{i}.example").as_bytes()))
        .collect();
    records.push(raw_caa(0, "bad-tag", b"x"));
    records.push(raw_caa(0, "issue", b"letsencrypt.org"));
    let server = DnsServer::start(
        Behaviour::default().fault("big.example.test", Fault::CaaRecords(records)),
    )
    .await;
    let report = report(&server, "big.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["relevant"]["records"].as_array().unwrap().len(), 302);
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_11_a_truncated_answer_that_tcp_cannot_complete_is_an_error() {
    let server = DnsServer::start(
        Behaviour::default().fault("www.allowed.example.test", Fault::TruncatedWithoutTcp),
    )
    .await;
    let report = report(&server, "www.allowed.example.test", &FAST).await;
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["lookups"][0]["outcome"], "truncated");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_12_a_dnssec_failure_is_an_error_and_says_so() {
    let server = DnsServer::start(Behaviour::default().fault(
        "signed.example.test",
        Fault::RcodeWithExtendedError(ResponseCode::ServFail, 7, "signature expired"),
    ))
    .await;
    let report = report(&server, "signed.example.test", &[]).await;
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["lookups"][0]["outcome"], "servfail");
    let detail = report["lookups"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("DNSSEC: signature expired"), "{detail}");
    let extended = &report["lookups"][0]["extended_error"];
    assert_eq!(extended["info_code"], 7);
    assert_eq!(extended["dnssec"], true);
    assert_eq!(extended["text"], "signature expired");
    assert!(
        report["advice"][0]
            .as_str()
            .unwrap()
            .starts_with("DNSSEC validation failed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_13_cname_chains_within_a_zone_are_followed() {
    let server = DnsServer::start(Behaviour::default()).await;
    let report = report(&server, "chain.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["relevant"]["owner"], "chain.example.test");
    let hops: Vec<(&str, &str)> = report["relevant"]["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["from"].as_str().unwrap(), a["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        hops,
        vec![
            ("chain.example.test", "www.example.test"),
            ("www.example.test", "allowed.example.test")
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_13_a_cname_into_another_zone_is_chased_and_its_records_count() {
    let server = DnsServer::start(Behaviour::default()).await;
    let report = report(&server, "cross.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["relevant"]["owner"], "cross.example.test");
    assert_eq!(report["relevant"]["aliases"][0]["type"], "CNAME");
    assert_eq!(report["relevant"]["aliases"][0]["to"], "target.other.test");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_13_an_empty_alias_target_climbs_from_the_original_name_not_the_target() {
    let server = DnsServer::start(Behaviour::default()).await;
    for name in ["cross-nodata.example.test", "dangling.example.test"] {
        let report = report(&server, name, &[]).await;
        assert_eq!(report["verdict"], "allowed", "{name}");
        let names: Vec<String> = outcomes(&report).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            vec![name.to_owned(), "example.test".into(), "test".into()]
        );
    }
    let dangling = report(&server, "dangling.example.test", &[]).await;
    assert_eq!(dangling["lookups"][0]["outcome"], "nxdomain");
    assert_eq!(
        dangling["lookups"][0]["aliases"][0]["to"],
        "missing.other.test"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_14_a_chain_that_ends_in_a_failure_is_an_error() {
    let server = DnsServer::start(
        Behaviour::default().fault("target.other.test", Fault::Rcode(ResponseCode::ServFail)),
    )
    .await;
    let report = report(&server, "cross.example.test", &[]).await;
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["lookups"][0]["outcome"], "servfail");
    assert_eq!(
        report["lookups"][0]["aliases"][0]["to"],
        "target.other.test"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_13_and_14_a_dname_redirects_names_below_its_owner_only() {
    let server =
        DnsServer::start(Behaviour::default().dname("dname.example.test", "other.test")).await;
    let redirected = report(&server, "target.dname.example.test", &[]).await;
    assert_eq!(redirected["verdict"], "denied");
    assert_eq!(redirected["relevant"]["aliases"][0]["type"], "DNAME");
    assert_eq!(
        redirected["relevant"]["aliases"][0]["owner"],
        "dname.example.test"
    );
    assert_eq!(
        redirected["relevant"]["aliases"][0]["to"],
        "target.other.test"
    );
    // Nothing at x.other.test: climb to the DNAME's owner, whose own records count.
    let below = report(&server, "x.dname.example.test", &[]).await;
    assert_eq!(below["verdict"], "allowed");
    assert_eq!(below["relevant"]["owner"], "dname.example.test");
    assert_eq!(below["relevant"]["aliases"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_4_a_cname_loop_is_an_error_not_no_records() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, reports) = check_json(&server, &["loop1.example.test"], &[]).await;
    assert_eq!(status(&output), 3);
    assert_eq!(reports[0]["verdict"], "error");
    assert_eq!(reports[0]["lookups"][0]["outcome"], "alias-loop");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_longer_than_resolvers_follow_is_alias_chain_too_long_not_a_loop() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, reports) = check_json(&server, &["long-chain.example.test"], &[]).await;
    assert_eq!(status(&output), 3);
    assert_eq!(reports[0]["verdict"], "error");
    assert_eq!(reports[0]["lookups"][0]["outcome"], "alias-chain-too-long");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_8_caa_records_in_an_nxdomain_answer_count_as_boulder_counts_them() {
    let server = DnsServer::start(Behaviour::default().fault(
        "gone.example.test",
        Fault::NxDomainWithCaa(vec![raw_caa(0, "issue", b"digicert.com")]),
    ))
    .await;
    let report = report(&server, "gone.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["lookups"][0]["outcome"], "records");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_7_records_owned_by_another_name_count_and_the_report_names_their_owner() {
    let server = DnsServer::start(Behaviour::default().fault(
        "stray.example.test",
        Fault::CaaOwnedBy(
            "elsewhere.example.test",
            vec![raw_caa(0, "issue", b"digicert.com")],
        ),
    ))
    .await;
    let report = report(&server, "stray.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert_eq!(
        report["lookups"][0]["other_owners"],
        serde_json::json!(["elsewhere.example.test"])
    );
    assert!(report["lookups"][1].get("other_owners").is_none());
    let nameserver = server.nameserver();
    let human = certready(&[
        "check",
        "--no-name-policy",
        "--nameserver",
        &nameserver,
        "stray.example.test",
    ])
    .await;
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("records owned by elsewhere.example.test, not stray.example.test"),
        "{text}"
    );
}
