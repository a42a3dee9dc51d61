//! World time (format version 2): when something happened, as precisely as the sources say.
//!
//! One of a *point* (an RFC 3339 UTC timestamp with `Z`, as in version 1), a *period*
//! (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, optionally followed by `~`, approximate, or `?`,
//! uncertain: EDTF levels 0 and 1), or an *interval* `A/B` of points and unqualified
//! periods, `A` not starting after `B`. Each spans `[start, end]` to the nanosecond: a
//! period from its first instant to its last (a day that ended with a leap second, and its
//! month and year, end at 23:59:60.999999999). Nothing else of EDTF is accepted (no `X`,
//! `..`, `%`, seasons, or a qualifier on a point or an interval's side).
//!
//! No crate fits this exactly: the EDTF crates accept the forms the format refuses and know
//! no leap seconds, so this is a typed parser of the small grammar, with property tests
//! against it below. The text as written is kept: a line re-serialised carries its bytes.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::time::{TimeError, Timestamp, end_of_day, shorten};

/// Longest world time accepted: an interval of two 30-character points and its `/`.
pub const MAX_WORLD_TIME_CHARS: usize = 61;

/// How much of a date a period gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Year,
    Month,
    Day,
}

/// What a period's author says of it: `~` (approximate: the author's estimate) or `?`
/// (uncertain: the source is unsure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    Approximate,
    Uncertain,
}

/// One side of an interval, or a world time that is not an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Point,
    Period(Precision),
}

/// Which of the three forms a world time has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Point,
    Period {
        precision: Precision,
        qualifier: Option<Qualifier>,
    },
    Interval {
        from: Side,
        to: Side,
    },
}

/// A world time: its text as written, the instants it spans, and its form.
#[derive(Clone, Debug)]
pub struct WorldTime(Repr);

/// A point is kept as the timestamp it is, inline (every version-1 line's `occurred` is
/// one: a heap string each would cost the reader an allocation a line); another form is
/// boxed.
#[derive(Clone, Debug)]
enum Repr {
    Point(Timestamp),
    Written(Box<Written>),
}

#[derive(Clone, Debug)]
struct Written {
    text: Box<str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    form: Form,
}

/// The first day of a period written `text` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), its
/// precision, and its last day; `None` for another form, `Some(None)` for a period's form
/// that names no real day or month (`2021-02-30`, `2021-13`).
fn period_days(text: &str) -> Option<Option<(NaiveDate, Precision, NaiveDate)>> {
    let digits =
        |part: &str, count: usize| part.len() == count && part.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str| part.parse::<u32>().ok();
    Some(match parts[..] {
        [year, month, day] if digits(year, 4) && digits(month, 2) && digits(day, 2) => {
            let year = year.parse::<i32>().ok()?;
            NaiveDate::from_ymd_opt(year, number(month)?, number(day)?)
                .map(|date| (date, Precision::Day, date))
        }
        [year, month] if digits(year, 4) && digits(month, 2) => {
            let year = year.parse::<i32>().ok()?;
            let month = number(month)?;
            let first = NaiveDate::from_ymd_opt(year, month, 1);
            let next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            first
                .zip(next.and_then(|next| next.pred_opt()))
                .map(|(first, last)| (first, Precision::Month, last))
        }
        [year] if digits(year, 4) => {
            let year = year.parse::<i32>().ok()?;
            NaiveDate::from_ymd_opt(year, 1, 1)
                .zip(NaiveDate::from_ymd_opt(year, 12, 31))
                .map(|(first, last)| (first, Precision::Year, last))
        }
        _ => return None,
    })
}

/// A side of an interval, or an unqualified world time: (start, end, side).
fn parse_side(text: &str, whole: &str) -> Result<(DateTime<Utc>, DateTime<Utc>, Side), TimeError> {
    if let Some(days) = period_days(text) {
        let (first, precision, last) = days.ok_or_else(|| TimeError::NoSuchDay(shorten(whole)))?;
        let start = first
            .and_hms_opt(0, 0, 0)
            .map(|start| start.and_utc())
            .ok_or_else(|| TimeError::NoSuchDay(shorten(whole)))?;
        let end = end_of_day(last).ok_or_else(|| TimeError::NoSuchDay(shorten(whole)))?;
        return Ok((start, end, Side::Period(precision)));
    }
    if text.contains('T') {
        let point = Timestamp::parse(text)?;
        return Ok((point.instant(), point.instant(), Side::Point));
    }
    Err(TimeError::NotAWorldTime(shorten(whole)))
}

