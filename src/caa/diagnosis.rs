//! A name's complete diagnosis, as data: the judged check, the smallest change that allows
//! (`fix`), what the CA itself answers an order for the name, and the advice that applies.
//! Everything is decided here; the renderers only put it into words.

use crate::caa::answers::{Answer, CaaRecord, FailureKind};
use crate::caa::check::Check;
use crate::caa::finding::Finding;
use crate::caa::fix::{Change, names_the_ca, plan};
use crate::caa::policy::Refusal;
use crate::caa::relevant::is_tld;
use crate::caa::requester::Requester;
use crate::caa::sources::SourceView;
use crate::caa::tags::{Property, classify_tag};
use crate::caa::verdict::{Basis, Verdict};

/// Everything a report shows of one name.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    pub check: Check,
    /// With `--source`: every authoritative server asked directly, judged; or why the walk
    /// from the root could not be made.
    pub sources: Option<Result<SourceView, String>>,
    /// The records to add, remove or replace so that the CA may issue; empty when allowed or
    /// when no record change helps.
    pub changes: Vec<Change>,
    /// What Let's Encrypt answers an order for this name, when it is the CA and will not
    /// issue; none when the failure is most likely this machine's own.
    pub ca_answer: Option<CaAnswer>,
    pub advice: Vec<Advice>,
}

impl Diagnosis {
    /// The verdict a report gives: with `--source`, the sources' (the worst a perspective can
    /// meet; an error when the walk from the root failed); else the resolver's.
    ///
    /// A lookup that failed in a way DNSSEC may explain decides with the sources too, unless
    /// every server's answer was validated under its zone's keys: servers judged by their
    /// signatures' dates alone vouch for no signature, and no verdict is "allowed" when the
    /// signatures may fail.
    pub fn verdict(&self) -> Verdict {
        match &self.sources {
            Some(Ok(view))
                if view.verdict == Verdict::Allowed
                    && !view.validated
                    && self.failure_may_be_dnssec() =>
            {
                Verdict::Error
            }
            Some(Ok(view)) => view.verdict,
            Some(Err(_)) => Verdict::Error,
            None => self.check.evaluation.verdict,
        }
    }

    /// Attaches what `--source` found. When the servers asked directly lead the CA to allow
    /// while the resolver's lookup failed, the CA's failing answer and the DNS operator's
    /// repair do not follow: the CA asks the servers itself. If the servers' verdict stands,
    /// the failure is the resolver's own (its cache, its validation, its network); if it does
    /// not (unvalidated servers over a failure DNSSEC may explain), what the CA meets is not
    /// known here.
    pub fn with_sources(mut self, sources: Option<Result<SourceView, String>>) -> Self {
        self.sources = sources;
        let Basis::LookupFailed(lookup) = self.check.evaluation.basis else {
            return self;
        };
        if !matches!(&self.sources, Some(Ok(view)) if view.verdict == Verdict::Allowed) {
            return self;
        }
        self.ca_answer = None;
        self.advice
            .retain(|advice| !matches!(advice, Advice::CaFailsTheSameWay { .. }));
        if self.verdict() == Verdict::Allowed {
            self.advice
                .retain(|advice| !matches!(advice, Advice::LookupFailed { .. }));
            self.advice.insert(0, Advice::ResolverAlone { lookup });
        } else {
            let validated_here = self.check.lookups.iter().any(|seen| seen.dnssec.is_some());
            self.advice.push(Advice::ServersUnvalidated {
                lookup,
                validated_here,
            });
        }
        self
    }

