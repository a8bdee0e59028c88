//! `expiry --nagios`: one status line for every host, as the monitoring-plugin guidelines
//! (Nagios, Icinga, Sensu) want it: `CERTREADY STATE - what | perfdata`. The worst host
//! comes first; the performance data gives each host's days left, with the thresholds as
//! ranges (`30:` alerts below 30), `U` where it could not be read.

use std::fmt::Write;

use crate::cert::{Finding, Severity, Thresholds};
use crate::commands::expiry::{Expiry, ExpiryClass};
use crate::escape::printable;
use crate::exit::PluginState;

use super::bundle::expires_in;
use super::served::names;
use super::words::message;

/// The plugin's one line, without a trailing newline.
pub fn render(expiries: &[Expiry], state: PluginState, thresholds: Thresholds) -> String {
    let mut ranked: Vec<&Expiry> = expiries.iter().collect();
    ranked.sort_by_key(|expiry| std::cmp::Reverse(ExpiryClass::of(expiry).plugin_state()));
    let summary = if ranked.is_empty() {
        "no host checked".to_owned()
    } else {
        ranked
            .iter()
            .map(|expiry| summary(expiry))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let single = expiries.len() == 1;
    let perfdata: Vec<String> = expiries
        .iter()
        .map(|expiry| {
            let label = if single {
                "days_left".to_owned()
            } else {
                format!("'{} days_left'", expiry.endpoint)
            };
            let value = expiry
                .outcome
                .as_ref()
                .ok()
                .and_then(|served| served.diagnosis.leaf_days_left)
                .map_or_else(|| "U".to_owned(), |days| days.to_string());
            format!(
                "{label}={value};{}:;{}:",
                thresholds.warn_days, thresholds.crit_days
            )
        })
        .collect();
    // A `|` in the text would start the performance data early.
    let summary = summary.replace('|', "/");
    format!(
        "CERTREADY {} - {summary} | {}",
        state.label(),
        perfdata.join(" ")
    )
    .trim_end()
    .to_owned()
}

/// One host in a few words: its days left and, when not ok, the first thing wrong.
fn summary(expiry: &Expiry) -> String {
    let served = match &expiry.outcome {
        Ok(served) => served,
        Err(unreached) => {
            return format!("{}: {}", expiry.endpoint, printable(&unreached.to_string()));
        }
    };
    let mut text = match served.diagnosis.leaf_days_left {
        Some(days_left) => format!("{} {}", expiry.endpoint, expires_in(days_left)),
        None => expiry.endpoint.to_string(),
    };
    // The days left are said already; the first thing wrong besides them, worst first.
    let findings: Vec<&Finding> = served
        .diagnosis
        .findings
        .iter()
        .filter(|finding| {
            !matches!(
                finding,
                Finding::LeafExpiresSoon { .. } | Finding::LeafExpiresVerySoon { .. }
            )
        })
        .collect();
    let worst = [Severity::Failure, Severity::Warning]
        .into_iter()
        .find_map(|weight| {
            findings
                .iter()
                .find(|finding| finding.severity() == weight)
                .copied()
        });
    match (worst, &served.trust) {
        (Some(finding), _) => {
            let _ = write!(text, ": {}", message(finding, &names(&served.diagnosis)));
        }
        (None, Err(failure)) => {
            let _ = write!(text, ": does not verify: {failure}");
        }
        (None, Ok(())) => {}
    }
    text
}
