//! Zone keys made at test time (ECDSA P-256, through hickory-proto and ring) and RRsets to sign
//! with them, for the unit tests of the DNSSEC rules.

use data_encoding::BASE32HEX_NOPAD;
use hickory_resolver::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_resolver::proto::dnssec::rdata::sig::SigInput;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, NSEC3, RRSIG};
use hickory_resolver::proto::dnssec::{Algorithm, Nsec3HashAlgorithm, SigningKey, TBS};
use hickory_resolver::proto::rr::rdata::NULL;
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType, SerialNumber};

/// A key of a zone, able to sign.
pub struct TestKey {
    zone: Name,
    key: EcdsaSigningKey,
    flags: u16,
}

impl TestKey {
    /// A zone signing key (flags 256) of `zone`.
    pub fn zone_signing(zone: &Name) -> TestKey {
        TestKey::with_flags(zone, 256)
    }

    /// A key signing key (flags 257: zone key, secure entry point) of `zone`.
    pub fn key_signing(zone: &Name) -> TestKey {
        TestKey::with_flags(zone, 257)
    }

    fn with_flags(zone: &Name, flags: u16) -> TestKey {
        let algorithm = Algorithm::ECDSAP256SHA256;
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(algorithm).expect("a key is made");
        TestKey {
            zone: zone.clone(),
            key: EcdsaSigningKey::from_pkcs8(&pkcs8, algorithm).expect("the key is read"),
            flags,
        }
    }

    /// Its DNSKEY record data.
    pub fn dnskey(&self) -> DNSKEY {
        DNSKEY::with_flags(self.flags, self.key.to_public_key().expect("a public key"))
    }

    /// An RRSIG over `records` (one RRset) in force from `inception` to `expiration`.
    pub fn sign(&self, records: &[Record], inception: u32, expiration: u32) -> RRSIG {
        let first = records.first().expect("an RRset to sign");
        let input = SigInput {
            type_covered: first.record_type(),
            algorithm: self.key.algorithm(),
            num_labels: first.name.num_labels(),
            original_ttl: first.ttl,
            sig_expiration: SerialNumber::new(expiration),
            sig_inception: SerialNumber::new(inception),
            key_tag: self.dnskey().calculate_key_tag().expect("a key tag"),
            signer_name: self.zone.clone(),
        };
        let tbs = TBS::from_input(&first.name, DNSClass::IN, &input, records.iter())
            .expect("the RRset is serialised");
        let signature = self.key.sign(&tbs).expect("the RRset is signed");
        RRSIG::from_sig(input, signature)
    }
}

/// `owner`'s CAA RRset, `0 issue VALUE` for each value, its rdata raw as served.
pub fn caa_rrset(owner: &Name, values: &[&str]) -> Vec<Record> {
    values
        .iter()
        .map(|value| {
            let mut rdata = vec![0, 5];
            rdata.extend(b"issue");
            rdata.extend(value.as_bytes());
            let data = RData::Unknown {
                code: RecordType::CAA,
                rdata: NULL::with(rdata),
            };
            Record::from_rdata(owner.clone(), 300, data)
        })
        .collect()
}

/// The salt and iterations of `nsec3_chain`.
pub const NSEC3_SALT: &[u8] = b"\xab";
pub const NSEC3_ITERATIONS: u16 = 1;

/// `name` hashed as `nsec3_chain` hashes (RFC 5155 §5).
pub fn nsec3_hash(name: &Name) -> Vec<u8> {
    Nsec3HashAlgorithm::SHA1
        .hash(NSEC3_SALT, name, NSEC3_ITERATIONS)
        .expect("a hash")
        .as_ref()
        .to_vec()
}

/// The NSEC3 chain of `zone` holding `names` (each with its types): each record owned by its
/// name's hash, its next the following hash in order, the last wrapping to the first.
pub fn nsec3_chain(zone: &Name, names: &[(&str, &[RecordType])], opt_out: bool) -> Vec<Record> {
    let mut hashes: Vec<(Vec<u8>, Vec<RecordType>)> = names
        .iter()
        .map(|(owner, types)| {
            let owner = Name::from_ascii(owner).expect("a name");
            (nsec3_hash(&owner), types.to_vec())
        })
        .collect();
    hashes.sort();
    (0..hashes.len())
        .map(|at| {
            let next = hashes[(at + 1) % hashes.len()].0.clone();
            let (hash, types) = &hashes[at];
            let owner = zone
                .prepend_label(BASE32HEX_NOPAD.encode(hash))
                .expect("an owner");
            let nsec3 = NSEC3::new(
                Nsec3HashAlgorithm::SHA1,
                opt_out,
                NSEC3_ITERATIONS,
                NSEC3_SALT.to_vec(),
                next,
                types.clone(),
            );
            Record::from_rdata(owner, 300, RData::DNSSEC(DNSSECRData::NSEC3(nsec3)))
        })
        .collect()
}
