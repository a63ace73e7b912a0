//! Timestamps as Label Studio writes them: UTC, microsecond precision.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to microseconds so what we store is what we return.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `2026-11-28T19:57:44.606514Z`, Label Studio's datetime format. Written field by field:
/// exports format millions of these, and `strftime`-style patterns are parsed on every call.
pub fn format(at: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut out = String::with_capacity(27);
    let micros = at.nanosecond() % 1_000_000_000 / 1_000;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        micros
    );
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn formats_like_label_studio() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::microseconds(6);
        assert_eq!(super::format(&at), "2026-01-02T03:04:05.000006Z");
    }
}
