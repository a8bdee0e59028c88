//! `expiry`'s report for one server: the class and days left on the first line; under it
//! (for a result that is not ok, or with `--verbose`) where it connected, the leaf, its names
//! and issuer, the chain as served, whether it verifies, and each finding.

use std::fmt::Write;

use serde::Serialize;

use crate::cert::{Certificate, ServedDiagnosis, Source, rfc3339};
use crate::commands::expiry::{Expiry, ExpiryClass, Served, Unreached};
use crate::endpoint::Host;
use crate::escape::{json_line, printable};
use crate::render::style::{Palette, Tone};
use crate::render::{Detail, Format};
use crate::tls::ProtocolVersion;

use super::bundle::expires_in;
use super::human::{certificate_line, findings, subject_alt_names};
use super::json::{CertificateJson, FindingJson};
use super::words::{Names, short_name};

/// The report for one host, without a trailing newline.
pub fn render(expiry: &Expiry, line: Option<u64>, format: Format) -> String {
    match format {
        Format::Json => json_line(&ExpiryJson::new(expiry, line)),
        Format::Human(style) => human(expiry, &Palette::new(style.color), style.detail),
    }
}

pub fn class_tone(class: ExpiryClass) -> Tone {
    match class {
        ExpiryClass::Ok => Tone::Good,
        ExpiryClass::Warning => Tone::Warning,
        ExpiryClass::Critical => Tone::Bad,
        ExpiryClass::Unknown => Tone::Unknown,
    }
}

/// Served certificates named by their place in the handshake: `certificate 2 (R11)`.
pub(super) fn names(diagnosis: &ServedDiagnosis) -> Names<'static> {
    Names {
        certificates: diagnosis
            .certificates
            .iter()
            .enumerate()
            .map(|(index, certificate)| match certificate {
                Some(certificate) => {
                    format!("certificate {} ({})", index + 1, short_name(certificate))
                }
                None => format!("certificate {}", index + 1),
            })
            .collect(),
        leaf: diagnosis.chain.first().copied(),
        bundle: "the served chain",
        key: None,
        source: Source::Served,
    }
}

fn leaf(diagnosis: &ServedDiagnosis) -> Option<&Certificate> {
    diagnosis.certificates.first().and_then(Option::as_ref)
}

fn human(expiry: &Expiry, palette: &Palette, detail: Detail) -> String {
    let class = expiry.class;
    let mut out = format!(
        "{}: {}",
        expiry.endpoint,
        palette.tone(class.as_str(), class_tone(class))
    );
    let served = match &expiry.outcome {
        Ok(served) => served,
        Err(unreached) => {
            let _ = write!(out, ", {}", printable(&unreached.to_string()));
            return out;
        }
    };
    if let Some(days_left) = served.diagnosis.leaf_days_left {
        let _ = write!(out, ", {}", expires_in(days_left));
        if let Some(leaf) = leaf(&served.diagnosis) {
            let _ = write!(out, " ({})", rfc3339(leaf.not_after));
        }
    }
    let detailed = match detail {
        Detail::Quiet => false,
        Detail::Normal => class != ExpiryClass::Ok,
        Detail::Verbose => true,
    };
    if detailed {
        details(&mut out, expiry, served, palette);
    }
    out
}

fn details(out: &mut String, expiry: &Expiry, served: &Served, palette: &Palette) {
    let diagnosis = &served.diagnosis;
    let sni = expiry
        .sni
        .as_deref()
        .map_or_else(|| "no SNI".to_owned(), |name| format!("SNI {name}"));
    let _ = write!(
        out,
        "\n  server  {} ({}, {:?}, {sni})",
        served.chain.address,
        protocol(served),
        served.chain.cipher_suite
    );
    if let Some(leaf) = diagnosis.leaf() {
        let _ = write!(out, "\n  leaf    {}", certificate_line(leaf));
        let _ = write!(out, "\n  names   {}", subject_alt_names(leaf));
        let _ = write!(
            out,
            "\n  issuer  {}{}",
            printable(&leaf.issuer.text),
            if diagnosis.issued_by_lets_encrypt {
                " (Let's Encrypt, as a Twilio-managed certificate is)"
            } else {
                ""
            }
        );
    }
    let _ = write!(
        out,
        "\n  chain   {} served, {}, {}",
        diagnosis.certificates.len(),
        if diagnosis.complete() {
            "complete"
        } else {
            "incomplete"
        },
        if diagnosis.in_order() {
            "in order"
        } else {
            "out of order"
        }
    );
    let _ = write!(
        out,
        "\n  trust   {}",
        match &served.trust {
            Ok(()) => format!("verifies for {}", printable(&expiry.checked_name)),
            Err(failure) => format!(
                "does not verify for {}: {}",
                printable(&expiry.checked_name),
                printable(&failure.to_string())
            ),
        }
    );
    findings(out, &diagnosis.findings, &names(diagnosis), palette);
}