impl WorldTime {
    /// Parses a world time (the grammar above); impossible values are refused.
    pub fn parse(text: &str) -> Result<WorldTime, TimeError> {
        if text.is_empty() || text.len() > MAX_WORLD_TIME_CHARS || !text.is_ascii() {
            return Err(TimeError::NotAWorldTime(shorten(text)));
        }
        // The common case first: a point, as every version-1 line has.
        if text.len() >= 20 && text.as_bytes()[10] == b'T' && !text.contains('/') {
            return Timestamp::parse(text).map(|point| WorldTime(Repr::Point(point)));
        }
        let (start, end, form) = if let Some((from, to)) = text.split_once('/') {
            let (start, _, from_side) = parse_side(from, text)?;
            let (to_start, end, to_side) = parse_side(to, text)?;
            if start > to_start {
                return Err(TimeError::IntervalBackwards(shorten(text)));
            }
            (
                start,
                end,
                Form::Interval {
                    from: from_side,
                    to: to_side,
                },
            )
        } else {
            let (body, qualifier) = match text.as_bytes()[text.len() - 1] {
                b'~' => (&text[..text.len() - 1], Some(Qualifier::Approximate)),
                b'?' => (&text[..text.len() - 1], Some(Qualifier::Uncertain)),
                _ => (text, None),
            };
            match parse_side(body, text)? {
                (start, end, Side::Period(precision)) => (
                    start,
                    end,
                    Form::Period {
                        precision,
                        qualifier,
                    },
                ),
                (_, _, Side::Point) if qualifier.is_some() => {
                    return Err(TimeError::NotAWorldTime(shorten(text)));
                }
                (start, end, Side::Point) => (start, end, Form::Point),
            }
        };
        debug_assert!(start <= end);
        Ok(WorldTime(Repr::Written(Box::new(Written {
            text: text.into(),
            start,
            end,
            form,
        }))))
    }

    /// The world time of a point (a version-1 `occurred`).
    pub fn of_point(point: Timestamp) -> WorldTime {
        WorldTime(Repr::Point(point))
    }

    /// Its first instant: what the order of application sorts by.
    pub fn start(&self) -> DateTime<Utc> {
        match &self.0 {
            Repr::Point(point) => point.instant(),
            Repr::Written(written) => written.start,
        }
    }

    /// Its last instant.
    pub fn end(&self) -> DateTime<Utc> {
        match &self.0 {
            Repr::Point(point) => point.instant(),
            Repr::Written(written) => written.end,
        }
    }

    pub fn form(&self) -> Form {
        match &self.0 {
            Repr::Point(_) => Form::Point,
            Repr::Written(written) => written.form,
        }
    }

    /// The point it is, if it is one.
    pub fn as_point(&self) -> Option<&Timestamp> {
        match &self.0 {
            Repr::Point(point) => Some(point),
            Repr::Written(_) => None,
        }
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Point(point) => point.as_str(),
            Repr::Written(written) => &written.text,
        }
    }
}

/// A month's name, for people.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A period for people: `2021`, `May 2021`, `6 May 2021`.
fn period_for_people(start: DateTime<Utc>, precision: Precision) -> String {
    use chrono::Datelike;
    let month = MONTHS[start.month0() as usize];
    match precision {
        Precision::Year => start.year().to_string(),
        Precision::Month => format!("{month} {}", start.year()),
        Precision::Day => format!("{} {month} {}", start.day(), start.year()),
    }
}

