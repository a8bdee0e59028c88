//! The chain of trust (RFC 4035 §5): from a trust anchor down each zone cut to the zone that
//! answers, each DS RRset validated with its parent's keys and each zone's keys trusted through
//! it; a DS proven absent makes everything below insecure (§5.2). Then the answer itself:
//! records under the zone's keys, or a negative answer's NSEC/NSEC3 proof (§5.4).

use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, NSEC, RRSIG};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::caa::answers::MOST_ALIASES;

use super::denial::{
    Nsec3, is_delegation, nsec_proves_nodata, nsec_proves_nxdomain, nsec3_opt_out_covers,
    nsec3_proves_nodata, nsec3_proves_nxdomain, proves_no_closer_match,
};
use super::keys::{Vouchers, any_usable, trusted_keys};
use super::security::{Bogus, BogusKind, Security};
use super::signatures::verify_rrset;

/// An RRset as served, with the signatures served beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub owner: Name,
    pub rtype: RecordType,
    pub records: Vec<Record>,
    pub rrsigs: Vec<RRSIG>,
}

impl Signed {
    /// RFC 4035 §5.3: the RRset verifies under `zone`'s `keys`; the verified signature's label
    /// count comes back.
    fn verify(&self, zone: &Name, keys: &[DNSKEY], now: u32) -> Result<u8, BogusKind> {
        verify_rrset(
            zone,
            &self.owner,
            self.rtype,
            &self.records,
            &self.rrsigs,
            keys,
            now,
        )
    }
}

/// The RRset of `owner` and `rtype` in a section, with the RRSIGs over it; none when the
/// section holds none.
pub fn rrset_of(records: &[Record], owner: &Name, rtype: RecordType) -> Option<Signed> {
    rrsets(records)
        .into_iter()
        .find(|rrset| rrset.owner == *owner && rrset.rtype == rtype)
}

/// The RRsets of a section, each with the RRSIGs over it (RFC 4034 §3: an RRSIG covers the
/// RRset of its owner and its type covered), in the order first met.
pub fn rrsets(records: &[Record]) -> Vec<Signed> {
    let mut found: Vec<Signed> = Vec::new();
    for record in records {
        if let RData::DNSSEC(DNSSECRData::RRSIG(_)) = record.data {
            continue;
        }
        let rtype = record.record_type();
        match found
            .iter_mut()
            .find(|rrset| rrset.owner == record.name && rrset.rtype == rtype)
        {
            Some(rrset) => rrset.records.push(record.clone()),
            None => found.push(Signed {
                owner: record.name.clone(),
                rtype,
                records: vec![record.clone()],
                rrsigs: Vec::new(),
            }),
        }
    }
    for record in records {
        if let RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) = &record.data
            && let Some(rrset) = found.iter_mut().find(|rrset| {
                rrset.owner == record.name && rrset.rtype == rrsig.input().type_covered
            })
        {
            rrset.rrsigs.push(rrsig.clone());
        }
    }
    found
}

/// The NSEC or NSEC3 RRsets of a negative answer, each with its signatures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DenialProof {
    pub rrsets: Vec<Signed>,
}

/// What a checked denial proof comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Denied {
    Proven,
    /// NSEC3 hashed too often to be worth checking: insecure (RFC 9276 §3.2).
    TooCostly,
    /// A name proven absent (or without the type) only by an opt-out NSEC3 span: an unsigned
    /// delegation may lie there, so the denial is insecure (RFC 5155 §9.2, as Unbound rates
    /// it).
    OptedOut,
}

/// NSEC3 iterations beyond which a proof is treated as insecure (RFC 9276 §3.2; Unbound's
/// default).
const MOST_NSEC3_ITERATIONS: u16 = 150;
/// NSEC3 records of one reply considered at most.
const MOST_NSEC3_RECORDS: usize = 16;

impl DenialProof {
    /// The NSEC and NSEC3 RRsets of a negative answer's authority section.
    pub fn from_authority(records: &[Record]) -> DenialProof {
        DenialProof {
            rrsets: rrsets(records)
                .into_iter()
                .filter(|rrset| matches!(rrset.rtype, RecordType::NSEC | RecordType::NSEC3))
                .collect(),
        }
    }

    fn nsecs(&self) -> Vec<(Name, NSEC)> {
        self.records()
            .filter_map(|record| match &record.data {
                RData::DNSSEC(DNSSECRData::NSEC(nsec)) => Some((record.name.clone(), nsec.clone())),
                _ => None,
            })
            .collect()
    }

