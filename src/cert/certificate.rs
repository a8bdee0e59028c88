//! One X.509 certificate as the rules need it (RFC 5280 §4.1): names, serial, fingerprint,
//! subject alternative names, validity, basic constraints, key identifiers and the public
//! key, decoded by x509-parser and kept with its DER for the signature and key checks.

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2abbrev, oid2sn};
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384, OID_NIST_EC_P521, Oid};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{AttributeTypeAndValue, SubjectPublicKeyInfo, X509Name};

use crate::escape::hex;

/// A distinguished name (RFC 5280 §4.1.2.4): the DER that name chaining compares, and text
/// for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName {
    pub der: Vec<u8>,
    /// RFC 4514 order (last RDN first), e.g. "CN=R11, O=Let's Encrypt, C=US"; a value that is
    /// not a string shows as `#` and its DER in hex.
    pub text: String,
    pub common_name: Option<String>,
    pub organization: Option<String>,
}

/// A parsed certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    pub subject: DistinguishedName,
    pub issuer: DistinguishedName,
    /// Lowercase hex, no separators, without DER's sign byte.
    pub serial: String,
    /// Lowercase hex SHA-256 of `der`.
    pub sha256: String,
    /// SAN dNSNames as written in the certificate.
    pub dns_names: Vec<String>,
    /// SAN iPAddresses.
    pub ip_addresses: Vec<IpAddr>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// basicConstraints cA.
    pub is_ca: bool,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// e.g. "ECDSA P-256", "RSA 2048".
    pub public_key: String,
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn parse(der: &[u8]) -> Result<Certificate, String> {
        let x509 = parse_x509(der)?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        let mut subject_key_id = None;
        let mut authority_key_id = None;
        for extension in x509.extensions() {
            match extension.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                            GeneralName::IPAddress(bytes) => {
                                ip_addresses.extend(ip_address(bytes));
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    authority_key_id = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                _ => {}
            }
        }
        let is_ca = x509
            .basic_constraints()
            .map_err(|error| error.to_string())?
            .is_some_and(|constraints| constraints.value.ca);
        Ok(Certificate {
            der: der.to_vec(),
            subject: distinguished_name(x509.subject()),
            issuer: distinguished_name(x509.issuer()),
            serial: serial_hex(x509.raw_serial()),
            sha256: hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
            dns_names,
            ip_addresses,
            not_before: x509.validity().not_before.timestamp(),
            not_after: x509.validity().not_after.timestamp(),
            is_ca,
            subject_key_id,
            authority_key_id,
            public_key: public_key_description(x509.public_key()),
        })
    }

    /// RFC 5280 §3.2 and §6.1: self-issued when the subject and issuer names are the same.
    pub fn self_issued(&self) -> bool {
        self.subject.der == self.issuer.der
    }

    /// RFC 5280 §6.1.3 (a)(1): whether `issuer`'s public key verifies this certificate's
    /// signature (x509-parser's `verify`, over ring).
    pub(crate) fn signature_check(&self, issuer: &Certificate) -> SignatureCheck {
        let (Ok(child), Ok(parent)) = (parse_x509(&self.der), parse_x509(&issuer.der)) else {
            return SignatureCheck::Invalid;
        };
        match child.verify_signature(Some(parent.public_key())) {
            Ok(()) => SignatureCheck::Valid,
            Err(X509Error::SignatureUnsupportedAlgorithm) => {
                SignatureCheck::Unsupported(oid_name(&child.signature_algorithm.algorithm))
            }
            Err(_) => SignatureCheck::Invalid,
        }
    }

    /// RFC 5280 §4.1.2.7: the subjectPublicKey bits of the SubjectPublicKeyInfo (an
    /// RSAPublicKey's DER, an uncompressed EC point, an Ed25519 key).
    pub(crate) fn subject_public_key(&self) -> Vec<u8> {
        parse_x509(&self.der)
            .map(|x509| x509.public_key().subject_public_key.data.to_vec())
            .unwrap_or_default()
    }
}

/// What a signature check came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SignatureCheck {
    Valid,
    Invalid,
    /// The verifier does not support the signature algorithm (named).
    Unsupported(String),
}

fn parse_x509(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match X509Certificate::from_der(der) {
        Ok(([], x509)) => Ok(x509),
        Ok((rest, _)) => Err(format!("{} bytes after the certificate", rest.len())),
        Err(error) => Err(error.to_string()),
    }
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn distinguished_name(name: &X509Name<'_>) -> DistinguishedName {
    let mut parts = Vec::new();
    for rdn in name.iter_rdn().collect::<Vec<_>>().into_iter().rev() {
        let attributes: Vec<String> = rdn
            .iter()
            .map(|attribute| {
                let oid = attribute.attr_type();
                let kind = oid2abbrev(oid, oid_registry())
                    .map_or_else(|_| oid.to_id_string(), str::to_owned);
                let value = attribute
                    .as_str()
                    .map_or_else(|_| format!("#{}", hex(attribute.as_slice())), str::to_owned);
                format!("{kind}={value}")
            })
            .collect();
        parts.push(attributes.join("+"));
    }
    DistinguishedName {
        der: name.as_raw().to_vec(),
        text: parts.join(", "),
        common_name: first_string(name.iter_common_name()),
        organization: first_string(name.iter_organization()),
    }
}

fn first_string<'b, 'a: 'b>(
    mut values: impl Iterator<Item = &'b AttributeTypeAndValue<'a>>,
) -> Option<String> {
    values.find_map(|attribute| attribute.as_str().ok().map(str::to_owned))
}

