//! The command line as a contract: exit statuses, one-line errors that name the bad input,
//! JSON Lines in the order given, nothing but the report on stdout.

mod support;

use support::{Behaviour, DnsServer, certready, check_json, status, stderr};

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
}
