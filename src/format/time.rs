//! Timestamps of the log: RFC 3339, UTC, with a `Z` suffix.
//!
//! The text an author wrote is kept beside the instant it names, so that a line re-serialised
//! by accord carries the same bytes and the state can print an `occurred` exactly as logged.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, SubsecRound, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest timestamp text accepted: `YYYY-MM-DDTHH:MM:SS.fffffffffZ` is 30 characters.
const MAX_TIMESTAMP_CHARS: usize = 30;

/// An instant in UTC together with the exact text it was written as.
#[derive(Clone, Debug)]
pub struct Timestamp {
    instant: DateTime<Utc>,
    text: TimestampText,
}

/// Room for any text a timestamp can have: the log's form takes at most 30 bytes, and
/// chrono's widest instant (`+262143-12-31T23:59:59.999999999Z`) 33.
const TEXT_CAPACITY: usize = 34;

/// A timestamp's text held inline: every line carries two, and a heap string each was a
/// tenth of the reader's allocations.
#[derive(Clone, Copy)]
struct TimestampText {
    len: u8,
    bytes: [u8; TEXT_CAPACITY],
}

impl TimestampText {
    /// `text` is ASCII (the log's form, or chrono's); anything past the capacity, which
    /// neither produces, is dropped rather than trusted.
    fn new(text: &str) -> TimestampText {
        debug_assert!(text.is_ascii() && text.len() <= TEXT_CAPACITY, "{text}");
        let len = text.len().min(TEXT_CAPACITY);
        let mut bytes = [0; TEXT_CAPACITY];
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        TimestampText {
            len: len as u8,
            bytes,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for TimestampText {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), formatter)
    }
}

/// The days that ended in a leap second (23:59:60 UTC), from IERS Bulletin C: the only
/// days on which a second 60 exists. The list ends with 2016-12-31; none was inserted since,
/// and a `:60` on any other day names no second that was.
const LEAP_SECOND_DAYS: [(i32, u32, u32); 27] = [
    (1972, 6, 30),
    (1972, 12, 31),
    (1973, 12, 31),
    (1974, 12, 31),
    (1975, 12, 31),
    (1976, 12, 31),
    (1977, 12, 31),
    (1978, 12, 31),
    (1979, 12, 31),
    (1981, 6, 30),
    (1982, 6, 30),
    (1983, 6, 30),
    (1985, 6, 30),
    (1987, 12, 31),
    (1989, 12, 31),
    (1990, 12, 31),
    (1992, 6, 30),
    (1993, 6, 30),
    (1994, 6, 30),
    (1995, 12, 31),
    (1997, 6, 30),
    (1998, 12, 31),
    (2005, 12, 31),
    (2008, 12, 31),
    (2012, 6, 30),
    (2015, 6, 30),
    (2016, 12, 31),
];

/// Whether `date` ended in a leap second.
pub fn has_leap_second(date: NaiveDate) -> bool {
    LEAP_SECOND_DAYS.contains(&(date.year(), date.month(), date.day()))
}

/// Why a text is not a time the log or a command takes; each holds the text, shortened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("`{0}` is not an RFC 3339 UTC timestamp like 2021-05-06T12:00:00Z")]
    NotUtcTimestamp(String),
    #[error("`{shown}` is not a valid timestamp: {reason}")]
    Invalid {
        shown: String,
        reason: chrono::ParseError,
    },
    #[error(
        "`{0}` names a second 60 that never was: leap seconds fall at 23:59:60 UTC, only on the 27 days from 1972-06-30 to 2016-12-31 that had one"
    )]
    NoSuchLeapSecond(String),
    #[error("`{0}` is not a date")]
    NotADate(String),
    #[error("`{0}` is neither an RFC 3339 time nor a period (YYYY-MM-DD, YYYY-MM, YYYY)")]
    NeitherTimeNorPeriod(String),
    #[error(
        "`{0}` is not a world time: a point (2021-05-04T09:30:00Z), a period (2021, 2021-05 or 2021-05-04, each with ~ or ? after it or not) or an interval A/B of points and periods without ~ or ?"
    )]
    NotAWorldTime(String),
    #[error("`{0}` names a day or month that does not exist")]
    NoSuchDay(String),
    #[error("`{0}`: an interval's first side starts after its second")]
    IntervalBackwards(String),
    #[error(
        "`{shown}` has {digits} digits of a second; accord keeps time to the nanosecond (9 digits), and does not cut a time short"
    )]
    TooManyDigits { shown: String, digits: usize },
}

