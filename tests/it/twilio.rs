//! `certready twilio` end to end: the real binary against the Twilio fake (`support/twilio.rs`),
//! the test DNS server for CAA, and loopback TLS servers for the certificate served. Every test
//! also checks that no secret reaches stdout or stderr.

use std::process::Output;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::support::pki::Pki;
use crate::support::tls::TlsServer;
use crate::support::twilio::{Account, Alert, Domain, Endpoint, Fault, Scope, TwilioFake, sid};
use crate::support::{
    Behaviour, DnsServer, finding, finding_codes, json_lines, scratch_file, stderr,
};

const SECRET: &str = "s3cr3t-api-secret";

fn account() -> Account {
    Account::new(&sid("AC", 1)).api_key(&sid("SK", 1), SECRET)
}

/// The date `days` from now, as Twilio writes it.
fn in_days(days: i64) -> String {
    let date =
        OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + time::Duration::days(days);
    date.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Runs certready with the API key's credentials and the fake as Twilio; no twilio-cli
/// configuration is read.
async fn twilio(fake: &TwilioFake, args: &[&str]) -> Output {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .arg("twilio")
        .args(args)
        .args(["--twilio-base-url", &fake.base_url(), "--api-timeout", "2"])
        .env("NO_COLOR", "1")
        .env("TWILIO_ACCOUNT_SID", sid("AC", 1))
        .env("TWILIO_API_KEY", sid("SK", 1))
        .env("TWILIO_API_SECRET", SECRET)
        .env_remove("TWILIO_AUTH_TOKEN")
        .env("TWILIO_CONFIG_DIR", "/nonexistent/twilio-cli")
        .output()
        .await
        .expect("the certready binary runs");
    let all = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
    assert!(
        !String::from_utf8_lossy(&all).contains(SECRET),
        "the secret leaked: {}",
        String::from_utf8_lossy(&all)
    );
    output
}

fn status_code(output: &Output) -> i32 {
    output.status.code().expect("exited with a status")
}

/// A served chain for `name` expiring in `days`, and `--connect-to` and `--ca-file` to reach
/// and trust it.
struct Served {
    _server: TlsServer,
    connect_to: String,
    root: String,
    not_after: String,
}

fn serve(name: &str, days: i64) -> Served {
    let pki = Pki::at(OffsetDateTime::now_utc());
    let leaf = pki.leaf(&[name]).expires_in_days(days).build();
    let parsed = certready::cert::Certificate::parse(&leaf.der).unwrap();
    let server = TlsServer::start(
        vec![
            CertificateDer::from(leaf.der.clone()),
            CertificateDer::from(pki.intermediate_der()),
        ],
        PrivatePkcs8KeyDer::from(leaf.key_der.clone()).into(),
    );
    Served {
        connect_to: format!("::{}", server.address()),
        root: scratch_file("root.pem", pki.root_pem().as_bytes())
            .to_string_lossy()
            .into_owned(),
        not_after: certready::cert::rfc3339(parsed.not_after),
        _server: server,
    }
}

/// `twilio status DOMAIN --json` with the DNS server and the served chain.
async fn status(fake: &TwilioFake, dns: &DnsServer, served: &Served, domain: &str) -> (i32, Value) {
    let nameserver = dns.nameserver();
    let output = twilio(
        fake,
        &[
            "status",
            domain,
            "--json",
            "--no-name-policy",
            "--nameserver",
            &nameserver,
            "--connect-to",
            &served.connect_to,
            "--ca-file",
            &served.root,
        ],
    )
    .await;
    let mut reports = json_lines(&output);
    assert_eq!(reports.len(), 1, "stderr: {}", stderr(&output));
    (status_code(&output), reports.remove(0))
}

/// A managed domain for `host`, its certificate the one `served` serves, ContinueOnFailure on.
fn managed(sid: &str, host: &str, served: &Served) -> Domain {
    Domain::managed(sid, &format!("https://{host}"))
        .expires(&served.not_after)
        .continue_on_failure(true)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_managed_healthy_domain_is_ok() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("allowed.example.test", 60);
    let domain = sid("DN", 1);
    let fake = TwilioFake::start(vec![account().domain(managed(
        &domain,
        "allowed.example.test",
        &served,
    ))]);
    let (code, report) = status(&fake, &dns, &served, &domain).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["verdict"], "ok");
    assert_eq!(report["domain_name"], "https://allowed.example.test");
    assert_eq!(report["caa"]["verdict"], "allowed");
    assert_eq!(report["served"]["status"], "ok");
    assert_eq!(report["certificate"]["managed"], true);
    assert_eq!(finding_codes(&report), Vec::<&str>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn caa_blocks_renewal_and_request_managed_cert_refuses_without_sending() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("denied.example.test", 60);
    let domain = sid("DN", 2);
    let fake = TwilioFake::start(vec![account().domain(managed(
        &domain,
        "denied.example.test",
        &served,
    ))]);
    let (code, report) = status(&fake, &dns, &served, &domain).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["verdict"], "critical");
    let blocked = finding(&report, "caa-blocks-renewal");
    assert_eq!(blocked["severity"], "critical");
    assert_eq!(blocked["twilio_error"], 30131);
    let action = blocked["action"].as_str().unwrap();
    assert!(
        action.contains("add      denied.example.test. IN CAA 0 issue \"letsencrypt.org\""),
        "{action}"
    );

    let nameserver = dns.nameserver();
    let output = twilio(
        &fake,
        &[
            "request-managed-cert",
            &domain,
            "--no-name-policy",
            "--nameserver",
            &nameserver,
        ],
    )
    .await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status_code(&output), 1, "{text}");
    assert!(text.contains("refused"), "{text}");
    assert!(fake.requests_with("POST").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_certificate_expiring_or_expired() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("allowed.example.test", 20);
    let soon = sid("DN", 3);
    let gone = sid("DN", 4);
    let fake = TwilioFake::start(vec![
        account()
            .domain(
                Domain::uploaded(&soon, "https://allowed.example.test")
                    .expires(&served.not_after)
                    .continue_on_failure(true),
            )
            .domain(
                Domain::uploaded(&gone, "https://allowed.example.test")
                    .expires(&in_days(-2))
                    .continue_on_failure(true),
            ),
    ]);
    let (code, report) = status(&fake, &dns, &served, &soon).await;
    assert_eq!(
        (code, report["verdict"].as_str()),
        (4, Some("warning")),
        "{report}"
    );
    assert_eq!(finding_codes(&report), ["expires-soon"]);
    assert_eq!(finding(&report, "expires-soon")["twilio_error"], 30131);
    let (code, report) = status(&fake, &dns, &served, &gone).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(finding_codes(&report), ["expired", "served-differs"]);
    assert_eq!(finding(&report, "expired")["twilio_error"], 30102);
}

