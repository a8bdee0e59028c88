//! The CAA rulebook (`caa-rules.md`) as small pure functions, named after the concepts of
//! RFC 8659 and RFC 8657 and after the rules they implement, as Let's Encrypt applies them.
//!
//! Nothing here does I/O: the verdict is a function of the answers (`crate::answers`), the
//! name and the requester, so every rule is unit-tested without a network.
//!
//! - `relevant`: which names are asked and which answer decides (rules 4 to 9).
//! - `tags`: property tags and the critical flag (rules 15 to 17).
//! - `verdict`: issue / issuewild selection and the verdict (rules 17 to 21).
//! - `issue_value`: the issue-value grammar and the issuer match (rules 22 to 25).
//! - `requester`: accounturi and validationmethods (rules 26 to 33).

pub mod issue_value;
pub mod relevant;
pub mod requester;
pub mod tags;
pub mod verdict;

pub use requester::{Method, Requester};
pub use verdict::{Evaluation, Verdict, evaluate};
