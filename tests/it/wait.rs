//! `certready wait` against a universe of authoritative servers whose zone is changed while it
//! waits: it returns once every server has caught up, two rounds in a row, and at the timeout
//! says whether the servers agree on another verdict (1) or still disagree (3).

use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};

use crate::support::authority::{Universe, UniverseBuilder};
use crate::support::{certready, json_lines, stderr};

/// `example.test.` as its servers serve it: `www` authorises `issuer`, at `serial`.
fn example_zone(serial: u32, issuer: &str) -> String {
    format!(
        "@ SOA ns1 hostmaster {serial} 3600 600 86400 300
@ NS ns1
@ NS ns2
www 600 CAA 0 issue \"{issuer}\"
"
    )
}

/// `example.test.` on two servers: ns1 at serial 7 with `first`, ns2 at `second`'s serial and
/// issuer.
fn universe(first: (u32, &str), second: (u32, &str)) -> Universe {
    let mut builder =
        UniverseBuilder::under_test(&[("example.test", &["ns1.example.test", "ns2.example.test"])]);
    builder.zone_on(
        "ns1.example.test",
        "example.test",
        &example_zone(first.0, first.1),
    );
    builder.zone_on(
        "ns2.example.test",
        "example.test",
        &example_zone(second.0, second.1),
    );
    builder.start()
}

/// `certready wait www.example.test` against the universe, with `extra` options.
fn wait_args(universe: &Universe, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["wait", "www.example.test", "--no-name-policy"]
        .map(String::from)
        .to_vec();
    args.extend(universe.walk_args());
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

async fn run(args: Vec<String>) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    certready(&args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_returns_once_a_stale_secondary_catches_up() {
    let universe = universe((7, "letsencrypt.org"), (6, "digicert.com"));
    let args = wait_args(&universe, &["--interval", "1s", "--timeout", "30s"]);
    let waiting = tokio::spawn(run(args));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!waiting.is_finished(), "it waits while ns2 is stale");
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        &example_zone(7, "letsencrypt.org"),
    );
    let output = waiting.await.unwrap();
    let progress = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{progress}");
    let ns2 = universe.address("ns2.example.test").ip();
    assert!(
        progress.contains(&format!(
            "certready: www.example.test: ns2.example.test. {ns2} serial 6: still the old records (denied)"
        )),
        "{progress}"
    );
    assert!(
        progress.contains(&format!(
            "certready: www.example.test: ns2.example.test. {ns2} serial 7: caught up, leads to allowed"
        )),
        "{progress}"
    );
    assert!(
        progress.contains("every server leads to allowed (2 of 2 rounds in a row)"),
        "{progress}"
    );
    assert_eq!(
        progress.matches("still the old records").count(),
        1,
        "a standing is said once, when it changes: {progress}"
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.starts_with(
            "www.example.test: allowed on every authoritative server, 2 rounds in a row (after "
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "public resolvers may still serve the old answer for up to 10m (the largest TTL seen); the CA keeps no cache"
        ),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_server_added_with_the_change_is_waited_for_too() {
    let mut builder = UniverseBuilder::under_test(&[("example.test", &["ns1.example.test"])]);
    builder.server("ns2.example.test");
    let only_ns1 =
        "@ SOA ns1 hostmaster 7 3600 600 86400 300\n@ NS ns1\nwww CAA 0 issue \"digicert.com\"\n";
    builder.zone_on("ns1.example.test", "example.test", only_ns1);
    let universe = builder.start();
    let args = wait_args(&universe, &["--interval", "1s", "--timeout", "30s"]);
    let waiting = tokio::spawn(run(args));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The fix, and a new secondary that has not loaded it yet.
    let (nic, ns1, ns2) = (
        universe.address("ns.nic.test").ip(),
        universe.address("ns1.example.test").ip(),
        universe.address("ns2.example.test").ip(),
    );
    universe.set_zone(
        "ns.nic.test",
        "test.",
        &format!(
            "@ SOA ns.nic hostmaster 2 3600 600 86400 300
@ NS ns.nic
ns.nic A {nic}
example NS ns1.example
example NS ns2.example
ns1.example A {ns1}
ns2.example A {ns2}
"
        ),
    );
    let both = |serial: u32, issuer: &str| {
        format!(
            "@ SOA ns1 hostmaster {serial} 3600 600 86400 300\n@ NS ns1\n@ NS ns2\nns1 A {ns1}\nns2 A {ns2}\nwww CAA 0 issue \"{issuer}\"\n"
        )
    };
    universe.set_zone(
        "ns1.example.test",
        "example.test.",
        &both(8, "letsencrypt.org"),
    );
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        &both(7, "digicert.com"),
    );
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(!waiting.is_finished(), "the new secondary holds the wait");
    universe.set_zone(
        "ns2.example.test",
        "example.test.",
        &both(8, "letsencrypt.org"),
    );
    let output = waiting.await.unwrap();
    let progress = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{progress}");
    assert!(
        progress.contains(&format!(
            "ns2.example.test. {ns2} serial 7: still the old records (denied)"
        )),
        "{progress}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_timeout_servers_that_still_disagree_are_undetermined() {
    let universe = universe((7, "letsencrypt.org"), (6, "digicert.com"));
    let output = run(wait_args(
        &universe,
        &["--interval", "1", "--timeout", "2", "--json"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let report = &json_lines(&output)[0];
    assert_eq!(report["result"], "unsettled");
    assert_eq!(report["until"], "allowed");
    assert_eq!(report["verdict"], "denied");
    assert_eq!(report["outcomes"]["allowed"], 0.5);
    assert_eq!(report["largest_ttl"], 600);
    let ns2 = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|server| server["ns"] == "ns2.example.test.")
        .unwrap();
    assert_eq!(ns2["standing"], "old-records");
    assert_eq!(ns2["serial"], 6);
    assert_eq!(ns2["verdict"], "denied");
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_that_all_lead_elsewhere_fail_at_the_timeout_and_settle_the_other_wait() {
    let universe = universe((7, "digicert.com"), (7, "digicert.com"));
    let output = run(wait_args(&universe, &["--interval", "1", "--timeout", "1"])).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.starts_with(
            "www.example.test: denied on every server when the 1s timeout ran out, not allowed\n"
        ),
        "{report}"
    );
    // The parent's NODATA decides nothing: it is not listed as holding the wait.
    assert!(!report.contains("ns.nic.test."), "{report}");

    let output = run(wait_args(
        &universe,
        &["--until", "denied", "--interval", "1", "--timeout", "10"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_stops_on_ctrl_c_and_refuses_bad_durations() {
    let universe = universe((7, "letsencrypt.org"), (6, "digicert.com"));
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_certready"))
        .args(wait_args(
            &universe,
            &["--interval", "1", "--timeout", "1h"],
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = Pid::from_raw(child.id().unwrap() as i32).unwrap();
    kill_process(pid, Signal::INT).unwrap();
    let output = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("it stops within seconds")
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));

    for (bad, says) in [
        (
            ["--timeout", "5s", "--interval", "10s"],
            "--timeout 5s is shorter than --interval 10s",
        ),
        (
            ["--timeout", "5x", "--interval", "1"],
            "expected a number and s, m, h or d",
        ),
    ] {
        let output = run(wait_args(&universe, &bad)).await;
        assert_eq!(output.status.code(), Some(2));
        let error = stderr(&output);
        assert!(error.contains(says), "{error}");
        assert_eq!(error.lines().count(), 1, "{error}");
    }
}
