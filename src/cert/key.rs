//! The private key: its PEM form, the one the platform takes (unencrypted PKCS #8), the
//! openssl command that converts the others, and its public key, derived by ring (and, for
//! SEC1, read with asn1-rs) to compare with the leaf's.

use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RsaKeyPair,
};
use x509_parser::asn1_rs::{
    BitString, Error as AsnError, FromDer, OctetString, Oid, Sequence, TaggedExplicit,
};
use x509_parser::oid_registry::{OID_EC_P256, OID_NIST_EC_P384};

use super::certificate::Certificate;
use super::finding::{Finding, Place};

/// The PEM form a private key is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyForm {
    /// Unencrypted PKCS #8 (RFC 5958), `PRIVATE KEY`: the form the platform takes.
    Pkcs8,
    /// PKCS #1 RSA (RFC 8017 §A.1.2), `RSA PRIVATE KEY`.
    Pkcs1Rsa,
    /// SEC1 EC (RFC 5915), `EC PRIVATE KEY`.
    Sec1Ec,
    /// Passphrase-encrypted PKCS #8 (RFC 5958 §3), `ENCRYPTED PRIVATE KEY`.
    EncryptedPkcs8,
}

impl KeyForm {
    const ALL: [KeyForm; 4] = [
        KeyForm::Pkcs8,
        KeyForm::Pkcs1Rsa,
        KeyForm::Sec1Ec,
        KeyForm::EncryptedPkcs8,
    ];

    /// The PEM label (RFC 7468 §10 and §11, RFC 5915 §4, and openssl's for PKCS #1).
    pub fn label(self) -> &'static str {
        match self {
            KeyForm::Pkcs8 => "PRIVATE KEY",
            KeyForm::Pkcs1Rsa => "RSA PRIVATE KEY",
            KeyForm::Sec1Ec => "EC PRIVATE KEY",
            KeyForm::EncryptedPkcs8 => "ENCRYPTED PRIVATE KEY",
        }
    }

    /// The form a PEM label names, if it names a private key.
    pub(crate) fn from_label(label: &str) -> Option<KeyForm> {
        KeyForm::ALL.into_iter().find(|form| form.label() == label)
    }

    /// The exact openssl command (argv) that writes the key as unencrypted PKCS #8 to
    /// `output`; None for Pkcs8. EncryptedPkcs8: `openssl pkcs8 -in IN -out OUT` (prompts for
    /// the passphrase); the others: `openssl pkcs8 -topk8 -nocrypt -in IN -out OUT`.
    pub fn conversion_command(self, input: &str, output: &str) -> Option<Vec<String>> {
        let options: &[&str] = match self {
            KeyForm::Pkcs8 => return None,
            KeyForm::EncryptedPkcs8 => &[],
            KeyForm::Pkcs1Rsa | KeyForm::Sec1Ec => &["-topk8", "-nocrypt"],
        };
        let argv = ["openssl", "pkcs8"]
            .iter()
            .chain(options)
            .chain(&["-in", input, "-out", output])
            .map(|word| (*word).to_owned())
            .collect();
        Some(argv)
    }
}

/// The private key that was checked: where it is and its form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBlock {
    pub at: Place,
    pub form: KeyForm,
}

/// A private-key block as read from a PEM file: its place, form and body (None if damaged).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyFound<'a> {
    pub at: Place,
    pub form: KeyForm,
    pub der: Option<&'a [u8]>,
}

/// Twilio's documented upload rules: the private key is unencrypted PKCS #8 (`PRIVATE KEY`).
pub(crate) fn is_accepted_key_form(form: KeyForm) -> bool {
    form == KeyForm::Pkcs8
}

/// RFC 5280 §4.1.2.7: the certificate certifies the key pair whose public key is its
/// subjectPublicKey; the private key belongs to the leaf when its public key is that one.
pub(crate) fn key_matches_leaf(public_key: &[u8], leaf: &Certificate) -> bool {
    leaf.subject_public_key() == public_key
}