    /// The NSEC3 records, at most `MOST_NSEC3_RECORDS` of them (a proof needs three at most:
    /// more only cost hashing).
    fn nsec3s(&self) -> Vec<Nsec3> {
        self.records()
            .filter_map(|record| match &record.data {
                RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) => Nsec3::new(&record.name, nsec3.clone()),
                _ => None,
            })
            .take(MOST_NSEC3_RECORDS)
            .collect()
    }

    /// RFC 9276 §3.2: NSEC3 records hashed more than `MOST_NSEC3_ITERATIONS` times are not
    /// worth a validator's work: the answer is treated as insecure, as Unbound does.
    fn too_costly(&self) -> bool {
        self.records().any(|record| {
            matches!(&record.data, RData::DNSSEC(DNSSECRData::NSEC3(nsec3))
                if nsec3.iterations() > MOST_NSEC3_ITERATIONS)
        })
    }

    /// The RRsets the zone signed (or left unsigned): a reply that crossed zones (an alias
    /// into another signed zone) carries each zone's proof, each judged under its own keys.
    fn of_zone(&self, zone: &Name) -> DenialProof {
        DenialProof {
            rrsets: self
                .rrsets
                .iter()
                .filter(|rrset| {
                    rrset.rrsigs.is_empty()
                        || rrset
                            .rrsigs
                            .iter()
                            .any(|rrsig| rrsig.input().signer_name == *zone)
                })
                .cloned()
                .collect(),
        }
    }

    /// RFC 4035 §5.3.4: an RRset whose verified signature counts fewer labels (`labels`) than
    /// its owner was expanded from a wildcard, and stands only if the proof (verified) shows
    /// that no closer name exists.
    fn proves_expansion(
        &self,
        zone: &Name,
        keys: &[DNSKEY],
        rrset: &Signed,
        labels: u8,
        now: u32,
    ) -> Result<Denied, BogusKind> {
        if labels >= rrset.owner.num_labels() {
            return Ok(Denied::Proven);
        }
        let own = self.of_zone(zone);
        if own.too_costly() {
            return Ok(Denied::TooCostly);
        }
        for proof in &own.rrsets {
            proof.verify(zone, keys, now)?;
        }
        if proves_no_closer_match(&own.nsecs(), &own.nsec3s(), &rrset.owner, labels) {
            Ok(Denied::Proven)
        } else {
            Err(BogusKind::BrokenDenial {
                rrset: format!("{} {}", rrset.owner.to_ascii(), rrset.rtype),
            })
        }
    }

    /// Whether the proof shows `name` to be a delegation: its NSEC or NSEC3 lists NS (and not
    /// SOA), or an opt-out NSEC3 span covers it (RFC 5155 §6: an unsigned delegation may lie
    /// there).
    fn shows_delegation(&self, zone: &Name, name: &Name) -> bool {
        let by_nsec = self
            .nsecs()
            .iter()
            .any(|(owner, nsec)| owner == name && is_delegation(nsec.type_bit_maps()));
        let nsec3s = self.nsec3s();
        let by_nsec3 = nsec3s
            .iter()
            .any(|record| record.matches(name) && is_delegation(record.nsec3.type_bit_maps()))
            || nsec3_opt_out_covers(&nsec3s, zone, name);
        by_nsec || by_nsec3
    }

    fn records(&self) -> impl Iterator<Item = &Record> {
        self.rrsets.iter().flat_map(|rrset| &rrset.records)
    }

    /// RFC 4035 §5.4: every NSEC/NSEC3 RRset verifies under the zone's keys, and they prove
    /// `qname` absent (`nxdomain`) or without `qtype`.
    fn proves(
        &self,
        zone: &Name,
        keys: &[DNSKEY],
        qname: &Name,
        qtype: RecordType,
        nxdomain: bool,
        now: u32,
    ) -> Result<Denied, BogusKind> {
        let own = self.of_zone(zone);
        if own.too_costly() {
            return Ok(Denied::TooCostly);
        }
        for rrset in &own.rrsets {
            rrset.verify(zone, keys, now)?;
        }
        let (nsecs, nsec3s) = (own.nsecs(), own.nsec3s());
        let proven = if nxdomain {
            if nsec_proves_nxdomain(&nsecs, qname) {
                return Ok(Denied::Proven);
            }
            if nsec3_proves_nxdomain(&nsec3s, zone, qname) {
                return Ok(if nsec3_opt_out_covers(&nsec3s, zone, qname) {
                    Denied::OptedOut
                } else {
                    Denied::Proven
                });
            }
            false
        } else {
            if nsec_proves_nodata(&nsecs, qname, qtype)
                || nsec3_proves_nodata(&nsec3s, zone, qname, qtype)
            {
                return Ok(Denied::Proven);
            }
            // RFC 5155 §7.1: an empty non-terminal with only unsigned delegations below it
            // may have no NSEC3 of its own; what covers it opts out, so the NODATA is
            // insecure (§9.2), as Unbound rates it.
            if nsec3_opt_out_covers(&nsec3s, zone, qname) {
                return Ok(Denied::OptedOut);
            }
            false
        };
        if proven {
            Ok(Denied::Proven)
        } else {
            Err(BogusKind::BrokenDenial {
                rrset: format!("{} {qtype}", qname.to_ascii()),
            })
        }
    }
}

/// What a parent served about a zone's DS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DsAnswer {
    Present(Signed),
    /// NODATA, with the proof.
    Absent(DenialProof),
    /// NXDOMAIN, with the proof: no such name, so no cut.
    Nonexistent(DenialProof),
    /// Nothing usable came back.
    Unanswered,
}

/// One zone cut below the trust anchor's zone: what its parent said of its DS, and its own
/// DNSKEY RRset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    pub zone: Name,
    pub ds: DsAnswer,
    pub dnskey: Option<Signed>,
}

/// Where the walk down stands: the deepest zone's trusted keys, or why there are none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    Keys { zone: Name, keys: Vec<DNSKEY> },
    Insecure,
    Bogus(Bogus),
    Indeterminate,
}

/// RFC 4035 §5.1: the anchor's zone trusted: its DNSKEY RRset (served with its signatures)
/// signed by a key the anchor vouches for.
pub fn anchored(anchor_zone: &Name, anchor: Vouchers, dnskey: Option<&Signed>, now: u32) -> Trust {
    let Some(dnskey) = dnskey else {
        return Trust::Indeterminate;
    };
    match trusted_keys(anchor_zone, &dnskey.records, &dnskey.rrsigs, anchor, now) {
        Ok(keys) => Trust::Keys {
            zone: anchor_zone.clone(),
            keys,
        },
        Err(kind) => bogus(anchor_zone, kind),
    }
}

