//! PEM framing as RFC 7468 (strict) and Twilio's documented upload rules read it: the files
//! are ASCII text, one block a certificate or key, between exact `-----BEGIN LABEL-----` and
//! `-----END LABEL-----` lines, with nothing else around them. The line scanning is the rule
//! set itself, so it is written here; the bodies are decoded by the `base64` crate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::finding::{Finding, PemFile, Place};

/// One block of a PEM file, as far as it could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// The BEGIN line.
    pub begin: Place,
    /// The label, as the BEGIN line gives it (normalised if the line was inexact).
    pub label: String,
    /// The decoded body; `None` if it is not valid base64.
    pub der: Option<Vec<u8>>,
}

/// A PEM file's blocks in file order, and what its framing rules found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PemRead {
    pub blocks: Vec<Block>,
    pub findings: Vec<Finding>,
}

/// Which boundary a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Edge {
    Begin,
    End,
}

/// A boundary line, read leniently: which edge, the label, and whether the line is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Boundary {
    pub edge: Edge,
    pub label: String,
    pub exact: bool,
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// RFC 7468 §2: a file with nothing but white space holds no PEM block.
pub(crate) fn is_empty_file(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Twilio's documented upload rules: the file is plain ASCII, so a UTF-8 byte-order mark in
/// front of the first boundary is refused.
pub(crate) fn starts_with_byte_order_mark(bytes: &[u8]) -> bool {
    bytes.starts_with(BYTE_ORDER_MARK)
}

/// RFC 7468 §3: PEM is printable ASCII, tabs and line ends; the 1-based number of the first
/// line holding any other byte.
pub(crate) fn first_non_text_line(bytes: &[u8]) -> Option<usize> {
    bytes
        .split(|&byte| byte == b'\n')
        .position(|line| {
            !line
                .iter()
                .all(|&byte| matches!(byte, b' '..=b'~' | b'\t' | b'\r'))
        })
        .map(|index| index + 1)
}

/// RFC 7468 §2: a boundary is exactly five dashes, `BEGIN ` or `END `, the label and five
/// dashes. A line that starts with a dash and reads as a boundary once dashes, white space
/// and case are forgiven is a boundary too, but not an exact one.
pub(crate) fn read_boundary(line: &str) -> Option<Boundary> {
    let trimmed = line.trim();
    if !trimmed.starts_with('-') {
        return None;
    }
    let inner = trimmed.trim_matches('-').trim().to_ascii_uppercase();
    let (edge, rest) = if let Some(rest) = inner.strip_prefix("BEGIN") {
        (Edge::Begin, rest)
    } else {
        (Edge::End, inner.strip_prefix("END")?)
    };
    let label = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    let keyword = match edge {
        Edge::Begin => "BEGIN",
        Edge::End => "END",
    };
    let exact = !label.is_empty() && line == format!("-----{keyword} {label}-----");
    Some(Boundary { edge, label, exact })
}

/// RFC 7468 §3: the body is base64 (RFC 4648 §4, padded); white space inside it is
/// forgiven, as every reader does. An empty body decodes to nothing and counts as damaged.
pub(crate) fn decode_body(lines: &[&str]) -> Option<Vec<u8>> {
    let text: String = lines
        .iter()
        .flat_map(|line| line.chars())
        .filter(|character| !character.is_ascii_whitespace())
        .collect();
    STANDARD.decode(text).ok().filter(|der| !der.is_empty())
}

/// RFC 4648 §4: the line of a damaged body to point at: the first holding a character outside
/// the base64 alphabet (or padding before the end), else the last (the length or padding is
/// wrong); `None` for an empty body.
pub(crate) fn first_damaged_line(body: &[(usize, &str)]) -> Option<usize> {
    let last = body.len().checked_sub(1)?;
    let mut padded = false;
    for (index, (line, text)) in body.iter().enumerate() {
        for character in text.chars().filter(|c| !c.is_ascii_whitespace()) {
            let in_alphabet = character.is_ascii_alphanumeric() || matches!(character, '+' | '/');
            if character == '=' {
                padded = true;
            } else if !in_alphabet || padded {
                return Some(*line);
            }
        }
        if padded && index != last && body[index + 1..].iter().any(|(_, t)| !t.trim().is_empty()) {
            return Some(*line);
        }
    }
    Some(body[last].0)
}

/// A boundary written inside a line rather than on a line of its own (a PEM value carried on
/// one line, as JSON and environment variables carry it): where it starts and ends. It is
/// dashes, `BEGIN` or `END` (any case), a label of letters, digits and spaces, and dashes;
/// white space that ends the line belongs to it. The label is cut at 64 characters, so that
/// a body run into a boundary is never taken for, and shown as, part of it.
pub(crate) fn find_boundary(line: &str) -> Option<(usize, usize)> {
    const LONGEST_LABEL: usize = 64;
    let bytes = line.as_bytes();
    let indent = line.len() - line.trim_start().len();
    let start = if bytes.get(indent) == Some(&b'-') {
        indent
    } else {
        let upper = line.to_ascii_uppercase();
        ["-----BEGIN", "-----END", "----- BEGIN", "----- END"]
            .iter()
            .filter_map(|marker| upper.find(marker))
            .min()?
    };
    let mut at = start;
    while bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    while bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    let keyword = ["BEGIN", "END"].into_iter().find(|keyword| {
        line.get(at..at + keyword.len())
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    })?;
    at += keyword.len();
    let label_start = at;
    while at - label_start < LONGEST_LABEL
        && bytes
            .get(at)
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b' ')
    {
        at += 1;
    }
    while bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    if line[at..].trim().is_empty() {
        at = line.len();
    }
    Some((start, at))
}

