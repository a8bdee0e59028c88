//! Zone keys made at test time (ECDSA P-256, through hickory-proto and ring) and RRsets to sign
//! with them, for the unit tests of the DNSSEC rules.

use hickory_resolver::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_resolver::proto::dnssec::rdata::sig::SigInput;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, RRSIG};
use hickory_resolver::proto::dnssec::{Algorithm, SigningKey, TBS};
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
