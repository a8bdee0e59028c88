//! Denial of existence: whether the NSEC or NSEC3 records of a negative answer (already
//! validated) prove that a name does not exist (NXDOMAIN) or holds no record of a type
//! (NODATA). RFC 4035 §3.1.3 and §5.4 for NSEC, RFC 5155 §8 for NSEC3, RFC 6840 §4 for the
//! traps (a parent's delegation NSEC proves nothing below the cut). Names compare in the
//! canonical order of RFC 4034 §6.1 (hickory's `Name` order); hashes are hickory-proto's.

use data_encoding::BASE32HEX_NOPAD;
use hickory_resolver::proto::dnssec::rdata::{NSEC, NSEC3};
use hickory_resolver::proto::rr::{Name, RecordType};

/// RFC 4034 §4.1: an NSEC owned by `owner` with next name `next` covers `name` when `name`
/// lies strictly between them; the zone's last NSEC wraps around to its apex.
pub fn nsec_covers(owner: &Name, next: &Name, name: &Name) -> bool {
    if owner < next {
        owner < name && name < next
    } else {
        owner < name || name < next
    }
}

/// The longest name both are at or below.
fn common_ancestor(a: &Name, b: &Name) -> Name {
    let most = a.num_labels().min(b.num_labels());
    (0..=most)
        .rev()
        .map(|labels| a.trim_to(usize::from(labels)))
        .find(|ancestor| ancestor.zone_of(b))
        .unwrap_or_else(Name::root)
}

/// `*.` below `name`.
fn wildcard_at(name: &Name) -> Option<Name> {
    name.prepend_label("*").ok()
}

/// RFC 4035 §3.1.3.1 (and §3.1.3.4 for a wildcard), RFC 6840 §4.3: `qname` holds no `qtype`:
/// an NSEC at `qname` lists neither `qtype` nor CNAME; or `qname` does not exist and the
/// wildcard at its closest encloser lists neither. A parent's delegation NSEC speaks only of
/// DS (RFC 6840 §4.1); a DNAME at `qname` redirects only the names below it (RFC 6672 §2.3),
/// so its NSEC still speaks of `qname`'s own types.
pub fn nsec_proves_nodata(nsecs: &[(Name, NSEC)], qname: &Name, qtype: RecordType) -> bool {
    let lacks = |nsec: &NSEC| {
        let types: Vec<RecordType> = nsec.type_bit_maps().collect();
        !types.contains(&qtype) && !types.contains(&RecordType::CNAME)
    };
    let at_qname = nsecs.iter().any(|(owner, nsec)| {
        owner == qname
            && lacks(nsec)
            && (qtype == RecordType::DS || !is_delegation(nsec.type_bit_maps()))
    });
    // RFC 7129 §3.2: an empty non-terminal has no NSEC of its own; the NSEC that covers it,
    // its next name below it, shows it exists and holds no record at all.
    let empty_non_terminal = nsecs.iter().any(|(owner, nsec)| {
        let next = nsec.next_domain_name();
        nsec_covers(owner, next, qname) && qname.zone_of(next) && next != qname
    });
    let at_wildcard = nsec_closest_encloser(nsecs, qname)
        .and_then(|encloser| wildcard_at(&encloser))
        .is_some_and(|wildcard| {
            nsecs
                .iter()
                .any(|(owner, nsec)| *owner == wildcard && lacks(nsec))
        });
    at_qname || empty_non_terminal || at_wildcard
}

/// RFC 6840 §4.1: a parent's NSEC or NSEC3 at a zone cut: NS listed, SOA not.
pub fn is_delegation(types: impl Iterator<Item = RecordType>) -> bool {
    let types: Vec<RecordType> = types.collect();
    types.contains(&RecordType::NS) && !types.contains(&RecordType::SOA)
}

/// RFC 4035 §3.1.3.2: `qname` does not exist: an NSEC covers it, and one covers the wildcard
/// at its closest encloser (so no wildcard could have answered).
pub fn nsec_proves_nxdomain(nsecs: &[(Name, NSEC)], qname: &Name) -> bool {
    let Some(encloser) = nsec_closest_encloser(nsecs, qname) else {
        return false;
    };
    let Some(wildcard) = wildcard_at(&encloser) else {
        return false;
    };
    wildcard == *qname || nsec_covering(nsecs, &wildcard).is_some()
}

