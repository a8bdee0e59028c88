//! The commands' jobs: each fetches through a shell (DNS, TLS, files) and hands what it fetched
//! to a core (CAA, certificates) to judge.
//!
//! - `check`: may the CA issue for a name; `bundle`: is a PEM bundle ready to upload;
//!   `expiry`: is the certificate a server serves sound; `twilio`: a Link Shortening domain,
//!   Twilio's view beside the world's; `wait`: after a DNS change, until every authoritative
//!   server leads to the verdict awaited.
//! - here: stdout for the commands that write a finished report rather than stream one
//!   through the runner.

pub mod bundle;
pub mod check;
pub mod expiry;
pub mod twilio;
pub mod wait;

use std::io::Write;

use crate::diagnostics::warn;
use crate::exit::ExitStatus;

/// Writes a finished report and a newline to stdout.
pub fn print_report(text: &[u8]) -> Result<(), ExitStatus> {
    write_stdout(&[text, b"\n"].concat())
}

/// Writes bytes to stdout. Output that cannot be written did not finish (status 5); a reader
/// gone away (`| head`) is said nothing of: it has what it wanted.
pub fn write_stdout(bytes: &[u8]) -> Result<(), ExitStatus> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(ExitStatus::Unfinished),
        Err(error) => {
            warn(format_args!("cannot write to standard output: {error}"));
            Err(ExitStatus::Unfinished)
        }
    }
}
