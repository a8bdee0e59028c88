//! A test PKI made with rcgen at a given instant: a root, an intermediate, leaves with
//! chosen names, validity and keys, and the bundles the certificate rules are tested on, as
//! the PEM bytes a user would upload. Shared by the unit tests of `src/cert` (at a fixed
//! instant) and the integration tests, which run the real binary on the real clock (at
//! `OffsetDateTime::now_utc()`).
//!
//! The keys ring cannot generate (RSA) or rcgen cannot write (PKCS #1, SEC1, encrypted
//! PKCS #8) are committed under `testdata/certs/`, made by `make-keys.sh` there.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P384_SHA384,
};
use time::{Duration, OffsetDateTime};

macro_rules! test_key {
    ($file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/certs/",
            $file
        ))
    };
}

/// The RSA 2048 key, unencrypted PKCS #8.
pub const RSA_2048_PKCS8: &str = test_key!("rsa2048.pkcs8.pem");
/// The same RSA key as PKCS #1 (`RSA PRIVATE KEY`).
pub const RSA_2048_PKCS1: &str = test_key!("rsa2048.pkcs1.pem");
/// The stored ECDSA P-256 key, unencrypted PKCS #8.
pub const EC_P256_PKCS8: &str = test_key!("ec-p256.pkcs8.pem");
/// The same P-256 key as SEC1 (`EC PRIVATE KEY`).
pub const EC_P256_SEC1: &str = test_key!("ec-p256.sec1.pem");
/// The same P-256 key as encrypted PKCS #8, passphrase "certready".
pub const EC_P256_ENCRYPTED: &str = test_key!("ec-p256.encrypted.pem");

/// A byte-order mark, as some Windows editors save one.
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// The leaf's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKey {
    /// A fresh ECDSA P-256 key.
    EcdsaP256,
    /// A fresh ECDSA P-384 key.
    EcdsaP384,
    /// The stored RSA 2048 key (`RSA_2048_*`).
    Rsa2048,
    /// The stored P-256 key, whose SEC1 and encrypted forms exist (`EC_P256_*`).
    StoredEcdsaP256,
}

impl LeafKey {
    fn key_pair(self) -> KeyPair {
        match self {
            LeafKey::EcdsaP256 => KeyPair::generate(),
            LeafKey::EcdsaP384 => KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384),
            LeafKey::Rsa2048 => KeyPair::from_pem(RSA_2048_PKCS8),
            LeafKey::StoredEcdsaP256 => KeyPair::from_pem(EC_P256_PKCS8),
        }
        .expect("the test key loads")
    }
}

/// A leaf certificate and its key (PKCS #8).
pub struct Leaf {
    pub der: Vec<u8>,
    pub pem: String,
    pub key_der: Vec<u8>,
    pub key_pem: String,
}

/// A root and an intermediate, valid from a year before `now` to ten years after.
pub struct Pki {
    now: OffsetDateTime,
    root: CertifiedIssuer<'static, KeyPair>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf being made: names, validity, key and whether it claims to be a CA.
pub struct LeafBuilder<'a> {
    pki: &'a Pki,
    params: CertificateParams,
    key: LeafKey,
}

fn ca_params(common_name: &str, now: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).expect("no names to check");
    // Written in DER order, most significant first, as CAs do: O, then CN.
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Certready Test PKI");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params
}

impl Pki {
    /// A fresh root and intermediate, their validity around `now`.
    pub fn at(now: OffsetDateTime) -> Pki {
        let root = CertifiedIssuer::self_signed(
            ca_params("Certready Test Root", now),
            KeyPair::generate().expect("a P-256 key"),
        )
        .expect("the root signs itself");
        let intermediate = CertifiedIssuer::signed_by(
            ca_params("Certready Test Intermediate", now),
            KeyPair::generate().expect("a P-256 key"),
            &root,
        )
        .expect("the root signs the intermediate");
        Pki {
            now,
            root,
            intermediate,
        }
    }