    /// Whether the resolver's lookup failed in a way DNSSEC may explain: validation here found
    /// it bogus or could not validate it, the resolver answered SERVFAIL (what a validating
    /// resolver answers for bogus data, with an Extended DNS Error saying so or without), or
    /// it did not answer in time (a validating resolver chasing keys that fail may not).
    fn failure_may_be_dnssec(&self) -> bool {
        let Basis::LookupFailed(index) = self.check.evaluation.basis else {
            return false;
        };
        matches!(
            &self.check.lookups[index].answer,
            Answer::Failed(failure)
                if matches!(
                    failure.kind,
                    FailureKind::DnssecBogus
                        | FailureKind::DnssecIndeterminate
                        | FailureKind::ServFail
                        | FailureKind::Timeout
                )
        )
    }
}

/// Let's Encrypt's answer to an order it will not fill, as Boulder words its errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaAnswer {
    /// The name policy rejects the identifier (`rejectedIdentifier`).
    Rejected(Refusal),
    /// "DNS problem: PROBLEM looking up CAA for NAME".
    DnsProblem { problem: CaDnsProblem, name: String },
    /// "CAA record for NAME prevents issuance".
    Prevented { name: String },
}

/// The problem Boulder names in a failed CAA lookup's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaDnsProblem {
    QueryTimedOut,
    NxDomain,
    /// An error RCODE, named as the CA's resolver reports it (a loop, a server without TCP,
    /// garbage: its resolver answers SERVFAIL).
    Answered(FailureKind),
}

/// Advice that applies to a name, each with a stable code. Indices point into the check's
/// lookups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Advice {
    /// The CA refuses the name whatever its records say: what to request instead.
    NamePolicy(Refusal),
    /// The TLD of the lookup does not exist.
    TldDoesNotExist { lookup: usize },
    /// The lookup failed: its likely cause, by kind; `dnssec` when the resolver said (by an
    /// Extended DNS Error code) that DNSSEC validation failed.
    LookupFailed { lookup: usize, dnssec: bool },
    /// The CA's own lookup fails the same way: only the DNS operator can fix it.
    CaFailsTheSameWay { lookup: usize },
    /// The lookup failed through the resolver alone (`--source`): asked directly, the servers
    /// lead the CA to allow, and the failure is one DNSSEC cannot explain or their answers
    /// were validated.
    ResolverAlone { lookup: usize },
    /// Asked directly, the servers lead the CA to allow, but their answers were not validated
    /// and the lookup's failure may be DNSSEC's: what the CA meets is not known here
    /// (`--source`); `validated_here` when `--dnssec` was on.
    ServersUnvalidated { lookup: usize, validated_here: bool },
    /// The relevant records come through an alias into another domain.
    AliasedElsewhere { lookup: usize },
    /// A critical record to remove could stay with its flags cleared.
    ClearTheCriticalFlagInstead { owner: String, record: CaaRecord },
    /// The fix drops an accounturi restriction for an unknown platform account.
    AccountUriDropped,
    /// Records naming other CAs stay as they are.
    OtherIssuersStay { issuers: Vec<Vec<u8>> },
    /// An issue record added for a wildcard covers the base name too.
    WildcardIssueCoversBase,
    /// The relevant set holds an iodef record, which the CA never acts on.
    IodefIgnored { lookup: usize },
}

impl Advice {
    /// A stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Advice::NamePolicy(_) => "name-policy",
            Advice::TldDoesNotExist { .. } => "tld-does-not-exist",
            Advice::LookupFailed { .. } => "lookup-failed",
            Advice::CaFailsTheSameWay { .. } => "ca-fails-the-same-way",
            Advice::ResolverAlone { .. } => "resolver-alone",
            Advice::ServersUnvalidated { .. } => "servers-unvalidated",
            Advice::AliasedElsewhere { .. } => "aliased-elsewhere",
            Advice::ClearTheCriticalFlagInstead { .. } => "clear-the-critical-flag-instead",
            Advice::AccountUriDropped => "accounturi-dropped",
            Advice::OtherIssuersStay { .. } => "other-issuers-stay",
            Advice::WildcardIssueCoversBase => "wildcard-issue-covers-base",
            Advice::IodefIgnored { .. } => "iodef-ignored",
        }
    }
}

