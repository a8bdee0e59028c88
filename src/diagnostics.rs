//! Messages for the person running certready, on stderr. A stderr that cannot be written (closed,
//! a broken pipe, a vanished terminal) is ignored: never a panic, never another exit status.

use std::fmt::Display;
use std::io::{self, Write};

/// Writes `certready: MESSAGE` and a newline to stderr, whatever becomes of it.
pub fn warn(message: impl Display) {
    let _ = writeln!(io::stderr(), "certready: {message}");
}
