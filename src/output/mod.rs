//! Rendering checks for people and for scripts. Rendering decides nothing: it shows a `Check`.
//!
//! - `json`: the JSON Lines report, a documented contract.
//! - `human`: the terminal report.
//! - `reasons`: the sentences both share.

pub mod human;
pub mod json;
pub mod reasons;

use crate::caa::Requester;
use crate::check::Check;

/// How reports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// The report for one check, without a trailing newline.
pub fn render(check: &Check, requester: &Requester, format: Format) -> String {
    match format {
        Format::Human => human::render(check, requester),
        Format::Json => json::render(check, requester),
    }
}
