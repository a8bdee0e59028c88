//! The CAA core: the rulebook (`caa-rules.md`) as small pure functions, named after the
//! concepts of RFC 8659 and RFC 8657 and after the rules they implement, as Let's Encrypt
//! applies them, and everything built on the verdict.
//!
//! Nothing here does I/O: the verdict is a function of the answers, the name and the
//! requester, so every rule is unit-tested without a network.
//!
//! - `answers`: what DNS said, the input from the DNS shell.
//! - `policy`: names the CA refuses whatever their CAA records say.
//! - `relevant`: which names are asked and which answer decides (rules 4 to 9).
//! - `tags`: property tags and the critical flag (rules 15 to 17).
//! - `verdict`: issue / issuewild selection and the verdict (rules 17 to 21); `finding`: what
//!   one record says about the requester.
//! - `issue_value`: the issue-value grammar and the issuer match (rules 22 to 25).
//! - `requester`: accounturi (rules 26 to 28, 32); `methods`: validationmethods (rules 29 to
//!   31, 33).
//! - `check`: one name judged; `diagnosis`: everything a report shows of it, decided; `assume`: what-if records overlaid on the answers; `fix`: the
//!   smallest change that allows; `zone`: records as zone-file lines.
//! - `perspectives`: what the CA's perspectives likely meet when authoritative servers
//!   disagree, and the chance an issuance passes its quorum; `sources`: what each
//!   authoritative server said and what is wrong with it (both for `check --source`);
//!   `propagation`: whether a change has reached every authoritative server (`wait`).

pub mod answers;
pub mod assume;
pub mod check;
pub mod diagnosis;
pub mod finding;
pub mod fix;
pub mod issue_value;
pub mod methods;
pub mod perspectives;
pub mod policy;
pub mod propagation;
pub mod relevant;
pub mod requester;
pub mod sources;
pub mod tags;
#[cfg(test)]
pub(crate) mod test_support;
pub mod verdict;
pub mod zone;

pub use check::Check;
pub use diagnosis::{Diagnosis, diagnose};
pub use methods::Method;
pub use requester::Requester;
pub use verdict::{Evaluation, Verdict, evaluate};