/// Most digits of a second's fraction: nanoseconds.
const MAX_FRACTION_DIGITS: usize = 9;

/// A second 60 (chrono holds it as second 59 with a nanosecond count of a billion or more)
/// is accepted only at 23:59:60 UTC of a day that had one.
fn check_leap_second(instant: DateTime<Utc>, text: &str) -> Result<(), TimeError> {
    if instant.nanosecond() < 1_000_000_000 {
        return Ok(());
    }
    let at_end_of_day = instant.hour() == 23 && instant.minute() == 59 && instant.second() == 59;
    if at_end_of_day && has_leap_second(instant.date_naive()) {
        return Ok(());
    }
    Err(TimeError::NoSuchLeapSecond(shorten(text)))
}

/// The digits of a time's fraction of a second (`.123` has 3), counted in its text.
fn fraction_digits(text: &str) -> usize {
    let Some(dot) = text.find('.') else {
        return 0;
    };
    text[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count()
}

/// The last nanosecond of `date` (the leap second's last one on a day that had one).
pub(crate) fn end_of_day(date: NaiveDate) -> Option<DateTime<Utc>> {
    let nanosecond = if has_leap_second(date) {
        1_999_999_999
    } else {
        999_999_999
    };
    Some(date.and_hms_nano_opt(23, 59, 59, nanosecond)?.and_utc())
}

impl Timestamp {
    /// Parses the log's timestamp form: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        let well_formed = text.len() >= 20
            && text.len() <= MAX_TIMESTAMP_CHARS
            && text.is_ascii()
            && text.as_bytes()[10] == b'T'
            && text.ends_with('Z');
        if !well_formed {
            return Err(TimeError::NotUtcTimestamp(shorten(text)));
        }
        let parsed = DateTime::parse_from_rfc3339(text).map_err(|error| TimeError::Invalid {
            shown: shorten(text),
            reason: error,
        })?;
        let instant = parsed.with_timezone(&Utc);
        check_leap_second(instant, text)?;
        Ok(Timestamp {
            instant,
            text: TimestampText::new(text),
        })
    }

    /// A time given on the command line: RFC 3339 (any offset, at most nanoseconds) or a
    /// period, which means its end in UTC (its last nanosecond): a day `2021-05-04`, a month
    /// `2021-05`, a year `2021`. So `--as-of 2021-05-04` includes the 4th, and the leap
    /// second of a day that had one.
    pub fn parse_argument(text: &str) -> Result<Timestamp, TimeError> {
        if let Some(end) = end_of_period(text) {
            return end
                .map(Timestamp::from_instant)
                .ok_or_else(|| TimeError::NotADate(shorten(text)));
        }
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|_| TimeError::NeitherTimeNorPeriod(shorten(text)))?;
        let digits = fraction_digits(text);
        if digits > MAX_FRACTION_DIGITS {
            return Err(TimeError::TooManyDigits {
                shown: shorten(text),
                digits,
            });
        }
        let instant = parsed.with_timezone(&Utc);
        check_leap_second(instant, text)?;
        Ok(Timestamp::from_instant(instant))
    }

    /// The canonical text accord writes: microseconds, `Z`.
    pub fn from_instant(instant: DateTime<Utc>) -> Timestamp {
        Timestamp {
            instant,
            text: TimestampText::new(&instant.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }

    /// The time accord stamps on what it records: the clock, to the microsecond.
    pub fn recorded_now(clock: DateTime<Utc>) -> Timestamp {
        // The instant must be what the text says, or the line would not read back the same.
        let instant = clock.trunc_subsecs(6);
        Timestamp {
            instant,
            text: TimestampText::new(&instant.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }

    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    pub fn as_str(&self) -> &str {
        self.text.as_str()
    }

    /// The date part, for people: `2021-05-04`.
    pub fn date(&self) -> &str {
        let text = self.as_str();
        text.get(..10).unwrap_or(text)
    }
}

/// The end of the period `text` names, when it has a period's form: `Some(None)` for a
/// period's form that names no real day or month (`2021-02-30`), `None` for another form.
fn end_of_period(text: &str) -> Option<Option<DateTime<Utc>>> {
    let digits =
        |part: &str, count: usize| part.len() == count && part.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = text.split('-').collect();
    match parts[..] {
        [year, month, day] if digits(year, 4) && digits(month, 2) && digits(day, 2) => Some(
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(end_of_day),
        ),
        [year, month] if digits(year, 4) && digits(month, 2) => {
            let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            Some(
                NaiveDate::from_ymd_opt(year, month, 1)
                    .and(next)
                    .and_then(|next| next.pred_opt())
                    .and_then(end_of_day),
            )
        }
        [year] if digits(year, 4) => {
            let year: i32 = year.parse().ok()?;
            Some(NaiveDate::from_ymd_opt(year, 12, 31).and_then(end_of_day))
        }
        _ => None,
    }
}

pub(crate) fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN).collect();
        format!("{head}…")
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}
impl Eq for Timestamp {}
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::format::ids::deserialize_str_with(deserializer, "a string", Timestamp::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_log_form_and_refuses_others() {
        assert!(Timestamp::parse("2021-05-06T12:00:00Z").is_ok());
        assert!(Timestamp::parse("2021-05-06T12:00:00.123456Z").is_ok());
        for bad in [
            "2021-05-06T12:00:00+00:00",
            "2021-05-06 12:00:00Z",
            "2021-05-06",
            "2021-02-30T12:00:00Z",
            "2021-05-06T12:00:00z",
            "",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_second_60_exists_only_at_the_end_of_a_leap_second_day() {
        // Post-mortem: chrono reads `:60` at any minute of any day; accord took it as given.
        for real in ["2016-12-31T23:59:60Z", "1972-06-30T23:59:60.5Z"] {
            assert!(Timestamp::parse(real).is_ok(), "{real}");
        }
        for never in [
            "2021-02-03T12:30:60Z",
            "2016-12-30T23:59:60Z",
            "2016-12-31T22:59:60Z",
            "2021-12-31T23:59:60Z",
        ] {
            let refused = Timestamp::parse(never).unwrap_err();
            assert!(
                matches!(refused, TimeError::NoSuchLeapSecond(_)),
                "{refused}"
            );
            assert!(Timestamp::parse_argument(never).is_err(), "{never}");
        }
        // The same second written with an offset.
        assert!(Timestamp::parse_argument("2017-01-01T00:59:60+01:00").is_ok());
    }

    #[test]
    fn a_period_counts_its_leap_second() {
        // Post-mortem: `--as-of 2016-12-31` ended at 23:59:59.999999999 and left the leap
        // second of that day out.
        let leap = Timestamp::parse("2016-12-31T23:59:60.999Z").unwrap();
        for period in ["2016-12-31", "2016-12", "2016"] {
            let end = Timestamp::parse_argument(period).unwrap();
            assert!(leap <= end, "{period}");
            assert!(
                end < Timestamp::parse("2017-01-01T00:00:00Z").unwrap(),
                "{period}"
            );
        }
        let may = Timestamp::parse_argument("2021-05").unwrap();
        assert!(may > Timestamp::parse("2021-05-31T23:59:59.999Z").unwrap());
        assert!(may < Timestamp::parse("2021-06-01T00:00:00Z").unwrap());
        assert!(Timestamp::parse_argument("2021-02-30").is_err());
        assert!(Timestamp::parse_argument("2021-13").is_err());
    }

    #[test]
    fn an_argument_is_never_cut_short() {
        // Post-mortem: ten digits of a second were cut to nine without a word.
        assert!(Timestamp::parse_argument("2021-05-06T12:00:00.123456789Z").is_ok());
        let refused = Timestamp::parse_argument("2021-05-06T12:00:00.1234567891Z").unwrap_err();
        assert!(refused.to_string().contains("10 digits"), "{refused}");
    }

    #[test]
    fn a_bare_date_argument_means_the_end_of_that_day() {
        let end = Timestamp::parse_argument("2021-05-04").unwrap();
        assert!(end > Timestamp::parse("2021-05-04T23:59:59Z").unwrap());
        assert!(end < Timestamp::parse("2021-05-05T00:00:00Z").unwrap());
    }
}
