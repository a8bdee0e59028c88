//! What can be wrong with a Link Shortening domain's certificate, each with a stable code (a
//! contract: scripts and outside tests match on them), a weight, and the Twilio error it leads
//! to (Twilio's error dictionary: 30102 expired, 30103 links not shortened, 30131 will expire
//! soon, 30132 cannot be validated).

/// How much a finding weighs; the domain's verdict is its heaviest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weight {
    /// Worth knowing.
    Info,
    /// Will fail if left alone.
    Warning,
    /// Could not be determined.
    Undetermined,
    /// Fails now, or will at the next renewal.
    Critical,
}

/// One domain's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DomainVerdict {
    Ok,
    Warning,
    /// Something could not be determined, and nothing is critical.
    Error,
    Critical,
}

impl DomainVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainVerdict::Ok => "ok",
            DomainVerdict::Warning => "warning",
            DomainVerdict::Error => "error",
            DomainVerdict::Critical => "critical",
        }
    }

    /// The verdict the heaviest finding makes.
    pub fn of(findings: &[DomainFinding]) -> DomainVerdict {
        match findings.iter().map(DomainFinding::weight).max() {
            None | Some(Weight::Info) => DomainVerdict::Ok,
            Some(Weight::Warning) => DomainVerdict::Warning,
            Some(Weight::Undetermined) => DomainVerdict::Error,
            Some(Weight::Critical) => DomainVerdict::Critical,
        }
    }
}

/// Which of Twilio's calls a failure was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiCall {
    Certificate,
    Config,
    ValidateDns,
}

impl ApiCall {
    /// The resource, as the API names it.
    pub fn resource(self) -> &'static str {
        match self {
            ApiCall::Certificate => "Certificate (v2)",
            ApiCall::Config => "Config (v1)",
            ApiCall::ValidateDns => "ValidateDns (v1)",
        }
    }
}

/// One thing found about a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainFinding {
    /// A Twilio-managed certificate (Let's Encrypt) whose domain's CAA records do not let Let's
    /// Encrypt issue: the next renewal fails (30131, then 30102). The fix is `check`'s.
    CaaBlocksRenewal,
    /// The CAA lookups for the domain failed here: whether Let's Encrypt may renew is not known
    /// (the CA fails a renewal whose lookups fail, but these may be this machine's).
    CaaUndetermined,
    /// No certificate is in place: `date_expires` is null with nothing pending (30107).
    NoCertificate,
    /// Twilio's certificate expired at `date_expires`.
    Expired { date_expires: i64 },
    /// Twilio's certificate expires in `days_left` days, within a threshold (`critical`: within
    /// `--crit-days`).
    ExpiresSoon {
        date_expires: i64,
        days_left: i64,
        critical: bool,
    },
    /// A new certificate is being validated (`cert_in_validation`): its status as given;
    /// anything but `pending` is a validation that did not pass (30132).
    InValidation { status: Option<String> },
    /// A managed certificate was requested and is not issued yet (`requesting`).
    ManagedRequestPending,
    /// The certificate served at the domain is not the one Twilio reports: its not-after
    /// differs from `date_expires` (by more than a minute).
    ServedDiffers {
        served_not_after: i64,
        date_expires: i64,
    },
    /// No certificate could be read from the domain (DNS, connection or handshake failed).
    ServedUnreachable { reason: String },
    /// Twilio's ValidateDns says the domain's DNS is not set up as it must be.
    DnsInvalid { reason: Option<String> },
    /// ContinueOnFailure is off: while the certificate is broken, messages with links fail
    /// (30103) rather than go out with long links.
    ContinueOnFailureOff,
    /// No domain with this SID in the account (404).
    DomainNotFound,
    /// A call to Twilio failed: which, and why.
    ApiError {
        call: ApiCall,
        code: &'static str,
        message: String,
    },
}

