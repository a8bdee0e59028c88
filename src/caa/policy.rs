//! The CA's own name policy: names Let's Encrypt refuses whatever their CAA records say, as
//! Boulder's `policy.ValidDomain` (called by `WellFormedIdentifiers`, `policy/pa.go`) refuses
//! them. The Baseline Requirements forbid certificates for public suffixes, judged on the ICANN
//! section of the Public Suffix List only (BR §3.2.2.6), and define a valid P-Label (§1.6.1).
//!
//! Each rule is a small pure function named after what it checks; `refusal` applies them. They judge names that `name::CheckName::parse` accepted (lowercase ASCII,
//! labels of 1 to 63 letters, digits and inner hyphens), so what is left is the CA's policy.
//! `--no-name-policy` skips them, for private test zones (`.test`, made-up TLDs).

use std::fmt;

use crate::name::CheckName;

/// Boulder's `maxDNSIdentifierLength`: the longest name it accepts, `*.` included here, since
/// the certificate carries the whole name.
const MAX_NAME_OCTETS: usize = 253;
/// Boulder's `maxLabels`.
const MAX_LABELS: usize = 10;
/// The CA whose own limits (beyond the Baseline Requirements) these are.
const LETS_ENCRYPT: &str = "letsencrypt.org";

/// Why the CA refuses a name outright. Each has a stable code (JSON `refusal.code`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Over 253 octets, counting a wildcard's `*.`.
    NameTooLong { octets: usize },
    /// More than 10 labels.
    TooManyLabels { labels: usize },
    /// A label with `--` in its third and fourth places that is not an `xn--` label (RFC 5890
    /// §2.3.1, R-LDH).
    ReservedLabel { label: String },
    /// An `xn--` label that is not a valid P-Label.
    BadPunycode {
        label: String,
        problem: PunycodeProblem,
    },
    /// The name is not under any suffix of the ICANN section of the Public Suffix List.
    NoPublicSuffix,
    /// The name is itself an ICANN public suffix (`com`, `co.uk`).
    PublicSuffix,
    /// A wildcard directly under an ICANN public suffix (`*.co.uk`).
    WildcardOfPublicSuffix { suffix: String },
}

/// How an `xn--` label fails to be a P-Label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PunycodeProblem {
    /// RFC 3492 decoding fails.
    DoesNotDecode,
    /// It decodes to plain ASCII (or nothing), which needs no punycode.
    DecodesToAscii,
    /// The decoded text is not in Unicode normalisation form C.
    NotNfc,
    /// Encoding the decoded text again gives another label.
    DoesNotRoundTrip,
}

impl Refusal {
    /// The stable code scripts match on.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NameTooLong { .. } => "name-too-long",
            Refusal::TooManyLabels { .. } => "too-many-labels",
            Refusal::ReservedLabel { .. } => "reserved-label",
            Refusal::BadPunycode { .. } => "bad-punycode",
            Refusal::NoPublicSuffix => "no-public-suffix",
            Refusal::PublicSuffix => "public-suffix",
            Refusal::WildcardOfPublicSuffix { .. } => "wildcard-of-public-suffix",
        }
    }

    /// What Let's Encrypt answers the order with (Boulder's error detail).
    pub fn ca_error(&self) -> &'static str {
        match self {
            Refusal::NameTooLong { .. } => "Domain name is longer than 253 bytes",
            Refusal::TooManyLabels { .. } => "Domain name has more than 10 labels (parts)",
            Refusal::ReservedLabel { .. } => {
                "Domain name contains an invalid label in a reserved format (R-LDH: '??--')"
            }
            Refusal::BadPunycode { .. } => "Domain name contains malformed punycode",
            Refusal::NoPublicSuffix => "Domain name does not end with a valid public suffix (TLD)",
            Refusal::PublicSuffix => "Domain name is an ICANN TLD",
            Refusal::WildcardOfPublicSuffix { .. } => "Domain name is a wildcard for an ICANN TLD",
        }
    }
}