/// The diagnosis of a judged name for `requester`.
pub fn diagnose(check: Check, requester: &Requester) -> Diagnosis {
    let changes = plan(&check, requester);
    let ca_answer = if requester.is_lets_encrypt() {
        ca_answer(&check)
    } else {
        None
    };
    let advice = advice(&check, requester, &changes);
    Diagnosis {
        check,
        sources: None,
        changes,
        ca_answer,
        advice,
    }
}

/// What Let's Encrypt answers when it will not issue; none when it will, or when the failure
/// is most likely this machine's own (an unreachable resolver, a local limit).
fn ca_answer(check: &Check) -> Option<CaAnswer> {
    if check.evaluation.verdict == Verdict::Allowed {
        return None;
    }
    Some(match &check.evaluation.basis {
        Basis::NamePolicy(refusal) => CaAnswer::Rejected(refusal.clone()),
        Basis::LookupFailed(index) => {
            let lookup = &check.lookups[*index];
            let problem = match &lookup.answer {
                Answer::Failed(failure) => match failure.kind {
                    kind if kind.is_local() => return None,
                    // The CA's validating resolver answers it SERVFAIL for a bogus answer.
                    FailureKind::DnssecBogus => CaDnsProblem::Answered(FailureKind::ServFail),
                    FailureKind::Timeout => CaDnsProblem::QueryTimedOut,
                    // The CA's own resolver meets the same loop, the same server without TCP,
                    // the same garbage, and answers the CA SERVFAIL.
                    FailureKind::AliasLoop
                    | FailureKind::AliasChainTooLong
                    | FailureKind::Truncated
                    | FailureKind::BadResponse => CaDnsProblem::Answered(FailureKind::ServFail),
                    kind => CaDnsProblem::Answered(kind),
                },
                _ => CaDnsProblem::NxDomain,
            };
            CaAnswer::DnsProblem {
                problem,
                name: lookup.name.clone(),
            }
        }
        _ => CaAnswer::Prevented {
            name: check
                .relevant_lookup()
                .map_or_else(String::new, |lookup| lookup.name.clone()),
        },
    })
}

/// The advice for a check, given the changes planned for it.
fn advice(check: &Check, requester: &Requester, changes: &[Change]) -> Vec<Advice> {
    let mut advice = Vec::new();
    match &check.evaluation.basis {
        Basis::NamePolicy(refusal) => advice.push(Advice::NamePolicy(refusal.clone())),
        Basis::LookupFailed(index) => advice.extend(failure_advice(check, *index)),
        _ if check.evaluation.verdict == Verdict::Denied => {
            advice.extend(alias_ways_out(check));
            advice.extend(change_notes(check, requester, changes));
        }
        _ => {}
    }
    if let Some(index) = check.evaluation.relevant
        && check.lookups[index]
            .records()
            .iter()
            .any(|record| classify_tag(&record.tag) == Property::Iodef)
    {
        advice.push(Advice::IodefIgnored { lookup: index });
    }
    advice
}

/// Rules 8 to 14, as an operator would act on them: what most likely broke, and whether the
/// CA meets the same.
fn failure_advice(check: &Check, index: usize) -> Vec<Advice> {
    let lookup = &check.lookups[index];
    let failure = match &lookup.answer {
        Answer::NxDomain if is_tld(&lookup.name) => {
            return vec![Advice::TldDoesNotExist { lookup: index }];
        }
        Answer::Failed(failure) => failure,
        _ => return Vec::new(),
    };
    let dnssec = failure.kind == FailureKind::DnssecBogus
        || failure.kind == FailureKind::ServFail
            && failure
                .extended_error
                .as_ref()
                .is_some_and(|extended| extended.is_dnssec_failure());
    let mut advice = vec![Advice::LookupFailed {
        lookup: index,
        dnssec,
    }];
    if !failure.kind.is_local() {
        advice.push(Advice::CaFailsTheSameWay { lookup: index });
    }
    advice
}

