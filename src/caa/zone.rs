//! CAA records in zone-file syntax: written for fixes (a line to paste into a zone), read for
//! `--assume` (a line to try before pasting it).
//!
//! Written lines are always valid master-file syntax (RFC 1035 §5.1) for exactly the bytes of
//! the record: values are quoted with `\DDD` escapes, and a tag that is not letters and digits
//! (a hyphenated, empty or over-long tag, as real zones hold) is written in the generic form of
//! RFC 3597 (`\# LENGTH HEX`), which every server reads.

use crate::caa::answers::CaaRecord;
use crate::escape::{hex, quoted, token_escape};
use crate::name::CheckName;

/// A CAA tag's length travels in one octet (RFC 8659 §4.1).
pub const MAX_TAG: usize = 255;
/// Any record's RDATA length travels in two octets (RFC 1035 §3.2.1).
pub const MAX_RDATA: usize = 65_535;

/// `OWNER. IN CAA FLAGS TAG "VALUE"`, or the RFC 3597 form when the tag cannot be a token.
/// A record too large for DNS (read from nowhere: the wire and `parse_zone_line` refuse one)
/// is written with its tag as an escaped token, which `parse_zone_line` refuses in turn.
pub fn zone_line(owner: &str, record: &CaaRecord) -> String {
    let presentable_tag =
        !record.tag.is_empty() && record.tag.iter().all(u8::is_ascii_alphanumeric);
    match u8::try_from(record.tag.len()) {
        Ok(tag_length) if !presentable_tag && fits_in_rdata(record) => {
            let mut rdata = vec![record.flags, tag_length];
            rdata.extend(&record.tag);
            rdata.extend(&record.value);
            format!("{owner}. IN CAA \\# {} {}", rdata.len(), hex(&rdata))
        }
        _ => format!(
            "{owner}. IN CAA {} {} {}",
            record.flags,
            token_escape(&record.tag),
            quoted(&record.value)
        ),
    }
}

/// Whether the record's RDATA (flags, tag length, tag, value) fits in a DNS record.
fn fits_in_rdata(record: &CaaRecord) -> bool {
    2 + record.tag.len() + record.value.len() <= MAX_RDATA
}

/// Why a zone line could not be read, in words for a one-line error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ZoneLineError(String);

fn error(text: impl Into<String>) -> ZoneLineError {
    ZoneLineError(text.into())
}

/// Reads one CAA record line: `OWNER [TTL] [CLASS] CAA FLAGS TAG VALUE` (TTL and class in
/// either order, class IN), or `... CAA \# LENGTH HEX` (RFC 3597); `TYPE257` may stand for
/// `CAA`. The owner is taken as absolute; it comes back lowercase without its trailing dot.
pub fn parse_zone_line(line: &str) -> Result<(String, CaaRecord), ZoneLineError> {
    let tokens = tokenize(line)?;
    let mut tokens = tokens.iter();
    let owner = text_of(tokens.next().ok_or_else(|| error("the line is empty"))?)?;
    let owner = std::str::from_utf8(owner)
        .ok()
        .and_then(CheckName::plain_domain)
        .ok_or_else(|| error("the owner is not a valid DNS name"))?;
    let mut record_type = None;
    for token in tokens.by_ref() {
        let text = String::from_utf8_lossy(text_of(token)?).to_ascii_uppercase();
        match text.as_str() {
            "IN" => continue,
            "CAA" | "TYPE257" => {
                record_type = Some(text);
                break;
            }
            ttl if decimal::<u32>(ttl.as_bytes()).is_some() => continue,
            other => {
                return Err(error(format!(
                    "expected OWNER [TTL] [IN] CAA ..., found {other:?}"
                )));
            }
        }
    }
    if record_type.is_none() {
        return Err(error("no CAA type in the line"));
    }
    let rdata: Vec<&Token> = tokens.collect();
    let record = match rdata.as_slice() {
        [Token::GenericMarker, rest @ ..] => generic_rdata(
            &rest
                .iter()
                .map(|token| text_of(token))
                .collect::<Result<Vec<_>, _>>()?,
        )?,
        [flags, tag, value] => CaaRecord::new(
            parse_flags(text_of(flags)?)?,
            text_of(tag)?,
            text_of(value)?,
        ),
        _ => return Err(error("expected FLAGS TAG VALUE after CAA")),
    };
    if record.tag.len() > MAX_TAG {
        return Err(error(format!(
            "the tag is {} octets long; a CAA tag holds at most {MAX_TAG}",
            record.tag.len()
        )));
    }
    if !fits_in_rdata(&record) {
        return Err(error(format!(
            "the record is {} octets long; a DNS record holds at most {MAX_RDATA}",
            2 + record.tag.len() + record.value.len()
        )));
    }
    Ok((owner, record))
}

