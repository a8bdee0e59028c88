//! Audits across many names: `--input` (a file or stdin), shared lookups, input order, invalid
//! lines in place, dead servers, exit statuses, the summary, limits and Ctrl-C. The binary
//! against a hickory-server on loopback that counts what it is asked.

use std::time::Duration;

use crate::support::{
    Behaviour, DnsServer, Fault, certready, certready_with_stdin, json_lines, status, stderr,
};
use serde_json::Value;

/// Runs `certready check --json --input - --nameserver SERVER` plus `extra`, `lines` on stdin.
async fn audit(server: &DnsServer, lines: &str, extra: &[&str]) -> std::process::Output {
    let nameserver = server.nameserver();
    let mut args = vec![
        "check",
        "--no-name-policy",
        "--json",
        "--input",
        "-",
        "--nameserver",
        &nameserver,
    ];
    args.extend(extra);
    let run = certready_with_stdin(&args, lines.as_bytes());
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends (a hang guard, not a speed target)")
}

fn names_of(reports: &[Value]) -> Vec<String> {
    reports
        .iter()
        .map(|report| report["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_names_under_one_zone_share_the_zone_and_tld_answers() {
    let server = DnsServer::start(Behaviour::default()).await;
    let lines: String = (0..1000).map(|i| format!("n{i}.example.test\n")).collect();
    let output = audit(&server, &lines, &["--concurrency", "32"]).await;
    assert_eq!(status(&output), 0, "{}", stderr(&output));
    assert_eq!(json_lines(&output).len(), 1000);
    assert_eq!(
        server.stats.distinct_names(),
        1002,
        "1000 names, example.test and test"
    );
    // Each asked once; a loaded machine may make a datagram look lost after a few round trips
    // and send it again, a few percent at most here (the resend budget caps it at a half).
    let sent = server.stats.query_count();
    assert!(
        (1002..=1052).contains(&sent),
        "{sent} queries for 1002 names"
    );
    assert!(
        stderr(&output).contains(&format!("{sent} queries sent")),
        "the summary counts them too: {}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_name_holds_back_the_output_behind_it_not_the_checks() {
    let server = DnsServer::start(Behaviour::default().fault(
        "late.example.test",
        Fault::Delay(Duration::from_millis(1500)),
    ))
    .await;
    // --concurrency 2: 8 names checked at once, 64 finished reports may wait behind a late one.
    let mut lines = vec!["late.example.test".to_owned()];
    lines.extend((0..50).map(|i| format!("n{i}.example.test")));
    let input = lines.join("\n");
    let run = audit(&server, &input, &["--concurrency", "2"]);
    let watch = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        server.stats.distinct_names()
    };
    let (output, asked_while_late) = tokio::join!(run, watch);
    assert!(
        asked_while_late >= 40,
        "only {asked_while_late} names asked while the first was late"
    );
    assert_eq!(names_of(&json_lines(&output)), lines);
}

#[tokio::test(flavor = "multi_thread")]
async fn results_keep_the_input_order_when_early_names_are_slow() {
    let server = DnsServer::start(
        Behaviour::default()
            .fault(
                "slow1.example.test",
                Fault::Delay(Duration::from_millis(400)),
            )
            .fault(
                "slow2.example.test",
                Fault::Delay(Duration::from_millis(200)),
            ),
    )
    .await;
    let names = [
        "slow1.example.test",
        "fast1.example.test",
        "slow2.example.test",
        "denied.example.test",
        "fast2.example.test",
    ];
    let output = audit(&server, &names.join("\n"), &[]).await;
    assert_eq!(names_of(&json_lines(&output)), names);
    assert_eq!(status(&output), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_lines_are_reported_in_place_and_the_run_goes_on() {
    let server = DnsServer::start(Behaviour::default()).await;
    let lines = "# audit of example.test\nallowed.example.test\n\n192.0.2.1\n  nothing.example.test  \nexa mple.test\n";
    let output = audit(&server, lines, &[]).await;
    let reports = json_lines(&output);
    let summary: Vec<(String, u64, String)> = reports
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
                r["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("allowed.example.test".into(), 2, "allowed".into()),
            ("192.0.2.1".into(), 4, "invalid".into()),
            ("nothing.example.test".into(), 5, "allowed".into()),
            ("exa mple.test".into(), 6, "invalid".into()),
        ]
    );
    assert!(
        reports[1]["reason"]
            .as_str()
            .unwrap()
            .contains("IP addresses")
    );
    assert_eq!(
        status(&output),
        2,
        "invalid lines and nothing worse: exit 2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_31_a_wildcard_line_under_http_01_is_invalid_in_its_place() {
    let server = DnsServer::start(Behaviour::default()).await;
    let lines = "*.allowed.example.test\nallowed.example.test\n";
    let output = audit(&server, lines, &["--method", "http-01"]).await;
    let reports = json_lines(&output);
    assert_eq!(
        names_of(&reports),
        ["*.allowed.example.test", "allowed.example.test"]
    );
    assert_eq!(reports[0]["verdict"], "invalid");
    assert_eq!(reports[0]["line"], 1);
    assert!(
        reports[0]["reason"]
            .as_str()
            .unwrap()
            .contains("only with dns-01")
    );
    assert_eq!(reports[1]["verdict"], "allowed");
    assert_eq!(status(&output), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_server_for_some_names_does_not_stall_the_others() {
    let mut behaviour = Behaviour::default();
    for i in 0..5 {
        behaviour = behaviour.fault(&format!("dead{i}.example.test"), Fault::Silent);
    }
    let server = DnsServer::start(behaviour).await;
    let lines: String = (0..100)
        .map(|i| {
            if i % 20 == 0 {
                format!("dead{}.example.test\n", i / 20)
            } else {
                format!("n{i}.example.test\n")
            }
        })
        .collect();
    // A query timeout far longer than the test: only the per-name deadline can end these.
    let output = audit(
        &server,
        &lines,
        &["--timeout", "600", "--retries", "0", "--deadline", "0.5"],
    )
    .await;
    let reports = json_lines(&output);
    assert_eq!(reports.len(), 100);
    for report in &reports {
        let name = report["name"].as_str().unwrap();
        if name.starts_with("dead") {
            assert_eq!(report["verdict"], "error", "{name}");
            assert!(
                report["lookups"][0]["detail"]
                    .as_str()
                    .unwrap()
                    .contains("deadline"),
                "{report}"
            );
        } else {
            assert_eq!(report["verdict"], "allowed", "{name}");
        }
    }
    assert_eq!(status(&output), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_statuses_rank_denied_then_error_then_invalid() {
    let server = DnsServer::start(Behaviour::default()).await;
    let cases = [
        ("allowed.example.test\nnothing.example.test", 0),
        ("allowed.example.test\nbad name\nloop1.example.test", 3),
        ("bad name\nloop1.example.test\ndenied.example.test", 1),
        ("allowed.example.test\n192.0.2.1", 2),
    ];
    for (lines, expected) in cases {
        let output = audit(&server, lines, &[]).await;
        assert_eq!(status(&output), expected, "{lines:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn input_files_and_arguments_combine_arguments_first() {
    let server = DnsServer::start(Behaviour::default()).await;
    let file = std::env::temp_dir().join(format!("certready-input-{}.txt", std::process::id()));
    std::fs::write(&file, "denied.example.test\nallowed.example.test\n").unwrap();
    let nameserver = server.nameserver();
    let output = certready(&[
        "check",
        "--no-name-policy",
        "--json",
        "--nameserver",
        &nameserver,
        "--input",
        file.to_str().unwrap(),
        "nothing.example.test",
    ])
    .await;
    std::fs::remove_file(&file).unwrap();
    let reports = json_lines(&output);
    assert_eq!(
        names_of(&reports),
        [
            "nothing.example.test",
            "denied.example.test",
            "allowed.example.test"
        ]
    );
    assert_eq!(reports[0]["line"], Value::Null);
    assert_eq!(reports[1]["line"], 1);
    let missing = certready(&["check", "--input", "/nonexistent/names.txt"]).await;
    assert_eq!(status(&missing), 2);
    assert!(stderr(&missing).contains("/nonexistent/names.txt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_goes_to_stderr_and_nothing_but_reports_to_stdout() {
    let server = DnsServer::start(Behaviour::default()).await;
    let lines = "allowed.example.test\ndenied.example.test\nloop1.example.test\nbad name\n";
    let nameserver = server.nameserver();
    let output = certready_with_stdin(
        &[
            "check",
            "--no-name-policy",
            "--quiet",
            "--input",
            "-",
            "--nameserver",
            &nameserver,
        ],
        lines.as_bytes(),
    )
    .await;
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let stderr = stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "only the summary: {stderr}");
    for part in [
        "4 names",
        "names/s",
        "1 allowed",
        "1 denied",
        "1 error",
        "1 invalid",
        "queries sent",
    ] {
        assert!(stderr.contains(part), "{part} missing from {stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_bounds_the_queries_in_flight() {
    let server = DnsServer::start(Behaviour::default().delay(Duration::from_millis(20))).await;
    let lines: String = (0..100).map(|i| format!("n{i}.example.test\n")).collect();
    let output = audit(&server, &lines, &["--concurrency", "4"]).await;
    assert_eq!(json_lines(&output).len(), 100);
    assert!(
        server.stats.max_in_flight() <= 4,
        "{} in flight",
        server.stats.max_in_flight()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn qps_caps_the_rate_of_queries() {
    let server = DnsServer::start(Behaviour::default()).await;
    let lines: String = (0..20).map(|i| format!("n{i}.example.test\n")).collect();
    let output = audit(&server, &lines, &["--qps", "50"]).await;
    assert_eq!(json_lines(&output).len(), 20);
    let arrivals = server.stats.arrivals();
    assert!(arrivals.len() >= 22, "{} queries", arrivals.len());
    // Turns are at least 20 ms apart, so 22 queries span at least 21 turns; late starts can
    // only stretch that.
    let span = *arrivals.last().unwrap() - arrivals[0];
    assert!(span >= Duration::from_millis(21 * 20 * 9 / 10), "{span:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resend_waiting_for_its_qps_turn_still_reads_the_reply() {
    // slow.example.test answers after 300 ms: long past its resend time, so a resend waits for
    // a --qps turn seconds away, behind the other names' queries. The late reply must be read
    // meanwhile, not left until the attempt times out.
    let server = DnsServer::start(Behaviour::default().fault(
        "slow.example.test",
        Fault::Delay(Duration::from_millis(300)),
    ))
    .await;
    let mut lines: Vec<String> = (0..12)
        .map(|i| format!("n{i}.allowed.example.test"))
        .collect();
    lines.insert(2, "slow.example.test".into());
    let output = audit(
        &server,
        &lines.join("\n"),
        &["--qps", "4", "--timeout", "2", "--retries", "0"],
    )
    .await;
    let reports = json_lines(&output);
    let slow = reports
        .iter()
        .find(|report| report["name"] == "slow.example.test")
        .unwrap();
    assert_eq!(slow["verdict"], "allowed", "{slow}");
    assert_eq!(status(&output), 0, "{}", stderr(&output));
}
