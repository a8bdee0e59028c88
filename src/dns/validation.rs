//! Validating a CAA lookup as the CA's resolver does (issue 11, `check --dnssec`): what the
//! DNSSEC core needs, asked of the run's resolvers with DO and CD set, walking down from the
//! trust anchor label by label to each name an answer stands at. DS and DNSKEY answers are
//! asked once per name per run and shared by every lookup. This layer fetches; the rules of
//! `crate::dnssec` judge.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::join_all;
use hickory_resolver::proto::dnssec::rdata::DNSSECRData;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::sync::OnceCell;

use crate::caa::answers::{Answer, CaaRecord, MOST_ALIAS_QUERIES};
use crate::dnssec::Security;
use crate::dnssec::anchors::TrustAnchor;
use crate::dnssec::chain::{
    Answered, Cut, DenialProof, DsAnswer, Signed, Trust, anchored, answer_security, descend,
    follow_aliases, rrset_of, rrsets,
};

use super::authority::NoReply;
use super::transport::Transport;
use super::wire::{Ask, Reply, read_caa, wire_name_of};

/// What came back for one DNSSEC question: the reply, or nothing usable.
type Fetched = Option<Reply>;

/// One answer per name and type, filled by the first lookup that gets it.
type Asked = Found<(Name, RecordType), Reply>;

/// One value per key, filled by the first lookup that finds it.
type Found<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

/// Validates lookups for one run.
#[derive(Debug)]
pub struct Validator {
    anchors: Vec<TrustAnchor>,
    /// The time signatures are judged at (Unix seconds).
    now: u32,
    /// DS and DNSKEY answers, by name and type, each asked once.
    asked: Asked,
    /// The trust found at each name walked to, each walked once: a run's lookups share their
    /// zones, and each walk checks signatures.
    trusted: Found<Name, Trust>,
    /// Each server's own DNSKEY RRset of its zone, by zone and server, asked once.
    server_keys: Found<(Name, SocketAddr), Result<Option<Signed>, NoReply>>,
    /// The trust each server's own DNSKEY RRset gives its zone, found once.
    server_trusted: Found<(Name, SocketAddr), Trust>,
}

impl Validator {
    pub fn new(anchors: Vec<TrustAnchor>, now: u32) -> Validator {
        Validator {
            anchors,
            now,
            asked: Mutex::default(),
            trusted: Mutex::default(),
            server_keys: Mutex::default(),
            server_trusted: Mutex::default(),
        }
    }

    /// Whether the resolvers strip DNSSEC: the trust anchor's DNSKEY RRset comes back without
    /// its signatures though DO was set. Through such a resolver everything would look bogus.
    pub async fn strips(&self, transport: &Transport) -> bool {
        let Some(anchor) = self.anchors.first() else {
            return false;
        };
        let Some(reply) = self
            .fetched(transport, &anchor.zone, RecordType::DNSKEY)
            .await
        else {
            return false;
        };
        let answers = &reply.sections.answers;
        answers
            .iter()
            .any(|record| record.record_type() == RecordType::DNSKEY)
            && !answers
                .iter()
                .any(|record| record.record_type() == RecordType::RRSIG)
    }

    /// The security of the CAA lookup of `name` (lowercase, with its trailing dot): each
    /// RRset of its answer and alias chain, or its denial, under the keys of the zone it
    /// stands in; as secure as its weakest link. With it, the answer that was validated (its
    /// CAA records, NODATA or NXDOMAIN), for the caller to hold against the one it judges.
    pub async fn validate(&self, transport: &Transport, name: &Name) -> (Security, Option<Answer>) {
        let mut at = name.clone();
        let mut security = Security::Secure;
        for _ in 0..MOST_ALIAS_QUERIES {
            let Some(reply) = ask(transport, &at, RecordType::CAA).await else {
                return (Security::Indeterminate, None);
            };
            let answered = rrsets(&reply.sections.answers);
            let proof = DenialProof::from_authority(&reply.sections.authority);
            // The alias chain the reply holds, each link under its own zone's keys.
            let aliases = follow_aliases(&answered, &at, RecordType::CAA);
            for alias in &aliases.links {
                let link = self.rrset_security(transport, alias, &proof).await;
                security = security.weakest(link);
            }
            // A loop, or a chain longer than resolvers follow: the lookup itself fails
            // (`alias-loop`, `alias-chain-too-long`); nothing to validate.
            if aliases.broken {
                return (security.weakest(Security::Indeterminate), None);
            }
            let current = aliases.end;
            if let Some(caa) = aliases.found {
                let answer = Answer::Records(caa.records.iter().filter_map(caa_record).collect());
                let link = self.rrset_security(transport, caa, &proof).await;
                return (security.weakest(link), Some(answer));
            }
            if current != at
                && reply.rcode == ResponseCode::NoError
                && reply.sections.authority.is_empty()
            {
                // The chain goes on at a name this reply did not answer for.
                at = current;
                continue;
            }
            // The zone that denies: the signer of its proof, else the owner of its SOA. The
            // walk stops there: below it the name does not exist.
            let zone = zone_of_denial(&reply, &current).unwrap_or_else(|| current.clone());
            let (answered, answer) = match reply.rcode {
                ResponseCode::NoError => (Answered::NoData(proof), Answer::NoData),
                ResponseCode::NXDomain => (Answered::NxDomain(proof), Answer::NxDomain),
                _ => return (Security::Indeterminate, None),
            };
            let trust = self.trust_for(transport, &zone).await;
            let link = answer_security(&trust, &current, RecordType::CAA, &answered, self.now);
            return (security.weakest(link), Some(answer));
        }
        (Security::Indeterminate, None)
    }