/// RFC 4035 §5.2: one step down, from the keys of a zone to a name below it that may be a zone
/// cut. A DS RRset the zone signed makes the name a secure zone whose DNSKEY RRset it vouches
/// for; a proven absent DS at a delegation makes everything below insecure; a proven absent DS
/// at a name that is no delegation (or does not exist) leaves the walk where it was.
pub fn descend(trust: Trust, cut: &Cut, now: u32) -> Trust {
    let Trust::Keys { zone, keys } = &trust else {
        return trust;
    };
    let ds = match &cut.ds {
        DsAnswer::Present(ds) => ds,
        DsAnswer::Absent(proof) => {
            return match proof.proves(zone, keys, &cut.zone, RecordType::DS, false, now) {
                Err(kind) => bogus(zone, kind),
                Ok(Denied::TooCostly | Denied::OptedOut) => Trust::Insecure,
                Ok(Denied::Proven) if proof.shows_delegation(zone, &cut.zone) => Trust::Insecure,
                Ok(Denied::Proven) => trust,
            };
        }
        DsAnswer::Nonexistent(proof) => {
            return match proof.proves(zone, keys, &cut.zone, RecordType::DS, true, now) {
                Err(kind) => bogus(zone, kind),
                Ok(Denied::TooCostly | Denied::OptedOut) => Trust::Insecure,
                Ok(Denied::Proven) => trust,
            };
        }
        DsAnswer::Unanswered => return Trust::Indeterminate,
    };
    if let Err(kind) = verify_rrset(
        zone,
        &cut.zone,
        RecordType::DS,
        &ds.records,
        &ds.rrsigs,
        keys,
        now,
    ) {
        return bogus(zone, kind);
    }
    let Some(dnskey) = &cut.dnskey else {
        return Trust::Indeterminate;
    };
    let ds_records = ds_of(&ds.records);
    if !any_usable(&ds_records) {
        return Trust::Insecure;
    }
    let vouchers = Vouchers {
        ds: &ds_records,
        keys: &[],
    };
    match trusted_keys(&cut.zone, &dnskey.records, &dnskey.rrsigs, vouchers, now) {
        Ok(keys) => Trust::Keys {
            zone: cut.zone.clone(),
            keys,
        },
        Err(kind) => bogus(&cut.zone, kind),
    }
}

/// From the anchor's zone down `cuts`, in order.
pub fn walk_down(
    anchor_zone: &Name,
    anchor: Vouchers,
    anchor_dnskey: Option<&Signed>,
    cuts: &[Cut],
    now: u32,
) -> Trust {
    cuts.iter().fold(
        anchored(anchor_zone, anchor, anchor_dnskey, now),
        |trust, cut| descend(trust, cut, now),
    )
}

/// The zone and keys of a walk that reached them; else the security everything below has.
fn keys_of(trust: &Trust) -> Result<(&Name, &[DNSKEY]), Security> {
    match trust {
        Trust::Keys { zone, keys } => Ok((zone, keys)),
        Trust::Insecure => Err(Security::Insecure),
        Trust::Bogus(bogus) => Err(Security::Bogus(bogus.clone())),
        Trust::Indeterminate => Err(Security::Indeterminate),
    }
}

fn bogus(zone: &Name, kind: BogusKind) -> Trust {
    Trust::Bogus(Bogus {
        zone: zone.to_ascii(),
        kind,
    })
}

fn ds_of(records: &[Record]) -> Vec<DS> {
    records
        .iter()
        .filter_map(|record| match &record.data {
            RData::DNSSEC(DNSSECRData::DS(ds)) => Some(ds.clone()),
            _ => None,
        })
        .collect()
}

/// What the zone answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// An RRset, with the NSEC/NSEC3 records of the reply (the proof an answer expanded from a
    /// wildcard needs).
    Records(Signed, DenialProof),
    NoData(DenialProof),
    NxDomain(DenialProof),
}

/// An answer's alias chain from the name asked, as a resolver follows it (RFC 6672 §5.3.1: a
/// DNAME above the name first, the CNAME a resolver synthesises from it being unsigned; else a
/// CNAME at the name).
#[derive(Debug)]
pub struct Aliases<'a> {
    /// Each alias RRset followed, in order.
    pub links: Vec<&'a Signed>,
    /// Where the chain ends: the name asked when there is no alias.
    pub end: Name,
    /// The RRset of the type asked at the end, if the answer holds it.
    pub found: Option<&'a Signed>,
    /// The chain loops, or is longer than `MOST_ALIASES` steps: the lookup fails on it.
    pub broken: bool,
}

/// Follows the aliases of `answered` from `qname`, at most `MOST_ALIASES` steps.
pub fn follow_aliases<'a>(answered: &'a [Signed], qname: &Name, qtype: RecordType) -> Aliases<'a> {
    let mut links = Vec::new();
    let mut current = qname.clone();
    let mut visited = vec![current.clone()];
    loop {
        let dname = answered.iter().find(|rrset| {
            rrset.rtype == RecordType::DNAME
                && rrset.owner.zone_of(&current)
                && rrset.owner != current
        });
        let next = dname.or_else(|| {
            answered
                .iter()
                .find(|rrset| rrset.owner == current && rrset.rtype == RecordType::CNAME)
        });
        let Some(alias) = next else {
            break;
        };
        links.push(alias);
        let target = alias_target(alias, &current)
            .filter(|target| !visited.contains(target) && visited.len() <= MOST_ALIASES);
        let Some(target) = target else {
            return Aliases {
                links,
                end: current,
                found: None,
                broken: true,
            };
        };
        visited.push(target.clone());
        current = target;
    }
    let found = answered
        .iter()
        .find(|rrset| rrset.owner == current && rrset.rtype == qtype);
    Aliases {
        links,
        end: current,
        found,
        broken: false,
    }
}

