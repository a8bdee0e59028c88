//! The CA's verdict over real DNS: the binary against a hickory-server on loopback serving
//! `testdata/zones`. Each test names the rulebook rules it covers.

use crate::support::{Behaviour, DnsServer, Fault, raw_caa, report};
use hickory_server::proto::op::ResponseCode;
use serde_json::Value;

const ACCOUNT_1: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/1";

async fn verdict(server: &DnsServer, name: &str, extra: &[&str]) -> String {
    report(server, name, extra).await["verdict"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn zones() -> DnsServer {
    DnsServer::start(Behaviour::default()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_21_a_record_naming_the_ca_allows_another_ca_denies_and_records_add_up() {
    let server = zones().await;
    assert_eq!(
        verdict(&server, "allowed.example.test", &[]).await,
        "allowed"
    );
    assert_eq!(verdict(&server, "denied.example.test", &[]).await, "denied");
    assert_eq!(verdict(&server, "multi.example.test", &[]).await, "allowed");
    assert_eq!(verdict(&server, "nobody.example.test", &[]).await, "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_5_records_at_a_parent_decide_for_the_names_below_it() {
    let server = zones().await;
    let report = report(&server, "www.sub.parent.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["relevant"]["owner"], "parent.example.test");
    assert_eq!(
        report["relevant"]["records"][0],
        serde_json::json!({"flags": 0, "tag": "issue", "value": "digicert.com"})
    );
    let climb: Vec<(&str, &str)> = report["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        climb,
        vec![
            ("www.sub.parent.example.test", "nxdomain"),
            ("sub.parent.example.test", "nxdomain"),
            ("parent.example.test", "records"),
            ("example.test", "nodata"),
            ("test", "nodata"),
        ]
    );
    let reasons = report["reasons"].as_array().unwrap();
    assert!(
        reasons[0].as_str().unwrap().contains("digicert.com"),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_5_no_records_anywhere_allows() {
    let server = zones().await;
    let report = report(&server, "nothing.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["relevant"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_6_and_20_an_iodef_only_set_stops_the_climb_and_allows() {
    // The TLD fails, but the climb stops at the iodef record below it.
    let server =
        DnsServer::start(Behaviour::default().fault("test", Fault::Rcode(ResponseCode::ServFail)))
            .await;
    let report = report(&server, "iodef-only.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["relevant"]["owner"], "iodef-only.example.test");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_15_tags_compare_case_insensitively() {
    let server = DnsServer::start(Behaviour::default().fault(
        "case.example.test",
        Fault::CaaRecords(vec![raw_caa(0, "IsSuE", b"digicert.com")]),
    ))
    .await;
    assert_eq!(verdict(&server, "case.example.test", &[]).await, "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_17_a_critical_unknown_tag_denies_and_flag_1_counts_as_critical() {
    let server = zones().await;
    assert_eq!(
        verdict(&server, "critical.example.test", &[]).await,
        "denied"
    );
    assert_eq!(
        verdict(&server, "flag-one.example.test", &[]).await,
        "denied"
    );
    assert_eq!(
        verdict(&server, "critical-known.example.test", &[]).await,
        "allowed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_18_and_19_issuewild_applies_to_wildcards_only() {
    let server = zones().await;
    assert_eq!(verdict(&server, "wild.example.test", &[]).await, "allowed");
    assert_eq!(verdict(&server, "*.wild.example.test", &[]).await, "denied");
    // No issuewild: a wildcard falls back to issue.
    assert_eq!(
        verdict(&server, "*.allowed.example.test", &[]).await,
        "allowed"
    );
    assert_eq!(
        verdict(&server, "*.denied.example.test", &[]).await,
        "denied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_24_a_hyphenated_parameter_tag_makes_the_record_malformed() {
    let server = zones().await;
    let report = report(&server, "hyphen-param.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert!(
        report["reasons"][0].as_str().unwrap().contains("malformed"),
        "{}",
        report["reasons"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_25_the_issuer_must_match_exactly() {
    let server = zones().await;
    assert_eq!(
        verdict(&server, "near-case.example.test", &[]).await,
        "denied"
    );
    assert_eq!(
        verdict(&server, "near-dot.example.test", &[]).await,
        "denied"
    );
    assert_eq!(
        verdict(&server, "denied.example.test", &["--ca", "digicert.com"]).await,
        "allowed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_27_and_28_accounturi_must_be_single_and_exact() {
    let server = zones().await;
    let as_account = |uri: &'static str| ["--account-uri", uri, "--method", "http-01"];
    assert_eq!(
        verdict(&server, "account.example.test", &as_account(ACCOUNT_1)).await,
        "allowed"
    );
    assert_eq!(
        verdict(
            &server,
            "account.example.test",
            &as_account("https://acme-v01.api.letsencrypt.org/acme/reg/1")
        )
        .await,
        "allowed"
    );
    assert_eq!(
        verdict(
            &server,
            "account.example.test",
            &as_account("https://acme-v02.api.letsencrypt.org/acme/acct/2")
        )
        .await,
        "denied"
    );
    assert_eq!(
        verdict(
            &server,
            "repeated-account.example.test",
            &as_account(ACCOUNT_1)
        )
        .await,
        "denied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_32_an_account_restriction_is_no_permission_for_a_platform() {
    let server = zones().await;
    let report = report(&server, "account.example.test", &[]).await;
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["account_uri"], Value::Null);
    assert!(
        report["reasons"][0].as_str().unwrap().contains(ACCOUNT_1),
        "the report names the account: {}",
        report["reasons"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_29_to_31_and_33_validationmethods() {
    let server = zones().await;
    // A platform validates a plain name with http-01 or tls-alpn-01: dns-01 only denies.
    assert_eq!(
        verdict(&server, "dns-only.example.test", &[]).await,
        "denied"
    );
    // ...and a wildcard with dns-01, which is admitted.
    assert_eq!(
        verdict(&server, "*.dns-only.example.test", &[]).await,
        "allowed"
    );
    let report = report(&server, "dns-only.example.test", &["--method", "dns-01"]).await;
    assert_eq!(report["verdict"], "allowed");
    assert_eq!(report["method"], "dns-01");
    assert_eq!(
        verdict(
            &server,
            "dns-only.example.test",
            &["--method", "tls-alpn-01"]
        )
        .await,
        "denied"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_3_tags_a_dns_library_refuses_are_read_beside_the_good_record() {
    let server = zones().await;
    let report = report(&server, "bad-tag.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    let tags: Vec<&str> = report["relevant"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags.len(), 2);
    assert!(tags.contains(&"bad-tag"), "{tags:?}");
    // The same unknown tag flagged critical denies (rule 17).
    assert_eq!(
        verdict(&server, "bad-tag-critical.example.test", &[]).await,
        "denied"
    );
    assert_eq!(
        verdict(&server, "long-tag.example.test", &[]).await,
        "allowed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_3_non_utf8_values_and_empty_tags_are_kept_losslessly() {
    let server = DnsServer::start(Behaviour::default().fault(
        "raw.example.test",
        Fault::CaaRecords(vec![
            raw_caa(0, "issue", b"letsencrypt.org"),
            raw_caa(0, "issue", b"ca.example\xff"),
            raw_caa(0, "", b"empty tag"),
        ]),
    ))
    .await;
    let report = report(&server, "raw.example.test", &[]).await;
    assert_eq!(report["verdict"], "allowed");
    let records = &report["relevant"]["records"];
    assert_eq!(records[1]["value_hex"], "63612e6578616d706c65ff");
    assert_eq!(records[2]["tag"], "");
    assert_eq!(records[0].get("value_hex"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_1_and_2_the_report_names_the_ascii_name_with_its_wildcard_mark() {
    let server = zones().await;
    let report = report(&server, "*.Bücher.Example.TEST.", &[]).await;
    assert_eq!(report["name"], "*.xn--bcher-kva.example.test");
    assert_eq!(report["wildcard"], true);
    assert_eq!(report["ca"], "letsencrypt.org");
    assert_eq!(report["lookups"][0]["name"], "xn--bcher-kva.example.test");
}
