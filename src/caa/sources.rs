//! What each authoritative server of a zone said when asked directly (issue 10, `check
//! --source`), and what is wrong with each: the findings of `ca-vantage.md` §5.2 as small pure
//! rules over the answers the DNS shell gathered, each with a stable code (a contract for
//! scripts). A server that fails while others of its zone answer is a finding, not a
//! disagreement: the CA's resolver moves on to another server.

use std::net::IpAddr;

use hickory_resolver::proto::op::ResponseCode;

use super::answers::{Alias, Answer, CaaRecord, Failure, FailureKind, Lookup, MOST_ALIAS_QUERIES};
use super::perspectives::{Choice, Outcomes, chance_of_issuance, outcomes};
use super::requester::Requester;
use super::verdict::Verdict;
use super::verdict::{Basis, evaluate};

/// How one question to one server went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// A reply: its RCODE, whether it was authoritative (AA) or a referral, whether the
    /// question came back in the case it was sent (0x20), the CAA records and the SOA serial
    /// it carried (the answer's, or the authority section's for a negative answer), the alias
    /// chain its answer held (rules 13 and 14), and the name the chain goes on at when the
    /// reply does not answer for its end (a target in another zone, asked of its own servers).
    Replied {
        rcode: ResponseCode,
        authoritative: bool,
        referral: bool,
        case_preserved: bool,
        records: Vec<CaaRecord>,
        serial: Option<u32>,
        /// How long a resolver may keep the answer (its records' or its SOA's negative TTL).
        ttl: Option<u32>,
        aliases: Vec<Alias>,
        onward: Option<String>,
    },
    /// No reply in time.
    Silent,
    /// The connection was refused (TCP), or the port is closed (ICMP).
    Refused,
    /// Not asked: an address the CA's resolver will not query.
    NotAsked,
    /// This machine has no route to the address (an IPv6 address on a host without IPv6):
    /// says nothing about the server, which the CA reaches.
    NoRoute,
    /// The answer's alias chain is broken (a loop, or too long): the server's answer is a
    /// failure, never "no records".
    AliasFailed(Failure),
}

impl Asked {
    fn rcode(&self) -> Option<ResponseCode> {
        match self {
            Asked::Replied { rcode, .. } => Some(*rcode),
            _ => None,
        }
    }

    /// An authoritative NOERROR or NXDOMAIN for the zone: an answer a resolver takes.
    fn usable(&self) -> bool {
        matches!(
            self,
            Asked::Replied {
                rcode: ResponseCode::NoError | ResponseCode::NXDomain,
                authoritative: true,
                referral: false,
                ..
            }
        )
    }
}

/// One server of one zone, and what it said: SOA, and CAA over UDP with EDNS, over TCP, and
/// over UDP without EDNS when the first failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAnswers {
    pub ns: String,
    pub address: IpAddr,
    pub soa: Asked,
    pub caa_udp: Asked,
    pub caa_tcp: Asked,
    pub caa_without_edns: Option<Asked>,
}

/// What is wrong with one server, or between a zone's servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceFinding {
    /// Another answer than the zone's newest, at a lower serial.
    StaleSecondary { serial: u32, newest: u32 },
    /// Another answer at the same serial.
    Inconsistent { serial: Option<u32> },
    /// REFUSED for the zone as a whole, not authoritative, or a referral for its own zone.
    Lame,
    /// This RCODE to CAA only, while SOA is answered.
    RcodeToCaa(ResponseCode),
    /// CAA unanswered (UDP and TCP) while SOA is answered.
    DropsCaa,
    /// TCP refused or silent while UDP answers.
    TcpBroken,
    /// Fails with EDNS, answers without.
    EdnsBroken,
    /// The question came back in another case than it was sent.
    CaseNotPreserved,
    /// Nothing answered at all.
    Unreachable,
    /// An address the CA will not query (RFC 1918, RFC 6598, unique-local, link-local,
    /// loopback unless the roots themselves are on loopback).
    PrivateAddress,
    /// The parent's NS set for the zone is not the zone's own.
    NsMismatch {
        only_at_parent: Vec<String>,
        only_at_child: Vec<String>,
    },
    /// The parent's glue for a name server is not the name server's own address records.
    GlueMismatch {
        ns: String,
        glue: Vec<IpAddr>,
        own: Vec<IpAddr>,
    },
}

impl SourceFinding {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            SourceFinding::StaleSecondary { .. } => "stale-secondary",
            SourceFinding::Inconsistent { .. } => "inconsistent",
            SourceFinding::Lame => "lame",
            SourceFinding::RcodeToCaa(ResponseCode::ServFail) => "rcode-servfail",
            SourceFinding::RcodeToCaa(ResponseCode::NotImp) => "rcode-notimp",
            SourceFinding::RcodeToCaa(ResponseCode::Refused) => "rcode-refused",
            SourceFinding::RcodeToCaa(ResponseCode::FormErr) => "rcode-formerr",
            SourceFinding::RcodeToCaa(_) => "rcode-other",
            SourceFinding::DropsCaa => "drops-caa",
            SourceFinding::TcpBroken => "tcp-broken",
            SourceFinding::EdnsBroken => "edns-broken",
            SourceFinding::CaseNotPreserved => "case-not-preserved",
            SourceFinding::Unreachable => "unreachable",
            SourceFinding::PrivateAddress => "private-address",
            SourceFinding::NsMismatch { .. } => "ns-mismatch",
            SourceFinding::GlueMismatch { .. } => "glue-mismatch",
        }
    }
}

