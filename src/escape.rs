//! Untrusted bytes made safe to print. DNS data (CAA tags and values, extended error texts)
//! can hold escape sequences, control characters, quotes and invalid UTF-8; nothing of it may
//! reach a terminal raw. The escaped form is also valid zone-file syntax for the same bytes, so
//! a record shown in a report can be pasted into a zone.

use std::fmt::Write;

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

/// `zone_escape` inside double quotes: a zone-file character-string.
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", zone_escape(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

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
