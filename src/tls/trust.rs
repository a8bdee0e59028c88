//! Whether a served chain leads to a trusted root, for the name asked, at a given time: a pure
//! function over DER bytes (rustls-webpki's path building), and the trust anchors it checks
//! against.
//!
//! The default anchors are the platform's: the operating system's store as
//! rustls-native-certs reads it (on Linux the ca-certificates bundle, honouring
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`; on macOS and Windows the system keychain or store),
//! because that is what the machines the user runs are configured to trust, and it follows
//! the system's updates and local additions rather than a snapshot built into this binary.
//! An empty store is an error (`TrustStoreError::NoPlatformRoots`), never a silent fallback
//! to a bundled list: every chain would otherwise be judged against roots nobody chose.
//! `--ca-file` replaces the platform's roots with the ones in a PEM file.

use std::net::IpAddr;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, DnsName, ServerName, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::cert::Certificate;

/// The name a certificate must be valid for: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustName(ServerName<'static>);

impl TrustName {
    /// A DNS name, matched against the certificate's DNS names (wildcards included).
    pub fn dns(name: DnsName<'static>) -> Self {
        Self(ServerName::DnsName(name))
    }

    /// An IP address, matched against the certificate's IP address names.
    pub fn ip(address: IpAddr) -> Self {
        Self(ServerName::IpAddress(address.into()))
    }
}

/// Why a chain is not trusted for a name.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrustFailure {
    /// No chain was served to check.
    #[error("no certificate to verify")]
    NoCertificate,
    /// No path from the leaf to a trusted root: an unknown root or a missing intermediate.
    #[error("not issued by a trusted root (unknown issuer or missing intermediate)")]
    UnknownIssuer,
    /// A certificate on the path had expired at the time checked.
    #[error("a certificate in the chain has expired")]
    Expired,
    /// A certificate on the path was not yet valid at the time checked.
    #[error("a certificate in the chain is not yet valid")]
    NotYetValid,
    /// The leaf is not valid for the name.
    #[error("the certificate is not valid for the name")]
    NameMismatch,
    /// A signature on the path does not verify.
    #[error("a signature in the chain does not verify")]
    BadSignature,
    /// A certificate is not well-formed DER.
    #[error("a certificate in the chain is malformed")]
    BadEncoding,
    /// Anything else webpki refused (key usage, constraints, unsupported algorithms…).
    #[error("verification failed: {0}")]
    Other(webpki::Error),
}

impl TrustFailure {
    /// The stable code reports give it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCertificate => "no-certificate",
            Self::UnknownIssuer => "unknown-issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::NameMismatch => "name-mismatch",
            Self::BadSignature => "bad-signature",
            Self::BadEncoding => "bad-encoding",
            Self::Other(_) => "other",
        }
    }
}

/// The roots a chain must lead to.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor<'static>>,
    /// Each root's subject name as its certificate encodes it (DER): what a served chain's
    /// last issuer is compared with.
    subjects: Vec<Vec<u8>>,
}

/// Why no trust anchors could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    /// The operating system's store is empty or unreadable; `first_error` is the first
    /// reason the loader gave (a missing file, say), for people to read.
    #[error(
        "the system's trust store has no usable root certificate{}",
        first_error.as_deref().map(|why| format!(" ({why})")).unwrap_or_default()
    )]
    NoPlatformRoots { first_error: Option<String> },
    /// The CA file is not valid PEM.
    #[error("the CA file is not valid PEM: {0:?}")]
    BadPem(rustls::pki_types::pem::Error),
    /// The CA file holds no `CERTIFICATE` block.
    #[error("the CA file holds no certificate")]
    NoCertificate,
    /// A certificate in the CA file does not parse as a root (1-based position in the file).
    #[error("certificate {position} in the CA file does not parse: {error}")]
    BadCertificate {
        position: usize,
        error: webpki::Error,
    },
}

impl TrustAnchors {
    /// The operating system's roots (see the module's documentation). Certificates the
    /// store holds that do not parse are skipped, as rustls's own root store does: one odd
    /// file in a system directory should not stop every check.
    pub fn platform() -> Result<Self, TrustStoreError> {
        let loaded = rustls_native_certs::load_native_certs();
        let mut roots = Self::default();
        for certificate in &loaded.certs {
            if let Ok(parsed) = anchor(certificate) {
                roots.add(parsed, certificate);
            }
        }
        if roots.is_empty() {
            let first_error = loaded.errors.first().map(ToString::to_string);
            return Err(TrustStoreError::NoPlatformRoots { first_error });
        }
        Ok(roots)
    }

    /// The roots in a PEM file's contents (`--ca-file`): every `CERTIFICATE` block, each of
    /// which must parse; other blocks (keys, say) are ignored.
    pub fn from_pem_file(pem: &[u8]) -> Result<Self, TrustStoreError> {
        let mut roots = Self::default();
        for (index, certificate) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let certificate = certificate.map_err(TrustStoreError::BadPem)?;
            let parsed = anchor(&certificate).map_err(|error| TrustStoreError::BadCertificate {
                position: index + 1,
                error,
            })?;
            roots.add(parsed, &certificate);
        }
        if roots.is_empty() {
            return Err(TrustStoreError::NoCertificate);
        }
        Ok(roots)
    }

    fn add(&mut self, anchor: TrustAnchor<'static>, certificate: &CertificateDer<'_>) {
        self.anchors.push(anchor);
        if let Ok(parsed) = Certificate::parse(certificate) {
            self.subjects.push(parsed.subject.der);
        }
    }

    /// The roots as rustls's client takes them (for HTTPS to an API).
    pub fn root_store(&self) -> rustls::RootCertStore {
        rustls::RootCertStore {
            roots: self.anchors.clone(),
        }
    }

    /// The roots' subject names (DER), for `cert::diagnose_served`.
    pub fn subjects(&self) -> &[Vec<u8>] {
        &self.subjects
    }

    /// How many roots there are.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none (never, for anchors this module loaded).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

fn anchor(certificate: &CertificateDer<'_>) -> Result<TrustAnchor<'static>, webpki::Error> {
    webpki::anchor_from_trusted_cert(certificate).map(|anchor| anchor.to_owned())
}

/// Verifies `chain` (DER, the leaf first, then intermediates in any order, extras ignored)
/// for server authentication to `name` against `roots` at `now_unix` (seconds since the
/// epoch; a time before the epoch counts as the epoch). No revocation check.
pub fn verify_trust(
    chain: &[Vec<u8>],
    name: &TrustName,
    roots: &TrustAnchors,
    now_unix: i64,
) -> Result<(), TrustFailure> {
    let (leaf, rest) = chain.split_first().ok_or(TrustFailure::NoCertificate)?;
    let leaf = CertificateDer::from(leaf.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|certificate| CertificateDer::from(certificate.as_slice()))
        .collect();
    let end_entity = EndEntityCert::try_from(&leaf).map_err(trust_failure)?;
    let seconds = u64::try_from(now_unix).unwrap_or(0);
    let now = UnixTime::since_unix_epoch(Duration::from_secs(seconds));
    let algorithms = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    end_entity
        .verify_for_usage(
            algorithms,
            &roots.anchors,
            &intermediates,
            now,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(trust_failure)?;
    end_entity
        .verify_is_valid_for_subject_name(&name.0)
        .map_err(trust_failure)
}

fn trust_failure(error: webpki::Error) -> TrustFailure {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => TrustFailure::UnknownIssuer,
        E::CertExpired { .. } => TrustFailure::Expired,
        E::CertNotValidYet { .. } => TrustFailure::NotYetValid,
        E::CertNotValidForName(_) => TrustFailure::NameMismatch,
        E::InvalidSignatureForPublicKey | E::SignatureAlgorithmMismatch => {
            TrustFailure::BadSignature
        }
        E::BadDer | E::BadDerTime | E::TrailingData(_) => TrustFailure::BadEncoding,
        other => TrustFailure::Other(other),
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

    use super::*;
    use crate::cert::pki::{Leaf, Pki};
    use crate::cert::test_support::{NOW, at_now};

    /// The leaf for `www.example.test` and the intermediate: what a server serves.
    fn served(pki: &Pki, leaf: &Leaf) -> [Vec<u8>; 2] {
        [leaf.der.clone(), pki.intermediate_der()]
    }

    fn good(pki: &Pki) -> Leaf {
        pki.leaf(&["www.example.test"]).build()
    }

    fn roots(pem_certificates: &[&str]) -> TrustAnchors {
        TrustAnchors::from_pem_file(pem_certificates.concat().as_bytes()).unwrap()
    }

    fn name(text: &str) -> TrustName {
        TrustName::dns(DnsName::try_from(text.to_owned()).unwrap())
    }

    #[test]
    fn a_complete_chain_to_a_known_root_verifies() {
        let pki = at_now();
        let chain = served(&pki, &good(&pki));
        let anchors = roots(&[&pki.root_pem()]);
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Ok(())
        );
    }

    #[test]
    fn a_chain_that_also_carries_its_root_verifies() {
        let pki = at_now();
        let leaf = good(&pki);
        let chain = [leaf.der, pki.intermediate_der(), pki.root_der()];
        let anchors = roots(&[&pki.root_pem()]);
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_root_is_an_unknown_issuer() {
        let pki = at_now();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Other Root");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let other = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let chain = served(&pki, &good(&pki));
        let anchors = roots(&[&other.pem()]);
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Err(TrustFailure::UnknownIssuer)
        );
    }

    #[test]
    fn a_root_of_the_same_name_with_another_key_is_a_bad_signature() {
        let pki = at_now();
        let impostor = at_now();
        let chain = served(&pki, &good(&pki));
        let anchors = roots(&[&impostor.root_pem()]);
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Err(TrustFailure::BadSignature)
        );
    }

    #[test]
    fn a_missing_intermediate_is_an_unknown_issuer() {
        let pki = at_now();
        let chain = [good(&pki).der];
        let anchors = roots(&[&pki.root_pem()]);
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Err(TrustFailure::UnknownIssuer)
        );
    }

    #[test]
    fn another_name_is_a_name_mismatch() {
        let pki = at_now();
        let chain = served(&pki, &good(&pki));
        let anchors = roots(&[&pki.root_pem()]);
        assert_eq!(
            verify_trust(&chain, &name("mail.example.test"), &anchors, NOW),
            Err(TrustFailure::NameMismatch)
        );
        let address = TrustName::ip(IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            verify_trust(&chain, &address, &anchors, NOW),
            Err(TrustFailure::NameMismatch)
        );
    }

    #[test]
    fn an_expired_leaf_is_expired_and_a_future_one_not_yet_valid() {
        let pki = at_now();
        let anchors = roots(&[&pki.root_pem()]);
        let chain = served(&pki, &pki.leaf(&["www.example.test"]).expired().build());
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Err(TrustFailure::Expired)
        );
        let chain = served(
            &pki,
            &pki.leaf(&["www.example.test"]).not_yet_valid().build(),
        );
        assert_eq!(
            verify_trust(&chain, &name("www.example.test"), &anchors, NOW),
            Err(TrustFailure::NotYetValid)
        );
    }

    #[test]
    fn garbage_and_an_empty_chain_are_refused_without_panicking() {
        let pki = at_now();
        let anchors = roots(&[&pki.root_pem()]);
        assert_eq!(
            verify_trust(&[vec![0x30, 0x03, 1, 2]], &name("a.test"), &anchors, NOW),
            Err(TrustFailure::BadEncoding)
        );
        assert_eq!(
            verify_trust(&[], &name("a.test"), &anchors, NOW),
            Err(TrustFailure::NoCertificate)
        );
    }

    #[test]
    fn a_ca_file_needs_a_certificate_that_parses() {
        assert!(matches!(
            TrustAnchors::from_pem_file(b"nothing here\n"),
            Err(TrustStoreError::NoCertificate)
        ));
        // The DER 30 03 01 02: a SEQUENCE whose length runs past its end.
        let broken = "-----BEGIN CERTIFICATE-----\nMAMBAg==\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            TrustAnchors::from_pem_file(broken.as_bytes()),
            Err(TrustStoreError::BadCertificate { position: 1, .. })
        ));
        let pki = at_now();
        assert_eq!(roots(&[&pki.root_pem(), &pki.intermediate_pem()]).len(), 2);
    }
}
