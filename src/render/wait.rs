//! `wait`'s words: each server's standing as it changes (stderr), and how one name's wait
//! ended, for people or as one JSON object (documented in README.md).

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use crate::caa::Verdict;
use crate::caa::propagation::{Ending, SETTLED_ROUNDS, ServerRound, Standing};
use crate::commands::wait::Waited;
use crate::escape::{json_line, printable};
use crate::name::CheckName;
use crate::render::style::{Palette, Tone};
use crate::render::{Detail, Format};

/// One server's standing: `ns2.example.net. 198.51.100.7 serial 2026112301: still the old
/// records (denied)`.
pub fn progress_line(name: &CheckName, server: &ServerRound, until: Verdict) -> String {
    format!("{name}: {}", server_line(server, until))
}

fn server_line(server: &ServerRound, until: Verdict) -> String {
    let serial = server.serial.map_or_else(
        || "no serial".to_owned(),
        |serial| format!("serial {serial}"),
    );
    format!(
        "{} {} {serial}: {}",
        printable(&server.key.ns),
        server.key.address,
        standing_text(&server.standing, until)
    )
}

fn standing_text(standing: &Standing, until: Verdict) -> String {
    match standing {
        Standing::CaughtUp => format!("caught up, leads to {}", until.as_str()),
        Standing::Behind { serial, baseline } => {
            format!("behind: serial {serial}, while the zone served {baseline} when the wait began")
        }
        Standing::OldRecords { verdict } => {
            format!("still the old records ({})", verdict.as_str())
        }
        Standing::OtherRecords { verdict } => {
            format!("new records, still {}", verdict.as_str())
        }
        Standing::NoAnswer => "no usable answer: the CA passes over it".to_owned(),
        Standing::Unasked => {
            "no route from this machine to its name server: unknown here, the CA asks it".to_owned()
        }
        Standing::Bystander { verdict } => format!(
            "does not decide: another zone makes it {}",
            verdict.as_str()
        ),
    }
}

/// A settled round: `www.example.com: every server leads to allowed (1 of 2 rounds)`.
pub fn settled_line(name: &CheckName, until: Verdict, in_a_row: u32) -> String {
    format!(
        "{name}: every server leads to {} ({} of {SETTLED_ROUNDS} rounds in a row)",
        until.as_str(),
        in_a_row.min(SETTLED_ROUNDS)
    )
}

