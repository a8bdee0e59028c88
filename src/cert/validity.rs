//! Validity periods (RFC 5280 §4.1.2.5): not yet valid, expired, and how many days the leaf
//! has left against the warning and critical thresholds.

use super::certificate::Certificate;
use super::finding::Finding;

const SECONDS_A_DAY: i64 = 86_400;
/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range RFC 3339 writes.
const YEAR_0: i64 = -62_167_219_200;
const END_OF_YEAR_9999: i64 = 253_402_300_799;

/// When the leaf's remaining days start to warn, and to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub warn_days: u32,
    pub crit_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warn_days: 30,
            crit_days: 7,
        }
    }
}

/// RFC 3339 in UTC, to the second: "2026-01-31T12:00:00Z". Instants outside years 0 to 9999
/// are clamped to them.
pub fn rfc3339(unix: i64) -> String {
    let clamped = unix.clamp(YEAR_0, END_OF_YEAR_9999);
    let instant = time::OffsetDateTime::from_unix_timestamp(clamped)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        instant.year(),
        u8::from(instant.month()),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second()
    )
}

/// RFC 5280 §4.1.2.5: a certificate is not valid before its notBefore.
pub(crate) fn is_not_yet_valid(certificate: &Certificate, now: i64) -> bool {
    now < certificate.not_before
}

/// RFC 5280 §4.1.2.5: the validity period includes notAfter; after it, expired.
pub(crate) fn is_expired(certificate: &Certificate, now: i64) -> bool {
    now > certificate.not_after
}

/// Whole days from now to the certificate's notAfter, rounded down (negative once expired).
pub(crate) fn days_left(certificate: &Certificate, now: i64) -> i64 {
    (certificate.not_after - now).div_euclid(SECONDS_A_DAY)
}

/// The threshold rule for a leaf that has not expired: fewer days left than `crit_days` fails,
/// fewer than `warn_days` warns.
pub(crate) fn leaf_expiry(days_left: i64, thresholds: Thresholds) -> Option<Finding> {
    if days_left < i64::from(thresholds.crit_days) {
        Some(Finding::LeafExpiresVerySoon { days_left })
    } else if days_left < i64::from(thresholds.warn_days) {
        Some(Finding::LeafExpiresSoon { days_left })
    } else {
        None
    }
}

/// RFC 5280 §4.1.2.5 over the certificates given (index, certificate), then the leaf's
/// thresholds: the findings and the leaf's days left.
pub(crate) fn check_validity(
    certificates: &[(usize, &Certificate)],
    leaf: Option<usize>,
    thresholds: Thresholds,
    now: i64,
) -> (Vec<Finding>, Option<i64>) {
    let mut findings = Vec::new();
    for &(index, certificate) in certificates {
        if is_not_yet_valid(certificate, now) {
            findings.push(Finding::NotYetValid {
                certificate: index,
                not_before: certificate.not_before,
            });
        }
        if is_expired(certificate, now) {
            findings.push(Finding::Expired {
                certificate: index,
                not_after: certificate.not_after,
            });
        }
    }
    let leaf = leaf.and_then(|leaf| certificates.iter().find(|(index, _)| *index == leaf));
    let days = leaf.map(|(_, certificate)| days_left(certificate, now));
    if let Some((_, certificate)) = leaf
        && !is_expired(certificate, now)
    {
        findings.extend(leaf_expiry(days_left(certificate, now), thresholds));
    }
    (findings, days)
}
