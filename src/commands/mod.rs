//! The commands' jobs: each fetches through a shell (DNS, TLS, files) and hands what it fetched
//! to a core (CAA, certificates) to judge.
//!
//! - `check`: may the CA issue for a name; `bundle`: is a PEM bundle ready to upload;
//!   `expiry`: is the certificate a server serves sound; `twilio`: a Link Shortening domain,
//!   Twilio's view beside the world's.
//! - here: the clock every command judges certificates by.

pub mod bundle;
pub mod check;
pub mod expiry;
pub mod twilio;

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in seconds since the Unix epoch: the time every certificate is judged at.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}