    pub fn root_der(&self) -> Vec<u8> {
        self.root.der().to_vec()
    }

    pub fn root_pem(&self) -> String {
        self.root.pem()
    }

    pub fn intermediate_der(&self) -> Vec<u8> {
        self.intermediate.der().to_vec()
    }

    pub fn intermediate_pem(&self) -> String {
        self.intermediate.pem()
    }

    /// A leaf for `names` (DNS names or IP addresses), valid from a day before now for 90
    /// days, with a fresh P-256 key, signed by the intermediate.
    pub fn leaf(&self, names: &[&str]) -> LeafBuilder<'_> {
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("names rcgen takes");
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first);
        }
        params.use_authority_key_identifier_extension = true;
        params.not_before = self.now - Duration::days(1);
        params.not_after = self.now + Duration::days(90);
        LeafBuilder {
            pki: self,
            params,
            key: LeafKey::EcdsaP256,
        }
    }

    /// The bundle as Twilio's TlsCert takes it: leaf, intermediate, root, then the key.
    pub fn bundle(&self, leaf: &Leaf) -> Vec<u8> {
        pem(&[
            &leaf.pem,
            &self.intermediate_pem(),
            &self.root_pem(),
            &leaf.key_pem,
        ])
    }

    /// A good bundle for `example.com` with an ECDSA P-256 leaf.
    pub fn good_bundle(&self) -> Vec<u8> {
        self.bundle(&self.leaf(&["example.com"]).build())
    }

    /// A good bundle for `example.com` with an RSA 2048 leaf.
    pub fn good_rsa_bundle(&self) -> Vec<u8> {
        self.bundle(&self.leaf(&["example.com"]).key(LeafKey::Rsa2048).build())
    }

    /// Root, intermediate, leaf, key: the chain upside down.
    pub fn reversed_chain_bundle(&self) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).build();
        pem(&[
            &self.root_pem(),
            &self.intermediate_pem(),
            &leaf.pem,
            &leaf.key_pem,
        ])
    }

    /// Leaf, root, key: the intermediate left out.
    pub fn missing_intermediate_bundle(&self) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).build();
        pem(&[&leaf.pem, &self.root_pem(), &leaf.key_pem])
    }

    /// Leaf, intermediate, key: the root left out.
    pub fn missing_root_bundle(&self) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).build();
        pem(&[&leaf.pem, &self.intermediate_pem(), &leaf.key_pem])
    }

    /// A good chain with another leaf's key.
    pub fn wrong_key_bundle(&self) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).build();
        let other = self.leaf(&["example.com"]).build();
        pem(&[
            &leaf.pem,
            &self.intermediate_pem(),
            &self.root_pem(),
            &other.key_pem,
        ])
    }

    /// An RSA leaf with its key as PKCS #1.
    pub fn pkcs1_key_bundle(&self) -> Vec<u8> {
        self.stored_key_bundle(LeafKey::Rsa2048, RSA_2048_PKCS1)
    }

    /// A P-256 leaf with its key as SEC1.
    pub fn sec1_key_bundle(&self) -> Vec<u8> {
        self.stored_key_bundle(LeafKey::StoredEcdsaP256, EC_P256_SEC1)
    }

    /// A P-256 leaf with its key as encrypted PKCS #8.
    pub fn encrypted_key_bundle(&self) -> Vec<u8> {
        self.stored_key_bundle(LeafKey::StoredEcdsaP256, EC_P256_ENCRYPTED)
    }

    fn stored_key_bundle(&self, key: LeafKey, key_pem: &str) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).key(key).build();
        pem(&[
            &leaf.pem,
            &self.intermediate_pem(),
            &self.root_pem(),
            key_pem,
        ])
    }

    /// The good bundle with CR LF line ends.
    pub fn crlf_bundle(&self) -> Vec<u8> {
        String::from_utf8(self.good_bundle())
            .expect("PEM is text")
            .replace('\n', "\r\n")
            .into_bytes()
    }

    /// The good bundle behind a UTF-8 byte-order mark.
    pub fn bom_bundle(&self) -> Vec<u8> {
        [BYTE_ORDER_MARK.as_bytes(), &self.good_bundle()].concat()
    }

    /// A bundle whose leaf expired a day ago.
    pub fn expired_leaf_bundle(&self) -> Vec<u8> {
        self.bundle(&self.leaf(&["example.com"]).expired().build())
    }

    /// A bundle whose leaf has `days` days left (see `LeafBuilder::expires_in_days`).
    pub fn expiring_bundle(&self, days: i64) -> Vec<u8> {
        self.bundle(&self.leaf(&["example.com"]).expires_in_days(days).build())
    }

    /// A bundle whose leaf is for `*.example.com`.
    pub fn wildcard_bundle(&self) -> Vec<u8> {
        self.bundle(&self.leaf(&["*.example.com"]).build())
    }

    /// Intermediate, root and a key: the leaf left out.
    pub fn chain_without_leaf_bundle(&self) -> Vec<u8> {
        let leaf = self.leaf(&["example.com"]).build();
        pem(&[&self.intermediate_pem(), &self.root_pem(), &leaf.key_pem])
    }

    /// Leaf, the non-CA end-entity certificate that signed it, intermediate, root, key.
    pub fn signed_by_non_ca_bundle(&self) -> Vec<u8> {
        let signer_key = KeyPair::generate().expect("a P-256 key");
        let signer_params = self.leaf(&["signer.example.com"]).params;
        let signer = signer_params
            .signed_by(&signer_key, &self.intermediate)
            .expect("the intermediate signs the signer");
        let issuer = Issuer::new(signer_params, signer_key);
        let leaf = self.leaf(&["example.com"]).build_signed_by(&issuer);
        pem(&[
            &leaf.pem,
            &signer.pem(),
            &self.intermediate_pem(),
            &self.root_pem(),
            &leaf.key_pem,
        ])
    }

    /// What a server for `names` serves: the leaf and the intermediate (DER), and the
    /// leaf's key (PKCS #8 DER).
    pub fn served(&self, names: &[&str]) -> (Vec<Vec<u8>>, Vec<u8>) {
        let leaf = self.leaf(names).build();
        (vec![leaf.der, self.intermediate_der()], leaf.key_der)
    }
}

