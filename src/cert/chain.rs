//! The chain (RFC 5280 §6.1 path building, in the small): which certificate is the leaf,
//! the path from it through its issuers by name chaining (key identifiers to choose and to
//! check, each signature verified), the order TLS wants them in (RFC 8446 §4.4.2), and
//! what is left over.
//!
//! The missing intermediate (a leaf and a root, nothing between) reads as `IssuerMissing` for
//! the certificate whose issuer is absent, and nothing more: the CA certificates off the path
//! then are most likely the chain above the gap, so they are not called unrelated.

use super::certificate::{Certificate, SignatureCheck};
use super::finding::{Finding, Source};

/// The chain rules' findings, the leaf, and the path from it (indices into the certificates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ChainRead {
    pub findings: Vec<Finding>,
    pub leaf: Option<usize>,
    pub chain: Vec<usize>,
}

/// How the path from the leaf ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathEnd {
    /// At a self-issued certificate: a root, or a self-signed leaf.
    SelfIssued,
    /// At a certificate whose issuer is not in the set.
    IssuerAbsent,
}

/// RFC 5280 §6.1 (name chaining, §4.1.2.4): `issuer` issued `subject` if its subject name is
/// the subject's issuer name, byte for byte.
pub(crate) fn issued(issuer: &Certificate, subject: &Certificate) -> bool {
    issuer.subject.der == subject.issuer.der
}

/// RFC 5280 §4.2.1.1 and §4.2.1.2: where both are present, the subject's authority key
/// identifier is the issuer's subject key identifier.
pub(crate) fn key_identifiers_agree(issuer: &Certificate, subject: &Certificate) -> bool {
    match (&subject.authority_key_id, &issuer.subject_key_id) {
        (Some(authority), Some(subject_key)) => authority == subject_key,
        _ => true,
    }
}

/// RFC 5280 §4.2.1.9: only a CA certificate (basicConstraints cA) may issue certificates.
pub(crate) fn may_issue(issuer: &Certificate) -> bool {
    issuer.is_ca
}

/// RFC 5280 §6.1: a path has each certificate once; a byte-for-byte copy of an earlier
/// certificate is a duplicate. (certificate, first) pairs.
pub(crate) fn find_duplicates(certificates: &[(usize, &Certificate)]) -> Vec<(usize, usize)> {
    certificates
        .iter()
        .enumerate()
        .filter_map(|(position, &(index, certificate))| {
            certificates[..position]
                .iter()
                .find(|(_, earlier)| earlier.der == certificate.der)
                .map(|&(first, _)| (index, first))
        })
        .collect()
}

/// RFC 5280 §6.1 (the end of the path): the leaf is the certificate that issued no other in
/// the set, the first such that is not a CA if there is one, else the first such.
pub(crate) fn choose_leaf(certificates: &[(usize, &Certificate)]) -> Option<usize> {
    let issued_nothing: Vec<(usize, &Certificate)> = certificates
        .iter()
        .filter(|(index, candidate)| {
            !certificates
                .iter()
                .any(|(other, subject)| other != index && issued(candidate, subject))
        })
        .copied()
        .collect();
    issued_nothing
        .iter()
        .find(|(_, certificate)| !certificate.is_ca)
        .or(issued_nothing.first())
        .or(certificates.first())
        .map(|&(index, _)| index)
}

/// RFC 5280 §6.1 name chaining, §4.2.1.1 to choose: of the certificates not yet on the path
/// whose subject is the certificate's issuer, the first whose key identifier agrees, else the
/// first.
pub(crate) fn choose_issuer(
    subject: &Certificate,
    certificates: &[(usize, &Certificate)],
    path: &[usize],
) -> Option<usize> {
    let candidates: Vec<(usize, &Certificate)> = certificates
        .iter()
        .filter(|(index, issuer)| !path.contains(index) && issued(issuer, subject))
        .copied()
        .collect();
    candidates
        .iter()
        .find(|(_, issuer)| key_identifiers_agree(issuer, subject))
        .or(candidates.first())
        .map(|&(index, _)| index)
}

/// RFC 5280 §6.1: from the leaf, issuer after issuer, to a self-issued certificate or one
/// whose issuer is absent.
pub(crate) fn build_path(
    leaf: usize,
    certificates: &[(usize, &Certificate)],
) -> (Vec<usize>, PathEnd) {
    let find = |wanted: usize| {
        certificates
            .iter()
            .find(|(index, _)| *index == wanted)
            .map(|&(_, certificate)| certificate)
    };
    let mut path = vec![leaf];
    loop {
        let Some(current) = path.last().copied().and_then(find) else {
            return (path, PathEnd::IssuerAbsent);
        };
        if current.self_issued() {
            return (path, PathEnd::SelfIssued);
        }
        match choose_issuer(current, certificates, &path) {
            Some(issuer) => path.push(issuer),
            None => return (path, PathEnd::IssuerAbsent),
        }
    }
}

