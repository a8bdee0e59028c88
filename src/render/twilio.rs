//! `twilio status`'s report for one domain: its verdict, Twilio's view beside the world's,
//! and each finding with the Twilio error it leads to and the action Twilio's docs recommend;
//! for people, or as one JSON object (documented in README.md).

use std::fmt::Write;

use serde::Serialize;

use crate::cert::rfc3339;
use crate::commands::twilio::DomainStatus;
use crate::commands::twilio::actions::{Requested, Uploaded, Waited};
use crate::commands::twilio::monitor::{AlarmOutcome, alert_message};
use crate::escape::{json_line, printable};
use crate::linkshortening::finding::ApiCall;
use crate::linkshortening::{DomainFinding, DomainVerdict, Remedy, Weight};
use crate::render::check::human::change_lines;
use crate::render::style::{Palette, Tone};
use crate::render::{Detail, Format};
use crate::twilio::client::ApiFailure;
use crate::twilio::resources::{Alert, DomainSid};

use super::certificate::bundle::{BundleFiles, expires_in};

/// The report for one domain, without a trailing newline.
pub fn render_status(status: &DomainStatus, line: Option<u64>, format: Format) -> String {
    match format {
        Format::Json => json_line(&StatusJson::new(status, line)),
        Format::Human(style) => human(status, &Palette::new(style.color), style.detail),
    }
}

fn verdict_tone(verdict: DomainVerdict) -> Tone {
    match verdict {
        DomainVerdict::Ok => Tone::Good,
        DomainVerdict::Warning => Tone::Warning,
        DomainVerdict::Error => Tone::Unknown,
        DomainVerdict::Critical => Tone::Bad,
    }
}

fn weight_word(weight: Weight) -> &'static str {
    match weight {
        Weight::Info => "info",
        Weight::Warning => "warning",
        Weight::Undetermined => "error",
        Weight::Critical => "critical",
    }
}

/// The finding in one sentence.
pub fn message(finding: &DomainFinding, status: &DomainStatus) -> String {
    let host = status.host.as_deref().unwrap_or("the domain");
    match finding {
        DomainFinding::CaaBlocksRenewal => format!(
            "the certificate is Twilio-managed (Let's Encrypt), but {host}'s CAA records do not let Let's Encrypt issue: the next renewal fails"
        ),
        DomainFinding::CaaUndetermined => format!(
            "the CAA lookups for {host} failed here, so whether Let's Encrypt may renew this Twilio-managed certificate is not known"
        ),
        DomainFinding::NoCertificate => format!(
            "no certificate is in place for {host}: Twilio reports no date_expires, and nothing is being requested or validated"
        ),
        DomainFinding::Expired { date_expires } => format!(
            "Twilio's certificate for {host} expired at {}",
            rfc3339(*date_expires)
        ),
        DomainFinding::ExpiresSoon {
            date_expires,
            days_left,
            ..
        } => format!(
            "Twilio's certificate for {host} {} ({})",
            expires_in(*days_left),
            rfc3339(*date_expires)
        ),
        DomainFinding::InValidation { status } if status.as_deref() == Some("pending") => {
            "a new certificate is being validated (status pending)".to_owned()
        }
        DomainFinding::InValidation { status } => format!(
            "the new certificate's validation has not passed (status {})",
            status.as_deref().map_or("unknown".to_owned(), printable)
        ),
        DomainFinding::ManagedRequestPending => {
            "a Twilio-managed certificate has been requested and is not issued yet".to_owned()
        }
        DomainFinding::ServedDiffers {
            served_not_after,
            date_expires,
        } => format!(
            "{host} serves a certificate valid until {}, not the one Twilio reports (until {})",
            rfc3339(*served_not_after),
            rfc3339(*date_expires)
        ),
        DomainFinding::ServedUnreachable { reason } => format!(
            "no certificate could be read from {host}:443: {}",
            printable(reason)
        ),
        DomainFinding::DnsInvalid { reason } => format!(
            "Twilio's DNS check fails for {host}{}",
            reason
                .as_deref()
                .map(|reason| format!(": {}", printable(reason)))
                .unwrap_or_default()
        ),
        DomainFinding::ContinueOnFailureOff => "ContinueOnFailure is off: while the certificate is broken, messages with links fail instead of going out with long links".to_owned(),
        DomainFinding::DomainNotFound => format!("no Link Shortening domain {} in this account", status.sid),
        DomainFinding::ApiError { call, message, .. } => format!(
            "Twilio's {} could not be read: {}",
            call.resource(),
            printable(message)
        ),
    }
}

