//! What Twilio's API returns, as its OpenAPI specs describe it (twilio-oai: messaging v1 and
//! v2, monitor v1 and v2): every field nullable, dates as ISO 8601 in UTC, SIDs as two letters
//! and 32 hexadecimal digits. Only the fields certready reads are typed; the rest is ignored.

use serde::Deserialize;

use super::credentials::is_sid;

/// A Link Shortening domain's SID, as typed: `DN` and 32 hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DomainSid(String);

impl DomainSid {
    pub fn parse(text: &str) -> Result<DomainSid, String> {
        let text = text.trim();
        if is_sid(text, "DN") {
            Ok(DomainSid(text.to_owned()))
        } else {
            Err("not a Link Shortening domain SID (DN and 32 hexadecimal digits)".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DomainSid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `GET /v2/LinkShortening/Domains/{DomainSid}/Certificate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DomainCertificate {
    pub domain_sid: Option<String>,
    pub certificate_sid: Option<String>,
    /// "Full url path for this domain": `https://links.example.com`.
    pub domain_name: Option<String>,
    pub date_expires: Option<String>,
    pub date_updated: Option<String>,
    /// A new certificate being validated (`{date_expires, status: "pending"}`), or null. The
    /// spec gives it no type: kept as it came.
    pub cert_in_validation: Option<serde_json::Value>,
    /// Twilio-managed (Let's Encrypt) rather than uploaded.
    pub managed: Option<bool>,
    /// A managed certificate is being requested.
    pub requesting: Option<bool>,
}

/// `GET /v1/LinkShortening/Domains/{DomainSid}/Config`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DomainConfig {
    pub fallback_url: Option<String>,
    pub callback_url: Option<String>,
    pub continue_on_failure: Option<bool>,
    pub disable_https: Option<bool>,
}

/// `GET /v1/LinkShortening/Domains/{DomainSid}/ValidateDns`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DnsValidation {
    pub is_valid: Option<bool>,
    pub reason: Option<String>,
}

/// `GET /v1/Alerts`: a page of alerts, newest first, and where the next page is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AlertPage {
    #[serde(default)]
    pub alerts: Vec<Alert>,
    pub meta: Option<PageMeta>,
}

/// A page's `meta`: clients follow `next_page_url` (twilio-go `page_util.go`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PageMeta {
    pub next_page_url: Option<String>,
}

/// A Monitor alert, as the list gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Alert {
    pub sid: Option<String>,
    /// A string in the API ("30131").
    pub error_code: Option<String>,
    pub log_level: Option<String>,
    /// Often URL-encoded `key=value` text.
    pub alert_text: Option<String>,
    pub date_created: Option<String>,
    pub resource_sid: Option<String>,
    pub more_info: Option<String>,
}

/// `POST /v2/Alarms`: the alarm created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AlarmCreated {
    pub sid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_sids_are_dn_and_32_hex_digits() {
        assert!(DomainSid::parse("DN0123456789abcdef0123456789ABCDEF").is_ok());
        for bad in [
            "",
            "DN123",
            "MG0123456789abcdef0123456789abcdef",
            "DN0123456789abcdef0123456789abcdeg",
        ] {
            assert!(DomainSid::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_spec_s_certificate_example_reads() {
        let example = r#"{"certificate_sid": "CWaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "domain_name": "https://api.example.com", "domain_sid": "DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "date_expires": "2021-02-06T18:02:04Z", "date_created": "2021-02-06T18:02:04Z", "date_updated": "2021-02-06T18:02:04Z", "url": "https://messaging.twilio.com/v2/LinkShortening/Domains/DNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Certificate", "cert_in_validation": {"date_expires": "2021-02-06T18:02:04Z", "status": "pending"}, "managed": false, "requesting": false}"#;
        let certificate: DomainCertificate = serde_json::from_str(example).unwrap();
        assert_eq!(
            certificate.domain_name.as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(certificate.managed, Some(false));
        assert!(certificate.cert_in_validation.is_some());
        let nulls: DomainCertificate =
            serde_json::from_str(r#"{"date_expires": null, "cert_in_validation": null}"#).unwrap();
        assert_eq!(nulls, DomainCertificate::default());
    }
}
