//! The integration tests, in one test binary (one build of the support module, one link): the
//! real certready binary run against real servers started on loopback inside each test.
//!
//! - `support`: the servers and the ways to run the binary.
//! - `authority_harness`: the universe of authoritative servers (`support/authority.rs`);
//!   `authority`, `delegation`: one question to one server, and the walk from the roots;
//!   `wait`: waiting for a zone change to reach every server; `dnssec`: the DNSSEC core against
//!   zones hickory-server signs (`support/signed.rs`).
//! - `verdicts`, `lookups`, `fixes`, `reports`: `check` against DNS.
//! - `tls_probe`: the TLS shell against loopback TLS servers; `bundle`, `expiry`: the
//!   certificate commands.
//! - `twilio_fake`: the fake Twilio API (`support/twilio.rs`) itself; `twilio`: the Twilio
//!   commands against it.
//! - `cli`, `bulk`, `plumbing`: the command line, audits over many names, and the run as a
//!   hostile user meets it.

mod support;

mod authority;
mod authority_harness;
mod bulk;
mod bundle;
mod cli;
mod delegation;
mod dnssec;
mod expiry;
mod fixes;
mod lookups;
mod plumbing;
mod reports;
mod tls_probe;
mod twilio;
mod twilio_fake;
mod verdicts;
mod wait;