#[tokio::test(flavor = "multi_thread")]
async fn dns_invalid_continue_on_failure_off_and_pending_states() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("allowed.example.test", 60);
    let domain = sid("DN", 5);
    let fake = TwilioFake::start(vec![
        account().domain(
            Domain::managed(&domain, "https://allowed.example.test")
                .expires(&served.not_after)
                .continue_on_failure(false)
                .dns(false, "CNAME does not point to Twilio")
                .requesting()
                .in_validation(Some(&in_days(90))),
        ),
    ]);
    let (code, report) = status(&fake, &dns, &served, &domain).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        finding_codes(&report),
        [
            "in-validation",
            "managed-request-pending",
            "dns-invalid",
            "continue-on-failure-off"
        ]
    );
    assert_eq!(
        finding(&report, "continue-on-failure-off")["twilio_error"],
        30103
    );
    assert!(
        finding(&report, "dns-invalid")["message"]
            .as_str()
            .unwrap()
            .contains("CNAME does not point to Twilio")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_domain_is_not_found_and_a_malformed_sid_is_invalid() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("allowed.example.test", 60);
    let fake = TwilioFake::start(vec![account()]);
    let (code, report) = status(&fake, &dns, &served, &sid("DN", 9)).await;
    assert_eq!(code, 3, "{report}");
    assert_eq!(report["verdict"], "error");
    assert_eq!(finding_codes(&report), ["domain-not-found"]);

    // A malformed SID is an invalid entry in its place; the others are still checked.
    let output = twilio(&fake, &["status", "DN123", &sid("DN", 9), "--json"]).await;
    assert_eq!(status_code(&output), 3, "{}", stderr(&output));
    let reports = json_lines(&output);
    assert_eq!(reports[0]["domain_sid"], "DN123");
    assert_eq!(reports[0]["verdict"], "invalid");
    assert_eq!(reports[0]["line"], Value::Null);
    assert_eq!(reports[1]["verdict"], "error");
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_exit_2_naming_their_source() {
    let fake = TwilioFake::start(vec![
        Account::new(&sid("AC", 1)).api_key(&sid("SK", 1), "another secret"),
    ]);
    let output = twilio(&fake, &["alerts"]).await;
    assert_eq!(status_code(&output), 2);
    let said = stderr(&output);
    assert!(said.contains("refused the credentials (401)"), "{said}");
    assert!(
        said.contains("TWILIO_API_KEY and TWILIO_API_SECRET"),
        "{said}"
    );
    assert!(said.contains("20003"), "{said}");

    // An auth token refused: named, and never shown.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(["twilio", "alerts", "--twilio-base-url", &fake.base_url()])
        .env("TWILIO_ACCOUNT_SID", sid("AC", 1))
        .env_remove("TWILIO_API_KEY")
        .env("TWILIO_AUTH_TOKEN", "t0ken-that-must-not-show")
        .env("TWILIO_CONFIG_DIR", "/nonexistent/twilio-cli")
        .output()
        .await
        .unwrap();
    assert_eq!(status_code(&output), 2);
    let said = stderr(&output);
    assert!(said.contains("TWILIO_AUTH_TOKEN"), "{said}");
    assert!(!said.contains("t0ken-that-must-not-show"), "{said}");
    assert!(output.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_are_bad_usage_before_anything_is_asked() {
    let fake = TwilioFake::start(vec![account()]);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(["twilio", "alerts", "--twilio-base-url", &fake.base_url()])
        .env_remove("TWILIO_ACCOUNT_SID")
        .env("TWILIO_CONFIG_DIR", "/nonexistent/twilio-cli")
        .output()
        .await
        .unwrap();
    assert_eq!(status_code(&output), 2);
    assert!(stderr(&output).contains("no Twilio credentials"));
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_and_lasting_failures_are_undetermined() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("allowed.example.test", 60);
    let domain = sid("DN", 6);
    let fake = TwilioFake::start(vec![account().domain(managed(
        &domain,
        "allowed.example.test",
        &served,
    ))]);
    fake.fault(
        Scope::Only(Endpoint::CertificateV2),
        Fault::TooManyRequests {
            times: 1,
            retry_after: true,
        },
    );
    let (code, report) = status(&fake, &dns, &served, &domain).await;
    assert_eq!(code, 0, "{report}");

    for fault in [Fault::ServerError, Fault::MalformedJson] {
        fake.clear_faults();
        fake.fault(Scope::All, fault);
        let (code, report) = status(&fake, &dns, &served, &domain).await;
        assert_eq!(code, 3, "{report}");
        assert_eq!(finding_codes(&report), ["api-error"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_that_never_answers_is_given_up_on() {
    let fake = TwilioFake::start(vec![account()]);
    fake.fault(Scope::All, Fault::NoAnswer);
    let started = std::time::Instant::now();
    let output = twilio(&fake, &["alerts"]).await;
    assert_eq!(status_code(&output), 3);
    assert!(
        stderr(&output).contains("within the timeout"),
        "{}",
        stderr(&output)
    );
    // Three attempts of 2 s and the waits between them.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread")]
async fn request_managed_cert_waits_until_requesting_is_false() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let domain = sid("DN", 7);
    let fake = TwilioFake::start(vec![
        account().domain(
            Domain::uploaded(&domain, "https://allowed.example.test")
                .expires(&in_days(10))
                .request_takes(2)
                .issued_expires(&in_days(90)),
        ),
    ]);
    let nameserver = dns.nameserver();
    let output = twilio(
        &fake,
        &[
            "request-managed-cert",
            &domain,
            "--no-name-policy",
            "--nameserver",
            &nameserver,
            "--poll-interval",
            "1",
            "--json",
        ],
    )
    .await;
    let reports = json_lines(&output);
    assert_eq!(status_code(&output), 0, "{reports:?} {}", stderr(&output));
    assert_eq!(reports[0]["result"], "done");
    let posts = fake.requests_with("POST");
    assert_eq!(posts.len(), 1);
    assert!(posts[0].path.ends_with("/RequestManagedCert"));
    assert!(stderr(&output).contains("waiting until it is managed and requesting is false"));
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_sends_a_sound_bundle_waits_for_validation_and_confirms_the_expiry() {
    let pki = Pki::at(OffsetDateTime::now_utc());
    let leaf = pki
        .leaf(&["allowed.example.test"])
        .expires_in_days(90)
        .build();
    let not_after = certready::cert::rfc3339(
        certready::cert::Certificate::parse(&leaf.der)
            .unwrap()
            .not_after,
    );
    let bundle = String::from_utf8(pki.bundle(&leaf)).unwrap();
    let file = scratch_file("tlscert.pem", bundle.as_bytes());
    let domain = sid("DN", 8);
    let fake = TwilioFake::start(vec![
        account().domain(
            Domain::uploaded(&domain, "https://allowed.example.test")
                .expires(&in_days(3))
                .validation_takes(2, &not_after),
        ),
    ]);
    let output = twilio(
        &fake,
        &[
            "upload",
            &domain,
            file.to_str().unwrap(),
            "--poll-interval",
            "1",
        ],
    )
    .await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status_code(&output), 0, "{text} {}", stderr(&output));
    assert!(text.contains("upload: done"), "{text}");
    let posts = fake.requests_with("POST");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].field("TlsCert"), Some(bundle.as_str()));
    // The key went to Twilio and nowhere else.
    let key_body = leaf.key_pem.lines().nth(1).unwrap();
    assert!(!text.contains(key_body) && !stderr(&output).contains(key_body));
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_refuses_a_bundle_that_fails_and_sends_nothing() {
    let pki = Pki::at(OffsetDateTime::now_utc());
    let file = scratch_file("wrong.pem", &pki.wrong_key_bundle());
    let domain = sid("DN", 10);
    let fake =
        TwilioFake::start(vec![account().domain(
            Domain::uploaded(&domain, "https://example.com").expires(&in_days(3)),
        )]);
    let output = twilio(&fake, &["upload", &domain, file.to_str().unwrap()]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status_code(&output), 1, "{text}");
    assert!(text.contains("upload refused"), "{text}");
    assert!(text.contains("key-mismatch"), "{text}");
    assert!(!text.contains("PRIVATE KEY-----\nMI"), "{text}");
    assert!(fake.requests_with("POST").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_over_two_pages_keep_link_shortening_codes_newest_first() {
    // More than a page of 1,000: the Link Shortening ones newest, in the middle, and oldest.
    let mut account = account();
    for hour in 0..1100 {
        let code = match hour {
            0 => "30131",
            500 => "30102",
            1099 => "30132",
            _ => "11200",
        };
        let date = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
            - time::Duration::minutes(hour);
        let date = date
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        account = account.alert(Alert::new(code, &date).text("Msg=Certificate+will+expire"));
    }
    let fake = TwilioFake::start(vec![account]);
    let output = twilio(&fake, &["alerts", "--json", "--since", "2d"]).await;
    let alerts = json_lines(&output);
    assert_eq!(status_code(&output), 4, "{}", stderr(&output));
    let codes: Vec<&Value> = alerts.iter().map(|alert| &alert["error_code"]).collect();
    assert_eq!(codes, ["30131", "30102", "30132"]);
    assert_eq!(alerts[0]["message"], "Certificate will expire");
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|seen| seen.path.ends_with("/v1/Alerts"))
        .collect();
    assert_eq!(pages.len(), 2);
    assert!(
        pages[1].query_field("PageToken").is_some(),
        "{:?}",
        pages[1].query
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alarm_is_created_once() {
    let fake = TwilioFake::start(vec![account()]);
    let output = twilio(&fake, &["alarm", "--email", "sre@example.com"]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status_code(&output), 0, "{text} {}", stderr(&output));
    assert!(text.contains("created"), "{text}");
    let alarms = fake.alarms();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0]["query"], "30131");
    let output = twilio(&fake, &["alarm", "--email", "sre@example.com"]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(text.contains("present"), "{text}");
    assert_eq!(fake.alarms().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_human_report_says_the_finding_the_twilio_error_and_the_action() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let served = serve("denied.example.test", 60);
    let domain = sid("DN", 11);
    let fake =
        TwilioFake::start(vec![account().domain(
            managed(&domain, "denied.example.test", &served).continue_on_failure(false),
        )]);
    let nameserver = dns.nameserver();
    let output = twilio(
        &fake,
        &[
            "status",
            &domain,
            "--no-name-policy",
            "--nameserver",
            &nameserver,
            "--connect-to",
            &served.connect_to,
            "--ca-file",
            &served.root,
        ],
    )
    .await;
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(status_code(&output), 1, "{text}");
    let expected = format!(
        "{domain}: critical, denied.example.test (managed, expires {})\n  caa     denied for Let's Encrypt\n  served  ok\n  ✗ caa-blocks-renewal: the certificate is Twilio-managed (Let's Encrypt), but denied.example.test's CAA records do not let Let's Encrypt issue: the next renewal fails (Twilio error 30131)\n      change the CAA records: add      denied.example.test. IN CAA 0 issue \"letsencrypt.org\"\n  ! continue-on-failure-off: ContinueOnFailure is off: while the certificate is broken, messages with links fail instead of going out with long links (Twilio error 30103)\n      POST /v1/LinkShortening/Domains/{domain}/Config with ContinueOnFailure=true\n",
        served.not_after
    );
    assert_eq!(text, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domain_that_serves_nothing_is_served_unreachable() {
    let dns = DnsServer::start(Behaviour::default()).await;
    let mut served = serve("allowed.example.test", 60);
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    served.connect_to = format!("::{dead}");
    let domain = sid("DN", 12);
    let fake = TwilioFake::start(vec![account().domain(managed(
        &domain,
        "allowed.example.test",
        &served,
    ))]);
    let (code, report) = status(&fake, &dns, &served, &domain).await;
    // Undetermined, as `expiry` says of a server it cannot reach.
    assert_eq!(code, 3, "{report}");
    assert_eq!(report["verdict"], "error");
    assert_eq!(finding_codes(&report), ["served-unreachable"]);
    assert_eq!(report["served"]["status"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_waiting_undoes_nothing_and_says_the_state_left() {
    let pki = Pki::at(OffsetDateTime::now_utc());
    let leaf = pki.leaf(&["allowed.example.test"]).build();
    let file = scratch_file("tlscert.pem", &pki.bundle(&leaf));
    let domain = sid("DN", 13);
    // Validation never ends unless the test says so.
    let fake = TwilioFake::start(vec![account().domain(
        Domain::uploaded(&domain, "https://allowed.example.test").expires(&in_days(3)),
    )]);
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(["twilio", "upload", &domain, file.to_str().unwrap()])
        .args([
            "--twilio-base-url",
            &fake.base_url(),
            "--poll-interval",
            "1",
        ])
        .env("TWILIO_ACCOUNT_SID", sid("AC", 1))
        .env("TWILIO_API_KEY", sid("SK", 1))
        .env("TWILIO_API_SECRET", SECRET)
        .env("TWILIO_CONFIG_DIR", "/nonexistent/twilio-cli")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    while fake.requests_with("POST").is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let output = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("it stops within seconds")
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(130), "{text}");
    assert!(text.contains("upload: stopped: sent; stopped waiting on SIGINT with cert_in_validation still set: nothing was undone"), "{text}");
    assert_eq!(fake.requests_with("POST").len(), 1);
    assert!(!String::from_utf8_lossy(&output.stderr).contains(SECRET));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_base_url_may_come_from_the_environment_and_clear_text_only_to_loopback() {
    let fake = TwilioFake::start(vec![account()]);
    let run = |base: String| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
            .args(["twilio", "alerts"])
            .env("CERTREADY_TWILIO_BASE_URL", base)
            .env("TWILIO_ACCOUNT_SID", sid("AC", 1))
            .env("TWILIO_API_KEY", sid("SK", 1))
            .env("TWILIO_API_SECRET", SECRET)
            .env("TWILIO_CONFIG_DIR", "/nonexistent/twilio-cli")
            .output()
    };
    let output = run(fake.base_url()).await.unwrap();
    assert_eq!(status_code(&output), 0, "{}", stderr(&output));
    assert_eq!(fake.requests().len(), 1);
    let output = run("http://192.0.2.1:8080".into()).await.unwrap();
    assert_eq!(status_code(&output), 2);
    assert!(
        stderr(&output).contains("only for a loopback address"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_certificate_a_failed_validation_and_caa_lookups_that_fail_here() {
    let dns = DnsServer::start(Behaviour::default().fault(
        "allowed.example.test",
        crate::support::Fault::Rcode(hickory_server::proto::op::ResponseCode::ServFail),
    ))
    .await;
    let served = serve("allowed.example.test", 60);
    let none = sid("DN", 14);
    let failed = sid("DN", 15);
    let fake = TwilioFake::start(vec![
        account()
            .domain(
                Domain::uploaded(&none, "https://other.example.test")
                    .no_certificate()
                    .continue_on_failure(true),
            )
            .domain(managed(&failed, "allowed.example.test", &served)),
    ]);
    let (code, report) = status(&fake, &dns, &served, &none).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(finding(&report, "no-certificate")["twilio_error"], 30107);

    fake.update(&failed, |domain| {
        domain.cert_in_validation =
            Some(serde_json::json!({"date_expires": null, "status": "failed"}));
    });
    let (code, report) = status(&fake, &dns, &served, &failed).await;
    // The CAA lookups failed here: undetermined, never "blocked".
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        finding_codes(&report),
        ["caa-undetermined", "in-validation"]
    );
    let validation = finding(&report, "in-validation");
    assert_eq!(validation["severity"], "warning");
    assert_eq!(validation["twilio_error"], 30132);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_is_not_sent_again_after_a_server_error_and_unnamed_domains_get_nothing() {
    let fake = TwilioFake::start(vec![
        account().domain(Domain::managed(&sid("DN", 16), "https://").expires(&in_days(3))),
    ]);
    fake.fault(Scope::Only(Endpoint::CreateAlarm), Fault::ServerError);
    let output = twilio(&fake, &["alarm", "--email", "sre@example.com"]).await;
    assert_eq!(status_code(&output), 3);
    assert_eq!(
        fake.requests_with("POST").len(),
        1,
        "a POST may have been carried out"
    );

    fake.clear_faults();
    let output = twilio(&fake, &["request-managed-cert", &sid("DN", 16)]).await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(status_code(&output), 1, "{text}");
    assert!(text.contains("no name to check CAA for"), "{text}");
    assert_eq!(fake.requests_with("POST").len(), 1);
}
