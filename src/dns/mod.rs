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
//! - `transport`: one question, one reply: UDP, TCP on truncation, timeouts, retries.
//! - `lookup`: one name's lookup: alias chains, loops, outcomes.

pub mod lookup;
pub mod transport;
pub mod wire;

use std::net::SocketAddr;

use futures::future::join_all;

use crate::answers::Lookup;
pub use transport::Transport;

/// Rule 4: all names of a climb are asked at once, as the CA does, so a long name costs about
/// one round trip. Results come back in climb order.
pub async fn lookup_climb(transport: &Transport, names: &[String]) -> Vec<Lookup> {
    join_all(names.iter().map(|name| lookup::lookup_caa(transport, name))).await
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