/// The remedy the core chose, in words: the API call Twilio's docs recommend, and the
/// certready command that makes it.
pub fn action(finding: &DomainFinding, status: &DomainStatus) -> String {
    let sid = &status.sid;
    let host = status.host.as_deref().unwrap_or("DOMAIN");
    match finding.remedy(status.diagnosis.managed) {
        Remedy::ChangeCaaRecords => {
            let fixes = status
                .caa
                .as_ref()
                .map(|caa| change_lines(&caa.changes))
                .unwrap_or_default();
            if fixes.is_empty() {
                format!("let letsencrypt.org issue for {host}: certready check {host} gives the records to change")
            } else {
                format!("change the CAA records: {}", fixes.join("; "))
            }
        }
        Remedy::CheckCaaElsewhere => format!(
            "run certready check {host} against another resolver (--nameserver) to learn the verdict"
        ),
        Remedy::Replace { managed, alarm } => {
            let replace = if managed {
                format!(
                    "request a new managed certificate: POST /v1/LinkShortening/Domains/{sid}/RequestManagedCert (certready twilio request-managed-cert {sid})"
                )
            } else {
                format!(
                    "upload a renewed certificate (chain, root and PKCS #8 key in one TlsCert; certready twilio upload {sid} FILE checks it first): POST /v1/LinkShortening/Domains/{sid}/Certificate, then GET it until cert_in_validation is null; or switch to a Twilio-managed certificate: POST .../RequestManagedCert"
                )
            };
            if alarm {
                format!("{replace}; and create an Alarm on 30131 (certready twilio alarm)")
            } else {
                replace
            }
        }
        Remedy::Reupload => format!(
            "the uploaded certificate was not accepted: check it with certready bundle FILE --name {host} and upload it again (POST /v1/LinkShortening/Domains/{sid}/Certificate)"
        ),
        Remedy::WaitForValidation => format!(
            "wait: Twilio validates a new certificate within about five minutes; GET /v2/LinkShortening/Domains/{sid}/Certificate until cert_in_validation is null (30132 if it fails)"
        ),
        Remedy::WaitForManagedRequest => format!(
            "wait: GET /v2/LinkShortening/Domains/{sid}/Certificate until requesting is false"
        ),
        Remedy::CheckRouting => "check that the domain's DNS points to Twilio (GET .../ValidateDns) and that no proxy or CDN in front serves a certificate of its own".to_owned(),
        Remedy::CheckServing => format!(
            "check that the domain resolves and answers TLS on port 443 (certready expiry {host})"
        ),
        Remedy::FixDns => format!(
            "fix the DNS records Link Shortening's onboarding asks for, then GET /v1/LinkShortening/Domains/{sid}/ValidateDns again"
        ),
        Remedy::SetContinueOnFailure => format!(
            "POST /v1/LinkShortening/Domains/{sid}/Config with ContinueOnFailure=true"
        ),
        Remedy::CheckSid => "check the Domain SID and that the credentials are the account's that owns it".to_owned(),
        Remedy::Retry => "try again later; if it persists, check Twilio's status page".to_owned(),
    }
}

