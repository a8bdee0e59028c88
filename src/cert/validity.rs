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

/// An RFC 3339 date (as Twilio's API writes them: `2021-02-06T18:02:04Z`) in seconds since
/// the Unix epoch; `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::pki::LeafBuilder;
    use crate::cert::test_support::{NOW, at_now, parse_all};

    const DAY: i64 = SECONDS_A_DAY;

    fn leaf(adjust: impl FnOnce(LeafBuilder<'_>) -> LeafBuilder<'_>) -> Certificate {
        let pki = at_now();
        let [leaf] = parse_all([adjust(pki.leaf(&["example.com"])).build().der]);
        leaf
    }

    #[test]
    fn rfc3339_utc_to_the_second() {
        assert_eq!(rfc3339(NOW), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(NOW + 30 * DAY + 12 * 3600), "2026-01-31T12:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn parse_rfc3339_reads_what_rfc3339_writes() {
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-01-01T01:00:00+01:00"), Some(NOW));
        assert_eq!(parse_rfc3339("2026-01-01"), None);
        assert_eq!(parse_rfc3339("soon"), None);
    }

    #[test]
    fn is_not_yet_valid_before_not_before_only() {
        let certificate = leaf(|leaf| leaf.not_yet_valid());
        assert!(is_not_yet_valid(&certificate, NOW));
        assert!(!is_not_yet_valid(&certificate, certificate.not_before));
    }

    #[test]
    fn is_expired_after_not_after_only() {
        let certificate = leaf(|leaf| leaf);
        assert!(!is_expired(&certificate, certificate.not_after));
        assert!(is_expired(&certificate, certificate.not_after + 1));
        assert!(is_expired(&leaf(|leaf| leaf.expired()), NOW));
    }

    #[test]
    fn days_left_rounds_down() {
        let certificate = leaf(|leaf| leaf.expires_in_days(5));
        assert_eq!(days_left(&certificate, NOW), 5);
        assert_eq!(days_left(&certificate, certificate.not_after - 1), 0);
        assert_eq!(days_left(&certificate, certificate.not_after + 1), -1);
    }

    #[test]
    fn leaf_expiry_against_the_thresholds() {
        let thresholds = Thresholds::default();
        assert_eq!(
            leaf_expiry(0, thresholds),
            Some(Finding::LeafExpiresVerySoon { days_left: 0 })
        );
        assert_eq!(
            leaf_expiry(6, thresholds),
            Some(Finding::LeafExpiresVerySoon { days_left: 6 })
        );
        assert_eq!(
            leaf_expiry(7, thresholds),
            Some(Finding::LeafExpiresSoon { days_left: 7 })
        );
        assert_eq!(
            leaf_expiry(29, thresholds),
            Some(Finding::LeafExpiresSoon { days_left: 29 })
        );
        assert_eq!(leaf_expiry(30, thresholds), None);
        let none = Thresholds {
            warn_days: 0,
            crit_days: 0,
        };
        assert_eq!(leaf_expiry(0, none), None);
    }

    #[test]
    fn check_validity_every_certificate_then_the_leaf_thresholds() {
        let expired = leaf(|leaf| leaf.expired());
        let early = leaf(|leaf| leaf.not_yet_valid());
        let (findings, days) = check_validity(
            &[(0, &expired), (1, &early)],
            Some(0),
            Thresholds::default(),
            NOW,
        );
        assert_eq!(
            findings,
            [
                Finding::Expired {
                    certificate: 0,
                    not_after: expired.not_after
                },
                Finding::NotYetValid {
                    certificate: 1,
                    not_before: early.not_before
                }
            ]
        );
        assert_eq!(days, Some(-1));
        let soon = leaf(|leaf| leaf.expires_in_days(20));
        assert_eq!(
            check_validity(&[(0, &soon)], Some(0), Thresholds::default(), NOW),
            (vec![Finding::LeafExpiresSoon { days_left: 20 }], Some(20))
        );
    }
}
