//! The rules that judge a Link Shortening domain, each a small function named after what it
//! checks and citing the Twilio documentation it follows, and the diagnosis they add up to.

use crate::caa::Verdict;
use crate::cert::{Thresholds, parse_rfc3339};
use crate::twilio::client::ApiFailure;
use crate::twilio::resources::{DnsValidation, DomainCertificate, DomainConfig};

use super::finding::{ApiCall, DomainFinding, DomainVerdict};

/// Seconds in a day.
const DAY: i64 = 86_400;
/// A served not-after this close to `date_expires` is the same certificate's (Twilio's dates
/// are to the second, a certificate's too; clocks and rounding may differ a little).
const SAME_INSTANT: i64 = 60;

/// The certificate served at the domain, as far as the `expiry` probe read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServedFacts {
    /// A chain was served; its leaf's not-after, if the leaf could be read.
    Served { not_after: Option<i64> },
    /// None could be read, and why.
    Unreachable { reason: String },
}

/// Everything fetched about one domain: Twilio's view and the world's.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainFacts {
    pub certificate: Result<DomainCertificate, ApiFailure>,
    /// Not asked when the certificate could not be read.
    pub config: Option<Result<DomainConfig, ApiFailure>>,
    pub dns: Option<Result<DnsValidation, ApiFailure>>,
    /// The CAA verdict for Let's Encrypt at the domain's host, when there is a host.
    pub caa: Option<Verdict>,
    pub served: Option<ServedFacts>,
}

/// The findings, in report order, and the verdict they make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainDiagnosis {
    pub findings: Vec<DomainFinding>,
    pub verdict: DomainVerdict,
    /// Whether Twilio manages the certificate: what the remedies turn on.
    pub managed: bool,
}