/// Boulder's resolver will not query these (RFC 1918, RFC 6598 shared space, unique-local
/// fc00::/7, link-local, and loopback, the last only when the roots are not on loopback
/// themselves, as in a test universe).
pub fn is_private_address(address: IpAddr, roots_on_loopback: bool) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
                || (v4.is_loopback() && !roots_on_loopback)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (v6.is_loopback() && !roots_on_loopback)
        }
    }
}

/// Lame: the zone's SOA refused, not authoritative, or referred onward from its own servers.
pub fn is_lame(server: &ServerAnswers) -> bool {
    match &server.soa {
        Asked::Replied {
            rcode,
            authoritative,
            referral,
            ..
        } => *rcode == ResponseCode::Refused || !authoritative || *referral,
        _ => false,
    }
}

/// An error RCODE to CAA alone: SOA answers, CAA gets SERVFAIL, NOTIMP, REFUSED or FORMERR.
pub fn rcode_to_caa(server: &ServerAnswers) -> Option<ResponseCode> {
    let rcode = server.caa_udp.rcode()?;
    let failing = matches!(
        rcode,
        ResponseCode::ServFail
            | ResponseCode::NotImp
            | ResponseCode::Refused
            | ResponseCode::FormErr
    );
    (failing && server.soa.usable() && !edns_broken(server)).then_some(rcode)
}

/// CAA dropped: silent over UDP and TCP while SOA answers.
pub fn drops_caa(server: &ServerAnswers) -> bool {
    server.soa.usable()
        && server.caa_udp == Asked::Silent
        && matches!(server.caa_tcp, Asked::Silent | Asked::Refused)
}

/// TCP broken: UDP answers CAA, TCP is refused or silent.
pub fn tcp_broken(server: &ServerAnswers) -> bool {
    server.caa_udp.usable() && matches!(server.caa_tcp, Asked::Silent | Asked::Refused)
}

/// EDNS broken: with EDNS the CAA query fails (FORMERR, NOTIMP or silence), without it it is
/// answered.
pub fn edns_broken(server: &ServerAnswers) -> bool {
    let failed_with = matches!(
        server.caa_udp,
        Asked::Silent
            | Asked::Replied {
                rcode: ResponseCode::FormErr | ResponseCode::NotImp,
                ..
            }
    );
    failed_with && server.caa_without_edns.as_ref().is_some_and(Asked::usable)
}

/// Case not preserved: the reply's question is not in the case it was sent (0x20).
pub fn case_not_preserved(server: &ServerAnswers) -> bool {
    matches!(
        server.caa_udp,
        Asked::Replied {
            case_preserved: false,
            ..
        }
    )
}

/// Unreachable: nothing came back, neither SOA nor CAA.
pub fn unreachable(server: &ServerAnswers) -> bool {
    [&server.soa, &server.caa_udp, &server.caa_tcp]
        .iter()
        .all(|asked| matches!(asked, Asked::Silent | Asked::Refused))
}

/// The findings about one server alone.
pub fn server_findings(server: &ServerAnswers, roots_on_loopback: bool) -> Vec<SourceFinding> {
    let mut findings = Vec::new();
    if is_private_address(server.address, roots_on_loopback) {
        findings.push(SourceFinding::PrivateAddress);
    }
    if matches!(server.soa, Asked::NotAsked | Asked::NoRoute) {
        return findings;
    }
    if unreachable(server) {
        findings.push(SourceFinding::Unreachable);
        return findings;
    }
    if is_lame(server) {
        findings.push(SourceFinding::Lame);
        return findings;
    }
    if let Some(rcode) = rcode_to_caa(server) {
        findings.push(SourceFinding::RcodeToCaa(rcode));
    }
    if drops_caa(server) {
        findings.push(SourceFinding::DropsCaa);
    }
    if edns_broken(server) {
        findings.push(SourceFinding::EdnsBroken);
    }
    if tcp_broken(server) {
        findings.push(SourceFinding::TcpBroken);
    }
    if case_not_preserved(server) {
        findings.push(SourceFinding::CaseNotPreserved);
    }
    findings
}

/// What a server's usable CAA answer is, to compare servers by: its step, records sorted
/// (order and TTL do not count).
pub fn fingerprint(asked: &Asked) -> Option<Step> {
    let mut step = step_of(asked)?;
    if let StepEnd::Answer(Answer::Records(records)) = &mut step.end {
        records.sort_by(|a, b| (a.flags, &a.tag, &a.value).cmp(&(b.flags, &b.tag, &b.value)));
    }
    Some(step)
}

fn serial(asked: &Asked) -> Option<u32> {
    match asked {
        Asked::Replied { serial, .. } => *serial,
        _ => None,
    }
}

