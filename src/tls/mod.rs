//! TLS: checking a served certificate chain against a trust store (`trust`, a pure
//! function).

pub mod trust;

pub use trust::{TrustAnchors, TrustFailure, TrustName, TrustStoreError, verify_trust};
