//! `check --source`'s part of the report: each zone's servers, what each answered, its serial
//! and its findings, and what the CA's perspectives will likely do; for people (a table per
//! zone) and for scripts (the `sources`, `consistency`, `outcomes` and `p_issue` fields).

use serde::Serialize;

use crate::caa::Verdict;
use crate::caa::answers::rcode_name;
use crate::caa::sources::{
    Asked, Consistency, ServerView, SourceFinding, SourceView, StepEnd, step_of,
};
use crate::cert::rfc3339;
use crate::escape::printable;

/// A server's answer for its zone's first name, in a word.
pub fn outcome(asked: &Asked) -> String {
    let end = step_of(asked).map(|step| step.end);
    match (asked, end) {
        (_, Some(StepEnd::AskAt(_))) => "alias".into(),
        (_, Some(StepEnd::Answer(answer))) => answer.outcome().into_owned(),
        (Asked::Replied { rcode, .. }, None) => rcode_name(*rcode).into_owned(),
        (Asked::Silent, _) => "timeout".into(),
        (Asked::Refused, _) => "refused".into(),
        (Asked::NotAsked, _) => "not-asked".into(),
        (Asked::NoRoute, _) => "no-route".into(),
        (Asked::Failed(failure), None) => failure.kind.name().into_owned(),
    }
}