impl WorldTime {
    /// The world time for people, as precisely as it was written: a point as written,
    /// `May 2021`, `about May 2021` (`~`), `May 2021, uncertain` (`?`), `between 1 and 6
    /// May 2021` (an interval of two days of one month; other intervals name both sides in
    /// full).
    pub fn for_people(&self) -> String {
        use chrono::Datelike;
        match self.form() {
            Form::Point => self.as_str().to_string(),
            Form::Period {
                precision,
                qualifier,
            } => {
                let period = period_for_people(self.start(), precision);
                match qualifier {
                    None => period,
                    Some(Qualifier::Approximate) => format!("about {period}"),
                    Some(Qualifier::Uncertain) => format!("{period}, uncertain"),
                }
            }
            Form::Interval { from, to } => {
                let (from_text, to_text) = self
                    .as_str()
                    .split_once('/')
                    .unwrap_or((self.as_str(), self.as_str()));
                let side = |side: Side, text: &str, start: DateTime<Utc>| match side {
                    Side::Point => text.to_string(),
                    Side::Period(precision) => period_for_people(start, precision),
                };
                let to_start = WorldTime::parse(to_text)
                    .map(|to| to.start())
                    .unwrap_or(self.end());
                let same_month = from == Side::Period(Precision::Day)
                    && to == Side::Period(Precision::Day)
                    && (self.start().year(), self.start().month())
                        == (to_start.year(), to_start.month());
                if same_month {
                    return format!(
                        "between {} and {}",
                        self.start().day(),
                        period_for_people(to_start, Precision::Day)
                    );
                }
                format!(
                    "between {} and {}",
                    side(from, from_text, self.start()),
                    side(to, to_text, to_start)
                )
            }
        }
    }
}

impl PartialEq for WorldTime {
    /// Two world times are the same when written the same: `2021-05` and
    /// `2021-05-01/2021-05-31` span the same instants but say different things.
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for WorldTime {}

impl fmt::Display for WorldTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for WorldTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WorldTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::ids::deserialize_str_with(deserializer, "a string", WorldTime::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Duration, TimeZone};
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_spec_examples_span_what_the_spec_says() {
        let may = WorldTime::parse("2021-05").unwrap();
        assert_eq!(may.start(), at("2021-05-01T00:00:00Z"));
        assert_eq!(may.end(), at("2021-05-31T23:59:59.999999999Z"));
        let between = WorldTime::parse("2021-05-01/2021-05-06").unwrap();
        assert_eq!(between.start(), at("2021-05-01T00:00:00Z"));
        assert_eq!(between.end(), at("2021-05-06T23:59:59.999999999Z"));
        let point = WorldTime::parse("2021-05-04T09:30:00Z").unwrap();
        assert_eq!(
            (point.start(), point.end()),
            (point.start(), at("2021-05-04T09:30:00Z"))
        );
        assert_eq!(
            WorldTime::parse("2021-05~").unwrap().form(),
            Form::Period {
                precision: Precision::Month,
                qualifier: Some(Qualifier::Approximate)
            }
        );
        assert_eq!(
            WorldTime::parse("2021?").unwrap().form(),
            Form::Period {
                precision: Precision::Year,
                qualifier: Some(Qualifier::Uncertain)
            }
        );
    }

    #[test]
    fn world_times_read_for_people_as_precisely_as_written() {
        for (text, shown) in [
            ("2021-05-04T09:30:00Z", "2021-05-04T09:30:00Z"),
            ("2021", "2021"),
            ("2021-05", "May 2021"),
            ("2021-05-06", "6 May 2021"),
            ("2021-05~", "about May 2021"),
            ("2021?", "2021, uncertain"),
            ("2021-05-01/2021-05-06", "between 1 and 6 May 2021"),
            (
                "2021-04-30/2021-05-06",
                "between 30 April 2021 and 6 May 2021",
            ),
            ("2020-12/2021-01", "between December 2020 and January 2021"),
            (
                "2021-05-04T09:30:00Z/2021-05-06",
                "between 2021-05-04T09:30:00Z and 6 May 2021",
            ),
        ] {
            assert_eq!(
                WorldTime::parse(text).unwrap().for_people(),
                shown,
                "{text}"
            );
        }
    }

    #[test]
    fn a_day_with_a_leap_second_and_its_month_and_year_end_in_it() {
        for text in ["2016-12-31", "2016-12", "2016"] {
            let end = WorldTime::parse(text).unwrap().end();
            assert_eq!(end, at("2016-12-31T23:59:60.999999999Z"), "{text}");
        }
        assert!(WorldTime::parse("2016-12-31T23:59:60Z").is_ok());
        assert!(WorldTime::parse("2017-12-31T23:59:60Z").is_err());
    }

