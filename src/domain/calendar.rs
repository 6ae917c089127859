//! The cluster's calendar: dates are Madrid dates.
//!
//! "Today", a deadline's day, a membership's start and a decision's date are all read on
//! the official time of Spain (Europe/Madrid), the time in which calls, agreements and
//! assemblies are dated. Using UTC for some and Madrid for others made them disagree between
//! midnight and 01:00/02:00; every module asks this one place instead.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The time zone of the calendar.
pub const ZONE: chrono_tz::Tz = chrono_tz::Europe::Madrid;

/// Today's date in Madrid.
pub fn today() -> NaiveDate {
    date_of(Utc::now())
}

/// The Madrid date of an instant.
pub fn date_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&ZONE).date_naive()
}

/// An instant shown in Madrid time, with its offset (`+01:00` or `+02:00`).
pub fn local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&ZONE).fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn madrid_is_a_day_ahead_of_utc_just_before_midnight_utc() {
        let at = Utc.with_ymd_and_hms(2025, 6, 30, 22, 30, 0).single();
        let at = at.unwrap_or_default();
        assert_eq!(
            date_of(at),
            NaiveDate::from_ymd_opt(2025, 7, 1).unwrap_or_default()
        );
        assert_eq!(local(at).to_rfc3339(), "2025-07-01T00:30:00+02:00");
    }
}
