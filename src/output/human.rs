//! The terminal report: a verdict line per name, and under it the facts that decided it.

use crate::caa::Requester;
use crate::check::Check;

use super::reasons::reasons;

/// The report for one check, without a trailing newline.
pub fn render(check: &Check, requester: &Requester) -> String {
    let mut lines = vec![format!(
        "{}: {}",
        check.name,
        check.evaluation.verdict.as_str()
    )];
    lines.extend(
        reasons(check, requester)
            .into_iter()
            .map(|reason| format!("  {reason}")),
    );
    lines.join("\n")
}
