//! The actions that change a domain's certificate, each doing only what it says: requesting a
//! Twilio-managed certificate once CAA lets Let's Encrypt issue, and uploading a bundle once
//! it passes the bundle checks; then waiting, bounded, for Twilio to finish. A signal stops
//! the waiting and undoes nothing; the report says the state it left.

use std::time::Duration;

use tokio::time::Instant;

use crate::caa::{Diagnosis, Verdict, diagnose};
use crate::cert::{BundleDiagnosis, Status, Thresholds, diagnose_bundle, parse_rfc3339};
use crate::clock::unix_now;
use crate::commands::check::Checker;
use crate::diagnostics::warn;
use crate::exit::{ExitStatus, StopSignal};
use crate::linkshortening::diagnosis::domain_host;
use crate::name::CheckName;
use crate::runner::signals::StopRequests;
use crate::twilio::client::{ApiFailure, TwilioApi};
use crate::twilio::hosts::Product;
use crate::twilio::resources::{DomainCertificate, DomainSid};

/// How long to wait for Twilio, and how often to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub wait: Duration,
    pub interval: Duration,
}

/// How a wait for Twilio ended.
#[derive(Debug)]
pub enum Waited {
    /// Twilio finished: the certificate as it now is.
    Done(DomainCertificate),
    /// Still not finished at `--wait`.
    TimedOut,
    /// A signal stopped the waiting.
    Stopped(StopSignal),
    Failed(ApiFailure),
}

fn certificate_path(sid: &DomainSid) -> String {
    format!("/v2/LinkShortening/Domains/{sid}/Certificate")
}

/// Asks for the v2 Certificate every `interval` until `done` holds, `wait` has passed (a
/// request still unanswered then is given up), or a signal comes; says on stderr what it is
/// waiting for.
pub async fn wait_for(
    api: &TwilioApi,
    sid: &DomainSid,
    waiting: Waiting,
    stops: &mut StopRequests,
    what: &str,
    done: impl Fn(&DomainCertificate) -> bool,
) -> Waited {
    let started = Instant::now();
    let deadline = started + waiting.wait;
    let path = certificate_path(sid);
    loop {
        let asked = tokio::select! {
            asked = api.get::<DomainCertificate>(Product::Messaging, &path) => asked,
            signal = stops.requested() => return Waited::Stopped(signal),
            () = tokio::time::sleep_until(deadline) => return Waited::TimedOut,
        };
        let certificate = match asked {
            Ok(certificate) => certificate,
            Err(failure) => return Waited::Failed(failure),
        };
        if done(&certificate) {
            return Waited::Done(certificate);
        }
        if Instant::now() + waiting.interval > deadline {
            return Waited::TimedOut;
        }
        warn(format_args!(
            "{sid}: waiting until {what} ({}s of {}s)",
            started.elapsed().as_secs(),
            waiting.wait.as_secs()
        ));
        tokio::select! {
            () = tokio::time::sleep(waiting.interval) => {}
            signal = stops.requested() => return Waited::Stopped(signal),
        }
    }
}

/// What `request-managed-cert` did for one domain.
#[derive(Debug)]
pub enum Requested {
    /// CAA does not let Let's Encrypt issue: nothing was sent.
    Refused { host: String, caa: Box<Diagnosis> },
    /// Twilio gives the domain no name to check CAA for: nothing was sent.
    Unnamed,
    /// A signal came before anything was sent.
    Stopped(StopSignal),
    /// Requested, and then as the wait ended.
    Sent {
        host: Option<String>,
        waited: Waited,
    },
    /// Twilio could not be asked; nothing was sent.
    NotSent(ApiFailure),
}

impl Requested {
    /// 0 issued; 1 refused; 3 not done in time or Twilio could not be asked; 2 credentials
    /// refused; 128+signal stopped.
    pub fn status(&self) -> ExitStatus {
        match self {
            Requested::Refused { .. } | Requested::Unnamed => ExitStatus::Fails,
            Requested::Stopped(signal) => ExitStatus::Stopped(*signal),
            Requested::Sent { waited, .. } => waited_status(waited),
            Requested::NotSent(failure) => failure_status(failure),
        }
    }
}

