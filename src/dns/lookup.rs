//! The CAA lookup of one name, as the CA's resolver delivers it: ask, follow CNAME and DNAME
//! chains (rules 13 and 14), and say what came back (rules 7 to 11).
//!
//! A recursive resolver returns the whole chain in one reply. An authoritative server (or a
//! forwarder) may stop at an alias whose target lies in another zone; then the target is asked
//! in a further query, as a stub resolver would. Loops are caught here: hickory's resolver
//! reports a CNAME loop as NODATA, which would read as "no records" and could wrongly allow.

use std::collections::HashSet;

use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::Name;

use crate::caa::answers::{
    Alias, AliasKind, Answer, CaaRecord, Failure, FailureKind, Lookup, MOST_ALIAS_QUERIES,
    MOST_ALIASES,
};
use crate::escape::label_escape;

use super::resolver::Resolver;
use super::transport::{ExchangeError, Transport, describe};
use super::wire::{AnswerRecord, Reply, WireName, wire_name, wire_name_of};

/// Looks up the CAA records of `name` (ASCII, no trailing dot) and follows its aliases.
pub async fn lookup_caa(resolver: &Resolver, name: &str) -> Lookup {
    let mut lookup = Lookup::new(name, Answer::NoData);
    let Some(mut wire) = wire_name(name) else {
        lookup.answer = failed(
            FailureKind::BadResponse,
            "the name is too long to ask".into(),
        );
        return lookup;
    };
    // The question as a `Name` and the names seen along an alias chain: most lookups meet no
    // alias and never need either.
    let mut question: Option<Name> = None;
    let mut visited: Option<HashSet<Name>> = None;
    for _ in 0..MOST_ALIAS_QUERIES {
        let exchange = resolver.query(&wire).await;
        lookup.server = Some(exchange.server);
        let reply = match &exchange.result {
            Ok(reply) => reply,
            Err(error) => {
                lookup.answer = exchange_failure(error, resolver.transport());
                return lookup;
            }
        };
        let mut end = None;
        if reply
            .answers
            .iter()
            .any(|record| !matches!(record, AnswerRecord::Caa { .. }))
        {
            let question = match question.take() {
                Some(question) => question,
                None => match Name::from_ascii(format!("{name}.")) {
                    Ok(question) => question,
                    Err(error) => {
                        lookup.answer =
                            failed(FailureKind::BadResponse, format!("cannot follow: {error}"));
                        return lookup;
                    }
                },
            };
            let visited = visited.get_or_insert_with(|| HashSet::from([question.clone()]));
            match follow_chain(&question, &reply.answers, visited, &mut lookup.aliases) {
                Ok(chain_end) if chain_end != question => end = Some(chain_end),
                Ok(_) => {}
                Err(failure) => {
                    lookup.answer = Answer::Failed(failure);
                    return lookup;
                }
            }
        }
        let expected_owner = match &end {
            Some(end) => wire_name_of(end),
            None => Some(wire),
        };
        // Boulder counts the records of an NXDOMAIN answer, except for a TLD.
        match classify(reply, end, name.contains('.')) {
            Ok(answer) => {
                if matches!(answer, Answer::Records(_)) {
                    lookup.other_owners = other_owners(reply, expected_owner.as_ref());
                }
                lookup.answer = answer;
                return lookup;
            }
            Err(next) => {
                let Some(next_wire) = wire_name_of(&next) else {
                    lookup.answer = failed(
                        FailureKind::BadResponse,
                        "an alias target is too long".into(),
                    );
                    return lookup;
                };
                wire = next_wire;
                question = Some(next);
            }
        }
    }
    lookup.answer = failed(
        FailureKind::AliasChainTooLong,
        format!("still following aliases after {MOST_ALIAS_QUERIES} queries"),
    );
    lookup
}