/// `17s`, `2m5s`, `30m`, `1h`: as durations are typed.
pub fn duration_text(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    for (count, unit) in [(hours, "h"), (minutes, "m"), (seconds, "s")] {
        if count > 0 {
            let _ = write!(text, "{count}{unit}");
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}

/// The report for one name, without a trailing newline.
pub fn render_wait(waited: &Waited, line: Option<u64>, format: Format) -> String {
    match format {
        Format::Json => json_line(&WaitJson::new(waited, line)),
        Format::Human(style) => human(waited, &Palette::new(style.color), style.detail),
    }
}

fn human(waited: &Waited, palette: &Palette, detail: Detail) -> String {
    let name = &waited.name;
    let until = waited.until.as_str();
    let after = duration_text(waited.elapsed);
    let timeout = duration_text(waited.timeout);
    let headline = match (&waited.refused, waited.ending) {
        (Some(reason), _) => format!(
            "{name}: {}: {reason}; no record makes the CA issue for it",
            palette.tone("refused", Tone::Bad)
        ),
        (None, Ending::Settled) => format!(
            "{name}: {} on every authoritative server, {SETTLED_ROUNDS} rounds in a row (after {after})",
            palette.tone(until, Tone::Good)
        ),
        (None, Ending::Elsewhere) => format!(
            "{name}: {} on every server when the {timeout} timeout ran out, not {until}",
            palette.tone(
                waited
                    .last
                    .as_ref()
                    .and_then(|round| round.outcomes.unanimous())
                    .map_or("undetermined", Verdict::as_str),
                Tone::Bad
            )
        ),
        (None, Ending::Unsettled) => format!(
            "{name}: {} when the {timeout} timeout ran out: {}",
            palette.tone("not settled", Tone::Unknown),
            unsettled_reason(waited)
        ),
    };
    let mut out = headline;
    if detail == Detail::Quiet {
        return out;
    }
    if let Some(round) = &waited.last {
        // Those that hold the wait, then those passed over: a wait for "each server" says
        // which it did not wait for.
        let holding = |server: &&ServerRound| server.standing.holds_the_wait();
        let passed_over = |server: &&ServerRound| server.standing == Standing::NoAnswer;
        for server in round
            .servers
            .iter()
            .filter(holding)
            .chain(round.servers.iter().filter(passed_over))
        {
            let _ = write!(out, "\n  {}", server_line(server, waited.until));
        }
    }
    for (_, ns) in waited.last.iter().flat_map(|round| &round.unaddressed) {
        let _ = write!(
            out,
            "\n  {}: no address found from here: unknown, the CA asks it",
            printable(ns)
        );
    }
    if let Some(ttl) = waited.largest_ttl {
        let _ = write!(
            out,
            "\n  public resolvers may still serve the old answer for up to {} (the largest TTL seen); the CA keeps no cache",
            duration_text(Duration::from_secs(u64::from(ttl)))
        );
    }
    out
}

fn unsettled_reason(waited: &Waited) -> String {
    if let Some(failure) = &waited.walk_failure {
        return format!("could not walk from the root: {failure}");
    }
    let Some(round) = &waited.last else {
        return "no round of questions finished in time".to_owned();
    };
    let outcomes = &round.outcomes;
    if outcomes.unanimous().is_some() {
        return format!(
            "every draw leads to {}, but not every server has caught up",
            waited.until.as_str()
        );
    }
    format!(
        "the servers disagree: {:.0}% of draws allow, {:.0}% deny, {:.0}% fail",
        outcomes.allowed * 100.0,
        outcomes.denied * 100.0,
        outcomes.error * 100.0
    )
}

#[derive(Serialize)]
struct WaitJson<'a> {
    name: String,
    line: Option<u64>,
    until: &'static str,
    result: &'static str,
    verdict: Option<&'static str>,
    rounds: u32,
    elapsed_seconds: f64,
    largest_ttl: Option<u32>,
    outcomes: Option<OutcomesJson>,
    servers: Vec<ServerJson>,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct OutcomesJson {
    allowed: f64,
    denied: f64,
    error: f64,
}

#[derive(Serialize)]
struct ServerJson {
    zone: String,
    ns: String,
    address: String,
    serial: Option<u32>,
    standing: &'static str,
    verdict: Option<&'static str>,
}

impl<'a> WaitJson<'a> {
    fn new(waited: &'a Waited, line: Option<u64>) -> WaitJson<'a> {
        let round = waited.last.as_ref();
        WaitJson {
            name: waited.name.to_string(),
            line,
            until: waited.until.as_str(),
            result: match (&waited.refused, waited.ending) {
                (Some(_), _) => "refused",
                (None, Ending::Settled) => "settled",
                (None, Ending::Elsewhere) => "other-verdict",
                (None, Ending::Unsettled) => "unsettled",
            },
            verdict: match &waited.refused {
                Some(_) => Some(Verdict::Refused.as_str()),
                None => round.map(|round| round.outcomes.worst().as_str()),
            },
            rounds: waited.rounds,
            elapsed_seconds: (waited.elapsed.as_secs_f64() * 10.0).round() / 10.0,
            largest_ttl: waited.largest_ttl,
            outcomes: round.map(|round| OutcomesJson {
                allowed: round.outcomes.allowed,
                denied: round.outcomes.denied,
                error: round.outcomes.error,
            }),
            servers: round
                .map(|round| {
                    round
                        .servers
                        .iter()
                        .map(|server| server_json(server, waited.until))
                        .collect()
                })
                .unwrap_or_default(),
            error: waited.refused.as_deref().or(waited.walk_failure.as_deref()),
        }
    }
}

fn server_json(server: &ServerRound, until: Verdict) -> ServerJson {
    ServerJson {
        zone: server.key.zone.clone(),
        ns: server.key.ns.clone(),
        address: server.key.address.to_string(),
        serial: server.serial,
        standing: server.standing.code(),
        verdict: match &server.standing {
            Standing::OldRecords { verdict }
            | Standing::OtherRecords { verdict }
            | Standing::Bystander { verdict } => Some(verdict.as_str()),
            Standing::CaughtUp | Standing::Behind { .. } => Some(until.as_str()),
            Standing::NoAnswer | Standing::Unasked => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_they_are_typed() {
        assert_eq!(duration_text(Duration::from_millis(400)), "0s");
        assert_eq!(duration_text(Duration::from_secs(17)), "17s");
        assert_eq!(duration_text(Duration::from_secs(125)), "2m5s");
        assert_eq!(duration_text(Duration::from_secs(1800)), "30m");
        assert_eq!(duration_text(Duration::from_secs(3600)), "1h");
    }
}
