//! Who requests the certificate, and the parameters that restrict who may: rulebook §8 to §10,
//! rules 26 to 33 (RFC 8657 `accounturi` and `validationmethods`).
//!
//! When the user names an account and a method, the checks are exactly the CA's. When they do
//! not, the requester is a hosting platform with its own ACME account (rules 32 and 33).

use super::finding::Finding;
use super::issue_value::Parameter;
use super::methods::{Method, read_validation_methods};

/// Let's Encrypt's CAA identifying domain: the CA certready checks for unless told otherwise.
pub const LETS_ENCRYPT: &str = "letsencrypt.org";

/// Let's Encrypt's account URI prefixes (rule 28): production accepts the ACME v2 URI and the
/// legacy v1 one for the same numeric id; staging has its own.
const LE_PRODUCTION_PREFIXES: [&str; 2] = [
    "https://acme-v02.api.letsencrypt.org/acme/acct/",
    "https://acme-v01.api.letsencrypt.org/acme/reg/",
];
const LE_STAGING_PREFIXES: [&str; 1] = ["https://acme-staging-v02.api.letsencrypt.org/acme/acct/"];

/// Who asks the CA for the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requester {
    /// The CA's CAA identifying domain, e.g. `letsencrypt.org`.
    pub ca: String,
    /// The ACME account URI; `None` for a platform's own, unknown account (rule 32).
    pub account_uri: Option<String>,
    /// The validation method; `None` for whatever a hosting platform can use (rule 33).
    pub method: Option<Method>,
    /// Whether the CA's name policy applies before CAA (`crate::caa::policy`); off with
    /// `--no-name-policy`, which judges CAA alone (for private test zones).
    pub name_policy: bool,
}

impl Requester {
    /// A hosting platform requesting from `ca` with its own account, which we do not know, and
    /// whatever validation method it can use (rules 32 and 33).
    pub fn platform(ca: &str) -> Requester {
        Requester {
            ca: ca.to_owned(),
            account_uri: None,
            method: None,
            name_policy: true,
        }
    }

    /// Whether the CA is Let's Encrypt, whose errors and account URIs certready knows.
    pub fn is_lets_encrypt(&self) -> bool {
        self.ca == LETS_ENCRYPT
    }

    /// The CA as people know it: `Let's Encrypt` for `letsencrypt.org`, else its domain.
    pub fn ca_name(&self) -> &str {
        if self.is_lets_encrypt() {
            "Let's Encrypt"
        } else {
            &self.ca
        }
    }

    /// Rule 28: the URIs the CA takes as this account. A Let's Encrypt production account is
    /// known under its v2 and legacy v1 URIs; any other URI only as itself.
    pub fn accepted_account_uris(&self) -> Vec<String> {
        let Some(uri) = &self.account_uri else {
            return Vec::new();
        };
        for family in [&LE_PRODUCTION_PREFIXES[..], &LE_STAGING_PREFIXES[..]] {
            let id = family.iter().find_map(|prefix| {
                let digits = uri.strip_prefix(prefix)?;
                digits
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| digits.parse::<u64>().ok())?
            });
            if let Some(id) = id {
                return family
                    .iter()
                    .map(|prefix| format!("{prefix}{id}"))
                    .collect();
            }
        }
        vec![uri.clone()]
    }

    /// Rules 31 and 33: the methods that could validate the name. A named method is the only
    /// one; otherwise a hosting platform uses `http-01` or `tls-alpn-01`, and a wildcard can be
    /// validated only with `dns-01`.
    pub fn usable_methods(&self, wildcard: bool) -> Vec<Method> {
        match (self.method, wildcard) {
            (Some(method), _) => vec![method],
            (None, true) => vec![Method::Dns01],
            (None, false) => vec![Method::Http01, Method::TlsAlpn01],
        }
    }
}

