//! The terminal report. One verdict line per name; under a denied or failed verdict (and, with
//! `--verbose`, an allowed one): what went wrong in plain words, the climb with the deciding
//! lookup marked, the facts that decided, what it means for a managed certificate, and the
//! exact records to change, with the command that tries them first. All DNS data is escaped.

use std::fmt::Write;

use crate::caa::Check;
use crate::caa::Requester;
use crate::caa::answers::{Answer, Lookup};
use crate::caa::diagnosis::Diagnosis;
use crate::caa::finding::Finding;
use crate::caa::fix::{Change, names_the_ca};
use crate::caa::sources::Consistency;
use crate::caa::tags::Property;
use crate::caa::verdict::{Basis, Verdict};
use crate::caa::zone::zone_line;
use crate::escape::quoted;

use super::advice::{advice, ca_answer};
use super::reasons::{alias_chain, method_list, reasons, record_text};
use super::sources::{difference, likely, table};
use crate::render::style::Palette;
use crate::render::{Detail, HumanStyle};

/// Outside the CAA function, but why an allowed name can still fail to renew (rulebook,
/// "Outside the CAA function").
const RECHECKS: &str = "The CA checks CAA again when it finalises an order whose validation is more than about 7 hours old, and from several network perspectives: a record added or broken in between, or seen differently from different places, can still fail a renewal that this check allows.";

/// Records shown per lookup; `--json` lists them all.
const RECORDS_SHOWN: usize = 10;

/// The report for one check, without a trailing newline.
pub fn render(diagnosis: &Diagnosis, requester: &Requester, style: HumanStyle) -> String {
    let check = &diagnosis.check;
    let palette = Palette::new(style.color);
    let verdict = diagnosis.verdict();
    let mut out = format!("{}: {}", check.name, palette.verdict(verdict));
    if check.is_hypothetical() {
        out.push_str(" (hypothetical)");
    }
    // `--source` shows what is wrong with a server even when the others let every
    // perspective allow: it is what fails the renewal once they change.
    let servers_at_fault = matches!(&diagnosis.sources, Some(Ok(view)) if view.has_findings());
    let detailed = match style.detail {
        Detail::Quiet => false,
        Detail::Normal => verdict != Verdict::Allowed || servers_at_fault,
        Detail::Verbose => true,
    };
    if !detailed {
        return out;
    }
    let changes = &diagnosis.changes;
    let resolver_verdict = check.evaluation.verdict;
    if verdict == resolver_verdict {
        let _ = write!(out, "\n  {}", headline(check, requester));
    } else {
        // --source: the servers asked directly do not all say what the resolver said.
        let reached_by = match &diagnosis.sources {
            Some(Ok(view)) if view.consistency == Consistency::Consistent => "every one",
            _ => "some",
        };
        let _ = write!(
            out,
            "\n  Through the resolver this name is {}; asked directly, its authoritative servers lead {reached_by} of the CA's perspectives to {}.",
            resolver_verdict.as_str(),
            verdict.as_str()
        );
    }
    for assumption in &check.assumed {
        let _ = write!(
            out,
            "\n  assuming {}: {}",
            assumption.state(),
            zone_line(&assumption.owner, &assumption.record)
        );
    }
    if !check.lookups.is_empty() {
        section(
            &mut out,
            &palette,
            "climb (all names asked at once, as the CA does)",
        );
        for line in climb_lines(check, &palette) {
            let _ = write!(out, "\n    {line}");
        }
    }
    match &diagnosis.sources {
        Some(Ok(view)) => {
            section(
                &mut out,
                &palette,
                "sources (every authoritative server, asked directly from the root)",
            );
            for line in table(view) {
                let _ = write!(out, "\n    {line}");
            }
            let _ = write!(out, "\n    the CA: {}", likely(view));
            if let Some(difference) = difference(view) {
                let _ = write!(out, "\n    the difference: {difference}");
            }
        }
        Some(Err(error)) => {
            section(&mut out, &palette, "sources");
            let _ = write!(out, "\n    could not walk from the root: {error}");
        }
        None => {}
    }
    // The reasons are the resolver's lookups': said so when the servers lead elsewhere.
    let why = if verdict == resolver_verdict {
        "why"
    } else {
        "why, through the resolver"
    };
    section(&mut out, &palette, why);
    for reason in reasons(check, requester) {
        let _ = write!(out, "\n    {reason}");
    }
    if let Some(answer) = &diagnosis.ca_answer {
        section(&mut out, &palette, "what this means");
        let _ = write!(out, "\n    {}", ca_answer(answer));
    }
    let mut advice = advice(diagnosis, requester);
    if verdict == Verdict::Allowed {
        advice.push(RECHECKS.to_owned());
    }
    if !changes.is_empty() {
        section(&mut out, &palette, "fix");
        for line in change_lines(changes) {
            let _ = write!(out, "\n    {}", palette.code(&line));
        }
    }
    if !advice.is_empty() {
        let heading = if verdict == Verdict::Error {
            "likely cause"
        } else {
            "note"
        };
        section(&mut out, &palette, heading);
        for sentence in advice {
            let _ = write!(out, "\n    {sentence}");
        }
    }
    if !changes.is_empty() {
        section(&mut out, &palette, "try it before changing DNS");
        let _ = write!(
            out,
            "\n    {}",
            palette.code(&what_if_command(check, requester, changes))
        );
    }
    // A blank line after a detailed report sets it apart from the next name's.
    out.push('\n');
    out
}

