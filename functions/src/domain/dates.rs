//! Calendar dates of unix times, as the handler shows and reasons about them.

use chrono::{DateTime, Local, NaiveDate};

/// The local calendar date of a unix time.
pub fn local_date(unix: i64) -> NaiveDate {
    DateTime::from_timestamp(unix, 0)
        .map(|d| d.with_timezone(&Local).date_naive())
        .unwrap_or_default()
}

/// "1er décembre 2026": the French long date of a unix time.
pub fn unix_date_fr(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|d| territory::dates::french_long(d.date_naive()))
        .unwrap_or_default()
}

/// A date as people write it: "14/07/2026", "14-07-2026", "14.07.2026" or "2026-07-14" (what a
/// date field sends).
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&s.replace(['-', '.', ' '], "/"), "%d/%m/%Y"))
        .ok()
}