fn human(status: &DomainStatus, palette: &Palette, detail: Detail) -> String {
    let verdict = status.diagnosis.verdict;
    let mut out = format!(
        "{}: {}",
        status.sid,
        palette.tone(verdict.as_str(), verdict_tone(verdict))
    );
    if let Some(host) = &status.host {
        let _ = write!(out, ", {host}");
    }
    if let Ok(certificate) = &status.facts.certificate {
        let kind = match certificate.managed {
            Some(true) => "managed",
            Some(false) => "uploaded",
            None => "certificate",
        };
        let _ = write!(
            out,
            " ({kind}, expires {})",
            certificate
                .date_expires
                .as_deref()
                .map_or("unknown".to_owned(), printable)
        );
    }
    let detailed = match detail {
        Detail::Quiet => false,
        Detail::Normal => verdict != DomainVerdict::Ok,
        Detail::Verbose => true,
    };
    if !detailed {
        return out;
    }
    if let Some(caa) = &status.caa {
        let _ = write!(
            out,
            "\n  caa     {} for Let's Encrypt",
            caa.check.evaluation.verdict.as_str()
        );
    }
    if let Some(served) = &status.served {
        let _ = write!(out, "\n  served  {}", served.class.as_str());
    }
    for finding in &status.diagnosis.findings {
        let (mark, tone) = match finding.weight() {
            Weight::Critical => ("✗", Tone::Bad),
            Weight::Undetermined => ("?", Tone::Unknown),
            Weight::Warning => ("!", Tone::Warning),
            Weight::Info => ("i", Tone::Faint),
        };
        let twilio_error = finding
            .twilio_error()
            .map(|code| format!(" (Twilio error {code})"))
            .unwrap_or_default();
        let _ = write!(
            out,
            "\n  {} {}: {}{twilio_error}\n      {}",
            palette.tone(mark, tone),
            finding.code(),
            message(finding, status),
            palette.code(&action(finding, status))
        );
    }
    out
}

#[derive(Serialize)]
struct StatusJson<'a> {
    domain_sid: &'a str,
    line: Option<u64>,
    domain_name: Option<&'a str>,
    verdict: &'static str,
    findings: Vec<FindingJson>,
    certificate: Option<CertificateJson<'a>>,
    config: Option<ConfigJson>,
    dns: Option<DnsJson<'a>>,
    caa: Option<CaaJson>,
    served: Option<ServedJson>,
    errors: Vec<ErrorJson>,
}

#[derive(Serialize)]
struct FindingJson {
    code: &'static str,
    severity: &'static str,
    message: String,
    twilio_error: Option<u16>,
    action: String,
}

#[derive(Serialize)]
struct CertificateJson<'a> {
    managed: Option<bool>,
    requesting: Option<bool>,
    date_expires: Option<&'a str>,
    cert_in_validation: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct ConfigJson {
    continue_on_failure: Option<bool>,
    fallback_url: Option<String>,
    disable_https: Option<bool>,
}

#[derive(Serialize)]
struct DnsJson<'a> {
    is_valid: Option<bool>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct CaaJson {
    verdict: &'static str,
    /// The records to change, as zone-file lines (`add`, `remove`, `replace`... `with`).
    fixes: Vec<String>,
}

#[derive(Serialize)]
struct ServedJson {
    status: &'static str,
    not_after: Option<String>,
    days_left: Option<i64>,
    issued_by_lets_encrypt: Option<bool>,
    error: Option<String>,
}

/// A call that failed: which, its code, and Twilio's error code when it gave one.
#[derive(Serialize)]
struct ErrorJson {
    call: &'static str,
    code: &'static str,
    twilio_code: Option<i64>,
}