/// An input line that is not a name: its number, the line (escaped) and why.
fn section(out: &mut String, palette: &Palette, heading: &str) {
    let _ = write!(out, "\n\n  {}", palette.strong(heading));
}

/// The verdict in one plain sentence, naming the record or lookup that decided it.
fn headline(check: &Check, requester: &Requester) -> String {
    let ca = requester.ca_name();
    let relevant = check.relevant_lookup();
    let owner = relevant.map_or("", |lookup| lookup.name.as_str());
    match &check.evaluation.basis {
        Basis::NamePolicy(_) => format!(
            "{ca} refuses {} outright, whatever its CAA records say.",
            check.name
        ),
        Basis::NoCaaRecords => {
            format!(
                "No CAA records anywhere above {}: any CA may issue.",
                check.name
            )
        }
        Basis::LookupFailed(index) => {
            let lookup = &check.lookups[*index];
            match &lookup.answer {
                Answer::Failed(failure) if failure.kind.is_local() => format!(
                    "The CAA lookup for {} could not be completed from here ({}), so whether {ca} may issue is not known.",
                    lookup.name,
                    failure.kind.name()
                ),
                Answer::Failed(failure) => format!(
                    "The CAA lookup for {} failed ({}), so {ca} cannot see whether it may issue.",
                    lookup.name,
                    failure.kind.name()
                ),
                _ => format!("The TLD {} does not exist.", lookup.name),
            }
        }
        Basis::CriticalUnknownTags(_) => format!(
            "{owner} has a CAA record flagged critical with a tag {ca} does not know, so {ca} refuses to issue."
        ),
        Basis::NoIssuanceRecords(_) => {
            format!("The CAA records at {owner} do not restrict which CA may issue.")
        }
        Basis::Assessed { .. } if check.evaluation.verdict == Verdict::Allowed => {
            format!("{owner} lets {ca} issue.")
        }
        Basis::Assessed {
            assessments,
            property,
        } => {
            let findings: Vec<&Finding> = assessments.iter().map(|a| &a.finding).collect();
            denial_headline(owner, &findings, *property, requester)
        }
    }
}

/// A denial in plain words: the finding closest to authorising the CA speaks first.
fn denial_headline(
    owner: &str,
    findings: &[&Finding],
    property: Property,
    requester: &Requester,
) -> String {
    let ca = requester.ca_name();
    let what = if property == Property::IssueWild {
        " wildcard certificates (issuewild)"
    } else {
        ""
    };
    for finding in findings {
        let sentence = match finding {
            Finding::AccountRestricted { accounturi } | Finding::OtherAccount { accounturi } => {
                format!(
                    "{owner} lets {ca} issue only to the ACME account {}.",
                    quoted(accounturi.as_bytes())
                )
            }
            Finding::MethodNotAdmitted { admitted, usable } => format!(
                "{owner} lets {ca} validate only with {}; {} is needed.",
                if admitted.methods.is_empty() {
                    "no method".to_owned()
                } else {
                    method_list(&admitted.methods, " or ")
                },
                method_list(usable, " or ")
            ),
            Finding::AccountUriRepeated | Finding::MethodsRepeated => format!(
                "The record for {ca} at {owner} repeats a parameter, so it can never match."
            ),
            Finding::Malformed(malformed) => {
                format!("A record at {owner} is malformed ({malformed}), so it authorises no CA.")
            }
            _ => continue,
        };
        return sentence;
    }
    let issuers: Vec<&Vec<u8>> = findings
        .iter()
        .filter_map(|finding| match finding {
            Finding::OtherIssuer(issuer) => Some(issuer),
            _ => None,
        })
        .collect();
    if let Some(near) = issuers
        .iter()
        .find(|issuer| names_the_ca(issuer, &requester.ca))
    {
        return format!(
            "{owner} names {}, but {ca} is written exactly {}.",
            quoted(near),
            quoted(requester.ca.as_bytes())
        );
    }
    if issuers.is_empty() {
        return format!("{owner} forbids{what} issuance by every CA.");
    }
    let listed: Vec<String> = issuers.iter().map(|issuer| quoted(issuer)).collect();
    format!(
        "{owner} allows only {} to issue{what}; {ca} is not listed.",
        listed.join(" and ")
    )
}

