//! Timestamps as Label Studio writes them: UTC, microsecond precision.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to microseconds so what we store is what we return.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `2026-11-28T19:57:44.606514Z`, Label Studio's datetime format.
pub fn format(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