/// The host a domain's `domain_name` ("Full url path for this domain",
/// `https://links.example.com`) names, lowercase, if it names one.
pub fn domain_host(domain_name: &str) -> Option<String> {
    let rest = domain_name
        .split_once("://")
        .map_or(domain_name, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once(':').map_or(host, |(host, port)| {
        if port.bytes().all(|byte| byte.is_ascii_digit()) {
            host
        } else {
            rest
        }
    });
    crate::name::CheckName::plain_domain(host)
}

/// Twilio's 30131 page: "You use a Twilio-managed certificate, but your DNS CAA records do not
/// allow letsencrypt.org to request or renew the certificate": a record that denies, or the
/// CA's name policy. Lookups that failed here say nothing either way (`CaaUndetermined`).
pub fn caa_finding(certificate: &DomainCertificate, caa: Option<Verdict>) -> Option<DomainFinding> {
    if certificate.managed != Some(true) {
        return None;
    }
    match caa? {
        Verdict::Allowed => None,
        Verdict::Denied | Verdict::Refused => Some(DomainFinding::CaaBlocksRenewal),
        Verdict::Error => Some(DomainFinding::CaaUndetermined),
    }
}

/// Twilio's 30107 ("certificate has not been uploaded"): no `date_expires`, and neither a
/// managed request nor a validation under way to explain it.
pub fn no_certificate(certificate: &DomainCertificate) -> bool {
    certificate.date_expires.is_none()
        && certificate.requesting != Some(true)
        && certificate
            .cert_in_validation
            .as_ref()
            .is_none_or(serde_json::Value::is_null)
}

/// 30102 ("TLS certificate for your domain has expired") and 30131 ("will expire soon"):
/// `date_expires` against now and the thresholds.
pub fn certificate_expiry(
    certificate: &DomainCertificate,
    thresholds: Thresholds,
    now: i64,
) -> Option<DomainFinding> {
    let date_expires = parse_rfc3339(certificate.date_expires.as_deref()?)?;
    if date_expires <= now {
        return Some(DomainFinding::Expired { date_expires });
    }
    let days_left = (date_expires - now).div_euclid(DAY);
    (days_left < i64::from(thresholds.warn_days)).then_some(DomainFinding::ExpiresSoon {
        date_expires,
        days_left,
        critical: days_left < i64::from(thresholds.crit_days),
    })
}

/// Twilio's 30131 page: after an upload, "check validation status with a GET … until
/// `cert_in_validation` is `null`".
pub fn in_validation(certificate: &DomainCertificate) -> Option<DomainFinding> {
    let pending = certificate
        .cert_in_validation
        .as_ref()
        .filter(|value| !value.is_null())?;
    let status = pending
        .get("status")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Some(DomainFinding::InValidation { status })
}

/// The v2 Certificate's `requesting`: "True indicates a request is in progress".
pub fn managed_request_pending(certificate: &DomainCertificate) -> bool {
    certificate.requesting == Some(true)
}

/// The served certificate against Twilio's: an unreachable domain, or a not-after that is not
/// `date_expires`.
pub fn served_certificate(
    certificate: &DomainCertificate,
    served: &ServedFacts,
) -> Option<DomainFinding> {
    match served {
        ServedFacts::Unreachable { reason } => Some(DomainFinding::ServedUnreachable {
            reason: reason.clone(),
        }),
        ServedFacts::Served { not_after } => {
            let served_not_after = (*not_after)?;
            let date_expires = parse_rfc3339(certificate.date_expires.as_deref()?)?;
            ((served_not_after - date_expires).abs() > SAME_INSTANT).then_some(
                DomainFinding::ServedDiffers {
                    served_not_after,
                    date_expires,
                },
            )
        }
    }
}

/// ValidateDns's `is_valid`.
pub fn dns_invalid(validation: &DnsValidation) -> Option<DomainFinding> {
    (validation.is_valid == Some(false)).then(|| DomainFinding::DnsInvalid {
        reason: validation
            .reason
            .clone()
            .filter(|reason| !reason.is_empty()),
    })
}

/// Twilio's 30103 page: with `ContinueOnFailure` false, messages whose links cannot be
/// shortened fail; true sends them with the long links.
pub fn continue_on_failure_off(config: &DomainConfig) -> bool {
    config.continue_on_failure == Some(false)
}

fn api_error(call: ApiCall, failure: &ApiFailure) -> DomainFinding {
    DomainFinding::ApiError {
        call,
        code: failure.code(),
        message: failure.to_string(),
    }
}

/// All the rules over what was fetched.
pub fn diagnose_domain(facts: &DomainFacts, thresholds: Thresholds, now: i64) -> DomainDiagnosis {
    let mut findings = Vec::new();
    match &facts.certificate {
        Err(ApiFailure::NotFound(_)) => findings.push(DomainFinding::DomainNotFound),
        Err(failure) => findings.push(api_error(ApiCall::Certificate, failure)),
        Ok(certificate) => {
            findings.extend(caa_finding(certificate, facts.caa));
            if no_certificate(certificate) {
                findings.push(DomainFinding::NoCertificate);
            }
            findings.extend(certificate_expiry(certificate, thresholds, now));
            findings.extend(in_validation(certificate));
            if managed_request_pending(certificate) {
                findings.push(DomainFinding::ManagedRequestPending);
            }
            if let Some(served) = &facts.served {
                findings.extend(served_certificate(certificate, served));
            }
        }
    }
    match &facts.dns {
        Some(Ok(validation)) => findings.extend(dns_invalid(validation)),
        Some(Err(failure)) => findings.push(api_error(ApiCall::ValidateDns, failure)),
        None => {}
    }
    match &facts.config {
        Some(Ok(config)) if continue_on_failure_off(config) => {
            findings.push(DomainFinding::ContinueOnFailureOff);
        }
        Some(Err(failure)) => findings.push(api_error(ApiCall::Config, failure)),
        _ => {}
    }
    DomainDiagnosis {
        verdict: DomainVerdict::of(&findings),
        findings,
        managed: facts
            .certificate
            .as_ref()
            .is_ok_and(|certificate| certificate.managed == Some(true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z.
    const NOW: i64 = 1_767_225_600;

    fn certificate(managed: bool, date_expires: &str) -> DomainCertificate {
        DomainCertificate {
            domain_name: Some("https://links.example.test".into()),
            date_expires: Some(date_expires.into()),
            managed: Some(managed),
            requesting: Some(false),
            ..DomainCertificate::default()
        }
    }

    fn healthy() -> DomainFacts {
        DomainFacts {
            certificate: Ok(certificate(true, "2026-03-01T00:00:00Z")),
            config: Some(Ok(DomainConfig {
                continue_on_failure: Some(true),
                ..DomainConfig::default()
            })),
            dns: Some(Ok(DnsValidation {
                is_valid: Some(true),
                reason: Some(String::new()),
            })),
            caa: Some(Verdict::Allowed),
            served: Some(ServedFacts::Served {
                not_after: parse_rfc3339("2026-03-01T00:00:00Z"),
            }),
        }
    }

    fn codes(facts: &DomainFacts) -> Vec<&'static str> {
        diagnose_domain(facts, Thresholds::default(), NOW)
            .findings
            .iter()
            .map(DomainFinding::code)
            .collect()
    }

    #[test]
    fn domain_host_reads_the_domain_name_url() {
        assert_eq!(
            domain_host("https://Links.Example.com/"),
            Some("links.example.com".into())
        );
        assert_eq!(
            domain_host("links.example.com:443"),
            Some("links.example.com".into())
        );
        assert_eq!(domain_host("https://"), None);
    }

    #[test]
    fn a_healthy_managed_domain_is_ok() {
        let diagnosis = diagnose_domain(&healthy(), Thresholds::default(), NOW);
        assert_eq!(diagnosis.findings, []);
        assert_eq!(diagnosis.verdict, DomainVerdict::Ok);
    }

    #[test]
    fn caa_blocks_renewal_only_for_a_managed_certificate_the_ca_may_not_renew() {
        let mut facts = healthy();
        facts.caa = Some(Verdict::Denied);
        assert_eq!(codes(&facts), ["caa-blocks-renewal"]);
        facts.caa = Some(Verdict::Refused);
        assert_eq!(codes(&facts), ["caa-blocks-renewal"]);
        facts.caa = Some(Verdict::Error);
        assert_eq!(codes(&facts), ["caa-undetermined"]);
        facts.certificate = Ok(certificate(false, "2026-03-01T00:00:00Z"));
        assert_eq!(codes(&facts), Vec::<&str>::new());
    }

    #[test]
    fn certificate_expiry_against_the_thresholds() {
        let expiring =
            |date: &str| certificate_expiry(&certificate(false, date), Thresholds::default(), NOW);
        assert_eq!(
            expiring("2025-12-31T00:00:00Z"),
            Some(DomainFinding::Expired {
                date_expires: NOW - DAY
            })
        );
        assert!(matches!(
            expiring("2026-01-06T00:00:00Z"),
            Some(DomainFinding::ExpiresSoon {
                days_left: 5,
                critical: true,
                ..
            })
        ));
        assert!(matches!(
            expiring("2026-01-21T00:00:00Z"),
            Some(DomainFinding::ExpiresSoon {
                days_left: 20,
                critical: false,
                ..
            })
        ));
        assert_eq!(expiring("2026-03-01T00:00:00Z"), None);
        assert_eq!(expiring("never"), None);
    }

    #[test]
    fn no_certificate_only_when_nothing_explains_a_missing_expiry() {
        let mut none = certificate(false, "");
        none.date_expires = None;
        assert!(no_certificate(&none));
        none.requesting = Some(true);
        assert!(!no_certificate(&none));
        none.requesting = Some(false);
        none.cert_in_validation = Some(serde_json::json!({"status": "pending"}));
        assert!(!no_certificate(&none));
    }

    #[test]
    fn in_validation_and_a_pending_request_are_said() {
        let mut pending = certificate(true, "2026-03-01T00:00:00Z");
        pending.cert_in_validation =
            Some(serde_json::json!({"date_expires": "2026-04-01T00:00:00Z", "status": "pending"}));
        pending.requesting = Some(true);
        assert_eq!(
            in_validation(&pending),
            Some(DomainFinding::InValidation {
                status: Some("pending".into())
            })
        );
        assert!(managed_request_pending(&pending));
        pending.cert_in_validation = Some(serde_json::Value::Null);
        assert_eq!(in_validation(&pending), None);
    }

    #[test]
    fn served_certificate_differs_or_cannot_be_read() {
        let twilio = certificate(false, "2026-03-01T00:00:00Z");
        let same = ServedFacts::Served {
            not_after: parse_rfc3339("2026-03-01T00:00:30Z"),
        };
        assert_eq!(served_certificate(&twilio, &same), None);
        let other = ServedFacts::Served {
            not_after: parse_rfc3339("2026-01-10T00:00:00Z"),
        };
        assert!(matches!(
            served_certificate(&twilio, &other),
            Some(DomainFinding::ServedDiffers { .. })
        ));
        let down = ServedFacts::Unreachable {
            reason: "connection refused".into(),
        };
        assert!(matches!(
            served_certificate(&twilio, &down),
            Some(DomainFinding::ServedUnreachable { .. })
        ));
    }

    #[test]
    fn dns_and_config_findings_and_api_errors_are_kept_apart() {
        let mut facts = healthy();
        facts.dns = Some(Ok(DnsValidation {
            is_valid: Some(false),
            reason: Some("CNAME does not point to Twilio".into()),
        }));
        facts.config = Some(Ok(DomainConfig {
            continue_on_failure: Some(false),
            ..DomainConfig::default()
        }));
        assert_eq!(codes(&facts), ["dns-invalid", "continue-on-failure-off"]);
        facts.config = Some(Err(ApiFailure::Timeout));
        facts.dns = None;
        let diagnosis = diagnose_domain(&facts, Thresholds::default(), NOW);
        assert_eq!(diagnosis.verdict, DomainVerdict::Error);
        assert_eq!(
            diagnosis.findings,
            [DomainFinding::ApiError {
                call: ApiCall::Config,
                code: "timeout",
                message: "no answer from Twilio within the timeout".into()
            }]
        );
    }

    #[test]
    fn an_unknown_domain_is_not_found() {
        let facts = DomainFacts {
            certificate: Err(ApiFailure::NotFound(None)),
            config: None,
            dns: None,
            caa: None,
            served: None,
        };
        assert_eq!(codes(&facts), ["domain-not-found"]);
    }
}