/// One line per name asked, aligned, the deciding one marked; aliases and records under it.
fn climb_lines(check: &Check, palette: &Palette) -> Vec<String> {
    let name_width = check
        .lookups
        .iter()
        .map(|l| l.name.len())
        .max()
        .unwrap_or(0);
    let outcome_width = check
        .lookups
        .iter()
        .map(|l| l.outcome().len())
        .max()
        .unwrap_or(0);
    let deciding = match check.evaluation.basis {
        Basis::LookupFailed(index) => Some((index, "<- this failure decides")),
        _ => check
            .evaluation
            .relevant
            .map(|index| (index, "<- relevant RRset")),
    };
    let indent = " ".repeat(name_width + outcome_width + 4);
    let mut lines = Vec::new();
    for (index, lookup) in check.lookups.iter().enumerate() {
        let mut details = lookup_details(lookup).into_iter();
        let first = details.next().unwrap_or_default();
        let mut line = format!(
            "{:name_width$}  {:outcome_width$}  {first}",
            lookup.name,
            lookup.outcome()
        )
        .trim_end()
        .to_owned();
        match deciding {
            Some((decides, marker)) if decides == index => {
                let _ = write!(line, "  {}", palette.strong(marker));
            }
            Some((decides, _)) if index > decides => line = palette.faint(&line),
            _ => {}
        }
        lines.push(line);
        lines.extend(details.map(|detail| format!("{indent}{detail}")));
    }
    lines
}

/// What to show of a lookup beside its outcome: the failure, the alias chain, the records.
fn lookup_details(lookup: &Lookup) -> Vec<String> {
    let mut details = Vec::new();
    if let Some(security) = &lookup.dnssec {
        details.push(format!("dnssec {}", security.as_str()));
    }
    if let Answer::Failed(failure) = &lookup.answer {
        details.push(failure.detail.clone());
    }
    if !lookup.aliases.is_empty() {
        details.push(format!("via {}", alias_chain(lookup)));
    }
    if !lookup.other_owners.is_empty() {
        details.push(format!(
            "records owned by {}, not {} (a server error; the CA counts them all the same)",
            lookup.other_owners.join(", "),
            lookup.records_owner()
        ));
    }
    let records = lookup.records();
    details.extend(records.iter().take(RECORDS_SHOWN).map(record_text));
    if records.len() > RECORDS_SHOWN {
        details.push(format!(
            "... and {} more (--json lists them all)",
            records.len() - RECORDS_SHOWN
        ));
    }
    details
}

/// The changes in zone-file syntax: `add`, `remove`, `replace` ... `with`.
pub fn change_lines(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .flat_map(|change| match change {
            Change::Add { owner, record } => vec![format!("add      {}", zone_line(owner, record))],
            Change::Remove { owner, record } => {
                vec![format!("remove   {}", zone_line(owner, record))]
            }
            Change::Replace { owner, old, new } => vec![
                format!("replace  {}", zone_line(owner, old)),
                format!("with     {}", zone_line(owner, new)),
            ],
        })
        .collect()
}

/// The command that checks the changes before they are made.
fn what_if_command(check: &Check, requester: &Requester, changes: &[Change]) -> String {
    let mut command = format!("certready check {}", shell_quote(&check.name.to_string()));
    if !requester.is_lets_encrypt() {
        let _ = write!(command, " --ca {}", shell_quote(&requester.ca));
    }
    if let Some(account) = &requester.account_uri {
        let _ = write!(command, " --account-uri {}", shell_quote(account));
    }
    if let Some(method) = requester.method {
        let _ = write!(command, " --method {method}");
    }
    if !requester.name_policy {
        command.push_str(" --no-name-policy");
    }
    for assumption in changes.iter().flat_map(Change::assumptions) {
        let _ = write!(
            command,
            " {} {}",
            assumption.flag(),
            shell_quote(&zone_line(&assumption.owner, &assumption.record))
        );
    }
    command
}

/// Single-quoted for a POSIX shell when anything but safe characters appears.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_.:/@=+,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_zone_lines_whole() {
        assert_eq!(shell_quote("example.com"), "example.com");
        assert_eq!(shell_quote("*.example.com"), "'*.example.com'");
        assert_eq!(
            shell_quote("a. IN CAA 0 issue \"Let's Encrypt\""),
            r#"'a. IN CAA 0 issue "Let'\''s Encrypt"'"#
        );
    }
}
