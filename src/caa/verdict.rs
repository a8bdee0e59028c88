//! The verdict: a pure function of the climb's answers, the name and the requester. Rulebook
//! §5 and §6, rules 17 to 21, tying together the climb (rule 5) and each record's reading
//! (rules 22 to 33). It mirrors Boulder's `validateCAA`.

use crate::caa::answers::{CaaRecord, Lookup};
use crate::caa::policy::Refusal;

use super::finding::{Assessment, Finding};
use super::issue_value::{issuer_matches, parse_issue_value};
use super::relevant::{Climb, select_relevant};
use super::requester::{Requester, check_account, check_methods};
use super::tags::{Property, classify_tag, is_critical_unknown};

/// The CA's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The CA may issue.
    Allowed,
    /// A CAA record forbids issuance ("CAA record for NAME prevents issuance").
    Denied,
    /// The CA's name policy refuses the name whatever its CAA records say; no DNS was asked.
    Refused,
    /// A lookup failed; the CA does not issue either.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Refused => "refused",
            Verdict::Error => "error",
        }
    }
}

/// The verdict with what it rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// Index into the lookups of the one holding the relevant RRset, if the climb found one.
    pub relevant: Option<usize>,
    pub basis: Basis,
}

/// What decided the verdict. Record indices point into the relevant RRset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The CA's name policy refuses the name before any CAA check: refused.
    NamePolicy(Refusal),
    /// No CAA records anywhere in the climb (rule 5): allowed.
    NoCaaRecords,
    /// The lookup at this index failed below any records (rules 5, 8 to 14): error.
    LookupFailed(usize),
    /// Unknown tags flagged critical (rule 17): denied, whatever else the set says.
    CriticalUnknownTags(Vec<usize>),
    /// The set holds no record of the property that applies (rule 20): allowed.
    NoIssuanceRecords(Property),
    /// Each record of the applicable property read against the requester (rule 21): allowed if
    /// at least one authorises.
    Assessed {
        property: Property,
        assessments: Vec<Assessment>,
    },
}

impl Evaluation {
    /// The verdict for a name the CA's name policy refuses: no climb, no relevant RRset.
    pub fn refused(refusal: Refusal) -> Evaluation {
        Evaluation {
            verdict: Verdict::Refused,
            relevant: None,
            basis: Basis::NamePolicy(refusal),
        }
    }
}

/// Rule 5 and rules 17 to 21: the CA's verdict for a name, from its climb's lookups in climb
/// order (full name first).
pub fn evaluate(lookups: &[Lookup], wildcard: bool, requester: &Requester) -> Evaluation {
    match select_relevant(lookups) {
        Climb::NoRecords => Evaluation {
            verdict: Verdict::Allowed,
            relevant: None,
            basis: Basis::NoCaaRecords,
        },
        Climb::Failed(index) => Evaluation {
            verdict: Verdict::Error,
            relevant: None,
            basis: Basis::LookupFailed(index),
        },
        Climb::Relevant(index) => {
            let (verdict, basis) = judge_rrset(lookups[index].records(), wildcard, requester);
            Evaluation {
                verdict,
                relevant: Some(index),
                basis,
            }
        }
    }
}

/// Rules 17 to 21: judge the relevant RRset.
pub fn judge_rrset(
    records: &[CaaRecord],
    wildcard: bool,
    requester: &Requester,
) -> (Verdict, Basis) {
    let critical: Vec<usize> = indices_where(records, is_critical_unknown);
    if !critical.is_empty() {
        return (Verdict::Denied, Basis::CriticalUnknownTags(critical));
    }
    let property = applicable_property(records, wildcard);
    let chosen = indices_where(records, |record| classify_tag(&record.tag) == property);
    if chosen.is_empty() {
        return (Verdict::Allowed, Basis::NoIssuanceRecords(property));
    }
    let assessments: Vec<Assessment> = chosen
        .into_iter()
        .map(|record| Assessment {
            record,
            finding: assess_record(&records[record], requester, wildcard),
        })
        .collect();
    let authorised = assessments
        .iter()
        .any(|assessment| assessment.finding == Finding::Authorises);
    let verdict = if authorised {
        Verdict::Allowed
    } else {
        Verdict::Denied
    };
    (
        verdict,
        Basis::Assessed {
            property,
            assessments,
        },
    )
}

