//! `name::CheckName::parse` on arbitrary text (bytes read as UTF-8, lossily): it reads what a
//! user typed or an `--input` file held, Unicode included (UTS #46), so it must never panic.
//!
//! A name it accepts must be what the module documents, a fixed point of parsing: its base is
//! lowercase ASCII letters, digits, hyphens and dots, at most 253 octets, no trailing dot; and
//! `CheckName::parse(&name.to_string()) == Ok(name)` (the report shows `to_string()`, and a
//! re-run with that text must check the same name). Its `climb()` must not panic and must go
//! from the base name up, one label at a time.

#![no_main]

use certready::name::CheckName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let name = match CheckName::parse(&text) {
        Ok(name) => name,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let base = &name.base;
    assert!(
        base.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
        "base {base:?} from {text:?}"
    );
    assert!(!base.is_empty() && base.len() <= 253 && !base.ends_with('.'));
    let shown = name.to_string();
    assert_eq!(
        CheckName::parse(&shown),
        Ok(name.clone()),
        "{text:?} parsed to {name:?}, shown as {shown:?}"
    );
    let climb = name.climb();
    assert_eq!(climb.first(), Some(base));
    for pair in climb.windows(2) {
        assert!(pair[0].ends_with(&format!(".{}", pair[1])), "{climb:?}");
    }
    assert_eq!(climb.len(), base.split('.').count());
});
