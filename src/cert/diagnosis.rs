//! Everything a report shows of a bundle about to be uploaded, or of a chain a server
//! served, decided: the findings in report order (framing, key, chain, validity, names), the
//! certificates, the right chain order, the leaf's days left and the status. Renderers only
//! word it.

use super::certificate::Certificate;
use super::chain::{Source, check_chain};
use super::finding::{Finding, PemFile, Place, Status};
use super::key::{KeyForm, KeyFound, check_key};
use super::names::check_names;
use super::pem::{PemRead, read_pem};
use super::validity::{Thresholds, check_validity};

pub use super::key::KeyBlock;

/// The PEM label of a certificate (RFC 7468 §5).
const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// The organization Let's Encrypt's intermediates name.
const LETS_ENCRYPT_ORGANIZATION: &str = "Let's Encrypt";

/// A certificate block of the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleCertificate {
    /// The BEGIN line.
    pub at: Place,
    /// None: unreadable (damaged base64 or not a certificate).
    pub certificate: Option<Certificate>,
}

/// A bundle (and key) about to be uploaded, diagnosed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleDiagnosis {
    /// Report order: framing, key, chain, validity, names.
    pub findings: Vec<Finding>,
    /// In file order.
    pub certificates: Vec<BundleCertificate>,
    /// The key that was checked (the bundle's or the key file's).
    pub key: Option<KeyBlock>,
    /// Indices into `certificates`: the right order, leaf first, each issuer after what it
    /// issued.
    pub chain: Vec<usize>,
    pub leaf_days_left: Option<i64>,
    pub status: Status,
}

/// A chain a server served, diagnosed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedDiagnosis {
    pub findings: Vec<Finding>,
    /// In served order; None: unreadable.
    pub certificates: Vec<Option<Certificate>>,
    pub chain: Vec<usize>,
    pub leaf_days_left: Option<i64>,
    /// The leaf's issuer O is "Let's Encrypt".
    pub issued_by_lets_encrypt: bool,
    pub status: Status,
}

/// The chain, validity and name rules over parsed certificates.
struct Judged {
    chain: Vec<Finding>,
    validity: Vec<Finding>,
    names: Vec<Finding>,
    leaf: Option<usize>,
    order: Vec<usize>,
    leaf_days_left: Option<i64>,
}

/// Parses each DER certificate: the certificates in order (None where unreadable) and a
/// `CertificateUnreadable` for each that is not.
fn parse_all<'a>(
    ders: impl Iterator<Item = Option<&'a [u8]>>,
) -> (Vec<Option<Certificate>>, Vec<Finding>) {
    let mut unreadable = Vec::new();
    let certificates = ders
        .enumerate()
        .map(|(index, der)| {
            Certificate::parse(der?)
                .map_err(|reason| {
                    unreadable.push(Finding::CertificateUnreadable {
                        certificate: index,
                        reason,
                    });
                })
                .ok()
        })
        .collect();
    (certificates, unreadable)
}

fn judge(
    certificates: &[Option<Certificate>],
    source: Source,
    names: &[String],
    thresholds: Thresholds,
    now: i64,
) -> Judged {
    let readable: Vec<(usize, &Certificate)> = certificates
        .iter()
        .enumerate()
        .filter_map(|(index, certificate)| Some((index, certificate.as_ref()?)))
        .collect();
    let chain = check_chain(&readable, source);
    let distinct: Vec<(usize, &Certificate)> = readable
        .iter()
        .filter(|(index, _)| {
            !chain.findings.iter().any(|finding| {
                matches!(finding, Finding::DuplicateCertificate { certificate, .. } if certificate == index)
            })
        })
        .copied()
        .collect();
    let (validity, leaf_days_left) = check_validity(&distinct, chain.leaf, thresholds, now);
    let names = chain
        .leaf
        .and_then(|leaf| certificates[leaf].as_ref())
        .map(|leaf| check_names(leaf, names))
        .unwrap_or_default();
    Judged {
        chain: chain.findings,
        validity,
        names,
        leaf: chain.leaf,
        order: chain.chain,
        leaf_days_left,
    }
}

