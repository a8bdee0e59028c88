//! `cert::diagnose_bundle` and both of `bundle`'s reports on arbitrary bytes: a bundle is
//! whatever file the user points at, so neither may panic, and the human report may never carry
//! a control character but its newlines (untrusted text is escaped on the way out).
//!
//! The input is the bundle, then, after the first NUL byte if there is one, the `--key` file.
//! What the core documents: the status is what the findings add up to; the chain's indices
//! point into the certificates; every line a finding names is a line of its file.

#![no_main]

use certready::cert::{Finding, PemFile, Place, Source, Status, Thresholds, diagnose_bundle};
use certready::render::certificate::bundle::{BundleFiles, render};
use certready::render::{Detail, Format, HumanStyle};
use libfuzzer_sys::fuzz_target;

/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn lines(bytes: &[u8]) -> usize {
    bytes.split(|&byte| byte == b'\n').count()
}

fuzz_target!(|data: &[u8]| {
    let (bundle, key) = match data.iter().position(|&byte| byte == 0) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let names = ["example.com".to_owned(), "192.0.2.1".to_owned()];
    let diagnosis = diagnose_bundle(bundle, key, &names, Thresholds::default(), NOW);
    assert_eq!(
        diagnosis.status,
        Status::of(&diagnosis.findings, Source::Bundle)
    );
    assert!(
        diagnosis
            .chain
            .iter()
            .all(|&index| index < diagnosis.certificates.len())
    );
    let within = |place: &Place| {
        let file = match place.file {
            PemFile::Bundle => bundle,
            PemFile::Key => key.unwrap_or_default(),
        };
        (1..=lines(file)).contains(&place.line)
    };
    for finding in &diagnosis.findings {
        let places: Vec<Place> = match finding {
            Finding::MultipleKeys { at } => at.clone(),
            other => other.place().into_iter().collect(),
        };
        assert!(places.iter().all(within), "{finding:?}");
    }
    let files = BundleFiles {
        bundle: "bundle.pem",
        key: key.map(|_| "key.pem"),
    };
    let human = Format::Human(HumanStyle {
        color: false,
        detail: Detail::Verbose,
    });
    let text = render(&diagnosis, files, human);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    let json = render(&diagnosis, files, Format::Json);
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
});
