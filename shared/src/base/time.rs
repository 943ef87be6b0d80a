//! Wall-clock time as epoch seconds, the unit of every `exp`, `iat` and
//! `expires_at`.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Epoch seconds as an ISO 8601 UTC timestamp (`2026-12-06T22:57:57Z`),
/// as DRF's `DateTimeField` renders one (without fractions of a second).
pub fn iso8601(secs: i64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_default()
}