/// Where the relevant RRset comes through an alias into another domain.
fn alias_ways_out(check: &Check) -> Option<Advice> {
    let index = check.evaluation.relevant?;
    let lookup = &check.lookups[index];
    let target = lookup.records_owner();
    if lookup.aliases.is_empty() || in_the_names_own_domain(check, target) {
        return None;
    }
    Some(Advice::AliasedElsewhere { lookup: index })
}

/// Whether `target` lies under one of the checked name's parents other than its TLD: a rough
/// "same owner" test, as no public-suffix list is used.
fn in_the_names_own_domain(check: &Check, target: &str) -> bool {
    check
        .name
        .climb()
        .iter()
        .filter(|name| !is_tld(name))
        .any(|name| target == name || target.ends_with(&format!(".{name}")))
}

/// What the planned changes keep, widen or could do otherwise.
fn change_notes(check: &Check, requester: &Requester, changes: &[Change]) -> Vec<Advice> {
    let mut notes = Vec::new();
    for change in changes {
        match change {
            Change::Remove { owner, record } => notes.push(Advice::ClearTheCriticalFlagInstead {
                owner: owner.clone(),
                record: CaaRecord::new(0, record.tag.clone(), record.value.clone()),
            }),
            Change::Replace { old, new, .. }
                if requester.account_uri.is_none()
                    && restricts_account(&old.value)
                    && !restricts_account(&new.value) =>
            {
                notes.push(Advice::AccountUriDropped);
            }
            _ => {}
        }
    }
    if let Basis::Assessed { assessments, .. } = &check.evaluation.basis {
        let issuers: Vec<Vec<u8>> = assessments
            .iter()
            .filter_map(|assessment| match &assessment.finding {
                Finding::OtherIssuer(issuer) if !names_the_ca(issuer, &requester.ca) => {
                    Some(issuer.clone())
                }
                _ => None,
            })
            .collect();
        if !issuers.is_empty() {
            notes.push(Advice::OtherIssuersStay { issuers });
        }
    }
    if check.name.wildcard
        && changes
            .iter()
            .any(|change| matches!(change, Change::Add { record, .. } if record.tag == b"issue"))
    {
        notes.push(Advice::WildcardIssueCoversBase);
    }
    notes
}