impl fmt::Display for Refusal {
    /// Why, in words, without the name (the report names it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NameTooLong { octets } => write!(
                f,
                "the name is {octets} octets long with its \"*.\"; a certificate name holds at most {MAX_NAME_OCTETS}"
            ),
            Refusal::TooManyLabels { labels } => write!(
                f,
                "the name has {labels} labels; Let's Encrypt accepts at most {MAX_LABELS}"
            ),
            Refusal::ReservedLabel { label } => write!(
                f,
                "label {label:?} has \"--\" in its third and fourth places, a form reserved for xn-- (punycode) labels"
            ),
            Refusal::BadPunycode { label, problem } => {
                let why = match problem {
                    PunycodeProblem::DoesNotDecode => "is not valid punycode",
                    PunycodeProblem::DecodesToAscii => {
                        "decodes to plain ASCII, which needs no punycode"
                    }
                    PunycodeProblem::NotNfc => "decodes to text not in Unicode normal form C",
                    PunycodeProblem::DoesNotRoundTrip => {
                        "does not encode back to itself (not the canonical punycode of its text)"
                    }
                };
                write!(f, "label {label:?} {why}")
            }
            Refusal::NoPublicSuffix => f.write_str(
                "it is not under a public suffix of the ICANN section of the Public Suffix List (a private or made-up TLD, or a bare host name)",
            ),
            Refusal::PublicSuffix => f.write_str(
                "it is itself a public suffix (ICANN section of the Public Suffix List), where anyone may register names",
            ),
            Refusal::WildcardOfPublicSuffix { suffix } => write!(
                f,
                "a wildcard directly under the public suffix {suffix} would cover every name registered there"
            ),
        }
    }
}

/// The first reason the CA refuses `name`, if any: Boulder's `ValidDomain` checks, with the
/// length first (a wildcard's `*.` counted: the certificate carries the whole name, and a
/// 254-octet name is no DNS name). Boulder checks a wildcard's public suffix before the rest;
/// only which reason is named first differs. The 10-label limit is Let's Encrypt's own and
/// applies only when `ca` is `letsencrypt.org`; the rest is the Baseline Requirements' and any
/// CA's.
pub fn refusal(name: &CheckName, ca: &str) -> Option<Refusal> {
    name_too_long(name)
        .or_else(|| too_many_labels(&name.base).filter(|_| ca == LETS_ENCRYPT))
        .or_else(|| name.base.split('.').find_map(label_refusal))
        .or_else(|| public_suffix_refusal(name))
}

/// `maxDNSIdentifierLength`: at most 253 octets, a wildcard's `*.` included.
fn name_too_long(name: &CheckName) -> Option<Refusal> {
    let octets = name.base.len() + if name.wildcard { 2 } else { 0 };
    (octets > MAX_NAME_OCTETS).then_some(Refusal::NameTooLong { octets })
}

/// `maxLabels`: at most 10 labels.
fn too_many_labels(base: &str) -> Option<Refusal> {
    let labels = base.split('.').count();
    (labels > MAX_LABELS).then_some(Refusal::TooManyLabels { labels })
}

/// RFC 5890 §2.3.1: a label with `--` in its third and fourth places is reserved (R-LDH); the
/// only ones in use are `xn--` labels, which must be valid P-Labels (BR §1.6.1).
fn label_refusal(label: &str) -> Option<Refusal> {
    if label.get(2..4) != Some("--") {
        return None;
    }
    let Some(encoded) = label.strip_prefix("xn--") else {
        return Some(Refusal::ReservedLabel {
            label: label.to_owned(),
        });
    };
    punycode_problem(encoded).map(|problem| Refusal::BadPunycode {
        label: label.to_owned(),
        problem,
    })
}

/// BR §1.6.1 P-Label: the part after `xn--` is valid output of the Punycode algorithm (RFC
/// 3492): it decodes, to non-ASCII text in normal form C (Boulder's checks), and encodes back
/// to itself.
fn punycode_problem(encoded: &str) -> Option<PunycodeProblem> {
    let Some(decoded) = idna::punycode::decode_to_string(encoded) else {
        return Some(PunycodeProblem::DoesNotDecode);
    };
    if decoded.is_ascii() {
        return Some(PunycodeProblem::DecodesToAscii);
    }
    if !icu_normalizer::ComposingNormalizerBorrowed::new_nfc().is_normalized(&decoded) {
        return Some(PunycodeProblem::NotNfc);
    }
    match idna::punycode::encode_str(&decoded) {
        Some(again) if again.eq_ignore_ascii_case(encoded) => None,
        _ => Some(PunycodeProblem::DoesNotRoundTrip),
    }
}

/// BR §3.2.2.6 and Boulder's `iana.ExtractSuffix`: the name must end in an ICANN public suffix
/// and must not be one; nor may a wildcard stand directly under one (no `*.com`, no
/// `*.co.uk`).
fn public_suffix_refusal(name: &CheckName) -> Option<Refusal> {
    match icann_suffix(&name.base) {
        None => Some(Refusal::NoPublicSuffix),
        Some(suffix) if suffix == name.base && name.wildcard => {
            Some(Refusal::WildcardOfPublicSuffix {
                suffix: suffix.to_owned(),
            })
        }
        Some(suffix) if suffix == name.base => Some(Refusal::PublicSuffix),
        Some(_) => None,
    }
}