/// What a finding says beyond its code.
pub fn detail(finding: &SourceFinding) -> String {
    match finding {
        SourceFinding::StaleSecondary { serial, newest } => {
            format!("serves serial {serial}; the zone's newest is {newest}")
        }
        SourceFinding::Inconsistent { serial } => format!(
            "another answer at the same serial{}",
            serial
                .map(|serial| format!(" ({serial})"))
                .unwrap_or_default()
        ),
        SourceFinding::Lame => "refuses the zone, or is not authoritative for it".into(),
        SourceFinding::RcodeToCaa(rcode) => {
            format!(
                "{} to CAA only; SOA is answered",
                rcode_name(*rcode).to_uppercase()
            )
        }
        SourceFinding::DropsCaa => "CAA queries go unanswered; SOA is answered".into(),
        SourceFinding::TcpBroken => "TCP refused or silent".into(),
        SourceFinding::EdnsBroken => "fails queries with EDNS, answers without".into(),
        SourceFinding::CaseNotPreserved => "the question comes back in another case".into(),
        SourceFinding::Unreachable => "no answer at all".into(),
        SourceFinding::PrivateAddress => "an address the CA will not query".into(),
        SourceFinding::NsMismatch {
            only_at_parent,
            only_at_child,
        } => format!(
            "only at the parent: {}; only in the zone: {}",
            list(only_at_parent),
            list(only_at_child)
        ),
        SourceFinding::DnssecStripped => {
            "the zone is signed, but this server serves it without signatures (RRSIG)".into()
        }
        SourceFinding::DnssecExpired { expired } => format!(
            "every signature it serves has expired, the latest at {}",
            rfc3339(i64::from(*expired))
        ),
        SourceFinding::DnssecBogus(bogus) => printable(&bogus.to_string()),
        SourceFinding::GlueMismatch { ns, glue, own } => format!(
            "{}: glue {:?}, its own records {:?}",
            printable(ns),
            glue,
            own
        ),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names
            .iter()
            .map(|name| printable(name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The CA's likely behaviour in one line.
pub fn likely(view: &SourceView) -> String {
    let remotes = view.remotes;
    let mute = view
        .zones
        .iter()
        .filter(|_| view.verdict == Verdict::Error)
        .find(|zone| {
            let broken_chain = zone
                .findings
                .iter()
                .any(|finding| matches!(finding, SourceFinding::DnssecBogus(_)));
            broken_chain
                || (!zone.servers.is_empty()
                    && zone.servers.iter().all(|server| server.leads_to.is_none()))
        });
    match view.consistency {
        Consistency::Consistent if let Some(zone) = mute => format!(
            "no server of {} gives an answer the CA's resolver takes: every perspective fails",
            printable(&zone.zone)
        ),
        Consistency::Consistent => format!(
            "every server that answers leads to {}: so will every perspective",
            view.verdict.as_str()
        ),
        Consistency::Inconsistent => {
            format!(
                "the servers disagree: {:.0}% of draws allow, {:.0}% deny, {:.0}% fail; an issuance passes with chance {:.2} ({remotes} remote perspectives{}), about {} attempts",
                view.outcomes.allowed * 100.0,
                view.outcomes.denied * 100.0,
                view.outcomes.error * 100.0,
                view.chance_of_issuance,
                if remotes >= 2 {
                    ", as if independent"
                } else {
                    ""
                },
                attempts(view.chance_of_issuance)
            ) + if view.outcomes.estimated {
                " (estimated from a sample of draws: too many combinations to judge each, so none is certain)"
            } else {
                ""
            }
        }
    }
}

/// When the servers disagree, the ones whose answers decide a verdict other than issuance (or,
/// when none allows, other than the most common verdict): `ns2.example.test. 127.0.0.14 leads
/// to denied`.
pub fn difference(view: &SourceView) -> Option<String> {
    if view.consistency == Consistency::Consistent {
        return None;
    }
    let deciding = || {
        view.zones
            .iter()
            .flat_map(|zone| &zone.servers)
            .filter_map(|server| Some((server, server.leads_to.filter(|draw| draw.decides)?)))
    };
    let count = |verdict| {
        deciding()
            .filter(|(_, draw)| draw.verdict == verdict)
            .count()
    };
    let reference = if count(Verdict::Allowed) > 0 {
        Verdict::Allowed
    } else {
        [Verdict::Denied, Verdict::Error]
            .into_iter()
            .max_by_key(|verdict| count(*verdict))?
    };
    let differing: Vec<String> = deciding()
        .filter(|(_, draw)| draw.verdict != reference)
        .map(|(server, draw)| {
            format!(
                "{} {} leads to {}",
                printable(&server.ns),
                server.address,
                draw.verdict.as_str()
            )
        })
        .collect();
    (!differing.is_empty()).then(|| differing.join("; "))
}

fn attempts(chance: f64) -> String {
    if chance <= 0.0 {
        "no number of".into()
    } else {
        format!("{:.0}", (1.0 / chance).ceil())
    }
}

/// The table per zone, one line a server.
pub fn table(view: &SourceView) -> Vec<String> {
    let mut lines = Vec::new();
    for zone in &view.zones {
        lines.push(printable(&zone.zone));
        for finding in &zone.findings {
            lines.push(format!("  {}: {}", finding.code(), detail(finding)));
        }
        for ns in &zone.unaddressed {
            lines.push(format!(
                "  {}: no address found from here; what it serves is unknown",
                printable(ns)
            ));
        }
        for server in &zone.servers {
            lines.push(format!("  {}", server_line(server)));
            // What a signature finding says (when, which key) is what the zone's owner acts on.
            for finding in server.findings.iter().filter(|finding| {
                matches!(
                    finding,
                    SourceFinding::DnssecExpired { .. } | SourceFinding::DnssecBogus(_)
                )
            }) {
                lines.push(format!("    {}: {}", finding.code(), detail(finding)));
            }
        }
    }
    lines
}

fn server_line(server: &ServerView) -> String {
    let findings: Vec<&str> = server.findings.iter().map(SourceFinding::code).collect();
    format!(
        "{:<24} {:<16} {:<9} {:<12} {}",
        printable(&server.ns),
        server.address,
        server.answers.first().map(outcome).unwrap_or_default(),
        server
            .serial
            .map_or_else(|| "-".to_owned(), |serial| serial.to_string()),
        findings.join(", ")
    )
    .trim_end()
    .to_owned()
}

#[derive(Serialize)]
pub struct ZoneJson {
    zone: String,
    names: Vec<String>,
    findings: Vec<FindingJson>,
    /// Name servers with no address found from here.
    unaddressed: Vec<String>,
    servers: Vec<ServerJson>,
}

#[derive(Serialize)]
struct ServerJson {
    ns: String,
    address: String,
    outcome: String,
    serial: Option<u32>,
    /// The verdict its answers lead to, beside every other zone's newest server.
    verdict: Option<&'static str>,
    /// Whether its zone's answers decide that verdict.
    decides: Option<bool>,
    records: Vec<String>,
    findings: Vec<FindingJson>,
}

#[derive(Serialize)]
struct FindingJson {
    code: &'static str,
    detail: String,
}

#[derive(Serialize)]
pub struct OutcomesJson {
    allowed: f64,
    denied: f64,
    error: f64,
    /// From a sample of draws: too many combinations to judge each.
    estimated: bool,
}

/// The JSON of every zone.
pub fn zones_json(view: &SourceView) -> Vec<ZoneJson> {
    let findings = |found: &[SourceFinding]| {
        found
            .iter()
            .map(|finding| FindingJson {
                code: finding.code(),
                detail: detail(finding),
            })
            .collect()
    };
    view.zones
        .iter()
        .map(|zone| ZoneJson {
            zone: zone.zone.clone(),
            names: zone.names.clone(),
            findings: findings(&zone.findings),
            unaddressed: zone.unaddressed.clone(),
            servers: zone
                .servers
                .iter()
                .map(|server| ServerJson {
                    ns: server.ns.clone(),
                    address: server.address.to_string(),
                    outcome: server.answers.first().map(outcome).unwrap_or_default(),
                    serial: server.serial,
                    verdict: server.leads_to.map(|draw| draw.verdict.as_str()),
                    decides: server.leads_to.map(|draw| draw.decides),
                    records: match server.answers.first() {
                        Some(Asked::Replied { records, .. }) => records
                            .iter()
                            .map(|record| {
                                format!(
                                    "{} {} {}",
                                    record.flags,
                                    String::from_utf8_lossy(&record.tag),
                                    String::from_utf8_lossy(&record.value)
                                )
                            })
                            .collect(),
                        _ => Vec::new(),
                    },
                    findings: findings(&server.findings),
                })
                .collect(),
        })
        .collect()
}

/// The draws' shares, when the servers disagree.
pub fn outcomes_json(view: &SourceView) -> Option<OutcomesJson> {
    (view.consistency == Consistency::Inconsistent).then_some(OutcomesJson {
        allowed: view.outcomes.allowed,
        denied: view.outcomes.denied,
        error: view.outcomes.error,
        estimated: view.outcomes.estimated,
    })
}
