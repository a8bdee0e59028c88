//! `twilio status`'s job: one Link Shortening domain's certificate, configuration and DNS
//! check fetched from Twilio's API, its host's CAA records asked as `check` asks them (Let's
//! Encrypt, no account, http-01 or tls-alpn-01: the platform's profile), and the certificate
//! it serves read as `expiry` reads it; all judged by the `linkshortening` core.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;

use crate::caa::Diagnosis;
use crate::caa::diagnose;
use crate::cert::Thresholds;
use crate::clock::unix_now;
use crate::commands::check::Checker;
use crate::commands::expiry::{Expirer, Expiry, ExpiryTarget};
use crate::diagnostics::warn;
use crate::endpoint::{Endpoint, HTTPS_PORT, Host};
use crate::exit::{Class, ExitStatus};
use crate::linkshortening::diagnosis::domain_host;
use crate::linkshortening::{
    DomainDiagnosis, DomainFacts, DomainVerdict, ServedFacts, diagnose_domain,
};
use crate::name::CheckName;
use crate::render::twilio::render_status;
use crate::render::{Format, InvalidKeys, render_invalid};
use crate::runner::{Job, Performed};
use crate::twilio::client::{ApiFailure, TwilioApi};
use crate::twilio::hosts::Product;
use crate::twilio::resources::{DnsValidation, DomainCertificate, DomainConfig, DomainSid};

/// Everything learnt of one domain, judged.
#[derive(Debug)]
pub struct DomainStatus {
    pub sid: DomainSid,
    pub facts: DomainFacts,
    /// The domain's host, from Twilio's `domain_name`.
    pub host: Option<String>,
    /// The CAA check of the host, with its fixes.
    pub caa: Option<Diagnosis>,
    /// The served certificate, as `expiry` read it.
    pub served: Option<Expiry>,
    pub diagnosis: DomainDiagnosis,
}

impl Class for DomainVerdict {
    const ALL: &'static [DomainVerdict] = &[
        DomainVerdict::Ok,
        DomainVerdict::Warning,
        DomainVerdict::Critical,
        DomainVerdict::Error,
    ];

    fn label(self) -> &'static str {
        self.as_str()
    }

    fn status(self) -> ExitStatus {
        match self {
            DomainVerdict::Ok => ExitStatus::Success,
            DomainVerdict::Warning => ExitStatus::Warnings,
            DomainVerdict::Critical => ExitStatus::Fails,
            DomainVerdict::Error => ExitStatus::Undetermined,
        }
    }
}

/// `twilio status` as a job of the runner.
#[derive(Debug)]
pub struct StatusJob {
    pub api: TwilioApi,
    pub checker: Checker,
    pub expirer: Expirer,
    pub thresholds: Thresholds,
    pub format: Format,
    /// Set once Twilio refused the credentials: the run is bad usage, whatever else.
    pub refused: AtomicBool,
    /// Set once Twilio did not answer (timeout, no connection): the domains after it are not
    /// asked, so a run over many domains ends within about a minute of a dead API.
    pub silent: AtomicBool,
}

const INVALID_KEYS: InvalidKeys = InvalidKeys {
    target: "domain_sid",
    class: "verdict",
};

fn certificate_path(sid: &DomainSid) -> String {
    format!("/v2/LinkShortening/Domains/{sid}/Certificate")
}

impl StatusJob {
    /// Fetches Twilio's view and the world's, and judges them.
    pub async fn status(&self, sid: DomainSid) -> DomainStatus {
        let certificate: Result<DomainCertificate, ApiFailure> =
            if self.silent.load(Ordering::Relaxed) {
                Err(ApiFailure::Connection(
                    "not asked: Twilio did not answer earlier in this run".into(),
                ))
            } else {
                self.api
                    .get(Product::Messaging, &certificate_path(&sid))
                    .await
            };
        if matches!(
            certificate,
            Err(ApiFailure::Timeout | ApiFailure::Connection(_))
        ) {
            self.silent.store(true, Ordering::Relaxed);
        }
        // A domain Twilio could not show is not asked about further: the same failure thrice
        // says nothing more.
        let found = certificate.is_ok();
        let host = certificate
            .as_ref()
            .ok()
            .and_then(|certificate| certificate.domain_name.as_deref())
            .and_then(domain_host);
        let (config, dns, caa, served) = tokio::join!(
            self.subresource::<DomainConfig>(&sid, "Config", found),
            self.subresource::<DnsValidation>(&sid, "ValidateDns", found),
            self.caa(host.as_deref()),
            self.served(host.as_deref()),
        );
        let refused = [
            certificate.as_ref().err(),
            config.as_ref().and_then(|result| result.as_ref().err()),
            dns.as_ref().and_then(|result| result.as_ref().err()),
        ]
        .into_iter()
        .flatten()
        .find(|failure| matches!(failure, ApiFailure::Unauthorized { .. }));
        // Said once on stderr, whatever the number of domains.
        if let Some(failure) = refused
            && !self.refused.swap(true, Ordering::Relaxed)
        {
            warn(failure);
        }
        let facts = DomainFacts {
            certificate,
            config,
            dns,
            caa: caa
                .as_ref()
                .map(|diagnosis| diagnosis.check.evaluation.verdict),
            served: served.as_ref().map(served_facts),
        };
        let diagnosis = diagnose_domain(&facts, self.thresholds, unix_now());
        DomainStatus {
            sid,
            facts,
            host,
            caa,
            served,
            diagnosis,
        }
    }