/// RFC 5280 §6.1.3 (a)(1), §4.2.1.1 and §4.2.1.9 for one link of the path: the issuer's key
/// verifies the signature, the key identifiers agree, the issuer is a CA.
pub(crate) fn check_link(
    (index, certificate): (usize, &Certificate),
    (issuer_index, issuer): (usize, &Certificate),
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !may_issue(issuer) {
        findings.push(Finding::IssuerNotCa {
            issuer: issuer_index,
        });
    }
    if !key_identifiers_agree(issuer, certificate) {
        findings.push(Finding::KeyIdentifierMismatch {
            certificate: index,
            issuer: issuer_index,
        });
    }
    match certificate.signature_check(issuer) {
        SignatureCheck::Valid => {}
        SignatureCheck::Invalid => findings.push(Finding::SignatureInvalid {
            certificate: index,
            issuer: issuer_index,
        }),
        SignatureCheck::Unsupported(algorithm) => {
            findings.push(Finding::SignatureNotChecked {
                certificate: index,
                issuer: issuer_index,
                algorithm,
            });
        }
    }
    findings
}

/// RFC 8446 §4.4.2 (and Twilio's documented upload rules): the leaf first, each certificate
/// followed by the one that issued it; certificates off the path may stand anywhere.
pub(crate) fn is_in_order(chain: &[usize]) -> bool {
    chain.windows(2).all(|pair| pair[0] < pair[1])
}

/// RFC 5280 §6.1 (the trust anchor): a path that ends at a CA other than the leaf, whose
/// issuer is absent, lacks only its root: a warning in an upload, normal when served. So
/// does a served path whose last issuer is one of the client's `roots` (subject names, DER),
/// a leaf issued by a root directly, say. A path that ends anywhere else lacks an issuer that
/// must be there.
pub(crate) fn path_end(
    last: (usize, &Certificate),
    path_len: usize,
    end: PathEnd,
    source: Source,
    roots: &[Vec<u8>],
) -> Option<Finding> {
    let (index, certificate) = last;
    let issued_by_a_root = roots.contains(&certificate.issuer.der);
    match end {
        PathEnd::SelfIssued => None,
        PathEnd::IssuerAbsent if source == Source::Served && issued_by_a_root => {
            Some(Finding::RootNotServed)
        }
        PathEnd::IssuerAbsent if certificate.is_ca && path_len > 1 => Some(match source {
            Source::Bundle => Finding::RootMissing,
            Source::Served => Finding::RootNotServed,
        }),
        PathEnd::IssuerAbsent => Some(Finding::IssuerMissing {
            certificate: index,
            issuer: certificate.issuer.text.clone(),
        }),
    }
}

/// RFC 5280 §6.1: a certificate off the leaf's path has no place in the chain; but when the
/// path broke at a missing issuer, a CA certificate off it is most likely the chain above the
/// gap, and is not called unrelated (the missing issuer is the finding).
pub(crate) fn is_unrelated(
    (index, certificate): (usize, &Certificate),
    chain: &[usize],
    issuer_missing: bool,
) -> bool {
    let above_the_gap = issuer_missing && certificate.is_ca;
    !chain.contains(&index) && !above_the_gap
}