    /// An RRset of an answer (with the reply's denial records, for a wildcard expansion),
    /// under the keys of the zone that signed it (its RRSIG's signer, which must hold it), or
    /// of the deepest zone above it when it is unsigned.
    async fn rrset_security(
        &self,
        transport: &Transport,
        rrset: &Signed,
        proof: &DenialProof,
    ) -> Security {
        let signer = rrset
            .rrsigs
            .iter()
            .map(|rrsig| rrsig.input().signer_name.clone())
            .find(|signer| signer.zone_of(&rrset.owner));
        let trust = self
            .trust_for(transport, signer.as_ref().unwrap_or(&rrset.owner))
            .await;
        answer_security(
            &trust,
            &rrset.owner,
            rrset.rtype,
            &Answered::Records(rrset.clone(), proof.clone()),
            self.now,
        )
    }

    /// The trust at `name`, walked once per run: `check --source --dnssec` validates each
    /// authoritative server's answers under it.
    pub async fn trust_for(&self, transport: &Transport, name: &Name) -> Trust {
        kept(&self.trusted, name.clone(), || {
            self.walk_to(transport, name)
        })
        .await
    }

    /// The trust at `zone` under the DNSKEY RRset that its server `server` serves, which
    /// `fetch` asks for once per run and server, whatever it gives (a silent server would
    /// otherwise cost every name of its zone a wait); none when it replied without a set.
    pub async fn trust_with_server_keys(
        &self,
        transport: &Transport,
        zone: &Name,
        server: SocketAddr,
        fetch: impl Future<Output = Result<Option<Signed>, NoReply>>,
    ) -> Result<Option<Trust>, NoReply> {
        let cell = Arc::clone(
            bounded(&self.server_keys)
                .entry((zone.clone(), server))
                .or_default(),
        );
        let Some(dnskey) = cell.get_or_init(|| fetch).await.clone()? else {
            return Ok(None);
        };
        // Kept too: every name of a bulk run asks of its zones' servers again.
        let trust = || self.trust_with_keys(transport, zone, dnskey);
        Ok(Some(
            kept(&self.server_trusted, (zone.clone(), server), trust).await,
        ))
    }

    /// The trust at `zone` were its DNSKEY RRset `dnskey`: the last step of the walk (RFC 4035
    /// §5.1, §5.2) taken with these keys.
    async fn trust_with_keys(&self, transport: &Transport, zone: &Name, dnskey: Signed) -> Trust {
        if let Some(anchor) = self.anchors.iter().find(|anchor| anchor.zone == *zone) {
            return anchored(zone, anchor.vouchers(), Some(&dnskey), self.now);
        }
        if zone.is_root() {
            return Trust::Insecure;
        }
        self.step_down(transport, zone, async { Some(dnskey) })
            .await
    }

    /// One step of the walk (RFC 4035 §5.2): the trust at `zone` (below a trust anchor's
    /// zone) from the trust above it, which is kept, the DS its parent serves and its DNSKEY
    /// RRset, which `dnskey` gives when a DS is present.
    async fn step_down(
        &self,
        transport: &Transport,
        zone: &Name,
        dnskey: impl Future<Output = Option<Signed>>,
    ) -> Trust {
        let above = self.trust_for(transport, &zone.base_name()).await;
        if !matches!(above, Trust::Keys { .. }) {
            return above;
        }
        let ds = self.ds(transport, zone).await;
        let dnskey = match &ds {
            DsAnswer::Present(_) => dnskey.await,
            _ => None,
        };
        let cut = Cut {
            zone: zone.clone(),
            ds,
            dnskey,
        };
        descend(above, &cut, self.now)
    }