/// Rules 18 and 19: a plain name uses `issue`; a wildcard uses `issuewild` if the set has at
/// least one, and falls back to `issue` otherwise.
pub fn applicable_property(records: &[CaaRecord], wildcard: bool) -> Property {
    let has_issuewild = records
        .iter()
        .any(|record| classify_tag(&record.tag) == Property::IssueWild);
    if wildcard && has_issuewild {
        Property::IssueWild
    } else {
        Property::Issue
    }
}

/// Rules 22 to 33 for one `issue` / `issuewild` record: it authorises only when it parses, names
/// the CA exactly, and its `accounturi` and `validationmethods` admit the requester.
pub fn assess_record(record: &CaaRecord, requester: &Requester, wildcard: bool) -> Finding {
    let value = match parse_issue_value(&record.value) {
        Ok(value) => value,
        Err(malformed) => return Finding::Malformed(malformed),
    };
    if value.issuer.is_empty() {
        return Finding::NoIssuer;
    }
    if !issuer_matches(value.issuer, &requester.ca) {
        return Finding::OtherIssuer(value.issuer.to_vec());
    }
    check_account(&value.parameters, requester)
        .and_then(|()| check_methods(&value.parameters, requester, wildcard))
        .err()
        .unwrap_or(Finding::Authorises)
}

