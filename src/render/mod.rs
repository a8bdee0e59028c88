//! Rendering checks for people and for scripts. Rendering decides nothing: it shows a `Check`
//! and, where the report has room for them, the fixes `fix::plan` makes for it.
//!
//! - `json`: the JSON Lines report, a documented contract.
//! - `human`: the terminal report; `style`: its colours.
//! - `reasons`: the facts that decided, `advice`: what to do; both shared by the two reports.

pub mod advice;
pub mod human;
pub mod json;
pub mod reasons;
pub mod style;

use crate::caa::Diagnosis;
use crate::caa::Requester;

/// How reports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human(HumanStyle),
    Json,
}

/// How the human report looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanStyle {
    pub color: bool,
    pub detail: Detail,
}

/// How much the human report says under each verdict line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// The verdict line only.
    Quiet,
    /// Details for denied and failed names.
    Normal,
    /// Details for every name.
    Verbose,
}

/// The report for one diagnosed name, without a trailing newline.
pub fn render_check(
    diagnosis: &Diagnosis,
    line: Option<u64>,
    requester: &Requester,
    format: Format,
) -> String {
    match format {
        Format::Human(style) => human::render(diagnosis, requester, style),
        Format::Json => json::render(diagnosis, line, requester),
    }
}

/// The report for an input line that is not a valid entry: its number, the line (escaped)
/// and why.
pub fn render_invalid(line: u64, input: &str, reason: &str, format: Format) -> String {
    match format {
        Format::Human(_) => human::render_invalid(line, input, reason),
        Format::Json => json::render_invalid(line, input, reason),
    }
}
