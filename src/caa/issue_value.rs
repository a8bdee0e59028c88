//! Reading an `issue` / `issuewild` value: rulebook §7, rules 22 to 25 (RFC 8659 §4.2, §4.3),
//! as Let's Encrypt reads it, which is stricter than the RFC's grammar in places.
//!
//! This is our own code on purpose: hickory's `value_as_issue()` departs from RFC 8659 both
//! ways (it accepts `ca_1.example` and hyphenated parameter tags differently, and rejects
//! values with surrounding blanks), and the verdict must be the CA's, not a library's.

use std::fmt;

use crate::escape::quoted;

/// An issue value split into its issuer domain and parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueValue<'a> {
    /// The issuer domain exactly as written, trimmed of spaces and tabs; may be empty, may be
    /// any bytes (it is compared, never parsed).
    pub issuer: &'a [u8],
    pub parameters: Vec<Parameter<'a>>,
}

/// One `tag=value` parameter. Both are printable ASCII by construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter<'a> {
    pub tag: &'a str,
    pub value: &'a str,
}

/// Why a value is malformed (rule 24), with the offending bytes as served (trimmed). They come
/// from DNS: `Display` escapes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A part after a `;` is not `tag=value` (this includes an empty part, as in `;;`).
    NotTagValue(Vec<u8>),
    /// A parameter tag holds something other than ASCII letters and digits.
    BadTag(Vec<u8>),
    /// A parameter value holds a space, a control character or a non-ASCII byte.
    BadValue { tag: Vec<u8>, value: Vec<u8> },
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::NotTagValue(part) => {
                write!(f, "parameter {} is not tag=value", quoted(part))
            }
            Malformed::BadTag(tag) => write!(
                f,
                "parameter tag {} may hold only ASCII letters and digits",
                quoted(tag)
            ),
            Malformed::BadValue { tag, value } => write!(
                f,
                "value {} of parameter {} may hold only printable ASCII without spaces",
                quoted(value),
                quoted(tag)
            ),
        }
    }
}

/// Rules 22 to 24: split the value on `;`; the first part, trimmed of spaces and tabs, is the
/// issuer domain; every further part must be `tag=value`, split at the first `=`, both sides
/// trimmed. A lone trailing `;` (only blanks after it) is fine; any other empty part is not.
///
/// Like Let's Encrypt, an empty parameter tag (`; =x`) is accepted: the rulebook's "letters and
/// digits only" forbids other characters, and Boulder checks nothing more.
pub fn parse_issue_value(value: &[u8]) -> Result<IssueValue<'_>, Malformed> {
    let mut parts = value.split(|&byte| byte == b';');
    let issuer = trim_blanks(parts.next().unwrap_or_default());
    let rest: Vec<&[u8]> = parts.collect();
    if let [only] = rest.as_slice()
        && trim_blanks(only).is_empty()
    {
        return Ok(IssueValue {
            issuer,
            parameters: Vec::new(),
        });
    }
    let parameters = rest
        .into_iter()
        .map(parse_parameter)
        .collect::<Result<_, _>>()?;
    Ok(IssueValue { issuer, parameters })
}

/// Rule 23: one `tag=value` part.
fn parse_parameter(part: &[u8]) -> Result<Parameter<'_>, Malformed> {
    let Some(equals) = part.iter().position(|&byte| byte == b'=') else {
        return Err(Malformed::NotTagValue(trim_blanks(part).to_vec()));
    };
    let tag = trim_blanks(&part[..equals]);
    let value = trim_blanks(&part[equals + 1..]);
    if !tag.iter().all(u8::is_ascii_alphanumeric) {
        return Err(Malformed::BadTag(tag.to_vec()));
    }
    if !is_parameter_value(value) {
        return Err(Malformed::BadValue {
            tag: tag.to_vec(),
            value: value.to_vec(),
        });
    }
    // Both checks above admit ASCII only, so these conversions cannot fail.
    let ascii = |bytes| std::str::from_utf8(bytes).unwrap_or_default();
    Ok(Parameter {
        tag: ascii(tag),
        value: ascii(value),
    })
}

/// Rule 23: a parameter value is printable ASCII from `!` to `~` except `;` (so no spaces); it
/// may be empty.
pub fn is_parameter_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&byte| (b'!'..=b'~').contains(&byte) && byte != b';')
}

