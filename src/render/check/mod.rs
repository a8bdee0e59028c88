//! The CAA report of `check`: one diagnosed name, for people (`human`) or scripts (`json`, a
//! documented contract).
//!
//! - `reasons`: the facts that decided; `advice`: what to do; both shared by the two reports.
//! - `sources`: `--source`'s table per zone and its JSON.

pub mod advice;
pub mod human;
pub mod json;
pub mod reasons;
pub mod sources;

use crate::caa::{Diagnosis, Requester};

use super::Format;

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