/// Stale secondaries and inconsistent servers: among the servers with a usable CAA answer, the
/// answer of the highest serial is the zone's; a server with another answer is stale when its
/// serial is lower, inconsistent when it is the same (or unknown). One finding per server, in
/// the servers' order; `None` for a server that agrees or gave no usable answer.
pub fn disagreements(servers: &[ServerAnswers]) -> Vec<Option<SourceFinding>> {
    let answered: Vec<(Option<u32>, Step)> = servers
        .iter()
        .filter_map(|server| {
            let answer = fingerprint(&server.caa_udp).or_else(|| fingerprint(&server.caa_tcp))?;
            Some((serial(&server.soa).or(serial(&server.caa_udp)), answer))
        })
        .collect();
    let newest = answered.iter().filter_map(|(serial, _)| *serial).max();
    // The zone's answer: the newest serial's, else the most common one.
    let reference = answered
        .iter()
        .find(|(serial, _)| newest.is_some() && *serial == newest)
        .map(|(_, answer)| answer.clone())
        .or_else(|| {
            answered
                .iter()
                .max_by_key(|(_, answer)| {
                    answered.iter().filter(|(_, other)| other == answer).count()
                })
                .map(|(_, answer)| answer.clone())
        });
    servers
        .iter()
        .map(|server| {
            let answer = fingerprint(&server.caa_udp).or_else(|| fingerprint(&server.caa_tcp))?;
            if Some(&answer) == reference.as_ref() {
                return None;
            }
            let own = serial(&server.soa).or(serial(&server.caa_udp));
            Some(match (own, newest) {
                (Some(serial), Some(newest)) if serial < newest => {
                    SourceFinding::StaleSecondary { serial, newest }
                }
                _ => SourceFinding::Inconsistent { serial: own },
            })
        })
        .collect()
}

/// A zone cut as seen from both sides: the parent's NS set and glue, the zone's own NS set and
/// its name servers' own address records. Names are lowercase with their trailing dot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delegation {
    pub zone: String,
    pub parent_ns: Vec<String>,
    pub child_ns: Vec<String>,
    /// Glue from the parent's referral: a name server and its addresses.
    pub glue: Vec<(String, Vec<IpAddr>)>,
    /// A name server's own A and AAAA records.
    pub own_addresses: Vec<(String, Vec<IpAddr>)>,
}

/// RFC 1034 §4.2.2: the NS set at the parent and at the zone's apex should be the same; a
/// server only one side names is met by some resolvers and not others.
pub fn ns_mismatch(delegation: &Delegation) -> Option<SourceFinding> {
    let only = |side: &[String], other: &[String]| -> Vec<String> {
        let mut only: Vec<String> = side
            .iter()
            .filter(|ns| !other.contains(ns))
            .cloned()
            .collect();
        only.sort();
        only
    };
    let only_at_parent = only(&delegation.parent_ns, &delegation.child_ns);
    let only_at_child = only(&delegation.child_ns, &delegation.parent_ns);
    // The zone's own set unknown (no server answered) is not a mismatch.
    let differ = !only_at_parent.is_empty() || !only_at_child.is_empty();
    (differ && !delegation.child_ns.is_empty()).then_some(SourceFinding::NsMismatch {
        only_at_parent,
        only_at_child,
    })
}

/// Glue that is not the name server's own address records: a resolver that trusts the glue
/// asks another machine than one that asks the name server's zone.
pub fn glue_mismatches(delegation: &Delegation) -> Vec<SourceFinding> {
    delegation
        .glue
        .iter()
        .filter_map(|(ns, glue)| {
            let (_, own) = delegation
                .own_addresses
                .iter()
                .find(|(owner, _)| owner == ns)?;
            let (mut glue, mut own) = (glue.clone(), own.clone());
            glue.sort();
            own.sort();
            (glue != own).then(|| SourceFinding::GlueMismatch {
                ns: ns.clone(),
                glue,
                own,
            })
        })
        .collect()
}

/// What a usable reply means for the name asked: an answer, after the alias chain the reply
/// held, or a name to ask next in another zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub aliases: Vec<Alias>,
    pub end: StepEnd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepEnd {
    /// Records, NODATA or NXDOMAIN as the rules read any lookup's answer; or a failure.
    Answer(Answer),
    /// The chain goes on at this name, in another zone.
    AskAt(String),
}

impl Step {
    fn answer(answer: Answer) -> Step {
        Step {
            aliases: Vec::new(),
            end: StepEnd::Answer(answer),
        }
    }
}

/// A usable reply as a step of a lookup; a broken alias chain is the server's answer too, a
/// failure.
pub fn step_of(asked: &Asked) -> Option<Step> {
    let Asked::Replied {
        rcode,
        records,
        aliases,
        onward,
        ..
    } = asked
    else {
        return match asked {
            Asked::AliasFailed(failure) => Some(Step::answer(Answer::Failed(failure.clone()))),
            _ => None,
        };
    };
    if !asked.usable() {
        return None;
    }
    let end = match (onward, *rcode, records.is_empty()) {
        (Some(next), _, _) => StepEnd::AskAt(next.clone()),
        (None, ResponseCode::NXDomain, _) => StepEnd::Answer(Answer::NxDomain),
        (None, _, true) => StepEnd::Answer(Answer::NoData),
        (None, _, false) => StepEnd::Answer(Answer::Records(records.clone())),
    };
    Some(Step {
        aliases: aliases.clone(),
        end,
    })
}

/// One zone of the climb or of an alias target: the names it answers for, and what each server
/// said about each of them (in the order of `names`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneAnswers {
    pub names: Vec<String>,
    pub servers: Vec<Vec<Asked>>,
}

