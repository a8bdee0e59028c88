//! What validation concluded about a lookup (RFC 4033 §5, RFC 4035 §4.3): secure, insecure,
//! bogus or indeterminate, and for bogus the reason a person can act on, with a stable code.

use std::fmt;

/// The security state of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Security {
    /// A chain of signed DNSKEY and DS records leads from a trust anchor to the answer.
    Secure,
    /// A chain of trust proves that the answer's zone is not signed (no DS at its parent).
    Insecure,
    /// Signed data that does not validate: the CA fails the lookup.
    Bogus(Bogus),
    /// Nothing could be proven either way (no trust anchor for it, or what was needed could
    /// not be fetched).
    Indeterminate,
}

impl Security {
    /// The stable name for reports and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Security::Secure => "secure",
            Security::Insecure => "insecure",
            Security::Bogus(_) => "bogus",
            Security::Indeterminate => "indeterminate",
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Security::Bogus(_) => 0,
            Security::Indeterminate => 1,
            Security::Insecure => 2,
            Security::Secure => 3,
        }
    }

    /// The weaker of two: an alias chain is as secure as its weakest link, so a signed CNAME
    /// into an unsigned zone is insecure (RFC 4035 §5; issue 11). The first of equals stays.
    pub fn weakest(self, other: Security) -> Security {
        if other.rank() < self.rank() {
            other
        } else {
            self
        }
    }
}

/// Why signed data does not validate: in which zone, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bogus {
    /// The zone whose signatures or keys are broken, with its trailing dot.
    pub zone: String,
    pub kind: BogusKind,
}

/// What is wrong, each a rule of RFC 4035 §5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BogusKind {
    /// §5.3.1: every signature over the RRset has expired (Unix time of the latest).
    SignatureExpired { rrset: String, expired: u32 },
    /// §5.3.1: no signature over the RRset is valid yet (Unix time of the earliest).
    SignatureNotYetValid { rrset: String, valid_from: u32 },
    /// §5.3.1: the RRset of a signed zone has no signature at all.
    SignatureMissing { rrset: String },
    /// §5.3.1: no signature was made by a key the zone publishes (their key tags).
    NoMatchingKey { rrset: String, key_tags: Vec<u16> },
    /// §5.3.3: a signature made by a zone key does not verify.
    BadSignature { rrset: String },
    /// §5.2: the parent's DS records match none of the zone's DNSKEYs (their key tags).
    NoKeyForDs { ds_key_tags: Vec<u16> },
    /// §5.4: the NSEC or NSEC3 records do not prove the name or type absent.
    BrokenDenial { rrset: String },
}

impl BogusKind {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            BogusKind::SignatureExpired { .. } => "signature-expired",
            BogusKind::SignatureNotYetValid { .. } => "signature-not-yet-valid",
            BogusKind::SignatureMissing { .. } => "signature-missing",
            BogusKind::NoMatchingKey { .. } => "no-matching-key",
            BogusKind::BadSignature { .. } => "bad-signature",
            BogusKind::NoKeyForDs { .. } => "no-key-for-ds",
            BogusKind::BrokenDenial { .. } => "broken-denial",
        }
    }
}

/// `example.com.: the signature over www.example.com. CAA expired at 2026-12-01 00:00:00 UTC`.
impl fmt::Display for Bogus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zone = &self.zone;
        match &self.kind {
            BogusKind::SignatureExpired { rrset, expired } => write!(
                f,
                "{zone}: every signature over {rrset} expired, the latest at {}",
                utc(*expired)
            ),
            BogusKind::SignatureNotYetValid { rrset, valid_from } => write!(
                f,
                "{zone}: no signature over {rrset} is valid yet, the earliest from {}",
                utc(*valid_from)
            ),
            BogusKind::SignatureMissing { rrset } => {
                write!(
                    f,
                    "{zone}: {rrset} has no signature (RRSIG), though the zone is signed"
                )
            }
            BogusKind::NoMatchingKey { rrset, key_tags } => write!(
                f,
                "{zone}: {rrset} is signed by key tag {}, which is none of the zone's DNSKEYs",
                tags(key_tags)
            ),
            BogusKind::BadSignature { rrset } => {
                write!(f, "{zone}: the signature over {rrset} does not verify")
            }
            BogusKind::NoKeyForDs { ds_key_tags } => write!(
                f,
                "{zone}: the DS at the parent (key tag {}) matches none of the zone's DNSKEYs",
                tags(ds_key_tags)
            ),
            BogusKind::BrokenDenial { rrset } => write!(
                f,
                "{zone}: the NSEC/NSEC3 records do not prove that {rrset} does not exist"
            ),
        }
    }
}

fn tags(key_tags: &[u16]) -> String {
    key_tags
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn utc(unix: u32) -> String {
    crate::cert::rfc3339(i64::from(unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bogus() -> Security {
        Security::Bogus(Bogus {
            zone: "example.test.".into(),
            kind: BogusKind::BadSignature {
                rrset: "www.example.test. CAA".into(),
            },
        })
    }

    #[test]
    fn an_alias_chain_is_as_secure_as_its_weakest_link() {
        assert_eq!(
            Security::Secure.weakest(Security::Insecure),
            Security::Insecure
        );
        assert_eq!(
            Security::Insecure.weakest(Security::Secure),
            Security::Insecure
        );
        assert_eq!(Security::Secure.weakest(bogus()), bogus());
        assert_eq!(
            Security::Indeterminate.weakest(Security::Insecure),
            Security::Indeterminate
        );
    }

    #[test]
    fn a_bogus_reason_names_the_zone_the_rrset_and_the_dates() {
        let expired = Bogus {
            zone: "example.test.".into(),
            kind: BogusKind::SignatureExpired {
                rrset: "www.example.test. CAA".into(),
                expired: 1_764_547_200,
            },
        };
        assert_eq!(
            expired.to_string(),
            "example.test.: every signature over www.example.test. CAA expired, the latest at 2025-12-01T00:00:00Z"
        );
        assert_eq!(expired.kind.code(), "signature-expired");
    }
}
