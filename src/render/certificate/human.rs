//! The parts of the human certificate reports that `bundle` and `expiry` share: a
//! certificate in a line, and the findings with their marks and the commands that fix them.

use std::fmt::Write;

use crate::cert::{Certificate, Finding, Severity, rfc3339};
use crate::escape::printable;
use crate::render::style::{Palette, Tone};

use super::words::{Names, command, message, shell_line, short_name};

/// One certificate in a line: its subject, its issuer, and until when it is valid.
pub fn certificate_line(certificate: &Certificate) -> String {
    let issuer = certificate
        .issuer
        .common_name
        .as_deref()
        .unwrap_or(&certificate.issuer.text);
    let role = if certificate.self_issued() {
        "self-issued".to_owned()
    } else {
        format!("issued by {}", printable(issuer))
    };
    format!(
        "{}, {role}, valid until {}",
        short_name(certificate),
        rfc3339(certificate.not_after)
    )
}

/// The names a certificate is valid for, as it lists them.
pub fn subject_alt_names(certificate: &Certificate) -> String {
    let names: Vec<String> = certificate
        .dns_names
        .iter()
        .map(|name| printable(name))
        .chain(certificate.ip_addresses.iter().map(ToString::to_string))
        .collect();
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

/// Each finding on a line of its own, marked by its weight, with its fix command under it.
pub fn findings(out: &mut String, found: &[Finding], names: &Names, palette: &Palette) {
    for finding in found {
        let (mark, tone) = match finding.severity(names.source) {
            Severity::Failure => ("✗", Tone::Bad),
            Severity::Warning => ("!", Tone::Warning),
            Severity::Info => ("i", Tone::Faint),
        };
        let _ = write!(
            out,
            "\n  {} {}: {}",
            palette.tone(mark, tone),
            finding.code(),
            message(finding, names)
        );
        if let Some(argv) = command(finding, names) {
            let _ = write!(out, "\n      {}", palette.code(&shell_line(&argv)));
        }
    }
}