/// A line cut into the text around its boundaries and the boundaries themselves.
enum Piece<'a> {
    Text(&'a str),
    Boundary(&'a str),
}

fn pieces(line: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some((start, end)) = find_boundary(rest) {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        pieces.push(Piece::Boundary(&rest[start..end]));
        rest = &rest[end..];
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// A block being read: its BEGIN line, label and body lines so far.
struct Open<'a> {
    begin: Place,
    label: String,
    body: Vec<(usize, &'a str)>,
}

impl Open<'_> {
    fn close(self, findings: &mut Vec<Finding>) -> Block {
        let lines: Vec<&str> = self.body.iter().map(|(_, text)| *text).collect();
        let der = decode_body(&lines);
        if der.is_none() {
            let line = first_damaged_line(&self.body).unwrap_or(self.begin.line);
            findings.push(Finding::Base64Damaged {
                at: Place {
                    file: self.begin.file,
                    line,
                },
            });
        }
        Block {
            begin: self.begin,
            label: self.label,
            der,
        }
    }
}

/// Reads a PEM file's blocks and lints its framing: empty file, non-text bytes, byte-order
/// mark, CRLF line ends, inexact boundaries, unbalanced or mismatched boundaries, damaged
/// bodies and stray text. A block missing its END line is still read, to the next BEGIN line
/// or the end of the file, so the rest of the diagnosis sees it; so is a block written on one
/// line, and a file with some non-ASCII text (a UTF-8 name in openssl's "subject=" line, say),
/// unless no line of it holds a boundary (DER, UTF-16: nothing more to read).
pub(crate) fn read_pem(file: PemFile, bytes: &[u8]) -> PemRead {
    let mut read = PemRead::default();
    if is_empty_file(bytes) {
        read.findings.push(Finding::EmptyFile { file });
        return read;
    }
    let place = |line: usize| Place { file, line };
    let mut text = bytes;
    if starts_with_byte_order_mark(bytes) {
        read.findings.push(Finding::ByteOrderMark { file });
        text = &bytes[BYTE_ORDER_MARK.len()..];
    }
    // Bytes that are not UTF-8 become U+FFFD: not base64, not a boundary.
    let text = String::from_utf8_lossy(text);
    if let Some(line) = first_non_text_line(text.as_bytes()) {
        read.findings.push(Finding::NotText { at: place(line) });
        if !text.lines().any(|line| find_boundary(line).is_some()) {
            return read;
        }
    }
    let mut crlf_seen = false;
    let mut in_stray_text = false;
    let mut open: Option<Open<'_>> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let at = place(index + 1);
        let line = match raw.strip_suffix('\r') {
            Some(line) => {
                if !crlf_seen {
                    crlf_seen = true;
                    read.findings.push(Finding::CrlfLineEnds { at });
                }
                line
            }
            None => raw,
        };
        for piece in pieces(line) {
            let piece = match piece {
                Piece::Text(text) => {
                    match open.as_mut() {
                        Some(block) => block.body.push((at.line, text)),
                        None if text.trim().is_empty() => in_stray_text = false,
                        None => {
                            if !in_stray_text {
                                read.findings.push(Finding::StrayText { at });
                            }
                            in_stray_text = true;
                        }
                    }
                    continue;
                }
                Piece::Boundary(piece) => piece,
            };
            let Some(boundary) = read_boundary(piece) else {
                continue;
            };
            in_stray_text = false;
            if !(boundary.exact && piece == line) {
                read.findings.push(Finding::InexactBoundary {
                    at,
                    found: piece.to_owned(),
                });
            }
            match (boundary.edge, open.take()) {
                (Edge::Begin, unclosed) => {
                    if let Some(unclosed) = unclosed {
                        read.findings
                            .push(Finding::BeginWithoutEnd { at: unclosed.begin });
                        read.blocks.push(unclosed.close(&mut read.findings));
                    }
                    open = Some(Open {
                        begin: at,
                        label: boundary.label,
                        body: Vec::new(),
                    });
                }
                (Edge::End, None) => read.findings.push(Finding::EndWithoutBegin { at }),
                (Edge::End, Some(block)) => {
                    if block.label != boundary.label {
                        read.findings.push(Finding::MismatchedEnd {
                            at,
                            begin: block.label.clone(),
                            end: boundary.label,
                        });
                    }
                    read.blocks.push(block.close(&mut read.findings));
                }
            }
        }
    }
    if let Some(unclosed) = open {
        read.findings
            .push(Finding::BeginWithoutEnd { at: unclosed.begin });
        read.blocks.push(unclosed.close(&mut read.findings));
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "AAEC";

    fn at(line: usize) -> Place {
        Place {
            file: PemFile::Bundle,
            line,
        }
    }

    fn findings(text: &[u8]) -> Vec<Finding> {
        read_pem(PemFile::Bundle, text).findings
    }

    fn codes(text: &[u8]) -> Vec<&'static str> {
        findings(text).iter().map(Finding::code).collect()
    }

    fn block(label: &str) -> String {
        format!("-----BEGIN {label}-----\n{BODY}\n-----END {label}-----\n")
    }

    #[test]
    fn rfc7468_exact_blocks_read_cleanly_in_file_order() {
        let text = format!("{}\n{}", block("CERTIFICATE"), block("PRIVATE KEY"));
        let read = read_pem(PemFile::Bundle, text.as_bytes());
        assert_eq!(read.findings, []);
        assert_eq!(
            read.blocks,
            [
                Block {
                    begin: at(1),
                    label: "CERTIFICATE".into(),
                    der: Some(vec![0, 1, 2])
                },
                Block {
                    begin: at(5),
                    label: "PRIVATE KEY".into(),
                    der: Some(vec![0, 1, 2])
                }
            ]
        );
    }

    #[test]
    fn is_empty_file_for_nothing_or_white_space() {
        assert!(is_empty_file(b""));
        assert!(is_empty_file(b" \n\r\n"));
        assert!(!is_empty_file(b"x"));
        assert_eq!(
            findings(b"\n"),
            [Finding::EmptyFile {
                file: PemFile::Bundle
            }]
        );
    }

    #[test]
    fn first_non_text_line_finds_binary_and_utf8() {
        assert_eq!(first_non_text_line(b"abc\r\n\tdef\n"), None);
        assert_eq!(first_non_text_line(b"abc\n\x30\x82\x01"), Some(2));
        assert_eq!(first_non_text_line("a\nb\nMüller".as_bytes()), Some(3));
        assert_eq!(
            findings(b"\x30\x82\x01\x0a"),
            [Finding::NotText { at: at(1) }]
        );
        let named = format!("subject=CN=M\u{fc}ller\n{}", block("CERTIFICATE"));
        let read = read_pem(PemFile::Bundle, named.as_bytes());
        assert_eq!(
            read.findings,
            [
                Finding::NotText { at: at(1) },
                Finding::StrayText { at: at(1) }
            ]
        );
        assert_eq!(read.blocks.len(), 1);
    }

    #[test]
    fn starts_with_byte_order_mark_is_refused_and_the_rest_still_read() {
        let text = [BYTE_ORDER_MARK, block("CERTIFICATE").as_bytes()].concat();
        assert!(starts_with_byte_order_mark(&text));
        let read = read_pem(PemFile::Bundle, &text);
        assert_eq!(
            read.findings,
            [Finding::ByteOrderMark {
                file: PemFile::Bundle
            }]
        );
        assert_eq!(read.blocks.len(), 1);
    }

    #[test]
    fn crlf_line_ends_are_reported_once_at_the_first() {
        let text = block("CERTIFICATE").replace('\n', "\r\n");
        let read = read_pem(PemFile::Bundle, text.as_bytes());
        assert_eq!(read.findings, [Finding::CrlfLineEnds { at: at(1) }]);
        assert_eq!(read.blocks[0].der, Some(vec![0, 1, 2]));
    }

    #[test]
    fn read_boundary_exact_and_inexact() {
        let exact = read_boundary("-----BEGIN CERTIFICATE-----").unwrap();
        assert_eq!(
            exact,
            Boundary {
                edge: Edge::Begin,
                label: "CERTIFICATE".into(),
                exact: true
            }
        );
        for near_miss in [
            "----BEGIN CERTIFICATE-----",
            "-----BEGIN CERTIFICATE------",
            "-----begin certificate-----",
            "-----BEGIN  CERTIFICATE-----",
            "-----BEGIN CERTIFICATE----- ",
            " -----BEGIN CERTIFICATE-----",
            "-----BEGIN CERTIFICATE -----",
        ] {
            let boundary = read_boundary(near_miss).unwrap();
            assert!(!boundary.exact, "{near_miss:?}");
            assert_eq!(boundary.label, "CERTIFICATE", "{near_miss:?}");
        }
        assert_eq!(
            read_boundary("-----END PRIVATE KEY-----").unwrap().edge,
            Edge::End
        );
        assert_eq!(read_boundary("MIIB"), None);
        assert_eq!(read_boundary("-- a comment"), None);
    }

    #[test]
    fn inexact_boundary_is_reported_and_the_block_still_read() {
        let text = format!("-----BEGIN CERTIFICATE----- \n{BODY}\n-----END CERTIFICATE-----\n");
        let read = read_pem(PemFile::Bundle, text.as_bytes());
        assert_eq!(
            read.findings,
            [Finding::InexactBoundary {
                at: at(1),
                found: "-----BEGIN CERTIFICATE----- ".into()
            }]
        );
        assert_eq!(read.blocks.len(), 1);
    }

    #[test]
    fn begin_without_end_at_the_next_begin_and_at_the_end_of_the_file() {
        let text = format!(
            "-----BEGIN CERTIFICATE-----\n{BODY}\n{}-----BEGIN CERTIFICATE-----\n{BODY}\n",
            block("CERTIFICATE")
        );
        assert_eq!(
            findings(text.as_bytes()),
            [
                Finding::BeginWithoutEnd { at: at(1) },
                Finding::BeginWithoutEnd { at: at(6) }
            ]
        );
        assert_eq!(read_pem(PemFile::Bundle, text.as_bytes()).blocks.len(), 3);
    }

    #[test]
    fn end_without_begin() {
        let text = format!("{}-----END CERTIFICATE-----\n", block("CERTIFICATE"));
        assert_eq!(
            findings(text.as_bytes()),
            [Finding::EndWithoutBegin { at: at(4) }]
        );
    }

    #[test]
    fn mismatched_end() {
        let text = format!("-----BEGIN CERTIFICATE-----\n{BODY}\n-----END PRIVATE KEY-----\n");
        assert_eq!(
            findings(text.as_bytes()),
            [Finding::MismatchedEnd {
                at: at(3),
                begin: "CERTIFICATE".into(),
                end: "PRIVATE KEY".into()
            }]
        );
    }

    #[test]
    fn decode_body_base64_damaged() {
        assert_eq!(decode_body(&["AAE", "C"]), Some(vec![0, 1, 2]));
        assert_eq!(decode_body(&["AAEC "]), Some(vec![0, 1, 2]));
        assert_eq!(decode_body(&["AAE"]), None);
        assert_eq!(decode_body(&["AA*C"]), None);
        assert_eq!(decode_body(&[]), None);
        // The damaged line is named, not the block's BEGIN line.
        let text = "-----BEGIN CERTIFICATE-----\nAAEC\nAA!C\n-----END CERTIFICATE-----\n";
        let read = read_pem(PemFile::Bundle, text.as_bytes());
        assert_eq!(read.findings, [Finding::Base64Damaged { at: at(3) }]);
        assert_eq!(read.blocks[0].der, None);
    }

    #[test]
    fn first_damaged_line_is_a_bad_character_padding_too_early_or_else_the_last() {
        assert_eq!(first_damaged_line(&[(2, "AAEC"), (3, "AA!C")]), Some(3));
        assert_eq!(first_damaged_line(&[(2, "AA=="), (3, "AAEC")]), Some(2));
        assert_eq!(first_damaged_line(&[(2, "AAEC"), (3, "AAE")]), Some(3));
        assert_eq!(first_damaged_line(&[]), None);
    }

    #[test]
    fn find_boundary_inside_a_line_stops_at_its_dashes() {
        let line = "-----BEGIN PRIVATE KEY-----MIGHAgEA-----END PRIVATE KEY-----";
        assert_eq!(find_boundary(line), Some((0, 27)));
        assert_eq!(find_boundary(&line[27..]), Some((8, 33)));
        assert_eq!(
            find_boundary("subject=CN=x -----BEGIN CERTIFICATE-----"),
            Some((13, 40))
        );
        assert_eq!(find_boundary("--- a markdown rule"), None);
        assert_eq!(find_boundary("MIIBkTCB+wIJAK"), None);
        // A body run into a label is cut off at 64 characters, never swallowed whole.
        let run_on = format!("-----BEGIN PRIVATE KEY{}", "A".repeat(200));
        assert_eq!(find_boundary(&run_on), Some((0, 10 + 64)));
    }

    #[test]
    fn a_block_on_one_line_is_read_and_its_boundaries_named_without_its_body() {
        let one_line = format!("-----BEGIN CERTIFICATE-----{BODY}-----END CERTIFICATE-----\n");
        let read = read_pem(PemFile::Bundle, one_line.as_bytes());
        assert_eq!(read.blocks.len(), 1);
        assert_eq!(read.blocks[0].der.as_deref(), Some(&[0, 1, 2][..]));
        assert_eq!(
            read.findings,
            [
                Finding::InexactBoundary {
                    at: at(1),
                    found: "-----BEGIN CERTIFICATE-----".into()
                },
                Finding::InexactBoundary {
                    at: at(1),
                    found: "-----END CERTIFICATE-----".into()
                },
            ]
        );
    }

    #[test]
    fn stray_text_once_a_run_outside_blocks() {
        let text = format!(
            "Bag Attributes\n    localKeyID: 01\nsubject=CN=x\n{}\n\nissuer=CN=y\n{}",
            block("CERTIFICATE"),
            block("CERTIFICATE")
        );
        assert_eq!(
            findings(text.as_bytes()),
            [
                Finding::StrayText { at: at(1) },
                Finding::StrayText { at: at(9) }
            ]
        );
        assert_eq!(codes(b"\n\n"), ["empty-file"]);
    }
}