impl<'a> StatusJson<'a> {
    fn new(status: &'a DomainStatus, line: Option<u64>) -> StatusJson<'a> {
        let facts = &status.facts;
        let certificate = facts.certificate.as_ref().ok();
        let calls = [
            (ApiCall::Certificate, facts.certificate.as_ref().err()),
            (
                ApiCall::Config,
                facts.config.as_ref().and_then(|r| r.as_ref().err()),
            ),
            (
                ApiCall::ValidateDns,
                facts.dns.as_ref().and_then(|r| r.as_ref().err()),
            ),
        ];
        StatusJson {
            domain_sid: status.sid.as_str(),
            line,
            domain_name: certificate.and_then(|c| c.domain_name.as_deref()),
            verdict: status.diagnosis.verdict.as_str(),
            findings: status
                .diagnosis
                .findings
                .iter()
                .map(|finding| FindingJson {
                    code: finding.code(),
                    severity: weight_word(finding.weight()),
                    message: message(finding, status),
                    twilio_error: finding.twilio_error(),
                    action: action(finding, status),
                })
                .collect(),
            certificate: certificate.map(|certificate| CertificateJson {
                managed: certificate.managed,
                requesting: certificate.requesting,
                date_expires: certificate.date_expires.as_deref(),
                cert_in_validation: certificate
                    .cert_in_validation
                    .as_ref()
                    .filter(|value| !value.is_null()),
            }),
            config: facts
                .config
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|config| ConfigJson {
                    continue_on_failure: config.continue_on_failure,
                    fallback_url: config.fallback_url.clone(),
                    disable_https: config.disable_https,
                }),
            dns: facts
                .dns
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|dns| DnsJson {
                    is_valid: dns.is_valid,
                    reason: dns.reason.as_deref(),
                }),
            caa: status.caa.as_ref().map(|caa| CaaJson {
                verdict: caa.check.evaluation.verdict.as_str(),
                fixes: caa
                    .changes
                    .iter()
                    .flat_map(|change| change_lines(std::slice::from_ref(change)))
                    .collect(),
            }),
            served: status.served.as_ref().map(|served| {
                let diagnosis = served.outcome.as_ref().ok().map(|s| &s.diagnosis);
                let leaf = diagnosis.and_then(|diagnosis| diagnosis.leaf());
                ServedJson {
                    status: served.class.as_str(),
                    not_after: leaf.map(|leaf| rfc3339(leaf.not_after)),
                    days_left: diagnosis.and_then(|d| d.leaf_days_left),
                    issued_by_lets_encrypt: diagnosis.map(|d| d.issued_by_lets_encrypt),
                    error: served.outcome.as_ref().err().map(ToString::to_string),
                }
            }),
            errors: calls
                .into_iter()
                .filter_map(|(call, failure)| {
                    failure.map(|failure: &ApiFailure| ErrorJson {
                        call: call.resource(),
                        code: failure.code(),
                        twilio_code: failure.twilio_error().and_then(|error| error.code),
                    })
                })
                .collect(),
        }
    }
}

/// `request-managed-cert`'s report for one domain.
pub fn render_requested(sid: &DomainSid, requested: &Requested, format: Format) -> String {
    let (result, detail): (&str, String) = match requested {
        Requested::Refused { host, caa } => (
            "refused",
            format!(
                "CAA at {host} does not let Let's Encrypt issue ({}); nothing was sent. Change: {}",
                caa.check.evaluation.verdict.as_str(),
                change_lines(&caa.changes).join("; ")
            ),
        ),
        Requested::Sent { waited, .. } => waited_words(waited, "requesting"),
        Requested::Unnamed => (
            "refused",
            "Twilio gives the domain no name to check CAA for; nothing was sent (--force sends anyway)"
                .to_owned(),
        ),
        Requested::Stopped(signal) => (
            "stopped",
            format!("stopped by {} before anything was sent", signal.name()),
        ),
        Requested::NotSent(failure) => (
            "failed",
            format!("nothing was sent: {}", printable(&failure.to_string())),
        ),
    };
    action_report(sid, "request-managed-cert", result, &detail, format)
}