/// What a perspective may draw in one zone: each distinct set of answers its usable servers
/// give (a server that fails a name is passed over, as the CA's resolver moves on), with the
/// share of those servers giving it; when no server is usable, the lookups fail.
pub fn zone_choices(zone: &ZoneAnswers) -> Vec<Choice<Vec<Step>>> {
    // Each usable server's answers, and whether it kept the question's case.
    let usable: Vec<(bool, Vec<Step>)> = zone
        .servers
        .iter()
        .filter_map(|said| {
            let answers = said.iter().map(step_of).collect::<Option<Vec<Step>>>()?;
            let keeps_case = !said.iter().any(|asked| {
                matches!(
                    asked,
                    Asked::Replied {
                        case_preserved: false,
                        ..
                    }
                )
            });
            Some((keeps_case, answers))
        })
        .collect();
    let disagree = usable.iter().any(|(_, answers)| *answers != usable[0].1);
    // Unbound checks a reply whose case was not kept against the zone's other servers; when
    // they disagree, it gives up (ca-vantage.md §5.2, case-not-preserved).
    let usable: Vec<Vec<Step>> = usable
        .into_iter()
        .map(|(keeps_case, answers)| {
            if keeps_case || !disagree {
                answers
            } else {
                let failed = servfail(
                    "the question's case was not kept, and the zone's servers disagree".into(),
                );
                vec![Step::answer(failed); answers.len()]
            }
        })
        .collect();
    if usable.is_empty() {
        let failed = servfail("no authoritative server gave a usable answer".into());
        return vec![Choice {
            share: 1.0,
            answer: vec![Step::answer(failed); zone.names.len()],
        }];
    }
    let mut choices: Vec<Choice<Vec<Step>>> = Vec::new();
    let share = 1.0 / usable.len() as f64;
    for answers in usable {
        match choices.iter_mut().find(|choice| choice.answer == answers) {
            Some(choice) => choice.share += share,
            None => choices.push(Choice {
                share,
                answer: answers,
            }),
        }
    }
    choices
}

/// The verdicts the CA's perspectives can reach for `climb` (the names queried, full name
/// first) when each draws one usable server per zone, weighed by the servers' shares.
pub fn source_outcomes(
    climb: &[String],
    wildcard: bool,
    zones: &[ZoneAnswers],
    requester: &Requester,
) -> Outcomes {
    let choices: Vec<Vec<Choice<Vec<Step>>>> = zones.iter().map(zone_choices).collect();
    outcomes(&choices, |picked| {
        let lookups: Vec<Lookup> = climb
            .iter()
            .map(|name| drawn_lookup(name, zones, picked))
            .collect();
        evaluate(&lookups, wildcard, requester).verdict
    })
}

/// Rules 13 and 14 across zones: the lookup of `name` as one draw of servers answers it,
/// following each alias into the zone that holds its target.
pub fn drawn_lookup(name: &str, zones: &[ZoneAnswers], picked: &[&Vec<Step>]) -> Lookup {
    let mut lookup = Lookup::new(name, Answer::NoData);
    let mut at = name.to_owned();
    let mut visited = vec![at.clone()];
    for _ in 0..MOST_ALIAS_QUERIES {
        let step = zones.iter().zip(picked).find_map(|(zone, steps)| {
            let index = zone.names.iter().position(|owned| *owned == at)?;
            steps.get(index)
        });
        let Some(step) = step else {
            lookup.answer = servfail(format!("no zone could be walked to for {at}"));
            return lookup;
        };
        lookup.aliases.extend(step.aliases.iter().cloned());
        match &step.end {
            StepEnd::Answer(answer) => {
                lookup.answer = answer.clone();
                return lookup;
            }
            StepEnd::AskAt(next) if visited.contains(next) => {
                lookup.answer = Answer::Failed(Failure::new(
                    FailureKind::AliasLoop,
                    format!("the alias chain comes back to {next}"),
                ));
                return lookup;
            }
            StepEnd::AskAt(next) => {
                visited.push(next.clone());
                at = next.clone();
            }
        }
    }
    lookup.answer = Answer::Failed(Failure::new(
        FailureKind::AliasChainTooLong,
        format!("still following aliases after {MOST_ALIAS_QUERIES} queries"),
    ));
    lookup
}

fn servfail(detail: String) -> Answer {
    Answer::Failed(Failure::new(
        FailureKind::Rcode(ResponseCode::ServFail),
        detail,
    ))
}

/// One zone of the climb or of an alias target as gathered: its cut seen from both sides, the
/// names it answers for, and what each server said about each (per server, per name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSeen {
    pub delegation: Delegation,
    pub names: Vec<String>,
    pub servers: Vec<Vec<ServerAnswers>>,
}

impl ZoneSeen {
    /// What each server said, as the verdict rules take it: the UDP answer, or the TCP one when
    /// UDP gave none usable (a resolver retries over TCP).
    pub fn answers(&self) -> ZoneAnswers {
        ZoneAnswers {
            names: self.names.clone(),
            servers: self
                .servers
                .iter()
                .map(|said| said.iter().map(used_answer).cloned().collect())
                .collect(),
        }
    }
}

/// The answer a resolver takes from a server: UDP's, or TCP's when UDP gave none usable.
pub fn used_answer(server: &ServerAnswers) -> &Asked {
    if step_of(&server.caa_udp).is_some() {
        &server.caa_udp
    } else {
        &server.caa_tcp
    }
}

