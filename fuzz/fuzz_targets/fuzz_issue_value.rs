//! `caa::issue_value::parse_issue_value` and `issuer_matches` on arbitrary bytes: an issue
//! value comes straight from a CAA record in DNS, any bytes at all, so reading it must never
//! panic, and neither may showing why it is malformed (`Display`).
//!
//! Beyond "no panic", what the module documents: the issuer is trimmed of spaces and tabs;
//! every parameter tag is ASCII letters and digits and every value passes
//! `is_parameter_value`; `issuer_matches` is exact byte equality. The whole input is the
//! value (so seeds are plain values); its length picks the CA domain to compare with.

#![no_main]

use certready::caa::issue_value::{is_parameter_value, issuer_matches, parse_issue_value};
use libfuzzer_sys::fuzz_target;

const CA_DOMAINS: [&str; 4] = ["letsencrypt.org", "ca.example", "", "pki.goog"];

fuzz_target!(|data: &[u8]| {
    match parse_issue_value(data) {
        Ok(parsed) => {
            let issuer = parsed.issuer;
            assert!(
                !issuer.starts_with(b" ")
                    && !issuer.starts_with(b"\t")
                    && !issuer.ends_with(b" ")
                    && !issuer.ends_with(b"\t"),
                "issuer not trimmed: {issuer:?}"
            );
            for parameter in &parsed.parameters {
                assert!(
                    parameter.tag.bytes().all(|b| b.is_ascii_alphanumeric()),
                    "bad tag accepted: {:?}",
                    parameter.tag
                );
                assert!(
                    is_parameter_value(parameter.value.as_bytes()),
                    "bad value accepted: {:?}",
                    parameter.value
                );
            }
            let ca = CA_DOMAINS[data.len() % CA_DOMAINS.len()];
            assert_eq!(issuer_matches(issuer, ca), issuer == ca.as_bytes());
            if let Ok(text) = std::str::from_utf8(issuer) {
                assert!(issuer_matches(issuer, text));
            }
        }
        Err(malformed) => {
            let _ = malformed.to_string();
        }
    }
});
