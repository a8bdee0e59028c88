//! The certificate core: a bundle about to be uploaded (PEM, with its private key) or a
//! chain a server served, judged by small pure functions named after the rules they
//! implement: RFC 7468 and Twilio's documented upload rules for the framing and the key,
//! RFC 5280 for the chain and validity, RFC 6125 for the names.
//!
//! Nothing here reads files, the network or the clock: the caller passes the bytes and
//! `now`. (ring asks the system for random numbers when it loads an ECDSA key to compare
//! with the leaf: its key-pair type needs them, though nothing is signed.)
//!
//! - `pem`: PEM framing, line by line; `key`: the private key's form and whether it is the
//!   leaf's; `certificate`: one X.509 certificate, parsed.
//! - `chain`: leaf, path, order and leftovers; `validity`: dates and thresholds; `names`:
//!   subject alternative names against the names asked.
//! - `finding`: what the rules find, with stable codes; `diagnosis`: all of it, decided.

mod certificate;
mod chain;
mod diagnosis;
mod finding;
mod key;
mod names;
mod pem;
mod validity;

/// The test PKI, shared with the integration tests and `tls::trust`'s tests, which use other
/// parts of it.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../tests/it/support/pki.rs"]
pub(crate) mod pki;
#[cfg(test)]
pub(crate) mod test_support;

pub use certificate::{Certificate, DistinguishedName};
pub use diagnosis::{
    BundleCertificate, BundleDiagnosis, KeyBlock, ServedDiagnosis, diagnose_bundle, diagnose_served,
};
pub use finding::{Finding, PemFile, Place, Severity, Source, Status};
pub use key::KeyForm;
pub use validity::{Thresholds, parse_rfc3339, rfc3339};
