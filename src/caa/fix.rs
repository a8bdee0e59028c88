//! Fixes: the smallest change to the relevant RRset that makes a denied verdict `allowed`, as
//! a pure function of the check.
//!
//! A fix keeps what the owner already authorises: it adds the CA and never removes another CA.
//! In order of preference:
//! 1. Remove unknown tags flagged critical (rule 17): nothing else can help while they stand.
//! 2. Repair the record that nearly names the CA: a wrong case, a trailing dot, stray quotes, a
//!    display name ("Let's Encrypt"), a malformed parameter, an `accounturi` or
//!    `validationmethods` that shuts the requester out.
//! 3. Otherwise add a plain `issue` record for the CA (and `issuewild` where a wildcard is
//!    checked and the set has `issuewild` records).
//!
//! Every plan is verified by overlaying it on the lookups (`assume`) and judging again with the
//! same rules; a plan that would not allow is replaced by the plain addition, which always does.
//! A failed lookup has no record fix: the report explains it instead.

use crate::caa::Check;
use crate::caa::answers::CaaRecord;
use crate::caa::assume::{Assumption, overlay};
use crate::caa::finding::Finding;
use crate::caa::issue_value::{is_parameter_value, parse_issue_value, trim_blanks};
use crate::caa::methods::{is_method_label, read_validation_methods};
use crate::caa::tags::{Property, classify_tag, is_critical_unknown};
use crate::caa::verdict::{applicable_property, assess_record};
use crate::caa::{Requester, Verdict, evaluate};

/// One change to a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Add {
        owner: String,
        record: CaaRecord,
    },
    Remove {
        owner: String,
        record: CaaRecord,
    },
    Replace {
        owner: String,
        old: CaaRecord,
        new: CaaRecord,
    },
}

impl Change {
    pub fn action(&self) -> &'static str {
        match self {
            Change::Add { .. } => "add",
            Change::Remove { .. } => "remove",
            Change::Replace { .. } => "replace",
        }
    }

    pub fn owner(&self) -> &str {
        match self {
            Change::Add { owner, .. }
            | Change::Remove { owner, .. }
            | Change::Replace { owner, .. } => owner,
        }
    }

    /// The change as what-if assumptions: a replacement is the old record absent and the new
    /// one present.
    pub fn assumptions(&self) -> Vec<Assumption> {
        let assume = |record: &CaaRecord, present| Assumption {
            owner: self.owner().to_owned(),
            record: record.clone(),
            present,
        };
        match self {
            Change::Add { record, .. } => vec![assume(record, true)],
            Change::Remove { record, .. } => vec![assume(record, false)],
            Change::Replace { old, new, .. } => vec![assume(old, false), assume(new, true)],
        }
    }
}

/// The changes that together make a denied check allowed; none for any other verdict.
pub fn plan(check: &Check, requester: &Requester) -> Vec<Change> {
    let Some(lookup) = check.relevant_lookup() else {
        return Vec::new();
    };
    if check.evaluation.verdict != Verdict::Denied {
        return Vec::new();
    }
    let owner = lookup.records_owner();
    let wildcard = check.name.wildcard;
    let mut set = lookup.records().to_vec();
    let mut changes: Vec<Change> = set
        .iter()
        .filter(|record| is_critical_unknown(record))
        .map(|record| Change::Remove {
            owner: owner.to_owned(),
            record: record.clone(),
        })
        .collect();
    set.retain(|record| !is_critical_unknown(record));
    if allows(check, &changes, requester) {
        return changes;
    }
    if let Some(repair) = repair_near_miss(&set, wildcard, requester, owner) {
        changes.push(repair);
        if allows(check, &changes, requester) {
            return changes;
        }
        changes.pop();
    }
    changes.extend(add_the_ca(&set, wildcard, requester, owner));
    changes
}

/// Whether the check, with `changes` made, would be allowed.
fn allows(check: &Check, changes: &[Change], requester: &Requester) -> bool {
    let assumptions: Vec<Assumption> = changes.iter().flat_map(Change::assumptions).collect();
    let (lookups, _) = overlay(check.lookups.clone(), &assumptions);
    evaluate(&lookups, check.name.wildcard, requester).verdict == Verdict::Allowed
}

/// Step 3: plain records naming the CA, which authorise whatever the account and method.
fn add_the_ca(
    set: &[CaaRecord],
    wildcard: bool,
    requester: &Requester,
    owner: &str,
) -> Vec<Change> {
    let add = |tag: &str| Change::Add {
        owner: owner.to_owned(),
        record: CaaRecord::new(0, tag, requester.ca.as_bytes()),
    };
    let issue_authorises = set.iter().any(|record| {
        classify_tag(&record.tag) == Property::Issue
            && assess_record(record, requester, false) == Finding::Authorises
    });
    let mut changes = Vec::new();
    if !issue_authorises {
        changes.push(add("issue"));
    }
    if applicable_property(set, wildcard) == Property::IssueWild {
        changes.push(add("issuewild"));
    }
    changes
}

