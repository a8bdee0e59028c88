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
use crate::dnssec::{Bogus, BogusKind, Security};

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
        /// TC=1: the answer did not fit, so it is incomplete; a resolver asks again over TCP.
        truncated: bool,
        serial: Option<u32>,
        /// How long a resolver may keep the answer (its records' or its SOA's negative TTL).
        ttl: Option<u32>,
        /// The validity of each RRSIG the reply carried (inception, expiration; Unix time):
        /// none from a server of an unsigned zone, or one that strips them.
        rrsigs: Vec<(u32, u32)>,
        /// With `--dnssec`: the reply validated under each key set a resolver may hold for
        /// the zone, walked to from the trust anchor (`key_sets_held`, in its order); empty
        /// without, or for a reply no resolver takes as an answer.
        securities: Vec<Security>,
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
    /// An answer that is a failure: the answer's alias chain is broken (a loop, or too
    /// long); or the server could not be asked from here and its answer is unknown. Never
    /// "no records".
    Failed(Failure),
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
    /// The zone is signed, but this server serves it without signatures (RRSIG).
    DnssecStripped,
    /// Every signature this server serves has expired (Unix time of the latest).
    DnssecExpired { expired: u32 },
    /// With `--dnssec`: what this server serves does not validate under the zone's keys
    /// (another key, a bad signature, a broken denial).
    DnssecBogus(Bogus),
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
            SourceFinding::DnssecStripped => "dnssec-stripped",
            SourceFinding::DnssecExpired { .. } => "dnssec-expired",
            SourceFinding::DnssecBogus(_) => "dnssec-bogus",
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
        records.sort();
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
    let newest = newest_serial(answered.iter().filter_map(|(serial, _)| *serial));
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
                (Some(serial), Some(newest)) if serial_before(serial, newest) => {
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
        truncated,
        aliases,
        onward,
        ..
    } = asked
    else {
        return match asked {
            Asked::Failed(failure) => Some(Step::answer(Answer::Failed(failure.clone()))),
            _ => None,
        };
    };
    if !asked.usable() || *truncated {
        return None;
    }
    // Rules 7 and 8: records count even in an NXDOMAIN answer (the shell drops them for a
    // TLD, as Boulder does).
    let end = match (onward, records.is_empty(), *rcode) {
        (Some(next), _, _) => StepEnd::AskAt(next.clone()),
        (None, false, _) => StepEnd::Answer(Answer::Records(records.clone())),
        (None, true, ResponseCode::NXDomain) => StepEnd::Answer(Answer::NxDomain),
        (None, true, _) => StepEnd::Answer(Answer::NoData),
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

/// One name and what a perspective's query for it may meet: each distinct step the usable
/// servers of its zone give, with the share of those servers giving it. Each query draws its
/// own server (the CA's resolver picks one per query), so the names of one zone are drawn
/// apart.
#[derive(Clone, Debug, PartialEq)]
pub struct NameChoices {
    pub name: String,
    pub choices: Vec<Choice<Step>>,
}

/// The choices of each name of a zone. A server that fails a name is passed over for it, as
/// the CA's resolver moves on; when no server is usable, the lookup fails.
pub fn name_choices(zone: &ZoneAnswers) -> Vec<NameChoices> {
    zone.names
        .iter()
        .enumerate()
        .map(|(at, name)| NameChoices {
            name: name.clone(),
            choices: choices_of(zone.servers.iter().filter_map(|said| said.get(at))),
        })
        .collect()
}

fn choices_of<'a>(said: impl Iterator<Item = &'a Asked>) -> Vec<Choice<Step>> {
    // Each usable server's step, and whether it kept the question's case.
    let usable: Vec<(bool, Step)> = said
        .filter_map(|asked| {
            let keeps_case = !matches!(
                asked,
                Asked::Replied {
                    case_preserved: false,
                    ..
                }
            );
            Some((keeps_case, step_of(asked)?))
        })
        .collect();
    let disagree = usable.iter().any(|(_, step)| *step != usable[0].1);
    // Unbound checks a reply whose case was not kept against the zone's other servers; when
    // they disagree, it gives up (ca-vantage.md §5.2, case-not-preserved).
    let usable: Vec<Step> = usable
        .into_iter()
        .map(|(keeps_case, step)| {
            if keeps_case || !disagree {
                step
            } else {
                Step::answer(servfail(
                    "the question's case was not kept, and the zone's servers disagree".into(),
                ))
            }
        })
        .collect();
    if usable.is_empty() {
        let failed = servfail("no authoritative server gave a usable answer".into());
        return vec![Choice {
            share: 1.0,
            answer: Step::answer(failed),
        }];
    }
    let mut choices: Vec<Choice<Step>> = Vec::new();
    let share = 1.0 / usable.len() as f64;
    for step in usable {
        match choices.iter_mut().find(|choice| choice.answer == step) {
            Some(choice) => choice.share += share,
            None => choices.push(Choice {
                share,
                answer: step,
            }),
        }
    }
    choices
}

