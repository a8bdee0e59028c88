//! The diagnosis's advice and the CA's answer, in words: the likely cause of a failed lookup,
//! the ways out when the records come through an alias, what a fix keeps or widens. Shared by
//! the JSON `advice` field and the human report. DNS data in it is escaped.

use crate::caa::Requester;
use crate::caa::answers::{Answer, FailureKind, Lookup};
use crate::caa::diagnosis::{Advice, CaAnswer, CaDnsProblem, Diagnosis};
use crate::caa::policy::Refusal;
use crate::caa::zone::zone_line;
use crate::escape::quoted;

/// One sentence (or two) per piece of advice, in order.
pub fn advice(diagnosis: &Diagnosis, requester: &Requester) -> Vec<String> {
    diagnosis
        .advice
        .iter()
        .map(|advice| sentence(diagnosis, advice, requester))
        .collect()
}

fn sentence(diagnosis: &Diagnosis, advice: &Advice, requester: &Requester) -> String {
    let check = &diagnosis.check;
    let ca = requester.ca_name();
    match advice {
        Advice::NamePolicy(refusal) => policy_advice(refusal, &check.name.base, ca),
        Advice::TldDoesNotExist { lookup } => format!(
            "The TLD {} does not exist: check the spelling of the name. No CAA record can fix this.",
            check.lookups[*lookup].name
        ),
        Advice::LookupFailed { lookup, dnssec } => failure_cause(check, *lookup, *dnssec),
        Advice::CaFailsTheSameWay { lookup } => format!(
            "No CAA record change fixes this: the CA's lookup for {} fails the same way, so it will not issue until the DNS operator repairs it.",
            check.lookups[*lookup].name
        ),
        Advice::ResolverAlone { lookup } => {
            let lookup = &check.lookups[*lookup];
            format!(
                "The lookup for {} failed only through {}: the CA's resolvers ask the authoritative servers themselves, and asked directly they lead the CA to allow. The failure is this resolver's own (a stale cache, its validation or its network): clients that use it may fail; the CA does not.",
                lookup.name,
                resolver_of(lookup)
            )
        }
        Advice::ServersUnvalidated {
            lookup,
            validated_here,
        } => {
            let lookup = &check.lookups[*lookup];
            let unvalidated = if *validated_here {
                "not every answer could be validated under its zone's keys (the keys could not be had, or the resolver strips DNSSEC)"
            } else {
                "their signatures were not validated (check again with --dnssec to validate them)"
            };
            format!(
                "Asked directly, the authoritative servers lead the CA to allow, but {unvalidated}: whether the CA's validating resolvers take their answers for {} is not known from here.",
                lookup.name
            )
        }
        Advice::AliasedElsewhere { lookup } => {
            let lookup = &check.lookups[*lookup];
            let (name, target) = (&lookup.name, lookup.records_owner());
            format!(
                "The records of {name} come from {target}, reached through {}, in a zone its owner may not control. Either the owner of {target} makes the fix, or {name} stops being an alias (replace the alias with its own records), and the CAA records at {name} or its parents then apply.",
                super::reasons::alias_chain(lookup),
            )
        }
        Advice::ClearTheCriticalFlagInstead { owner, record } => format!(
            "Instead of removing the critical record, you may keep it with its flags cleared: {}",
            zone_line(owner, record)
        ),
        Advice::AccountUriDropped => format!(
            "Dropping accounturi lets any {ca} account request certificates for this name. To keep the restriction, ask the platform for its ACME account URI and check again with --account-uri."
        ),
        Advice::OtherIssuersStay { issuers } => format!(
            "The records at {} for {} stay as they are: a fix adds {ca}, it never removes another CA.",
            check
                .relevant_lookup()
                .map_or("", |lookup| lookup.records_owner()),
            issuers
                .iter()
                .map(|issuer| quoted(issuer))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Advice::WildcardIssueCoversBase => {
            "The issue record covers the base name, which a wildcard certificate usually includes too.".to_owned()
        }
        Advice::IodefIgnored { lookup } => format!(
            "The iodef record at {} is never acted on: {ca} sends no reports to it.",
            check.lookups[*lookup].name
        ),
    }
}

/// What to do about a name the CA refuses outright: no CAA record changes it.
fn policy_advice(refusal: &Refusal, base: &str, ca: &str) -> String {
    let what = match refusal {
        Refusal::NoPublicSuffix => format!(
            "{ca} issues only for names under a public TLD: use a private CA for internal names. To judge the CAA records of a test zone anyway, check again with --no-name-policy."
        ),
        Refusal::PublicSuffix => format!(
            "Request the certificate for a name registered under {base} (such as example.{base}), not for the suffix itself."
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

/// The resolver a lookup was asked of, as a report names it.
fn resolver_of(lookup: &Lookup) -> String {
    lookup
        .server
        .map_or_else(|| "the resolver".to_owned(), |server| server.to_string())
}

/// Rules 8 to 14, as an operator would hear them: what most likely broke and who can fix it.
fn failure_cause(check: &crate::caa::Check, index: usize, dnssec: bool) -> String {
    let lookup = &check.lookups[index];
    let name = &lookup.name;
    let Answer::Failed(failure) = &lookup.answer else {
        return String::new();
    };
    let server = resolver_of(lookup);
    match failure.kind {
        FailureKind::ServFail if dnssec => format!(
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
        FailureKind::DnssecBogus => format!(
            "DNSSEC validation fails for {name}: {}. The zone's operator must re-sign the zone, or correct the DS record at its parent.",
            failure.detail
        ),
        FailureKind::DnssecIndeterminate => format!(
            "DNSSEC could not be validated for {name} from here ({}): this says nothing of what the CA sees. Ask a resolver that keeps DNSSEC records (--nameserver), or check without --dnssec.",
            failure.detail
        ),
    }
}

/// What Let's Encrypt answers and what it means for a managed certificate.
pub fn ca_answer(answer: &CaAnswer) -> String {
    let refusal = match answer {
        CaAnswer::Rejected(refusal) => {
            return format!(
                "Let's Encrypt rejects the order (\"{}\"): no certificate can be issued for this name, managed (Twilio Link Shortening's, for one) or not.",
                refusal.ca_error()
            );
        }
        CaAnswer::DnsProblem { problem, name } => {
            let problem = match problem {
                CaDnsProblem::QueryTimedOut => "query timed out".to_owned(),
                CaDnsProblem::NxDomain => "NXDOMAIN".to_owned(),
                CaDnsProblem::Answered(kind) => kind.name().to_uppercase(),
            };
            format!(
                "Let's Encrypt fails the same way (\"DNS problem: {problem} looking up CAA for {name}\")"
            )
        }
        CaAnswer::Prevented { name } => {
            format!("Let's Encrypt refuses (\"CAA record for {name} prevents issuance\")")
        }
    };
    format!(
        "{refusal}: a managed certificate (Twilio Link Shortening's, for one) can't be issued or renewed for this name, and the current one will expire (Twilio error 30131 \"will expire soon\", then 30102 \"certificate expired\")."
    )
}