/// The public suffix of `name` by the ICANN section of the Public Suffix List alone, or none
/// when no ICANN rule matches. The list's private section sits below ICANN suffixes, so when
/// the longest match is private (`blogspot.com`), the ICANN suffix is that of its parent.
fn icann_suffix(name: &str) -> Option<&str> {
    let mut rest = name;
    loop {
        let suffix = psl::suffix(rest.as_bytes())?;
        let start = rest.len().checked_sub(suffix.as_bytes().len())?;
        let matched = rest.get(start..)?;
        match suffix.typ()? {
            psl::Type::Icann => return Some(matched),
            psl::Type::Private => rest = matched.split_once('.')?.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(input: &str) -> Option<&'static str> {
        let name = CheckName::parse(input).unwrap();
        refusal(&name, LETS_ENCRYPT).map(|refusal| refusal.code())
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "example.com",
            "www.example.co.uk",
            "*.example.com",
            "*.example.co.uk",
            "xn--bcher-kva.example.com",
            "bücher.de",
            "foo.blogspot.com",
            "ab-cd.example.com",
        ] {
            assert_eq!(refused(name), None, "{name}");
        }
    }

    #[test]
    fn public_suffixes_and_wildcards_directly_under_one_are_refused() {
        assert_eq!(refused("com"), Some("public-suffix"));
        assert_eq!(refused("co.uk"), Some("public-suffix"));
        assert_eq!(refused("*.com"), Some("wildcard-of-public-suffix"));
        assert_eq!(refused("*.co.uk"), Some("wildcard-of-public-suffix"));
    }

    #[test]
    fn the_private_section_does_not_count() {
        // blogspot.com is a private suffix: for the CA it is an ordinary name under com.
        assert_eq!(icann_suffix("foo.blogspot.com"), Some("com"));
        assert_eq!(refused("blogspot.com"), None);
        assert_eq!(refused("*.blogspot.com"), None);
        assert_eq!(icann_suffix("www.example.co.uk"), Some("co.uk"));
    }

    #[test]
    fn names_not_under_an_icann_suffix_are_refused() {
        for name in [
            "localhost",
            "example.test",
            "*.example.test",
            "host.corp",
            "a.b.internal",
        ] {
            assert_eq!(refused(name), Some("no-public-suffix"), "{name}");
        }
    }

    #[test]
    fn reserved_labels_are_refused_except_valid_xn_labels() {
        assert_eq!(refused("ab--cd.example.com"), Some("reserved-label"));
        assert_eq!(refused("www.xy--z.example.com"), Some("reserved-label"));
        assert_eq!(refused("a--b.example.com"), None);
        assert_eq!(refused("xn--zz.example.com"), Some("bad-punycode"));
    }

    #[test]
    fn punycode_must_decode_to_normalised_text_and_encode_back() {
        assert_eq!(punycode_problem("bcher-kva"), None);
        assert_eq!(
            punycode_problem("abc-"),
            Some(PunycodeProblem::DecodesToAscii)
        );
        assert_eq!(
            punycode_problem("999999999"),
            Some(PunycodeProblem::DoesNotDecode)
        );
        // "e" followed by a combining acute accent (U+0301): not NFC ("é" is U+00E9).
        let decomposed = idna::punycode::encode_str("e\u{301}x").unwrap();
        assert_eq!(punycode_problem(&decomposed), Some(PunycodeProblem::NotNfc));
    }

    #[test]
    fn names_over_253_octets_count_the_wildcard_and_over_10_labels_are_refused() {
        let base = format!("{0}.{0}.{0}.{1}.com", "a".repeat(63), "b".repeat(56));
        assert_eq!(base.len(), 252);
        assert_eq!(refused(&base), None);
        assert_eq!(refused(&format!("*.{base}")), Some("name-too-long"));
        assert_eq!(
            refused("a.b.c.d.e.f.g.h.i.example.com"),
            Some("too-many-labels")
        );
        assert_eq!(refused("a.b.c.d.e.f.g.h.example.com"), None);
        // The 10-label limit is Let's Encrypt's own; the rest holds for any CA.
        let eleven = CheckName::parse("a.b.c.d.e.f.g.h.i.example.com").unwrap();
        assert_eq!(refusal(&eleven, "digicert.com"), None);
        let suffix = CheckName::parse("co.uk").unwrap();
        assert_eq!(
            refusal(&suffix, "digicert.com"),
            Some(Refusal::PublicSuffix)
        );
    }
}
