//! The zone-line reader and writer (`zone::parse_zone_line`, `zone::zone_line`). Lines come
//! from the user (`--assume`), and written lines are pasted into zones, so:
//!
//! 1. `parse_zone_line` never panics, whatever the text (input bytes read as UTF-8, lossily);
//!    and any record it reads is written by `zone_line` as a line that reads back as exactly
//!    the same `(owner, record)`, in printable ASCII.
//! 2. Structured, from the same bytes: a `CaaRecord` with any flags, any tag of up to
//!    `MAX_TAG` octets and any value that keeps the RDATA within `MAX_RDATA`: its line, written
//!    at `owner.example.test`, is printable ASCII and reads back as exactly that record.
//!    Layout: flags, tag length, tag, a size octet, then the value. A size octet of 0xf0 or
//!    more makes the value the given bytes cycled up to the largest length that fits in RDATA,
//!    less (size - 0xf0): values at and just under the 65,535-octet limit are reached from
//!    short inputs, but only for 1 input in 16, as each costs milliseconds.

#![no_main]

use certready::caa::answers::CaaRecord;
use certready::caa::zone::{MAX_RDATA, MAX_TAG, parse_zone_line, zone_line};
use libfuzzer_sys::fuzz_target;

fn assert_printable(line: &str) {
    assert!(
        line.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "line not printable ASCII: {line:?}"
    );
}

fn text_round_trip(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok((owner, record)) = parse_zone_line(&text) else {
        return;
    };
    let line = zone_line(&owner, &record);
    assert_printable(&line);
    assert_eq!(
        parse_zone_line(&line),
        Ok((owner, record)),
        "read from {text:?}, written as {line:?}"
    );
}

fn record_from(data: &[u8]) -> Option<CaaRecord> {
    let (&flags, rest) = data.split_first()?;
    let (&tag_length, rest) = rest.split_first()?;
    let tag_length = usize::from(tag_length).min(rest.len());
    debug_assert!(tag_length <= MAX_TAG);
    let (tag, rest) = rest.split_at(tag_length);
    let (size, value) = match rest.split_first() {
        Some((&size, value)) => (size, value),
        None => (0, rest),
    };
    let room = MAX_RDATA - 2 - tag.len();
    let value: Vec<u8> = if size >= 0xf0 && !value.is_empty() {
        let length = room - usize::from(size - 0xf0);
        value.iter().copied().cycle().take(length).collect()
    } else {
        value[..value.len().min(room)].to_vec()
    };
    Some(CaaRecord::new(flags, tag, value))
}

fn structured_round_trip(data: &[u8]) {
    let Some(record) = record_from(data) else {
        return;
    };
    let line = zone_line("owner.example.test", &record);
    assert_printable(&line);
    assert_eq!(
        parse_zone_line(&line),
        Ok(("owner.example.test".to_owned(), record)),
        "written as {line:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    text_round_trip(data);
    structured_round_trip(data);
});