/// `TLS 1.3`, as people write it.
fn protocol(served: &Served) -> String {
    match served.chain.protocol {
        ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
        ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

#[derive(Serialize)]
struct ExpiryJson<'a> {
    host: String,
    port: u16,
    line: Option<u64>,
    status: &'static str,
    sni: Option<&'a str>,
    checked_name: &'a str,
    address: Option<String>,
    protocol: Option<String>,
    cipher_suite: Option<String>,
    days_left: Option<i64>,
    not_after: Option<String>,
    leaf: Option<CertificateJson<'a>>,
    issued_by_lets_encrypt: Option<bool>,
    trust: Option<TrustJson>,
    chain: Option<ChainJson<'a>>,
    certificates: Vec<Option<CertificateJson<'a>>>,
    findings: Vec<FindingJson>,
    error: Option<ErrorJson>,
}

#[derive(Serialize)]
struct TrustJson {
    verified: bool,
    failure: Option<&'static str>,
    message: Option<String>,
}

#[derive(Serialize)]
struct ChainJson<'a> {
    served: usize,
    complete: bool,
    in_order: bool,
    /// Indices into `certificates`: the right order, leaf first.
    order: &'a [usize],
}

#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    message: String,
}

impl<'a> ExpiryJson<'a> {
    fn new(expiry: &'a Expiry, line: Option<u64>) -> ExpiryJson<'a> {
        let class = expiry.class;
        let mut json = ExpiryJson {
            host: match &expiry.endpoint.host {
                Host::Name(name) => name.clone(),
                Host::Address(address) => address.to_string(),
            },
            port: expiry.endpoint.port,
            line,
            status: class.as_str(),
            sni: expiry.sni.as_deref(),
            checked_name: &expiry.checked_name,
            address: None,
            protocol: None,
            cipher_suite: None,
            days_left: None,
            not_after: None,
            leaf: None,
            issued_by_lets_encrypt: None,
            trust: None,
            chain: None,
            certificates: Vec::new(),
            findings: Vec::new(),
            error: None,
        };
        match &expiry.outcome {
            Err(unreached) => {
                if let Unreached::Probe { address, .. } = unreached {
                    json.address = Some(address.to_string());
                }
                json.error = Some(ErrorJson {
                    code: unreached.code(),
                    message: unreached.to_string(),
                });
            }
            Ok(served) => {
                let diagnosis = &served.diagnosis;
                let names = names(diagnosis);
                json.address = Some(served.chain.address.to_string());
                json.protocol = Some(protocol(served));
                json.cipher_suite = Some(format!("{:?}", served.chain.cipher_suite));
                json.days_left = diagnosis.leaf_days_left;
                json.not_after = diagnosis.leaf().map(|leaf| rfc3339(leaf.not_after));
                json.leaf = diagnosis.leaf().map(CertificateJson::new);
                json.issued_by_lets_encrypt = Some(diagnosis.issued_by_lets_encrypt);
                json.trust = Some(TrustJson {
                    verified: served.trust.is_ok(),
                    failure: served.trust.as_ref().err().map(|failure| failure.code()),
                    message: served.trust.as_ref().err().map(ToString::to_string),
                });
                json.chain = Some(ChainJson {
                    served: diagnosis.certificates.len(),
                    complete: diagnosis.complete(),
                    in_order: diagnosis.in_order(),
                    order: &diagnosis.chain,
                });
                json.certificates = diagnosis
                    .certificates
                    .iter()
                    .map(|certificate| certificate.as_ref().map(CertificateJson::new))
                    .collect();
                json.findings = diagnosis
                    .findings
                    .iter()
                    .map(|finding| FindingJson::new(finding, &names))
                    .collect();
            }
        }
        json
    }
}
