//! What the certificate rules find: one typed finding each, with a stable kebab-case code (a
//! contract for scripts) and a severity, and the status a list of findings adds up to.
//! Certificate references are indices into the diagnosis's `certificates`.

use super::key::KeyForm;

/// Which input a line number refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PemFile {
    /// The certificate bundle.
    Bundle,
    /// The `--key` file.
    Key,
}

/// A line of an input, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub file: PemFile,
    pub line: usize,
}

/// Where a chain was read from, which changes what some findings weigh: an upload must be
/// exactly as the platform asks (`Bundle`), while a client builds its own path through what a
/// server sends, in any order after the leaf (RFC 8446 §4.4.2), and holds its own roots
/// (`Served`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Bundle,
    Served,
}

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The platform refuses the upload, or clients refuse the certificate.
    Failure,
    /// Works, but should be fixed.
    Warning,
    /// Worth knowing; changes nothing.
    Info,
}

/// What the findings add up to, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Ready,
    Warnings,
    Fails,
}

impl Status {
    /// The worse of two statuses.
    pub fn worst(self, other: Status) -> Status {
        self.max(other)
    }

    /// The status of a list of findings from `source`: any failure fails, any warning warns;
    /// information does not count.
    pub fn of(findings: &[Finding], source: Source) -> Status {
        findings
            .iter()
            .map(|finding| match finding.severity(source) {
                Severity::Failure => Status::Fails,
                Severity::Warning => Status::Warnings,
                Severity::Info => Status::Ready,
            })
            .fold(Status::Ready, Status::worst)
    }
}

/// One thing a rule found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    // Framing: RFC 7468 and Twilio's documented upload rules.
    /// The file is empty (or only white space).
    EmptyFile { file: PemFile },
    /// The file holds bytes that are not ASCII text (DER, say, or UTF-16); the first such line.
    NotText { at: Place },
    /// The file starts with a UTF-8 byte-order mark.
    ByteOrderMark { file: PemFile },
    /// Lines end in CR LF; the first such line.
    CrlfLineEnds { at: Place },
    /// A line that looks like a boundary but is not the exact `-----BEGIN LABEL-----` or
    /// `-----END LABEL-----` (dash count, spaces, case, trailing white space).
    InexactBoundary { at: Place, found: String },
    /// A BEGIN line with no END line before the next BEGIN or the end of the file.
    BeginWithoutEnd { at: Place },
    /// An END line outside any block.
    EndWithoutBegin { at: Place },
    /// An END line whose label is not its BEGIN line's.
    MismatchedEnd {
        at: Place,
        begin: String,
        end: String,
    },
    /// A block's body is not valid base64; the block's BEGIN line.
    Base64Damaged { at: Place },
    /// Non-blank text outside the blocks (openssl's "Bag Attributes" or "subject=" lines,
    /// say); the first line of each run.
    StrayText { at: Place },
    /// A block of a kind the upload does not take (CERTIFICATE REQUEST, PUBLIC KEY, TRUSTED
    /// CERTIFICATE…).
    UnexpectedBlock { at: Place, label: String },
    /// The bundle holds no CERTIFICATE block.
    NoCertificate,

    // Key.
    /// No private key, neither in the bundle nor in the key file.
    KeyMissing,
    /// More than one private key; none was checked.
    MultipleKeys { at: Vec<Place> },
    /// The key is not in unencrypted PKCS #8, the only form the platform takes.
    KeyNotPkcs8 { at: Place, form: KeyForm },
    /// The key's body does not read as a key of its form.
    KeyUnreadable { at: Place, reason: String },
    /// The key's public key is not the leaf's.
    KeyMismatch,

    // Chain: RFC 5280.
    /// A certificate does not parse as X.509 DER.
    CertificateUnreadable { certificate: usize, reason: String },
    /// The leaf is a CA certificate: the end-entity certificate is absent.
    LeafIsCa { certificate: usize },
    /// The certificates are not in the order leaf first, each issuer after what it issued.
    ChainOutOfOrder { right_order: Vec<usize> },
    /// The issuer of a certificate is absent (a missing intermediate, say); `issuer` is the
    /// issuer's name as the certificate gives it.
    IssuerMissing { certificate: usize, issuer: String },
    /// The names link the two, but the authority key identifier is not the issuer's subject
    /// key identifier.
    KeyIdentifierMismatch { certificate: usize, issuer: usize },
    /// The issuer's key does not verify the certificate's signature.
    SignatureInvalid { certificate: usize, issuer: usize },
    /// The signature algorithm is one the verifier does not support; not checked.
    SignatureNotChecked {
        certificate: usize,
        issuer: usize,
        algorithm: String,
    },
    /// A certificate that issued another on the path is not a CA.
    IssuerNotCa { issuer: usize },
    /// A certificate that is not on the leaf's path.
    UnrelatedCertificate { certificate: usize },
    /// A certificate that is byte for byte an earlier one.
    DuplicateCertificate { certificate: usize, first: usize },
    /// The bundle's chain ends at an intermediate whose issuer, the root, is absent.
    RootMissing,
    /// The served chain ends at an intermediate: the root is not served, as is normal.
    RootNotServed,

    // Validity: RFC 5280 §4.1.2.5.
    /// A certificate's validity starts after now.
    NotYetValid { certificate: usize, not_before: i64 },
    /// A certificate's validity ended before now.
    Expired { certificate: usize, not_after: i64 },
    /// The leaf expires in fewer days than the critical threshold.
    LeafExpiresVerySoon { days_left: i64 },
    /// The leaf expires in fewer days than the warning threshold.
    LeafExpiresSoon { days_left: i64 },

    // Names: RFC 6125 §6.4.
    /// The leaf has no DNS or IP address subject alternative name.
    NoSubjectAltName,
    /// The leaf's subject alternative names do not cover a name.
    NameNotCovered { name: String },
}

