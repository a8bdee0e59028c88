//! The DNS side of the imperative shell: it asks, and turns replies into `answers::Lookup`
//! values for the rules to judge. It decides nothing about issuance.
//!
//! Why our own small client rather than hickory-resolver's `lookup()`: the resolver drops a
//! whole answer when one CAA tag fails to decode (over TCP it even reports a timeout), reports
//! a CNAME loop as NODATA, and hides the per-query outcome a report must show. So we speak
//! DNS with hickory-proto's message types (re-exported by hickory-resolver) and read replies
//! leniently (`wire`); hickory-resolver still reads the system's resolver configuration.
//!
//! - `wire`: the query we send and the lenient reading of replies.
//! - `transport`: one question, one reply: UDP, TCP on truncation, timeouts, retries, the
//!   run's limits on queries in flight and their rate.
//! - `udp`: the few UDP sockets per server that a run's queries share.
//! - `window`: how many queries may be in flight, narrowed when a server drops them.
//! - `resolver`: each distinct question asked once per run, replies shared.
//! - `lookup`: one name's lookup: alias chains, loops, outcomes.
//! - `addresses`: host names to addresses, for `expiry`.
//! - `roots`: the root servers a walk from the root starts at (IANA's hints, or a file);
//!   `authority`: one question to one authoritative server, RD=0, 0x20, EDNS or not, UDP or
//!   TCP; `delegation`: the walk from the root; `source`: every server of every zone of a
//!   climb asked (`check --source`, `wait`).
//! - `validation`: what DNSSEC validation of a lookup needs, asked with DO and CD
//!   (`check --dnssec`).

pub mod addresses;
pub mod authority;
pub mod delegation;
pub mod lookup;
pub mod resolver;
pub mod roots;
pub mod source;
#[cfg(test)]
mod test_replies;
pub mod transport;
pub mod udp;
pub mod validation;
pub mod window;
pub mod wire;

use std::net::SocketAddr;

use futures::future::join_all;
use tokio::time::{Instant, timeout_at};

use crate::caa::answers::{Answer, Failure, FailureKind, Lookup};
pub use resolver::Resolver;
pub use transport::Transport;

/// Rule 4: all names of a climb are asked at once, as the CA does, so a long name costs about
/// one round trip. Results come back in climb order. A lookup still unanswered at `deadline`
/// is a timeout: one slow server never holds a name, or a run, for long.
pub async fn lookup_climb(resolver: &Resolver, names: &[String], deadline: Instant) -> Vec<Lookup> {
    let mut done: Vec<Option<Lookup>> = vec![None; names.len()];
    let lookups = names
        .iter()
        .zip(done.iter_mut())
        .map(|(name, slot)| async move {
            *slot = Some(lookup::lookup_caa(resolver, name).await);
        });
    // One timer for the whole climb; what finished by then stays.
    let _ = timeout_at(deadline, join_all(lookups)).await;
    names
        .iter()
        .zip(done)
        .map(|(name, lookup)| {
            lookup.unwrap_or_else(|| {
                let failure = Failure::new(
                    FailureKind::Timeout,
                    "no answer before the name's deadline (--deadline)",
                );
                Lookup::new(name.clone(), Answer::Failed(failure))
            })
        })
        .collect()
}

/// The resolvers of `/etc/resolv.conf` (or the platform's equivalent), with their ports.
pub fn system_nameservers() -> Result<Vec<SocketAddr>, String> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf()
        .map_err(|error| format!("cannot read the system resolver configuration: {error}"))?;
    let mut servers: Vec<SocketAddr> = Vec::new();
    for server in config.name_servers() {
        let port = server.connections.first().map_or(53, |c| c.port);
        let address = SocketAddr::new(server.ip, port);
        if !servers.contains(&address) {
            servers.push(address);
        }
    }
    if servers.is_empty() {
        return Err("the system resolver configuration lists no nameserver".into());
    }
    Ok(servers)
}