fn waited_status(waited: &Waited) -> ExitStatus {
    match waited {
        Waited::Done(_) => ExitStatus::Success,
        Waited::TimedOut => ExitStatus::Undetermined,
        Waited::Stopped(signal) => ExitStatus::Stopped(*signal),
        Waited::Failed(failure) => failure_status(failure),
    }
}

/// Credentials Twilio refused are bad usage; anything else could not be determined.
pub fn failure_status(failure: &ApiFailure) -> ExitStatus {
    match failure {
        ApiFailure::Unauthorized { .. } => ExitStatus::Usage,
        _ => ExitStatus::Undetermined,
    }
}

/// Why nothing is to be sent, or the name checked.
enum Before {
    Send(Option<String>),
    Hold(Requested),
}

/// Checks CAA for the domain as Let's Encrypt will, then (if it may issue, or `force`) asks
/// Twilio for a managed certificate and waits until it is managed and no longer requesting. A
/// signal before the request is sent sends nothing.
pub async fn request_managed_cert(
    api: &TwilioApi,
    checker: &Checker,
    sid: &DomainSid,
    force: bool,
    waiting: Waiting,
    stops: &mut StopRequests,
) -> Requested {
    let before = async {
        let certificate: DomainCertificate =
            match api.get(Product::Messaging, &certificate_path(sid)).await {
                Ok(certificate) => certificate,
                Err(failure) => return Before::Hold(Requested::NotSent(failure)),
            };
        let host = certificate.domain_name.as_deref().and_then(domain_host);
        let name = host.as_deref().and_then(|host| CheckName::parse(host).ok());
        match (name, force) {
            (None, false) => Before::Hold(Requested::Unnamed),
            (None, true) => Before::Send(host),
            (Some(name), _) => {
                let caa = diagnose(checker.check(name).await, &checker.requester);
                if caa.check.evaluation.verdict == Verdict::Allowed || force {
                    Before::Send(host)
                } else {
                    Before::Hold(Requested::Refused {
                        host: host.unwrap_or_default(),
                        caa: Box::new(caa),
                    })
                }
            }
        }
    };
    let host = tokio::select! {
        before = before => match before {
            Before::Send(host) => host,
            Before::Hold(requested) => return requested,
        },
        signal = stops.requested() => return Requested::Stopped(signal),
    };
    let path = format!("/v1/LinkShortening/Domains/{sid}/RequestManagedCert");
    if let Err(failure) = api
        .post_form::<DomainCertificate>(Product::Messaging, &path, &[])
        .await
    {
        return Requested::NotSent(failure);
    }
    let waited = wait_for(
        api,
        sid,
        waiting,
        stops,
        "it is managed and requesting is false",
        |certificate| certificate.managed == Some(true) && certificate.requesting == Some(false),
    )
    .await;
    Requested::Sent { host, waited }
}

/// What `upload` did.
#[derive(Debug)]
pub enum Uploaded {
    /// The bundle fails its checks: nothing was sent.
    Refused {
        host: String,
        bundle: Box<BundleDiagnosis>,
    },
    /// Twilio gives the domain no name to check the bundle for: nothing was sent.
    Unnamed,
    /// A signal came before anything was sent.
    Stopped(StopSignal),
    /// Sent, and then as the wait ended; `expected` is the leaf's not-after.
    Sent {
        expected: Option<i64>,
        waited: Waited,
    },
    /// Twilio could not be asked; nothing was sent.
    NotSent(ApiFailure),
}

impl Uploaded {
    /// Validated, but Twilio reports another expiry than the uploaded leaf's: the certificate
    /// in place is not the one sent.
    pub fn validated_elsewhere(&self) -> bool {
        matches!(
            self,
            Uploaded::Sent {
                expected,
                waited: Waited::Done(certificate),
            } if !same_expiry(*expected, certificate)
        )
    }