/// The owners, other than `expected` (the name asked, or the end of its alias chain), of the
/// reply's CAA records: they count all the same (rule 7), but a report must say whose they are.
fn other_owners(reply: &Reply, expected: Option<&WireName>) -> Vec<String> {
    let mut owners: Vec<String> = Vec::new();
    for record in &reply.answers {
        if let AnswerRecord::Caa { owner, .. } = record
            && wire_name_of(owner).as_ref() != expected
        {
            let owner = name_text(owner);
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
    }
    owners
}

/// Rules 7 to 9 and 13: what a reply means for the lookup; or, when its alias chain ends (at
/// `end`, if the reply led away from the question) at a name the reply does not answer for,
/// that name, to be asked next. With `records_despite_nxdomain`, CAA records in an NXDOMAIN
/// answer count, as Boulder counts them for any name but a TLD.
fn classify(
    reply: &Reply,
    end: Option<Name>,
    records_despite_nxdomain: bool,
) -> Result<Answer, Name> {
    // Like the CA, every CAA record of the answer section counts, whatever its owner name.
    let records: Vec<CaaRecord> = reply
        .answers
        .iter()
        .filter_map(|record| match record {
            AnswerRecord::Caa { record, .. } => Some(record.clone()),
            _ => None,
        })
        .collect();
    let answered = |kind: FailureKind| {
        let mut detail = format!("the server answered {}", kind.name().to_uppercase());
        if let Some(extended) = &reply.extended_error {
            detail = format!("{detail}; {extended}");
        }
        Answer::Failed(Failure {
            kind,
            detail,
            extended_error: reply.extended_error.clone(),
        })
    };
    let answer = match reply.rcode {
        ResponseCode::NoError if !records.is_empty() => Answer::Records(records),
        ResponseCode::NoError => match end {
            Some(end) if !answers_for(&reply.soa_owners, &end) => return Err(end),
            _ => Answer::NoData,
        },
        ResponseCode::NXDomain if records_despite_nxdomain && !records.is_empty() => {
            Answer::Records(records)
        }
        ResponseCode::NXDomain => match end {
            // The end of the chain lies in a zone this reply does not speak for: its NXDOMAIN
            // is not that zone's word (RFC 6604), so the end is asked of its own servers.
            Some(end) if !answers_for(&reply.soa_owners, &end) => return Err(end),
            _ => Answer::NxDomain,
        },
        ResponseCode::ServFail => answered(FailureKind::ServFail),
        ResponseCode::Refused => answered(FailureKind::Refused),
        rcode => answered(FailureKind::Rcode(rcode)),
    };
    Ok(answer)
}

/// Rules 13 and 14 for one reply of an authoritative server (`check --source`): the alias chain
/// it holds from `question`, and where the chain goes on when it ends at a name the reply does
/// not answer for (a target in another zone, to be asked of that zone's servers).
pub fn alias_chain(question: &Name, reply: &Reply) -> Result<(Vec<Alias>, Option<Name>), Failure> {
    let mut aliases = Vec::new();
    let mut visited = HashSet::from([question.clone()]);
    let end = follow_chain(question, &reply.answers, &mut visited, &mut aliases)?;
    let end = (end != *question).then_some(end);
    let onward = classify(reply, end, true).err();
    Ok((aliases, onward))
}

/// RFC 2308: a negative answer carries the SOA of the zone it speaks for; if that zone holds
/// the end of the chain, the reply has answered for it.
fn answers_for(soa_owners: &[Name], end: &Name) -> bool {
    soa_owners.iter().any(|zone| zone.zone_of(end))
}

/// Rules 13 and 14: follows the chain from `start` through the reply's CNAME and DNAME records,
/// recording each step, and returns the name it ends at. A DNAME redirects only names below its
/// owner. A name seen before is a loop.
fn follow_chain(
    start: &Name,
    answers: &[AnswerRecord],
    visited: &mut HashSet<Name>,
    aliases: &mut Vec<Alias>,
) -> Result<Name, Failure> {
    let mut current = start.clone();
    loop {
        let Some((kind, owner, next)) = next_step(&current, answers)? else {
            return Ok(current);
        };
        aliases.push(Alias {
            kind,
            owner: name_text(&owner),
            from: name_text(&current),
            to: name_text(&next),
        });
        if !visited.insert(next.clone()) {
            return Err(Failure::new(
                FailureKind::AliasLoop,
                format!("the alias chain comes back to {}", name_text(&next)),
            ));
        }
        if aliases.len() > MOST_ALIASES {
            return Err(Failure::new(
                FailureKind::AliasChainTooLong,
                format!("the alias chain is longer than {MOST_ALIASES} steps"),
            ));
        }
        current = next;
    }
}

/// The alias that redirects `current`, if the reply holds one: a DNAME at a strict ancestor
/// (checked first: a resolver sends the DNAME with a CNAME synthesised from it), else a CNAME
/// at `current` itself.
fn next_step(
    current: &Name,
    answers: &[AnswerRecord],
) -> Result<Option<(AliasKind, Name, Name)>, Failure> {
    for record in answers {
        if let AnswerRecord::Dname { owner, target } = record
            && owner.zone_of(current)
            && owner.num_labels() < current.num_labels()
        {
            let next = substitute_dname(current, owner, target)?;
            return Ok(Some((AliasKind::Dname, owner.clone(), next)));
        }
    }
    Ok(answers.iter().find_map(|record| match record {
        AnswerRecord::Cname { owner, target } if owner == current => {
            Some((AliasKind::Cname, owner.clone(), target.clone()))
        }
        _ => None,
    }))
}

/// RFC 6672 §2.2: replace the DNAME owner at the end of `current` with its target. A result
/// too long for DNS is YXDOMAIN.
fn substitute_dname(current: &Name, owner: &Name, target: &Name) -> Result<Name, Failure> {
    let kept = usize::from(current.num_labels() - owner.num_labels());
    Name::from_labels(current.iter().take(kept))
        .and_then(|prefix| prefix.append_domain(target))
        .map_err(|_| {
            Failure::new(
                FailureKind::Rcode(ResponseCode::YXDomain),
                format!(
                    "the DNAME at {} makes {} too long",
                    name_text(owner),
                    name_text(current)
                ),
            )
        })
}

/// Rules 10 and 11: a question that got no usable reply.
fn exchange_failure(error: &ExchangeError, transport: &Transport) -> Answer {
    let kind = match error {
        ExchangeError::Timeout => FailureKind::Timeout,
        ExchangeError::Unreachable(_) => FailureKind::Unreachable,
        ExchangeError::Truncated(_) => FailureKind::Truncated,
        ExchangeError::BadResponse(_) => FailureKind::BadResponse,
        ExchangeError::LocalLimit(_) => FailureKind::LocalLimit,
    };
    let detail = match error {
        ExchangeError::Timeout => format!(
            "no reply after {} attempt(s) of {} s",
            transport.attempts.max(1),
            transport.timeout.as_secs_f64()
        ),
        other => describe(other),
    };
    failed(kind, detail)
}

fn failed(kind: FailureKind, detail: String) -> Answer {
    Answer::Failed(Failure::new(kind, detail))
}

/// A name for reports and zone lines: lowercase, no trailing dot, unusual bytes escaped as in
/// a zone file.
pub fn name_text(name: &Name) -> String {
    name.iter().map(label_escape).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn cname(owner: &str, target: &str) -> AnswerRecord {
        AnswerRecord::Cname {
            owner: name(owner),
            target: name(target),
        }
    }

    fn dname(owner: &str, target: &str) -> AnswerRecord {
        AnswerRecord::Dname {
            owner: name(owner),
            target: name(target),
        }
    }

    fn follow(start: &str, answers: &[AnswerRecord]) -> (Result<Name, Failure>, Vec<Alias>) {
        let start = name(start);
        let mut visited = HashSet::from([start.clone()]);
        let mut aliases = Vec::new();
        let end = follow_chain(&start, answers, &mut visited, &mut aliases);
        (end, aliases)
    }

    #[test]
    fn rule_13_cname_chains_are_followed_in_order() {
        let answers = [cname("b.test.", "c.test."), cname("a.test.", "b.test.")];
        let (end, aliases) = follow("A.test.", &answers);
        assert_eq!(end.unwrap(), name("c.test."));
        assert_eq!(
            aliases
                .iter()
                .map(|a| (&*a.from, &*a.to))
                .collect::<Vec<_>>(),
            vec![("a.test", "b.test"), ("b.test", "c.test")]
        );
    }

    #[test]
    fn rule_14_a_dname_redirects_only_names_below_its_owner() {
        let answers = [dname("d.example.test.", "target.test.")];
        let (end, aliases) = follow("x.y.d.example.test.", &answers);
        assert_eq!(end.unwrap(), name("x.y.target.test."));
        assert_eq!(aliases[0].kind, AliasKind::Dname);
        assert_eq!(aliases[0].owner, "d.example.test");
        let (end, aliases) = follow("d.example.test.", &answers);
        assert_eq!(end.unwrap(), name("d.example.test."));
        assert!(aliases.is_empty());
    }

    #[test]
    fn a_dname_is_preferred_to_the_cname_synthesised_from_it() {
        let answers = [dname("d.test.", "t.test."), cname("x.d.test.", "x.t.test.")];
        let (end, aliases) = follow("x.d.test.", &answers);
        assert_eq!(end.unwrap(), name("x.t.test."));
        assert_eq!(aliases.len(), 1);
        assert_eq!(aliases[0].kind, AliasKind::Dname);
    }

    #[test]
    fn loops_and_overlong_chains_are_failures_of_their_own_kinds() {
        let (end, _) = follow(
            "a.test.",
            &[cname("a.test.", "b.test."), cname("b.test.", "a.test.")],
        );
        assert_eq!(end.unwrap_err().kind, FailureKind::AliasLoop);
        let (end, _) = follow("a.test.", &[cname("a.test.", "a.test.")]);
        assert_eq!(end.unwrap_err().kind, FailureKind::AliasLoop);
        let endless: Vec<_> = (0..30)
            .map(|i| cname(&format!("n{i}.test."), &format!("n{}.test.", i + 1)))
            .collect();
        let (end, _) = follow("n0.test.", &endless);
        assert_eq!(end.unwrap_err().kind, FailureKind::AliasChainTooLong);
        // A DNAME under its own target grows the name until it no longer fits.
        let (end, _) = follow("x.d.test.", &[dname("d.test.", "a.b.c.d.test.")]);
        assert!(end.is_err());
    }

    fn caa(owner: &str, record: CaaRecord) -> AnswerRecord {
        AnswerRecord::Caa {
            owner: name(owner),
            record,
        }
    }

    #[test]
    fn caa_records_in_an_nxdomain_answer_count_except_for_a_tld() {
        let records = vec![caa("a.test.", CaaRecord::new(0, "issue", "ca.example"))];
        assert_eq!(
            classify(&reply(3, records.clone(), &[]), None, true),
            Ok(Answer::Records(vec![CaaRecord::new(
                0,
                "issue",
                "ca.example"
            )]))
        );
        assert_eq!(
            classify(&reply(3, records, &[]), None, false),
            Ok(Answer::NxDomain)
        );
        assert_eq!(
            classify(&reply(3, vec![], &[]), None, true),
            Ok(Answer::NxDomain)
        );
    }

    #[test]
    fn records_owned_by_another_name_are_named_once_each() {
        let reply = reply(
            0,
            vec![
                caa("a.test.", CaaRecord::new(0, "issue", "x")),
                caa("Other.test.", CaaRecord::new(0, "issue", "y")),
                caa("other.test.", CaaRecord::new(0, "iodef", "z")),
            ],
            &[],
        );
        let asked = wire_name("a.test");
        assert_eq!(other_owners(&reply, asked.as_ref()), vec!["other.test"]);
    }

    fn reply(rcode: u8, answers: Vec<AnswerRecord>, soa_owners: &[&str]) -> Reply {
        Reply {
            id: 1,
            is_response: true,
            rcode: ResponseCode::from(0, rcode),
            truncated: false,
            answers_question: true,
            answers,
            soa_owners: soa_owners.iter().map(|o| name(o)).collect(),
            extended_error: None,
            provenance: Default::default(),
            sections: Default::default(),
        }
    }

    #[test]
    fn rule_7_and_13_an_alias_target_is_asked_unless_the_reply_answered_for_it() {
        let target = name("cdn.b.test.");
        let chain = vec![cname("www.a.test.", "cdn.b.test.")];
        assert_eq!(
            classify(&reply(0, chain.clone(), &[]), Some(target.clone()), true),
            Err(target.clone())
        );
        assert_eq!(
            classify(
                &reply(0, chain.clone(), &["b.test."]),
                Some(target.clone()),
                true
            ),
            Ok(Answer::NoData)
        );
        // The SOA of the alias's own zone says nothing about the target.
        assert_eq!(
            classify(&reply(0, chain, &["a.test."]), Some(target.clone()), true),
            Err(target)
        );
        assert_eq!(
            classify(&reply(0, vec![], &[]), None, true),
            Ok(Answer::NoData)
        );
    }

    #[test]
    fn rule_8_and_13_nxdomain_at_the_end_of_a_chain_is_nxdomain() {
        let chain = vec![cname("www.a.test.", "gone.b.test.")];
        assert_eq!(
            classify(
                &reply(3, chain, &["b.test."]),
                Some(name("gone.b.test.")),
                true
            ),
            Ok(Answer::NxDomain)
        );
        // Without the SOA of the end's zone the NXDOMAIN is not that zone's word: ask it.
        let chain = vec![cname("www.a.test.", "gone.b.test.")];
        assert_eq!(
            classify(
                &reply(3, chain, &["a.test."]),
                Some(name("gone.b.test.")),
                true
            ),
            Err(name("gone.b.test."))
        );
    }

    #[test]
    fn rule_9_rcodes_are_failures_named_by_kind() {
        let kind = |rcode| match classify(&reply(rcode, vec![], &[]), None, true) {
            Ok(Answer::Failed(failure)) => failure.kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind(2), FailureKind::ServFail);
        assert_eq!(kind(5), FailureKind::Refused);
        assert_eq!(kind(4), FailureKind::Rcode(ResponseCode::NotImp));
        assert_eq!(kind(1), FailureKind::Rcode(ResponseCode::FormErr));
    }

    #[test]
    fn every_caa_record_of_the_answer_counts_whatever_its_owner() {
        let records = vec![
            cname("www.a.test.", "cdn.b.test."),
            caa("elsewhere.test.", CaaRecord::new(0, "issue", "ca.example")),
        ];
        assert_eq!(
            classify(&reply(0, records, &[]), Some(name("cdn.b.test.")), true),
            Ok(Answer::Records(vec![CaaRecord::new(
                0,
                "issue",
                "ca.example"
            )]))
        );
    }
}