/// Step 2: the first record of the applicable property that can be corrected into one that
/// authorises the requester.
fn repair_near_miss(
    set: &[CaaRecord],
    wildcard: bool,
    requester: &Requester,
    owner: &str,
) -> Option<Change> {
    let property = applicable_property(set, wildcard);
    set.iter()
        .filter(|record| classify_tag(&record.tag) == property)
        .find_map(|record| {
            let (new, beside) = corrected_record(record, requester, wildcard)?;
            Some(if beside {
                Change::Add {
                    owner: owner.to_owned(),
                    record: new,
                }
            } else {
                Change::Replace {
                    owner: owner.to_owned(),
                    old: record.clone(),
                    new,
                }
            })
        })
}

/// The record corrected to authorise the requester, if it is a near miss for the CA, and
/// whether the correction goes beside it (to keep another account authorised) rather than in
/// its place.
fn corrected_record(
    record: &CaaRecord,
    requester: &Requester,
    wildcard: bool,
) -> Option<(CaaRecord, bool)> {
    let (issuer, mut parameters) = readable_parts(&record.value);
    if !names_the_ca(&issuer, &requester.ca) {
        return None;
    }
    let beside = admit_the_account(&mut parameters, requester);
    admit_a_method(&mut parameters, requester, wildcard);
    let mut value = requester.ca.clone();
    for (tag, parameter_value) in &parameters {
        value.push_str(&format!("; {tag}={parameter_value}"));
    }
    let corrected = CaaRecord::new(record.flags, record.tag.clone(), value);
    let authorises = assess_record(&corrected, requester, wildcard) == Finding::Authorises;
    (authorises && corrected != *record).then_some((corrected, beside))
}

/// The issuer and parameters of a value; a malformed value is read as its author meant it:
/// empty parts and parts without `=` dropped, tags stripped of hyphens and underscores
/// (`validation-methods` was meant as `validationmethods`), blanks squeezed out of values
/// (`http-01, dns-01`), and what still does not fit dropped.
fn readable_parts(value: &[u8]) -> (Vec<u8>, Vec<(String, String)>) {
    if let Ok(parsed) = parse_issue_value(value) {
        let parameters = parsed
            .parameters
            .iter()
            .map(|p| (p.tag.to_owned(), p.value.to_owned()))
            .collect();
        return (parsed.issuer.to_vec(), parameters);
    }
    let mut parts = value.split(|&byte| byte == b';');
    let issuer = trim_blanks(parts.next().unwrap_or_default()).to_vec();
    let parameters = parts
        .filter_map(|part| {
            let part = std::str::from_utf8(part).ok()?;
            let (tag, value) = part.split_once('=')?;
            let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
            let value: String = value.chars().filter(|c| !matches!(c, ' ' | '\t')).collect();
            (!tag.is_empty() && is_parameter_value(value.as_bytes())).then_some((tag, value))
        })
        .collect();
    (issuer, parameters)
}

/// Whether an issuer domain is the CA's, or a near miss of it: another case, a trailing dot,
/// stray quotes or blanks, or a display name ("Let's Encrypt" for `letsencrypt.org`).
pub fn names_the_ca(issuer: &[u8], ca: &str) -> bool {
    let Ok(issuer) = std::str::from_utf8(issuer) else {
        return false;
    };
    let cleaned = issuer
        .trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        .trim_end_matches('.');
    if cleaned.eq_ignore_ascii_case(ca) {
        return true;
    }
    let squashed = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let ca_name = ca.rsplit_once('.').map_or(ca, |(name, _tld)| name);
    let issuer = squashed(issuer);
    !issuer.is_empty() && (issuer == squashed(ca) || issuer == squashed(ca_name))
}

/// Rules 27, 28 and 32: make `accounturi` admit the requester. A platform's unknown account is
/// admitted only by dropping the restriction; a named account replaces an unsatisfiable
/// (repeated or empty) `accounturi`, and goes in a record of its own beside one that names
/// another account, which stays authorised. Returns whether the record goes beside.
fn admit_the_account(parameters: &mut Vec<(String, String)>, requester: &Requester) -> bool {
    let uris: Vec<String> = parameters
        .iter()
        .filter(|(tag, _)| tag == "accounturi")
        .map(|(_, value)| value.clone())
        .collect();
    if uris.is_empty() {
        return false;
    }
    let Some(account) = &requester.account_uri else {
        parameters.retain(|(tag, _)| tag != "accounturi");
        return false;
    };
    if let [uri] = uris.as_slice()
        && requester.accepted_account_uris().contains(uri)
    {
        return false;
    }
    let names_another_account = matches!(uris.as_slice(), [uri] if !uri.is_empty());
    parameters.retain(|(tag, _)| tag != "accounturi");
    parameters.push(("accounturi".into(), account.clone()));
    names_another_account
}

