//! What to do about a verdict, in words: the likely cause of a failed lookup, the ways out when
//! the records come through an alias, what a fix keeps or widens. Shared by the JSON `advice`
//! field and the human report. DNS data in it is escaped.

use crate::caa::Check;
use crate::caa::Requester;
use crate::caa::answers::{Answer, FailureKind, Lookup};
use crate::caa::finding::Finding;
use crate::caa::fix::{Change, names_the_ca};
use crate::caa::policy::Refusal;
use crate::caa::relevant::is_tld;
use crate::caa::tags::{Property, classify_tag};
use crate::caa::verdict::{Basis, Verdict};
use crate::caa::zone::zone_line;
use crate::escape::quoted;

/// Sentences of advice for `check`, given the changes planned for it.
pub fn advice(check: &Check, requester: &Requester, changes: &[Change]) -> Vec<String> {
    let mut advice = Vec::new();
    match &check.evaluation.basis {
        Basis::NamePolicy(refusal) => advice.push(policy_advice(refusal, check, requester)),
        Basis::LookupFailed(index) => advice.extend(failure_advice(&check.lookups[*index])),
        _ if check.evaluation.verdict == Verdict::Denied => {
            advice.extend(alias_ways_out(check));
            advice.extend(change_notes(check, requester, changes));
        }
        _ => {}
    }
    if let Some(lookup) = check.relevant_lookup()
        && lookup
            .records()
            .iter()
            .any(|record| classify_tag(&record.tag) == Property::Iodef)
    {
        advice.push(format!(
            "The iodef record at {} is never acted on: {} sends no reports to it.",
            lookup.name,
            ca_name(&requester.ca)
        ));
    }
    advice
}

/// The CA as people know it: `Let's Encrypt` for `letsencrypt.org`, else its domain.
pub fn ca_name(ca: &str) -> String {
    match ca {
        "letsencrypt.org" => "Let's Encrypt".to_owned(),
        other => other.to_owned(),
    }
}

/// What to do about a name the CA refuses outright: no CAA record changes it.
fn policy_advice(refusal: &Refusal, check: &Check, requester: &Requester) -> String {
    let ca = ca_name(&requester.ca);
    let what = match refusal {
        Refusal::NoPublicSuffix => format!(
            "{ca} issues only for names under a public TLD: use a private CA for internal names. To judge the CAA records of a test zone anyway, check again with --no-name-policy."
        ),
        Refusal::PublicSuffix => format!(
            "Request the certificate for a name registered under {0} (such as example.{0}), not for the suffix itself.",
            check.name.base
        ),
        Refusal::WildcardOfPublicSuffix { suffix } => format!(
            "Request a wildcard one level lower, under a name registered in {suffix} (*.example.{suffix})."
        ),
        Refusal::NameTooLong { .. } | Refusal::TooManyLabels { .. } => {
            "Shorten the name: fewer or shorter labels.".to_owned()
        }
        Refusal::ReservedLabel { .. } | Refusal::BadPunycode { .. } => {
            "Correct the label: type an internationalised name in Unicode and let certready encode it, or use a label without \"--\" in its third and fourth places.".to_owned()
        }
    };
    format!("{what} No CAA record changes this.")
}

