//! The JSON shapes `bundle` and `expiry` share: a certificate and a finding (documented in
//! README.md, a contract for scripts). Values from certificates are written as they are;
//! `escape::json_line` escapes what could deceive a terminal.

use std::net::IpAddr;

use serde::Serialize;

use crate::cert::{Certificate, Finding, PemFile, Severity, rfc3339};

use super::words::{Names, command, message};

#[derive(Serialize)]
pub struct CertificateJson<'a> {
    pub subject: &'a str,
    pub issuer: &'a str,
    pub dns_names: &'a [String],
    pub ip_addresses: &'a [IpAddr],
    pub serial: &'a str,
    pub sha256: &'a str,
    pub not_before: String,
    pub not_after: String,
    pub is_ca: bool,
    pub public_key: &'a str,
}

impl<'a> CertificateJson<'a> {
    pub fn new(certificate: &'a Certificate) -> CertificateJson<'a> {
        CertificateJson {
            subject: &certificate.subject.text,
            issuer: &certificate.issuer.text,
            dns_names: &certificate.dns_names,
            ip_addresses: &certificate.ip_addresses,
            serial: &certificate.serial,
            sha256: &certificate.sha256,
            not_before: rfc3339(certificate.not_before),
            not_after: rfc3339(certificate.not_after),
            is_ca: certificate.is_ca,
            public_key: &certificate.public_key,
        }
    }
}

#[derive(Serialize)]
pub struct FindingJson {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    /// The input and line it points at, if any: `bundle` or `key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The certificate it is about, by its index in `certificates`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<usize>,
    /// The command that fixes it (argv).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
}

impl FindingJson {
    pub fn new(finding: &Finding, names: &Names) -> FindingJson {
        let place = finding.place();
        FindingJson {
            code: finding.code(),
            severity: severity(finding.severity(names.source)),
            message: message(finding, names),
            file: place.map(|at| match at.file {
                PemFile::Bundle => "bundle",
                PemFile::Key => "key",
            }),
            line: place.map(|at| at.line),
            certificate: finding.certificate(),
            command: command(finding, names),
        }
    }
}

pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Failure => "failure",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}