/// Rules 29, 30, 31 and 33: make `validationmethods` (if any) a single well-formed list that
/// keeps every method it admitted and adds the first method the requester can use.
fn admit_a_method(parameters: &mut Vec<(String, String)>, requester: &Requester, wildcard: bool) {
    let lists: Vec<String> = parameters
        .iter()
        .filter(|(tag, _)| tag == "validationmethods")
        .map(|(_, value)| value.clone())
        .collect();
    if lists.is_empty() {
        return;
    }
    let usable = requester.usable_methods(wildcard);
    let mut labels: Vec<String> = Vec::new();
    for label in lists.iter().flat_map(|list| list.split(',')) {
        if is_method_label(label) && !labels.iter().any(|kept| kept == label) {
            labels.push(label.to_owned());
        }
    }
    let admitted = read_validation_methods(&labels.join(",")).methods;
    if !usable.iter().any(|method| admitted.contains(method))
        && let Some(method) = usable.first()
    {
        labels.push(method.as_str().to_owned());
    }
    let position = parameters
        .iter()
        .position(|(tag, _)| tag == "validationmethods")
        .unwrap_or(parameters.len());
    parameters.retain(|(tag, _)| tag != "validationmethods");
    parameters.insert(
        position.min(parameters.len()),
        ("validationmethods".into(), labels.join(",")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::Method;
    use crate::caa::answers::{Answer, Lookup};
    use crate::name::CheckName;

    const V2_1: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/1";
    const V2_7: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/7";

    fn platform() -> Requester {
        Requester::platform("letsencrypt.org")
    }

    fn check_of(name: &str, records: &[(u8, &str, &str)], requester: &Requester) -> Check {
        let name = CheckName::parse(name).unwrap();
        let lookups = name
            .climb()
            .into_iter()
            .enumerate()
            .map(|(i, climb_name)| {
                let answer = if i == 0 {
                    Answer::Records(
                        records
                            .iter()
                            .map(|&(f, t, v)| CaaRecord::new(f, t, v))
                            .collect(),
                    )
                } else {
                    Answer::NoData
                };
                Lookup::new(climb_name, answer)
            })
            .collect();
        Check::judge(name, lookups, &[], requester)
    }

    /// Plans the fix for one RRset at `a.example.com` and checks that it allows.
    fn fix(name: &str, records: &[(u8, &str, &str)], requester: &Requester) -> Vec<Change> {
        let check = check_of(name, records, requester);
        assert_eq!(check.evaluation.verdict, Verdict::Denied, "{records:?}");
        let changes = plan(&check, requester);
        assert!(allows(&check, &changes, requester), "{changes:?}");
        changes
    }

    fn add(value: &str) -> Change {
        Change::Add {
            owner: "a.example.com".into(),
            record: CaaRecord::new(0, "issue", value),
        }
    }

    fn replace(old: &str, new: &str) -> Change {
        Change::Replace {
            owner: "a.example.com".into(),
            old: CaaRecord::new(0, "issue", old),
            new: CaaRecord::new(0, "issue", new),
        }
    }

    #[test]
    fn another_ca_keeps_its_record_and_the_ca_is_added() {
        assert_eq!(
            fix(
                "a.example.com",
                &[(0, "issue", "digicert.com")],
                &platform()
            ),
            vec![add("letsencrypt.org")]
        );
        assert_eq!(
            fix("a.example.com", &[(0, "issue", ";")], &platform()),
            vec![add("letsencrypt.org")]
        );
    }

    #[test]
    fn near_misses_of_the_issuer_are_replaced() {
        for near in [
            "LetsEncrypt.org",
            "letsencrypt.org.",
            "\"letsencrypt.org\"",
            "Let's Encrypt",
            "Let\u{2019}s Encrypt",
        ] {
            assert_eq!(
                fix("a.example.com", &[(0, "issue", near)], &platform()),
                vec![replace(near, "letsencrypt.org")],
                "{near}"
            );
        }
    }

    #[test]
    fn malformed_parameters_are_repaired_as_meant() {
        assert_eq!(
            fix(
                "a.example.com",
                &[(0, "issue", "letsencrypt.org; validation-methods=http-01")],
                &platform()
            ),
            vec![replace(
                "letsencrypt.org; validation-methods=http-01",
                "letsencrypt.org; validationmethods=http-01"
            )]
        );
        assert_eq!(
            fix(
                "a.example.com",
                &[(
                    0,
                    "issue",
                    "letsencrypt.org; validationmethods=dns-01, http-01"
                )],
                &platform()
            ),
            vec![replace(
                "letsencrypt.org; validationmethods=dns-01, http-01",
                "letsencrypt.org; validationmethods=dns-01,http-01"
            )]
        );
        assert_eq!(
            fix(
                "a.example.com",
                &[(0, "issue", "letsencrypt.org;;")],
                &platform()
            ),
            vec![replace("letsencrypt.org;;", "letsencrypt.org")]
        );
    }

    #[test]
    fn a_method_the_platform_needs_is_added_to_the_list() {
        assert_eq!(
            fix(
                "a.example.com",
                &[(0, "issue", "letsencrypt.org; validationmethods=dns-01")],
                &platform()
            ),
            vec![replace(
                "letsencrypt.org; validationmethods=dns-01",
                "letsencrypt.org; validationmethods=dns-01,http-01"
            )]
        );
        let dns = Requester {
            method: Some(Method::Dns01),
            ..platform()
        };
        assert_eq!(
            fix(
                "a.example.com",
                &[(
                    0,
                    "issue",
                    "letsencrypt.org; validationmethods=http-01,,tls-alpn-01"
                )],
                &dns
            ),
            vec![replace(
                "letsencrypt.org; validationmethods=http-01,,tls-alpn-01",
                "letsencrypt.org; validationmethods=http-01,tls-alpn-01,dns-01"
            )]
        );
    }

    #[test]
    fn an_account_restriction_is_dropped_for_a_platform_and_widened_for_a_named_account() {
        let restricted = format!("letsencrypt.org; accounturi={V2_1}");
        assert_eq!(
            fix("a.example.com", &[(0, "issue", &restricted)], &platform()),
            vec![replace(&restricted, "letsencrypt.org")]
        );
        let named = Requester {
            account_uri: Some(V2_7.into()),
            method: Some(Method::Http01),
            ..platform()
        };
        assert_eq!(
            fix("a.example.com", &[(0, "issue", &restricted)], &named),
            vec![add(&format!("letsencrypt.org; accounturi={V2_7}"))],
            "account 1 stays authorised"
        );
        let repeated = format!("letsencrypt.org; accounturi={V2_1}; accounturi={V2_1}");
        assert_eq!(
            fix("a.example.com", &[(0, "issue", &repeated)], &named),
            vec![replace(
                &repeated,
                &format!("letsencrypt.org; accounturi={V2_7}")
            )]
        );
    }

    #[test]
    fn critical_unknown_tags_are_removed_first() {
        let changes = fix(
            "a.example.com",
            &[(0, "issue", "letsencrypt.org"), (128, "tbs", "x")],
            &platform(),
        );
        assert_eq!(
            changes,
            vec![Change::Remove {
                owner: "a.example.com".into(),
                record: CaaRecord::new(128, "tbs", "x")
            }]
        );
        let changes = fix(
            "a.example.com",
            &[(0, "issue", "digicert.com"), (1, "contactemail", "x")],
            &platform(),
        );
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[1], add("letsencrypt.org"));
    }

    #[test]
    fn no_repair_when_removing_critical_tags_is_enough() {
        let changes = fix(
            "a.example.com",
            &[
                (0, "issue", "LetsEncrypt.org"),
                (128, "tbs", "x"),
                (0, "issue", "letsencrypt.org"),
            ],
            &platform(),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].action(), "remove");
    }

    #[test]
    fn wildcards_get_issuewild_and_issue_where_needed() {
        let changes = fix(
            "*.a.example.com",
            &[
                (0, "issue", "digicert.com"),
                (0, "issuewild", "digicert.com"),
            ],
            &platform(),
        );
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0], add("letsencrypt.org"));
        assert!(matches!(&changes[1], Change::Add { record, .. } if record.tag == b"issuewild"));
        // The issue records already authorise the CA: only issuewild is missing.
        let changes = fix(
            "*.a.example.com",
            &[
                (0, "issue", "letsencrypt.org"),
                (0, "issuewild", "digicert.com"),
            ],
            &platform(),
        );
        assert_eq!(changes.len(), 1);
        // An issuewild near miss is repaired in place.
        let changes = fix(
            "*.a.example.com",
            &[(0, "issuewild", "LetsEncrypt.org")],
            &platform(),
        );
        assert!(matches!(&changes[0], Change::Replace { new, .. } if new.tag == b"issuewild"));
    }

    #[test]
    fn nothing_to_fix_unless_denied() {
        let allowed = check_of(
            "a.example.com",
            &[(0, "issue", "letsencrypt.org")],
            &platform(),
        );
        assert_eq!(plan(&allowed, &platform()), vec![]);
    }
}
