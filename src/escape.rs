//! Untrusted bytes made safe to print. DNS data (CAA tags and values, extended error texts)
//! can hold escape sequences, control characters, quotes and invalid UTF-8; nothing of it may
//! reach a terminal raw. The escaped form is also valid zone-file syntax for the same bytes, so
//! a record shown in a report can be pasted into a zone.

use std::fmt::Write;
use std::io;

use serde::Serialize;

/// RFC 1035 §5.1 `<character-string>` contents: printable ASCII stays, `"` and `\` get a
/// backslash, every other byte becomes `\DDD` (three decimal digits). The result is printable
/// ASCII only.
pub fn zone_escape(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                text.push('\\');
                text.push(char::from(byte));
            }
            b' '..=b'~' => text.push(char::from(byte)),
            _ => {
                let _ = write!(text, "\\{byte:03}");
            }
        }
    }
    text
}

/// A domain name label in master-file syntax, lowercased: letters, digits, `-`, `_` and `*`
/// stay, other printable characters (a `.` inside a label, say) get a backslash, every other
/// byte becomes `\DDD`.
pub fn label_escape(label: &[u8]) -> String {
    let mut text = String::with_capacity(label.len());
    for &byte in label {
        match byte.to_ascii_lowercase() {
            byte @ (b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'*') => text.push(char::from(byte)),
            byte @ b'!'..=b'~' => {
                text.push('\\');
                text.push(char::from(byte));
            }
            byte => {
                let _ = write!(text, "\\{byte:03}");
            }
        }
    }
    text
}

/// A master-file token for any bytes, case kept: letters and digits stay, every other byte
/// becomes `\DDD`.
pub fn token_escape(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() {
            text.push(char::from(byte));
        } else {
            let _ = write!(text, "\\{byte:03}");
        }
    }
    text
}

/// Lowercase hexadecimal, two digits a byte: the exact bytes, losslessly and printably.
pub fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Untrusted text for a terminal, Unicode kept: a backslash is doubled, and control and
/// `is_deceptive` characters become `\u{XXXX}`. For text that is read rather than pasted into
/// a zone: the names and issuers in a certificate, a parser's complaint about one.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_deceptive(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `zone_escape` inside double quotes: a zone-file character-string.
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", zone_escape(bytes))
}

/// Characters that are invisible or change how the text around them shows: DEL and the C1
/// controls (some terminals read U+009B as an escape), the soft hyphen, zero-width characters
/// and direction marks (U+200B to U+200F), line and paragraph separators, direction
/// embeddings and overrides (U+202A to U+202E), invisible operators (U+2060 to U+2064),
/// direction isolates (U+2066 to U+2069), the Arabic letter mark, the Mongolian vowel
/// separator, variation selectors (U+FE00 to U+FE0F), the byte-order mark, interlinear
/// annotation marks (U+FFF9 to U+FFFB) and tag characters (U+E0000 to U+E007F).
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// `value` as one line of JSON in which `is_deceptive` characters are `\uXXXX` escapes (JSON
/// itself escapes only the C0 controls, quotes and backslashes), so that `cat report.jsonl`
/// cannot show a lie.
pub fn json_line<T: Serialize>(value: &T) -> String {
    let mut line = Vec::with_capacity(1024);
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, PlainJson);
    // Serialising our report types into memory cannot fail: they hold only strings, numbers,
    // booleans and maps with string keys.
    if value.serialize(&mut serializer).is_err() {
        return String::from("{}");
    }
    // The formatter writes only what serde_json gives it, and ASCII escapes: valid UTF-8.
    String::from_utf8(line).unwrap_or_default()
}

/// serde_json's compact output, with `is_deceptive` characters escaped.
struct PlainJson;

impl serde_json::ser::Formatter for PlainJson {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Every deceptive character is DEL or beyond ASCII: most fragments need no look.
        if fragment.bytes().all(|byte| byte < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut rest = fragment;
        while let Some((at, deceptive)) = rest.char_indices().find(|&(_, c)| is_deceptive(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", u32::from(deceptive))?;
            rest = &rest[at + deceptive.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_invisible_and_direction_changing_characters() {
        let text = "a\u{202e}b\u{200b}c\u{2066}d\u{9b}e\u{7f}é\u{1b}";
        let line = json_line(&serde_json::json!({ "name": text }));
        assert_eq!(
            line,
            r#"{"name":"a\u202eb\u200bc\u2066d\u009be\u007fé\u001b"}"#
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["name"], text);
    }

    #[test]
    fn printable_text_keeps_unicode_and_escapes_what_could_deceive() {
        assert_eq!(
            printable("Müller\u{1b}[2J\u{202e}a\\b\n"),
            "Müller\\u{001b}[2J\\u{202e}a\\\\b\\u{000a}"
        );
    }

    #[test]
    fn control_bytes_quotes_backslashes_and_non_ascii_are_escaped() {
        assert_eq!(
            zone_escape(b"a\x1b[31mb\r\n\0\"\\\xff"),
            "a\\027[31mb\\013\\010\\000\\\"\\\\\\255"
        );
        assert_eq!(quoted(b"letsencrypt.org"), "\"letsencrypt.org\"");
        assert_eq!(zone_escape("é".as_bytes()), "\\195\\169");
    }

    #[test]
    fn labels_escape_dots_and_odd_bytes_and_are_lowercased() {
        assert_eq!(label_escape(b"WWW"), "www");
        assert_eq!(label_escape(b"a.b"), "a\\.b");
        assert_eq!(label_escape(b"x\x1b\xff y"), "x\\027\\255\\032y");
        assert_eq!(label_escape(b"_acme-challenge"), "_acme-challenge");
    }

    #[test]
    fn tokens_keep_case_and_escape_all_but_letters_and_digits() {
        assert_eq!(token_escape(b"Issue"), "Issue");
        assert_eq!(token_escape(b"a-b c"), "a\\045b\\032c");
    }

    #[test]
    fn the_result_is_printable_ascii_whatever_the_input() {
        let every_byte: Vec<u8> = (0..=255).collect();
        assert!(
            zone_escape(&every_byte)
                .bytes()
                .all(|b| (b' '..=b'~').contains(&b))
        );
    }
}
