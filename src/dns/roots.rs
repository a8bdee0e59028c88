//! Where a walk from the root starts: the root servers' names and addresses, from IANA's root
//! hints (`named.root`, built in) or from a file in the same zone-file form (`--root-hints`,
//! for other roots: a test universe, a private root). The file is read by hickory's zone-file
//! parser; what it must hold is the root's NS records and an address for at least one of them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::proto::serialize::txt::Parser;

/// IANA's root hints (https://www.internic.net/domain/named.root, last changed 2023-11-27 for
/// b.root-servers.net's new addresses), the A and AAAA records of the 13 root servers.
const IANA_ROOT_HINTS: &str = include_str!("named.root");

/// One root server: its name and addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootServer {
    pub name: String,
    pub addresses: Vec<IpAddr>,
}

/// Why root hints cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RootHintsError {
    #[error("not zone-file text: {0}")]
    Syntax(String),
    #[error("no NS records for the root (.)")]
    NoRootServers,
    #[error("no A or AAAA record for any root server")]
    NoAddresses,
}

/// IANA's root servers.
pub fn iana_root_servers() -> Vec<RootServer> {
    // The built-in text is tested to parse; an error here could only be a broken build.
    read_root_hints(IANA_ROOT_HINTS).unwrap_or_default()
}

/// The root servers a root hints file names, each with the addresses it gives; servers with
/// no address are left out (as a resolver priming from hints leaves them).
pub fn read_root_hints(text: &str) -> Result<Vec<RootServer>, RootHintsError> {
    let (_, records) = Parser::new(text, None, Some(Name::root()))
        .parse()
        .map_err(|error| RootHintsError::Syntax(error.to_string()))?;
    let mut servers: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    for (key, set) in &records {
        for record in set.records_without_rrsigs() {
            match (key.record_type, &record.data) {
                (RecordType::NS, RData::NS(ns)) if key.name.is_root() => {
                    servers.entry(lowercase(&ns.0)).or_default();
                }
                _ => {}
            }
        }
    }
    if servers.is_empty() {
        return Err(RootHintsError::NoRootServers);
    }
    for (key, set) in &records {
        let owner = lowercase(&Name::from(key.name.clone()));
        let Some(addresses) = servers.get_mut(&owner) else {
            continue;
        };
        for record in set.records_without_rrsigs() {
            match &record.data {
                RData::A(address) => addresses.push(IpAddr::V4(address.0)),
                RData::AAAA(address) => addresses.push(IpAddr::V6(address.0)),
                _ => {}
            }
        }
    }
    let found: Vec<RootServer> = servers
        .into_iter()
        .filter(|(_, addresses)| !addresses.is_empty())
        .map(|(name, mut addresses)| {
            addresses.sort();
            RootServer { name, addresses }
        })
        .collect();
    if found.is_empty() {
        return Err(RootHintsError::NoAddresses);
    }
    Ok(found)
}

/// A name as text: lowercase, with its trailing dot.
fn lowercase(name: &Name) -> String {
    name.to_lowercase().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_hints_are_iana_s_thirteen_root_servers() {
        let servers = iana_root_servers();
        assert_eq!(servers.len(), 13);
        assert!(servers.iter().all(|server| server.addresses.len() == 2));
        let a = &servers[0];
        assert_eq!(a.name, "a.root-servers.net.");
        assert_eq!(
            a.addresses,
            [
                "198.41.0.4".parse::<IpAddr>().unwrap(),
                "2001:503:ba3e::2:30".parse().unwrap()
            ]
        );
    }

    #[test]
    fn other_roots_are_read_from_the_same_form() {
        let hints = "\
; a test root on loopback
.                        3600000  NS  ns1.root.test.
.                        3600000  NS  ns2.root.test.
.                        3600000  NS  nowhere.root.test.
ns1.root.test.           3600000  A   127.0.0.53
ns2.root.test.           3600000  AAAA ::1
";
        let servers = read_root_hints(hints).unwrap();
        let names: Vec<&str> = servers.iter().map(|server| server.name.as_str()).collect();
        assert_eq!(names, ["ns1.root.test.", "ns2.root.test."]);
    }

    #[test]
    fn hints_without_root_servers_or_addresses_say_so() {
        assert_eq!(
            read_root_hints("example. 300 A 192.0.2.1\n"),
            Err(RootHintsError::NoRootServers)
        );
        assert_eq!(
            read_root_hints(". 300 NS ns.example.\n"),
            Err(RootHintsError::NoAddresses)
        );
        assert!(matches!(
            read_root_hints(". 300 NS\n"),
            Err(RootHintsError::Syntax(_))
        ));
    }
}