fn indices_where(records: &[CaaRecord], keep: impl Fn(&CaaRecord) -> bool) -> Vec<usize> {
    (0..records.len()).filter(|&i| keep(&records[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::answers::{Answer, Failure, FailureKind};
    use crate::caa::methods::Method;

    const V2: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/7";

    fn platform() -> Requester {
        Requester::platform("letsencrypt.org")
    }

    fn account_holder(method: Method) -> Requester {
        Requester {
            account_uri: Some(V2.into()),
            method: Some(method),
            ..platform()
        }
    }

    fn rrset(records: &[(u8, &str, &str)]) -> Vec<CaaRecord> {
        records
            .iter()
            .map(|&(flags, tag, value)| CaaRecord::new(flags, tag, value))
            .collect()
    }

    fn verdict(records: &[(u8, &str, &str)], wildcard: bool, who: &Requester) -> Verdict {
        judge_rrset(&rrset(records), wildcard, who).0
    }

    #[test]
    fn rule_17_a_critical_unknown_tag_denies_whatever_else_the_set_says() {
        let set = [(0, "issue", "letsencrypt.org"), (128, "tbs", "x")];
        assert_eq!(
            judge_rrset(&rrset(&set), false, &platform()),
            (Verdict::Denied, Basis::CriticalUnknownTags(vec![1]))
        );
        let flag_one = [(0, "issue", "letsencrypt.org"), (1, "contactemail", "a@b")];
        assert_eq!(verdict(&flag_one, false, &platform()), Verdict::Denied);
        let hyphenated = [(0, "issue", "letsencrypt.org"), (128, "bad-tag", "x")];
        assert_eq!(verdict(&hyphenated, false, &platform()), Verdict::Denied);
    }

    #[test]
    fn rule_17_critical_known_tags_and_non_critical_unknown_tags_change_nothing() {
        let set = [
            (128, "issue", "letsencrypt.org"),
            (128, "iodef", "mailto:a@b"),
            (0, "tbs", "x"),
            (2, "future", "x"),
        ];
        assert_eq!(verdict(&set, false, &platform()), Verdict::Allowed);
    }

    #[test]
    fn rule_18_a_plain_name_uses_issue_and_ignores_issuewild() {
        let set = [
            (0, "issue", "digicert.com"),
            (0, "issuewild", "letsencrypt.org"),
        ];
        assert_eq!(verdict(&set, false, &platform()), Verdict::Denied);
        let only_wild = [(0, "issuewild", "digicert.com")];
        assert_eq!(
            judge_rrset(&rrset(&only_wild), false, &platform()),
            (Verdict::Allowed, Basis::NoIssuanceRecords(Property::Issue))
        );
    }

    #[test]
    fn rule_19_a_wildcard_uses_issuewild_when_present_else_issue() {
        let both = [
            (0, "issue", "letsencrypt.org"),
            (0, "issuewild", "digicert.com"),
        ];
        assert_eq!(verdict(&both, true, &platform()), Verdict::Denied);
        let wild_allows = [
            (0, "issue", "digicert.com"),
            (0, "IssueWild", "letsencrypt.org"),
        ];
        assert_eq!(verdict(&wild_allows, true, &platform()), Verdict::Allowed);
        let issue_only = [(0, "issue", "digicert.com")];
        assert_eq!(verdict(&issue_only, true, &platform()), Verdict::Denied);
        let issue_allows = [(0, "issue", "letsencrypt.org")];
        assert_eq!(verdict(&issue_allows, true, &platform()), Verdict::Allowed);
    }

    #[test]
    fn rule_20_an_empty_chosen_list_allows() {
        for set in [
            vec![(0, "iodef", "mailto:security@example.com")],
            vec![(0, "contactemail", "a@example.com")],
            vec![
                (0, "issuemail", "mail.example"),
                (0, "issuevmc", "vmc.example"),
            ],
        ] {
            assert_eq!(verdict(&set, false, &platform()), Verdict::Allowed);
            assert_eq!(verdict(&set, true, &platform()), Verdict::Allowed);
        }
    }

    #[test]
    fn rule_21_records_add_up() {
        let set = [
            (0, "issue", "digicert.com"),
            (0, "issue", ";"),
            (0, "issue", "letsencrypt.org"),
        ];
        assert_eq!(verdict(&set, false, &platform()), Verdict::Allowed);
    }

    #[test]
    fn rule_21_empty_issuers_authorise_nobody_but_restrict() {
        for value in [";", "", " ; "] {
            let set = [(0, "issue", value)];
            let (verdict, basis) = judge_rrset(&rrset(&set), false, &platform());
            assert_eq!(verdict, Verdict::Denied, "{value:?}");
            assert_eq!(
                basis,
                Basis::Assessed {
                    property: Property::Issue,
                    assessments: vec![Assessment {
                        record: 0,
                        finding: Finding::NoIssuer
                    }]
                }
            );
        }
    }

    #[test]
    fn rule_24_a_malformed_record_alone_denies() {
        for value in [
            "letsencrypt.org; a_b=1",
            "letsencrypt.org; ab=1 2",
            "letsencrypt.org; foo",
            "letsencrypt.org;;",
            "letsencrypt.org; validation-methods=dns-01",
            "letsencrypt.org; validationmethods=http-01, dns-01",
        ] {
            let set = [(0, "issue", value)];
            assert_eq!(
                verdict(&set, false, &platform()),
                Verdict::Denied,
                "{value}"
            );
            let beside_good = [(0, "issue", value), (0, "issue", "letsencrypt.org")];
            assert_eq!(verdict(&beside_good, false, &platform()), Verdict::Allowed);
        }
    }

    #[test]
    fn rule_25_issuer_near_misses_deny() {
        for value in [
            "LetsEncrypt.org",
            "letsencrypt.org.",
            "\"letsencrypt.org\"",
            "Let's Encrypt",
        ] {
            assert_eq!(
                assess_record(&CaaRecord::new(0, "issue", value), &platform(), false),
                Finding::OtherIssuer(value.as_bytes().to_vec())
            );
        }
    }

    #[test]
    fn rule_25_another_ca_domain_can_be_checked() {
        let digicert = Requester {
            ca: "digicert.com".into(),
            ..platform()
        };
        assert_eq!(
            verdict(&[(0, "issue", "digicert.com")], false, &digicert),
            Verdict::Allowed
        );
    }

    #[test]
    fn rule_31_issuer_account_and_method_must_all_match() {
        let who = account_holder(Method::Dns01);
        let record = |value: &str| assess_record(&CaaRecord::new(0, "issue", value), &who, false);
        assert_eq!(
            record(&format!(
                "letsencrypt.org; accounturi={V2}; validationmethods=dns-01"
            )),
            Finding::Authorises
        );
        assert!(matches!(
            record(&format!(
                "letsencrypt.org; accounturi={V2}; validationmethods=http-01"
            )),
            Finding::MethodNotAdmitted { .. }
        ));
        assert!(matches!(
            record(
                "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/8; validationmethods=dns-01"
            ),
            Finding::OtherAccount { .. }
        ));
        assert!(matches!(
            record(&format!(
                "digicert.com; accounturi={V2}; validationmethods=dns-01"
            )),
            Finding::OtherIssuer(_)
        ));
    }

    #[test]
    fn rule_31_different_records_may_name_different_accounts() {
        let who = account_holder(Method::Http01);
        let set = [
            (
                0,
                "issue",
                "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1",
            ),
            (0, "issue", &*format!("letsencrypt.org; accounturi={V2}")),
        ];
        assert_eq!(verdict(&set, false, &who), Verdict::Allowed);
    }

    #[test]
    fn rule_32_accounturi_is_no_permission_for_a_platform() {
        let set = [(0, "issue", &*format!("letsencrypt.org; accounturi={V2}"))];
        assert_eq!(verdict(&set, false, &platform()), Verdict::Denied);
        assert_eq!(
            verdict(&set, false, &account_holder(Method::Http01)),
            Verdict::Allowed
        );
    }

    #[test]
    fn rule_33_validationmethods_must_admit_a_platform_method() {
        let dns_only = [(0, "issue", "letsencrypt.org; validationmethods=dns-01")];
        assert_eq!(verdict(&dns_only, false, &platform()), Verdict::Denied);
        assert_eq!(verdict(&dns_only, true, &platform()), Verdict::Allowed);
        let http = [(0, "issue", "letsencrypt.org; validationmethods=http-01")];
        assert_eq!(verdict(&http, false, &platform()), Verdict::Allowed);
        assert_eq!(verdict(&http, true, &platform()), Verdict::Denied);
    }

    #[test]
    fn evaluate_reports_the_relevant_index_and_the_failed_lookup() {
        let denied = [
            Lookup::new("www.example.com", Answer::NoData),
            Lookup::new(
                "example.com",
                Answer::Records(rrset(&[(0, "issue", "digicert.com")])),
            ),
            Lookup::new("com", Answer::NoData),
        ];
        let evaluation = evaluate(&denied, false, &platform());
        assert_eq!(evaluation.verdict, Verdict::Denied);
        assert_eq!(evaluation.relevant, Some(1));

        let failed = [
            Lookup::new(
                "www.example.com",
                Answer::Failed(Failure::new(FailureKind::Timeout, "")),
            ),
            Lookup::new(
                "example.com",
                Answer::Records(rrset(&[(0, "issue", "letsencrypt.org")])),
            ),
        ];
        let evaluation = evaluate(&failed, false, &platform());
        assert_eq!(evaluation.verdict, Verdict::Error);
        assert_eq!(evaluation.basis, Basis::LookupFailed(0));

        let nothing = [
            Lookup::new("example.com", Answer::NxDomain),
            Lookup::new("com", Answer::NoData),
        ];
        assert_eq!(
            evaluate(&nothing, false, &platform()).verdict,
            Verdict::Allowed
        );
    }
}