/// What a bundle or key file's blocks are, by label: certificates (bundle only), private keys,
/// and the unexpected rest.
fn sort_blocks<'a>(
    read: &'a PemRead,
    file: PemFile,
    certificates: &mut Vec<(Place, Option<&'a [u8]>)>,
    keys: &mut Vec<KeyFound<'a>>,
    findings: &mut Vec<Finding>,
) {
    for block in &read.blocks {
        let der = block.der.as_deref();
        if let Some(form) = KeyForm::from_label(&block.label) {
            keys.push(KeyFound {
                at: block.begin,
                form,
                der,
            });
        } else if block.label == CERTIFICATE_LABEL && file == PemFile::Bundle {
            certificates.push((block.begin, der));
        } else {
            findings.push(Finding::UnexpectedBlock {
                at: block.begin,
                label: block.label.clone(),
            });
        }
    }
}

/// RFC 7468 and Twilio's documented upload rules: the bundle holds at least one certificate.
/// Not said of a file already found empty or not text.
fn lacks_certificate(certificates: usize, framing: &[Finding]) -> bool {
    certificates == 0
        && !framing.iter().any(|finding| {
            matches!(
                finding,
                Finding::EmptyFile {
                    file: PemFile::Bundle
                } | Finding::NotText {
                    at: Place {
                        file: PemFile::Bundle,
                        ..
                    }
                }
            )
        })
}

/// `key_file`: the contents of `--key` if given (the key may instead be inside the bundle, as
/// Twilio's TlsCert concatenates chain and key).
/// `names`: names the leaf must cover (ASCII/A-label DNS names, or IP address literals).
pub fn diagnose_bundle(
    bundle: &[u8],
    key_file: Option<&[u8]>,
    names: &[String],
    thresholds: Thresholds,
    now: i64,
) -> BundleDiagnosis {
    let bundle_read = read_pem(PemFile::Bundle, bundle);
    let key_read = key_file.map(|key_file| read_pem(PemFile::Key, key_file));
    let mut framing = Vec::new();
    let mut blocks = Vec::new();
    let mut keys = Vec::new();
    for (read, file) in [
        (Some(&bundle_read), PemFile::Bundle),
        (key_read.as_ref(), PemFile::Key),
    ] {
        if let Some(read) = read {
            framing.extend(read.findings.iter().cloned());
            sort_blocks(read, file, &mut blocks, &mut keys, &mut framing);
        }
    }
    if lacks_certificate(blocks.len(), &framing) {
        framing.push(Finding::NoCertificate);
    }
    let (parsed, unreadable) = parse_all(blocks.iter().map(|&(_, der)| der));
    let judged = judge(&parsed, Source::Bundle, names, thresholds, now);
    let leaf = judged.leaf.and_then(|leaf| parsed[leaf].as_ref());
    let (key, key_findings) = check_key(&keys, leaf);
    let findings: Vec<Finding> = [
        framing,
        key_findings,
        unreadable,
        judged.chain,
        judged.validity,
        judged.names,
    ]
    .concat();
    BundleDiagnosis {
        status: Status::of(&findings),
        findings,
        certificates: blocks
            .iter()
            .zip(parsed)
            .map(|(&(at, _), certificate)| BundleCertificate { at, certificate })
            .collect(),
        key,
        chain: judged.order,
        leaf_days_left: judged.leaf_days_left,
    }
}

/// The same chain, validity and name rules over the DER chain a server served (no key, no
/// PEM framing).
pub fn diagnose_served(
    chain: &[Vec<u8>],
    names: &[String],
    thresholds: Thresholds,
    now: i64,
) -> ServedDiagnosis {
    let (certificates, unreadable) = parse_all(chain.iter().map(|der| Some(der.as_slice())));
    let judged = judge(&certificates, Source::Served, names, thresholds, now);
    let issued_by_lets_encrypt = judged
        .leaf
        .and_then(|leaf| certificates[leaf].as_ref())
        .is_some_and(|leaf| leaf.issuer.organization.as_deref() == Some(LETS_ENCRYPT_ORGANIZATION));
    let nothing_served = chain.is_empty().then_some(Finding::NoCertificate);
    let findings: Vec<Finding> = [
        nothing_served.into_iter().collect(),
        unreadable,
        judged.chain,
        judged.validity,
        judged.names,
    ]
    .concat();
    ServedDiagnosis {
        status: Status::of(&findings),
        findings,
        certificates,
        chain: judged.order,
        leaf_days_left: judged.leaf_days_left,
        issued_by_lets_encrypt,
    }
}