fn parse_flags(token: &[u8]) -> Result<u8, ZoneLineError> {
    decimal(token).ok_or_else(|| error("the flags must be a number from 0 to 255"))
}

/// Decimal digits only (Rust's parsers would take a leading `+` too).
fn decimal<T: std::str::FromStr>(token: &[u8]) -> Option<T> {
    if token.is_empty() || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// A token of a zone line: text, or the RFC 3597 marker `\#` written bare.
#[derive(Debug)]
enum Token {
    GenericMarker,
    Text(Vec<u8>),
}

/// The bytes of a text token; the marker has none to give.
fn text_of(token: &Token) -> Result<&[u8], ZoneLineError> {
    match token {
        Token::Text(bytes) => Ok(bytes),
        Token::GenericMarker => Err(error("\\# may stand only right after CAA")),
    }
}

/// RFC 3597 §5: `\# LENGTH HEX...`, the hex possibly split into several words.
fn generic_rdata(tokens: &[&[u8]]) -> Result<CaaRecord, ZoneLineError> {
    let (length, hex) = tokens
        .split_first()
        .ok_or_else(|| error("expected a length after \\#"))?;
    let length: usize = decimal(length)
        .filter(|&length| length <= MAX_RDATA)
        .ok_or_else(|| error(format!("the \\# length must be a number up to {MAX_RDATA}")))?;
    let hex: Vec<u8> = hex.iter().flat_map(|word| word.iter().copied()).collect();
    let rdata: Option<Vec<u8>> = hex
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair)
                .ok()
                .filter(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect();
    let rdata = rdata.ok_or_else(|| error("the \\# data must be pairs of hex digits"))?;
    if rdata.len() != length {
        return Err(error(format!(
            "the \\# data holds {} octets, not the {length} announced",
            rdata.len()
        )));
    }
    match rdata.as_slice() {
        [flags, tag_length, rest @ ..] if usize::from(*tag_length) <= rest.len() => {
            let (tag, value) = rest.split_at(usize::from(*tag_length));
            Ok(CaaRecord::new(*flags, tag, value))
        }
        _ => Err(error("the \\# data is too short for a CAA record")),
    }
}

/// Splits a line into tokens: quoted strings or runs of non-blank characters, both with
/// `\X` and `\DDD` escapes decoded to bytes. An unquoted `;` starts a comment.
fn tokenize(line: &str) -> Result<Vec<Token>, ZoneLineError> {
    let mut tokens = Vec::new();
    let mut bytes = line.bytes().peekable();
    while let Some(&byte) = bytes.peek() {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                bytes.next();
            }
            b';' => break,
            b'(' | b')' => return Err(error("parentheses (multi-line records) are not supported")),
            b'"' => {
                bytes.next();
                let mut token = Vec::new();
                loop {
                    match bytes.next() {
                        None => return Err(error("a quoted string is not closed")),
                        Some(b'"') => break,
                        Some(b'\\') => token.push(escaped(&mut bytes)?),
                        Some(other) => token.push(other),
                    }
                }
                tokens.push(Token::Text(token));
            }
            _ => {
                let mut token = Vec::new();
                // Only a bare `\#`, as written, is the RFC 3597 marker: not `\092#`, not "\\#".
                let mut marker = false;
                while let Some(&byte) = bytes.peek() {
                    match byte {
                        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'"' | b'(' | b')' => break,
                        b'\\' => {
                            bytes.next();
                            marker = token.is_empty() && bytes.peek() == Some(&b'#');
                            token.push(escaped(&mut bytes)?);
                        }
                        _ => {
                            marker = false;
                            token.push(byte);
                            bytes.next();
                        }
                    }
                }
                tokens.push(if marker && token == b"#" {
                    Token::GenericMarker
                } else {
                    Token::Text(token)
                });
            }
        }
    }
    Ok(tokens)
}