/// Rules 8 to 14, as an operator would hear them: what most likely broke, who can fix it, and
/// whether the CA will see the same.
fn failure_advice(lookup: &Lookup) -> Vec<String> {
    let name = &lookup.name;
    let server = lookup
        .server
        .map_or_else(|| "the resolver".to_owned(), |server| server.to_string());
    let failure = match &lookup.answer {
        Answer::NxDomain if is_tld(name) => {
            return vec![format!(
                "The TLD {name} does not exist: check the spelling of the name. No CAA record can fix this."
            )];
        }
        Answer::Failed(failure) => failure,
        _ => return Vec::new(),
    };
    let cause = match failure.kind {
        FailureKind::ServFail if failure.detail.contains("DNSSEC") => format!(
            "DNSSEC validation failed for {name}: its signatures, or the DS record at its parent, are broken or expired. The zone's operator must re-sign the zone or correct the DS record."
        ),
        FailureKind::ServFail => format!(
            "The authoritative servers for {name} fail CAA queries. Most often a server that does not support the CAA type (257) answers SERVFAIL instead of an empty answer; a DNSSEC failure or servers unreachable from the resolver do the same."
        ),
        FailureKind::Refused | FailureKind::Rcode(_) => format!(
            "A server answers {} to a CAA query for {name}. Servers must answer NOERROR with no records for a type they do not serve; one that refuses or does not implement CAA (type 257) must be fixed or replaced by the DNS provider.",
            failure.kind.name().to_uppercase()
        ),
        FailureKind::Timeout => format!(
            "No answer for {name}: a firewall or middlebox dropping queries for type 257 (CAA), or authoritative servers that are down or unreachable."
        ),
        FailureKind::Unreachable => format!(
            "The resolver {server} could not be reached: check --nameserver and this machine's network. This may be local to this machine rather than what the CA sees."
        ),
        FailureKind::Truncated => format!(
            "The answer for {name} is too large for UDP and could not be completed over TCP: the servers, and any firewall in front of them, must allow DNS over TCP port 53."
        ),
        FailureKind::AliasLoop => format!(
            "The CNAME/DNAME chain from {name} comes back to a name it passed: correct the alias records."
        ),
        FailureKind::AliasChainTooLong => format!(
            "The CNAME/DNAME chain from {name} is longer than resolvers follow: point the first alias nearer its final target."
        ),
        FailureKind::LocalLimit => format!(
            "This machine ran out of a resource before asking for {name} ({}): raise the open-files limit (ulimit -n) or lower --concurrency. This says nothing about the name or what the CA sees.",
            failure.detail
        ),
        FailureKind::BadResponse => {
            format!("A server sent an unreadable reply for {name}: a broken server or middlebox.")
        }
    };
    let mut advice = vec![cause];
    if !matches!(
        failure.kind,
        FailureKind::Unreachable | FailureKind::LocalLimit
    ) {
        advice.push(format!(
            "No CAA record change fixes this: the CA's lookup for {name} fails the same way, so it will not issue until the DNS operator repairs it."
        ));
    }
    advice
}

/// Where the relevant RRset comes through an alias into another domain: say so, name the
/// target, and give both ways out.
fn alias_ways_out(check: &Check) -> Option<String> {
    let lookup = check.relevant_lookup()?;
    let target = lookup.records_owner();
    if lookup.aliases.is_empty() || in_the_names_own_domain(check, target) {
        return None;
    }
    Some(format!(
        "The records of {} come from {target}, reached through {}, in a zone its owner may not control. Either the owner of {target} makes the fix, or {} stops being an alias (replace the alias with its own records), and the CAA records at {} or its parents then apply.",
        lookup.name,
        super::reasons::alias_chain(lookup),
        lookup.name,
        lookup.name
    ))
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
fn change_notes(check: &Check, requester: &Requester, changes: &[Change]) -> Vec<String> {
    let mut notes = Vec::new();
    for change in changes {
        match change {
            Change::Remove { owner, record } => notes.push(format!(
                "Instead of removing the critical record, you may keep it with its flags cleared: {}",
                zone_line(owner, &crate::caa::answers::CaaRecord::new(0, record.tag.clone(), record.value.clone()))
            )),
            Change::Replace { old, new, .. }
                if requester.account_uri.is_none()
                    && String::from_utf8_lossy(&old.value).contains("accounturi=")
                    && !String::from_utf8_lossy(&new.value).contains("accounturi=") =>
            {
                notes.push(format!(
                    "Dropping accounturi lets any {} account request certificates for this name. To keep the restriction, ask the platform for its ACME account URI and check again with --account-uri.",
                    ca_name(&requester.ca)
                ));
            }
            _ => {}
        }
    }
    if let Basis::Assessed { assessments, .. } = &check.evaluation.basis
        && let Some(lookup) = check.relevant_lookup()
    {
        let others: Vec<String> = assessments
            .iter()
            .filter_map(|assessment| match &assessment.finding {
                Finding::OtherIssuer(issuer) if !names_the_ca(issuer, &requester.ca) => {
                    Some(quoted(issuer))
                }
                _ => None,
            })
            .collect();
        if !others.is_empty() {
            notes.push(format!(
                "The records at {} for {} stay as they are: a fix adds {}, it never removes another CA.",
                lookup.records_owner(),
                others.join(", "),
                ca_name(&requester.ca)
            ));
        }
    }
    if check.name.wildcard
        && changes
            .iter()
            .any(|change| matches!(change, Change::Add { record, .. } if record.tag == b"issue"))
    {
        notes.push(
            "The issue record covers the base name, which a wildcard certificate usually includes too.".to_owned(),
        );
    }
    notes
}