/// The verdicts the CA's perspectives can reach for `climb` (the names queried, full name
/// first) when each query draws one usable server of its zone, weighed by the servers' shares.
pub fn source_outcomes(
    climb: &[String],
    wildcard: bool,
    zones: &[ZoneAnswers],
    requester: &Requester,
) -> Outcomes {
    let names: Vec<NameChoices> = zones.iter().flat_map(name_choices).collect();
    let choices: Vec<Vec<Choice<Step>>> = names.iter().map(|name| name.choices.clone()).collect();
    outcomes(&choices, |picked| {
        let lookups: Vec<Lookup> = climb
            .iter()
            .map(|name| drawn_lookup(name, &names, picked))
            .collect();
        evaluate(&lookups, wildcard, requester).verdict
    })
}

/// Rules 13 and 14 across zones: the lookup of `name` as one draw answers it (`picked`, a step
/// for each of `names`), following each alias to the name it continues at.
pub fn drawn_lookup(name: &str, names: &[NameChoices], picked: &[&Step]) -> Lookup {
    let mut lookup = Lookup::new(name, Answer::NoData);
    let mut at = name.to_owned();
    let mut visited = vec![at.clone()];
    for _ in 0..MOST_ALIAS_QUERIES {
        let step = names
            .iter()
            .zip(picked)
            .find_map(|(choices, step)| (choices.name == at).then_some(*step));
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
    /// When its servers were asked (Unix time): their signatures are judged in force then.
    pub asked_at: u32,
    /// With `--dnssec`: why the chain of trust down to the zone does not validate (a DS
    /// matching none of its keys, expired signatures over its keys): no server of it gives an
    /// answer the CA's resolver takes, whatever each serves.
    pub broken_chain: Option<Bogus>,
    /// With `--dnssec`: per server, whether its DNSKEY set could not be had from here (none:
    /// every set known).
    pub keys_unknown: Vec<bool>,
}

impl ZoneSeen {
    /// With `--dnssec`: whether every key set a resolver may hold for the zone is known: no
    /// server whose keys are unknown gave a usable reply. A resolver may hold such a server's
    /// keys, under which answers that pass under the known sets may fail: a failure stands,
    /// a pass is not validated, and a broken chain may not be all a resolver meets.
    fn keys_known(&self) -> bool {
        self.servers
            .iter()
            .zip(&self.keys_unknown)
            .filter(|(_, unknown)| **unknown)
            .all(|(said, _)| {
                said.iter().map(used_answer).all(|asked| {
                    !matches!(asked, Asked::Replied { .. }) || step_of(asked).is_none()
                })
            })
    }

    /// What each server said, as the verdict rules take it: the UDP answer, else TCP's, else
    /// the answer without EDNS (a resolver retries over TCP, and without EDNS). A name server
    /// this machine has no route to at any of its addresses is unknown: a failure, so no
    /// verdict rests on the servers that could be asked alone.
    ///
    /// A name server of the zone with no address found from here is unknown too: it comes
    /// after the servers, one failing entry each.
    pub fn answers(&self) -> ZoneAnswers {
        let unknown = |detail: &str| {
            vec![Asked::Failed(Failure::new(FailureKind::Unreachable, detail)); self.names.len()]
        };
        let broken = |bogus: &Bogus| {
            vec![
                Asked::Failed(Failure::new(FailureKind::DnssecBogus, bogus.to_string()));
                self.names.len()
            ]
        };
        let keys_known = self.keys_known();
        if let Some(bogus) = &self.broken_chain
            && keys_known
        {
            return ZoneAnswers {
                names: self.names.clone(),
                servers: vec![broken(bogus); self.servers.len().max(1)],
            };
        }
        let mut servers: Vec<Vec<Asked>> = (0..self.servers.len())
            .map(|index| {
                if self.unasked(index) {
                    return unknown(
                        "no route from this machine to any address of this name server: what it serves is unknown here",
                    );
                }
                self.drawn(index, keys_known)
            })
            .collect();
        servers.extend(self.unaddressed().iter().map(|_| {
            unknown("no address found from here for this name server: what it serves is unknown")
        }));
        // A resolver holding one of several key sets, or keys seen while a server's are
        // unknown (the replies then drawn by their dates), fails where no set seen validates
        // (a broken chain), or where every reply for a name fails under its set: one failing
        // draw for those.
        let several_sets = self.servers.iter().flatten().any(|server| {
            matches!(used_answer(server), Asked::Replied { securities, .. } if securities.len() > 1)
        });
        if !keys_known || several_sets {
            servers.push(match &self.broken_chain {
                Some(bogus) => broken(bogus),
                None => (0..self.names.len())
                    .map(|at| match self.failing_set(at) {
                        Some(bogus) => {
                            Asked::Failed(Failure::new(FailureKind::DnssecBogus, bogus.to_string()))
                        }
                        None => Asked::NotAsked,
                    })
                    .collect(),
            });
        }
        ZoneAnswers {
            names: self.names.clone(),
            servers,
        }
    }

    /// The zone's name servers (at the parent or in the zone) with no address found from
    /// here: the walk to their own zone failed. The CA may still reach them.
    pub fn unaddressed(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .delegation
            .parent_ns
            .iter()
            .chain(&self.delegation.child_ns)
            .filter(|ns| {
                !self
                    .servers
                    .iter()
                    .filter_map(|said| said.first())
                    .any(|server| server.ns == **ns)
            })
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether any server of the zone signs its answers: the zone is signed.
    pub fn is_signed(&self) -> bool {
        self.servers
            .iter()
            .flatten()
            .any(|server| !rrsigs_of(used_answer(server)).is_empty())
    }

    /// RFC 4035 §5.3.1 at the source: the server at `index` serves a signed zone without its
    /// signatures (`dnssec-stripped`), or with none in force (`dnssec-expired`), or (validated,
    /// with `--dnssec`) with answers that do not validate under a key set a resolver may hold
    /// (`dnssec-bogus`); none for a server that is fine, or gave no usable answer. Without
    /// `--dnssec` the signatures are read, not verified: the zone is signed when any of its
    /// servers signs, and a signature is judged by its dates.
    pub fn dnssec_lame(&self, index: usize) -> Option<SourceFinding> {
        let answered = self.answered(index);
        // What validation could judge; an answer only another zone's keys can vouch for is
        // judged by its signatures' dates, as without `--dnssec`.
        let validated: Vec<(Security, bool)> = answered
            .iter()
            .filter_map(|asked| {
                judged(asked).map(|security| (security, !rrsigs_of(asked).is_empty()))
            })
            .collect();
        if !validated.is_empty() {
            return validated
                .iter()
                .find_map(|(security, signed)| source_finding_of(security, *signed));
        }
        self.lame_by_dates(&answered)
    }

    /// What the draws take of the server at `index`: each reply, or none for one the CA's
    /// resolver passes over, as Unbound passes over a dnssec-lame server for the question.
    /// With every key set known and the server's replies validated, a reply is passed over
    /// when it fails under every set (a resolver holding a set it validates under takes
    /// it); otherwise, by the signatures' dates, every reply of a server whose signatures
    /// are missing or out of date.
    fn drawn(&self, index: usize, keys_known: bool) -> Vec<Asked> {
        let said: Vec<&Asked> = self.servers[index].iter().map(used_answer).collect();
        let answered = self.answered(index);
        if keys_known && answered.iter().any(|asked| judged(asked).is_some()) {
            let fails_under_every_set = |asked: &Asked| {
                matches!(asked, Asked::Replied { securities, .. }
                    if securities.iter().all(|security| matches!(security, Security::Bogus(_))))
            };
            return said
                .into_iter()
                .map(|asked| {
                    if fails_under_every_set(asked) {
                        Asked::NotAsked
                    } else {
                        asked.clone()
                    }
                })
                .collect();
        }
        if self.lame_by_dates(&answered).is_some() {
            return vec![Asked::NotAsked; said.len()];
        }
        said.into_iter().cloned().collect()
    }

    /// For the name at `at`: why every server's reply fails under one key set seen, when
    /// they all do (a resolver holding that set gets no answer it takes).
    fn failing_set(&self, at: usize) -> Option<Bogus> {
        let judged: Vec<&Vec<Security>> = self
            .servers
            .iter()
            .filter_map(|said| said.get(at))
            .map(used_answer)
            .filter(|asked| step_of(asked).is_some())
            .filter_map(|asked| match asked {
                Asked::Replied { securities, .. } if !securities.is_empty() => Some(securities),
                _ => None,
            })
            .collect();
        let sets = judged.first()?.len();
        (0..sets).find_map(|set| {
            let reasons: Vec<&Bogus> = judged
                .iter()
                .filter_map(|securities| match securities.get(set) {
                    Some(Security::Bogus(bogus)) => Some(bogus),
                    _ => None,
                })
                .collect();
            (reasons.len() == judged.len()).then(|| reasons[0].clone())
        })
    }

    /// The answers the server at `index` gave that a resolver takes as answers.
    fn answered(&self, index: usize) -> Vec<&Asked> {
        self.servers.get(index).map_or_else(Vec::new, |said| {
            said.iter()
                .map(used_answer)
                .filter(|asked| step_of(asked).is_some())
                .collect()
        })
    }

    /// `dnssec-stripped` or `dnssec-expired` by the signatures' presence and dates alone.
    fn lame_by_dates(&self, answered: &[&Asked]) -> Option<SourceFinding> {
        if answered.is_empty() {
            return None;
        }
        let rrsigs: Vec<(u32, u32)> = answered
            .iter()
            .flat_map(|asked| rrsigs_of(asked).iter().copied())
            .collect();
        if rrsigs.is_empty() {
            return self.is_signed().then_some(SourceFinding::DnssecStripped);
        }
        let now = self.asked_at;
        let in_force = |(inception, expiration): &(u32, u32)| {
            !serial_before(now, *inception) && !serial_before(*expiration, now)
        };
        if rrsigs.iter().any(in_force) {
            return None;
        }
        let latest = newest_serial(rrsigs.iter().map(|(_, expiration)| *expiration))?;
        Some(SourceFinding::DnssecExpired { expired: latest })
    }

    /// With `--dnssec`: whether its servers' replies were validated under the zone's keys:
    /// at least one, none judged by its signatures' dates alone (replies the draws pass over
    /// as dnssec-lame count too), and none from a server whose keys are unknown.
    pub fn is_validated(&self) -> bool {
        let replies: Vec<&Asked> = self
            .servers
            .iter()
            .flatten()
            .map(used_answer)
            .filter(|asked| matches!(asked, Asked::Replied { .. }) && step_of(asked).is_some())
            .collect();
        self.keys_known()
            && !replies.is_empty()
            && replies.iter().all(|asked| judged(asked).is_some())
    }

    /// Whether the server at `index` could not be asked from here (no route), and neither
    /// could any other address of its name server.
    pub fn unasked(&self, index: usize) -> bool {
        let no_route = |said: &Vec<ServerAnswers>| {
            said.first()
                .is_some_and(|server| server.soa == Asked::NoRoute)
        };
        let Some(said) = self.servers.get(index).filter(|said| no_route(said)) else {
            return false;
        };
        let ns = said.first().map(|server| &server.ns);
        self.servers
            .iter()
            .filter(|other| other.first().map(|server| &server.ns) == ns)
            .all(no_route)
    }
}

/// A reply's security as validation judged it: the weakest under the key sets held (what a
/// finding names); none for a reply not validated, or one only another zone's keys can vouch
/// for (indeterminate), which is judged by its signatures' dates.
fn judged(asked: &Asked) -> Option<Security> {
    let Asked::Replied { securities, .. } = asked else {
        return None;
    };
    securities
        .iter()
        .cloned()
        .reduce(Security::weakest)
        .filter(|security| *security != Security::Indeterminate)
}

/// A server's validated answer as a finding: bogus without any signature is stripped, bogus
/// for expired signatures is expired, other bogus is bogus.
fn source_finding_of(security: &Security, signed: bool) -> Option<SourceFinding> {
    let Security::Bogus(bogus) = security else {
        return None;
    };
    Some(match &bogus.kind {
        _ if !signed => SourceFinding::DnssecStripped,
        BogusKind::SignatureExpired { expired, .. } => {
            SourceFinding::DnssecExpired { expired: *expired }
        }
        _ => SourceFinding::DnssecBogus(bogus.clone()),
    })
}

fn rrsigs_of(asked: &Asked) -> &[(u32, u32)] {
    match asked {
        Asked::Replied { rrsigs, .. } => rrsigs,
        _ => &[],
    }
}

/// The answer a resolver takes from a server: UDP's, else TCP's, else the one without EDNS.
pub fn used_answer(server: &ServerAnswers) -> &Asked {
    [
        Some(&server.caa_udp),
        Some(&server.caa_tcp),
        server.caa_without_edns.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find(|asked| step_of(asked).is_some())
    .unwrap_or(&server.caa_tcp)
}

/// Whether a server gave a usable answer for every name it was asked about.
fn answers_every_name(said: &[Asked]) -> bool {
    said.iter().all(|asked| step_of(asked).is_some())
}

/// Each zone's usable server of the highest serial (the first of them), if any: what the
/// zone serves once its servers have caught up.
pub fn newest_servers(zones: &[ZoneSeen], answers: &[ZoneAnswers]) -> Vec<Option<usize>> {
    zones
        .iter()
        .zip(answers)
        .map(|(zone, answers)| {
            let usable = |index: &usize| {
                !zone.unasked(*index) && answers_every_name(&answers.servers[*index])
            };
            let newest = newest_serial(
                (0..zone.servers.len())
                    .filter(usable)
                    .filter_map(|index| serial_of(&zone.servers[index])),
            );
            (0..zone.servers.len())
                .filter(usable)
                .find(|index| newest.is_none() || serial_of(&zone.servers[*index]) == newest)
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
    /// failed lookup's name, a name the climb passed through to reach it, or one along their
    /// alias chains; any name when none had records. A parent above the relevant RRset does
    /// not decide.
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
    if !answers_every_name(&answers[zone].servers[index]) {
        return None;
    }
    let beside = beside_the_newest(answers, newest, (zone, index));
    // One server per zone: each name has one choice.
    let names: Vec<NameChoices> = beside.iter().flat_map(name_choices).collect();
    let picked: Vec<&Step> = names
        .iter()
        .filter_map(|name| name.choices.first().map(|choice| &choice.answer))
        .collect();
    let lookups: Vec<Lookup> = judging
        .climb
        .iter()
        .map(|name| drawn_lookup(name, &names, &picked))
        .collect();
    let evaluation = evaluate(&lookups, judging.wildcard, judging.requester);
    let decisive = match evaluation.basis {
        Basis::LookupFailed(at) => Some(at),
        _ => evaluation.relevant,
    };
    // Every name the climb passed through counts: a child's stale NODATA that lets the climb
    // reach its parent's records decides as much as the records do.
    let deciding: &[Lookup] = decisive
        .and_then(|at| lookups.get(..=at))
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

/// The SOA serial a server served for its zone: an authoritative answer's only (a lame
/// server's serial is not the zone's).
pub fn serial_of(said: &[ServerAnswers]) -> Option<u32> {
    said.iter()
        .filter(|server| server.soa.usable())
        .find_map(|server| serial(&server.soa))
}

/// RFC 1982 §3.2: whether serial `a` comes before `b`, in serial number arithmetic (a serial
/// wraps around after 2^32 - 1).
pub fn serial_before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 1 << 31
}

/// The newest of `serials` by RFC 1982 (the first of equals); none when there are none.
pub fn newest_serial(serials: impl Iterator<Item = u32>) -> Option<u32> {
    serials.reduce(|newest, serial| {
        if serial_before(newest, serial) {
            serial
        } else {
            newest
        }
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
    /// Name servers with no address found from here: unknown.
    pub unaddressed: Vec<String>,
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
    /// With `--dnssec`: every zone's replies were validated under its keys (secure, insecure
    /// or bogus), so the servers' verdict stands on its own whatever the resolver's validation
    /// said. False without `--dnssec`, when a zone gave no reply, or when some reply was
    /// judged by its signatures' dates alone.
    pub validated: bool,
}

impl SourceView {
    /// Whether anything is wrong with a zone or one of its servers, or some name server's
    /// address could not be found: worth showing even when every perspective allows.
    pub fn has_findings(&self) -> bool {
        self.zones.iter().any(|zone| {
            !zone.findings.is_empty()
                || !zone.unaddressed.is_empty()
                || zone
                    .servers
                    .iter()
                    .any(|server| !server.findings.is_empty())
        })
    }
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
    let validated = zones.iter().all(ZoneSeen::is_validated);
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
        validated,
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
            findings.extend(zone.dnssec_lame(index));
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
    findings.extend(zone.broken_chain.clone().map(SourceFinding::DnssecBogus));
    ZoneView {
        zone: zone.delegation.zone.clone(),
        names: zone.names.clone(),
        servers,
        findings,
        unaddressed: zone.unaddressed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::test_support::{
        cname, healthy, lets_encrypt, replied, server, test_tld, www_climb,
    };

    /// A healthy server's answers as validated: signed with signatures in force at `now`
    /// (or unsigned), judged under each key set held as `securities` says.
    fn judged_server(
        address: &str,
        now: u32,
        signed: bool,
        securities: Vec<Security>,
    ) -> Vec<ServerAnswers> {
        let mut server = healthy(address, &["letsencrypt.org"], 7);
        for asked in [&mut server.caa_udp, &mut server.caa_tcp] {
            if let Asked::Replied {
                rrsigs,
                securities: judged,
                ..
            } = asked
            {
                *rrsigs = if signed {
                    vec![(now - 60, now + 60)]
                } else {
                    vec![]
                };
                *judged = securities.clone();
            }
        }
        vec![server]
    }

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
            truncated: false,
            serial: None,
            ttl: None,
            rrsigs: vec![],
            securities: vec![],
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
        assert_eq!(name_choices(&agreeing)[0].choices.len(), 1);
        let disagreeing = ZoneAnswers {
            names: vec!["example.test".into()],
            servers: vec![
                vec![replied(ResponseCode::NoError, &["letsencrypt.org"], 5)],
                vec![replied(ResponseCode::NoError, &["digicert.com"], 4)],
                vec![mangled(&["letsencrypt.org"], 5)],
            ],
        };
        let choices = &name_choices(&disagreeing)[0].choices;
        assert_eq!(choices.len(), 3);
        assert!(matches!(
            choices[2].answer.end,
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

    /// The lookup of `name` when each name's first choice is drawn.
    fn first_draw(name: &str, zones: &[ZoneAnswers]) -> Lookup {
        let names: Vec<NameChoices> = zones.iter().flat_map(name_choices).collect();
        let picked: Vec<&Step> = names.iter().map(|name| &name.choices[0].answer).collect();
        drawn_lookup(name, &names, &picked)
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

    #[test]
    fn rule_11_a_truncated_answer_is_not_an_answer_and_tcp_s_is_taken() {
        let mut truncated = replied(ResponseCode::NoError, &[], 7);
        if let Asked::Replied { truncated: tc, .. } = &mut truncated {
            *tc = true;
        }
        assert_eq!(step_of(&truncated), None);
        let big = server(
            "192.0.2.53",
            truncated.clone(),
            replied(ResponseCode::NoError, &["digicert.com"], 7),
        );
        assert!(matches!(
            used_answer(&big),
            Asked::Replied {
                truncated: false,
                ..
            }
        ));
        // With TCP broken too, the server has no usable answer: never "no records".
        let broken = server("192.0.2.53", truncated, Asked::Silent);
        assert_eq!(step_of(used_answer(&broken)), None);
        assert_eq!(codes(&broken), ["tcp-broken"]);
    }

    #[test]
    fn an_edns_broken_server_s_answer_without_edns_is_taken() {
        let mut shy = server(
            "192.0.2.53",
            replied(ResponseCode::FormErr, &[], 7),
            Asked::Silent,
        );
        shy.caa_without_edns = Some(replied(ResponseCode::NoError, &["digicert.com"], 7));
        assert!(step_of(used_answer(&shy)).is_some());
    }

    #[test]
    fn rules_7_and_8_records_in_an_nxdomain_answer_count() {
        let step = step_of(&replied(ResponseCode::NXDomain, &["digicert.com"], 7)).unwrap();
        assert!(matches!(step.end, StepEnd::Answer(Answer::Records(_))));
        let step = step_of(&replied(ResponseCode::NXDomain, &[], 7)).unwrap();
        assert_eq!(step.end, StepEnd::Answer(Answer::NxDomain));
    }

    #[test]
    fn each_query_draws_its_own_server() {
        // ns1 has the new www record and the apex record; ns2 (stale) has neither. Each alone
        // allows, but a query for www meeting ns2 and one for the apex meeting ns1 denies.
        let climb = www_climb();
        let example = ZoneAnswers {
            names: vec!["www.example.test".into(), "example.test".into()],
            servers: vec![
                vec![
                    replied(ResponseCode::NoError, &["letsencrypt.org"], 8),
                    replied(ResponseCode::NoError, &["digicert.com"], 8),
                ],
                vec![
                    replied(ResponseCode::NoError, &[], 7),
                    replied(ResponseCode::NoError, &[], 7),
                ],
            ],
        };
        let outcomes = source_outcomes(&climb, false, &[example, test_tld()], &lets_encrypt());
        assert!((outcomes.denied - 0.25).abs() < 1e-9, "{outcomes:?}");
        assert!((outcomes.allowed - 0.75).abs() < 1e-9, "{outcomes:?}");
    }

    #[test]
    fn rfc_1982_serials_wrap_around() {
        assert!(serial_before(1, 2));
        assert!(!serial_before(2, 1));
        assert!(!serial_before(7, 7));
        assert!(serial_before(u32::MAX, 3), "3 comes after a wrap");
        assert_eq!(newest_serial([7, u32::MAX, 2].into_iter()), Some(7));
        assert_eq!(newest_serial([u32::MAX - 1, 1].into_iter()), Some(1));
        assert_eq!(newest_serial(std::iter::empty()), None);
    }

    #[test]
    fn a_name_server_this_machine_cannot_reach_at_all_is_unknown_not_passed_over() {
        let asked = |address: &str, ns: &str, reachable: bool| {
            let mut server = healthy(address, &["letsencrypt.org"], 7);
            server.ns = ns.into();
            if !reachable {
                server.soa = Asked::NoRoute;
                server.caa_udp = Asked::NoRoute;
                server.caa_tcp = Asked::NoRoute;
            }
            vec![server]
        };
        let zone = ZoneSeen {
            delegation: Delegation::default(),
            names: vec!["www.example.test".into()],
            servers: vec![
                asked("192.0.2.53", "ns1.example.test.", true),
                asked("2001:db8::53", "ns1.example.test.", false),
                asked("2001:db8::54", "ns2.example.test.", false),
            ],
            asked_at: 1_800_000_000,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        // ns1's IPv6 address is the same server, asked over IPv4; ns2 is asked nowhere.
        assert!(!zone.unasked(0) && !zone.unasked(1) && zone.unasked(2));
        let answers = zone.answers();
        assert_eq!(step_of(&answers.servers[1][0]), None);
        assert!(matches!(
            step_of(&answers.servers[2][0]).map(|step| step.end),
            Some(StepEnd::Answer(Answer::Failed(_)))
        ));
    }

    #[test]
    fn a_name_server_with_no_address_found_is_unknown_not_dropped() {
        let mut ns1 = healthy("192.0.2.53", &["letsencrypt.org"], 7);
        ns1.ns = "ns1.example.test.".into();
        let zone = ZoneSeen {
            delegation: Delegation {
                zone: "example.test.".into(),
                parent_ns: vec!["ns1.example.test.".into(), "ns2.elsewhere.test.".into()],
                child_ns: vec!["ns1.example.test.".into()],
                ..Delegation::default()
            },
            names: vec!["www.example.test".into()],
            servers: vec![vec![ns1]],
            asked_at: 1_800_000_000,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        assert_eq!(zone.unaddressed(), ["ns2.elsewhere.test."]);
        let climb = ["www.example.test".to_owned()];
        let outcomes = source_outcomes(&climb, false, &[zone.answers()], &lets_encrypt());
        assert!((outcomes.error - 0.5).abs() < 1e-9, "{outcomes:?}");
        assert_eq!(outcomes.worst(), Verdict::Error);
    }

    #[test]
    fn a_server_of_a_signed_zone_without_signatures_or_with_expired_ones_is_passed_over() {
        const NOW: u32 = 1_800_000_000;
        let signed = |address: &str, validity: &[(u32, u32)]| {
            let mut server = healthy(address, &["letsencrypt.org"], 7);
            for asked in [&mut server.caa_udp, &mut server.caa_tcp] {
                if let Asked::Replied { rrsigs, .. } = asked {
                    *rrsigs = validity.to_vec();
                }
            }
            vec![server]
        };
        let zone = ZoneSeen {
            delegation: Delegation::default(),
            names: vec!["www.example.test".into()],
            servers: vec![
                signed("192.0.2.1", &[(NOW - 60, NOW + 60)]),
                signed("192.0.2.2", &[]),
                signed("192.0.2.3", &[(NOW - 120, NOW - 60)]),
            ],
            asked_at: NOW,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        assert!(zone.is_signed());
        assert_eq!(zone.dnssec_lame(0), None);
        assert_eq!(zone.dnssec_lame(1), Some(SourceFinding::DnssecStripped));
        assert_eq!(
            zone.dnssec_lame(2),
            Some(SourceFinding::DnssecExpired { expired: NOW - 60 })
        );
        let answers = zone.answers();
        assert!(step_of(&answers.servers[0][0]).is_some());
        assert!(
            answers.servers[1..]
                .iter()
                .all(|said| step_of(&said[0]).is_none())
        );
        // In an unsigned zone, no server is missing anything.
        let unsigned = ZoneSeen {
            servers: vec![signed("192.0.2.2", &[])],
            ..zone
        };
        assert_eq!(unsigned.dnssec_lame(0), None);
    }

    #[test]
    fn with_dnssec_each_server_s_validated_answer_names_what_is_wrong_with_it() {
        const NOW: u32 = 1_800_000_000;
        let bogus = |kind| {
            Security::Bogus(Bogus {
                zone: "example.test.".into(),
                kind,
            })
        };
        let rrset = || "www.example.test. CAA".to_owned();
        // Dates in force: the verdict is validation's, not the dates'.
        let validated = |address: &str, signed: bool, security: Security| {
            judged_server(address, NOW, signed, vec![security])
        };
        let zone = ZoneSeen {
            delegation: Delegation::default(),
            names: vec!["www.example.test".into()],
            servers: vec![
                validated("192.0.2.1", true, Security::Secure),
                validated(
                    "192.0.2.2",
                    false,
                    bogus(BogusKind::SignatureMissing { rrset: rrset() }),
                ),
                validated(
                    "192.0.2.3",
                    true,
                    bogus(BogusKind::SignatureExpired {
                        rrset: rrset(),
                        expired: NOW - 60,
                    }),
                ),
                validated(
                    "192.0.2.4",
                    true,
                    bogus(BogusKind::NoMatchingKey {
                        rrset: rrset(),
                        key_tags: vec![4242],
                    }),
                ),
                validated("192.0.2.5", false, Security::Insecure),
                // Another zone's answer, not judged here: its signatures' dates are.
                validated("192.0.2.6", false, Security::Indeterminate),
            ],
            asked_at: NOW,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        assert_eq!(zone.dnssec_lame(0), None);
        assert_eq!(zone.dnssec_lame(1), Some(SourceFinding::DnssecStripped));
        assert_eq!(
            zone.dnssec_lame(2),
            Some(SourceFinding::DnssecExpired { expired: NOW - 60 })
        );
        let Some(SourceFinding::DnssecBogus(another_key)) = zone.dnssec_lame(3) else {
            panic!("dnssec-bogus expected");
        };
        assert_eq!(another_key.kind.code(), "no-matching-key");
        // Validated insecure: unsigned and proven so, though other servers sign.
        assert_eq!(zone.dnssec_lame(4), None);
        assert_eq!(zone.dnssec_lame(5), Some(SourceFinding::DnssecStripped));
        let answers = zone.answers();
        let usable: Vec<bool> = answers
            .servers
            .iter()
            .map(|said| step_of(&said[0]).is_some())
            .collect();
        assert_eq!(usable, [true, false, false, false, true, false]);
        // Server 6's answer was judged by its dates alone: the zone is not validated whole.
        assert!(!zone.is_validated());
        let mut judged_by_keys = zone.clone();
        judged_by_keys.servers.pop();
        assert!(judged_by_keys.is_validated());
        // A server that answers while its keys could not be had: a resolver may hold its
        // keys, so the failures stand but the zone is not validated. With no set seen
        // validating, the servers' answers are drawn with one failing draw beside them.
        let mut keys_unknown = judged_by_keys.clone();
        keys_unknown.keys_unknown = vec![false, false, false, true, false];
        assert!(matches!(
            keys_unknown.dnssec_lame(3),
            Some(SourceFinding::DnssecBogus(_))
        ));
        assert!(!keys_unknown.is_validated());
        assert_eq!(keys_unknown.answers().servers[5], [Asked::NotAsked]);
        // Every reply failing under the set seen: a resolver holding it fails, so one draw
        // fails beside the replies taken by their dates.
        let mut all_failing = keys_unknown.clone();
        all_failing.servers = vec![zone.servers[3].clone(), zone.servers[3].clone()];
        all_failing.keys_unknown = vec![true, false];
        let drawn = all_failing.answers().servers;
        assert!(step_of(&drawn[0][0]).is_some() && step_of(&drawn[1][0]).is_some());
        assert!(
            matches!(&drawn[2][0], Asked::Failed(failure) if failure.kind == FailureKind::DnssecBogus)
        );
        keys_unknown.broken_chain = Some(Bogus {
            zone: "example.test.".into(),
            kind: BogusKind::SignatureMissing { rrset: rrset() },
        });
        let drawn = keys_unknown.answers().servers;
        assert_eq!(drawn.len(), 6);
        assert!(
            matches!(&drawn[5][0], Asked::Failed(failure) if failure.kind == FailureKind::DnssecBogus)
        );
        assert!(step_of(&drawn[0][0]).is_some());
        let mut without_dnssec = judged_by_keys;
        without_dnssec.servers = vec![vec![healthy("192.0.2.1", &["letsencrypt.org"], 7)]];
        assert!(!without_dnssec.is_validated());
    }

    #[test]
    fn a_reply_is_passed_over_only_when_it_fails_under_every_key_set_a_resolver_may_hold() {
        const NOW: u32 = 1_800_000_000;
        let bogus = || {
            Security::Bogus(Bogus {
                zone: "example.test.".into(),
                kind: BogusKind::NoMatchingKey {
                    rrset: "www.example.test. CAA".into(),
                    key_tags: vec![4242],
                },
            })
        };
        // Judged under two key sets (a stale secondary's that still validates, and the
        // current one), signatures in force.
        let judged = |address: &str, securities| judged_server(address, NOW, true, securities);
        let mut zone = ZoneSeen {
            delegation: Delegation::default(),
            names: vec!["www.example.test".into()],
            servers: vec![
                judged("192.0.2.1", vec![Security::Secure, bogus()]),
                judged("192.0.2.2", vec![bogus(), Security::Secure]),
                judged("192.0.2.3", vec![bogus(), bogus()]),
            ],
            asked_at: NOW,
            broken_chain: None,
            keys_unknown: Vec::new(),
        };
        // A failure under any set is named; only failing under all is passed over: a
        // resolver holding a set a server's answers validate under takes them.
        for index in 0..3 {
            assert!(matches!(
                zone.dnssec_lame(index),
                Some(SourceFinding::DnssecBogus(_))
            ));
        }
        let passed = |zone: &ZoneSeen| -> Vec<bool> {
            zone.answers()
                .servers
                .iter()
                .map(|said| said.iter().all(|asked| *asked == Asked::NotAsked))
                .collect()
        };
        assert_eq!(passed(&zone)[..3], [false, false, true]);
        // No set leaves every reply failing: no failing draw beside them.
        assert_eq!(zone.answers().servers[3], [Asked::NotAsked]);
        // Each reply is taken or passed over on its own: a resolver holding set 2 takes the
        // first server's second answer, though its first fails under that set.
        zone.names.push("example.test".into());
        zone.servers[0].push(judged("192.0.2.1", vec![bogus(), Security::Secure]).remove(0));
        let drawn = zone.answers().servers;
        assert!(step_of(&drawn[0][0]).is_some() && step_of(&drawn[0][1]).is_some());
        // The second name has that one answer, failing under set 1: a resolver holding set
        // 1 fails, one failing draw beside it.
        assert!(
            matches!(&drawn[3][1], Asked::Failed(failure) if failure.kind == FailureKind::DnssecBogus)
        );
        zone.servers[0][1] = judged("192.0.2.1", vec![bogus(), bogus()]).remove(0);
        let drawn = zone.answers().servers;
        assert!(step_of(&drawn[0][0]).is_some());
        assert_eq!(drawn[0][1], Asked::NotAsked);
        // With a set unknown (a server that answers gave no keys), no server is passed over
        // for what validation found: its dates are in force.
        zone.keys_unknown = vec![true, false, false];
        assert_eq!(passed(&zone)[..3], [false, false, false]);
    }
}