    #[test]
    fn the_forms_the_format_does_not_take_are_refused() {
        for text in [
            "",
            "2021-02-30",
            "2021-13",
            "2021-00",
            "21-05",
            "2021-5",
            "202X",
            "2021-05-XX",
            "2021-21",
            "../2021",
            "2021/..",
            "2021-05%",
            "2021~?",
            "2021-05-04T09:30:00Z~",
            "2021~/2022",
            "2021/2022?",
            "2022/2021",
            "2021-05-06/2021-05-01",
            "2021/2022/2023",
            "2021-05-04T09:30:00+01:00",
            "2021-05-04T12:30:60Z",
            " 2021",
            "2021 ",
            "-2021",
            "+2021",
            "2021-05-04T25:00:00Z",
            "１９９１",
        ] {
            assert!(WorldTime::parse(text).is_err(), "{text} should be refused");
        }
    }

    /// The first instant of the period after the one starting at `first` of `precision`.
    fn next_start(first: NaiveDate, precision: Precision) -> DateTime<Utc> {
        let next = match precision {
            Precision::Day => first.succ_opt().unwrap(),
            Precision::Month if first.month() == 12 => {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).unwrap()
            }
            Precision::Month => {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).unwrap()
            }
            Precision::Year => NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).unwrap(),
        };
        Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).unwrap())
    }

    /// A period's text and its first day, drawn from the grammar.
    fn period() -> impl Strategy<Value = (String, NaiveDate, Precision)> {
        (1i32..=9998, 1u32..=12, 1u32..=31, 0usize..3).prop_filter_map(
            "a real day",
            |(year, month, day, which)| {
                let date = NaiveDate::from_ymd_opt(year, month, day)?;
                Some(match which {
                    0 => (
                        format!("{year:04}"),
                        NaiveDate::from_ymd_opt(year, 1, 1)?,
                        Precision::Year,
                    ),
                    1 => (
                        format!("{year:04}-{month:02}"),
                        NaiveDate::from_ymd_opt(year, month, 1)?,
                        Precision::Month,
                    ),
                    _ => (date.format("%Y-%m-%d").to_string(), date, Precision::Day),
                })
            },
        )
    }

    proptest! {
        /// Every period of the grammar parses and spans its first instant to the last
        /// nanosecond before the next period (a second more when its last day had a leap
        /// second), computed here another way.
        #[test]
        fn every_period_spans_its_days((text, first, precision) in period(), qualifier in 0usize..3) {
            let written = format!("{text}{}", ["", "~", "?"][qualifier]);
            let parsed = WorldTime::parse(&written).unwrap();
            let start = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap());
            let next = next_start(first, precision);
            let last_day = (next - Duration::days(1)).date_naive();
            // chrono's arithmetic knows no leap second: a day that had one ends at second
            // 59 with 1,999,999,999 nanoseconds, its way of writing 23:59:60.999999999.
            let end = if super::super::time::has_leap_second(last_day) {
                Utc.from_utc_datetime(&last_day.and_hms_nano_opt(23, 59, 59, 1_999_999_999).unwrap())
            } else {
                next - Duration::nanoseconds(1)
            };
            prop_assert_eq!(parsed.start(), start);
            prop_assert_eq!(parsed.end(), end);
            prop_assert_eq!(parsed.as_str(), written.as_str());
        }

        /// An interval of two sides spans from the first's start to the second's end, when
        /// the first does not start after the second; it is refused the other way round.
        #[test]
        fn an_interval_spans_from_its_first_side_to_its_second(
            (a, _, _) in period(),
            (b, _, _) in period(),
            hour in 0u32..24,
        ) {
            let point = format!("{}-01-01T{hour:02}:00:00Z", &b[..4]);
            for (from, to) in [(a.clone(), b.clone()), (a.clone(), point)] {
                let (left, right) = (WorldTime::parse(&from).unwrap(), WorldTime::parse(&to).unwrap());
                let interval = WorldTime::parse(&format!("{from}/{to}"));
                if left.start() <= right.start() {
                    let interval = interval.unwrap();
                    prop_assert_eq!(interval.start(), left.start());
                    prop_assert_eq!(interval.end(), right.end());
                } else {
                    prop_assert!(interval.is_err());
                }
            }
        }

        /// No text makes the parser panic, and what it accepts it writes back as read.
        #[test]
        fn any_text_is_parsed_or_refused(text in "[0-9T:Z./~?X%-]{0,40}") {
            if let Ok(parsed) = WorldTime::parse(&text) {
                prop_assert_eq!(parsed.as_str(), text.as_str());
                prop_assert!(parsed.start() <= parsed.end());
            }
        }
    }
}
