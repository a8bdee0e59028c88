//! The facts that decided a verdict, one sentence each, in words a non-expert can act on.
//! Shared by the JSON `reasons` field and the human report. Every piece of DNS data in them is
//! escaped.

use crate::caa::Check;
use crate::caa::Requester;
use crate::caa::answers::{Answer, CaaRecord, Lookup};
use crate::caa::finding::Finding;
use crate::caa::methods::Method;
use crate::caa::relevant::is_tld;
use crate::caa::tags::Property;
use crate::caa::verdict::{Basis, Verdict};
use crate::escape::{quoted, zone_escape};

/// One sentence per fact that decided the verdict of `check`.
pub fn reasons(check: &Check, requester: &Requester) -> Vec<String> {
    let evaluation = &check.evaluation;
    let mut reasons = match &evaluation.basis {
        Basis::NamePolicy(refusal) => vec![format!(
            "{} refuses {} whatever its CAA records say: {refusal}.",
            requester.ca_name(),
            check.name
        )],
        Basis::NoCaaRecords => vec![format!(
            "No CAA records at {}: any CA may issue.",
            check.name.climb().join(", ")
        )],
        Basis::LookupFailed(index) => vec![lookup_failure(&check.lookups[*index])],
        Basis::CriticalUnknownTags(records) => {
            let lookup = relevant(check);
            records
                .iter()
                .map(|&record| {
                    let record = &lookup.records()[record];
                    format!(
                        "{} has {}: the tag {} is unknown to the CA and flagged critical, which forbids issuance by any CA.",
                        lookup.name,
                        record_text(record),
                        quoted(&record.tag)
                    )
                })
                .collect()
        }
        Basis::NoIssuanceRecords(_) => {
            let wanted = if check.name.wildcard {
                "issue or issuewild"
            } else {
                "issue"
            };
            vec![format!(
                "The CAA records at {} hold no {wanted} record, so they do not restrict which CA may issue.",
                relevant(check).name
            )]
        }
        Basis::Assessed {
            property,
            assessments,
        } => {
            let lookup = relevant(check);
            let authorising = assessments
                .iter()
                .find(|assessment| assessment.finding == Finding::Authorises);
            match authorising {
                Some(assessment) => vec![format!(
                    "{} has {}, which authorises {}.",
                    lookup.name,
                    record_text(&lookup.records()[assessment.record]),
                    requester.ca
                )],
                None => {
                    let mut reasons: Vec<String> = assessments
                        .iter()
                        .map(|assessment| {
                            finding_sentence(
                                &lookup.name,
                                &lookup.records()[assessment.record],
                                &assessment.finding,
                                requester,
                            )
                        })
                        .collect();
                    if check.name.wildcard && *property == Property::IssueWild {
                        reasons.push(format!(
                            "For a wildcard name the issuewild records at {} apply, and its issue records are ignored.",
                            lookup.name
                        ));
                    }
                    reasons
                }
            }
        }
    };
    if evaluation.verdict != Verdict::Error
        && let Some(lookup) = check.relevant_lookup()
        && !lookup.aliases.is_empty()
    {
        reasons.push(format!(
            "The records of {} were found by following {}.",
            lookup.name,
            alias_chain(lookup)
        ));
    }
    reasons
}

fn relevant(check: &Check) -> &Lookup {
    check
        .relevant_lookup()
        .expect("a basis about records has a relevant lookup")
}

