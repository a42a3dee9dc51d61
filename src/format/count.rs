//! Counts of persons (format version 2): exact, as in version 1, or with bounds ("more than
//! 100" is `{"at_least": 101}`); and the interval of persons a holder may hold, which
//! detentions and releases with bounds move.
//!
//! A count is written back as it was read: `{"at_most": 5}` stays that, though it means at
//! least 1 and at most 5.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// The largest count of persons one event may carry and one holder may hold: the largest
/// integer every JSON reader represents exactly (2^53 - 1).
pub const MAX_COUNT: u64 = (1 << 53) - 1;

/// A count as a line writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Exact(u64),
    /// At least one of the two is given.
    Bounds {
        at_least: Option<u64>,
        at_most: Option<u64>,
    },
}

/// Why a count is not one the format takes (`envelope.shape`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    #[error("`count` must be at least 1")]
    Zero,
    #[error("`count` {0} is larger than {MAX_COUNT}")]
    TooLarge(u64),
    #[error("`count` gives neither `at_least` nor `at_most`")]
    NoBound,
    #[error("`count` has `at_least` {at_least} above `at_most` {at_most}")]
    Crossed { at_least: u64, at_most: u64 },
}

impl Count {
    /// The bounds' rules: `1 <= N <= M <= 2^53 - 1`, an exact count too at most that.
    pub fn check(&self) -> Result<(), CountError> {
        let in_range = |value: u64| match value {
            0 => Err(CountError::Zero),
            value if value > MAX_COUNT => Err(CountError::TooLarge(value)),
            _ => Ok(()),
        };
        match *self {
            Count::Exact(count) => in_range(count),
            Count::Bounds {
                at_least: None,
                at_most: None,
            } => Err(CountError::NoBound),
            Count::Bounds { at_least, at_most } => {
                at_least.map_or(Ok(()), in_range)?;
                at_most.map_or(Ok(()), in_range)?;
                match (at_least, at_most) {
                    (Some(at_least), Some(at_most)) if at_least > at_most => {
                        Err(CountError::Crossed { at_least, at_most })
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Whether the count is exact: what a version-1 line may hold.
    pub fn is_exact(&self) -> bool {
        matches!(self, Count::Exact(_))
    }

    /// The persons it may stand for: `[at_least (1 if not given), at_most (unbounded if
    /// not given)]`.
    pub fn range(&self) -> CountRange {
        match *self {
            Count::Exact(count) => CountRange::exact(count),
            Count::Bounds { at_least, at_most } => CountRange {
                low: at_least.unwrap_or(1),
                high: at_most,
            },
        }
    }
}

impl std::fmt::Display for Count {
    /// For people, as written: `3`, `at least 101`, `at most 5`, `2 to 9`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Count::Exact(count) => write!(formatter, "{count}"),
            Count::Bounds {
                at_least: Some(low),
                at_most: Some(high),
            } => write!(formatter, "{low} to {high}"),
            Count::Bounds {
                at_least: Some(low),
                at_most: None,
            } => write!(formatter, "at least {low}"),
            Count::Bounds {
                at_least: None,
                at_most: Some(high),
            } => write!(formatter, "at most {high}"),
            Count::Bounds { .. } => formatter.write_str("a count with no bound"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Count::Exact(count) => serializer.serialize_u64(count),
            Count::Bounds { at_least, at_most } => {
                let entries = usize::from(at_least.is_some()) + usize::from(at_most.is_some());
                let mut map = serializer.serialize_map(Some(entries))?;
                if let Some(at_least) = at_least {
                    map.serialize_entry("at_least", &at_least)?;
                }
                if let Some(at_most) = at_most {
                    map.serialize_entry("at_most", &at_most)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a whole number, or an object of `at_least` and `at_most`")
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Count, E> {
                Ok(Count::Exact(value))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                let (mut at_least, mut at_most) = (None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "at_least" => &mut at_least,
                        "at_most" => &mut at_most,
                        other => {
                            return Err(de::Error::unknown_field(other, &["at_least", "at_most"]));
                        }
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    *slot = Some(map.next_value::<u64>()?);
                }
                Ok(Count::Bounds { at_least, at_most })
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

/// The persons a holder may hold (or has released) of one side and category: at least
/// `low`, at most `high` (`None`: no bound is known). By default exactly none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountRange {
    pub low: u64,
    pub high: Option<u64>,
}

/// Why a custody change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustodyError {
    /// It would pass `MAX_COUNT` (`custody.overflow`): the bound that would.
    Overflow(u64),
    /// A release of at least `releasing` from a holder who holds at most `held`
    /// (`custody.negative`).
    MoreThanHeld { releasing: u64, held: u64 },
}

impl Default for CountRange {
    fn default() -> CountRange {
        CountRange::exact(0)
    }
}

impl std::fmt::Display for CountRange {
    /// For people: `3`, `at least 101`, `at most 4`, `2 to 9`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.low, self.high) {
            (low, Some(high)) if low == high => write!(formatter, "{low}"),
            (0, Some(high)) => write!(formatter, "at most {high}"),
            (low, Some(high)) => write!(formatter, "{low} to {high}"),
            (low, None) => write!(formatter, "at least {low}"),
        }
    }
}

impl CountRange {
    pub fn exact(count: u64) -> CountRange {
        CountRange {
            low: count,
            high: Some(count),
        }
    }

    /// Whether the count is known exactly.
    pub fn is_exact(&self) -> bool {
        self.high == Some(self.low)
    }

    /// A detention (or a release, for the released tally) of `added`: `[low + a, high + b]`.
    pub fn add(&self, added: CountRange) -> Result<CountRange, CustodyError> {
        let bounded = |sum: Option<u64>| sum.filter(|sum| *sum <= MAX_COUNT);
        let low = bounded(self.low.checked_add(added.low))
            .ok_or(CustodyError::Overflow(self.low.saturating_add(added.low)))?;
        let high = match (self.high, added.high) {
            (Some(held), Some(more)) => Some(
                bounded(held.checked_add(more))
                    .ok_or(CustodyError::Overflow(held.saturating_add(more)))?,
            ),
            _ => None,
        };
        Ok(CountRange { low, high })
    }

    /// A release of `released` `[a, b]`: it needs `a <= high` (it cannot free more than the
    /// holder can hold) and leaves `[max(low - b, 0), high - a]`.
    pub fn release(&self, released: CountRange) -> Result<CountRange, CustodyError> {
        if let Some(held) = self.high
            && released.low > held
        {
            return Err(CustodyError::MoreThanHeld {
                releasing: released.low,
                held,
            });
        }
        let low = match released.high {
            Some(most) => self.low.saturating_sub(most),
            None => 0,
        };
        let high = self.high.map(|held| held - released.low);
        debug_assert!(high.is_none_or(|high| low <= high));
        Ok(CountRange { low, high })
    }
}

impl Serialize for CountRange {
    /// An integer when known exactly, else `{"at_least": low, "at_most": high}`, `at_most`
    /// left out when unbounded.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_exact() {
            return serializer.serialize_u64(self.low);
        }
        let mut map = serializer.serialize_map(Some(1 + usize::from(self.high.is_some())))?;
        map.serialize_entry("at_least", &self.low)?;
        if let Some(high) = self.high {
            map.serialize_entry("at_most", &high)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for CountRange {
    /// Reads what `serialize` writes (a snapshot's state).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Count::deserialize(deserializer)? {
            Count::Exact(count) => Ok(CountRange::exact(count)),
            Count::Bounds { at_least, at_most } => Ok(CountRange {
                low: at_least.unwrap_or(0),
                high: at_most,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_read_and_write_back_as_written() {
        for text in [
            "3",
            r#"{"at_least":101}"#,
            r#"{"at_most":5}"#,
            r#"{"at_least":2,"at_most":9}"#,
        ] {
            let count: Count = serde_json::from_str(text).unwrap();
            assert_eq!(count.check(), Ok(()), "{text}");
            assert_eq!(serde_json::to_string(&count).unwrap(), text);
        }
        assert_eq!(
            serde_json::from_str::<Count>(r#"{"at_most":5}"#)
                .unwrap()
                .range(),
            CountRange {
                low: 1,
                high: Some(5)
            }
        );
    }

    #[test]
    fn counts_outside_the_rules_are_refused() {
        let check = |text: &str| serde_json::from_str::<Count>(text).map(|count| count.check());
        assert_eq!(check("0").unwrap(), Err(CountError::Zero));
        assert_eq!(check("{}").unwrap(), Err(CountError::NoBound));
        assert_eq!(
            check(r#"{"at_least":5,"at_most":4}"#).unwrap(),
            Err(CountError::Crossed {
                at_least: 5,
                at_most: 4
            })
        );
        assert_eq!(
            check("9007199254740992").unwrap(),
            Err(CountError::TooLarge(1 << 53))
        );
        assert!(check(r#"{"at_least":1,"about":3}"#).is_err());
        assert!(check(r#"{"at_least":1,"at_least":3}"#).is_err());
        assert!(check("-1").is_err() && check("1.5").is_err() && check(r#""3""#).is_err());
    }

    #[test]
    fn custody_prints_an_integer_when_known_and_bounds_when_not() {
        let print = |range: CountRange| serde_json::to_string(&range).unwrap();
        assert_eq!(print(CountRange::exact(7)), "7");
        assert_eq!(
            print(CountRange {
                low: 101,
                high: None
            }),
            r#"{"at_least":101}"#
        );
        assert_eq!(
            print(CountRange {
                low: 0,
                high: Some(4)
            }),
            r#"{"at_least":0,"at_most":4}"#
        );
    }

    fn range() -> impl Strategy<Value = CountRange> {
        (0u64..50, prop::option::of(0u64..50)).prop_map(|(low, extra)| CountRange {
            low,
            high: extra.map(|extra| low + extra),
        })
    }

    proptest! {
        /// Interval arithmetic is sound and tight: for exact counts chosen within the
        /// bounds, the exact result lies in the computed interval, and its bounds are
        /// reached by some choice (an unbounded one grows past any bound given).
        #[test]
        fn custody_bounds_hold_every_exact_history(held in range(), moved in range(), releasing in any::<bool>()) {
            let cap = |range: CountRange| range.high.unwrap_or(range.low + 60);
            let result = if releasing { held.release(moved) } else { held.add(moved) };
            let mut lowest = None;
            let mut highest = None;
            let mut any_possible = false;
            for h in held.low..=cap(held) {
                for m in moved.low..=cap(moved) {
                    let exact = if releasing { h.checked_sub(m) } else { Some(h + m) };
                    if let Some(exact) = exact {
                        any_possible = true;
                        lowest = Some(lowest.map_or(exact, |low: u64| low.min(exact)));
                        highest = Some(highest.map_or(exact, |high: u64| high.max(exact)));
                        if let Ok(range) = result {
                            prop_assert!(range.low <= exact && range.high.is_none_or(|high| exact <= high));
                        }
                    }
                }
            }
            match result {
                Ok(range) => {
                    prop_assert!(any_possible);
                    prop_assert_eq!(Some(range.low), lowest);
                    if let (Some(high), true) = (range.high, held.high.is_some() && (releasing || moved.high.is_some())) {
                        prop_assert_eq!(Some(high), highest);
                    }
                }
                Err(_) => prop_assert!(releasing && !any_possible),
            }
        }
    }
}
