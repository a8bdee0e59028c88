//! RRSIG rules (RFC 4035 §5.3): whether a signature is for an RRset, whether it is in force,
//! and whether an RRset verifies under a zone's keys. The cryptography is hickory-proto's
//! (ring), never written here.

use hickory_resolver::proto::dnssec::Verifier;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, RRSIG};
use hickory_resolver::proto::rr::rdata::NULL;
use hickory_resolver::proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::security::BogusKind;

/// Signature checks one RRset may cost at most.
const MOST_SIGNATURE_CHECKS: usize = 8;

/// RFC 4035 §5.3.1: the signature is for this RRset of this zone: the zone signed it, it
/// covers this type, and it counts no more labels than the owner has (more would mean it was
/// made for another name; fewer, for a wildcard).
pub fn covers(rrsig: &RRSIG, zone: &Name, owner: &Name, rtype: RecordType) -> bool {
    let input = rrsig.input();
    input.signer_name == *zone
        && input.type_covered == rtype
        && input.num_labels <= owner.num_labels()
}

/// Whether a signature is in force at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InForce {
    Yes,
    /// Its expiration (Unix time) has passed.
    Expired(u32),
    /// Its inception (Unix time) is still to come.
    NotYet(u32),
}

/// RFC 4035 §5.3.1, with the serial number arithmetic of RFC 4034 §3.1.5 (the fields wrap
/// around in 2106): in force from its inception to its expiration, both included.
pub fn in_force(rrsig: &RRSIG, now: u32) -> InForce {
    let input = rrsig.input();
    let (inception, expiration) = (input.sig_inception.get(), input.sig_expiration.get());
    let before = |a: u32, b: u32| a != b && b.wrapping_sub(a) < 1 << 31;
    if before(now, inception) {
        InForce::NotYet(inception)
    } else if before(expiration, now) {
        InForce::Expired(expiration)
    } else {
        InForce::Yes
    }
}

/// RFC 4035 §5.3.1: the key is the one that made the signature: a zone key, not revoked, of
/// the signature's algorithm and key tag. A key of an algorithm this validator does not
/// implement (Ed448) made nothing it can check (RFC 6840 §5.2).
pub fn made_by(rrsig: &RRSIG, key: &DNSKEY) -> bool {
    let input = rrsig.input();
    key.zone_key()
        && !key.revoke()
        && key.algorithm().is_supported()
        && key.algorithm() == input.algorithm
        && key.calculate_key_tag().ok() == Some(input.key_tag)
}

/// RFC 4035 §5.3: `records` (the RRset of `owner` and `rtype`) verify when one signature for
/// them is in force, was made by one of `keys`, and verifies; its label count comes back (fewer
/// than the owner's: expanded from a wildcard, §5.3.4). Otherwise the most telling reason: a signature that does not verify, else one by a key the zone does not publish,
/// else signatures not in force (expired, or not yet valid), else none at all.
pub fn verify_rrset(
    zone: &Name,
    owner: &Name,
    rtype: RecordType,
    records: &[Record],
    rrsigs: &[RRSIG],
    keys: &[DNSKEY],
    now: u32,
) -> Result<u8, BogusKind> {
    let rrset = format!("{} {rtype}", owner.to_ascii());
    let covering: Vec<&RRSIG> = rrsigs
        .iter()
        .filter(|rrsig| covers(rrsig, zone, owner, rtype))
        .collect();
    let in_force_now: Vec<&RRSIG> = covering
        .iter()
        .copied()
        .filter(|rrsig| in_force(rrsig, now) == InForce::Yes)
        .collect();
    let records = canonical_rrset(records);
    let mut made_by_a_key = false;
    // A hostile zone's many signatures and colliding key tags cost a check each (KeyTrap,
    // CVE-2023-50387): a bounded number is tried, as Unbound bounds them.
    let candidates = in_force_now
        .iter()
        .flat_map(|rrsig| {
            keys.iter()
                .filter(|key| made_by(rrsig, key))
                .map(move |key| (*rrsig, key))
        })
        .take(MOST_SIGNATURE_CHECKS);
    for (rrsig, key) in candidates {
        made_by_a_key = true;
        if key
            .verify_rrsig(owner, DNSClass::IN, rrsig, records.iter())
            .is_ok()
        {
            return Ok(rrsig.input().num_labels);
        }
    }
    if made_by_a_key {
        return Err(BogusKind::BadSignature { rrset });
    }
    if !in_force_now.is_empty() {
        let mut key_tags: Vec<u16> = in_force_now
            .iter()
            .map(|rrsig| rrsig.input().key_tag)
            .collect();
        key_tags.sort_unstable();
        key_tags.dedup();
        return Err(BogusKind::NoMatchingKey { rrset, key_tags });
    }
    let timings: Vec<InForce> = covering.iter().map(|rrsig| in_force(rrsig, now)).collect();
    let expired = timings.iter().filter_map(|timing| match timing {
        InForce::Expired(at) => Some(*at),
        _ => None,
    });
    if let Some(latest) = expired.max() {
        return Err(BogusKind::SignatureExpired {
            rrset,
            expired: latest,
        });
    }
    let not_yet = timings.iter().filter_map(|timing| match timing {
        InForce::NotYet(at) => Some(*at),
        _ => None,
    });
    match not_yet.min() {
        Some(earliest) => Err(BogusKind::SignatureNotYetValid {
            rrset,
            valid_from: earliest,
        }),
        None => Err(BogusKind::SignatureMissing { rrset }),
    }
}

