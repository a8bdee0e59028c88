//! The Link Shortening core: one domain's certificate as Twilio reports it beside what the
//! world shows (the CAA verdict for Let's Encrypt, the certificate actually served), judged
//! into findings with stable codes, the Twilio error each leads to, and a verdict. Pure: the
//! Twilio API, DNS and TLS answers come in, already fetched.
//!
//! - `finding`: what can be wrong, and what each weighs; `diagnosis`: the rules and the verdict.

pub mod diagnosis;
pub mod finding;

pub use diagnosis::{DomainDiagnosis, DomainFacts, ServedFacts, diagnose_domain};
pub use finding::{DomainFinding, DomainVerdict, Remedy, Weight};