    /// A v1 subresource of the domain (`Config`, `ValidateDns`), when the domain was found.
    async fn subresource<T: DeserializeOwned>(
        &self,
        sid: &DomainSid,
        name: &str,
        found: bool,
    ) -> Option<Result<T, ApiFailure>> {
        let path = format!("/v1/LinkShortening/Domains/{sid}/{name}");
        match found {
            true => Some(self.api.get(Product::Messaging, &path).await),
            false => None,
        }
    }

    /// The host's CAA check, as Let's Encrypt makes it for the platform.
    async fn caa(&self, host: Option<&str>) -> Option<Diagnosis> {
        let name = CheckName::parse(host?).ok()?;
        let check = self.checker.check(name).await;
        Some(diagnose(check, &self.checker.requester))
    }

    /// The certificate served at the host, on port 443.
    async fn served(&self, host: Option<&str>) -> Option<Expiry> {
        let endpoint = Endpoint {
            host: Host::Name(host?.to_owned()),
            port: HTTPS_PORT,
        };
        let target = ExpiryTarget::new(endpoint).ok()?;
        Some(self.expirer.expiry(target).await)
    }
}

/// What the core needs of the `expiry` probe's result.
fn served_facts(expiry: &Expiry) -> ServedFacts {
    match &expiry.outcome {
        Ok(served) => ServedFacts::Served {
            not_after: served.diagnosis.leaf().map(|leaf| leaf.not_after),
        },
        Err(unreached) => ServedFacts::Unreachable {
            reason: unreached.to_string(),
        },
    }
}

/// A domain to check, or an argument that is not a SID (an invalid entry in its place).
#[derive(Clone, Debug)]
pub enum StatusTarget {
    Domain(DomainSid),
    Invalid { input: String, reason: String },
}

impl StatusTarget {
    /// A SID as typed: the domain, or why it is not one.
    pub fn parse(text: &str) -> StatusTarget {
        match DomainSid::parse(text) {
            Ok(sid) => StatusTarget::Domain(sid),
            Err(reason) => StatusTarget::Invalid {
                input: text.to_owned(),
                reason,
            },
        }
    }
}

impl Job for StatusJob {
    type Target = StatusTarget;
    type Class = DomainVerdict;
    const NOUN: &'static str = "domain";

    fn parse(text: &str) -> Result<StatusTarget, String> {
        DomainSid::parse(text).map(StatusTarget::Domain)
    }

    async fn perform(&self, target: StatusTarget, line: Option<u64>) -> Performed<DomainVerdict> {
        let sid = match target {
            StatusTarget::Domain(sid) => sid,
            StatusTarget::Invalid { input, reason } => {
                return Performed {
                    class: None,
                    text: render_invalid(line, &input, &reason, INVALID_KEYS, self.format),
                };
            }
        };
        let status = self.status(sid).await;
        Performed {
            class: Some(status.diagnosis.verdict),
            text: render_status(&status, line, self.format),
        }
    }

    fn render_invalid(&self, line: u64, input: &str, reason: &str) -> String {
        render_invalid(Some(line), input, reason, INVALID_KEYS, self.format)
    }

    /// Credentials Twilio refused make the run bad usage (2): every domain failed for them.
    fn after_run(&self) -> Option<ExitStatus> {
        self.refused
            .load(Ordering::Relaxed)
            .then_some(ExitStatus::Usage)
    }
}
