//! `expiry --nagios`: one status line for every host, as the monitoring-plugin guidelines
//! (Nagios, Icinga, Sensu) want it: `CERTREADY STATE - what | perfdata`. The worst host
//! comes first; the performance data gives each host's days left, with the thresholds as
//! ranges (`30:` alerts below 30), `U` where it could not be read.
//!
//! Each host is worded as it finishes (`entry`), so a run over many hosts keeps a line of
//! text per host rather than its whole chain; `render` lays the entries out at the end.

use std::fmt::Write;

use crate::cert::{Finding, Severity, Source, Thresholds};
use crate::commands::expiry::Expiry;
use crate::escape::printable;
use crate::exit::PluginState;

use super::bundle::expires_in;
use super::served::names;
use super::words::message;

/// One host, or one input line that is not a host, as the plugin line says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginEntry {
    pub state: PluginState,
    /// `host:port`, the performance data's label; none for an invalid input line.
    pub endpoint: Option<String>,
    pub days_left: Option<i64>,
    /// A few words: the days left and the first thing wrong.
    pub summary: String,
}

/// A host in a few words: its days left and, when not ok, the first thing wrong.
pub fn entry(expiry: &Expiry) -> PluginEntry {
    let endpoint = expiry.endpoint.to_string();
    let state = expiry.class.plugin_state();
    let served = match &expiry.outcome {
        Ok(served) => served,
        Err(unreached) => {
            return PluginEntry {
                state,
                summary: format!("{endpoint}: {}", printable(&unreached.to_string())),
                endpoint: Some(endpoint),
                days_left: None,
            };
        }
    };
    let days_left = served.diagnosis.leaf_days_left;
    let mut summary = match days_left {
        Some(days) => format!("{endpoint} {}", expires_in(days)),
        None => endpoint.clone(),
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
                .find(|finding| finding.severity(Source::Served) == weight)
                .copied()
        });
    match (worst, &served.trust) {
        (Some(finding), _) => {
            let _ = write!(summary, ": {}", message(finding, &names(&served.diagnosis)));
        }
        (None, Err(failure)) => {
            let _ = write!(summary, ": does not verify: {failure}");
        }
        (None, Ok(())) => {}
    }
    PluginEntry {
        state,
        endpoint: Some(endpoint),
        days_left,
        summary,
    }
}

/// An `--input` line that is not a host: unknown, named by its line.
pub fn invalid_entry(line: u64, input: &str, reason: &str) -> PluginEntry {
    PluginEntry {
        state: PluginState::Unknown,
        endpoint: None,
        days_left: None,
        summary: format!("line {line} {:?} is not a host: {reason}", printable(input)),
    }
}

/// The plugin's line when the run cannot start (bad usage, an unreadable --ca-file): UNKNOWN,
/// with the reason.
pub fn cannot_run(reason: &str) -> String {
    format!("CERTREADY UNKNOWN - {}", reason.replace('|', "/"))
}

/// The plugin's one line, without a trailing newline: `state` first, then every entry, the
/// worst first.
pub fn render(entries: &[PluginEntry], state: PluginState, thresholds: Thresholds) -> String {
    let mut ranked: Vec<&PluginEntry> = entries.iter().collect();
    ranked.sort_by(|a, b| {
        b.state
            .cmp(&a.state)
            .then_with(|| a.summary.cmp(&b.summary))
    });
    let summary = if ranked.is_empty() {
        "no host checked".to_owned()
    } else {
        ranked
            .iter()
            .map(|entry| entry.summary.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let hosts: Vec<&&PluginEntry> = ranked
        .iter()
        .filter(|entry| entry.endpoint.is_some())
        .collect();
    let single = hosts.len() == 1;
    let perfdata: Vec<String> = hosts
        .iter()
        .map(|entry| {
            let label = match (&entry.endpoint, single) {
                (Some(endpoint), false) => format!("'{endpoint} days_left'"),
                _ => "days_left".to_owned(),
            };
            let value = entry
                .days_left
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

#[cfg(test)]
mod tests {
    use super::*;

    fn host(state: PluginState, endpoint: &str, days_left: Option<i64>) -> PluginEntry {
        PluginEntry {
            state,
            endpoint: Some(endpoint.to_owned()),
            days_left,
            summary: format!("{endpoint} says | so"),
        }
    }

    #[test]
    fn the_worst_host_comes_first_and_every_host_has_its_days_left() {
        let entries = [
            host(PluginState::Ok, "a.example:443", Some(60)),
            host(PluginState::Critical, "b.example:443", Some(3)),
            host(PluginState::Unknown, "c.example:443", None),
            invalid_entry(4, "x y", "a space"),
        ];
        assert_eq!(
            render(&entries, PluginState::Critical, Thresholds::default()),
            "CERTREADY CRITICAL - b.example:443 says / so; c.example:443 says / so; line 4 \"x y\" is not a host: a space; a.example:443 says / so | 'b.example:443 days_left'=3;30:;7: 'c.example:443 days_left'=U;30:;7: 'a.example:443 days_left'=60;30:;7:"
        );
    }

    #[test]
    fn one_host_is_labelled_days_left_alone() {
        let entries = [host(PluginState::Ok, "a.example:443", Some(60))];
        assert_eq!(
            render(&entries, PluginState::Ok, Thresholds::default()),
            "CERTREADY OK - a.example:443 says / so | days_left=60;30:;7:"
        );
        assert_eq!(
            cannot_run("invalid host \"a|b\""),
            "CERTREADY UNKNOWN - invalid host \"a/b\""
        );
    }
}