impl Finding {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::EmptyFile { .. } => "empty-file",
            Finding::NotText { .. } => "not-text",
            Finding::ByteOrderMark { .. } => "byte-order-mark",
            Finding::CrlfLineEnds { .. } => "crlf-line-ends",
            Finding::InexactBoundary { .. } => "inexact-boundary",
            Finding::BeginWithoutEnd { .. } => "begin-without-end",
            Finding::EndWithoutBegin { .. } => "end-without-begin",
            Finding::MismatchedEnd { .. } => "mismatched-end",
            Finding::Base64Damaged { .. } => "base64-damaged",
            Finding::StrayText { .. } => "stray-text",
            Finding::UnexpectedBlock { .. } => "unexpected-block",
            Finding::NoCertificate => "no-certificate",
            Finding::KeyMissing => "key-missing",
            Finding::MultipleKeys { .. } => "multiple-keys",
            Finding::KeyNotPkcs8 { .. } => "key-not-pkcs8",
            Finding::KeyUnreadable { .. } => "key-unreadable",
            Finding::KeyMismatch => "key-mismatch",
            Finding::CertificateUnreadable { .. } => "certificate-unreadable",
            Finding::LeafIsCa { .. } => "leaf-is-ca",
            Finding::ChainOutOfOrder { .. } => "chain-out-of-order",
            Finding::IssuerMissing { .. } => "issuer-missing",
            Finding::KeyIdentifierMismatch { .. } => "key-identifier-mismatch",
            Finding::SignatureInvalid { .. } => "signature-invalid",
            Finding::SignatureNotChecked { .. } => "signature-not-checked",
            Finding::IssuerNotCa { .. } => "issuer-not-ca",
            Finding::UnrelatedCertificate { .. } => "unrelated-certificate",
            Finding::DuplicateCertificate { .. } => "duplicate-certificate",
            Finding::RootMissing => "root-missing",
            Finding::RootNotServed => "root-not-served",
            Finding::NotYetValid { .. } => "not-yet-valid",
            Finding::Expired { .. } => "expired",
            Finding::LeafExpiresVerySoon { .. } => "leaf-expires-very-soon",
            Finding::LeafExpiresSoon { .. } => "leaf-expires-soon",
            Finding::NoSubjectAltName => "no-subject-alt-name",
            Finding::NameNotCovered { .. } => "name-not-covered",
        }
    }

    /// The line it points at, if it points at one line.
    pub fn place(&self) -> Option<Place> {
        match self {
            Finding::NotText { at }
            | Finding::CrlfLineEnds { at }
            | Finding::InexactBoundary { at, .. }
            | Finding::BeginWithoutEnd { at }
            | Finding::EndWithoutBegin { at }
            | Finding::MismatchedEnd { at, .. }
            | Finding::Base64Damaged { at }
            | Finding::StrayText { at }
            | Finding::UnexpectedBlock { at, .. }
            | Finding::KeyNotPkcs8 { at, .. }
            | Finding::KeyUnreadable { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// The certificate it is about (an index into the diagnosis's certificates), if one.
    pub fn certificate(&self) -> Option<usize> {
        match self {
            Finding::CertificateUnreadable { certificate, .. }
            | Finding::LeafIsCa { certificate }
            | Finding::IssuerMissing { certificate, .. }
            | Finding::KeyIdentifierMismatch { certificate, .. }
            | Finding::SignatureInvalid { certificate, .. }
            | Finding::SignatureNotChecked { certificate, .. }
            | Finding::UnrelatedCertificate { certificate }
            | Finding::DuplicateCertificate { certificate, .. }
            | Finding::NotYetValid { certificate, .. }
            | Finding::Expired { certificate, .. } => Some(*certificate),
            Finding::IssuerNotCa { issuer } => Some(*issuer),
            _ => None,
        }
    }

    /// How much the finding weighs in a chain from `source`: a served chain out of order, or
    /// carrying a certificate it need not, still works for clients that build their own path
    /// (whether it does is the trust check's to say).
    pub fn severity(&self, source: Source) -> Severity {
        match self {
            Finding::ChainOutOfOrder { .. }
            | Finding::UnrelatedCertificate { .. }
            | Finding::DuplicateCertificate { .. }
                if source == Source::Served =>
            {
                Severity::Warning
            }
            Finding::CrlfLineEnds { .. }
            | Finding::StrayText { .. }
            | Finding::DuplicateCertificate { .. }
            | Finding::RootMissing
            | Finding::LeafExpiresSoon { .. } => Severity::Warning,
            Finding::SignatureNotChecked { .. } | Finding::RootNotServed => Severity::Info,
            _ => Severity::Failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_failures_outweigh_warnings_and_information_does_not_count() {
        let bundle = |findings: &[Finding]| Status::of(findings, Source::Bundle);
        assert_eq!(bundle(&[]), Status::Ready);
        assert_eq!(bundle(&[Finding::RootNotServed]), Status::Ready);
        assert_eq!(bundle(&[Finding::RootMissing]), Status::Warnings);
        assert_eq!(
            bundle(&[Finding::RootMissing, Finding::KeyMissing]),
            Status::Fails
        );
        assert_eq!(Status::Warnings.worst(Status::Ready), Status::Warnings);
    }

    #[test]
    fn a_served_chain_out_of_order_or_with_extras_only_warns() {
        let shape = [
            Finding::ChainOutOfOrder {
                right_order: vec![0, 2, 1],
            },
            Finding::UnrelatedCertificate { certificate: 3 },
            Finding::DuplicateCertificate {
                certificate: 2,
                first: 1,
            },
        ];
        for finding in &shape {
            assert_eq!(
                finding.severity(Source::Served),
                Severity::Warning,
                "{finding:?}"
            );
        }
        for finding in &shape[..2] {
            assert_eq!(
                finding.severity(Source::Bundle),
                Severity::Failure,
                "{finding:?}"
            );
        }
        assert_eq!(shape[2].severity(Source::Bundle), Severity::Warning);
    }

    #[test]
    fn codes_are_kebab_case_and_distinct() {
        let findings = [
            Finding::NoCertificate,
            Finding::KeyMissing,
            Finding::KeyMismatch,
            Finding::RootMissing,
            Finding::RootNotServed,
            Finding::NoSubjectAltName,
        ];
        let codes: std::collections::HashSet<&str> = findings.iter().map(Finding::code).collect();
        assert_eq!(codes.len(), findings.len());
        assert!(codes.iter().all(|code| {
            code.bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte == b'-')
        }));
    }
}
