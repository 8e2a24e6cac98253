//! Timestamps: UTC, RFC 3339 with `Z`, in the API and in the database.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, as RFC 3339 UTC with millisecond precision and a `Z` suffix. Millisecond precision
/// keeps "newest first" orderings stable for rows created within the same second.
pub fn now_rfc3339() -> String {
    format_rfc3339(Utc::now())
}

pub fn format_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp (any offset) into UTC.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_z_and_round_trip() {
        let s = now_rfc3339();
        assert!(s.ends_with('Z'), "{s}");
        let t = parse_rfc3339(&s).expect("parses");
        assert_eq!(format_rfc3339(t), s);
        assert!(parse_rfc3339("yesterday").is_none());
    }
}