/// Rules 26, 27, 28 and 32: does the record's `accounturi` (if any) admit the requester?
pub fn check_account(parameters: &[Parameter<'_>], requester: &Requester) -> Result<(), Finding> {
    // Rule 26: only the exact lowercase tag counts; `AccountURI` is an ignored unknown.
    let mut uris = parameters.iter().filter(|p| p.tag == "accounturi");
    let Some(uri) = uris.next() else {
        return Ok(());
    };
    if uris.next().is_some() {
        return Err(Finding::AccountUriRepeated);
    }
    if uri.value.is_empty() {
        return Err(Finding::AccountUriEmpty);
    }
    let accounturi = uri.value.to_owned();
    match requester.account_uri {
        None => Err(Finding::AccountRestricted { accounturi }),
        Some(_) if requester.accepted_account_uris().contains(&accounturi) => Ok(()),
        Some(_) => Err(Finding::OtherAccount { accounturi }),
    }
}

/// Rules 29, 30, 31 and 33: does the record's `validationmethods` (if any) admit a method the
/// requester can use?
pub fn check_methods(
    parameters: &[Parameter<'_>],
    requester: &Requester,
    wildcard: bool,
) -> Result<(), Finding> {
    // Rule 29: only the exact lowercase tag counts.
    let mut lists = parameters.iter().filter(|p| p.tag == "validationmethods");
    let Some(list) = lists.next() else {
        return Ok(());
    };
    if lists.next().is_some() {
        return Err(Finding::MethodsRepeated);
    }
    let admitted = read_validation_methods(list.value);
    let usable = requester.usable_methods(wildcard);
    if usable
        .iter()
        .any(|method| admitted.methods.contains(method))
    {
        Ok(())
    } else {
        Err(Finding::MethodNotAdmitted { admitted, usable })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caa::issue_value::parse_issue_value;
    use crate::caa::methods::AdmittedMethods;

    const V2: &str = "https://acme-v02.api.letsencrypt.org/acme/acct/12345";
    const V1: &str = "https://acme-v01.api.letsencrypt.org/acme/reg/12345";
    const STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/acme/acct/12345";

    fn requester(account_uri: Option<&str>, method: Option<Method>) -> Requester {
        Requester {
            account_uri: account_uri.map(str::to_owned),
            method,
            ..Requester::platform("letsencrypt.org")
        }
    }

    fn account(value: &str, who: &Requester) -> Result<(), Finding> {
        let parsed = parse_issue_value(value.as_bytes()).unwrap();
        check_account(&parsed.parameters, who)
    }

    fn methods(value: &str, who: &Requester, wildcard: bool) -> Result<(), Finding> {
        let parsed = parse_issue_value(value.as_bytes()).unwrap();
        check_methods(&parsed.parameters, who, wildcard)
    }

    #[test]
    fn rule_26_only_the_lowercase_accounturi_tag_counts() {
        let other = requester(Some(V2), None);
        let value = "letsencrypt.org; AccountURI=https://example.net/acct/9";
        assert_eq!(account(value, &other), Ok(()));
        assert_eq!(account(value, &requester(None, None)), Ok(()));
    }

    #[test]
    fn rule_27_absent_repeated_and_empty_accounturi() {
        let who = requester(Some(V2), None);
        assert_eq!(account("letsencrypt.org", &who), Ok(()));
        assert_eq!(
            account(
                &format!("letsencrypt.org; accounturi={V2}; accounturi={V2}"),
                &who
            ),
            Err(Finding::AccountUriRepeated)
        );
        assert_eq!(
            account("letsencrypt.org; accounturi=", &who),
            Err(Finding::AccountUriEmpty)
        );
    }

    #[test]
    fn rule_28_exact_match_with_v1_alias_for_production() {
        let who = requester(Some(V2), None);
        assert_eq!(
            account(&format!("letsencrypt.org; accounturi={V2}"), &who),
            Ok(())
        );
        assert_eq!(
            account(&format!("letsencrypt.org; accounturi={V1}"), &who),
            Ok(())
        );
        let by_v1 = requester(Some(V1), None);
        assert_eq!(
            account(&format!("letsencrypt.org; accounturi={V2}"), &by_v1),
            Ok(())
        );
        for miss in [
            format!("{V2}/"),
            V2.replace("https://", "http://"),
            V2.replace("12345", "12346"),
            STAGING.to_owned(),
        ] {
            assert_eq!(
                account(&format!("letsencrypt.org; accounturi={miss}"), &who),
                Err(Finding::OtherAccount { accounturi: miss })
            );
        }
    }

    #[test]
    fn rule_28_staging_has_its_own_uri() {
        let who = requester(Some(STAGING), None);
        assert_eq!(who.accepted_account_uris(), vec![STAGING.to_owned()]);
        assert!(account(&format!("letsencrypt.org; accounturi={V2}"), &who).is_err());
    }

    #[test]
    fn rule_28_other_uris_match_only_themselves() {
        let uri = "https://acme.example.net/account/abc";
        assert_eq!(
            requester(Some(uri), None).accepted_account_uris(),
            vec![uri.to_owned()]
        );
    }

    #[test]
    fn rule_32_accounturi_is_no_permission_for_an_unknown_platform_account() {
        assert_eq!(
            account(
                &format!("letsencrypt.org; accounturi={V2}"),
                &requester(None, None)
            ),
            Err(Finding::AccountRestricted {
                accounturi: V2.into()
            })
        );
    }

    #[test]
    fn rule_29_absent_repeated_and_only_lowercase_validationmethods() {
        let who = requester(None, Some(Method::Http01));
        assert_eq!(methods("letsencrypt.org", &who, false), Ok(()));
        assert_eq!(
            methods(
                "letsencrypt.org; validationmethods=http-01; validationmethods=http-01",
                &who,
                false
            ),
            Err(Finding::MethodsRepeated)
        );
        assert_eq!(
            methods("letsencrypt.org; ValidationMethods=dns-01", &who, false),
            Ok(())
        );
        assert!(methods("letsencrypt.org; validationmethods=", &who, false).is_err());
    }

    #[test]
    fn rule_30_a_method_after_a_malformed_label_does_not_match() {
        let who = requester(None, Some(Method::Dns01));
        assert!(
            methods(
                "letsencrypt.org; validationmethods=http-01,,dns-01",
                &who,
                false
            )
            .is_err()
        );
        assert_eq!(
            methods(
                "letsencrypt.org; validationmethods=dns-01,,http-01",
                &who,
                false
            ),
            Ok(())
        );
        assert_eq!(
            methods(
                "letsencrypt.org; validationmethods=x-99,dns-01",
                &who,
                false
            ),
            Ok(())
        );
    }

    #[test]
    fn rule_31_a_named_method_is_the_only_one_checked() {
        let who = requester(Some(V2), Some(Method::TlsAlpn01));
        assert_eq!(who.usable_methods(false), vec![Method::TlsAlpn01]);
        assert!(methods("letsencrypt.org; validationmethods=http-01", &who, false).is_err());
    }

    #[test]
    fn rule_33_a_platform_uses_http_or_tls_alpn_and_dns_for_wildcards() {
        let platform = requester(None, None);
        assert_eq!(
            platform.usable_methods(false),
            vec![Method::Http01, Method::TlsAlpn01]
        );
        assert_eq!(platform.usable_methods(true), vec![Method::Dns01]);
        let only_dns = "letsencrypt.org; validationmethods=dns-01";
        assert_eq!(
            methods(only_dns, &platform, false),
            Err(Finding::MethodNotAdmitted {
                admitted: AdmittedMethods {
                    methods: vec![Method::Dns01],
                    malformed_label: None
                },
                usable: vec![Method::Http01, Method::TlsAlpn01],
            })
        );
        assert_eq!(methods(only_dns, &platform, true), Ok(()));
        assert_eq!(
            methods(
                "letsencrypt.org; validationmethods=tls-alpn-01",
                &platform,
                false
            ),
            Ok(())
        );
    }
}