/// Each zone's usable server of the highest serial (the first of them), if any: what the
/// zone serves once its servers have caught up.
pub fn newest_servers(zones: &[ZoneSeen], answers: &[ZoneAnswers]) -> Vec<Option<usize>> {
    zones
        .iter()
        .zip(answers)
        .map(|(zone, answers)| {
            let usable = |index: &usize| {
                answers.servers[*index]
                    .iter()
                    .all(|asked| step_of(asked).is_some())
            };
            let newest = (0..zone.servers.len())
                .filter(usable)
                .map(|index| serial_of(&zone.servers[index]))
                .max()?;
            (0..zone.servers.len())
                .filter(usable)
                .find(|index| serial_of(&zone.servers[*index]) == newest)
        })
        .collect()
}

/// The draws that judge one server: its zone answered by it alone, every other zone by its
/// newest server. So a server is judged by what it serves, not by another zone's laggard.
fn beside_the_newest(
    answers: &[ZoneAnswers],
    newest: &[Option<usize>],
    (zone, index): (usize, usize),
) -> Vec<ZoneAnswers> {
    answers
        .iter()
        .zip(newest)
        .enumerate()
        .map(|(at, (answers, newest))| {
            let pick = if at == zone { Some(index) } else { *newest };
            match pick {
                Some(pick) => ZoneAnswers {
                    names: answers.names.clone(),
                    servers: vec![answers.servers[pick].clone()],
                },
                None => answers.clone(),
            }
        })
        .collect()
}

/// What the draws are judged for: the climb (full name first), whether the name is a wildcard,
/// and who asks.
#[derive(Clone, Copy, Debug)]
pub struct Judging<'a> {
    pub climb: &'a [String],
    pub wildcard: bool,
    pub requester: &'a Requester,
}

impl Judging<'_> {
    /// What every draw over `zones` comes to.
    pub fn outcomes(&self, zones: &[ZoneAnswers]) -> Outcomes {
        source_outcomes(self.climb, self.wildcard, zones, self.requester)
    }
}

/// What one server's answers lead to, and whether they decide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerDraw {
    pub verdict: Verdict,
    /// Its zone answers for a name that decided the verdict: the relevant RRset's or the
    /// failed lookup's name or a name along its alias chain, or any name when none had
    /// records. A parent whose NODATA the climb passed over does not decide.
    pub decides: bool,
}

/// The draw that judges one server: its zone answered by it alone, every other zone by its
/// newest server; none when it gave no usable answer.
pub fn server_draw(
    judging: &Judging,
    answers: &[ZoneAnswers],
    newest: &[Option<usize>],
    (zone, index): (usize, usize),
) -> Option<ServerDraw> {
    let usable = answers[zone].servers[index]
        .iter()
        .all(|asked| step_of(asked).is_some());
    if !usable {
        return None;
    }
    let beside = beside_the_newest(answers, newest, (zone, index));
    // One server per zone: each zone has one choice.
    let steps: Vec<Vec<Step>> = beside
        .iter()
        .map(|zone| {
            zone_choices(zone)
                .into_iter()
                .next()
                .map(|choice| choice.answer)
                .unwrap_or_default()
        })
        .collect();
    let picked: Vec<&Vec<Step>> = steps.iter().collect();
    let lookups: Vec<Lookup> = judging
        .climb
        .iter()
        .map(|name| drawn_lookup(name, &beside, &picked))
        .collect();
    let evaluation = evaluate(&lookups, judging.wildcard, judging.requester);
    let decisive = match evaluation.basis {
        Basis::LookupFailed(at) => Some(at),
        _ => evaluation.relevant,
    };
    let deciding: &[Lookup] = decisive
        .and_then(|at| lookups.get(at..=at))
        .unwrap_or(&lookups);
    let decides = deciding
        .iter()
        .flat_map(|lookup| {
            std::iter::once(&lookup.name).chain(lookup.aliases.iter().map(|alias| &alias.to))
        })
        .any(|name| answers[zone].names.contains(name));
    Some(ServerDraw {
        verdict: evaluation.verdict,
        decides,
    })
}

/// The SOA serial a server served (its first name's SOA reply).
pub fn serial_of(said: &[ServerAnswers]) -> Option<u32> {
    said.iter().find_map(|server| match &server.soa {
        Asked::Replied { serial, .. } => *serial,
        _ => None,
    })
}

/// One server as a report shows it: what it answered for each name, its serial, and what is
/// wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerView {
    pub ns: String,
    pub address: IpAddr,
    /// The verdict its answers lead to, beside the newest server of every other zone, and
    /// whether they decide it; none when it gave no usable answer.
    pub leads_to: Option<ServerDraw>,
    pub answers: Vec<Asked>,
    pub serial: Option<u32>,
    pub findings: Vec<SourceFinding>,
}

/// One zone as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneView {
    pub zone: String,
    pub names: Vec<String>,
    pub servers: Vec<ServerView>,
    /// Between its parent and itself: ns-mismatch, glue-mismatch.
    pub findings: Vec<SourceFinding>,
}

/// Whether every server that answers leads to the same verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    Consistent,
    Inconsistent,
}

impl Consistency {
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Consistent => "consistent",
            Consistency::Inconsistent => "inconsistent",
        }
    }
}

