//! TLS: fetching the certificate chain a server serves (`probe`, the shell: it judges
//! nothing) and checking a chain against a trust store (`trust`, a pure function).
//!
//! The two are apart on purpose: the probe accepts any certificate so that a chain that would
//! fail verification can still be read and reported, and the verdict on trust is made later,
//! from the bytes alone, at a time the caller chooses.

pub mod probe;
pub mod trust;

pub use probe::{
    DescriptorLimit, HandshakeError, InvalidServerName, ProbeFailure, Prober, ServedChain,
    ServerNameChoice, fetch_chain,
};
pub use rustls::{AlertDescription, CipherSuite, ProtocolVersion};
pub use trust::{TrustAnchors, TrustFailure, TrustName, TrustStoreError, verify_trust};