impl DomainFinding {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            DomainFinding::CaaBlocksRenewal => "caa-blocks-renewal",
            DomainFinding::CaaUndetermined => "caa-undetermined",
            DomainFinding::NoCertificate => "no-certificate",
            DomainFinding::Expired { .. } => "expired",
            DomainFinding::ExpiresSoon { .. } => "expires-soon",
            DomainFinding::InValidation { .. } => "in-validation",
            DomainFinding::ManagedRequestPending => "managed-request-pending",
            DomainFinding::ServedDiffers { .. } => "served-differs",
            DomainFinding::ServedUnreachable { .. } => "served-unreachable",
            DomainFinding::DnsInvalid { .. } => "dns-invalid",
            DomainFinding::ContinueOnFailureOff => "continue-on-failure-off",
            DomainFinding::DomainNotFound => "domain-not-found",
            DomainFinding::ApiError { .. } => "api-error",
        }
    }

    /// How much it weighs.
    pub fn weight(&self) -> Weight {
        match self {
            DomainFinding::CaaBlocksRenewal
            | DomainFinding::NoCertificate
            | DomainFinding::Expired { .. }
            | DomainFinding::DnsInvalid { .. } => Weight::Critical,
            DomainFinding::ExpiresSoon { critical: true, .. } => Weight::Critical,
            DomainFinding::InValidation { status } if !is_pending(status.as_deref()) => {
                Weight::Warning
            }
            DomainFinding::ExpiresSoon { .. }
            | DomainFinding::ServedDiffers { .. }
            | DomainFinding::ContinueOnFailureOff => Weight::Warning,
            DomainFinding::InValidation { .. } | DomainFinding::ManagedRequestPending => {
                Weight::Info
            }
            // As `expiry` and `check` weigh what they could not learn.
            DomainFinding::CaaUndetermined
            | DomainFinding::ServedUnreachable { .. }
            | DomainFinding::DomainNotFound
            | DomainFinding::ApiError { .. } => Weight::Undetermined,
        }
    }

    /// The Twilio error it leads to, from Twilio's error dictionary, if one does.
    pub fn twilio_error(&self) -> Option<u16> {
        match self {
            DomainFinding::CaaBlocksRenewal | DomainFinding::ExpiresSoon { .. } => Some(30131),
            DomainFinding::Expired { .. } => Some(30102),
            DomainFinding::ContinueOnFailureOff => Some(30103),
            DomainFinding::DomainNotFound => Some(30101),
            DomainFinding::NoCertificate => Some(30107),
            DomainFinding::InValidation { status } if !is_pending(status.as_deref()) => Some(30132),
            _ => None,
        }
    }
}

/// What Twilio's docs recommend doing about a finding; the renderer words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Remedy {
    /// The record changes `check` computes (Twilio's 30131 page: add letsencrypt.org).
    ChangeCaaRecords,
    /// Ask CAA again from elsewhere: the lookups failed here.
    CheckCaaElsewhere,
    /// A new certificate: a managed one requested again (`RequestManagedCert`), or, for an
    /// uploaded one, a renewed upload or a switch to managed (30102's page: "the preferred
    /// setup"); with `alarm`, also the Alarm on 30131.
    Replace { managed: bool, alarm: bool },
    /// The upload did not validate: check the bundle and upload it again.
    Reupload,
    /// Wait until `cert_in_validation` is null ("allow up to five minutes").
    WaitForValidation,
    /// Wait until `requesting` is false.
    WaitForManagedRequest,
    /// Something else answers for the domain: its DNS, a proxy or CDN.
    CheckRouting,
    /// The domain does not answer TLS on 443.
    CheckServing,
    /// The DNS records Link Shortening's onboarding asks for, then ValidateDns.
    FixDns,
    /// POST Config `ContinueOnFailure=true` (30103's page).
    SetContinueOnFailure,
    /// The SID, and whose account the credentials are.
    CheckSid,
    /// Ask again later.
    Retry,
}