/// RFC 4035 §5.3.4: an answer expanded from the wildcard at the `labels` rightmost labels of
/// `qname` stands only if no closer name exists: an NSEC covers `qname`, or an NSEC3 covers
/// the next closer name (RFC 5155 §8.8).
pub fn proves_no_closer_match(
    nsecs: &[(Name, NSEC)],
    nsec3s: &[Nsec3],
    qname: &Name,
    labels: u8,
) -> bool {
    // The NSEC must show the wildcard's owner to be the closest encloser: a covering NSEC
    // whose closest encloser lies deeper would let the wildcard's signature stand at a name
    // below one that exists.
    let source = qname.trim_to(usize::from(labels));
    let next_closer = qname.trim_to(usize::from(labels) + 1);
    nsec_closest_encloser(nsecs, qname).is_some_and(|encloser| encloser == source)
        || nsec3s.iter().any(|record| record.covers(&next_closer))
}

/// The NSEC that covers `name`, if one does (not a parent's delegation NSEC above it).
fn nsec_covering<'a>(nsecs: &'a [(Name, NSEC)], name: &Name) -> Option<&'a (Name, NSEC)> {
    nsecs.iter().find(|(owner, nsec)| {
        nsec_covers(owner, nsec.next_domain_name(), name)
            && !(nsec.is_ancestor_delegation() && owner.zone_of(name))
    })
}

/// The closest encloser of a `qname` an NSEC covers: the longest of the names both its owner
/// and its next name share with `qname` (RFC 4035 §5.4).
fn nsec_closest_encloser(nsecs: &[(Name, NSEC)], qname: &Name) -> Option<Name> {
    let (owner, nsec) = nsec_covering(nsecs, qname)?;
    let by_owner = common_ancestor(qname, owner);
    let by_next = common_ancestor(qname, nsec.next_domain_name());
    Some(if by_owner.num_labels() >= by_next.num_labels() {
        by_owner
    } else {
        by_next
    })
}

/// An NSEC3 record with the hash its owner name stands for (RFC 5155 §3: the owner's first
/// label is the hash in base32hex).
#[derive(Clone, Debug)]
pub struct Nsec3 {
    pub owner_hash: Vec<u8>,
    pub nsec3: NSEC3,
}

impl Nsec3 {
    /// The NSEC3 at `owner`, or none when its first label is no base32hex hash.
    pub fn new(owner: &Name, nsec3: NSEC3) -> Option<Nsec3> {
        let label = owner.iter().next()?.to_ascii_uppercase();
        let owner_hash = BASE32HEX_NOPAD.decode(&label).ok()?;
        Some(Nsec3 { owner_hash, nsec3 })
    }

    /// RFC 5155 §5: `name` hashed with this record's algorithm, salt and iterations.
    fn hash(&self, name: &Name) -> Option<Vec<u8>> {
        let digest = self
            .nsec3
            .hash_algorithm()
            .hash(self.nsec3.salt(), name, self.nsec3.iterations())
            .ok()?;
        Some(digest.as_ref().to_vec())
    }

    /// RFC 5155 §8.3: the record is `name`'s.
    pub fn matches(&self, name: &Name) -> bool {
        self.hash(name).as_ref() == Some(&self.owner_hash)
    }

    /// RFC 5155 §8.3: `name`'s hash lies strictly between the owner's and the next one (the
    /// last record of the chain wrapping around).
    fn covers(&self, name: &Name) -> bool {
        let Some(hash) = self.hash(name) else {
            return false;
        };
        let (owner, next) = (
            &self.owner_hash,
            &self.nsec3.next_hashed_owner_name().to_vec(),
        );
        if owner < next {
            *owner < hash && hash < *next
        } else {
            *owner < hash || hash < *next
        }
    }

    fn lacks(&self, qtype: RecordType) -> bool {
        let types: Vec<RecordType> = self.nsec3.type_bit_maps().collect();
        !types.contains(&qtype) && !types.contains(&RecordType::CNAME)
    }
}

/// RFC 5155 §8.3: the closest encloser proof for `qname` in `zone`: the longest ancestor of
/// `qname` an NSEC3 matches (not a parent's delegation), and an NSEC3 covering the next closer
/// name below it. Gives the closest encloser, and whether the covering record opts out.
fn closest_encloser(nsec3s: &[Nsec3], zone: &Name, qname: &Name) -> Option<(Name, bool)> {
    let from = zone.num_labels();
    (from..qname.num_labels()).rev().find_map(|labels| {
        let encloser = qname.trim_to(usize::from(labels));
        let matched = nsec3s
            .iter()
            .any(|record| record.matches(&encloser) && !record.nsec3.is_ancestor_delegation());
        if !matched {
            return None;
        }
        let next_closer = qname.trim_to(usize::from(labels) + 1);
        let covering = nsec3s.iter().find(|record| record.covers(&next_closer))?;
        Some((encloser, covering.nsec3.opt_out()))
    })
}

