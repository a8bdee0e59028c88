//! Asking the source (issue 10, `check --source`): for every name of the climb and every alias
//! target, the zone that answers for it (the delegation walk), and what every address of every
//! name server of that zone says about it (`authority::probe`), gathered for the
//! `caa::sources` rules. Each zone is walked once however many names it holds.

use std::net::SocketAddr;
use std::time::Duration;

use futures::future::join_all;
use hickory_resolver::proto::rr::Name;

use super::authority::{NoReply, ZoneTrust, probe, server_dnskey};
use super::delegation::{WalkFailure, Walker, ZoneCut};
use super::transport::Transport;
use super::validation::Validator;
use crate::caa::answers::MOST_ALIAS_QUERIES;
use crate::caa::sources::{Asked, ServerAnswers, Step, StepEnd, ZoneSeen, step_of, used_answer};
use crate::clock::signature_now;
use crate::dnssec::Bogus;
use crate::dnssec::chain::{Trust, key_sets_held};

/// Alias targets asked at most for one name's climb, whichever servers pointed to them.
const MOST_ALIAS_TARGETS: usize = 16;

/// Walks to each name's zone and asks every server of it about the names it holds; then does
/// the same for every alias target a server pointed to (whichever server: a stale secondary
/// may point elsewhere than the others), for as many rounds as a lookup may follow aliases.
/// A climb name whose walk fails ends the gathering; an alias target whose walk fails is left
/// out, and the lookups reaching it fail.
///
/// With `validation` (`--dnssec`), each zone's trust is walked to from the trust anchor
/// (through the run's resolver, once per run), each server is asked for its own keys, and
/// every server's answers are validated under every key set a resolver may hold
/// (`zone_trust`).
pub async fn gather(
    walker: &Walker,
    climb: &[String],
    patience: Duration,
    validation: Option<(&Validator, &Transport)>,
) -> Result<Vec<ZoneSeen>, WalkFailure> {
    let mut seen: Vec<ZoneSeen> = Vec::new();
    let mut cuts: Vec<ZoneCut> = Vec::new();
    // Per zone: what its servers' answers are validated under.
    let mut trusts: Vec<Option<ZoneTrust>> = Vec::new();
    let mut asked: Vec<String> = Vec::new();
    let mut next: Vec<String> = climb.to_vec();
    for round in 0..=MOST_ALIAS_QUERIES {
        if next.is_empty() {
            break;
        }
        for name in &next {
            let placed = place(walker, name).await;
            let cut = match placed {
                Ok(Some(cut)) => cut,
                Ok(None) => continue,
                Err(failure) if round == 0 => return Err(failure),
                Err(_) => continue,
            };
            let at = match cuts
                .iter()
                .position(|known| known.delegation.zone == cut.delegation.zone)
            {
                Some(at) => at,
                None => {
                    // One clock for the zone: its replies are validated and dated at it.
                    let asked_at = signature_now();
                    let (trust, keys_unknown, broken_chain) =
                        zone_trust(walker, validation, &cut, patience, asked_at).await;
                    seen.push(ZoneSeen {
                        delegation: cut.delegation.clone(),
                        names: Vec::new(),
                        servers: vec![Vec::new(); cut.servers.len()],
                        asked_at,
                        broken_chain,
                        keys_unknown,
                    });
                    trusts.push(trust);
                    cuts.push(cut);
                    cuts.len() - 1
                }
            };
            seen[at].names.push(name.clone());
        }
        asked.append(&mut next);
        // Ask each zone's servers about the names placed in it this round.
        for ((zone, cut), trust) in seen.iter_mut().zip(&cuts).zip(&trusts) {
            let fresh: Vec<Name> = zone
                .names
                .iter()
                .skip(zone.servers.first().map_or(0, Vec::len))
                .filter_map(|name| Name::from_ascii(format!("{name}.")).ok())
                .collect();
            if fresh.is_empty() {
                continue;
            }
            let Ok(apex) = Name::from_ascii(&cut.delegation.zone) else {
                continue;
            };
            let said = join_all(cut.servers.iter().map(|(ns, address)| {
                ask_server(
                    walker,
                    ns,
                    *address,
                    &apex,
                    &fresh,
                    patience,
                    trust.as_ref(),
                )
            }))
            .await;
            for (server, answers) in zone.servers.iter_mut().zip(said) {
                server.extend(answers);
            }
        }
        next = onward_names(&seen, &asked);
        // Servers that point each query somewhere new would make this walk without end: the
        // targets beyond the budget are not asked, and the lookups reaching them fail.
        next.truncate(MOST_ALIAS_TARGETS.saturating_sub(asked.len() - climb.len()));
    }
    Ok(seen)
}