/// `upload`'s report, and under a refusal the bundle's own report.
pub fn render_uploaded(sid: &DomainSid, file: &str, uploaded: &Uploaded, format: Format) -> String {
    let (result, detail): (&str, String) = match uploaded {
        Uploaded::Refused { host, bundle } => {
            let report = super::certificate::bundle::render(
                bundle,
                BundleFiles {
                    bundle: file,
                    key: None,
                },
                format,
            );
            let named = format!(" for {host}");
            return match format {
                Format::Json => json_line(&serde_json::json!({
                    "domain_sid": sid.as_str(),
                    "action": "upload",
                    "result": "refused",
                    "bundle": serde_json::from_str::<serde_json::Value>(&report).unwrap_or_default(),
                })),
                Format::Human(_) => format!(
                    "{sid}: upload refused: {} fails the bundle checks{named}; nothing was sent\n{report}",
                    printable(file)
                ),
            };
        }
        Uploaded::Sent {
            expected,
            waited: Waited::Done(certificate),
        } if uploaded.validated_elsewhere() => (
            "expiry-differs",
            format!(
                "validated, but Twilio reports date_expires {} where the uploaded leaf ends {}",
                certificate
                    .date_expires
                    .as_deref()
                    .map_or("null".to_owned(), printable),
                expected.map_or("unknown".to_owned(), rfc3339)
            ),
        ),
        Uploaded::Sent { waited, .. } => waited_words(waited, "cert_in_validation"),
        Uploaded::Unnamed => (
            "refused",
            "Twilio gives the domain no name to check the bundle for; nothing was sent".to_owned(),
        ),
        Uploaded::Stopped(signal) => (
            "stopped",
            format!("stopped by {} before anything was sent", signal.name()),
        ),
        Uploaded::NotSent(failure) => (
            "failed",
            format!("nothing was sent: {}", printable(&failure.to_string())),
        ),
    };
    action_report(sid, "upload", result, &detail, format)
}

/// How a wait ended, in a result code and words that say the state it left.
fn waited_words(waited: &Waited, field: &str) -> (&'static str, String) {
    match waited {
        Waited::Done(certificate) => (
            "done",
            format!(
                "date_expires {}",
                certificate
                    .date_expires
                    .as_deref()
                    .map_or("null".to_owned(), printable)
            ),
        ),
        Waited::TimedOut => (
            "timed-out",
            format!(
                "sent; Twilio had not finished when --wait ran out ({field} still set): run certready twilio status to see it later"
            ),
        ),
        Waited::Stopped(signal) => (
            "stopped",
            format!(
                "sent; stopped waiting on {} with {field} still set: nothing was undone, Twilio goes on",
                signal.name()
            ),
        ),
        Waited::Failed(failure) => (
            "failed",
            format!(
                "sent; then Twilio could not be asked: {}",
                printable(&failure.to_string())
            ),
        ),
    }
}

fn action_report(
    sid: &DomainSid,
    action: &str,
    result: &str,
    detail: &str,
    format: Format,
) -> String {
    match format {
        Format::Json => json_line(&serde_json::json!({
            "domain_sid": sid.as_str(),
            "action": action,
            "result": result,
            "detail": detail,
        })),
        Format::Human(_) => format!("{sid}: {action}: {result}: {detail}"),
    }
}

/// `alarm`'s report.
pub fn render_alarm(outcome: &AlarmOutcome, format: Format) -> String {
    let (result, sid) = match outcome {
        AlarmOutcome::Present(sid) => ("present", sid),
        AlarmOutcome::Created(sid) => ("created", sid),
    };
    match format {
        Format::Json => {
            json_line(&serde_json::json!({"action": "alarm", "result": result, "alarm_sid": sid}))
        }
        Format::Human(_) => format!(
            "alarm on 30131 (certificate will expire soon): {result} ({})",
            sid.as_deref().map_or("no SID given".to_owned(), printable)
        ),
    }
}

/// One alert of `alerts`.
pub fn render_alert(alert: &Alert, format: Format) -> String {
    let field = |value: &Option<String>| value.as_deref().map_or("-".to_owned(), printable);
    match format {
        Format::Json => json_line(&serde_json::json!({
            "sid": alert.sid,
            "date_created": alert.date_created,
            "error_code": alert.error_code,
            "log_level": alert.log_level,
            "resource_sid": alert.resource_sid,
            "message": alert_message(alert),
            "more_info": alert.more_info,
        })),
        Format::Human(_) => format!(
            "{} {} {} {}: {}",
            field(&alert.date_created),
            field(&alert.error_code),
            field(&alert.log_level),
            field(&alert.resource_sid),
            printable(&alert_message(alert))
        ),
    }
}