    /// 0 validated with the leaf's expiry; 1 refused, or validated with another expiry; 3 not
    /// validated in time or Twilio could not be asked; 2 credentials refused; 128+signal.
    pub fn status(&self) -> ExitStatus {
        match self {
            Uploaded::Refused { .. } | Uploaded::Unnamed => ExitStatus::Fails,
            Uploaded::Stopped(signal) => ExitStatus::Stopped(*signal),
            uploaded if uploaded.validated_elsewhere() => ExitStatus::Fails,
            Uploaded::Sent { waited, .. } => waited_status(waited),
            Uploaded::NotSent(failure) => failure_status(failure),
        }
    }
}

/// Whether Twilio's `date_expires` is the uploaded leaf's not-after (to the minute).
pub fn same_expiry(expected: Option<i64>, certificate: &DomainCertificate) -> bool {
    match (
        expected,
        certificate.date_expires.as_deref().and_then(parse_rfc3339),
    ) {
        (Some(expected), Some(reported)) => (expected - reported).abs() <= 60,
        _ => false,
    }
}

/// Checks the bundle for the domain's name; if nothing fails, POSTs it as `TlsCert` and
/// waits until `cert_in_validation` is null. A signal before it is sent sends nothing.
pub async fn upload(
    api: &TwilioApi,
    sid: &DomainSid,
    bundle: &[u8],
    thresholds: Thresholds,
    waiting: Waiting,
    stops: &mut StopRequests,
) -> Uploaded {
    let path = certificate_path(sid);
    let asked = tokio::select! {
        asked = api.get::<DomainCertificate>(Product::Messaging, &path) => asked,
        signal = stops.requested() => return Uploaded::Stopped(signal),
    };
    let certificate = match asked {
        Ok(certificate) => certificate,
        Err(failure) => return Uploaded::NotSent(failure),
    };
    let Some(host) = certificate.domain_name.as_deref().and_then(domain_host) else {
        return Uploaded::Unnamed;
    };
    let diagnosis = diagnose_bundle(
        bundle,
        None,
        std::slice::from_ref(&host),
        thresholds,
        unix_now(),
    );
    let text = match std::str::from_utf8(bundle) {
        Ok(text) if diagnosis.status != Status::Fails => text,
        _ => {
            return Uploaded::Refused {
                host,
                bundle: Box::new(diagnosis),
            };
        }
    };
    let expected = diagnosis.leaf().map(|leaf| leaf.not_after);
    if let Some(signal) = stops.received() {
        return Uploaded::Stopped(signal);
    }
    let path = format!("/v1/LinkShortening/Domains/{sid}/Certificate");
    if let Err(failure) = api
        .post_form::<DomainCertificate>(Product::Messaging, &path, &[("TlsCert", text)])
        .await
    {
        return Uploaded::NotSent(failure);
    }
    let waited = wait_for(
        api,
        sid,
        waiting,
        stops,
        "cert_in_validation is null",
        |certificate| {
            certificate
                .cert_in_validation
                .as_ref()
                .is_none_or(serde_json::Value::is_null)
        },
    )
    .await;
    Uploaded::Sent { expected, waited }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_confirmed_only_when_twilio_reports_the_leaf_s_expiry() {
        let reported = |date: &str| DomainCertificate {
            date_expires: Some(date.into()),
            ..DomainCertificate::default()
        };
        let leaf = parse_rfc3339("2027-03-01T00:00:00Z");
        assert!(same_expiry(leaf, &reported("2027-03-01T00:00:30Z")));
        assert!(!same_expiry(leaf, &reported("2026-12-20T00:00:00Z")));
        assert!(!same_expiry(None, &reported("2027-03-01T00:00:00Z")));
        let done_elsewhere = Uploaded::Sent {
            expected: leaf,
            waited: Waited::Done(reported("2026-12-20T00:00:00Z")),
        };
        assert_eq!(done_elsewhere.status(), ExitStatus::Fails);
    }
}
