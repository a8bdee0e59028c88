//! `certready expiry` end to end: the real binary against TLS servers on loopback serving
//! chains made by the test PKI at the real clock, host names resolved by the test DNS server.
//! Each case asserts the class, the exit status, the finding codes and the trust verdict.

use std::path::PathBuf;
use std::process::Output;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::support::pki::{Leaf, Pki};
use crate::support::tls::{ClosingServer, SilentServer, TlsServer};
use crate::support::{
    Behaviour, DnsServer, assert_usage_errors, certready, finding_codes, json_lines, scratch_file,
    status, stderr,
};

const HOST: &str = "tls.example.test";

fn pki() -> Pki {
    Pki::at(OffsetDateTime::now_utc())
}

/// The test PKI's root, as a `--ca-file`.
fn root_file(pki: &Pki) -> PathBuf {
    scratch_file("root.pem", pki.root_pem().as_bytes())
}

fn der(certificates: &[&[u8]]) -> Vec<CertificateDer<'static>> {
    certificates
        .iter()
        .map(|certificate| CertificateDer::from(certificate.to_vec()))
        .collect()
}

fn key(leaf: &Leaf) -> PrivateKeyDer<'static> {
    PrivatePkcs8KeyDer::from(leaf.key_der.clone()).into()
}

/// A server for `leaf` serving the leaf and the intermediate, as servers should.
fn serve(pki: &Pki, leaf: &Leaf) -> TlsServer {
    TlsServer::start(der(&[&leaf.der, &pki.intermediate_der()]), key(leaf))
}

/// `certready expiry HOST --json --connect-to HOST:443:SERVER --ca-file ROOT EXTRA...`.
async fn expiry(pki: &Pki, server: &TlsServer, extra: &[&str]) -> (Output, Value) {
    let connect_to = format!("{HOST}:443:{}", server.address());
    let root = root_file(pki);
    let mut args = vec![
        "expiry",
        HOST,
        "--json",
        "--connect-to",
        &connect_to,
        "--ca-file",
        root.to_str().unwrap(),
    ];
    args.extend(extra);
    let output = certready(&args).await;
    let mut reports = json_lines(&output);
    assert_eq!(reports.len(), 1, "stderr: {}", stderr(&output));
    (output, reports.remove(0))
}

