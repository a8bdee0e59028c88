//! `certready bundle` end to end: the real binary on bundles made by the test PKI at the real
//! clock (`support/pki.rs`), each case named after the rule it shows, asserting the status,
//! the finding codes, and what the report tells the user to do.

use serde_json::Value;
use time::OffsetDateTime;

use crate::support::pki::{LeafKey, Pki, RSA_2048_PKCS1, pem};
use crate::support::{
    assert_usage_errors, certready, certready_with_stdin, finding, finding_codes, json_lines,
    scratch_file, status, stderr,
};

fn pki() -> Pki {
    Pki::at(OffsetDateTime::now_utc())
}

/// `certready bundle - --json EXTRA...` with `bundle` on stdin: its status and report.
async fn lint(bundle: &[u8], extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["bundle", "-", "--json"];
    args.extend(extra);
    let output = certready_with_stdin(&args, bundle).await;
    let mut reports = json_lines(&output);
    assert_eq!(reports.len(), 1, "stderr: {}", stderr(&output));
    (status(&output), reports.remove(0))
}

/// The 1-based line of the `nth` (from 0) `-----BEGIN LABEL-----` in `bundle`.
fn begin_line(bundle: &[u8], label: &str, nth: usize) -> usize {
    let boundary = format!("-----BEGIN {label}-----");
    String::from_utf8_lossy(bundle)
        .lines()
        .enumerate()
        .filter(|(_, line)| *line == boundary)
        .nth(nth)
        .map(|(index, _)| index + 1)
        .expect("the block is in the bundle")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_ecdsa_bundle_is_ready() {
    let (status, report) = lint(&pki().good_bundle(), &["--name", "example.com"]).await;
    assert_eq!((status, report["status"].as_str()), (0, Some("ready")));
    assert_eq!(finding_codes(&report), Vec::<&str>::new());
    assert_eq!(report["chain"], serde_json::json!([0, 1, 2]));
    assert_eq!(report["key"]["form"], "pkcs8");
    assert_eq!(report["leaf"]["public_key"], "ECDSA P-256");
    assert!(report["days_left"].as_i64().unwrap() > 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_rsa_bundle_is_ready() {
    let (status, report) = lint(&pki().good_rsa_bundle(), &[]).await;
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["leaf"]["public_key"], "RSA 2048");
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_order_a_reversed_chain_fails_and_is_shown_in_the_right_order() {
    let bundle = pki().reversed_chain_bundle();
    let (status, report) = lint(&bundle, &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["chain-out-of-order"]);
    // Root, intermediate, leaf in the file: the leaf (2) first, then its issuers.
    assert_eq!(report["chain"], serde_json::json!([2, 1, 0]));
    let message = finding(&report, "chain-out-of-order")["message"]
        .as_str()
        .unwrap();
    let leaf_line = begin_line(&bundle, "CERTIFICATE", 2);
    assert!(
        message.contains(&format!("-:{leaf_line} (example.com), then -:")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_completeness_a_missing_intermediate_fails_naming_the_issuer() {
    let (status, report) = lint(&pki().missing_intermediate_bundle(), &[]).await;
    assert_eq!(status, 1);
    assert!(
        finding_codes(&report).contains(&"issuer-missing"),
        "{report}"
    );
    let message = finding(&report, "issuer-missing")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("Certready Test Intermediate"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn chain_completeness_a_missing_root_is_a_warning() {
    let (status, report) = lint(&pki().missing_root_bundle(), &[]).await;
    assert_eq!((status, report["status"].as_str()), (4, Some("warnings")));
    assert_eq!(finding_codes(&report), ["root-missing"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn key_match_another_leafs_key_fails() {
    let (status, report) = lint(&pki().wrong_key_bundle(), &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["key-mismatch"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn key_form_a_pkcs1_key_fails_with_the_openssl_command_that_converts_it() {
    let bundle = pki().pkcs1_key_bundle();
    let (status, report) = lint(&bundle, &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["key-not-pkcs8"]);
    let found = finding(&report, "key-not-pkcs8");
    assert_eq!(
        found["line"],
        begin_line(&bundle, "RSA PRIVATE KEY", 0),
        "{found}"
    );
    assert_eq!(
        found["command"],
        serde_json::json!([
            "openssl",
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "-",
            "-out",
            "key.pkcs8.pem"
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_form_an_encrypted_key_fails_and_its_command_asks_for_the_passphrase() {
    let (status, report) = lint(&pki().encrypted_key_bundle(), &[]).await;
    assert_eq!(status, 1);
    let found = finding(&report, "key-not-pkcs8");
    let command: Vec<&str> = found["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part.as_str().unwrap())
        .collect();
    assert_eq!(command[..2], ["openssl", "pkcs8"]);
    assert!(!command.contains(&"-nocrypt"), "{command:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn key_file_a_key_given_with_key_is_checked_and_named_by_its_path() {
    let pki = pki();
    let leaf = pki.leaf(&["example.com"]).key(LeafKey::Rsa2048).build();
    let chain = pem(&[&leaf.pem, &pki.intermediate_pem(), &pki.root_pem()]);
    let bundle = scratch_file("chain.pem", &chain);
    let key = scratch_file("key.pem", RSA_2048_PKCS1.as_bytes());
    let output = certready(&[
        "bundle",
        bundle.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ])
    .await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status(&output), 1, "{text}");
    let key_path = key.to_str().unwrap();
    assert!(
        text.contains(&format!("{key_path}:1: the key is in RSA PRIVATE KEY form")),
        "{text}"
    );
    let converted = key_path.strip_suffix(".pem").unwrap();
    assert!(
        text.contains(&format!(
            "openssl pkcs8 -topk8 -nocrypt -in {key_path} -out {converted}.pkcs8.pem"
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn framing_crlf_line_ends_are_a_warning() {
    let (status, report) = lint(&pki().crlf_bundle(), &[]).await;
    assert_eq!(status, 4);
    assert_eq!(finding_codes(&report), ["crlf-line-ends"]);
    assert_eq!(finding(&report, "crlf-line-ends")["line"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn framing_a_byte_order_mark_fails() {
    let (status, report) = lint(&pki().bom_bundle(), &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["byte-order-mark"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn framing_stray_text_and_an_inexact_boundary_are_named_by_line() {
    let good = String::from_utf8(pki().good_bundle()).unwrap();
    let damaged = format!("Bag Attributes\n{good}").replacen(
        "-----END CERTIFICATE-----",
        "-----END CERTIFICATE----",
        1,
    );
    let (status, report) = lint(damaged.as_bytes(), &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding(&report, "stray-text")["line"], 1, "{report}");
    assert!(
        finding_codes(&report).contains(&"inexact-boundary"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validity_an_expired_leaf_fails() {
    let (status, report) = lint(&pki().expired_leaf_bundle(), &[]).await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["expired"]);
    assert_eq!(report["days_left"], -1);
}

#[tokio::test(flavor = "multi_thread")]
async fn validity_5_days_left_is_critical_and_20_a_warning() {
    let pki = pki();
    let (status, report) = lint(&pki.expiring_bundle(5), &[]).await;
    assert_eq!((status, report["days_left"].as_i64()), (1, Some(5)));
    assert_eq!(finding_codes(&report), ["leaf-expires-very-soon"]);
    let (status, report) = lint(&pki.expiring_bundle(20), &[]).await;
    assert_eq!((status, report["days_left"].as_i64()), (4, Some(20)));
    assert_eq!(finding_codes(&report), ["leaf-expires-soon"]);
    // The thresholds are the user's.
    let (status, _) = lint(&pki.expiring_bundle(20), &["--warn-days", "10"]).await;
    assert_eq!(status, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_a_name_the_leaf_does_not_cover_fails() {
    let (status, report) = lint(
        &pki().good_bundle(),
        &["--name", "example.com", "--name", "www.example.com"],
    )
    .await;
    assert_eq!(status, 1);
    assert_eq!(finding_codes(&report), ["name-not-covered"]);
    assert!(
        finding(&report, "name-not-covered")["message"]
            .as_str()
            .unwrap()
            .contains("www.example.com")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_a_wildcard_leaf_covers_one_label_only() {
    let wildcard = pki().wildcard_bundle();
    let (status, _) = lint(&wildcard, &["--name", "www.example.com"]).await;
    assert_eq!(status, 0);
    let (status, report) = lint(
        &wildcard,
        &["--name", "example.com", "--name", "a.b.example.com"],
    )
    .await;
    assert_eq!(status, 1);
    assert_eq!(
        finding_codes(&report),
        ["name-not-covered", "name-not-covered"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_human_report_shows_the_leaf_the_chain_and_each_finding() {
    let bundle = pki().reversed_chain_bundle();
    let output = certready_with_stdin(&["bundle", "-"], &bundle).await;
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(status(&output), 1);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("standard input: fails, the leaf expires in "),
        "{text}"
    );
    let chain = format!(
        "\n  chain   -:{} (example.com) → -:{} (Certready Test Intermediate) → -:1 (Certready Test Root)",
        begin_line(&bundle, "CERTIFICATE", 2),
        begin_line(&bundle, "CERTIFICATE", 1)
    );
    assert!(text.contains(&chain), "{text}");
    assert!(text.contains("\n  ✗ chain-out-of-order: "), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_files_and_bad_usage_exit_2_naming_the_input() {
    assert_usage_errors(&[
        (
            &["bundle", "/nonexistent/bundle.pem"],
            "cannot read FILE /nonexistent/bundle.pem: ",
        ),
        (&["bundle", "/"], "cannot read FILE /: it is a directory"),
        (
            &["bundle", "/dev/zero"],
            "cannot read FILE /dev/zero: it is larger than",
        ),
        (
            &["bundle", "-", "--warn-days", "30", "--crit-days", "40"],
            "--crit-days 40 is more than --warn-days 30",
        ),
        (
            &["bundle", "-", "--name", "exa mple.com"],
            "invalid --name \"exa mple.com\"",
        ),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_a_key_on_one_line_is_read_and_never_shown() {
    let pki = pki();
    let leaf = pki.leaf(&["example.com"]).build();
    let body: String = leaf
        .key_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let one_line = format!("-----BEGIN PRIVATE KEY-----{body}-----END PRIVATE KEY-----\n");
    let bundle = pem(&[
        &leaf.pem,
        &pki.intermediate_pem(),
        &pki.root_pem(),
        &one_line,
    ]);
    for format in [&[][..], &["--json"][..]] {
        let mut args = vec!["bundle", "-"];
        args.extend(format);
        let output = certready_with_stdin(&args, &bundle).await;
        let (stdout, errors) = (String::from_utf8_lossy(&output.stdout), stderr(&output));
        assert_eq!(status(&output), 1, "{stdout}");
        for fragment in body
            .as_bytes()
            .chunks(16)
            .map(|c| std::str::from_utf8(c).unwrap())
        {
            assert!(!stdout.contains(fragment), "{stdout}");
            assert!(!errors.contains(fragment), "{errors}");
        }
        // Read, and matched to the leaf: only its framing is wrong.
        assert!(stdout.contains("inexact-boundary"), "{stdout}");
        assert!(
            !stdout.contains("key-missing") && !stdout.contains("key-mismatch"),
            "{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_in_a_certificate_never_reach_the_terminal_raw() {
    let mut params = rcgen::CertificateParams::new(&["example.com".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "evil\u{1b}[2J\u{202e}moc");
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let bundle = pem(&[&certificate.pem(), &key.serialize_pem()]);
    let output = certready_with_stdin(&["bundle", "-", "--verbose"], &bundle).await;
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("evil\\u{001b}[2J\\u{202e}moc"), "{text}");
    let (_, report) = lint(&bundle, &[]).await;
    assert_eq!(report["leaf"]["subject"], "CN=evil\u{1b}[2J\u{202e}moc");
}
