//! The name a certificate is requested for: turning what the user typed into the ASCII name the
//! CA checks (rulebook §1, rules 1 to 3), and refusing, with a precise reason, anything that is
//! not a certificate name, before any DNS is asked.

use std::fmt;
use std::net::IpAddr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::caa::relevant::names_to_query;

/// A validated certificate name: its base name (ASCII, lowercase, no trailing dot) and whether
/// a wildcard certificate was asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CheckName {
    /// The name the climb starts from (`a.example.com` for `*.a.example.com`).
    pub base: String,
    pub wildcard: bool,
}

/// Why an input is not a name we can check.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("CAA does not apply to IP addresses: a CA checks no CAA records for an IP certificate")]
    IpAddress,
    #[error("the name is empty")]
    Empty,
    #[error("the name has an empty label (a leading dot or two dots in a row)")]
    EmptyLabel,
    #[error("'*' is allowed only as the whole leftmost label, as in *.example.com")]
    MisplacedWildcard,
    #[error("{0:?} is not allowed in a certificate name (letters, digits, hyphens and dots only)")]
    BadCharacter(char),
    #[error("label {0:?} starts or ends with a hyphen, which a host name may not")]
    HyphenAtLabelEdge(String),
    #[error("label {label:?} is {octets} octets long; a label holds at most 63")]
    LabelTooLong { label: String, octets: usize },
    #[error("the name is {0} octets long; a name holds at most 253")]
    TooLong(usize),
    #[error("not a valid internationalised name (UTS #46 could not map it to ASCII)")]
    Idna,
}

impl CheckName {
    /// Rules 1 to 3: lowercase, drop trailing dots, strip a leading `*.` as a wildcard mark,
    /// map Unicode to punycode (UTS #46), refuse IP addresses; then check the result is a host
    /// name (labels of 1 to 63 octets without a hyphen at either end, at most 253 in all).
    pub fn parse(input: &str) -> Result<CheckName, NameError> {
        refuse_ip_address(input)?;
        let (wildcard, rest) = match input.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        let rest = rest.trim_end_matches('.');
        if rest.contains('*') {
            return Err(NameError::MisplacedWildcard);
        }
        let ascii = to_ascii(rest)?;
        let base = ascii.trim_end_matches('.');
        refuse_ip_address(base)?;
        check_labels(base)?;
        Ok(CheckName {
            base: base.to_owned(),
            wildcard,
        })
    }

    /// A domain name that is not a wildcard (a record's owner, a CA's identifying domain),
    /// normalised as a certificate name is: lowercase ASCII, no trailing dot.
    pub fn plain_domain(input: &str) -> Option<String> {
        CheckName::parse(input)
            .ok()
            .filter(|name| !name.wildcard)
            .map(|name| name.base)
    }

    /// Rule 4: the names to query, from the base name up to its TLD.
    pub fn climb(&self) -> Vec<String> {
        names_to_query(&self.base)
    }
}

impl fmt::Display for CheckName {
    /// The name as checked: ASCII, lowercase, `*.` kept for a wildcard.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.base)
    }
}

/// Rule 3: IP addresses (with or without brackets or a trailing dot) get no CAA check.
fn refuse_ip_address(text: &str) -> Result<(), NameError> {
    let bare = text.trim_end_matches('.');
    let bare = bare
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(bare);
    match bare.parse::<IpAddr>() {
        Ok(_) => Err(NameError::IpAddress),
        Err(_) => Ok(()),
    }
}

/// Rules 1 and 2: ASCII input is lowercased after a character check that names the offender;
/// anything else goes through UTS #46 with the STD3 rules (letters, digits, hyphens).
fn to_ascii(name: &str) -> Result<String, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.is_ascii() {
        if let Some(bad) = name
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        {
            return Err(NameError::BadCharacter(bad));
        }
        return Ok(name.to_ascii_lowercase());
    }
    Uts46::new()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map(|ascii| ascii.into_owned())
        .map_err(|_| NameError::Idna)
}

