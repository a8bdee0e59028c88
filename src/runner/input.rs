//! Entries from a file or standard input (`--input`): one per line (a name for `check`, a host
//! for `expiry`, read by the command's own parser); blank lines and `#` comments skipped;
//! surrounding whitespace ignored. A line that is not a valid entry becomes an `Invalid` entry
//! in its place, so a run reports it and goes on.
//!
//! Lines are read on a thread of their own and handed over through a bounded channel: memory
//! does not grow with the input, and a slow check holds the reader back instead of piling up
//! names. A line longer than any entry is refused without being kept. An input that fails
//! partway (a read error on a pipe, a socket, a disk) ends the batches with an `InputFailure`:
//! the run cannot be complete, so it is no invalid line but the end of the run.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

use tokio::sync::mpsc;

/// Where `--input` reads from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Stdin => f.write_str("-"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Source {
    /// `-` is standard input; anything else a file path.
    pub fn from_arg(arg: &str) -> Source {
        match arg {
            "-" => Source::Stdin,
            path => Source::File(PathBuf::from(path)),
        }
    }
}

/// What a command's parser makes of one line's text: its target, or why it is not one.
pub type Parse<T> = fn(&str) -> Result<T, String>;

/// One target of a run (a name, a host), or one line that is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry<T> {
    Target {
        /// The input line it came from; none for a command-line argument.
        line: Option<u64>,
        target: T,
    },
    Invalid {
        line: u64,
        /// The line as read, trimmed (untrusted: escape before display).
        input: String,
        reason: String,
    },
}

/// The input could not be read to its end.
#[derive(Debug)]
pub struct InputFailure {
    /// The line that could not be read.
    pub line: u64,
    pub error: io::Error,
}

/// What the reading thread hands over: entries, or the failure that ended the input.
pub type Batch<T> = Result<Vec<Entry<T>>, InputFailure>;

/// Longer than any name (253 octets) with room for blanks and a comment.
const MAX_LINE: usize = 1024;
/// Entries handed over at once: one wake-up of the run per batch, not per line.
const BATCH: usize = 256;

/// Opens `source` (so that a missing file is an error before anything runs) and reads it on a
/// thread of its own, each line through `parse`, into a channel holding about `buffered`
/// entries, in batches.
pub fn read<T: Send + 'static>(
    source: &Source,
    buffered: usize,
    parse: Parse<T>,
) -> io::Result<mpsc::Receiver<Batch<T>>> {
    let input: Box<dyn Read + Send> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(path) => Box::new(File::open(path)?),
    };
    let (sender, receiver) = mpsc::channel((buffered / BATCH).max(1));
    std::thread::spawn(move || read_entries(BufReader::new(input), &sender, parse));
    Ok(receiver)
}

/// Sends an entry for every line that holds a name or should have, in batches: a batch goes
/// when full, or when the next line is not yet read (so names typed or piped in one by one are
/// checked at once). Stops when the receiver is gone or the input ends; a read error ends it
/// with the entries read so far, then the failure.
fn read_entries<R: Read, T>(
    mut reader: BufReader<R>,
    sender: &mpsc::Sender<Batch<T>>,
    parse: Parse<T>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Entry<T>>| {
        let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
        full.is_empty() || sender.blocking_send(Ok(full)).is_ok()
    };
    for number in 1.. {
        let entry = match next_line(&mut reader) {
            Ok(None) => {
                send(&mut batch);
                return;
            }
            Ok(Some(Line::TooLong)) => Some(Entry::Invalid {
                line: number,
                input: String::new(),
                reason: format!("the line is longer than {MAX_LINE} octets"),
            }),
            Ok(Some(Line::Read(bytes))) => parse_line(number, &bytes, parse),
            Err(error) => {
                if send(&mut batch) {
                    let _ = sender.blocking_send(Err(InputFailure {
                        line: number,
                        error,
                    }));
                }
                return;
            }
        };
        batch.extend(entry);
        if (batch.len() >= BATCH || reader.buffer().is_empty()) && !send(&mut batch) {
            return;
        }
    }
}

/// One input line as the entry it makes: none for a blank or comment line.
pub fn parse_line<T>(line: u64, bytes: &[u8], parse: Parse<T>) -> Option<Entry<T>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(Entry::Invalid {
            line,
            input: String::from_utf8_lossy(bytes).trim().to_owned(),
            reason: "the line is not UTF-8".into(),
        });
    };
    let text = text.split('#').next().unwrap_or_default().trim();
    if text.is_empty() {
        return None;
    }
    Some(match parse(text) {
        Ok(target) => Entry::Target {
            line: Some(line),
            target,
        },
        Err(reason) => Entry::Invalid {
            line,
            input: text.to_owned(),
            reason,
        },
    })
}