/// Twilio's documented upload rules: exactly one private key, in the bundle or the key file,
/// unencrypted PKCS #8, and the leaf's. A key in another form is still read and matched, so
/// the user learns both things at once; with several keys none is checked.
pub(crate) fn check_key(
    keys: &[KeyFound<'_>],
    leaf: Option<&Certificate>,
) -> (Option<KeyBlock>, Vec<Finding>) {
    let key = match keys {
        [] => return (None, vec![Finding::KeyMissing]),
        [key] => key,
        several => {
            let at = several.iter().map(|key| key.at).collect();
            return (None, vec![Finding::MultipleKeys { at }]);
        }
    };
    let mut findings = Vec::new();
    if !is_accepted_key_form(key.form) {
        findings.push(Finding::KeyNotPkcs8 {
            at: key.at,
            form: key.form,
        });
    }
    if let Some(der) = key.der {
        match public_key_of(key.form, der) {
            Err(reason) => findings.push(Finding::KeyUnreadable { at: key.at, reason }),
            Ok(Some(public_key)) => {
                if leaf.is_some_and(|leaf| !key_matches_leaf(&public_key, leaf)) {
                    findings.push(Finding::KeyMismatch);
                }
            }
            Ok(None) => {}
        }
    }
    let block = KeyBlock {
        at: key.at,
        form: key.form,
    };
    (Some(block), findings)
}

/// The public key of a private key of `form`, as a certificate's SubjectPublicKeyInfo holds
/// it (RFC 5280 §4.1.2.7): an RSAPublicKey's DER (RFC 8017 §A.1.1), an uncompressed EC point
/// (RFC 5480 §2.2), an Ed25519 key (RFC 8410 §4). Ok(None) for an encrypted key: without the
/// passphrase there is nothing to compare. RSA and ECDSA P-256 and P-384 in every form, and
/// Ed25519 in PKCS #8.
pub(crate) fn public_key_of(form: KeyForm, der: &[u8]) -> Result<Option<Vec<u8>>, String> {
    match form {
        KeyForm::Pkcs8 => pkcs8_public_key(der).map(Some),
        KeyForm::Pkcs1Rsa => RsaKeyPair::from_der(der)
            .map(|pair| Some(pair.public().as_ref().to_vec()))
            .map_err(|rejected| format!("not a PKCS #1 RSA key ring can read: {rejected}")),
        KeyForm::Sec1Ec => sec1_public_key(der).map(Some),
        KeyForm::EncryptedPkcs8 => Ok(None),
    }
}

/// RFC 5958: PKCS #8 names its algorithm; ring reads each kind it knows, so try them in turn.
fn pkcs8_public_key(der: &[u8]) -> Result<Vec<u8>, String> {
    let rng = SystemRandom::new();
    let ecdsa = |algorithm: &'static EcdsaSigningAlgorithm| {
        EcdsaKeyPair::from_pkcs8(algorithm, der, &rng)
            .map(|pair| pair.public_key().as_ref().to_vec())
    };
    ecdsa(&ECDSA_P256_SHA256_ASN1_SIGNING)
        .or_else(|_| ecdsa(&ECDSA_P384_SHA384_ASN1_SIGNING))
        .or_else(|_| RsaKeyPair::from_pkcs8(der).map(|pair| pair.public().as_ref().to_vec()))
        .or_else(|_| {
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map(|pair| pair.public_key().as_ref().to_vec())
        })
        .map_err(|_| {
            "not an RSA, ECDSA P-256 or P-384, or Ed25519 PKCS #8 key ring can read".to_owned()
        })
}