/// The serial's bytes in hex, without the leading zero byte DER adds to keep it positive.
fn serial_hex(raw: &[u8]) -> String {
    match raw {
        [0, next, ..] if *next >= 0x80 => hex(&raw[1..]),
        _ => hex(raw),
    }
}

fn public_key_description(spki: &SubjectPublicKeyInfo<'_>) -> String {
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.as_oid().ok());
            match curve {
                Some(oid) if oid == OID_EC_P256 => "ECDSA P-256".to_owned(),
                Some(oid) if oid == OID_NIST_EC_P384 => "ECDSA P-384".to_owned(),
                Some(oid) if oid == OID_NIST_EC_P521 => "ECDSA P-521".to_owned(),
                Some(oid) => format!("ECDSA {}", oid_name(&oid)),
                None => "ECDSA".to_owned(),
            }
        }
        _ => oid_name(&spki.algorithm.algorithm),
    }
}

/// An OID's short name ("ed25519"), or its dotted form when the registry does not know it.
pub(crate) fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry()).map_or_else(|_| oid.to_id_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::pki::LeafKey;
    use crate::cert::test_support::{at_now, parse_all};

    #[test]
    fn parse_reads_names_sans_constraints_key_identifiers_and_key() {
        let pki = at_now();
        let leaf = pki.leaf(&["example.com", "192.0.2.1"]).build();
        let [root, intermediate, parsed] =
            parse_all([pki.root_der(), pki.intermediate_der(), leaf.der.clone()]);
        assert_eq!(parsed.der, leaf.der);
        assert_eq!(parsed.dns_names, ["example.com"]);
        assert_eq!(
            parsed.ip_addresses,
            ["192.0.2.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(parsed.subject.text, "CN=example.com");
        assert_eq!(parsed.subject.common_name.as_deref(), Some("example.com"));
        assert_eq!(parsed.subject.organization, None);
        assert_eq!(
            parsed.issuer.text,
            "CN=Certready Test Intermediate, O=Certready Test PKI"
        );
        assert_eq!(
            parsed.issuer.organization.as_deref(),
            Some("Certready Test PKI")
        );
        assert_eq!(parsed.issuer.der, intermediate.subject.der);
        assert!(!parsed.is_ca && intermediate.is_ca && root.is_ca);
        assert_eq!(parsed.authority_key_id, intermediate.subject_key_id);
        assert!(intermediate.subject_key_id.is_some());
        assert_eq!(parsed.public_key, "ECDSA P-256");
        assert_eq!(parsed.sha256.len(), 64);
        assert!(parsed.not_before < parsed.not_after);
    }

    #[test]
    fn parse_describes_rsa_and_p384_keys() {
        let pki = at_now();
        let rsa = pki.leaf(&["a.example"]).key(LeafKey::Rsa2048).build();
        let p384 = pki.leaf(&["a.example"]).key(LeafKey::EcdsaP384).build();
        let [rsa, p384] = parse_all([rsa.der, p384.der]);
        assert_eq!(rsa.public_key, "RSA 2048");
        assert_eq!(p384.public_key, "ECDSA P-384");
    }

    #[test]
    fn parse_refuses_garbage_and_trailing_bytes() {
        assert!(Certificate::parse(b"not a certificate").is_err());
        let mut der = at_now().root_der();
        der.push(0);
        assert_eq!(
            Certificate::parse(&der),
            Err("1 bytes after the certificate".to_owned())
        );
    }

    #[test]
    fn self_issued_when_subject_is_issuer() {
        let pki = at_now();
        let [root, intermediate] = parse_all([pki.root_der(), pki.intermediate_der()]);
        assert!(root.self_issued());
        assert!(!intermediate.self_issued());
    }

    #[test]
    fn serial_hex_drops_only_the_sign_byte() {
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x00, 0x7f]), "007f");
        assert_eq!(serial_hex(&[0x03, 0xa1]), "03a1");
    }

    #[test]
    fn signature_check_with_the_issuer_key_and_another() {
        let pki = at_now();
        let [root, intermediate] = parse_all([pki.root_der(), pki.intermediate_der()]);
        assert_eq!(intermediate.signature_check(&root), SignatureCheck::Valid);
        assert_eq!(
            intermediate.signature_check(&intermediate),
            SignatureCheck::Invalid
        );
    }
}
