//! Everything a report shows of a bundle about to be uploaded, or of a chain a server
//! served, decided: the findings in report order (framing, key, chain, validity, names), the
//! certificates, the right chain order, the leaf's days left and the status. Renderers only
//! word it.

use super::certificate::Certificate;
use super::chain::check_chain;
use super::finding::{Finding, PemFile, Place, Source, Status};
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

/// Let's Encrypt's certificates name it as their issuer's organization (O).
fn issued_by_lets_encrypt(leaf: &Certificate) -> bool {
    leaf.issuer.organization.as_deref() == Some(LETS_ENCRYPT_ORGANIZATION)
}

impl BundleDiagnosis {
    /// The certificate the chain starts from: the leaf as the chain rules chose it.
    pub fn leaf(&self) -> Option<&Certificate> {
        self.chain
            .first()
            .and_then(|&index| self.certificates.get(index))
            .and_then(|entry| entry.certificate.as_ref())
    }
}

impl ServedDiagnosis {
    /// The certificate the chain starts from: the leaf as the chain rules chose it.
    pub fn leaf(&self) -> Option<&Certificate> {
        self.chain
            .first()
            .and_then(|&index| self.certificates.get(index))
            .and_then(Option::as_ref)
    }

    /// Whether the chain reaches its root, or the intermediate under it, with nothing
    /// missing: no issuer absent, and a leaf to start from.
    pub fn complete(&self) -> bool {
        !self.findings.iter().any(|finding| {
            matches!(
                finding,
                Finding::IssuerMissing { .. } | Finding::LeafIsCa { .. } | Finding::NoCertificate
            )
        })
    }

    /// Whether the chain is served leaf first, each issuer after what it issued.
    pub fn in_order(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|finding| matches!(finding, Finding::ChainOutOfOrder { .. }))
    }
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

