//! Helpers for the unit tests of `cert`: the test PKI at a fixed instant, and its DER
//! certificates parsed.

use time::OffsetDateTime;

use super::certificate::Certificate;
use super::pki::Pki;

/// 2026-01-01T00:00:00Z, the instant every unit test's PKI is made at and judged at.
pub const NOW: i64 = 1_767_225_600;

/// A fresh test PKI made at `NOW`.
pub fn at_now() -> Pki {
    Pki::at(OffsetDateTime::from_unix_timestamp(NOW).expect("NOW is a valid instant"))
}

/// Each DER certificate parsed.
pub fn parse_all<const N: usize>(ders: [Vec<u8>; N]) -> [Certificate; N] {
    ders.map(|der| Certificate::parse(&der).expect("the test PKI's certificates parse"))
}
