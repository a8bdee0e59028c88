//! The delegation walk (issue 10, `check --source`): from the root servers down to a name's
//! zone, as a resolver with no cache walks it (RD=0, no QNAME minimisation, as Let's Encrypt's
//! Unbound runs): each referral is a zone cut, its NS set and glue as the parent gives them;
//! then each zone's own NS set, and every name server's own addresses, asked the same way.
//!
//! Authoritative servers listen on port 53; a test universe on loopback may put them all on
//! another port (`Walker::port`), since glue carries addresses only.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::sync::Semaphore;

use super::authority::{Carrier, Question, Said, ask};
use crate::caa::sources::{Delegation, is_private_address};

/// Referrals followed at most for one name: deeper than any real tree.
const MOST_CUTS: usize = 16;
/// Servers of one zone tried, one after another, before the walk gives up on the zone: a
/// resolver does not try every root server when the first few are silent.
const MOST_TRIED: usize = 4;
/// Names one authoritative server is asked about at once (each a few queries).
const NAMES_PER_SERVER: usize = 4;
/// Name servers whose addresses are looked up by walking, nested at most this deep (a name
/// server named in a zone whose own name servers need a walk, and so on).
const MOST_NESTING: usize = 4;

/// A zone on the way to a name: its cut as both sides see it, and the servers to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneCut {
    pub delegation: Delegation,
    /// Every address of every name server (glue and the servers' own records), with the name
    /// server's name.
    pub servers: Vec<(String, SocketAddr)>,
}

/// Why a walk stopped short.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WalkFailure {
    #[error("no server of {zone} gave an authoritative answer or a referral")]
    NoServerAnswered { zone: String },
    #[error("the walk went deeper than {MOST_CUTS} zones")]
    TooDeep,
    #[error("the walk from the root did not finish in time")]
    Deadline,
}

/// Walks from the roots; remembers what it learnt (per run).
#[derive(Debug)]
pub struct Walker {
    roots: Vec<IpAddr>,
    roots_on_loopback: bool,
    /// The port authoritative servers are asked on: 53, or a test universe's.
    pub port: u16,
    pub patience: Duration,
    addresses: Mutex<HashMap<String, Vec<IpAddr>>>,
    /// Each zone met, with the chain of cuts down to it: a later walk for a name below it
    /// starts there (the names of a climb, and of a bulk run, share their zones; so do the
    /// walks for name servers' addresses). A cut is remembered as soon as it is met, and again
    /// once completed (its own NS set and addresses).
    chains: Mutex<HashMap<String, Vec<ZoneCut>>>,
    /// The zones whose remembered cut is completed.
    completed: Mutex<std::collections::HashSet<String>>,
    /// Per server: the names it may be asked about at once.
    servers: Arc<Mutex<HashMap<SocketAddr, Arc<Semaphore>>>>,
}

impl Walker {
    /// Whether `address` may be asked: not one the CA's resolver refuses (private ranges;
    /// loopback unless the roots are on loopback, as in a test universe). Nothing is ever sent
    /// to such an address.
    pub fn may_ask(&self, address: IpAddr) -> bool {
        !is_private_address(address, self.roots_on_loopback())
    }

    /// Whether the roots are on loopback (a test universe).
    pub fn roots_on_loopback(&self) -> bool {
        self.roots_on_loopback
    }

    pub fn new(roots: Vec<IpAddr>, port: u16, patience: Duration) -> Walker {
        Walker {
            roots_on_loopback: roots.iter().all(IpAddr::is_loopback),
            roots,
            port,
            patience,
            addresses: Mutex::default(),
            chains: Mutex::default(),
            completed: Mutex::default(),
            servers: Arc::default(),
        }
    }

    /// A walker that knows nothing learnt and starts from the roots again, sharing only the
    /// bounds on each server: a wait's round sees the NS sets and addresses as they are then (a
    /// secondary added with the change is asked too), without touching other walks.
    pub fn afresh(&self) -> Walker {
        Walker {
            roots: self.roots.clone(),
            roots_on_loopback: self.roots_on_loopback,
            port: self.port,
            patience: self.patience,
            addresses: Mutex::default(),
            chains: Mutex::default(),
            completed: Mutex::default(),
            servers: Arc::clone(&self.servers),
        }
    }