/// RFC 4034 §6.2 and §6.3: the RRset as it was signed: each TTL the same (the signed data
/// carries the signature's original TTL, and hickory orders records by TTL before data, so
/// records served with different TTLs would be put out of order), a DNAME target in lowercase
/// (hickory keeps a DNAME's data raw), duplicates once.
fn canonical_rrset(records: &[Record]) -> Vec<Record> {
    let mut canonical: Vec<Record> = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record.ttl = 0;
            // (Empty data stays as it is: hickory's `NULL::with` refuses it.)
            if let RData::Unknown { code, rdata } = &record.data
                && *code == RecordType::DNAME
                && !rdata.anything.is_empty()
            {
                // An uncompressed wire name: its length octets (at most 63) are no letters.
                let lowercase: Vec<u8> = rdata.anything.to_ascii_lowercase();
                record.data = RData::Unknown {
                    code: *code,
                    rdata: NULL::with(lowercase),
                };
            }
            record
        })
        .collect();
    canonical.sort();
    canonical.dedup();
    canonical
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::test_keys::{TestKey, caa_rrset};

    const NOW: u32 = 1_800_000_000;

    fn zone() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    fn www() -> Name {
        Name::from_ascii("www.example.test.").unwrap()
    }

    /// `verify_rrset` for www.example.test.'s CAA RRset, now.
    fn verify_www(records: &[Record], rrsigs: &[RRSIG], keys: &[DNSKEY]) -> Result<u8, BogusKind> {
        verify_rrset(&zone(), &www(), RecordType::CAA, records, rrsigs, keys, NOW)
    }

    #[test]
    fn a_signature_in_force_by_the_zone_s_key_verifies() {
        let key = TestKey::zone_signing(&zone());
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        let rrsig = key.sign(&records, NOW - 3600, NOW + 3600);
        let verified = verify_www(&records, &[rrsig], &[key.dnskey()]);
        assert_eq!(verified, Ok(3));
    }

    #[test]
    fn rfc_4035_5_3_1_expired_and_not_yet_valid_signatures_say_when() {
        let key = TestKey::zone_signing(&zone());
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        let keys = [key.dnskey()];
        let expired = key.sign(&records, NOW - 7200, NOW - 3600);
        assert_eq!(
            verify_www(&records, &[expired], &keys),
            Err(BogusKind::SignatureExpired {
                rrset: "www.example.test. CAA".into(),
                expired: NOW - 3600
            })
        );
        let early = key.sign(&records, NOW + 3600, NOW + 7200);
        assert_eq!(
            verify_www(&records, &[early], &keys),
            Err(BogusKind::SignatureNotYetValid {
                rrset: "www.example.test. CAA".into(),
                valid_from: NOW + 3600
            })
        );
    }

    #[test]
    fn rfc_4035_5_3_1_a_missing_signature_or_another_key_s() {
        let key = TestKey::zone_signing(&zone());
        let other = TestKey::zone_signing(&zone());
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        assert_eq!(
            verify_www(&records, &[], &[key.dnskey()]),
            Err(BogusKind::SignatureMissing {
                rrset: "www.example.test. CAA".into()
            })
        );
        let by_other = other.sign(&records, NOW - 3600, NOW + 3600);
        let found = verify_www(&records, &[by_other], &[key.dnskey()]);
        assert!(
            matches!(found, Err(BogusKind::NoMatchingKey { .. })),
            "{found:?}"
        );
    }

    #[test]
    fn rfc_4035_5_3_3_records_changed_after_signing_do_not_verify() {
        let key = TestKey::zone_signing(&zone());
        let signed = caa_rrset(&www(), &["letsencrypt.org"]);
        let rrsig = key.sign(&signed, NOW - 3600, NOW + 3600);
        let served = caa_rrset(&www(), &["digicert.com"]);
        assert_eq!(
            verify_www(&served, &[rrsig], &[key.dnskey()]),
            Err(BogusKind::BadSignature {
                rrset: "www.example.test. CAA".into()
            })
        );
    }

    #[test]
    fn a_signature_made_for_another_zone_type_or_name_is_not_for_this_rrset() {
        let key = TestKey::zone_signing(&zone());
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        let rrsig = key.sign(&records, NOW - 3600, NOW + 3600);
        assert!(covers(&rrsig, &zone(), &www(), RecordType::CAA));
        assert!(!covers(
            &rrsig,
            &Name::from_ascii("test.").unwrap(),
            &www(),
            RecordType::CAA
        ));
        assert!(!covers(&rrsig, &zone(), &www(), RecordType::TXT));
        assert!(!covers(&rrsig, &zone(), &zone(), RecordType::CAA));
    }

    #[test]
    fn in_force_wraps_around_as_serial_numbers_do() {
        let key = TestKey::zone_signing(&zone());
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        let across = key.sign(&records, u32::MAX - 100, 100);
        assert_eq!(in_force(&across, 5), InForce::Yes);
        assert_eq!(in_force(&across, 200), InForce::Expired(100));
    }

    #[test]
    fn rfc_4034_6_3_an_rrset_served_with_other_ttls_or_duplicates_verifies_as_signed() {
        let key = TestKey::zone_signing(&zone());
        let signed = caa_rrset(&www(), &["digicert.com", "letsencrypt.org"]);
        let rrsig = key.sign(&signed, NOW - 3600, NOW + 3600);
        // A TTL lower on the record that sorts last, and a record twice.
        let mut served = signed.clone();
        served[1].ttl = 100;
        served.push(served[0].clone());
        assert_eq!(verify_www(&served, &[rrsig], &[key.dnskey()]), Ok(3));
    }

    #[test]
    fn rfc_4034_6_2_a_dname_target_is_signed_in_lowercase() {
        let key = TestKey::zone_signing(&zone());
        let owner = Name::from_ascii("old.example.test.").unwrap();
        let dname = |target: &str| {
            let mut wire = Vec::new();
            for label in target.split('.').filter(|label| !label.is_empty()) {
                wire.push(u8::try_from(label.len()).unwrap());
                wire.extend(label.as_bytes());
            }
            wire.push(0);
            let data = RData::Unknown {
                code: RecordType::DNAME,
                rdata: NULL::with(wire),
            };
            vec![Record::from_rdata(owner.clone(), 300, data)]
        };
        let rrsig = key.sign(&dname("new.example.net."), NOW - 3600, NOW + 3600);
        let served = dname("New.Example.NET.");
        let verified = verify_rrset(
            &zone(),
            &owner,
            RecordType::DNAME,
            &served,
            &[rrsig],
            &[key.dnskey()],
            NOW,
        );
        assert_eq!(verified, Ok(3));
    }

    #[test]
    fn rfc_6840_5_2_a_key_of_an_algorithm_not_implemented_made_no_signature_to_check() {
        use hickory_resolver::proto::dnssec::rdata::sig::SigInput;
        use hickory_resolver::proto::dnssec::{Algorithm, PublicKeyBuf};
        use hickory_resolver::proto::rr::SerialNumber;
        let ed448 = Algorithm::from_u8(16);
        let key = DNSKEY::with_flags(256, PublicKeyBuf::new(vec![7; 57], ed448));
        let records = caa_rrset(&www(), &["letsencrypt.org"]);
        let input = SigInput {
            type_covered: RecordType::CAA,
            algorithm: ed448,
            num_labels: 3,
            original_ttl: 300,
            sig_expiration: SerialNumber::new(NOW + 3600),
            sig_inception: SerialNumber::new(NOW - 3600),
            key_tag: key.calculate_key_tag().unwrap(),
            signer_name: zone(),
        };
        let rrsig = RRSIG::from_sig(input, vec![1; 114]);
        let found = verify_www(&records, &[rrsig], &[key]);
        assert!(
            matches!(found, Err(BogusKind::NoMatchingKey { .. })),
            "{found:?}"
        );
    }

    #[test]
    fn an_empty_dname_is_no_panic() {
        let key = TestKey::zone_signing(&zone());
        let empty = RData::Unknown {
            code: RecordType::DNAME,
            rdata: NULL::new(),
        };
        let records = vec![Record::from_rdata(www(), 300, empty)];
        let verified = verify_rrset(
            &zone(),
            &www(),
            RecordType::DNAME,
            &records,
            &[],
            &[key.dnskey()],
            NOW,
        );
        assert!(verified.is_err());
    }
}
