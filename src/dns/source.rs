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
use crate::caa::sources::{Asked, ServerAnswers, ZoneAnswers};

/// One zone of the climb: its cut, the names of the climb it answers for, and what each of
/// its servers said about each of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSources {
    pub cut: ZoneCut,
    /// Names of the climb, ASCII, no trailing dot, full name first.
    pub names: Vec<String>,
    /// Per server (in the cut's order), per name (in `names`' order).
    pub servers: Vec<Vec<ServerAnswers>>,
}

impl ZoneSources {
    /// What each server said, as the verdict rules take it: the UDP answer, or the TCP one
    /// when UDP gave none usable (a resolver retries over TCP).
    pub fn answers(&self) -> ZoneAnswers {
        ZoneAnswers {
            names: self.names.clone(),
            servers: self
                .servers
                .iter()
                .map(|said| {
                    said.iter()
                        .map(|server| {
                            if usable(&server.caa_udp) {
                                server.caa_udp.clone()
                            } else {
                                server.caa_tcp.clone()
                            }
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

fn usable(asked: &Asked) -> bool {
    crate::caa::sources::answer_of(asked).is_some()
}

/// Walks to each name's zone and asks every server of it about the names it holds.
pub async fn gather(
    walker: &Walker,
    climb: &[String],
    patience: Duration,
) -> Result<Vec<ZoneSources>, WalkFailure> {
    let mut zones: Vec<ZoneSources> = Vec::new();
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
            .find(|zone| zone.cut.delegation.zone == cut.delegation.zone)
        {
            Some(zone) => zone.names.push(name.clone()),
            None => zones.push(ZoneSources {
                cut: cut.clone(),
                names: vec![name.clone()],
                servers: Vec::new(),
            }),
        }
    }
    for zone in &mut zones {
        let Ok(apex) = Name::from_ascii(&zone.cut.delegation.zone) else {
            continue;
        };
        let names: Vec<Name> = zone
            .names
            .iter()
            .filter_map(|name| Name::from_ascii(format!("{name}.")).ok())
            .collect();
        zone.servers = join_all(
            zone.cut
                .servers
                .iter()
                .map(|(ns, address)| ask_server(walker, ns, *address, &apex, &names, patience)),
        )
        .await;
    }
    Ok(zones)
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
    join_all(
        names
            .iter()
            .map(|name| probe(ns, address, apex, name, patience)),
    )
    .await
}