impl LeafBuilder<'_> {
    /// Expires `days` days and an hour from now, so its days left read `days` for an hour.
    pub fn expires_in_days(mut self, days: i64) -> Self {
        self.params.not_after = self.pki.now + Duration::days(days) + Duration::hours(1);
        self
    }

    /// Valid for 90 days, ended a day ago.
    pub fn expired(mut self) -> Self {
        self.params.not_before = self.pki.now - Duration::days(91);
        self.params.not_after = self.pki.now - Duration::days(1);
        self
    }

    /// Valid from a day after now.
    pub fn not_yet_valid(mut self) -> Self {
        self.params.not_before = self.pki.now + Duration::days(1);
        self
    }

    pub fn key(mut self, key: LeafKey) -> Self {
        self.key = key;
        self
    }

    /// Signed by the root itself, as a private CA may issue.
    pub fn build_by_root(self) -> Leaf {
        let root = &self.pki.root;
        self.build_signed_by(root)
    }

    /// Signed by the intermediate.
    pub fn build(self) -> Leaf {
        let intermediate = &self.pki.intermediate;
        self.build_signed_by(intermediate)
    }

    /// Signed by `issuer`.
    pub fn build_signed_by(self, issuer: &Issuer<'_, KeyPair>) -> Leaf {
        let key = self.key.key_pair();
        let certificate = self
            .params
            .signed_by(&key, issuer)
            .expect("the issuer signs the leaf");
        Leaf {
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// PEM texts one after another, as bytes.
pub fn pem(parts: &[&str]) -> Vec<u8> {
    parts.concat().into_bytes()
}
