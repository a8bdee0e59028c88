//! `input::parse_line` on arbitrary bytes: it reads every line of an `--input` file, which may
//! hold anything (binary data, other encodings), so it must never panic. Lines reach it without
//! their newline and at most 1024 octets long (`MAX_LINE`), hence the `-max_len` of 1024.
//!
//! What the module documents: nothing for a blank or comment-only line; otherwise an entry
//! carrying the given line number. A line that yields `Entry::Target` holds a name that re-parses
//! to itself (`CheckName::parse(&name.to_string()) == Ok(name)`).

#![no_main]

use certready::commands::check::CheckJob;
use certready::name::CheckName;
use certready::runner::Job;
use certready::runner::input::{Entry, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let number = data.len() as u64 + 1;
    match parse_line(number, data, CheckJob::parse) {
        None => {
            let text = std::str::from_utf8(data).expect("a non-UTF-8 line is an Invalid entry");
            let before_comment = text.split('#').next().unwrap_or_default();
            assert!(before_comment.trim().is_empty(), "skipped {text:?}");
        }
        Some(Entry::Target { line, target: name }) => {
            assert_eq!(line, Some(number));
            let shown = name.to_string();
            assert_eq!(
                CheckName::parse(&shown),
                Ok(name.clone()),
                "line {data:?} gave {name:?}, shown as {shown:?}"
            );
        }
        Some(Entry::Invalid { line, .. }) => assert_eq!(line, number),
    }
});