enum Line {
    Read(Vec<u8>),
    TooLong,
}

/// The next line without its newline, never holding more than `MAX_LINE` octets of it.
fn next_line(reader: &mut impl BufRead) -> io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut read_any = false;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(read_any.then_some(if too_long {
                Line::TooLong
            } else {
                Line::Read(line)
            }));
        }
        read_any = true;
        let (chunk, used, ended) = match buffer.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&buffer[..end], end + 1, true),
            None => (buffer, buffer.len(), false),
        };
        if line.len() + chunk.len() > MAX_LINE {
            too_long = true;
        } else {
            line.extend_from_slice(chunk);
        }
        reader.consume(used);
        if ended {
            return Ok(Some(if too_long {
                Line::TooLong
            } else {
                Line::Read(line)
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::CheckName;

    fn parse_name(text: &str) -> Result<CheckName, String> {
        CheckName::parse(text).map_err(|error| error.to_string())
    }

    fn batches(reader: impl Read) -> Vec<Batch<CheckName>> {
        let (sender, mut receiver) = mpsc::channel(100);
        read_entries(BufReader::new(reader), &sender, parse_name);
        drop(sender);
        std::iter::from_fn(|| receiver.try_recv().ok()).collect()
    }

    fn entries(text: &[u8]) -> Vec<Entry<CheckName>> {
        batches(text)
            .into_iter()
            .flat_map(|batch| batch.expect("a slice always reads"))
            .collect()
    }

    fn name(line: u64, text: &str) -> Entry<CheckName> {
        Entry::Target {
            line: Some(line),
            target: CheckName::parse(text).unwrap(),
        }
    }

    #[test]
    fn blank_lines_and_comments_are_skipped_and_blanks_trimmed() {
        let text = b"# audit\n\n  a.example.com  \r\n\tb.example.com # prod\n   \n*.c.example.com";
        assert_eq!(
            entries(text),
            vec![
                name(3, "a.example.com"),
                name(4, "b.example.com"),
                name(6, "*.c.example.com")
            ]
        );
    }

    #[test]
    fn invalid_lines_are_reported_in_place_with_their_number() {
        let got = entries(b"a.example.com\n192.0.2.1\nb..example.com\n\xff.example.com\n");
        assert_eq!(got.len(), 4);
        assert!(matches!(&got[1], Entry::Invalid { line: 2, input, reason }
            if input == "192.0.2.1" && reason.contains("IP addresses")));
        assert!(matches!(&got[2], Entry::Invalid { line: 3, .. }));
        assert!(
            matches!(&got[3], Entry::Invalid { line: 4, reason, .. } if reason.contains("UTF-8"))
        );
    }

    /// Reads its text, then fails.
    struct FailingAfter<'a>(&'a [u8]);

    impl Read for FailingAfter<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("the disk is on fire"));
            }
            let length = self.0.len().min(buffer.len());
            buffer[..length].copy_from_slice(&self.0[..length]);
            self.0 = &self.0[length..];
            Ok(length)
        }
    }

    #[test]
    fn a_read_error_ends_the_input_with_the_line_reached_not_an_invalid_line() {
        let got = batches(FailingAfter(b"a.example.com\nb.example.com\n"));
        let (failure, entries) = got.split_last().unwrap();
        let read: Vec<Entry<CheckName>> = entries
            .iter()
            .flat_map(|b| b.as_ref().unwrap().clone())
            .collect();
        assert_eq!(
            read,
            vec![name(1, "a.example.com"), name(2, "b.example.com")]
        );
        let failure = failure.as_ref().unwrap_err();
        assert_eq!(failure.line, 3);
        assert_eq!(failure.error.to_string(), "the disk is on fire");
    }

    #[test]
    fn an_overlong_line_is_refused_without_being_kept() {
        let mut text = vec![b'a'; 5000];
        text.extend(b"\nok.example.com\n");
        let got = entries(&text);
        assert!(matches!(&got[0], Entry::Invalid { line: 1, input, .. } if input.is_empty()));
        assert_eq!(got[1], name(2, "ok.example.com"));
    }
}