/// Why one issue / issuewild record does not authorise the requester (or that it does).
fn finding_sentence(
    owner: &str,
    record: &CaaRecord,
    finding: &Finding,
    requester: &Requester,
) -> String {
    let record = record_text(record);
    let ca = &requester.ca;
    match finding {
        Finding::Authorises => format!("{owner} has {record}, which authorises {ca}."),
        Finding::Malformed(malformed) => format!(
            "{owner} has {record}, which is malformed ({malformed}): it authorises no CA but still restricts issuance."
        ),
        Finding::NoIssuer => format!("{owner} has {record}, which authorises no CA at all."),
        Finding::OtherIssuer(issuer) => format!(
            "{owner} has {record}, which authorises {}, not {ca} (issuer domains must match exactly).",
            quoted(issuer)
        ),
        Finding::AccountUriRepeated => format!(
            "{owner} has {record}, which names accounturi more than once and so can never match."
        ),
        Finding::AccountUriEmpty => {
            format!("{owner} has {record}, whose accounturi is empty and so matches no account.")
        }
        Finding::OtherAccount { accounturi } => format!(
            "{owner} has {record}, which is restricted to the ACME account {}, not {}.",
            zone_escape(accounturi.as_bytes()),
            requester.account_uri.as_deref().unwrap_or_default()
        ),
        Finding::AccountRestricted { accounturi } => format!(
            "{owner} has {record}, which is restricted to the ACME account {}; a platform requesting with its own account is not that account (name one with --account-uri).",
            zone_escape(accounturi.as_bytes())
        ),
        Finding::MethodsRepeated => format!(
            "{owner} has {record}, which names validationmethods more than once and so can never match."
        ),
        Finding::MethodNotAdmitted { admitted, usable } => {
            let admitted_text = if admitted.methods.is_empty() {
                "no validation method".to_owned()
            } else {
                format!("only {}", method_list(&admitted.methods, " and "))
            };
            let cut_short = admitted
                .malformed_label
                .as_ref()
                .map(|label| {
                    format!(
                        " (the list is read no further than the malformed entry {})",
                        quoted(label.as_bytes())
                    )
                })
                .unwrap_or_default();
            let needed = if requester.method.is_some() {
                format!("the check asked for {}", method_list(usable, " or "))
            } else {
                format!(
                    "a hosting platform validates this name with {}",
                    method_list(usable, " or ")
                )
            };
            format!("{owner} has {record}, which admits {admitted_text}{cut_short}; {needed}.")
        }
    }
}

/// Rules 8 to 14 in words: which lookup failed, how, and from which server.
fn lookup_failure(lookup: &Lookup) -> String {
    let server = lookup
        .server
        .map(|server| format!(" from {server}"))
        .unwrap_or_default();
    let via = if lookup.aliases.is_empty() {
        String::new()
    } else {
        format!(" after following {}", alias_chain(lookup))
    };
    match &lookup.answer {
        Answer::NxDomain if is_tld(&lookup.name) => format!(
            "The TLD {} does not exist (NXDOMAIN{server}); the CA treats that as an error and does not issue.",
            lookup.name
        ),
        Answer::Failed(failure) if failure.kind.is_local() => format!(
            "The CAA lookup for {}{via} could not be completed from here: {} ({}){server}; this says nothing of what the CA sees.",
            lookup.name,
            failure.kind.name(),
            failure.detail
        ),
        Answer::Failed(failure) => format!(
            "The CAA lookup for {}{via} failed: {} ({}){server}; the CA does not issue when it cannot read the records.",
            lookup.name,
            failure.kind.name(),
            failure.detail
        ),
        _ => format!(
            "The CAA lookup for {} did not succeed{server}.",
            lookup.name
        ),
    }
}

/// `CNAME a -> b, DNAME c -> d`.
pub fn alias_chain(lookup: &Lookup) -> String {
    lookup
        .aliases
        .iter()
        .map(|alias| format!("{} {} -> {}", alias.kind.as_str(), alias.from, alias.to))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A record as in a zone file, escaped: `0 issue "letsencrypt.org"`.
pub fn record_text(record: &CaaRecord) -> String {
    format!(
        "{} {} {}",
        record.flags,
        zone_escape(&record.tag),
        quoted(&record.value)
    )
}

/// `http-01 or tls-alpn-01`, with the joiner given.
pub fn method_list(methods: &[Method], joiner: &str) -> String {
    methods
        .iter()
        .map(|method| method.as_str())
        .collect::<Vec<_>>()
        .join(joiner)
}