/// The sources judged: each zone and server with its findings, what the perspectives' draws
/// come to, the chance an issuance attempt passes, and the verdict: the one every perspective
/// reaches, or when they may differ the worst one can meet.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceView {
    pub zones: Vec<ZoneView>,
    pub outcomes: Outcomes,
    pub consistency: Consistency,
    pub chance_of_issuance: f64,
    /// The remote perspectives the chance is for.
    pub remotes: u32,
    pub verdict: Verdict,
}

/// Judges what was gathered for `climb` (full name first), for `remotes` remote perspectives.
pub fn view_sources(
    climb: &[String],
    wildcard: bool,
    zones: &[ZoneSeen],
    requester: &Requester,
    remotes: u32,
    roots_on_loopback: bool,
) -> SourceView {
    let answers: Vec<ZoneAnswers> = zones.iter().map(ZoneSeen::answers).collect();
    let outcomes = source_outcomes(climb, wildcard, &answers, requester);
    let newest = newest_servers(zones, &answers);
    let zones = zones
        .iter()
        .enumerate()
        .map(|(at, zone)| {
            let judging = Judging {
                climb,
                wildcard,
                requester,
            };
            let leads_to = |index: usize| server_draw(&judging, &answers, &newest, (at, index));
            zone_view(zone, roots_on_loopback, leads_to)
        })
        .collect();
    SourceView {
        zones,
        consistency: if outcomes.unanimous().is_some() {
            Consistency::Consistent
        } else {
            Consistency::Inconsistent
        },
        chance_of_issuance: chance_of_issuance(outcomes.failing(), remotes),
        remotes,
        verdict: outcomes.worst(),
        outcomes,
    }
}