impl DomainFinding {
    /// The remedy for this finding on a domain whose certificate is `managed` or not.
    pub fn remedy(&self, managed: bool) -> Remedy {
        match self {
            DomainFinding::CaaBlocksRenewal => Remedy::ChangeCaaRecords,
            DomainFinding::CaaUndetermined => Remedy::CheckCaaElsewhere,
            DomainFinding::NoCertificate | DomainFinding::Expired { .. } => Remedy::Replace {
                managed,
                alarm: false,
            },
            DomainFinding::ExpiresSoon { .. } => Remedy::Replace {
                managed,
                alarm: true,
            },
            DomainFinding::InValidation { status } if !is_pending(status.as_deref()) => {
                Remedy::Reupload
            }
            DomainFinding::InValidation { .. } => Remedy::WaitForValidation,
            DomainFinding::ManagedRequestPending => Remedy::WaitForManagedRequest,
            DomainFinding::ServedDiffers { .. } => Remedy::CheckRouting,
            DomainFinding::ServedUnreachable { .. } => Remedy::CheckServing,
            DomainFinding::DnsInvalid { .. } => Remedy::FixDns,
            DomainFinding::ContinueOnFailureOff => Remedy::SetContinueOnFailure,
            DomainFinding::DomainNotFound => Remedy::CheckSid,
            DomainFinding::ApiError { .. } => Remedy::Retry,
        }
    }
}

/// The one validation status Twilio documents for a certificate still being checked.
fn is_pending(status: Option<&str>) -> bool {
    status == Some("pending")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heaviest_finding_makes_the_verdict() {
        use DomainFinding::*;
        assert_eq!(DomainVerdict::of(&[]), DomainVerdict::Ok);
        assert_eq!(
            DomainVerdict::of(&[ManagedRequestPending]),
            DomainVerdict::Ok
        );
        assert_eq!(
            DomainVerdict::of(&[ContinueOnFailureOff]),
            DomainVerdict::Warning
        );
        assert_eq!(
            DomainVerdict::of(&[ContinueOnFailureOff, DomainNotFound]),
            DomainVerdict::Error
        );
        assert_eq!(
            DomainVerdict::of(&[DomainNotFound, CaaBlocksRenewal]),
            DomainVerdict::Critical
        );
    }

    #[test]
    fn a_validation_that_is_not_pending_did_not_pass() {
        let pending = DomainFinding::InValidation {
            status: Some("pending".into()),
        };
        assert_eq!(
            (pending.weight(), pending.twilio_error()),
            (Weight::Info, None)
        );
        let failed = DomainFinding::InValidation {
            status: Some("failed".into()),
        };
        assert_eq!(
            (failed.weight(), failed.twilio_error()),
            (Weight::Warning, Some(30132))
        );
    }

    #[test]
    fn codes_are_the_documented_contract() {
        let codes: Vec<&str> = [
            DomainFinding::CaaBlocksRenewal,
            DomainFinding::CaaUndetermined,
            DomainFinding::NoCertificate,
            DomainFinding::Expired { date_expires: 0 },
            DomainFinding::ExpiresSoon {
                date_expires: 0,
                days_left: 3,
                critical: true,
            },
            DomainFinding::InValidation { status: None },
            DomainFinding::ManagedRequestPending,
            DomainFinding::ServedDiffers {
                served_not_after: 0,
                date_expires: 0,
            },
            DomainFinding::ServedUnreachable {
                reason: String::new(),
            },
            DomainFinding::DnsInvalid { reason: None },
            DomainFinding::ContinueOnFailureOff,
            DomainFinding::DomainNotFound,
            DomainFinding::ApiError {
                call: ApiCall::Config,
                code: "timeout",
                message: String::new(),
            },
        ]
        .iter()
        .map(DomainFinding::code)
        .collect();
        assert_eq!(
            codes,
            [
                "caa-blocks-renewal",
                "caa-undetermined",
                "no-certificate",
                "expired",
                "expires-soon",
                "in-validation",
                "managed-request-pending",
                "served-differs",
                "served-unreachable",
                "dns-invalid",
                "continue-on-failure-off",
                "domain-not-found",
                "api-error"
            ]
        );
    }
}
