//! The clock: now, as certificates and DNSSEC signatures count time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in seconds since the Unix epoch: the time every certificate is judged at.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Now as DNSSEC signatures count it: 32-bit seconds since the Unix epoch (RFC 4034 §3.1.5).
pub fn signature_now() -> u32 {
    u32::try_from(unix_now()).unwrap_or(u32::MAX)
}