/// The byte after a backslash: `\DDD` (decimal, at most 255) or the character itself.
fn escaped(bytes: &mut std::iter::Peekable<std::str::Bytes<'_>>) -> Result<u8, ZoneLineError> {
    let first = bytes
        .next()
        .ok_or_else(|| error("a backslash ends the line"))?;
    if !first.is_ascii_digit() {
        return Ok(first);
    }
    let mut value = u32::from(first - b'0');
    for _ in 0..2 {
        match bytes.next() {
            Some(digit) if digit.is_ascii_digit() => value = value * 10 + u32::from(digit - b'0'),
            _ => return Err(error("\\DDD needs three decimal digits")),
        }
    }
    u8::try_from(value).map_err(|_| error(format!("\\{value} is more than 255")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(line: &str) -> (String, CaaRecord) {
        parse_zone_line(line).unwrap()
    }

    #[test]
    fn plain_records_are_written_as_usual() {
        assert_eq!(
            zone_line(
                "example.com",
                &CaaRecord::new(0, "issue", "letsencrypt.org")
            ),
            "example.com. IN CAA 0 issue \"letsencrypt.org\""
        );
    }

    #[test]
    fn hostile_values_are_escaped_and_odd_tags_use_the_generic_form() {
        assert_eq!(
            zone_line(
                "a.test",
                &CaaRecord::new(128, "tbs", &b"\x1b[31m\"\\\xff"[..])
            ),
            "a.test. IN CAA 128 tbs \"\\027[31m\\\"\\\\\\255\""
        );
        assert_eq!(
            zone_line("a.test", &CaaRecord::new(0, "bad-tag", "x")),
            "a.test. IN CAA \\# 10 00076261642d74616778"
        );
    }

    #[test]
    fn the_forms_people_write_are_read() {
        let expected = (
            "example.com".to_owned(),
            CaaRecord::new(0, "issue", "letsencrypt.org"),
        );
        for line in [
            "example.com. CAA 0 issue \"letsencrypt.org\"",
            "Example.COM. IN CAA 0 issue \"letsencrypt.org\"",
            "example.com 300 IN CAA 0 issue letsencrypt.org",
            "example.com IN 300 caa 0 issue \"letsencrypt.org\" ; a comment",
            "example.com. TYPE257 \\# 22 00 05 6973737565 6c657473656e63727970742e6f7267",
        ] {
            assert_eq!(parsed(line), expected, "{line}");
        }
        assert_eq!(
            parsed(r#"x.test. CAA 128 tbs "a\"b\\c\059\255""#).1,
            CaaRecord::new(128, "tbs", &b"a\"b\\c;\xff"[..])
        );
        assert_eq!(parsed("x.test. CAA 0 issue \";\"").1.value, b";");
        assert_eq!(parsed("x.test. CAA 0 issue \"\"").1.value, b"");
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (line, expected) in [
            ("", "empty"),
            ("example.com. A 192.0.2.1", "expected OWNER"),
            ("example.com. CAA 0 issue", "FLAGS TAG VALUE"),
            ("example.com. CAA 256 issue \"x\"", "0 to 255"),
            ("example.com. CAA 0 issue \"x", "not closed"),
            ("exa mple.com CAA 0 issue \"x\"", "expected OWNER"),
            ("192.0.2.1 CAA 0 issue \"x\"", "not a valid DNS name"),
            ("x.test. CAA 0 issue \"\\300\"", "more than 255"),
            ("x.test. CAA \\# 3 0000", "not the 3 announced"),
            ("x.test. CAA \\# 65536 00", "up to 65535"),
            ("x.test. CAA +5 issue \"x\"", "0 to 255"),
            ("x.test. CAA \\# +1 00", "a number"),
            ("x.test. CAA \\# 3 00+105", "pairs of hex digits"),
            ("x.test. CAA \\092# 3 000000", "0 to 255"),
            ("x.test. CAA \"\\\\#\" 3 000000", "0 to 255"),
        ] {
            let error = parse_zone_line(line).unwrap_err().to_string();
            assert!(error.contains(expected), "{line:?}: {error}");
        }
    }

    #[test]
    fn tags_over_255_octets_and_records_over_65535_are_refused_not_wrapped() {
        let long_tag = format!("x.test. CAA 0 {} \"v\"", "t".repeat(300));
        let error = parse_zone_line(&long_tag).unwrap_err().to_string();
        assert!(error.contains("300 octets"), "{error}");
        let generic = |tag: &str| {
            let record = CaaRecord::new(0, tag.repeat(300), "v");
            parse_zone_line(&zone_line("x.test", &record))
        };
        assert!(generic("t").is_err());
        assert!(generic("-").is_err());
        let long_value = format!("x.test. CAA 0 issue \"{}\"", "v".repeat(65_530));
        let error = parse_zone_line(&long_value).unwrap_err().to_string();
        assert!(error.contains("65535"), "{error}");
        let fits = format!("x.test. CAA 0 issue \"{}\"", "v".repeat(65_528));
        assert!(parse_zone_line(&fits).is_ok());
    }

    proptest! {
        #[test]
        fn every_record_round_trips_through_its_zone_line(
            flags: u8,
            tag in proptest::collection::vec(any::<u8>(), 0..=MAX_TAG),
            value in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let record = CaaRecord::new(flags, tag, value);
            let line = zone_line("owner.example.test", &record);
            prop_assert!(line.bytes().all(|b| (b' '..=b'~').contains(&b)), "{}", line);
            prop_assert_eq!(parse_zone_line(&line), Ok(("owner.example.test".to_owned(), record)));
        }
    }
}