/// One zone as a report shows it; `leads_to` gives the verdict a server's answers lead to.
fn zone_view(
    zone: &ZoneSeen,
    roots_on_loopback: bool,
    leads_to: impl Fn(usize) -> Option<ServerDraw>,
) -> ZoneView {
    // Disagreements per name, then per server: the first a server has.
    let per_name: Vec<Vec<Option<SourceFinding>>> = (0..zone.names.len())
        .map(|at| {
            let about: Vec<ServerAnswers> = zone
                .servers
                .iter()
                .filter_map(|said| said.get(at).cloned())
                .collect();
            disagreements(&about)
        })
        .collect();
    let servers = zone
        .servers
        .iter()
        .enumerate()
        .filter_map(|(index, said)| {
            let first = said.first()?;
            let mut findings = server_findings(first, roots_on_loopback);
            findings.extend(
                per_name
                    .iter()
                    .filter_map(|found| found.get(index).cloned().flatten())
                    .take(1),
            );
            Some(ServerView {
                ns: first.ns.clone(),
                address: first.address,
                leads_to: leads_to(index),
                answers: said.iter().map(used_answer).cloned().collect(),
                serial: match &first.soa {
                    Asked::Replied { serial, .. } => *serial,
                    _ => None,
                },
                findings,
            })
        })
        .collect();
    let mut findings: Vec<SourceFinding> = ns_mismatch(&zone.delegation).into_iter().collect();
    findings.extend(glue_mismatches(&zone.delegation));
    ZoneView {
        zone: zone.delegation.zone.clone(),
        names: zone.names.clone(),
        servers,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::test_support::{
        cname, healthy, lets_encrypt, replied, server, test_tld, www_climb,
    };

    fn codes(server: &ServerAnswers) -> Vec<&'static str> {
        server_findings(server, false)
            .iter()
            .map(SourceFinding::code)
            .collect()
    }

    #[test]
    fn is_private_address_as_the_ca_s_resolver_refuses() {
        for private in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
            "127.0.0.1",
            "::1",
        ] {
            assert!(
                is_private_address(private.parse().unwrap(), false),
                "{private}"
            );
        }
        for public in ["192.0.2.53", "100.128.0.1", "2001:db8::53"] {
            assert!(
                !is_private_address(public.parse().unwrap(), false),
                "{public}"
            );
        }
        assert!(!is_private_address("127.0.0.7".parse().unwrap(), true));
    }

    #[test]
    fn a_healthy_server_has_no_finding() {
        assert_eq!(
            codes(&healthy("192.0.2.53", &["letsencrypt.org"], 1)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn lame_refused_not_authoritative_or_a_referral_for_its_own_zone() {
        let mut lame = healthy("192.0.2.53", &[], 1);
        lame.soa = Asked::Replied {
            rcode: ResponseCode::Refused,
            authoritative: false,
            referral: false,
            case_preserved: true,
            records: vec![],
            serial: None,
            ttl: None,
            aliases: vec![],
            onward: None,
        };
        assert_eq!(codes(&lame), ["lame"]);
    }

    #[test]
    fn rcode_to_caa_only_while_soa_answers() {
        for (rcode, code) in [
            (ResponseCode::ServFail, "rcode-servfail"),
            (ResponseCode::NotImp, "rcode-notimp"),
            (ResponseCode::Refused, "rcode-refused"),
            (ResponseCode::FormErr, "rcode-formerr"),
        ] {
            let failing = server("192.0.2.53", replied(rcode, &[], 1), replied(rcode, &[], 1));
            assert_eq!(codes(&failing), [code]);
        }
    }

    #[test]
    fn drops_caa_tcp_broken_edns_broken_and_case_not_preserved() {
        let dropped = server("192.0.2.53", Asked::Silent, Asked::Silent);
        assert_eq!(codes(&dropped), ["drops-caa"]);
        let mut tcp = healthy("192.0.2.53", &[], 1);
        tcp.caa_tcp = Asked::Refused;
        assert_eq!(codes(&tcp), ["tcp-broken"]);
        let mut edns = healthy("192.0.2.53", &[], 1);
        edns.caa_udp = replied(ResponseCode::FormErr, &[], 1);
        edns.caa_without_edns = Some(replied(ResponseCode::NoError, &[], 1));
        assert_eq!(codes(&edns), ["edns-broken"]);
        let mut case = healthy("192.0.2.53", &[], 1);
        if let Asked::Replied { case_preserved, .. } = &mut case.caa_udp {
            *case_preserved = false;
        }
        assert_eq!(codes(&case), ["case-not-preserved"]);
    }

    #[test]
    fn a_server_this_machine_has_no_route_to_has_no_finding_and_is_never_drawn() {
        let mut far = server("2001:db8::53", Asked::NoRoute, Asked::NoRoute);
        far.soa = Asked::NoRoute;
        assert_eq!(codes(&far), Vec::<&str>::new());
        assert_eq!(step_of(&far.caa_udp), None);
    }

    #[test]
    fn unreachable_when_nothing_answers() {
        let mut gone = server("192.0.2.1", Asked::Silent, Asked::Refused);
        gone.soa = Asked::Silent;
        assert_eq!(codes(&gone), ["unreachable"]);
        let mut private = server("10.0.0.1", Asked::NotAsked, Asked::NotAsked);
        private.soa = Asked::NotAsked;
        assert_eq!(codes(&private), ["private-address"]);
    }

    #[test]
    fn disagreements_stale_at_a_lower_serial_inconsistent_at_the_same() {
        let servers = [
            healthy("192.0.2.1", &["letsencrypt.org"], 5),
            healthy("192.0.2.2", &["digicert.com"], 4),
            healthy("192.0.2.3", &["letsencrypt.org"], 5),
            healthy("192.0.2.4", &["sectigo.com"], 5),
            server("192.0.2.5", Asked::Silent, Asked::Silent),
        ];
        let found = disagreements(&servers);
        assert_eq!(
            found,
            [
                None,
                Some(SourceFinding::StaleSecondary {
                    serial: 4,
                    newest: 5
                }),
                None,
                Some(SourceFinding::Inconsistent { serial: Some(5) }),
                None,
            ]
        );
    }

    #[test]
    fn ns_mismatch_names_the_servers_only_one_side_lists() {
        let mut delegation = Delegation {
            zone: "example.test.".into(),
            parent_ns: vec!["ns1.example.test.".into(), "ns2.example.test.".into()],
            child_ns: vec!["ns1.example.test.".into(), "ns2.example.test.".into()],
            ..Delegation::default()
        };
        assert_eq!(ns_mismatch(&delegation), None);
        delegation.child_ns = vec!["ns1.example.test.".into(), "ns3.example.test.".into()];
        assert_eq!(
            ns_mismatch(&delegation),
            Some(SourceFinding::NsMismatch {
                only_at_parent: vec!["ns2.example.test.".into()],
                only_at_child: vec!["ns3.example.test.".into()],
            })
        );
    }

    #[test]
    fn glue_mismatches_compare_glue_with_the_name_server_s_own_records() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let delegation = Delegation {
            zone: "example.test.".into(),
            glue: vec![
                ("ns1.example.test.".into(), vec![ip("192.0.2.1")]),
                ("ns2.example.test.".into(), vec![ip("192.0.2.2")]),
            ],
            own_addresses: vec![
                ("ns1.example.test.".into(), vec![ip("192.0.2.1")]),
                ("ns2.example.test.".into(), vec![ip("192.0.2.22")]),
            ],
            ..Delegation::default()
        };
        assert_eq!(
            glue_mismatches(&delegation),
            [SourceFinding::GlueMismatch {
                ns: "ns2.example.test.".into(),
                glue: vec![ip("192.0.2.2")],
                own: vec![ip("192.0.2.22")],
            }]
        );
    }

    #[test]
    fn a_stale_secondary_makes_some_draws_deny() {
        let climb = www_climb();
        let example = ZoneAnswers {
            names: vec!["www.example.test".into(), "example.test".into()],
            servers: vec![
                vec![
                    replied(ResponseCode::NoError, &[], 5),
                    replied(ResponseCode::NoError, &["letsencrypt.org"], 5),
                ],
                vec![
                    replied(ResponseCode::NoError, &[], 5),
                    replied(ResponseCode::NoError, &["letsencrypt.org"], 5),
                ],
                vec![
                    replied(ResponseCode::NoError, &[], 4),
                    replied(ResponseCode::NoError, &["digicert.com"], 4),
                ],
                // A failing server is passed over, not drawn.
                vec![Asked::Silent, Asked::Silent],
            ],
        };
        let outcomes = source_outcomes(&climb, false, &[example, test_tld()], &lets_encrypt());
        assert!((outcomes.allowed - 2.0 / 3.0).abs() < 1e-9, "{outcomes:?}");
        assert!((outcomes.denied - 1.0 / 3.0).abs() < 1e-9, "{outcomes:?}");
        assert_eq!(outcomes.worst(), crate::caa::Verdict::Denied);
    }

    #[test]
    fn a_server_that_mangles_case_fails_its_draws_when_the_zone_disagrees() {
        let mangled = |records: &[&str], serial| {
            let mut asked = replied(ResponseCode::NoError, records, serial);
            if let Asked::Replied { case_preserved, .. } = &mut asked {
                *case_preserved = false;
            }
            asked
        };
        let agreeing = ZoneAnswers {
            names: vec!["example.test".into()],
            servers: vec![
                vec![replied(ResponseCode::NoError, &["letsencrypt.org"], 5)],
                vec![mangled(&["letsencrypt.org"], 5)],
            ],
        };
        assert_eq!(zone_choices(&agreeing).len(), 1);
        let disagreeing = ZoneAnswers {
            names: vec!["example.test".into()],
            servers: vec![
                vec![replied(ResponseCode::NoError, &["letsencrypt.org"], 5)],
                vec![replied(ResponseCode::NoError, &["digicert.com"], 4)],
                vec![mangled(&["letsencrypt.org"], 5)],
            ],
        };
        let choices = zone_choices(&disagreeing);
        assert_eq!(choices.len(), 3);
        assert!(matches!(
            choices[2].answer[0].end,
            StepEnd::Answer(Answer::Failed(_))
        ));
    }

    #[test]
    fn a_zone_with_no_usable_server_fails_every_draw() {
        let climb = ["example.test".to_owned(), "test".into()];
        let dead = ZoneAnswers {
            names: vec!["example.test".into()],
            servers: vec![vec![Asked::Silent], vec![Asked::Refused]],
        };
        let outcomes = source_outcomes(&climb, false, &[dead, test_tld()], &lets_encrypt());
        assert_eq!(outcomes.error, 1.0);
    }

    #[test]
    fn rule_13_a_cname_into_a_zone_whose_servers_disagree_splits_the_draws() {
        let climb = www_climb();
        let example = ZoneAnswers {
            names: vec!["www.example.test".into(), "example.test".into()],
            servers: vec![vec![
                cname("www.example.test", "edge.cdn.test"),
                replied(ResponseCode::NoError, &[], 3),
            ]],
        };
        let cdn = ZoneAnswers {
            names: vec!["edge.cdn.test".into()],
            servers: vec![
                vec![replied(ResponseCode::NoError, &["letsencrypt.org"], 9)],
                vec![replied(ResponseCode::NoError, &["digicert.com"], 8)],
            ],
        };
        let outcomes = source_outcomes(&climb, false, &[example, cdn, test_tld()], &lets_encrypt());
        assert!((outcomes.allowed - 0.5).abs() < 1e-9, "{outcomes:?}");
        assert!((outcomes.denied - 0.5).abs() < 1e-9, "{outcomes:?}");
    }

    /// The lookup of `name` when each zone's first choice is drawn.
    fn first_draw(name: &str, zones: &[ZoneAnswers]) -> Lookup {
        let steps: Vec<Vec<Step>> = zones
            .iter()
            .map(|zone| zone_choices(zone)[0].answer.clone())
            .collect();
        let picked: Vec<&Vec<Step>> = steps.iter().collect();
        drawn_lookup(name, zones, &picked)
    }

    #[test]
    fn rule_13_the_lookup_carries_the_chain_and_the_target_s_answer() {
        let example = ZoneAnswers {
            names: vec!["www.example.test".into()],
            servers: vec![vec![cname("www.example.test", "edge.cdn.test")]],
        };
        let cdn = ZoneAnswers {
            names: vec!["edge.cdn.test".into()],
            servers: vec![vec![replied(
                ResponseCode::NoError,
                &["letsencrypt.org"],
                9,
            )]],
        };
        let zones = [example, cdn];
        let lookup = first_draw("www.example.test", &zones);
        assert_eq!(lookup.aliases.len(), 1);
        assert_eq!(lookup.records_owner(), "edge.cdn.test");
        assert!(matches!(lookup.answer, Answer::Records(_)));
    }

    #[test]
    fn rule_14_an_alias_loop_across_zones_or_a_target_never_reached_fails() {
        let a = ZoneAnswers {
            names: vec!["a.one.test".into()],
            servers: vec![vec![cname("a.one.test", "b.two.test")]],
        };
        let b = ZoneAnswers {
            names: vec!["b.two.test".into()],
            servers: vec![vec![cname("b.two.test", "a.one.test")]],
        };
        let zones = [a, b];
        let lookup = first_draw("a.one.test", &zones);
        assert!(
            matches!(&lookup.answer, Answer::Failed(failure) if failure.kind == FailureKind::AliasLoop)
        );
        let lookup = first_draw("a.one.test", &zones[..1]);
        assert!(
            matches!(&lookup.answer, Answer::Failed(failure) if failure.kind == FailureKind::Rcode(ResponseCode::ServFail))
        );
    }

    #[test]
    fn servers_pointing_to_different_alias_targets_disagree() {
        let servers = [
            server(
                "192.0.2.1",
                cname("www.example.test", "new.cdn.test"),
                Asked::Silent,
            ),
            server(
                "192.0.2.2",
                cname("www.example.test", "old.cdn.test"),
                Asked::Silent,
            ),
        ];
        let found = disagreements(&servers);
        assert!(found.iter().flatten().count() == 1, "{found:?}");
    }
}
