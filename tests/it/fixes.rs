//! Fixes are right, not merely printed: for every kind of denial in the test zones, the
//! suggested changes make the verdict `allowed`, both as what-if assumptions (`--assume`,
//! `--assume-absent`) and when the fixed zone is actually served. Every zone line reads back
//! as the same record, with our reader and with hickory's zone-file parser.

use crate::support::{Behaviour, DnsServer, report};
use certready::caa::answers::CaaRecord;
use certready::caa::zone::parse_zone_line;
use serde_json::Value;

const ACCOUNT_1: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/1";
const ACCOUNT_2: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/2";

/// Each kind of denial: a name and the flags that make it denied.
fn denials() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("denied.example.test", vec![]),
        ("nobody.example.test", vec![]),
        ("www.sub.parent.example.test", vec![]),
        ("critical.example.test", vec![]),
        ("critical-other.example.test", vec![]),
        ("flag-one.example.test", vec![]),
        ("hyphen-param.example.test", vec![]),
        ("malformed.example.test", vec![]),
        ("near-case.example.test", vec![]),
        ("near-dot.example.test", vec![]),
        ("near-display.example.test", vec![]),
        ("near-quotes.example.test", vec![]),
        ("account.example.test", vec![]),
        (
            "account.example.test",
            vec!["--account-uri", ACCOUNT_2, "--method", "http-01"],
        ),
        (
            "repeated-account.example.test",
            vec!["--account-uri", ACCOUNT_1, "--method", "http-01"],
        ),
        ("dns-only.example.test", vec![]),
        ("dns-only.example.test", vec!["--method", "tls-alpn-01"]),
        ("*.wild.example.test", vec![]),
        ("*.denied.example.test", vec![]),
        ("cross.example.test", vec![]),
        ("target.dname.example.test", vec![]),
    ]
}

fn zones() -> Behaviour {
    Behaviour::default().dname("dname.example.test", "other.test")
}

/// The record a fix object describes, from its JSON fields.
fn record_of(fix: &Value) -> CaaRecord {
    CaaRecord::new(
        u8::try_from(fix["flags"].as_u64().unwrap()).unwrap(),
        fix["tag"].as_str().unwrap(),
        fix["value"].as_str().unwrap(),
    )
}

/// The fix as (present, zone line) pairs: a replacement is the old line absent, the new present.
fn as_changes(fix: &Value) -> Vec<(bool, String)> {
    let line = |fix: &Value| fix["zone_line"].as_str().unwrap().to_owned();
    match fix["action"].as_str().unwrap() {
        "add" => vec![(true, line(fix))],
        "remove" => vec![(false, line(fix))],
        "replace" => vec![(false, line(&fix["old"])), (true, line(fix))],
        other => panic!("unknown action {other}"),
    }
}

async fn fixes_for(server: &DnsServer, name: &str, flags: &[&str]) -> Vec<Value> {
    let report = report(server, name, flags).await;
    assert_eq!(report["verdict"], "denied", "{name} {flags:?}");
    let fixes = report["fixes"].as_array().unwrap().clone();
    assert!(!fixes.is_empty(), "{name}: a denial has a fix");
    fixes
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fix_allows_when_assumed() {
    let server = DnsServer::start(zones()).await;
    for (name, flags) in denials() {
        let fixes = fixes_for(&server, name, &flags).await;
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        for (present, line) in fixes.iter().flat_map(as_changes) {
            args.push(
                if present {
                    "--assume"
                } else {
                    "--assume-absent"
                }
                .to_owned(),
            );
            args.push(line);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let fixed = report(&server, name, &args).await;
        assert_eq!(
            fixed["verdict"], "allowed",
            "{name} {flags:?} with {fixes:?}"
        );
        assert_eq!(fixed["hypothetical"], true);
        assert_eq!(fixed["fixes"], serde_json::json!([]));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fix_allows_when_the_fixed_zone_is_served() {
    let server = DnsServer::start(zones()).await;
    for (name, flags) in denials() {
        let fixes = fixes_for(&server, name, &flags).await;
        let mut fixed_zones = zones();
        for (present, line) in fixes.iter().flat_map(as_changes) {
            fixed_zones = fixed_zones.zone_change(present, &line);
        }
        let fixed_server = DnsServer::start(fixed_zones).await;
        let fixed = report(&fixed_server, name, &flags).await;
        assert_eq!(
            fixed["verdict"], "allowed",
            "{name} {flags:?} with {fixes:?}"
        );
        assert_eq!(fixed["hypothetical"], false);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_zone_line_reads_back_as_the_same_record() {
    let server = DnsServer::start(zones()).await;
    for (name, flags) in denials() {
        for fix in fixes_for(&server, name, &flags).await {
            let mut described = vec![fix.clone()];
            if fix["action"] == "replace" {
                described.push(fix["old"].clone());
            }
            for record in described {
                let line = record["zone_line"].as_str().unwrap();
                let (owner, parsed) = parse_zone_line(line).unwrap();
                assert_eq!(owner, fix["owner"].as_str().unwrap(), "{line}");
                assert_eq!(parsed, record_of(&record), "{line}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alternative_to_removing_a_critical_tag_also_allows() {
    let server = DnsServer::start(zones()).await;
    let report_before = report(&server, "critical.example.test", &[]).await;
    let removal = report_before["fixes"][0]["zone_line"].as_str().unwrap();
    let advice = report_before["advice"][0].as_str().unwrap();
    let cleared = advice
        .split_once(": ")
        .map(|(_, line)| line)
        .expect("the advice gives the line with its flags cleared");
    assert_eq!(
        parse_zone_line(cleared).unwrap().1,
        CaaRecord::new(0, "tbs", "unknown")
    );
    let fixed = report(
        &server,
        "critical.example.test",
        &["--assume-absent", removal, "--assume", cleared],
    )
    .await;
    assert_eq!(fixed["verdict"], "allowed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fix_never_removes_another_ca() {
    let server = DnsServer::start(zones()).await;
    for (name, flags) in denials() {
        for fix in fixes_for(&server, name, &flags).await {
            let removed = match fix["action"].as_str().unwrap() {
                "remove" => record_of(&fix),
                "replace" => record_of(&fix["old"]),
                _ => continue,
            };
            let value = String::from_utf8_lossy(&removed.value).to_lowercase();
            assert!(
                value.contains("letsencrypt")
                    || value.contains("let's encrypt")
                    || removed.tag == b"tbs"
                    || removed.tag == b"contactemail",
                "{name}: a fix removed {removed:?}"
            );
        }
    }
}
