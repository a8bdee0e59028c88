//! Asking the source (issue 10, `check --source`): for every name of the climb, the zone that
//! answers for it (the delegation walk), and what every address of every name server of that
//! zone says about it (`authority::probe`), gathered for the `caa::sources` rules. Each zone
//! is walked once however many names of the climb it holds.

use std::net::SocketAddr;
use std::time::Duration;

use futures::future::join_all;
use hickory_resolver::proto::rr::Name;

use super::authority::probe;
use super::delegation::{WalkFailure, Walker, ZoneCut};
use crate::caa::sources::{Asked, ServerAnswers, ZoneSeen};

/// Walks to each name's zone and asks every server of it about the names it holds.
pub async fn gather(
    walker: &Walker,
    climb: &[String],
    patience: Duration,
) -> Result<Vec<ZoneSeen>, WalkFailure> {
    let mut zones: Vec<(ZoneCut, Vec<String>)> = Vec::new();
    for name in climb {
        let Ok(asked) = Name::from_ascii(format!("{name}.")) else {
            continue;
        };
        let cuts = walker.cuts(&asked).await?;
        let Some(cut) = cuts.last() else {
            continue;
        };
        match zones
            .iter_mut()
            .find(|(known, _)| known.delegation.zone == cut.delegation.zone)
        {
            Some((_, names)) => names.push(name.clone()),
            None => zones.push((cut.clone(), vec![name.clone()])),
        }
    }
    let mut seen = Vec::with_capacity(zones.len());
    for (cut, names) in zones {
        let Ok(apex) = Name::from_ascii(&cut.delegation.zone) else {
            continue;
        };
        let asked: Vec<Name> = names
            .iter()
            .filter_map(|name| Name::from_ascii(format!("{name}.")).ok())
            .collect();
        let servers = join_all(
            cut.servers
                .iter()
                .map(|(ns, address)| ask_server(walker, ns, *address, &apex, &asked, patience)),
        )
        .await;
        seen.push(ZoneSeen {
            delegation: cut.delegation,
            names,
            servers,
        });
    }
    Ok(seen)
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
            probe(ns, address, apex, name, patience).await
        }
    }))
    .await
}
