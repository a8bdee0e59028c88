//! `cert::diagnose_served` on arbitrary certificates: a server sends whatever DER it likes, so
//! the chain rules may never panic on it. The input is a list of certificates, each behind a
//! two-byte big-endian length (what is left when a length runs past the end is the last).
//!
//! What the core documents: the status is what the findings add up to, and the chain's
//! indices point into the certificates, one each.

#![no_main]

use certready::cert::{Certificate, Source, Status, Thresholds, diagnose_served};
use libfuzzer_sys::fuzz_target;

/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fuzz_target!(|data: &[u8]| {
    let mut chain = Vec::new();
    let mut rest = data;
    while let [high, low, tail @ ..] = rest {
        let length = usize::from(u16::from_be_bytes([*high, *low])).min(tail.len());
        chain.push(tail[..length].to_vec());
        rest = &tail[length..];
    }
    let names = ["example.com".to_owned()];
    // The last certificate's issuer, as a root the client trusts, when it parses.
    let roots: Vec<Vec<u8>> = chain
        .last()
        .and_then(|last| Certificate::parse(last).ok())
        .map(|last| vec![last.issuer.der])
        .unwrap_or_default();
    let diagnosis = diagnose_served(&chain, &names, &roots, Thresholds::default(), NOW);
    assert_eq!(
        diagnosis.status,
        Status::of(&diagnosis.findings, Source::Served)
    );
    assert_eq!(diagnosis.certificates.len(), chain.len());
    let mut seen = vec![false; chain.len()];
    for &index in &diagnosis.chain {
        assert!(!std::mem::replace(&mut seen[index], true), "{index} twice");
    }
});