/// With `--dnssec`: what a resolver may hold for `cut`'s zone, which every server's answers
/// are judged under; the servers whose keys are not known (each `true`: no reply to the
/// question); or why the chain down to the zone is broken. A resolver holds the DNSKEY RRset
/// of whichever server it asked, and asks another when a set does not validate: so every set
/// a server serves that validates may be held, and the resolver's own copy too, and an
/// answer is as secure as under the weakest (`key_sets_held`). When no set the servers serve
/// validates, the chain is broken, whatever a resolver still holds; the resolver's copy
/// stands alone only when no server replied. A walk that could not be had leaves the
/// servers' signatures judged by their dates, as without `--dnssec`.
async fn zone_trust(
    walker: &Walker,
    validation: Option<(&Validator, &Transport)>,
    cut: &ZoneCut,
    patience: Duration,
    now: u32,
) -> (Option<ZoneTrust>, Vec<bool>, Option<Bogus>) {
    let all_known = vec![false; cut.servers.len()];
    let Some((validator, transport)) = validation else {
        return (None, all_known, None);
    };
    let Ok(apex) = Name::from_ascii(&cut.delegation.zone) else {
        return (None, all_known, None);
    };
    let held = |held: Vec<Trust>| Some(ZoneTrust { held, now });
    let resolvers = validator.trust_for(transport, &apex).await;
    let at_apex = match &resolvers {
        Trust::Keys { zone, .. } => *zone == apex,
        Trust::Bogus(bogus) => bogus.zone == apex.to_ascii(),
        Trust::Insecure | Trust::Indeterminate => false,
    };
    if !at_apex {
        return match resolvers {
            Trust::Bogus(bogus) => (None, all_known, Some(bogus)),
            Trust::Indeterminate => (None, all_known, None),
            trust => (held(vec![trust]), all_known, None),
        };
    }
    let own: Vec<Result<Option<Trust>, NoReply>> =
        join_all(cut.servers.iter().map(|(_, address)| async {
            if !walker.may_ask(address.ip()) {
                return Err(NoReply);
            }
            let fetch = async {
                // A server is asked about a bounded number of things at once.
                let _permit = walker.permits(*address).acquire_owned().await;
                server_dnskey(*address, &apex, patience).await
            };
            validator
                .trust_with_server_keys(transport, &apex, *address, fetch)
                .await
        }))
        .await;
    let unknown: Vec<bool> = own.iter().map(Result::is_err).collect();
    let replied: Vec<&Option<Trust>> = own.iter().flatten().collect();
    let served: Vec<&Trust> = replied.iter().copied().flatten().collect();
    // The sets the servers serve that validate, with the resolver's copy among them (a
    // resolver may still hold it); its copy alone when no server replied. When none the
    // servers serve validates, the chain is broken whatever a resolver still holds.
    let served_sets = key_sets_held(served.iter().copied());
    let sets = if replied.is_empty() {
        key_sets_held([&resolvers])
    } else if served_sets.is_empty() {
        served_sets
    } else {
        key_sets_held(served_sets.iter().chain([&resolvers]))
    };
    if !sets.is_empty() {
        return (held(sets), unknown, None);
    }
    let why = served
        .into_iter()
        .chain([&resolvers])
        .find_map(|trust| match trust {
            Trust::Bogus(bogus) => Some(bogus.clone()),
            _ => None,
        });
    (None, unknown, why)
}

/// The zone cut that answers for `name`, or none for a name that is not one.
async fn place(walker: &Walker, name: &str) -> Result<Option<ZoneCut>, WalkFailure> {
    let Ok(asked) = Name::from_ascii(format!("{name}.")) else {
        return Ok(None);
    };
    Ok(walker.cuts(&asked).await?.pop())
}

/// The alias targets some server's used answer pointed to that are not asked yet, each once:
/// a reply no resolver takes (lame, truncated) sends nobody anywhere.
fn onward_names(seen: &[ZoneSeen], asked: &[String]) -> Vec<String> {
    let mut onward: Vec<String> = Vec::new();
    for server in seen.iter().flat_map(|zone| &zone.servers).flatten() {
        if let Some(Step {
            end: StepEnd::AskAt(target),
            ..
        }) = step_of(used_answer(server))
            && !asked.contains(&target)
            && !onward.contains(&target)
        {
            onward.push(target);
        }
    }
    onward
}

/// What one server says about each name; nothing is sent to an address the CA will not
/// query.
async fn ask_server(
    walker: &Walker,
    ns: &str,
    address: SocketAddr,
    apex: &Name,
    names: &[Name],
    patience: Duration,
    zone_trust: Option<&ZoneTrust>,
) -> Vec<ServerAnswers> {
    if !walker.may_ask(address.ip()) {
        let not_asked = ServerAnswers {
            ns: ns.to_owned(),
            address: address.ip(),
            soa: Asked::NotAsked,
            caa_udp: Asked::NotAsked,
            caa_tcp: Asked::NotAsked,
            caa_without_edns: None,
        };
        return vec![not_asked; names.len()];
    }
    let permits = walker.permits(address);
    join_all(names.iter().map(|name| {
        let permits = permits.clone();
        async move {
            // Held for the name's few queries: a server is asked about a bounded number of
            // names at once, however many names of a run it serves.
            let _permit = permits.acquire_owned().await;
            probe(ns, address, apex, name, patience, zone_trust).await
        }
    }))
    .await
}