/// Where an alias sends the lookup of `current`: a CNAME's target, or a DNAME's substitution.
fn alias_target(alias: &Signed, current: &Name) -> Option<Name> {
    alias.records.iter().find_map(|record| match &record.data {
        RData::CNAME(cname) => Some(cname.0.clone()),
        // hickory keeps a DNAME's data raw: its target, uncompressed (RFC 6672 §2.5).
        RData::Unknown { code, rdata } if *code == RecordType::DNAME => {
            let target = Name::read(&mut BinDecoder::new(&rdata.anything)).ok()?;
            let kept = usize::from(current.num_labels().checked_sub(alias.owner.num_labels())?);
            Name::from_labels(current.iter().take(kept))
                .ok()?
                .append_domain(&target)
                .ok()
        }
        _ => None,
    })
}

/// The key sets a resolver may hold for one zone, among the trusts found for it (the
/// resolver's, and each server's own DNSKEY RRset's): every distinct set that validates. A
/// resolver validates under the set it fetched from whichever server it asked, and asks
/// another server when a set does not validate (RFC 4035 §5); mid-rollover, a stale
/// secondary serves another set that may validate too.
pub fn key_sets_held<'a>(trusts: impl IntoIterator<Item = &'a Trust>) -> Vec<Trust> {
    let mut held: Vec<Trust> = Vec::new();
    for trust in trusts {
        let Trust::Keys { keys, .. } = trust else {
            continue;
        };
        let same_set = |other: &Trust| {
            matches!(other, Trust::Keys { keys: others, .. }
                if others.len() == keys.len() && keys.iter().all(|key| others.contains(key)))
        };
        if !held.iter().any(same_set) {
            held.push(trust.clone());
        }
    }
    held
}

/// One authoritative server's reply about `qname` and `qtype` (its answer and authority
/// sections, as served with DO set), and what it came to.
#[derive(Clone, Copy, Debug)]
pub struct ServerReply<'a> {
    pub qname: &'a Name,
    pub qtype: RecordType,
    pub outcome: Outcome,
    pub answers: &'a [Record],
    pub authority: &'a [Record],
}

/// What an authoritative server's reply came to, for `reply_security`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// NOERROR: records, or NODATA.
    NoError,
    NxDomain,
    /// The alias chain goes on at a name this reply does not answer for (asked of its own
    /// servers): only the chain's links are this reply's to vouch for.
    Onward,
}

/// RFC 4035 §5.3 and §5.4 for one authoritative server's reply, under the keys of the zone
/// `trust` stands at: each alias RRset of the zone's the reply holds, then the end of its
/// chain when the zone answers for it: the RRset of `qtype`, or the denial. As secure as its
/// weakest part. Records owned outside the zone are no part of it (a resolver scrubs them);
/// an answer a zone below it signed or denied (a server of both zones may answer across the
/// cut) is indeterminate here: that zone's keys vouch for it.
pub fn reply_security(trust: &Trust, reply: &ServerReply, now: u32) -> Security {
    let ServerReply {
        qname,
        qtype,
        outcome,
        answers,
        authority,
    } = *reply;
    let zone = match keys_of(trust) {
        Ok((zone, _)) => zone,
        Err(security) => return security,
    };
    let in_zone = |records: &[Record]| -> Vec<Record> {
        records
            .iter()
            .filter(|record| zone.zone_of(&record.name))
            .cloned()
            .collect()
    };
    // RRsets a zone below this one signed (a signer at or above the owner): that zone's to
    // vouch for, not this one's; a server of both may answer across the cut.
    let signed_below = |rrset: &Signed| {
        !rrset.rrsigs.is_empty()
            && rrset.rrsigs.iter().all(|rrsig| {
                let signer = &rrsig.input().signer_name;
                signer != zone && zone.zone_of(signer) && signer.zone_of(&rrset.owner)
            })
    };
    let (below, answered): (Vec<Signed>, Vec<Signed>) = rrsets(&in_zone(answers))
        .into_iter()
        .partition(signed_below);
    // A denial spoken by a zone below (its SOA's owner, or its proof's signer).
    let denied_below = |name: &Name| {
        authority.iter().any(|record| {
            let speaker = match &record.data {
                RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => &rrsig.input().signer_name,
                RData::SOA(_) => &record.name,
                _ => return false,
            };
            speaker != zone && zone.zone_of(speaker) && speaker.zone_of(name)
        })
    };
    let proof = DenialProof::from_authority(&in_zone(authority));
    let aliases = follow_aliases(&answered, qname, qtype);
    let mut security = Security::Secure;
    for link in &aliases.links {
        let records = Answered::Records((*link).clone(), proof.clone());
        security = security.weakest(answer_security(
            trust,
            &link.owner,
            link.rtype,
            &records,
            now,
        ));
    }
    let end = match (aliases.found, outcome) {
        _ if aliases.broken => return security,
        (Some(rrset), _) => Answered::Records(rrset.clone(), proof),
        // The chain leaves the zone: the servers of the rest answer for it.
        (None, Outcome::Onward) => return security,
        (None, _) if !zone.zone_of(&aliases.end) => return security,
        // Another zone's answer, which this zone's keys cannot judge: not known here.
        (None, _)
            if below.iter().any(|rrset| rrset.owner == aliases.end)
                || denied_below(&aliases.end) =>
        {
            return security.weakest(Security::Indeterminate);
        }
        (None, Outcome::NoError) => Answered::NoData(proof),
        (None, Outcome::NxDomain) => Answered::NxDomain(proof),
    };
    security.weakest(answer_security(trust, &aliases.end, qtype, &end, now))
}

