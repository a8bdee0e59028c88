//! The chain (RFC 5280 §6.1 path building, in the small): which certificate is the leaf,
//! the path from it through its issuers by name chaining (key identifiers to choose and to
//! check, each signature verified), the order TLS wants them in (RFC 8446 §4.4.2), and
//! what is left over.
//!
//! The missing intermediate (a leaf and a root, nothing between) reads as `IssuerMissing` for
//! the certificate whose issuer is absent, and nothing more: the CA certificates off the path
//! then are most likely the chain above the gap, so they are not called unrelated.

use super::certificate::{Certificate, SignatureCheck};
use super::finding::Finding;

/// Where the chain was read from: the end at an intermediate is a warning in an upload, and
/// normal for a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Bundle,
    Served,
}

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
/// issuer is absent, lacks only its root: a warning in an upload, normal when served. A
/// path that ends anywhere else lacks an issuer that must be there.
pub(crate) fn path_end(
    last: (usize, &Certificate),
    path_len: usize,
    end: PathEnd,
    source: Source,
) -> Option<Finding> {
    let (index, certificate) = last;
    match end {
        PathEnd::SelfIssued => None,
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

/// The chain rules over the readable certificates (index, certificate), in their order.
pub(crate) fn check_chain(certificates: &[(usize, &Certificate)], source: Source) -> ChainRead {
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
    findings.extend(last.and_then(|last| path_end(last, chain.len(), end, source)));
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
            .filter(|(index, off_path)| {
                let above_the_gap = issuer_missing && off_path.is_ca;
                !chain.contains(index) && !above_the_gap
            })
            .map(|&(certificate, _)| Finding::UnrelatedCertificate { certificate }),
    );
    ChainRead {
        findings,
        leaf: Some(leaf),
        chain,
    }
}
