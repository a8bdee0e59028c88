//! The DNSSEC core (issue 11): validation as the CA's resolver does it, as small pure rules
//! over records already fetched, each citing the RFC 4035 rule it implements. Signatures and
//! digests are checked by hickory-proto's implementation (ring), never by hand-written crypto.
//!
//! - `security`: what validation concluded (secure, insecure, bogus, indeterminate) and why.
//! - `signatures`: whether an RRSIG is for an RRset and in force, and whether an RRset verifies.
//! - `keys`: a zone's DNSKEY RRset, trusted through its parent's DS or a trust anchor.
//! - `denial`: whether NSEC or NSEC3 records prove a name or a type absent.
//! - `chain`: the chain of trust from an anchor down the zone cuts, and an answer's security.
//! - `anchors`: IANA's root keys built in, or a trust-anchor file's DS and DNSKEY records.

pub mod anchors;
pub mod chain;
pub mod denial;
pub mod keys;
pub mod security;
pub mod signatures;
#[cfg(test)]
mod test_keys;

pub use security::{Bogus, BogusKind, Security};