/// RFC 5915 §3: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, parameters
/// [0] curve OID OPTIONAL, publicKey [1] BIT STRING OPTIONAL }. ring checks that the private
/// and public keys belong together.
fn sec1_public_key(der: &[u8]) -> Result<Vec<u8>, String> {
    let parsed = Sequence::from_der_and_then(der, |input| {
        let (input, _version) = u8::from_der(input)?;
        let (input, private) = OctetString::from_der(input)?;
        let (input, curve) = <Option<TaggedExplicit<Oid, AsnError, 0>>>::from_der(input)?;
        let (input, public) = <Option<TaggedExplicit<BitString, AsnError, 1>>>::from_der(input)?;
        Ok((input, (private, curve, public)))
    });
    let (_, (private, curve, public)) =
        parsed.map_err(|error| format!("not a SEC1 EC key: {error}"))?;
    let public = public
        .ok_or("the SEC1 key does not carry its public key")?
        .into_inner();
    let algorithm = match curve.map(TaggedExplicit::into_inner) {
        Some(oid) if oid == OID_EC_P256 => &ECDSA_P256_SHA256_ASN1_SIGNING,
        Some(oid) if oid == OID_NIST_EC_P384 => &ECDSA_P384_SHA384_ASN1_SIGNING,
        Some(oid) => return Err(format!("the curve {oid} is not P-256 or P-384")),
        None => return Err("the SEC1 key does not name its curve".to_owned()),
    };
    EcdsaKeyPair::from_private_key_and_public_key(
        algorithm,
        private.as_ref(),
        &public.data,
        &SystemRandom::new(),
    )
    .map(|pair| pair.public_key().as_ref().to_vec())
    .map_err(|rejected| format!("the SEC1 key does not hold together: {rejected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::finding::PemFile;
    use crate::cert::pki::{EC_P256_PKCS8, EC_P256_SEC1, LeafKey, RSA_2048_PKCS1, RSA_2048_PKCS8};
    use crate::cert::test_support::{at_now, parse_all};

    #[test]
    fn labels_name_each_form_and_read_back() {
        for form in KeyForm::ALL {
            assert_eq!(KeyForm::from_label(form.label()), Some(form));
        }
        assert_eq!(KeyForm::from_label("PUBLIC KEY"), None);
        assert_eq!(KeyForm::from_label("CERTIFICATE"), None);
    }

    #[test]
    fn is_accepted_key_form_only_unencrypted_pkcs8() {
        assert!(is_accepted_key_form(KeyForm::Pkcs8));
        assert!(!is_accepted_key_form(KeyForm::Pkcs1Rsa));
        assert!(!is_accepted_key_form(KeyForm::Sec1Ec));
        assert!(!is_accepted_key_form(KeyForm::EncryptedPkcs8));
    }

    #[test]
    fn conversion_command_per_form() {
        assert_eq!(KeyForm::Pkcs8.conversion_command("in.pem", "out.pem"), None);
        assert_eq!(
            KeyForm::Pkcs1Rsa.conversion_command("in.pem", "out.pem"),
            Some(
                [
                    "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "in.pem", "-out", "out.pem"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert_eq!(
            KeyForm::Sec1Ec.conversion_command("a", "b"),
            KeyForm::Pkcs1Rsa.conversion_command("a", "b")
        );
        assert_eq!(
            KeyForm::EncryptedPkcs8.conversion_command("in.pem", "out.pem"),
            Some(
                ["openssl", "pkcs8", "-in", "in.pem", "-out", "out.pem"]
                    .map(String::from)
                    .to_vec()
            )
        );
    }

    #[test]
    fn public_key_of_garbage_is_unreadable_and_of_an_encrypted_key_unknown() {
        for form in [KeyForm::Pkcs8, KeyForm::Pkcs1Rsa, KeyForm::Sec1Ec] {
            assert!(
                public_key_of(form, b"\x30\x03\x02\x01\x01").is_err(),
                "{form:?}"
            );
        }
        assert_eq!(public_key_of(KeyForm::EncryptedPkcs8, b"x"), Ok(None));
    }

    fn pem_body(pem: &str) -> Vec<u8> {
        let body: Vec<&str> = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        crate::cert::pem::decode_body(&body).expect("a test key decodes")
    }

    fn stored_leaf(key: LeafKey) -> Certificate {
        let [leaf] = parse_all([at_now().leaf(&["example.com"]).key(key).build().der]);
        leaf
    }

    #[test]
    fn public_key_of_each_form_matches_its_leaf() {
        let rsa = stored_leaf(LeafKey::Rsa2048);
        let ec = stored_leaf(LeafKey::StoredEcdsaP256);
        for (form, pem, leaf) in [
            (KeyForm::Pkcs8, RSA_2048_PKCS8, &rsa),
            (KeyForm::Pkcs1Rsa, RSA_2048_PKCS1, &rsa),
            (KeyForm::Pkcs8, EC_P256_PKCS8, &ec),
            (KeyForm::Sec1Ec, EC_P256_SEC1, &ec),
        ] {
            let public = public_key_of(form, &pem_body(pem)).unwrap().unwrap();
            assert!(key_matches_leaf(&public, leaf), "{form:?}");
        }
    }

    #[test]
    fn key_matches_leaf_not_another_leaf() {
        let pki = at_now();
        let leaf = pki.leaf(&["example.com"]).key(LeafKey::EcdsaP384).build();
        let [certificate] = parse_all([leaf.der]);
        let public = public_key_of(KeyForm::Pkcs8, &leaf.key_der)
            .unwrap()
            .unwrap();
        assert!(key_matches_leaf(&public, &certificate));
        assert!(!key_matches_leaf(&public, &stored_leaf(LeafKey::Rsa2048)));
    }

    #[test]
    fn check_key_one_accepted_key_that_is_the_leafs() {
        let leaf = stored_leaf(LeafKey::StoredEcdsaP256);
        let at = Place {
            file: PemFile::Key,
            line: 1,
        };
        let found = |form, pem| KeyFound {
            at,
            form,
            der: Some(pem),
        };
        let pkcs8 = pem_body(EC_P256_PKCS8);
        let sec1 = pem_body(EC_P256_SEC1);
        let block = |form| Some(KeyBlock { at, form });
        assert_eq!(
            check_key(&[found(KeyForm::Pkcs8, &pkcs8)], Some(&leaf)),
            (block(KeyForm::Pkcs8), vec![])
        );
        assert_eq!(
            check_key(&[found(KeyForm::Sec1Ec, &sec1)], Some(&leaf)),
            (
                block(KeyForm::Sec1Ec),
                vec![Finding::KeyNotPkcs8 {
                    at,
                    form: KeyForm::Sec1Ec
                }]
            )
        );
        let other = stored_leaf(LeafKey::Rsa2048);
        assert_eq!(
            check_key(&[found(KeyForm::Pkcs8, &pkcs8)], Some(&other)).1,
            [Finding::KeyMismatch]
        );
        assert_eq!(
            check_key(&[], Some(&leaf)),
            (None, vec![Finding::KeyMissing])
        );
        assert_eq!(
            check_key(
                &[found(KeyForm::Pkcs8, &pkcs8), found(KeyForm::Pkcs8, &pkcs8)],
                Some(&leaf)
            ),
            (None, vec![Finding::MultipleKeys { at: vec![at, at] }])
        );
        assert_eq!(
            check_key(&[found(KeyForm::Pkcs8, b"garbage")], Some(&leaf)).1,
            [Finding::KeyUnreadable {
                at,
                reason: "not an RSA, ECDSA P-256 or P-384, or Ed25519 PKCS #8 key ring can read"
                    .into()
            }]
        );
    }
}
