//! The human report as a newcomer sees it, colour off: one snapshot per kind of denial and
//! error (`tests/it/snapshots`), and untrusted bytes printed escaped, never raw.

use crate::support::{Behaviour, DnsServer, Fault, certready, raw_caa, status};
use hickory_server::proto::op::ResponseCode;

/// `certready check NAME --color never` plus `flags`, against `server`; stdout.
async fn human(server: &DnsServer, name: &str, flags: &[&str]) -> String {
    let nameserver = server.nameserver();
    let mut args = vec![
        "check",
        "--no-name-policy",
        "--color",
        "never",
        "--nameserver",
        &nameserver,
    ];
    args.extend(flags);
    args.push(name);
    let output = certready(&args).await;
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the report is UTF-8")
}

/// Snapshots a report with the server's random port masked.
macro_rules! snapshot {
    ($name:expr, $report:expr) => {
        let report: String = $report;
        insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "[server]")]}, {
            insta::assert_snapshot!($name, report);
        })
    };
}

async fn zones() -> DnsServer {
    DnsServer::start(Behaviour::default().dname("dname.example.test", "other.test")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn denials() {
    let server = zones().await;
    let account_2 = "https://acme-v02.api.letsencrypt.org/acme/acct/2";
    let cases: [(&str, &str, &[&str]); 15] = [
        ("denied_another_ca", "denied.example.test", &[]),
        ("denied_nobody", "nobody.example.test", &[]),
        ("denied_at_a_parent", "www.sub.parent.example.test", &[]),
        ("denied_critical_tag", "critical.example.test", &[]),
        (
            "denied_critical_and_another_ca",
            "critical-other.example.test",
            &[],
        ),
        ("denied_malformed", "malformed.example.test", &[]),
        (
            "denied_hyphenated_parameter",
            "hyphen-param.example.test",
            &[],
        ),
        ("denied_near_miss_case", "near-case.example.test", &[]),
        (
            "denied_near_miss_display_name",
            "near-display.example.test",
            &[],
        ),
        ("denied_account_for_a_platform", "account.example.test", &[]),
        (
            "denied_another_account",
            "account.example.test",
            &["--account-uri", account_2, "--method", "http-01"],
        ),
        ("denied_method", "dns-only.example.test", &[]),
        ("denied_wildcard_issuewild", "*.wild.example.test", &[]),
        ("denied_through_a_cname", "cross.example.test", &[]),
        ("denied_through_a_dname", "target.dname.example.test", &[]),
    ];
    for (snapshot, name, flags) in cases {
        snapshot!(snapshot, human(&server, name, flags).await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors() {
    let server = DnsServer::start(
        Behaviour::default()
            .fault(
                "servfail.example.test",
                Fault::Rcode(ResponseCode::ServFail),
            )
            .fault("refused.example.test", Fault::Rcode(ResponseCode::Refused))
            .fault("notimp.example.test", Fault::Rcode(ResponseCode::NotImp))
            .fault(
                "signed.example.test",
                Fault::RcodeWithExtendedError(ResponseCode::ServFail, 7, "signature expired"),
            )
            .fault("silent.example.test", Fault::Silent)
            .fault("big.example.test", Fault::TruncatedWithoutTcp),
    )
    .await;
    let fast: &[&str] = &["--timeout", "0.2", "--retries", "1"];
    let cases = [
        ("error_servfail", "servfail.example.test"),
        ("error_refused", "refused.example.test"),
        ("error_notimp", "notimp.example.test"),
        ("error_dnssec", "signed.example.test"),
        ("error_timeout", "silent.example.test"),
        ("error_truncated", "big.example.test"),
        ("error_nxdomain_tld", "www.example.nosuchtld"),
        ("error_alias_loop", "loop1.example.test"),
    ];
    for (snapshot, name) in cases {
        snapshot!(snapshot, human(&server, name, fast).await);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_is_one_line_unless_verbose_and_quiet_is_always_one_line() {
    let server = zones().await;
    snapshot!("allowed", human(&server, "allowed.example.test", &[]).await);
    snapshot!(
        "allowed_verbose",
        human(&server, "multi.example.test", &["--verbose"]).await
    );
    let nameserver = server.nameserver();
    let output = certready(&[
        "check",
        "--no-name-policy",
        "--quiet",
        "--nameserver",
        &nameserver,
        "denied.example.test",
        "allowed.example.test",
        "loop1.example.test",
    ])
    .await;
    snapshot!("quiet", String::from_utf8(output.stdout).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hypothetical_report_says_so() {
    let server = zones().await;
    let report = human(
        &server,
        "denied.example.test",
        &[
            "--verbose",
            "--assume",
            "denied.example.test. CAA 0 issue \"letsencrypt.org\"",
        ],
    )
    .await;
    snapshot!("hypothetical", report);
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_bytes_are_printed_escaped_never_raw() {
    let hostile = b"\x1b[31mred\r\x00\"\\\xff";
    let server = DnsServer::start(
        Behaviour::default()
            .fault(
                "hostile.example.test",
                Fault::CaaRecords(vec![
                    raw_caa(0, "issue", hostile),
                    raw_caa(128, "tbs", hostile),
                ]),
            )
            .fault(
                "hostile-ede.example.test",
                Fault::RcodeWithExtendedError(ResponseCode::ServFail, 6, "\u{1b}]0;pwned\u{7}"),
            ),
    )
    .await;
    for name in ["hostile.example.test", "hostile-ede.example.test"] {
        let report = human(&server, name, &[]).await;
        for raw in ['\u{1b}', '\r', '\0', '\u{7}', '\u{fffd}'] {
            assert!(!report.contains(raw), "{raw:?} printed raw in:\n{report}");
        }
        snapshot!(name, report);
    }
    let report = human(&server, "hostile.example.test", &[]).await;
    assert!(
        report.contains(r#"0 issue "\027[31mred\013\000\"\\\255""#),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn color_is_used_only_when_asked_or_on_a_terminal() {
    let server = zones().await;
    let nameserver = server.nameserver();
    let run = |flags: Vec<&'static str>| {
        let nameserver = nameserver.clone();
        async move {
            let mut args = vec!["check", "--no-name-policy", "--nameserver", &nameserver];
            args.extend(flags);
            args.push("denied.example.test");
            String::from_utf8(certready(&args).await.stdout).unwrap()
        }
    };
    assert!(run(vec!["--color", "always"]).await.contains("\u{1b}["));
    // Not a terminal: auto means no colour (and the harness sets NO_COLOR).
    assert!(!run(vec![]).await.contains('\u{1b}'));
    assert!(!run(vec!["--color", "never"]).await.contains('\u{1b}'));
    let output = certready(&["check", "--color", "sometimes", "x.test"]).await;
    assert_eq!(status(&output), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_by_the_cas_name_policy() {
    for (snapshot_name, name) in [
        ("refused_public_suffix", "co.uk"),
        ("refused_wildcard_of_a_public_suffix", "*.co.uk"),
        ("refused_no_public_suffix", "localhost"),
        ("refused_bad_punycode", "xn--zz.example.com"),
    ] {
        let output = certready(&[
            "check",
            "--color",
            "never",
            "--nameserver",
            "127.0.0.1:9",
            name,
        ])
        .await;
        assert_eq!(status(&output), 1);
        snapshot!(
            snapshot_name,
            String::from_utf8(output.stdout).expect("the report is UTF-8")
        );
    }
}