/// `roots`: the subject names (DER) of the roots a client of a served chain trusts.
fn judge(
    certificates: &[Option<Certificate>],
    source: Source,
    roots: &[Vec<u8>],
    names: &[String],
    thresholds: Thresholds,
    now: i64,
) -> Judged {
    let readable: Vec<(usize, &Certificate)> = certificates
        .iter()
        .enumerate()
        .filter_map(|(index, certificate)| Some((index, certificate.as_ref()?)))
        .collect();
    let chain = check_chain(&readable, source, roots);
    // Dates are judged on every distinct certificate of an upload, which must all be right;
    // a client reads only the path through what a server sends.
    let dated: Vec<(usize, &Certificate)> = readable
        .iter()
        .filter(|(index, _)| {
            !chain.findings.iter().any(|finding| {
                matches!(finding, Finding::DuplicateCertificate { certificate, .. } if certificate == index)
            })
        })
        .filter(|(index, _)| source == Source::Bundle || chain.chain.contains(index))
        .copied()
        .collect();
    // A CA in the leaf's place is no leaf (`leaf-is-ca` says so): its dates, names and key
    // are not the certificate's, which is missing or unreadable.
    let leaf = chain
        .leaf
        .filter(|&leaf| certificates[leaf].as_ref().is_some_and(|leaf| !leaf.is_ca));
    let (validity, leaf_days_left) = check_validity(&dated, leaf, thresholds, now);
    let names = leaf
        .and_then(|leaf| certificates[leaf].as_ref())
        .map(|leaf| check_names(leaf, names))
        .unwrap_or_default();
    Judged {
        chain: chain.findings,
        validity,
        names,
        leaf,
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
    let judged = judge(&parsed, Source::Bundle, &[], names, thresholds, now);
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
        status: Status::of(&findings, Source::Bundle),
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
/// PEM framing), as its clients meet it: `roots` are the subject names (DER) of the roots they
/// trust, which a server need not send.
pub fn diagnose_served(
    chain: &[Vec<u8>],
    names: &[String],
    roots: &[Vec<u8>],
    thresholds: Thresholds,
    now: i64,
) -> ServedDiagnosis {
    let (certificates, unreadable) = parse_all(chain.iter().map(|der| Some(der.as_slice())));
    let judged = judge(&certificates, Source::Served, roots, names, thresholds, now);
    let issued_by_lets_encrypt = judged
        .leaf
        .and_then(|leaf| certificates[leaf].as_ref())
        .is_some_and(issued_by_lets_encrypt);
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
        status: Status::of(&findings, Source::Served),
        findings,
        certificates,
        chain: judged.order,
        leaf_days_left: judged.leaf_days_left,
        issued_by_lets_encrypt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::pki::{EC_P256_PKCS8, pem};
    use crate::cert::test_support::{NOW, at_now};

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn bundle(bytes: &[u8]) -> BundleDiagnosis {
        diagnose_bundle(
            bytes,
            None,
            &names(&["example.com"]),
            Thresholds::default(),
            NOW,
        )
    }

    fn codes(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(Finding::code).collect()
    }

    fn bundle_place(line: usize) -> Place {
        Place {
            file: PemFile::Bundle,
            line,
        }
    }

    #[test]
    fn a_good_bundle_is_ready_in_order_with_its_key() {
        let pki = at_now();
        for bytes in [pki.good_bundle(), pki.good_rsa_bundle()] {
            let diagnosis = bundle(&bytes);
            assert_eq!(diagnosis.findings, [], "{diagnosis:?}");
            assert_eq!(diagnosis.status, Status::Ready);
            assert_eq!(diagnosis.chain, [0, 1, 2]);
            assert_eq!(diagnosis.certificates.len(), 3);
            assert_eq!(diagnosis.certificates[0].at, bundle_place(1));
            assert_eq!(diagnosis.key.map(|key| key.form), Some(KeyForm::Pkcs8));
            assert_eq!(diagnosis.leaf_days_left, Some(90));
        }
    }

    #[test]
    fn a_reversed_chain_is_out_of_order_with_the_right_order() {
        let diagnosis = bundle(&at_now().reversed_chain_bundle());
        assert_eq!(
            diagnosis.findings,
            [Finding::ChainOutOfOrder {
                right_order: vec![2, 1, 0]
            }]
        );
        assert_eq!(diagnosis.chain, [2, 1, 0]);
    }

    #[test]
    fn a_missing_intermediate_is_issuer_missing_only() {
        let diagnosis = bundle(&at_now().missing_intermediate_bundle());
        assert_eq!(
            diagnosis.findings,
            [Finding::IssuerMissing {
                certificate: 0,
                issuer: "CN=Certready Test Intermediate, O=Certready Test PKI".into()
            }]
        );
        assert_eq!(diagnosis.status, Status::Fails);
    }

    #[test]
    fn a_missing_root_is_a_warning() {
        let diagnosis = bundle(&at_now().missing_root_bundle());
        assert_eq!(diagnosis.findings, [Finding::RootMissing]);
        assert_eq!(diagnosis.status, Status::Warnings);
    }

    #[test]
    fn key_findings_wrong_key_and_other_forms() {
        let pki = at_now();
        assert_eq!(
            codes(&bundle(&pki.wrong_key_bundle()).findings),
            ["key-mismatch"]
        );
        for (bytes, form) in [
            (pki.pkcs1_key_bundle(), KeyForm::Pkcs1Rsa),
            (pki.sec1_key_bundle(), KeyForm::Sec1Ec),
            (pki.encrypted_key_bundle(), KeyForm::EncryptedPkcs8),
        ] {
            let diagnosis = bundle(&bytes);
            let at = diagnosis.key.expect("a key").at;
            assert_eq!(diagnosis.findings, [Finding::KeyNotPkcs8 { at, form }]);
        }
    }

    #[test]
    fn the_key_may_come_from_the_key_file_and_not_from_both() {
        let pki = at_now();
        let leaf = pki.leaf(&["example.com"]).build();
        let chain = pem(&[&leaf.pem, &pki.intermediate_pem(), &pki.root_pem()]);
        let with_file = |key: Option<&[u8]>, chain: &[u8]| {
            diagnose_bundle(chain, key, &[], Thresholds::default(), NOW)
        };
        let from_file = with_file(Some(leaf.key_pem.as_bytes()), &chain);
        assert_eq!(from_file.findings, []);
        assert_eq!(
            from_file.key.map(|key| key.at),
            Some(Place {
                file: PemFile::Key,
                line: 1
            })
        );
        assert_eq!(codes(&with_file(None, &chain).findings), ["key-missing"]);
        let both = with_file(Some(leaf.key_pem.as_bytes()), &pki.bundle(&leaf));
        assert_eq!(codes(&both.findings), ["multiple-keys"]);
        let certificate_as_key = with_file(Some(leaf.pem.as_bytes()), &chain);
        assert_eq!(
            codes(&certificate_as_key.findings),
            ["unexpected-block", "key-missing"]
        );
    }

    #[test]
    fn sort_blocks_a_request_or_public_key_is_unexpected() {
        let pki = at_now();
        let leaf = pki.leaf(&["example.com"]).build();
        let request =
            "-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n-----END CERTIFICATE REQUEST-----\n";
        let bytes = pem(&[request, &String::from_utf8(pki.bundle(&leaf)).unwrap()]);
        let diagnosis = bundle(&bytes);
        assert_eq!(
            diagnosis.findings,
            [Finding::UnexpectedBlock {
                at: bundle_place(1),
                label: "CERTIFICATE REQUEST".into()
            }]
        );
        assert_eq!(diagnosis.chain, [0, 1, 2]);
    }

    #[test]
    fn framing_crlf_and_byte_order_mark_leave_the_rest_readable() {
        let pki = at_now();
        assert_eq!(
            bundle(&pki.crlf_bundle()).findings,
            [Finding::CrlfLineEnds {
                at: bundle_place(1)
            }]
        );
        let bom = bundle(&pki.bom_bundle());
        assert_eq!(codes(&bom.findings), ["byte-order-mark"]);
        assert_eq!(bom.chain, [0, 1, 2]);
    }

    #[test]
    fn no_certificate_unless_the_file_is_empty_or_not_text() {
        assert_eq!(
            codes(&bundle(EC_P256_PKCS8.as_bytes()).findings),
            ["no-certificate"]
        );
        assert_eq!(codes(&bundle(b"").findings), ["empty-file", "key-missing"]);
        assert_eq!(
            codes(&bundle(&at_now().root_der()).findings),
            ["not-text", "key-missing"]
        );
    }

    #[test]
    fn an_unreadable_certificate_is_kept_in_place() {
        let pki = at_now();
        let leaf = pki.leaf(&["example.com"]).build();
        let junk = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        let bytes = pem(&[&leaf.pem, junk, &pki.intermediate_pem(), &leaf.key_pem]);
        let diagnosis = bundle(&bytes);
        assert_eq!(
            codes(&diagnosis.findings),
            ["certificate-unreadable", "root-missing"]
        );
        assert_eq!(diagnosis.certificates[1].certificate, None);
        assert_eq!(diagnosis.chain, [0, 2]);
    }

    #[test]
    fn validity_expired_and_expiring_leaves() {
        let pki = at_now();
        let expired = bundle(&pki.expired_leaf_bundle());
        assert_eq!(codes(&expired.findings), ["expired"]);
        assert_eq!(expired.leaf_days_left, Some(-1));
        assert_eq!(
            bundle(&pki.expiring_bundle(5)).findings,
            [Finding::LeafExpiresVerySoon { days_left: 5 }]
        );
        let soon = bundle(&pki.expiring_bundle(20));
        assert_eq!(soon.findings, [Finding::LeafExpiresSoon { days_left: 20 }]);
        assert_eq!(soon.status, Status::Warnings);
    }

    #[test]
    fn names_a_wildcard_covers_one_label_not_the_parent() {
        let bytes = at_now().wildcard_bundle();
        let check = |asked: &[&str]| {
            diagnose_bundle(&bytes, None, &names(asked), Thresholds::default(), NOW).findings
        };
        assert_eq!(check(&["www.example.com", "WWW.EXAMPLE.COM"]), []);
        assert_eq!(
            check(&["example.com"]),
            [Finding::NameNotCovered {
                name: "example.com".into()
            }]
        );
    }

    #[test]
    fn a_chain_without_its_leaf_has_a_ca_for_a_leaf() {
        let diagnosis = bundle(&at_now().chain_without_leaf_bundle());
        // A CA is no leaf: its days, names and key are not judged as the leaf's.
        assert_eq!(codes(&diagnosis.findings), ["leaf-is-ca"]);
        assert_eq!(diagnosis.leaf_days_left, None);
    }

    #[test]
    fn a_damaged_leaf_leaves_no_leaf_to_judge_rather_than_its_intermediate() {
        let good = String::from_utf8(at_now().good_bundle()).unwrap();
        let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
        lines[3] = format!("!{}", &lines[3][1..]);
        let diagnosis = bundle((lines.join("\n") + "\n").as_bytes());
        assert_eq!(
            diagnosis.findings[0],
            Finding::Base64Damaged {
                at: bundle_place(4)
            }
        );
        assert_eq!(codes(&diagnosis.findings), ["base64-damaged", "leaf-is-ca"]);
        assert_eq!(diagnosis.leaf_days_left, None);
    }

    #[test]
    fn a_leaf_signed_by_a_non_ca_names_its_issuer() {
        let diagnosis = bundle(&at_now().signed_by_non_ca_bundle());
        assert_eq!(diagnosis.findings, [Finding::IssuerNotCa { issuer: 1 }]);
        assert_eq!(diagnosis.chain, [0, 1, 2, 3]);
    }

    fn served(chain: &[Vec<u8>]) -> ServedDiagnosis {
        diagnose_served(
            chain,
            &names(&["example.com"]),
            &[],
            Thresholds::default(),
            NOW,
        )
    }

    #[test]
    fn a_served_chain_without_its_root_is_normal() {
        let (chain, _) = at_now().served(&["example.com"]);
        let diagnosis = served(&chain);
        assert_eq!(diagnosis.findings, [Finding::RootNotServed]);
        assert_eq!(diagnosis.status, Status::Ready);
        assert_eq!(diagnosis.chain, [0, 1]);
        assert!(!diagnosis.issued_by_lets_encrypt);
        assert!(diagnosis.complete() && diagnosis.in_order());
    }

    #[test]
    fn a_served_chain_is_complete_and_in_order_only_without_those_findings() {
        let pki = at_now();
        let (chain, _) = pki.served(&["example.com"]);
        let alone = served(&chain[..1]);
        assert!(!alone.complete() && alone.in_order());
        let upside_down = served(&[chain[0].clone(), pki.root_der(), chain[1].clone()]);
        assert!(upside_down.complete() && !upside_down.in_order());
        assert!(!served(&[]).complete());
    }

    #[test]
    fn a_served_leaf_alone_misses_its_issuer_and_garbage_is_unreadable() {
        let (chain, _) = at_now().served(&["example.com"]);
        let diagnosis = served(&[chain[0].clone(), b"junk".to_vec()]);
        assert_eq!(
            codes(&diagnosis.findings),
            ["certificate-unreadable", "issuer-missing"]
        );
        assert_eq!(diagnosis.certificates[1], None);
        assert_eq!(codes(&served(&[]).findings), ["no-certificate"]);
    }

    #[test]
    fn issued_by_lets_encrypt_reads_the_issuer_organization() {
        let (chain, _) = at_now().served(&["example.com"]);
        let mut leaf = Certificate::parse(&chain[0]).unwrap();
        assert!(!issued_by_lets_encrypt(&leaf));
        leaf.issuer.organization = Some("Let's Encrypt".into());
        assert!(issued_by_lets_encrypt(&leaf));
    }
}
