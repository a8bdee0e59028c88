//! Messages for the person running certready, on stderr. A stderr that cannot be written (closed,
//! a broken pipe, a vanished terminal) is ignored: never a panic, never another exit status.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Duration;

/// Writes `certready: MESSAGE` and a newline to stderr, whatever becomes of it.
pub fn warn(message: impl Display) {
    let _ = writeln!(io::stderr(), "certready: {message}");
}

/// `warn`, but waiting at most `patience` for it: stderr may be a terminal or a pipe nobody
/// reads, and a run that has been told to stop must not hang on its last words. The line is
/// written on a thread of its own, which a blocked write leaves behind.
pub fn warn_within(message: String, patience: Duration) {
    let (done, written) = mpsc::channel();
    let writer = std::thread::Builder::new().spawn(move || {
        warn(message);
        let _ = done.send(());
    });
    if writer.is_ok() {
        let _ = written.recv_timeout(patience);
    }
}
