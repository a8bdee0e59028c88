//! Whether the leaf covers the names asked (RFC 6125 §6.4): subject alternative names only,
//! never the subject's common name; wildcards as the whole left-most label, matching one
//! label; IP address literals against iPAddress names only.

use std::net::IpAddr;

use super::certificate::Certificate;
use super::finding::Finding;

/// RFC 6125 §6.4.1 and §6.4.3: a DNS name and a SAN dNSName compare case-insensitively,
/// without a trailing dot; a `*` that is the whole left-most label of the SAN matches
/// exactly one label of the name, never the bare parent, and a partial wildcard (`w*`)
/// matches nothing.
pub(crate) fn dns_name_matches(name: &str, san: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let san = san.trim_end_matches('.').to_ascii_lowercase();
    match san.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        None => !san.contains('*') && name == san,
    }
}

/// RFC 6125 §6.4 (and RFC 5280 §4.2.1.6): an IP address literal matches an iPAddress SAN of
/// the same address, never a dNSName; a DNS name matches a dNSName.
pub(crate) fn name_covered(name: &str, leaf: &Certificate) -> bool {
    match name.parse::<IpAddr>() {
        Ok(address) => leaf.ip_addresses.contains(&address),
        Err(_) => leaf.dns_names.iter().any(|san| dns_name_matches(name, san)),
    }
}

/// RFC 6125 §6.4.4: with no DNS or IP address SAN the certificate covers no name (the CN is
/// not consulted).
pub(crate) fn has_subject_alt_name(leaf: &Certificate) -> bool {
    !leaf.dns_names.is_empty() || !leaf.ip_addresses.is_empty()
}

/// The name rules for the leaf: no SAN at all says so once (every name is then uncovered);
/// otherwise each name the SANs do not cover.
pub(crate) fn check_names(leaf: &Certificate, names: &[String]) -> Vec<Finding> {
    if !has_subject_alt_name(leaf) {
        return vec![Finding::NoSubjectAltName];
    }
    names
        .iter()
        .filter(|name| !name_covered(name, leaf))
        .map(|name| Finding::NameNotCovered { name: name.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::test_support::{at_now, parse_all};

    #[test]
    fn dns_name_matches_exactly_case_insensitively_and_without_trailing_dot() {
        assert!(dns_name_matches("www.example.com", "www.example.com"));
        assert!(dns_name_matches("WWW.Example.com.", "www.example.COM"));
        assert!(!dns_name_matches("example.com", "www.example.com"));
        assert!(!dns_name_matches("www.example.com", "example.com"));
    }

    #[test]
    fn dns_name_matches_a_wildcard_for_one_label_only() {
        assert!(dns_name_matches("www.example.com", "*.example.com"));
        assert!(dns_name_matches("MAIL.example.com", "*.EXAMPLE.com"));
        assert!(!dns_name_matches("example.com", "*.example.com"));
        assert!(!dns_name_matches("a.b.example.com", "*.example.com"));
        assert!(!dns_name_matches(".example.com", "*.example.com"));
    }

    #[test]
    fn dns_name_matches_no_partial_or_inner_wildcards() {
        assert!(!dns_name_matches("www.example.com", "w*.example.com"));
        assert!(!dns_name_matches("www.example.com", "www.*.com"));
        assert!(!dns_name_matches("*.example.com", "www.example.com"));
    }

    fn leaf(names: &[&str]) -> Certificate {
        let [leaf] = parse_all([at_now().leaf(names).build().der]);
        leaf
    }

    #[test]
    fn name_covered_dns_names_by_dns_sans_and_ip_literals_by_ip_sans() {
        let certificate = leaf(&["example.com", "*.example.com", "192.0.2.1", "2001:db8::1"]);
        assert!(name_covered("example.com", &certificate));
        assert!(name_covered("www.example.com", &certificate));
        assert!(name_covered("192.0.2.1", &certificate));
        assert!(name_covered("2001:db8:0::1", &certificate));
        assert!(!name_covered("192.0.2.2", &certificate));
        assert!(!name_covered("a.b.example.com", &certificate));
        let dns_only = leaf(&["192.0.2.1.example.com"]);
        assert!(!name_covered("192.0.2.1", &dns_only));
    }

    #[test]
    fn has_subject_alt_name_never_reads_the_common_name() {
        assert!(has_subject_alt_name(&leaf(&["example.com"])));
        let mut no_san = leaf(&["example.com"]);
        no_san.dns_names.clear();
        assert_eq!(no_san.subject.common_name.as_deref(), Some("example.com"));
        assert!(!has_subject_alt_name(&no_san));
        let names = ["example.com".to_owned()];
        assert_eq!(check_names(&no_san, &names), [Finding::NoSubjectAltName]);
    }

    #[test]
    fn check_names_each_name_not_covered() {
        let names = ["example.com", "www.example.com", "other.org"].map(String::from);
        assert_eq!(
            check_names(&leaf(&["*.example.com"]), &names),
            [
                Finding::NameNotCovered {
                    name: "example.com".into()
                },
                Finding::NameNotCovered {
                    name: "other.org".into()
                }
            ]
        );
    }
}
