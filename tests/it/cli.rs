//! The command line as a contract: exit statuses, one-line errors that name the bad input,
//! JSON Lines in the order given, nothing but the report on stdout.

use crate::support::{Behaviour, DnsServer, certready, check_json, status, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn exit_0_when_every_name_is_allowed() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, reports) = check_json(
        &server,
        &["allowed.example.test", "nothing.example.test"],
        &[],
    )
    .await;
    assert_eq!(status(&output), 0);
    assert_eq!(reports.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_1_when_any_name_is_denied_even_beside_an_error() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, _) = check_json(
        &server,
        &[
            "loop1.example.test",
            "denied.example.test",
            "allowed.example.test",
        ],
        &[],
    )
    .await;
    assert_eq!(status(&output), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_3_when_nothing_is_denied_but_something_is_undetermined() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, _) = check_json(
        &server,
        &["allowed.example.test", "loop1.example.test"],
        &[],
    )
    .await;
    assert_eq!(status(&output), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_come_in_the_order_given_one_object_per_line() {
    let server = DnsServer::start(Behaviour::default()).await;
    let names = [
        "denied.example.test",
        "big.test",
        "allowed.example.test",
        "*.wild.example.test",
        "nothing.example.test",
    ];
    let (output, reports) = check_json(&server, &names, &[]).await;
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), names.len());
    let got: Vec<&str> = reports
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, names);
    for report in &reports {
        for field in [
            "name",
            "verdict",
            "relevant",
            "lookups",
            "reasons",
            "ca",
            "wildcard",
            "account_uri",
            "method",
        ] {
            assert!(report.get(field).is_some(), "{field} missing in {report}");
        }
    }
}

/// Runs `certready check ARGS` against no server at all: input errors come before any DNS.
async fn usage_error(args: &[&str]) -> String {
    let mut full = vec!["check", "--nameserver", "127.0.0.1:9"];
    full.extend(args);
    let output = certready(&full).await;
    assert_eq!(status(&output), 2, "{args:?}: {}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing on stdout for {args:?}");
    let error = stderr(&output);
    assert_eq!(error.trim_end().lines().count(), 1, "one line: {error}");
    error
}