/// The chain rules over the readable certificates (index, certificate), in their order.
pub(crate) fn check_chain(
    certificates: &[(usize, &Certificate)],
    source: Source,
    roots: &[Vec<u8>],
) -> ChainRead {
    let duplicates = find_duplicates(certificates);
    let distinct: Vec<(usize, &Certificate)> = certificates
        .iter()
        .filter(|(index, _)| !duplicates.iter().any(|(copy, _)| copy == index))
        .copied()
        .collect();
    let Some(leaf) = choose_leaf(&distinct) else {
        return ChainRead::default();
    };
    let (chain, end) = build_path(leaf, &distinct);
    let links: Vec<(usize, &Certificate)> = chain
        .iter()
        .filter_map(|&wanted| distinct.iter().find(|(index, _)| *index == wanted).copied())
        .collect();
    let mut findings = Vec::new();
    if let Some(&(index, leaf)) = links.first()
        && leaf.is_ca
    {
        findings.push(Finding::LeafIsCa { certificate: index });
    }
    if !is_in_order(&chain) {
        findings.push(Finding::ChainOutOfOrder {
            right_order: chain.clone(),
        });
    }
    for pair in links.windows(2) {
        findings.extend(check_link(pair[0], pair[1]));
    }
    let last = links.last().copied();
    findings.extend(last.and_then(|last| path_end(last, chain.len(), end, source, roots)));
    let issuer_missing = findings
        .iter()
        .any(|finding| matches!(finding, Finding::IssuerMissing { .. }));
    findings.extend(
        duplicates
            .iter()
            .map(|&(certificate, first)| Finding::DuplicateCertificate { certificate, first }),
    );
    findings.extend(
        distinct
            .iter()
            .filter(|&&(index, certificate)| {
                is_unrelated((index, certificate), &chain, issuer_missing)
            })
            .map(|&(certificate, _)| Finding::UnrelatedCertificate { certificate }),
    );
    ChainRead {
        findings,
        leaf: Some(leaf),
        chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::pki::Pki;
    use crate::cert::test_support::{at_now, parse_all};

    /// root, intermediate, leaf (the leaf for example.com), parsed.
    fn three(pki: &Pki) -> [Certificate; 3] {
        let leaf = pki.leaf(&["example.com"]).build();
        parse_all([pki.root_der(), pki.intermediate_der(), leaf.der])
    }

    #[test]
    fn issued_by_subject_and_issuer_names() {
        let [root, intermediate, leaf] = three(&at_now());
        assert!(issued(&intermediate, &leaf));
        assert!(issued(&root, &intermediate));
        assert!(issued(&root, &root));
        assert!(!issued(&leaf, &intermediate));
        assert!(!issued(&root, &leaf));
    }

    #[test]
    fn key_identifiers_agree_only_for_the_real_issuer() {
        let [_, intermediate, leaf] = three(&at_now());
        let [_, impostor, _] = three(&at_now());
        assert!(issued(&impostor, &leaf), "the names link");
        assert!(key_identifiers_agree(&intermediate, &leaf));
        assert!(!key_identifiers_agree(&impostor, &leaf));
    }

    #[test]
    fn may_issue_only_a_ca() {
        let [root, intermediate, leaf] = three(&at_now());
        assert!(may_issue(&root) && may_issue(&intermediate));
        assert!(!may_issue(&leaf));
    }

    #[test]
    fn find_duplicates_pairs_each_copy_with_the_first() {
        let [root, intermediate, leaf] = three(&at_now());
        let set = [
            (0, &leaf),
            (1, &intermediate),
            (2, &leaf),
            (3, &root),
            (4, &leaf),
        ];
        assert_eq!(find_duplicates(&set), [(2, 0), (4, 0)]);
    }

    #[test]
    fn choose_leaf_is_what_issued_nothing_preferring_a_non_ca() {
        let [root, intermediate, leaf] = three(&at_now());
        assert_eq!(
            choose_leaf(&[(0, &root), (1, &intermediate), (2, &leaf)]),
            Some(2)
        );
        assert_eq!(choose_leaf(&[(0, &intermediate), (1, &root)]), Some(0));
        let [other_root, ..] = three(&at_now());
        assert_eq!(choose_leaf(&[(0, &other_root), (1, &leaf)]), Some(1));
        assert_eq!(choose_leaf(&[]), None);
    }

    #[test]
    fn choose_issuer_prefers_agreeing_key_identifiers_and_skips_the_path() {
        let [_, intermediate, leaf] = three(&at_now());
        let [_, impostor, _] = three(&at_now());
        let set = [(0, &leaf), (1, &impostor), (2, &intermediate)];
        assert_eq!(choose_issuer(&leaf, &set, &[0]), Some(2));
        assert_eq!(choose_issuer(&leaf, &set, &[0, 2]), Some(1));
        assert_eq!(choose_issuer(&leaf, &[(0, &leaf)], &[0]), None);
    }

    #[test]
    fn build_path_to_a_self_issued_root_or_an_absent_issuer() {
        let [root, intermediate, leaf] = three(&at_now());
        assert_eq!(
            build_path(2, &[(0, &root), (1, &intermediate), (2, &leaf)]),
            (vec![2, 1, 0], PathEnd::SelfIssued)
        );
        assert_eq!(
            build_path(0, &[(0, &leaf), (1, &root)]),
            (vec![0], PathEnd::IssuerAbsent)
        );
    }

    #[test]
    fn check_link_verifies_signature_key_identifiers_and_ca() {
        let [_, intermediate, leaf] = three(&at_now());
        let [_, impostor, other_leaf] = three(&at_now());
        assert_eq!(check_link((0, &leaf), (1, &intermediate)), []);
        assert_eq!(
            check_link((0, &leaf), (1, &impostor)),
            [
                Finding::KeyIdentifierMismatch {
                    certificate: 0,
                    issuer: 1
                },
                Finding::SignatureInvalid {
                    certificate: 0,
                    issuer: 1
                }
            ]
        );
        assert!(
            check_link((0, &leaf), (1, &other_leaf)).contains(&Finding::IssuerNotCa { issuer: 1 })
        );
    }

    #[test]
    fn check_link_an_algorithm_the_verifier_lacks_is_not_checked() {
        let [_, intermediate, leaf] = three(&at_now());
        // The outer signatureAlgorithm, ecdsa-with-SHA256, made ecdsa-with-SHA512 (ring has
        // no P-256 with SHA-512).
        let sha256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
        let mut der = leaf.der.clone();
        let outer = der
            .windows(sha256.len())
            .rposition(|window| window == sha256)
            .expect("the leaf is signed with ecdsa-with-SHA256");
        der[outer + sha256.len() - 1] = 0x04;
        let relabelled = Certificate::parse(&der).unwrap();
        assert_eq!(
            check_link((0, &relabelled), (1, &intermediate)),
            [Finding::SignatureNotChecked {
                certificate: 0,
                issuer: 1,
                algorithm: "ecdsa-with-SHA512".into()
            }]
        );
    }

    #[test]
    fn is_in_order_leaf_first_issuers_after() {
        assert!(is_in_order(&[0, 1, 2]));
        assert!(is_in_order(&[0, 2]));
        assert!(is_in_order(&[3]));
        assert!(!is_in_order(&[2, 1, 0]));
        assert!(!is_in_order(&[1, 0, 2]));
    }

    #[test]
    fn path_end_root_missing_root_not_served_or_issuer_missing() {
        let [root, intermediate, leaf] = three(&at_now());
        let absent = PathEnd::IssuerAbsent;
        assert_eq!(
            path_end((1, &intermediate), 2, absent, Source::Bundle, &[]),
            Some(Finding::RootMissing)
        );
        assert_eq!(
            path_end((1, &intermediate), 2, absent, Source::Served, &[]),
            Some(Finding::RootNotServed)
        );
        assert_eq!(
            path_end((0, &leaf), 1, absent, Source::Served, &[]),
            Some(Finding::IssuerMissing {
                certificate: 0,
                issuer: "CN=Certready Test Intermediate, O=Certready Test PKI".into()
            })
        );
        assert_eq!(
            path_end((2, &root), 3, PathEnd::SelfIssued, Source::Bundle, &[]),
            None
        );
        // A leaf a client's root issued directly lacks nothing a server must send.
        let roots = [leaf.issuer.der.clone()];
        assert_eq!(
            path_end((0, &leaf), 1, absent, Source::Served, &roots),
            Some(Finding::RootNotServed)
        );
        assert!(matches!(
            path_end((0, &leaf), 1, absent, Source::Bundle, &roots),
            Some(Finding::IssuerMissing { .. })
        ));
    }

    #[test]
    fn is_unrelated_off_the_path_unless_a_ca_above_a_missing_issuer() {
        let [root, _, leaf] = three(&at_now());
        assert!(!is_unrelated((0, &leaf), &[0], false));
        assert!(is_unrelated((1, &root), &[0], false));
        assert!(!is_unrelated((1, &root), &[0], true));
        assert!(is_unrelated((1, &leaf), &[0], true));
    }

    #[test]
    fn check_chain_missing_intermediate_is_issuer_missing_and_nothing_more() {
        let [root, _, leaf] = three(&at_now());
        let read = check_chain(&[(0, &leaf), (1, &root)], Source::Bundle, &[]);
        assert_eq!(read.chain, [0]);
        assert_eq!(read.findings.len(), 1);
        assert_eq!(read.findings[0].code(), "issuer-missing");
    }

    #[test]
    fn check_chain_unrelated_and_duplicate_certificates_off_the_path() {
        let [root, intermediate, leaf] = three(&at_now());
        let [stranger] = parse_all([at_now().leaf(&["other.example"]).build().der]);
        let certificates = [
            (0, &leaf),
            (1, &stranger),
            (2, &intermediate),
            (3, &intermediate),
            (4, &root),
        ];
        let read = check_chain(&certificates, Source::Bundle, &[]);
        assert_eq!(read.chain, [0, 2, 4]);
        assert_eq!(
            read.findings,
            [
                Finding::DuplicateCertificate {
                    certificate: 3,
                    first: 2
                },
                Finding::UnrelatedCertificate { certificate: 1 }
            ]
        );
    }

    #[test]
    fn check_chain_out_of_order_gives_the_right_order() {
        let [root, intermediate, leaf] = three(&at_now());
        let read = check_chain(
            &[(0, &intermediate), (1, &leaf), (2, &root)],
            Source::Served,
            &[],
        );
        assert_eq!(
            read.findings,
            [Finding::ChainOutOfOrder {
                right_order: vec![1, 0, 2]
            }]
        );
    }

    #[test]
    fn check_chain_leaf_is_ca_without_an_end_entity() {
        let [root, intermediate, _] = three(&at_now());
        let read = check_chain(&[(0, &intermediate), (1, &root)], Source::Bundle, &[]);
        assert_eq!(read.findings, [Finding::LeafIsCa { certificate: 0 }]);
    }
}