/// Whether an issue value carries an `accounturi` parameter (rules 26 and 27).
fn restricts_account(value: &[u8]) -> bool {
    crate::caa::issue_value::parse_issue_value(value).is_ok_and(|parsed| {
        parsed
            .parameters
            .iter()
            .any(|parameter| parameter.tag == "accounturi")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::answers::{ExtendedError, Failure, Lookup};
    use crate::name::CheckName;

    /// www.example.com's lookup failed this way; its parents have no records.
    fn failed_with(failure: Failure) -> Check {
        let lookups = vec![
            Lookup::new("www.example.com", Answer::Failed(failure)),
            Lookup::new("example.com", Answer::NoData),
            Lookup::new("com", Answer::NoData),
        ];
        let name = CheckName::parse("www.example.com").unwrap();
        Check::judge(name, lookups, &[], &Requester::platform("letsencrypt.org"))
    }

    fn servfail(extended: Option<ExtendedError>) -> Check {
        failed_with(Failure {
            extended_error: extended,
            ..Failure::new(FailureKind::ServFail, "")
        })
    }

    fn failed(kind: FailureKind) -> Check {
        failed_with(Failure::new(kind, ""))
    }

    fn extended(info_code: u16, text: &str) -> Option<ExtendedError> {
        Some(ExtendedError {
            info_code,
            extra_text: text.into(),
        })
    }

    #[test]
    fn rule_9_a_dnssec_failure_is_known_by_its_extended_error_code_not_its_text() {
        let dnssec = |check| {
            diagnose(check, &Requester::platform("letsencrypt.org"))
                .advice
                .contains(&Advice::LookupFailed {
                    lookup: 0,
                    dnssec: true,
                })
        };
        assert!(dnssec(servfail(extended(7, ""))));
        assert!(dnssec(servfail(extended(6, "whatever"))));
        assert!(!dnssec(servfail(extended(0, "DNSSEC is fine, really"))));
        assert!(!dnssec(servfail(extended(22, "no reachable authority"))));
        assert!(!dnssec(servfail(None)));
    }

    #[test]
    fn the_cas_own_answer_is_given_for_lets_encrypt_only() {
        let le = diagnose(servfail(None), &Requester::platform("letsencrypt.org"));
        assert_eq!(
            le.ca_answer,
            Some(CaAnswer::DnsProblem {
                problem: CaDnsProblem::Answered(FailureKind::ServFail),
                name: "www.example.com".into()
            })
        );
        let other = diagnose(servfail(None), &Requester::platform("digicert.com"));
        assert_eq!(other.ca_answer, None);
        assert!(
            other
                .advice
                .contains(&Advice::CaFailsTheSameWay { lookup: 0 })
        );
    }

    #[test]
    fn an_accounturi_parameter_is_read_not_searched_for() {
        assert!(restricts_account(
            b"letsencrypt.org; accounturi=https://x/acct/1"
        ));
        assert!(!restricts_account(b"letsencrypt.org; x-accounturi=1"));
        assert!(!restricts_account(b"letsencrypt.org"));
    }

    fn servers_allowing(
        validated: bool,
    ) -> Option<Result<crate::caa::sources::SourceView, String>> {
        use crate::caa::perspectives::Outcomes;
        use crate::caa::sources::{Consistency, SourceView};
        Some(Ok(SourceView {
            zones: Vec::new(),
            outcomes: Outcomes {
                allowed: 1.0,
                ..Outcomes::default()
            },
            consistency: Consistency::Consistent,
            chance_of_issuance: 1.0,
            remotes: 4,
            verdict: Verdict::Allowed,
            validated,
        }))
    }

    #[test]
    fn a_failure_dnssec_may_explain_holds_over_unvalidated_servers_that_allow() {
        let requester = Requester::platform("letsencrypt.org");
        // Bogus here, SERVFAIL saying DNSSEC failed, a bare SERVFAIL (what a validating
        // resolver answers for bogus data) and a timeout (a validating resolver chasing keys
        // that fail): the servers' dates vouch for no signature.
        for check in [
            failed(FailureKind::DnssecBogus),
            servfail(extended(6, "DNSSEC Bogus")),
            servfail(None),
            failed(FailureKind::Timeout),
        ] {
            let diagnosis = diagnose(check, &requester).with_sources(servers_allowing(false));
            assert_eq!(diagnosis.verdict(), Verdict::Error);
            // Whether the CA fails the same way is not known: no CA answer is given.
            assert_eq!(diagnosis.ca_answer, None);
            let codes: Vec<&str> = diagnosis.advice.iter().map(Advice::code).collect();
            assert_eq!(codes, ["lookup-failed", "servers-unvalidated"]);
        }
    }

    #[test]
    fn a_failure_through_the_resolver_alone_is_no_ca_failure() {
        let requester = Requester::platform("letsencrypt.org");
        // Servers validated under their zones' keys outweigh the resolver's validation; a
        // failure DNSSEC cannot explain leaves the servers' verdict, validated or not.
        for (check, validated) in [
            (failed(FailureKind::DnssecBogus), true),
            (servfail(None), true),
            (failed(FailureKind::Timeout), true),
            (failed(FailureKind::Refused), false),
            (failed(FailureKind::Unreachable), false),
        ] {
            let diagnosis = diagnose(check, &requester).with_sources(servers_allowing(validated));
            assert_eq!(diagnosis.verdict(), Verdict::Allowed);
            assert_eq!(diagnosis.ca_answer, None);
            assert_eq!(diagnosis.advice, [Advice::ResolverAlone { lookup: 0 }]);
        }
    }
}
