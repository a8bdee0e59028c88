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
}
