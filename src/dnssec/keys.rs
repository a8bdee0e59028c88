//! A zone's keys (RFC 4035 §5.2): its DNSKEY RRset is trusted when a key the parent vouches
//! for (a DS record's digest of it) or a trust anchor names signed it. The digests and the
//! signature are checked by hickory-proto (ring).

use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, RRSIG};
use hickory_resolver::proto::dnssec::{PublicKey, PublicKeyBuf, Verifier};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

use super::security::BogusKind;
use super::signatures::verify_rrset;

/// What vouches for a zone's keys: the DS records its parent serves for it (validated in the
/// parent), or, for a zone with a trust anchor, the anchor's DS records and keys.
#[derive(Clone, Copy, Debug)]
pub struct Vouchers<'a> {
    pub ds: &'a [DS],
    pub keys: &'a [PublicKeyBuf],
}

/// The DNSKEY record data of `records` (other types left out).
pub fn dnskeys(records: &[Record]) -> Vec<DNSKEY> {
    records
        .iter()
        .filter_map(|record| match &record.data {
            RData::DNSSEC(DNSSECRData::DNSKEY(key)) => Some(key.clone()),
            _ => None,
        })
        .collect()
}

/// RFC 4035 §5.2: whether any of the DS records is one this validator can use (an algorithm
/// and a digest it implements). A zone whose DS records are all of others is treated as
/// unsigned: insecure, not bogus.
pub fn any_usable(ds: &[DS]) -> bool {
    ds.iter()
        .any(|ds| ds.algorithm().is_supported() && ds.digest_type().is_supported())
}

/// RFC 4035 §5.2: a key a voucher names: a zone key, not revoked, whose digest a DS record
/// holds (RFC 4034 §5.1.4) or that a trust anchor lists.
pub fn vouched_for(zone: &Name, key: &DNSKEY, vouchers: Vouchers) -> bool {
    let named_by_ds = vouchers
        .ds
        .iter()
        .any(|ds| ds.covers(zone, key).unwrap_or(false));
    let listed = vouchers.keys.iter().any(|anchor| {
        anchor.public_bytes() == key.public_key().public_bytes()
            && anchor.algorithm() == key.algorithm()
    });
    key.zone_key() && !key.revoke() && (named_by_ds || listed)
}

/// RFC 4035 §5.2: the zone's keys, once a vouched-for key has signed the DNSKEY RRset
/// (`records`, with its `rrsigs`); else why not.
pub fn trusted_keys(
    zone: &Name,
    records: &[Record],
    rrsigs: &[RRSIG],
    vouchers: Vouchers,
    now: u32,
) -> Result<Vec<DNSKEY>, BogusKind> {
    let keys = dnskeys(records);
    let entry: Vec<DNSKEY> = keys
        .iter()
        .filter(|key| vouched_for(zone, key, vouchers))
        .cloned()
        .collect();
    if entry.is_empty() {
        let mut ds_key_tags: Vec<u16> = vouchers.ds.iter().map(DS::key_tag).collect();
        ds_key_tags.sort_unstable();
        ds_key_tags.dedup();
        return Err(BogusKind::NoKeyForDs { ds_key_tags });
    }
    verify_rrset(zone, zone, RecordType::DNSKEY, records, rrsigs, &entry, now)?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::test_keys::TestKey;
    use hickory_resolver::proto::dnssec::DigestType;

    const NOW: u32 = 1_800_000_000;

    fn zone() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    fn dnskey_rrset(keys: &[&TestKey]) -> Vec<Record> {
        keys.iter()
            .map(|key| {
                Record::from_rdata(
                    zone(),
                    3600,
                    RData::DNSSEC(DNSSECRData::DNSKEY(key.dnskey())),
                )
            })
            .collect()
    }

    fn ds_of(key: &TestKey) -> DS {
        let dnskey = key.dnskey();
        DS::new(
            dnskey.calculate_key_tag().unwrap(),
            dnskey.algorithm(),
            DigestType::SHA256,
            dnskey
                .to_digest(&zone(), DigestType::SHA256)
                .unwrap()
                .as_ref()
                .to_vec(),
        )
    }

    #[test]
    fn rfc_4035_5_2_a_key_signing_key_named_by_the_ds_vouches_for_the_zone_s_keys() {
        let ksk = TestKey::key_signing(&zone());
        let zsk = TestKey::zone_signing(&zone());
        let records = dnskey_rrset(&[&ksk, &zsk]);
        let rrsig = ksk.sign(&records, NOW - 3600, NOW + 3600);
        let ds = [ds_of(&ksk)];
        let vouchers = Vouchers { ds: &ds, keys: &[] };
        let keys = trusted_keys(&zone(), &records, &[rrsig], vouchers, NOW).unwrap();
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn rfc_4035_5_2_a_ds_that_matches_no_key_is_bogus_naming_its_key_tag() {
        let ksk = TestKey::key_signing(&zone());
        let gone = TestKey::key_signing(&zone());
        let records = dnskey_rrset(&[&ksk]);
        let rrsig = ksk.sign(&records, NOW - 3600, NOW + 3600);
        let ds = [ds_of(&gone)];
        let vouchers = Vouchers { ds: &ds, keys: &[] };
        let found = trusted_keys(&zone(), &records, &[rrsig], vouchers, NOW);
        assert_eq!(
            found,
            Err(BogusKind::NoKeyForDs {
                ds_key_tags: vec![ds[0].key_tag()]
            })
        );
    }

    #[test]
    fn a_trust_anchor_key_vouches_as_a_ds_does_and_its_signature_must_be_in_force() {
        let ksk = TestKey::key_signing(&zone());
        let records = dnskey_rrset(&[&ksk]);
        let anchor = [ksk.dnskey().public_key().clone()];
        let vouchers = Vouchers {
            ds: &[],
            keys: &anchor,
        };
        let fresh = ksk.sign(&records, NOW - 3600, NOW + 3600);
        assert!(trusted_keys(&zone(), &records, &[fresh], vouchers, NOW).is_ok());
        let stale = ksk.sign(&records, NOW - 7200, NOW - 3600);
        assert!(matches!(
            trusted_keys(&zone(), &records, &[stale], vouchers, NOW),
            Err(BogusKind::SignatureExpired { .. })
        ));
    }
}