/// A host name (RFC 1123 §2.1), as a CA requires of a certificate name: labels of 1 to 63
/// octets that neither start nor end with a hyphen, at most 253 octets in all.
fn check_labels(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(NameError::HyphenAtLabelEdge(label.to_owned()));
        }
        if label.len() > 63 {
            return Err(NameError::LabelTooLong {
                label: label.to_owned(),
                octets: label.len(),
            });
        }
    }
    if name.len() > 253 {
        return Err(NameError::TooLong(name.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> (String, bool) {
        let name = CheckName::parse(input).unwrap();
        (name.base, name.wildcard)
    }

    #[test]
    fn rule_1_lowercase_and_drop_trailing_dots() {
        assert_eq!(
            parsed("WWW.Example.COM."),
            ("www.example.com".into(), false)
        );
        assert_eq!(parsed("example.com.."), ("example.com".into(), false));
    }

    #[test]
    fn rule_1_a_leading_star_dot_marks_a_wildcard() {
        assert_eq!(parsed("*.A.example.com"), ("a.example.com".into(), true));
        assert_eq!(
            CheckName::parse("*.a.example.com.").unwrap().to_string(),
            "*.a.example.com"
        );
        assert_eq!(
            CheckName::parse("*.a.example.com").unwrap().climb(),
            vec!["a.example.com", "example.com", "com"]
        );
    }

    #[test]
    fn rule_2_unicode_names_are_checked_in_punycode() {
        assert_eq!(
            parsed("Bücher.example"),
            ("xn--bcher-kva.example".into(), false)
        );
        assert_eq!(parsed("*.münchen.de"), ("xn--mnchen-3ya.de".into(), true));
        // UTS #46 maps the ideographic full stop to a dot.
        assert_eq!(
            parsed("bücher。example"),
            ("xn--bcher-kva.example".into(), false)
        );
    }

    #[test]
    fn rule_3_ip_addresses_get_no_caa_check() {
        for ip in [
            "192.0.2.1",
            "192.0.2.1.",
            "2001:db8::1",
            "[2001:db8::1]",
            "::1",
        ] {
            assert_eq!(CheckName::parse(ip), Err(NameError::IpAddress), "{ip}");
        }
    }

    #[test]
    fn misplaced_wildcards_are_refused() {
        for input in ["a.*.example.com", "*a.example.com", "**.example.com", "*"] {
            assert_eq!(
                CheckName::parse(input),
                Err(NameError::MisplacedWildcard),
                "{input}"
            );
        }
    }

    #[test]
    fn empty_names_and_labels_are_refused() {
        assert_eq!(CheckName::parse(""), Err(NameError::Empty));
        assert_eq!(CheckName::parse("."), Err(NameError::Empty));
        assert_eq!(CheckName::parse("*."), Err(NameError::Empty));
        assert_eq!(
            CheckName::parse("a..example.com"),
            Err(NameError::EmptyLabel)
        );
        assert_eq!(CheckName::parse(".example.com"), Err(NameError::EmptyLabel));
    }

    #[test]
    fn characters_outside_letters_digits_and_hyphens_are_named() {
        assert_eq!(
            CheckName::parse("exa mple.com"),
            Err(NameError::BadCharacter(' '))
        );
        assert_eq!(
            CheckName::parse("foo_bar.example.com"),
            Err(NameError::BadCharacter('_'))
        );
        assert_eq!(
            CheckName::parse("a\u{1b}[31m.com"),
            Err(NameError::BadCharacter('\u{1b}'))
        );
        assert_eq!(
            CheckName::parse("a\u{0}.com"),
            Err(NameError::BadCharacter('\0'))
        );
    }

    #[test]
    fn labels_may_not_start_or_end_with_a_hyphen() {
        for (input, label) in [("-x", "-x"), ("a-.example.com", "a-"), ("*.-b.c", "-b")] {
            assert_eq!(
                CheckName::parse(input),
                Err(NameError::HyphenAtLabelEdge(label.into())),
                "{input}"
            );
        }
        assert!(CheckName::parse("a-b.xn--bcher-kva.example").is_ok());
    }

    #[test]
    fn label_and_name_lengths_are_limited() {
        let label63 = "a".repeat(63);
        assert!(CheckName::parse(&format!("{label63}.com")).is_ok());
        let label64 = "a".repeat(64);
        assert_eq!(
            CheckName::parse(&format!("{label64}.com")),
            Err(NameError::LabelTooLong {
                label: label64,
                octets: 64
            })
        );
        let name253 = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
        assert_eq!(name253.len(), 253);
        assert!(CheckName::parse(&name253).is_ok());
        assert_eq!(
            CheckName::parse(&format!("c.{name253}")),
            Err(NameError::TooLong(255))
        );
    }

    #[test]
    fn invalid_unicode_names_are_refused() {
        // STD3: an underscore is refused in Unicode names too.
        assert_eq!(CheckName::parse("bü_cher.example"), Err(NameError::Idna));
    }
}