#[tokio::test(flavor = "multi_thread")]
async fn behaviour_6_invalid_names_exit_2_with_a_message_naming_the_input() {
    let long_label = format!("{}.example.com", "a".repeat(64));
    let long_name = format!("{}.com", vec!["a".repeat(63); 4].join("."));
    let cases = [
        ("192.0.2.7", "CAA does not apply to IP addresses"),
        ("2001:db8::1", "CAA does not apply to IP addresses"),
        (long_label.as_str(), "63"),
        (long_name.as_str(), "253"),
        ("a..example.com", "empty label"),
        (
            "www.*.example.com",
            "'*' is allowed only as the whole leftmost label",
        ),
        ("exa mple.com", "' ' is not allowed"),
    ];
    for (input, expected) in cases {
        let error = usage_error(&["ok.example.com", input]).await;
        assert!(error.contains(expected), "{input}: {error}");
        let shown = &input[..input.len().min(20)];
        assert!(
            error.contains(shown),
            "the error names the input {input}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_31_a_wildcard_with_http_01_is_bad_usage() {
    let error = usage_error(&["--method", "http-01", "*.example.com"]).await;
    assert!(error.contains("dns-01"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_flag_values_exit_2() {
    usage_error(&["--method", "dns01", "example.com"]).await;
    usage_error(&["--timeout", "0", "example.com"]).await;
    usage_error(&["--account-uri", "not a uri", "example.com"]).await;
    let output = certready(&["check", "--nameserver", "ns1.example.com", "example.com"]).await;
    assert_eq!(status(&output), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_name_is_escaped_in_the_error() {
    let error = usage_error(&["bad\u{1b}[31m.example.com"]).await;
    assert!(!error.contains('\u{1b}'), "{error:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_shows_examples_and_exit_statuses() {
    let output = certready(&["check", "--help"]).await;
    assert_eq!(status(&output), 0);
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in ["Examples:", "Exit status:", "--account-uri", "--nameserver"] {
        assert!(help.contains(expected), "{expected} missing from help");
    }
    let output = certready(&["wait", "--help"]).await;
    assert_eq!(status(&output), 0);
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "Examples:",
        "Exit status:",
        "--until",
        "--interval",
        "--root-hints",
    ] {
        assert!(
            help.contains(expected),
            "{expected} missing from wait's help"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cas_name_policy_refuses_without_asking_dns_and_exits_1() {
    let server = DnsServer::start(Behaviour::default()).await;
    let nameserver = server.nameserver();
    let long = format!("*.{0}.{0}.{0}.{1}.com", "a".repeat(63), "b".repeat(56));
    let cases = [
        ("com", "public-suffix"),
        ("co.uk", "public-suffix"),
        ("*.com", "wildcard-of-public-suffix"),
        ("*.co.uk", "wildcard-of-public-suffix"),
        ("localhost", "no-public-suffix"),
        ("allowed.example.test", "no-public-suffix"),
        ("ab--cd.example.com", "reserved-label"),
        ("xn--zz.example.com", "bad-punycode"),
        (long.as_str(), "name-too-long"),
    ];
    for (name, code) in cases {
        let output = certready(&["check", "--json", "--nameserver", &nameserver, name]).await;
        assert_eq!(status(&output), 1, "{name}: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["verdict"], "refused", "{name}");
        assert_eq!(report["refusal"]["code"], code, "{name}");
        assert!(
            report["refusal"]["ca_error"]
                .as_str()
                .unwrap()
                .starts_with("Domain name")
        );
        assert_eq!(report["lookups"], serde_json::json!([]), "{name}: no DNS");
        assert_eq!(
            report["fixes"],
            serde_json::json!([]),
            "{name}: no record fix"
        );
        assert!(!report["reasons"][0].as_str().unwrap().is_empty());
    }
    assert_eq!(server.stats.query_count(), 0, "no DNS was asked");
    let human = certready(&["check", "--nameserver", &nameserver, "*.co.uk"]).await;
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.starts_with("*.co.uk: refused\n"), "{text}");
    assert!(
        text.contains("Domain name is a wildcard for an ICANN TLD"),
        "{text}"
    );
    assert!(!text.contains("climb"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_name_policy_judges_caa_alone() {
    let server = DnsServer::start(Behaviour::default()).await;
    let (output, reports) = check_json(&server, &["allowed.example.test"], &[]).await;
    assert_eq!(status(&output), 0);
    assert_eq!(reports[0]["verdict"], "allowed");
    assert_eq!(reports[0]["refusal"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_input_lines_are_counted_in_the_summary() {
    let server = DnsServer::start(Behaviour::default()).await;
    let nameserver = server.nameserver();
    let output = crate::support::certready_with_stdin(
        &[
            "check",
            "--quiet",
            "--nameserver",
            &nameserver,
            "--input",
            "-",
        ],
        b"com\nlocalhost\n",
    )
    .await;
    assert_eq!(status(&output), 1);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "com: refused\nlocalhost: refused\n"
    );
    assert!(stderr(&output).contains("0 allowed, 0 denied, 2 refused, 0 error, 0 invalid"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trust_anchor_or_root_hints_file_that_cannot_be_read_is_named_and_never_echoed_raw() {
    use crate::support::scratch_file;
    let hostile = scratch_file("hostile.key", b"\x1b[31mred. IN DS 1 2 3 4\n");
    let hostile = hostile.to_str().unwrap();
    for args in [
        vec!["--dnssec", "--trust-anchor", hostile, "example.com"],
        vec!["--source", "--root-hints", hostile, "example.com"],
    ] {
        let error = usage_error(&args).await;
        assert!(error.contains(hostile), "{error}");
        assert!(
            !error.contains('\x1b') && error.contains("\\u{001b}"),
            "{error}"
        );
    }
    let error = usage_error(&["--dnssec", "--trust-anchor", "/dev/zero", "example.com"]).await;
    assert!(
        error.contains("cannot read --trust-anchor /dev/zero: it is larger than 1048576 bytes"),
        "{error}"
    );
    let empty = scratch_file("empty.key", b"");
    let error = usage_error(&[
        "--dnssec",
        "--trust-anchor",
        empty.to_str().unwrap(),
        "example.com",
    ])
    .await;
    assert!(error.ends_with("no DS or DNSKEY record\n"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn corner_flags_are_normalised_or_refused() {
    usage_error(&["--nameserver", "127.0.0.1:0", "example.com"]).await;
    usage_error(&["--source", "--authoritative-port", "0", "example.com"]).await;
    let error = usage_error(&["--root-hints", "named.root", "example.com"]).await;
    assert!(
        error.contains("--root-hints walks from the root: it needs --source"),
        "{error}"
    );
    usage_error(&["--ca", "*.letsencrypt.org", "example.com"]).await;
    let line = "example.com. CAA 0 issue \"letsencrypt.org\"";
    let error = usage_error(&["--assume", line, "--assume-absent", line, "example.com"]).await;
    assert!(error.contains("both assumed present"), "{error}");
    let server = DnsServer::start(Behaviour::default()).await;
    let report = crate::support::report(
        &server,
        "allowed.example.test",
        &["--ca", "LetsEncrypt.ORG."],
    )
    .await;
    assert_eq!(report["ca"], "letsencrypt.org");
    assert_eq!(report["verdict"], "allowed");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_escapes_characters_that_would_make_cat_show_a_lie() {
    let server = DnsServer::start(Behaviour::default()).await;
    let nameserver = server.nameserver();
    // A line whose right-to-left override would make a terminal show "allowed" reversed in.
    let hostile = "evil\u{202e}dewolla\u{2066}.example.test\u{200b}\n";
    let output = crate::support::certready_with_stdin(
        &[
            "check",
            "--json",
            "--nameserver",
            &nameserver,
            "--input",
            "-",
        ],
        hostile.as_bytes(),
    )
    .await;
    let stdout = String::from_utf8(output.stdout).unwrap();
    for deceptive in ['\u{202e}', '\u{2066}', '\u{200b}'] {
        assert!(!stdout.contains(deceptive), "{stdout}");
    }
    assert!(
        stdout.contains(r"evil\u202edewolla\u2066.example.test\u200b"),
        "{stdout}"
    );
    assert!(stdout.contains("\"verdict\":\"invalid\""), "{stdout}");
}