/// RFC 5155 §6 and §8.6: an opt-out NSEC3 covers the next closer name of `name`'s closest
/// encloser: an unsigned delegation may lie there.
pub fn nsec3_opt_out_covers(nsec3s: &[Nsec3], zone: &Name, name: &Name) -> bool {
    closest_encloser(nsec3s, zone, name).is_some_and(|(_, opt_out)| opt_out)
}

/// RFC 5155 §8.4: `qname` does not exist: a closest encloser proof, and an NSEC3 covering the
/// wildcard at the closest encloser.
pub fn nsec3_proves_nxdomain(nsec3s: &[Nsec3], zone: &Name, qname: &Name) -> bool {
    closest_encloser(nsec3s, zone, qname)
        .and_then(|(encloser, _)| wildcard_at(&encloser))
        .is_some_and(|wildcard| nsec3s.iter().any(|record| record.covers(&wildcard)))
}

/// RFC 5155 §8.5 to §8.7: `qname` holds no `qtype`: an NSEC3 matching `qname` lists neither
/// `qtype` nor CNAME; or, for DS, the next closer name is covered by an opt-out record (an
/// unsigned delegation); or the wildcard at the closest encloser lists neither.
pub fn nsec3_proves_nodata(nsec3s: &[Nsec3], zone: &Name, qname: &Name, qtype: RecordType) -> bool {
    let at_qname = nsec3s.iter().any(|record| {
        record.matches(qname)
            && record.lacks(qtype)
            && (qtype == RecordType::DS || !is_delegation(record.nsec3.type_bit_maps()))
    });
    if at_qname {
        return true;
    }
    let Some((encloser, opt_out)) = closest_encloser(nsec3s, zone, qname) else {
        return false;
    };
    let opted_out_ds = qtype == RecordType::DS && opt_out;
    let at_wildcard = wildcard_at(&encloser).is_some_and(|wildcard| {
        nsec3s
            .iter()
            .any(|record| record.matches(&wildcard) && record.lacks(qtype))
    });
    opted_out_ds || at_wildcard
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::test_keys;
    use hickory_resolver::proto::dnssec::rdata::DNSSECRData;
    use hickory_resolver::proto::rr::RData;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn nsec(owner: &str, next: &str, types: &[RecordType]) -> (Name, NSEC) {
        (
            name(owner),
            NSEC::new(name(next), types.iter().copied().chain([RecordType::NSEC])),
        )
    }

    /// example.test. has an apex (SOA, NS), `a` and `www` with CAA.
    fn nsec_chain() -> Vec<(Name, NSEC)> {
        vec![
            nsec(
                "example.test.",
                "a.example.test.",
                &[RecordType::SOA, RecordType::NS],
            ),
            nsec("a.example.test.", "www.example.test.", &[RecordType::A]),
            nsec("www.example.test.", "example.test.", &[RecordType::CAA]),
        ]
    }

    #[test]
    fn rfc_4034_4_1_an_nsec_covers_the_names_between_its_owner_and_next_wrapping_at_the_end() {
        let (apex, a, www) = (
            name("example.test."),
            name("a.example.test."),
            name("www.example.test."),
        );
        assert!(nsec_covers(&a, &www, &name("b.example.test.")));
        assert!(!nsec_covers(&a, &www, &a));
        assert!(nsec_covers(&www, &apex, &name("zzz.example.test.")));
        assert!(!nsec_covers(&www, &apex, &name("b.example.test.")));
    }

    #[test]
    fn rfc_4035_3_1_3_nsec_nodata_and_nxdomain() {
        let chain = nsec_chain();
        assert!(nsec_proves_nodata(
            &chain,
            &name("a.example.test."),
            RecordType::CAA
        ));
        assert!(!nsec_proves_nodata(
            &chain,
            &name("www.example.test."),
            RecordType::CAA
        ));
        assert!(nsec_proves_nxdomain(&chain, &name("b.example.test.")));
        assert!(!nsec_proves_nxdomain(&chain, &name("www.example.test.")));
        // Without the NSEC covering *.example.test., a wildcard could have answered.
        let partial: Vec<_> = chain.into_iter().skip(1).collect();
        assert!(!nsec_proves_nxdomain(&partial, &name("b.example.test.")));
    }

    #[test]
    fn rfc_6840_4_1_a_parent_s_delegation_nsec_proves_nothing_below_the_cut() {
        let delegation = vec![nsec(
            "sub.example.test.",
            "www.example.test.",
            &[RecordType::NS],
        )];
        assert!(!nsec_proves_nodata(
            &delegation,
            &name("sub.example.test."),
            RecordType::CAA
        ));
        assert!(nsec_proves_nodata(
            &delegation,
            &name("sub.example.test."),
            RecordType::DS
        ));
        assert!(nsec_covering(&delegation, &name("x.sub.example.test.")).is_none());
    }

    /// The NSEC3 chain of example.test. with the apex, `a` and `www`.
    fn nsec3_chain(opt_out: bool) -> Vec<Nsec3> {
        let names: [(&str, &[RecordType]); 3] = [
            ("example.test.", &[RecordType::SOA, RecordType::NS]),
            ("a.example.test.", &[RecordType::A]),
            ("www.example.test.", &[RecordType::CAA]),
        ];
        test_keys::nsec3_chain(&name("example.test."), &names, opt_out)
            .into_iter()
            .filter_map(|record| match record.data {
                RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) => Nsec3::new(&record.name, nsec3),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn rfc_5155_8_nsec3_nodata_and_nxdomain() {
        let chain = nsec3_chain(false);
        let zone = name("example.test.");
        assert!(nsec3_proves_nodata(
            &chain,
            &zone,
            &name("a.example.test."),
            RecordType::CAA
        ));
        assert!(!nsec3_proves_nodata(
            &chain,
            &zone,
            &name("www.example.test."),
            RecordType::CAA
        ));
        assert!(nsec3_proves_nxdomain(
            &chain,
            &zone,
            &name("b.example.test.")
        ));
        assert!(!nsec3_proves_nxdomain(
            &chain,
            &zone,
            &name("a.example.test.")
        ));
        // A record set missing the apex's NSEC3 proves no closest encloser.
        let apex_hash = test_keys::nsec3_hash(&zone);
        let partial: Vec<Nsec3> = chain
            .into_iter()
            .filter(|record| record.owner_hash != apex_hash)
            .collect();
        assert!(!nsec3_proves_nxdomain(
            &partial,
            &zone,
            &name("b.example.test.")
        ));
    }

    #[test]
    fn rfc_5155_8_6_an_opt_out_span_proves_no_ds_for_an_unsigned_delegation() {
        let zone = name("example.test.");
        let unsigned = name("b.example.test.");
        assert!(nsec3_proves_nodata(
            &nsec3_chain(true),
            &zone,
            &unsigned,
            RecordType::DS
        ));
        assert!(!nsec3_proves_nodata(
            &nsec3_chain(false),
            &zone,
            &unsigned,
            RecordType::DS
        ));
    }

    #[test]
    fn rfc_6672_2_3_a_dname_redirects_only_below_its_owner_so_its_nsec_proves_nodata_at_it() {
        let at_dname = vec![nsec(
            "old.example.test.",
            "www.example.test.",
            &[RecordType::DNAME],
        )];
        let old = name("old.example.test.");
        assert!(nsec_proves_nodata(&at_dname, &old, RecordType::CAA));
        // Below it, the DNAME answers: its NSEC proves nothing there.
        assert!(nsec_covering(&at_dname, &name("www.old.example.test.")).is_none());
    }

    #[test]
    fn rfc_7129_an_empty_non_terminal_is_nodata_by_the_nsec_that_covers_it() {
        // dept.example.test. holds nothing; host.dept.example.test. does.
        let chain = vec![
            nsec(
                "example.test.",
                "host.dept.example.test.",
                &[RecordType::SOA, RecordType::NS],
            ),
            nsec("host.dept.example.test.", "example.test.", &[RecordType::A]),
        ];
        assert!(nsec_proves_nodata(
            &chain,
            &name("dept.example.test."),
            RecordType::CAA
        ));
        assert!(!nsec_proves_nodata(
            &chain,
            &name("other.example.test."),
            RecordType::CAA
        ));
    }

    #[test]
    fn rfc_4035_5_3_4_a_wildcard_stands_only_below_its_own_closest_encloser() {
        // *.example.test. and b.example.test. exist; a.b.example.test. does not.
        let chain = vec![
            nsec(
                "example.test.",
                "*.example.test.",
                &[RecordType::SOA, RecordType::NS],
            ),
            nsec("*.example.test.", "b.example.test.", &[RecordType::CAA]),
            nsec("b.example.test.", "example.test.", &[RecordType::CAA]),
        ];
        // x.example.test. expanded from the wildcard at 2 labels: its closest encloser is
        // example.test., the wildcard's owner's parent.
        assert!(proves_no_closer_match(
            &chain,
            &[],
            &name("x.example.test."),
            2
        ));
        // a.b.example.test. is covered too, but its closest encloser is b.example.test.: the
        // wildcard's signature replayed there does not stand.
        assert!(!proves_no_closer_match(
            &chain,
            &[],
            &name("a.b.example.test."),
            2
        ));
    }
}