    /// The trust at `name`: from the anchor above it, down each label (RFC 4035 §5.1, §5.2).
    async fn walk_to(&self, transport: &Transport, name: &Name) -> Trust {
        // A name under no trust anchor is insecure, as a validator treats it (RFC 4033 §5:
        // nothing vouches for it either way).
        let Some(anchor) = self
            .anchors
            .iter()
            .filter(|anchor| anchor.zone.zone_of(name))
            .max_by_key(|anchor| anchor.zone.num_labels())
        else {
            return Trust::Insecure;
        };
        if *name == anchor.zone {
            let dnskey = self.dnskey(transport, name).await;
            return anchored(name, anchor.vouchers(), dnskey.as_ref(), self.now);
        }
        // Every DS on the way down asked at once: one round trip, not one per label (a DS
        // asked below where the walk stops costs a query, not time). The step down starts
        // from the trust above, which is kept: a run's names share their ancestors' walks.
        let below = anchor.zone.num_labels() + 1..=name.num_labels();
        let (trust, _) = tokio::join!(
            self.step_down(transport, name, self.dnskey(transport, name)),
            join_all(below.map(|labels| {
                let candidate = name.trim_to(usize::from(labels));
                async move { self.fetched(transport, &candidate, RecordType::DS).await }
            })),
        );
        trust
    }

    /// What the parent says of `candidate`'s DS, asked once per run.
    async fn ds(&self, transport: &Transport, candidate: &Name) -> DsAnswer {
        match self.fetched(transport, candidate, RecordType::DS).await {
            Some(reply) => ds_answer(&reply, candidate),
            None => DsAnswer::Unanswered,
        }
    }

    /// A zone's DNSKEY RRset with its signatures, if it came back.
    async fn dnskey(&self, transport: &Transport, zone: &Name) -> Option<Signed> {
        let reply = self.fetched(transport, zone, RecordType::DNSKEY).await?;
        rrset_of(&reply.sections.answers, zone, RecordType::DNSKEY)
    }

    /// A DS or DNSKEY answer, asked once per run.
    async fn fetched(&self, transport: &Transport, name: &Name, rtype: RecordType) -> Fetched {
        let cell = Arc::clone(
            bounded(&self.asked)
                .entry((name.clone(), rtype))
                .or_default(),
        );
        // A failed exchange is not kept: the next lookup that needs the answer asks again.
        cell.get_or_try_init(|| async { ask(transport, name, rtype).await.ok_or(()) })
            .await
            .ok()
            .cloned()
    }
}

/// The trust `find` finds, found once per `key` and run; one that could not be had
/// (indeterminate: a fetch failed) is not kept, and the next lookup finds it again.
async fn kept<K: Eq + Hash, F: Future<Output = Trust>>(
    cache: &Found<K, Trust>,
    key: K,
    find: impl FnOnce() -> F,
) -> Trust {
    let cell = Arc::clone(bounded(cache).entry(key).or_default());
    // `find` makes its future only when the trust is not kept yet, on the heap: a walk's
    // future is large, and most lookups find the trust kept.
    let found = cell
        .get_or_try_init(|| async {
            match Box::pin(find()).await {
                Trust::Indeterminate => Err(()),
                trust => Ok(trust),
            }
        })
        .await;
    found.map_or(Trust::Indeterminate, Trust::clone)
}

/// Entries a run's caches hold at most: past it a cache starts afresh, so that memory does not
/// grow with the input (a million names would otherwise keep a reply each).
const MOST_CACHED: usize = 32_768;

/// A cache, emptied first when it has grown to `MOST_CACHED` entries.
fn bounded<K, V>(cache: &Mutex<HashMap<K, V>>) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
    let mut held = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if held.len() >= MOST_CACHED {
        held.clear();
    }
    held
}

/// One question with DO and CD set; none for a failed exchange.
async fn ask(transport: &Transport, name: &Name, rtype: RecordType) -> Fetched {
    let wire = wire_name_of(name)?;
    let question = Ask {
        name: &wire,
        qtype: u16::from(rtype),
        dnssec: true,
    };
    transport.query(question).await.result.ok()
}

/// The zone a negative answer for `name` speaks for: the signer of its RRSIGs, else the owner
/// of its SOA, if either is at or above `name`.
fn zone_of_denial(reply: &Reply, name: &Name) -> Option<Name> {
    let authority = &reply.sections.authority;
    let signer = authority.iter().find_map(|record| match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => Some(rrsig.input().signer_name.clone()),
        _ => None,
    });
    let soa_owner = authority
        .iter()
        .find(|record| record.record_type() == RecordType::SOA)
        .map(|record| record.name.clone());
    signer.or(soa_owner).filter(|zone| zone.zone_of(name))
}

/// A CAA record as the rules read it, from the raw data kept for validation.
fn caa_record(record: &Record) -> Option<CaaRecord> {
    match &record.data {
        RData::Unknown { code, rdata } if *code == RecordType::CAA => {
            Some(read_caa(&rdata.anything))
        }
        _ => None,
    }
}

/// What a parent's reply says of `candidate`'s DS.
fn ds_answer(reply: &Reply, candidate: &Name) -> DsAnswer {
    let proof = || DenialProof::from_authority(&reply.sections.authority);
    match reply.rcode {
        ResponseCode::NoError => rrset_of(&reply.sections.answers, candidate, RecordType::DS)
            .map_or_else(|| DsAnswer::Absent(proof()), DsAnswer::Present),
        ResponseCode::NXDomain => DsAnswer::Nonexistent(proof()),
        _ => DsAnswer::Unanswered,
    }
}