    /// The permits to ask `server` about a name: at most `NAMES_PER_SERVER` at once, so a run
    /// over many names under one zone does not flood its servers.
    pub fn permits(&self, server: SocketAddr) -> Arc<Semaphore> {
        self.servers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(server)
            .or_insert_with(|| Arc::new(Semaphore::new(NAMES_PER_SERVER)))
            .clone()
    }

    /// The chain of the deepest zone met that holds `name`, if any.
    fn known_chain(&self, name: &Name) -> Option<Vec<ZoneCut>> {
        let name = lowercase(name);
        let chains = self
            .chains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        chains
            .iter()
            .filter(|(zone, _)| name == **zone || name.ends_with(&format!(".{zone}")))
            .max_by_key(|(zone, _)| zone.len())
            .map(|(_, chain)| chain.clone())
    }

    /// Remembers every prefix of `cuts`; with `completed`, as completed.
    fn remember(&self, cuts: &[ZoneCut], completed: bool) {
        let mut chains = self
            .chains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut done = self
            .completed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for end in 1..=cuts.len() {
            let zone = &cuts[end - 1].delegation.zone;
            if completed || !chains.contains_key(zone) {
                chains.insert(zone.clone(), cuts[..end].to_vec());
            }
            if completed {
                done.insert(zone.clone());
            }
        }
    }

    fn is_completed(&self, zone: &str) -> bool {
        self.completed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(zone)
    }

    /// The zone cuts from the root down to `name`'s zone, the deepest last.
    pub async fn cuts(&self, name: &Name) -> Result<Vec<ZoneCut>, WalkFailure> {
        self.cuts_nested(name, 0).await
    }

    fn cuts_nested<'a>(
        &'a self,
        name: &'a Name,
        nesting: usize,
    ) -> BoxFuture<'a, Result<Vec<ZoneCut>, WalkFailure>> {
        Box::pin(async move {
            let mut cuts: Vec<ZoneCut> = self.known_chain(name).unwrap_or_default();
            let (mut servers, mut zone) = match cuts.last() {
                Some(deepest) => (deepest.servers.clone(), deepest.delegation.zone.clone()),
                None => (
                    self.roots
                        .iter()
                        .map(|root| (".".to_owned(), SocketAddr::new(*root, self.port)))
                        .collect(),
                    ".".to_owned(),
                ),
            };
            for _ in 0..MOST_CUTS {
                let said = self.first_answer(&servers, name, RecordType::NS).await;
                let Some(said) = said else {
                    return Err(WalkFailure::NoServerAnswered { zone });
                };
                let Some((owner, parent_ns)) = referral(&said) else {
                    // An authoritative answer from a server of the deepest zone: the walk
                    // ends. Every name but the root's lies below a cut.
                    if cuts.is_empty() {
                        return Err(WalkFailure::NoServerAnswered { zone });
                    }
                    self.remember(&cuts, false);
                    // A walk for a name server's address needs only the servers to ask.
                    if nesting > 0 {
                        return Ok(cuts);
                    }
                    for cut in &mut cuts {
                        if !self.is_completed(&cut.delegation.zone) {
                            self.complete(cut, nesting).await;
                        }
                    }
                    self.remember(&cuts, true);
                    return Ok(cuts);
                };
                let glue = glue(&said, &parent_ns);
                let mut next = Vec::new();
                for ns in &parent_ns {
                    let addresses = match glue.iter().find(|(owner, _)| owner == ns) {
                        Some((_, addresses)) => addresses.clone(),
                        None if nesting < MOST_NESTING => self.own_addresses(ns, nesting + 1).await,
                        None => Vec::new(),
                    };
                    next.extend(
                        addresses
                            .into_iter()
                            .map(|address| (ns.clone(), SocketAddr::new(address, self.port))),
                    );
                }
                zone = owner.clone();
                cuts.push(ZoneCut {
                    delegation: Delegation {
                        zone: owner,
                        parent_ns,
                        glue,
                        ..Delegation::default()
                    },
                    servers: next.clone(),
                });
                servers = next;
            }
            Err(WalkFailure::TooDeep)
        })
    }

    /// The zone's own NS set, and every name server's own addresses.
    async fn complete(&self, cut: &mut ZoneCut, nesting: usize) {
        let Ok(apex) = Name::from_ascii(&cut.delegation.zone) else {
            return;
        };
        if let Some(said) = self.first_answer(&cut.servers, &apex, RecordType::NS).await {
            cut.delegation.child_ns = ns_names(&said.answers, &cut.delegation.zone);
        }
        let mut names: Vec<String> = cut
            .delegation
            .parent_ns
            .iter()
            .chain(&cut.delegation.child_ns)
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        for ns in names {
            if nesting >= MOST_NESTING {
                break;
            }
            let own = self.own_addresses(&ns, nesting + 1).await;
            for address in &own {
                let server = (ns.clone(), SocketAddr::new(*address, self.port));
                if !cut.servers.contains(&server) {
                    cut.servers.push(server);
                }
            }
            cut.delegation.own_addresses.push((ns, own));
        }
    }

    /// A name server's A and AAAA records, asked of its own zone's servers (remembered).
    async fn own_addresses(&self, ns: &str, nesting: usize) -> Vec<IpAddr> {
        if let Some(known) = self.known(ns) {
            return known;
        }
        let Ok(name) = Name::from_ascii(ns) else {
            return Vec::new();
        };
        let Ok(cuts) = self.cuts_nested(&name, nesting).await else {
            return Vec::new();
        };
        let Some(deepest) = cuts.last() else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for rtype in [RecordType::A, RecordType::AAAA] {
            if let Some(said) = self.first_answer(&deepest.servers, &name, rtype).await {
                found.extend(said.answers.iter().filter_map(address_of));
            }
        }
        found.sort();
        found.dedup();
        self.addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(ns.to_owned(), found.clone());
        found
    }

    fn known(&self, ns: &str) -> Option<Vec<IpAddr>> {
        self.addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(ns)
            .cloned()
    }

    /// The first server of `servers` to reply at all (over UDP with EDNS).
    async fn first_answer(
        &self,
        servers: &[(String, SocketAddr)],
        name: &Name,
        rtype: RecordType,
    ) -> Option<Said> {
        let question = Question {
            name: name.clone(),
            rtype,
            edns: true,
            carrier: Carrier::Udp,
            bailiwick: None,
            dnssec: false,
        };
        let askable = servers
            .iter()
            .filter(|(_, server)| self.may_ask(server.ip()))
            .take(MOST_TRIED);
        for (_, server) in askable {
            // Only what a name server says of its own zones counts: an authoritative answer or
            // a referral. Anything else (a recursive answer from a resolver in the path, a
            // REFUSED) sends the walk to the next server.
            match ask(*server, &question, self.patience).await {
                Ok(said) if said.authoritative || said.referral => return Some(said),
                _ => {}
            }
        }
        None
    }
}

