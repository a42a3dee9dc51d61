//! Timestamps of the log: RFC 3339, UTC, with a `Z` suffix.
//!
//! The text an author wrote is kept beside the instant it names, so that a line re-serialised
//! by accord carries the same bytes and the state can print an `occurred` exactly as logged.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
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

impl Timestamp {
    /// Parses the log's timestamp form: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let well_formed = text.len() >= 20
            && text.len() <= MAX_TIMESTAMP_CHARS
            && text.is_ascii()
            && text.as_bytes()[10] == b'T'
            && text.ends_with('Z');
        if !well_formed {
            return Err(format!(
                "`{}` is not an RFC 3339 UTC timestamp like 2021-05-06T12:00:00Z",
                shorten(text)
            ));
        }
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|error| format!("`{}` is not a valid timestamp: {error}", shorten(text)))?;
        Ok(Timestamp {
            instant: parsed.with_timezone(&Utc),
            text: TimestampText::new(text),
        })
    }

    /// A time given on the command line: RFC 3339 (any offset) or a bare date, which means the
    /// end of that day in UTC (its last nanosecond), so `--as-of 2021-05-04` includes the 4th.
    pub fn parse_argument(text: &str) -> Result<Timestamp, String> {
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            let end_of_day = date
                .and_hms_nano_opt(23, 59, 59, 999_999_999)
                .ok_or_else(|| format!("`{text}` is not a date"))?
                .and_utc();
            return Ok(Timestamp::from_instant(end_of_day));
        }
        let parsed = DateTime::parse_from_rfc3339(text).map_err(|_| {
            format!(
                "`{}` is neither an RFC 3339 time nor a YYYY-MM-DD date",
                shorten(text)
            )
        })?;
        Ok(Timestamp::from_instant(parsed.with_timezone(&Utc)))
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

fn shorten(text: &str) -> String {
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
    fn a_bare_date_argument_means_the_end_of_that_day() {
        let end = Timestamp::parse_argument("2021-05-04").unwrap();
        assert!(end > Timestamp::parse("2021-05-04T23:59:59Z").unwrap());
        assert!(end < Timestamp::parse("2021-05-05T00:00:00Z").unwrap());
    }
}