/// Trims spaces and tabs (RFC 5234 WSP), nothing else: a CR or NUL stays and makes trouble.
pub fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let is_blank = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_blank(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_blank(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Rule 25: the issuer domain must equal the CA's identifying domain exactly, byte for byte:
/// no lowercasing, no trailing-dot stripping, no unquoting.
pub fn issuer_matches(issuer: &[u8], ca_domain: &str) -> bool {
    issuer == ca_domain.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer_of(value: &str) -> Vec<u8> {
        parse_issue_value(value.as_bytes()).unwrap().issuer.to_vec()
    }

    fn params_of(value: &str) -> Vec<(String, String)> {
        parse_issue_value(value.as_bytes())
            .unwrap()
            .parameters
            .iter()
            .map(|p| (p.tag.to_owned(), p.value.to_owned()))
            .collect()
    }

    #[test]
    fn rule_22_issuer_is_the_first_part_trimmed_of_spaces_and_tabs() {
        assert_eq!(issuer_of("letsencrypt.org"), b"letsencrypt.org");
        assert_eq!(issuer_of(" \tletsencrypt.org \t"), b"letsencrypt.org");
        assert_eq!(issuer_of("letsencrypt.org; a=1"), b"letsencrypt.org");
        assert_eq!(issuer_of(";"), b"");
        assert_eq!(issuer_of(""), b"");
        // Only blanks are trimmed: a CR stays part of the issuer (and so never matches).
        assert_eq!(issuer_of("letsencrypt.org\r"), b"letsencrypt.org\r");
    }

    #[test]
    fn rule_22_a_lone_trailing_semicolon_is_fine() {
        assert_eq!(params_of("letsencrypt.org;"), vec![]);
        assert_eq!(params_of("letsencrypt.org; \t "), vec![]);
    }

    #[test]
    fn rule_22_a_trailing_semicolon_after_parameters_is_malformed() {
        // Boulder tolerates the trailing `;` only when it is the sole parameter part.
        assert_eq!(
            parse_issue_value(b"letsencrypt.org; a=1;"),
            Err(Malformed::NotTagValue(Vec::new()))
        );
    }

    #[test]
    fn rule_23_parameters_split_at_the_first_equals_sign() {
        assert_eq!(
            params_of("letsencrypt.org; accounturi=https://x/acct/1 ; b = c=d,e"),
            vec![
                ("accounturi".into(), "https://x/acct/1".into()),
                ("b".into(), "c=d,e".into())
            ]
        );
        assert_eq!(
            params_of("ca.example; empty="),
            vec![("empty".into(), "".into())]
        );
        assert_eq!(
            params_of("ca.example; a=1; a=2"),
            vec![("a".into(), "1".into()), ("a".into(), "2".into())]
        );
    }

    #[test]
    fn rule_23_an_empty_parameter_tag_is_accepted_as_boulder_does() {
        assert_eq!(
            params_of("letsencrypt.org; =x"),
            vec![("".into(), "x".into())]
        );
    }

    #[test]
    fn rule_24_malformed_values() {
        let malformed = |value: &str| parse_issue_value(value.as_bytes()).unwrap_err();
        assert_eq!(
            malformed("letsencrypt.org; a_b=1"),
            Malformed::BadTag(b"a_b".to_vec())
        );
        assert_eq!(
            malformed("letsencrypt.org; ab=1 2"),
            Malformed::BadValue {
                tag: b"ab".to_vec(),
                value: b"1 2".to_vec()
            }
        );
        assert_eq!(
            malformed("letsencrypt.org; foo"),
            Malformed::NotTagValue(b"foo".to_vec())
        );
        assert_eq!(
            malformed("letsencrypt.org;;"),
            Malformed::NotTagValue(b"".to_vec())
        );
        assert_eq!(
            malformed("letsencrypt.org; validation-methods=dns-01"),
            Malformed::BadTag(b"validation-methods".to_vec())
        );
        assert_eq!(
            malformed("letsencrypt.org; validationmethods=http-01, dns-01"),
            Malformed::BadValue {
                tag: b"validationmethods".to_vec(),
                value: b"http-01, dns-01".to_vec()
            }
        );
    }

    #[test]
    fn rule_24_non_ascii_and_control_bytes_in_parameters_are_malformed() {
        assert!(parse_issue_value(b"letsencrypt.org; a=\xff").is_err());
        assert!(parse_issue_value(b"letsencrypt.org; a=\x1b[31m").is_err());
        assert!(parse_issue_value(b"letsencrypt.org; \xc3\xa9=1").is_err());
        // A semicolon can never be inside a value: it starts the next part.
        assert!(parse_issue_value(b"letsencrypt.org; a=b;c").is_err());
    }

    #[test]
    fn rule_24_the_issuer_part_is_never_malformed_only_unmatched() {
        assert_eq!(issuer_of("%%%%%"), b"%%%%%");
        assert_eq!(
            parse_issue_value(b"\xffca").unwrap().issuer,
            b"\xffca".as_slice()
        );
    }

    #[test]
    fn rule_25_issuer_must_match_exactly() {
        assert!(issuer_matches(b"letsencrypt.org", "letsencrypt.org"));
        for near_miss in [
            &b"LetsEncrypt.org"[..],
            b"letsencrypt.org.",
            b"\"letsencrypt.org\"",
            b"Let's Encrypt",
            b"",
            b"www.letsencrypt.org",
        ] {
            assert!(
                !issuer_matches(near_miss, "letsencrypt.org"),
                "{near_miss:?}"
            );
        }
    }
}