/// A referral's zone and NS set: the NS records of the authority section, when the reply is a
/// referral.
fn referral(said: &Said) -> Option<(String, Vec<String>)> {
    if !said.referral {
        return None;
    }
    let owner = said
        .authority
        .iter()
        .find(|record| record.record_type() == RecordType::NS)
        .map(|record| lowercase(&record.name))?;
    Some((owner.clone(), ns_names(&said.authority, &owner)))
}

/// The targets of the NS records owned by `owner`, lowercase, sorted.
fn ns_names(records: &[Record], owner: &str) -> Vec<String> {
    let mut names: Vec<String> = records
        .iter()
        .filter(|record| lowercase(&record.name) == owner)
        .filter_map(|record| match &record.data {
            RData::NS(ns) => Some(lowercase(&ns.0)),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The glue in a referral's additional section for the name servers named.
fn glue(said: &Said, ns_names: &[String]) -> Vec<(String, Vec<IpAddr>)> {
    ns_names
        .iter()
        .filter_map(|ns| {
            let mut addresses: Vec<IpAddr> = said
                .additional
                .iter()
                .filter(|record| lowercase(&record.name) == *ns)
                .filter_map(address_of)
                .collect();
            addresses.sort();
            (!addresses.is_empty()).then(|| (ns.clone(), addresses))
        })
        .collect()
}

fn address_of(record: &Record) -> Option<IpAddr> {
    match &record.data {
        RData::A(address) => Some(IpAddr::V4(address.0)),
        RData::AAAA(address) => Some(IpAddr::V6(address.0)),
        _ => None,
    }
}

/// A name as text: lowercase, with its trailing dot.
fn lowercase(name: &Name) -> String {
    let mut text = name.to_lowercase().to_ascii();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