/// RFC 4035 §5.3 and §5.4: the security of an answer for `qname` and `qtype`, given where the
/// walk down to its zone stands.
pub fn answer_security(
    trust: &Trust,
    qname: &Name,
    qtype: RecordType,
    answer: &Answered,
    now: u32,
) -> Security {
    let (zone, keys) = match keys_of(trust) {
        Ok(keys) => keys,
        Err(security) => return security,
    };
    let checked = match answer {
        Answered::Records(rrset, proof) => rrset
            .verify(zone, keys, now)
            .and_then(|labels| proof.proves_expansion(zone, keys, rrset, labels, now)),
        Answered::NoData(proof) => proof.proves(zone, keys, qname, qtype, false, now),
        Answered::NxDomain(proof) => proof.proves(zone, keys, qname, qtype, true, now),
    };
    match checked {
        Ok(Denied::Proven) => Security::Secure,
        Ok(Denied::TooCostly | Denied::OptedOut) => Security::Insecure,
        Err(kind) => Security::Bogus(Bogus {
            zone: zone.to_ascii(),
            kind,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::test_keys::{TestKey, caa_rrset};
    use hickory_resolver::proto::dnssec::DigestType;

    const NOW: u32 = 1_800_000_000;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// A signed zone: a key signing key and a zone signing key.
    struct Zone {
        name: Name,
        ksk: TestKey,
        zsk: TestKey,
    }

    impl Zone {
        fn new(zone: &str) -> Zone {
            let name = name(zone);
            Zone {
                ksk: TestKey::key_signing(&name),
                zsk: TestKey::zone_signing(&name),
                name,
            }
        }

        fn dnskey(&self) -> Signed {
            let records: Vec<Record> = [&self.ksk, &self.zsk]
                .iter()
                .map(|key| {
                    Record::from_rdata(
                        self.name.clone(),
                        3600,
                        RData::DNSSEC(DNSSECRData::DNSKEY(key.dnskey())),
                    )
                })
                .collect();
            let rrsigs = vec![self.ksk.sign(&records, NOW - 3600, NOW + 3600)];
            Signed {
                owner: self.name.clone(),
                rtype: RecordType::DNSKEY,
                records,
                rrsigs,
            }
        }

        /// An RRset of this zone, signed by its zone signing key from `inception` to
        /// `expiration`.
        fn signed(&self, records: Vec<Record>, inception: u32, expiration: u32) -> Signed {
            let first = records.first().unwrap();
            Signed {
                owner: first.name.clone(),
                rtype: first.record_type(),
                rrsigs: vec![self.zsk.sign(&records, inception, expiration)],
                records,
            }
        }

        /// The DS its parent `parent` serves for it.
        fn ds_from(&self, parent: &Zone) -> DsAnswer {
            let key = self.ksk.dnskey();
            let ds = DS::new(
                key.calculate_key_tag().unwrap(),
                hickory_resolver::proto::dnssec::Verifier::algorithm(&key),
                DigestType::SHA256,
                key.to_digest(&self.name, DigestType::SHA256)
                    .unwrap()
                    .as_ref()
                    .to_vec(),
            );
            let record =
                Record::from_rdata(self.name.clone(), 3600, RData::DNSSEC(DNSSECRData::DS(ds)));
            DsAnswer::Present(parent.signed(vec![record], NOW - 3600, NOW + 3600))
        }

        fn cut_below(&self, parent: &Zone) -> Cut {
            Cut {
                zone: self.name.clone(),
                ds: self.ds_from(parent),
                dnskey: Some(self.dnskey()),
            }
        }
    }

    fn anchored(root: &Zone, cuts: &[Cut]) -> Trust {
        let anchor = [root.ksk.dnskey().public_key().clone()];
        let vouchers = Vouchers {
            ds: &[],
            keys: &anchor,
        };
        walk_down(&root.name, vouchers, Some(&root.dnskey()), cuts, NOW)
    }

    fn nsec_record(owner: &str, next: &str, types: &[RecordType]) -> Record {
        let types = types
            .iter()
            .copied()
            .chain([RecordType::NSEC, RecordType::RRSIG]);
        Record::from_rdata(
            name(owner),
            300,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(name(next), types))),
        )
    }

    /// A root (the anchor), `test.` and `example.test.`, each signed and delegated with a DS:
    /// example.test. and where the walk down to it stands.
    fn example_test() -> (Zone, Trust) {
        let (root, tld, zone) = root_test_example();
        let trust = anchored(&root, &[tld.cut_below(&root), zone.cut_below(&tld)]);
        (zone, trust)
    }

    /// A root, `test.` and `example.test.`, each with keys of its own.
    fn root_test_example() -> (Zone, Zone, Zone) {
        (
            Zone::new("."),
            Zone::new("test."),
            Zone::new("example.test."),
        )
    }

    #[test]
    fn every_key_set_a_resolver_may_hold_judges_a_server_s_reply() {
        // A ZSK rollover with a stale secondary: the same KSK (the one the DS names) signs
        // both DNSKEY sets, the current one and the stale one with the old ZSK.
        let (root, tld, zone) = root_test_example();
        let current = anchored(&root, &[tld.cut_below(&root), zone.cut_below(&tld)]);
        let old_zsk = TestKey::zone_signing(&zone.name);
        let stale_keys: Vec<Record> = [zone.ksk.dnskey(), old_zsk.dnskey()]
            .into_iter()
            .map(|key| {
                Record::from_rdata(
                    zone.name.clone(),
                    3600,
                    RData::DNSSEC(DNSSECRData::DNSKEY(key)),
                )
            })
            .collect();
        let stale_cut = Cut {
            zone: zone.name.clone(),
            ds: zone.ds_from(&tld),
            dnskey: Some(Signed {
                owner: zone.name.clone(),
                rtype: RecordType::DNSKEY,
                rrsigs: vec![zone.ksk.sign(&stale_keys, NOW - 3600, NOW + 3600)],
                records: stale_keys,
            }),
        };
        let stale = anchored(&root, &[tld.cut_below(&root), stale_cut]);
        assert!(matches!(stale, Trust::Keys { .. }), "{stale:?}");
        // Sets are told apart by their keys; what does not validate holds no set.
        let unsigned = Trust::Insecure;
        let held = key_sets_held([&current, &unsigned, &current, &stale]);
        assert_eq!(held, [current.clone(), stale.clone()]);
        // The current servers' answer, signed by the new ZSK, is bogus under the stale set
        // a resolver may hold.
        let www = name("www.example.test.");
        let caa = zone.signed(
            caa_rrset(&www, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        );
        let answers = served(&caa);
        let reply = ServerReply {
            qname: &www,
            qtype: RecordType::CAA,
            outcome: Outcome::NoError,
            answers: &answers,
            authority: &[],
        };
        assert_eq!(reply_security(&current, &reply, NOW), Security::Secure);
        assert!(matches!(
            reply_security(&stale, &reply, NOW),
            Security::Bogus(_)
        ));
    }

    #[test]
    fn a_signed_caa_rrset_under_a_chain_from_the_anchor_is_secure() {
        let (zone, trust) = example_test();
        let www = name("www.example.test.");
        let caa = zone.signed(
            caa_rrset(&www, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        );
        let security = answer_security(
            &trust,
            &www,
            RecordType::CAA,
            &Answered::Records(caa, DenialProof::default()),
            NOW,
        );
        assert_eq!(security, Security::Secure);
    }

    #[test]
    fn an_expired_signature_over_the_caa_rrset_is_bogus_with_its_date() {
        let (zone, trust) = example_test();
        let www = name("www.example.test.");
        let caa = zone.signed(caa_rrset(&www, &["letsencrypt.org"]), NOW - 7200, NOW - 60);
        let Security::Bogus(bogus) = answer_security(
            &trust,
            &www,
            RecordType::CAA,
            &Answered::Records(caa, DenialProof::default()),
            NOW,
        ) else {
            panic!("bogus expected");
        };
        assert_eq!(bogus.zone, "example.test.");
        assert_eq!(bogus.kind.code(), "signature-expired");
    }

    #[test]
    fn a_ds_matching_no_key_of_the_zone_is_bogus_at_the_zone() {
        let (root, tld, zone) = root_test_example();
        let rolled = Zone::new("example.test.");
        let mut cut = zone.cut_below(&tld);
        cut.dnskey = Some(rolled.dnskey());
        let trust = anchored(&root, &[tld.cut_below(&root), cut]);
        let Trust::Bogus(bogus) = trust else {
            panic!("bogus expected, got {trust:?}");
        };
        assert_eq!(bogus.zone, "example.test.");
        assert_eq!(bogus.kind.code(), "no-key-for-ds");
    }

    #[test]
    fn an_unsigned_zone_under_a_signed_parent_is_insecure_when_the_parent_proves_no_ds() {
        let (root, tld) = (Zone::new("."), Zone::new("test."));
        let proof = DenialProof {
            rrsets: vec![tld.signed(
                vec![nsec_record("unsigned.test.", "zz.test.", &[RecordType::NS])],
                NOW - 3600,
                NOW + 3600,
            )],
        };
        let cut = Cut {
            zone: name("unsigned.test."),
            ds: DsAnswer::Absent(proof),
            dnskey: None,
        };
        assert_eq!(
            anchored(&root, &[tld.cut_below(&root), cut]),
            Trust::Insecure
        );
        // Without a signature over the NSEC, nothing is proven: bogus.
        let unsigned_proof = DenialProof {
            rrsets: vec![Signed {
                owner: name("unsigned.test."),
                rtype: RecordType::NSEC,
                records: vec![nsec_record("unsigned.test.", "zz.test.", &[RecordType::NS])],
                rrsigs: vec![],
            }],
        };
        let cut = Cut {
            zone: name("unsigned.test."),
            ds: DsAnswer::Absent(unsigned_proof),
            dnskey: None,
        };
        assert!(matches!(
            anchored(&root, &[tld.cut_below(&root), cut]),
            Trust::Bogus(_)
        ));
    }

    #[test]
    fn a_secure_nodata_needs_its_nsec_proof() {
        let (zone, trust) = example_test();
        let apex = name("example.test.");
        let proof = DenialProof {
            rrsets: vec![zone.signed(
                vec![nsec_record(
                    "example.test.",
                    "www.example.test.",
                    &[RecordType::SOA, RecordType::NS],
                )],
                NOW - 3600,
                NOW + 3600,
            )],
        };
        let nodata = Answered::NoData(proof.clone());
        assert_eq!(
            answer_security(&trust, &apex, RecordType::CAA, &nodata, NOW),
            Security::Secure
        );
        // The same proof says nothing of another name: the denial is broken.
        let Security::Bogus(bogus) = answer_security(
            &trust,
            &name("www.example.test."),
            RecordType::CAA,
            &nodata,
            NOW,
        ) else {
            panic!("bogus expected");
        };
        assert_eq!(bogus.kind.code(), "broken-denial");
    }

    #[test]
    fn rfc_4035_5_2_a_proven_absent_ds_at_a_name_that_is_no_delegation_is_no_cut() {
        let (root, tld) = (Zone::new("."), Zone::new("test."));
        let trust = anchored(&root, &[tld.cut_below(&root)]);
        let proof = DenialProof {
            rrsets: vec![tld.signed(
                vec![nsec_record("plain.test.", "zz.test.", &[RecordType::A])],
                NOW - 3600,
                NOW + 3600,
            )],
        };
        let not_a_cut = Cut {
            zone: name("plain.test."),
            ds: DsAnswer::Absent(proof),
            dnskey: None,
        };
        assert_eq!(descend(trust.clone(), &not_a_cut, NOW), trust);
    }

    #[test]
    fn rfc_4035_5_3_4_an_answer_expanded_from_a_wildcard_needs_proof_of_no_closer_name() {
        let (zone, trust) = example_test();
        let wildcard = name("*.example.test.");
        let x = name("x.example.test.");
        let signed = zone.signed(
            caa_rrset(&wildcard, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        );
        // As served for x.example.test.: the records at x, the signature made at the wildcard.
        let expanded = Signed {
            owner: x.clone(),
            records: caa_rrset(&x, &["letsencrypt.org"]),
            ..signed
        };
        let without = Answered::Records(expanded.clone(), DenialProof::default());
        let Security::Bogus(bogus) = answer_security(&trust, &x, RecordType::CAA, &without, NOW)
        else {
            panic!("bogus expected");
        };
        assert_eq!(bogus.kind.code(), "broken-denial");
        let proof = DenialProof {
            rrsets: vec![zone.signed(
                vec![nsec_record(
                    "*.example.test.",
                    "example.test.",
                    &[RecordType::CAA],
                )],
                NOW - 3600,
                NOW + 3600,
            )],
        };
        let with = Answered::Records(expanded, proof);
        assert_eq!(
            answer_security(&trust, &x, RecordType::CAA, &with, NOW),
            Security::Secure
        );
    }

    #[test]
    fn rfc_4035_5_2_a_ds_of_an_unknown_digest_only_makes_the_zone_insecure() {
        let (root, tld) = (Zone::new("."), Zone::new("test."));
        let mut cut = tld.cut_below(&root);
        let DsAnswer::Present(ds) = &cut.ds else {
            panic!("a DS");
        };
        let RData::DNSSEC(DNSSECRData::DS(known)) = &ds.records[0].data else {
            panic!("a DS record");
        };
        let unknown = DS::new(
            known.key_tag(),
            known.algorithm(),
            hickory_resolver::proto::dnssec::DigestType::Unknown(99),
            known.digest().to_vec(),
        );
        let record =
            Record::from_rdata(name("test."), 3600, RData::DNSSEC(DNSSECRData::DS(unknown)));
        cut.ds = DsAnswer::Present(root.signed(vec![record], NOW - 3600, NOW + 3600));
        assert_eq!(anchored(&root, &[cut]), Trust::Insecure);
    }

    /// A signed RRset as a server serves it: its records, then its RRSIG records.
    fn served(rrset: &Signed) -> Vec<Record> {
        let rrsigs = rrset.rrsigs.iter().map(|rrsig| {
            Record::from_rdata(
                rrset.owner.clone(),
                300,
                RData::DNSSEC(DNSSECRData::RRSIG(rrsig.clone())),
            )
        });
        rrset.records.iter().cloned().chain(rrsigs).collect()
    }

    #[test]
    fn a_server_s_reply_is_validated_whole_its_aliases_its_answer_or_its_denial() {
        let (zone, trust) = example_test();
        let (www, alias) = (name("www.example.test."), name("alias.example.test."));
        let caa = zone.signed(
            caa_rrset(&www, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        );
        let security = |answers: &[Record], authority: &[Record], outcome| {
            let reply = ServerReply {
                qname: &www,
                qtype: RecordType::CAA,
                outcome,
                answers,
                authority,
            };
            reply_security(&trust, &reply, NOW)
        };
        assert_eq!(
            security(&served(&caa), &[], Outcome::NoError),
            Security::Secure
        );
        // The same records without their signature: a stripped server.
        let Security::Bogus(stripped) = security(&caa.records, &[], Outcome::NoError) else {
            panic!("bogus expected");
        };
        assert_eq!(stripped.kind.code(), "signature-missing");
        // NODATA proven by the NSEC at the name; without it, the denial is broken.
        let nsec = zone.signed(
            vec![nsec_record(
                "www.example.test.",
                "example.test.",
                &[RecordType::A],
            )],
            NOW - 3600,
            NOW + 3600,
        );
        assert_eq!(
            security(&[], &served(&nsec), Outcome::NoError),
            Security::Secure
        );
        assert!(matches!(
            security(&[], &[], Outcome::NoError),
            Security::Bogus(_)
        ));
        // A CNAME out of the zone: its own signature is all this zone's servers answer for.
        let cname = |owner: &Name, target: &str| {
            let data = RData::CNAME(hickory_resolver::proto::rr::rdata::CNAME(name(target)));
            zone.signed(
                vec![Record::from_rdata(owner.clone(), 300, data)],
                NOW - 3600,
                NOW + 3600,
            )
        };
        let away = cname(&www, "www.elsewhere.test.");
        assert_eq!(
            security(&served(&away), &[], Outcome::NoError),
            Security::Secure
        );
        // A CNAME within the zone, unsigned: the chain is as weak as that link.
        let mut inside = served(&cname(&www, "alias.example.test."));
        inside.retain(|record| record.record_type() != RecordType::RRSIG);
        let target = zone.signed(
            caa_rrset(&alias, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        );
        inside.extend(served(&target));
        assert!(matches!(
            security(&inside, &[], Outcome::NoError),
            Security::Bogus(_)
        ));
        // A CNAME into a child zone whose servers this one's share: the child signed its
        // CAA RRset (or its denial), and only its keys can vouch for it.
        let child = Zone::new("child.example.test.");
        let into_child = cname(&www, "www.child.example.test.");
        let target = name("www.child.example.test.");
        let mut across = served(&into_child);
        across.extend(served(&child.signed(
            caa_rrset(&target, &["letsencrypt.org"]),
            NOW - 3600,
            NOW + 3600,
        )));
        assert_eq!(
            security(&across, &[], Outcome::NoError),
            Security::Indeterminate
        );
        let child_nsec = child.signed(
            vec![nsec_record(
                "www.child.example.test.",
                "child.example.test.",
                &[RecordType::A],
            )],
            NOW - 3600,
            NOW + 3600,
        );
        assert_eq!(
            security(&served(&into_child), &served(&child_nsec), Outcome::NoError),
            Security::Indeterminate
        );
        // A signature naming a signer below the zone is never a pass: not the owner's zone,
        // it is no signature of this zone's; a zone at the owner, only its keys can judge.
        let signed_by = |signer: &str| {
            let mut resigned = caa.clone();
            let mut input = resigned.rrsigs[0].input().clone();
            input.signer_name = name(signer);
            resigned.rrsigs = vec![RRSIG::from_sig(input, resigned.rrsigs[0].sig().to_vec())];
            security(&served(&resigned), &[], Outcome::NoError)
        };
        assert!(matches!(
            signed_by("other.example.test."),
            Security::Bogus(_)
        ));
        assert_eq!(signed_by("www.example.test."), Security::Indeterminate);
        // A chain that goes on at a name the reply does not answer for: its links alone.
        let onward = served(&cname(&www, "elsewhere.example.test."));
        assert_eq!(security(&onward, &[], Outcome::Onward), Security::Secure);
        assert!(matches!(
            security(&onward, &[], Outcome::NoError),
            Security::Bogus(_)
        ));
        // Under an insecure delegation, nothing is asked of the reply.
        let unsigned = ServerReply {
            qname: &www,
            qtype: RecordType::CAA,
            outcome: Outcome::NoError,
            answers: &caa.records,
            authority: &[],
        };
        assert_eq!(
            reply_security(&Trust::Insecure, &unsigned, NOW),
            Security::Insecure
        );
    }

    #[test]
    fn rfc_5155_9_2_a_name_or_type_denied_only_by_an_opt_out_span_is_insecure() {
        use crate::dnssec::test_keys::nsec3_chain;
        let (zone, trust) = example_test();
        let names: [(&str, &[RecordType]); 3] = [
            ("example.test.", &[RecordType::SOA, RecordType::NS]),
            ("a.example.test.", &[RecordType::A]),
            ("www.example.test.", &[RecordType::CAA]),
        ];
        let nxdomain = |opt_out: bool| {
            let rrsets = nsec3_chain(&zone.name, &names, opt_out)
                .into_iter()
                .map(|record| zone.signed(vec![record], NOW - 3600, NOW + 3600))
                .collect();
            Answered::NxDomain(DenialProof { rrsets })
        };
        let absent = name("b.example.test.");
        assert_eq!(
            answer_security(&trust, &absent, RecordType::CAA, &nxdomain(false), NOW),
            Security::Secure
        );
        assert_eq!(
            answer_security(&trust, &absent, RecordType::CAA, &nxdomain(true), NOW),
            Security::Insecure
        );
        // The same span answering NODATA for an empty non-terminal without its own NSEC3
        // (RFC 5155 §7.1): insecure under opt-out, broken without.
        let nodata = |answered: Answered| match answered {
            Answered::NxDomain(proof) => Answered::NoData(proof),
            other => other,
        };
        assert_eq!(
            answer_security(
                &trust,
                &absent,
                RecordType::CAA,
                &nodata(nxdomain(true)),
                NOW
            ),
            Security::Insecure
        );
        assert!(matches!(
            answer_security(
                &trust,
                &absent,
                RecordType::CAA,
                &nodata(nxdomain(false)),
                NOW
            ),
            Security::Bogus(_)
        ));
    }

    #[test]
    fn rfc_9276_a_denial_hashed_too_often_is_insecure_and_costs_no_hashing() {
        use hickory_resolver::proto::dnssec::Nsec3HashAlgorithm;
        use hickory_resolver::proto::dnssec::rdata::NSEC3;
        let (_, trust) = example_test();
        let costly = NSEC3::new(
            Nsec3HashAlgorithm::SHA1,
            false,
            500,
            vec![0xab],
            vec![0; 20],
            [RecordType::A],
        );
        let proof = DenialProof {
            rrsets: vec![Signed {
                owner: name("0123456789abcdefghijklmnopqrstuv.example.test."),
                rtype: RecordType::NSEC3,
                records: vec![Record::from_rdata(
                    name("0123456789abcdefghijklmnopqrstuv.example.test."),
                    300,
                    RData::DNSSEC(DNSSECRData::NSEC3(costly)),
                )],
                rrsigs: Vec::new(),
            }],
        };
        let apex = name("example.test.");
        assert_eq!(
            answer_security(
                &trust,
                &apex,
                RecordType::CAA,
                &Answered::NoData(proof),
                NOW
            ),
            Security::Insecure
        );
    }
}