/// The finding codes but `root-not-served`, which every sound served chain has.
fn codes(report: &Value) -> Vec<&str> {
    finding_codes(report)
        .into_iter()
        .filter(|code| *code != "root-not-served")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sound_chain_is_ok_and_reported_in_full() {
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build();
    let server = serve(&pki, &leaf);
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 0, "{report}");
    assert_eq!(report["status"], "ok");
    assert_eq!(report["sni"], HOST);
    assert_eq!(report["address"], server.address().to_string());
    assert_eq!(report["trust"]["verified"], true);
    assert_eq!(report["chain"]["complete"], true);
    assert_eq!(report["chain"]["in_order"], true);
    assert_eq!(report["issued_by_lets_encrypt"], false);
    assert_eq!(report["leaf"]["dns_names"], serde_json::json!([HOST]));
    assert!(report["days_left"].as_i64().unwrap() > 30);
    assert_eq!(server.sni_seen(), [Some(HOST.to_owned())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_name_resolves_through_the_nameserver_given() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build();
    let server = serve(&pki, &leaf);
    let root = root_file(&pki);
    let target = format!("{HOST}:{}", server.address().port());
    let output = certready(&[
        "expiry",
        &target,
        "--json",
        "--nameserver",
        &dns.nameserver(),
        "--ca-file",
        root.to_str().unwrap(),
    ])
    .await;
    let reports = json_lines(&output);
    assert_eq!(status(&output), 0, "{reports:?} {}", stderr(&output));
    assert_eq!(reports[0]["address"], server.address().to_string());

    // A name without an address cannot be checked: undetermined.
    let output = certready(&[
        "expiry",
        "no-address.example.test",
        "--json",
        "--nameserver",
        &dns.nameserver(),
    ])
    .await;
    let reports = json_lines(&output);
    assert_eq!(status(&output), 3);
    assert_eq!(reports[0]["error"]["code"], "no-address");
}

#[tokio::test(flavor = "multi_thread")]
async fn validity_20_days_left_is_a_warning_5_critical_and_expired_critical() {
    let pki = pki();
    for (leaf, exit, class, code) in [
        (
            pki.leaf(&[HOST]).expires_in_days(20).build(),
            4,
            "warning",
            "leaf-expires-soon",
        ),
        (
            pki.leaf(&[HOST]).expires_in_days(5).build(),
            1,
            "critical",
            "leaf-expires-very-soon",
        ),
        (
            pki.leaf(&[HOST]).expired().build(),
            1,
            "critical",
            "expired",
        ),
    ] {
        let server = serve(&pki, &leaf);
        let (output, report) = expiry(&pki, &server, &[]).await;
        assert_eq!(status(&output), exit, "{report}");
        assert_eq!(report["status"], class);
        assert_eq!(codes(&report), [code]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_a_certificate_for_another_name_is_critical() {
    let pki = pki();
    let leaf = pki.leaf(&["other.example.test"]).build();
    let server = serve(&pki, &leaf);
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 1);
    assert_eq!(codes(&report), ["name-not-covered"]);
    assert_eq!(report["trust"]["failure"], "name-mismatch");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_a_wildcard_leaf_serves_one_label_below_it() {
    let pki = pki();
    let leaf = pki.leaf(&["*.example.test"]).build();
    let server = serve(&pki, &leaf);
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 0, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_completeness_a_missing_intermediate_is_critical_and_not_verifiable() {
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build();
    let server = TlsServer::start(der(&[&leaf.der]), key(&leaf));
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 1);
    assert_eq!(codes(&report), ["issuer-missing"]);
    assert_eq!(report["chain"]["complete"], false);
    assert_eq!(report["trust"]["failure"], "unknown-issuer");
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_order_a_chain_served_out_of_order_is_a_warning_when_it_verifies() {
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build();
    let server = TlsServer::start(
        der(&[&leaf.der, &pki.root_der(), &pki.intermediate_der()]),
        key(&leaf),
    );
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 4, "{report}");
    assert_eq!(report["status"], "warning");
    assert_eq!(codes(&report), ["chain-out-of-order"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(report["chain"]["order"], serde_json::json!([0, 2, 1]));
    assert_eq!(report["trust"]["verified"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_completeness_a_leaf_issued_by_a_trusted_root_lacks_nothing() {
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build_by_root();
    let server = TlsServer::start(der(&[&leaf.der]), key(&leaf));
    let (output, report) = expiry(&pki, &server, &[]).await;
    assert_eq!(status(&output), 0, "{report}");
    assert_eq!(report["chain"]["complete"], true);
    assert_eq!(report["findings"][0]["code"], "root-not-served");
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_a_private_root_needs_ca_file() {
    let pki = pki();
    let leaf = pki.leaf(&[HOST]).build();
    let server = serve(&pki, &leaf);
    let other = Pki::at(OffsetDateTime::now_utc());
    // Trusting another root of the same name: the intermediate's signature is not its.
    let (output, report) = expiry(&other, &server, &[]).await;
    assert_eq!(status(&output), 1);
    assert_eq!(report["trust"]["failure"], "bad-signature");
    assert_eq!(report["status"], "critical");
    assert_eq!(codes(&report), Vec::<&str>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ip_address_sends_no_sni_and_is_checked_against_ip_names() {
    let pki = pki();
    let leaf = pki.leaf(&["127.0.0.1"]).build();
    let server = serve(&pki, &leaf);
    let root = root_file(&pki);
    let target = server.address().to_string();
    let output = certready(&[
        "expiry",
        &target,
        "--json",
        "--ca-file",
        root.to_str().unwrap(),
    ])
    .await;
    let reports = json_lines(&output);
    assert_eq!(status(&output), 0, "{reports:?}");
    assert_eq!(reports[0]["sni"], Value::Null);
    assert_eq!(reports[0]["checked_name"], "127.0.0.1");
    assert_eq!(server.sni_seen(), [None]);
}

#[tokio::test(flavor = "multi_thread")]
async fn servername_overrides_the_name_sent_and_checked() {
    let pki = pki();
    let right = pki.leaf(&["right.example.test"]).build();
    let wrong = pki.leaf(&["wrong.example.test"]).build();
    let server = TlsServer::start_by_name(
        vec![(
            "right.example.test",
            der(&[&right.der, &pki.intermediate_der()]),
            key(&right),
        )],
        der(&[&wrong.der, &pki.intermediate_der()]),
        key(&wrong),
    );
    let (output, report) = expiry(&pki, &server, &["--servername", "right.example.test"]).await;
    assert_eq!(status(&output), 0, "{report}");
    assert_eq!(report["checked_name"], "right.example.test");
    assert_eq!(server.sni_seen(), [Some("right.example.test".to_owned())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_that_never_handshake_are_undetermined() {
    let silent = SilentServer::start();
    let closing = ClosingServer::start();
    // A port that was just free: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let targets = [
        silent.address().to_string(),
        closing.address().to_string(),
        dead.to_string(),
    ];
    let mut args = vec!["expiry", "--json", "--deadline", "1"];
    args.extend(targets.iter().map(String::as_str));
    let output = certready(&args).await;
    assert_eq!(status(&output), 3);
    let codes: Vec<Value> = json_lines(&output)
        .iter()
        .map(|report| report["error"]["code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            "handshake-timeout",
            "closed-during-handshake",
            "connection-refused"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_runs_keep_input_order_mark_invalid_lines_and_fold_the_status() {
    let pki = pki();
    let good = serve(&pki, &pki.leaf(&[HOST]).build());
    let expiring = serve(&pki, &pki.leaf(&[HOST]).expires_in_days(20).build());
    let root = root_file(&pki);
    let hosts = format!(
        "# hosts\n{}\nnot a host\n{}\n",
        good.address(),
        expiring.address()
    );
    let input = scratch_file("hosts.txt", hosts.as_bytes());
    let output = certready(&[
        "expiry",
        "--json",
        "--input",
        input.to_str().unwrap(),
        "--ca-file",
        root.to_str().unwrap(),
        "--servername",
        HOST,
    ])
    .await;
    let reports = json_lines(&output);
    let classes: Vec<(&Value, &Value)> = reports
        .iter()
        .map(|report| (&report["line"], &report["status"]))
        .collect();
    assert_eq!(
        classes,
        [
            (&Value::from(2), &Value::from("ok")),
            (&Value::from(3), &Value::from("invalid")),
            (&Value::from(4), &Value::from("warning")),
        ]
    );
    // An invalid line outranks a warning.
    assert_eq!(status(&output), 2);
    let summary = stderr(&output);
    assert!(
        summary.contains("1 ok, 1 warning, 0 critical, 0 unknown, 1 invalid"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nagios_prints_one_plugin_line_with_days_left_and_plugin_exit_codes() {
    let pki = pki();
    let root = root_file(&pki);
    let nagios = |server: &TlsServer| {
        let connect_to = format!("{HOST}:443:{}", server.address());
        let root = root.to_str().unwrap().to_owned();
        async move {
            certready(&[
                "expiry",
                HOST,
                "--nagios",
                "--connect-to",
                &connect_to,
                "--ca-file",
                &root,
            ])
            .await
        }
    };
    let good = serve(&pki, &pki.leaf(&[HOST]).expires_in_days(60).build());
    let output = nagios(&good).await;
    let line = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(status(&output), 0, "{line}");
    assert_eq!(
        line,
        format!("CERTREADY OK - {HOST}:443 expires in 60 days | days_left=60;30:;7:\n")
    );
    let soon = serve(&pki, &pki.leaf(&[HOST]).expires_in_days(20).build());
    assert_eq!(status(&nagios(&soon).await), 1);
    let expired = serve(&pki, &pki.leaf(&[HOST]).expired().build());
    let output = nagios(&expired).await;
    assert_eq!(status(&output), 2);
    let line = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(line.starts_with("CERTREADY CRITICAL - "), "{line}");
    let silent = SilentServer::start();
    let output = certready(&[
        "expiry",
        &silent.address().to_string(),
        "--nagios",
        "--deadline",
        "1",
    ])
    .await;
    assert_eq!(status(&output), 3);
    let line = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(line.starts_with("CERTREADY UNKNOWN - "), "{line}");
    assert!(line.ends_with("| days_left=U;30:;7:\n"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nagios_takes_input_lines_and_says_unknown_when_it_cannot_run() {
    let pki = pki();
    let root = root_file(&pki);
    let good = serve(&pki, &pki.leaf(&["127.0.0.1"]).build());
    let hosts = format!("{}\nnot a host\n", good.address());
    let input = scratch_file("hosts.txt", hosts.as_bytes());
    let output = certready(&[
        "expiry",
        "--nagios",
        "--input",
        input.to_str().unwrap(),
        "--ca-file",
        root.to_str().unwrap(),
    ])
    .await;
    let line = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(status(&output), 3, "{line}");
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("CERTREADY UNKNOWN - line 2 \"not a host\""),
        "{line}"
    );
    assert!(line.trim_end().ends_with(";30:;7:"), "{line}");

    for args in [
        vec!["expiry", "--nagios", "exa mple.com"],
        vec![
            "expiry",
            "--nagios",
            "example.com",
            "--ca-file",
            "/nonexistent.pem",
        ],
    ] {
        let output = certready(&args).await;
        let line = String::from_utf8(output.stdout.clone()).unwrap();
        assert_eq!(status(&output), 3, "{args:?}");
        assert!(line.starts_with("CERTREADY UNKNOWN - "), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_hosts_and_options_exit_2_naming_the_input() {
    assert_usage_errors(&[
        (&["expiry", "exa mple.com"], "invalid host \"exa mple.com\""),
        (
            &["expiry", "example.com:0"],
            "invalid host \"example.com:0\"",
        ),
        (
            &["expiry", "example.com", "--connect-to", "example.com:443"],
            "expected HOST:PORT:ADDR:PORT",
        ),
        (
            &["expiry", "example.com", "--ca-file", "/nonexistent.pem"],
            "cannot read --ca-file /nonexistent.pem",
        ),
        (
            &["expiry", "example.com", "--nagios", "--json"],
            "cannot be used with",
        ),
    ])
    .await;
}
