//! The commands' jobs: each fetches through a shell (DNS, TLS) and hands what it fetched to a
//! core (CAA, certificates) to judge.
//!
//! - `check`: may the CA issue for a name.

pub mod check;
