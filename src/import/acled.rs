//! ACLED's CSV exports (`event_id_cnty`, `event_date`, `year`, `time_precision`,
//! `disorder_type`, `event_type`, `sub_event_type`, `actor1`, `assoc_actor_1`, `inter1`,
//! `actor2`, `assoc_actor_2`, `inter2`, `interaction`, `civilian_targeting`, `iso`,
//! `region`, `country`, `admin1`..`admin3`, `location`, `latitude`, `longitude`,
//! `geo_precision`, `source`, `source_scale`, `notes`, `fatalities`, `tags`, `timestamp`),
//! and its deletions list (`event_id_cnty`, `deleted_timestamp`).
//!
//! A record's key is `event_id_cnty`, which ACLED keeps when it updates an event. Of
//! ACLED's classes, "Strategic developments / Agreement" (ceasefires, peace deals, prisoner
//! exchanges) is a negotiation's: it becomes a reported `agreement.signed` by its actors,
//! provisions unknown, titled by the first sentence of its notes. Battles, explosions,
//! violence against civilians, protests, riots and the other strategic developments are
//! skipped, counted by their class. A row of the deletions list retracts the line its event
//! was imported as.

use std::io::Read;

use super::table::TableReader;
use super::{Actor, Class, Described, ImportError, Mapped, SourceRecord};
use crate::format::ids::Slug;
use crate::format::world_time::WorldTime;

/// The dataset's name in `origin.dataset` and in the ids.
pub const DATASET: &str = "acled";

const COLUMNS: [&str; 8] = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "notes",
];

/// A batch of an ACLED file: events, or rows of the deletions list (told apart by the
/// file's header line).
pub enum Batch {
    Events(Vec<SourceRecord>),
    /// Each deleted event's key, and its row as JSON fields.
    Deletions(Vec<(String, String)>),
}

/// An ACLED file read as a stream: an export's records, or the deletions list's rows.
pub struct Reader<R: Read> {
    table: TableReader<R>,
    shape: Shape,
}

enum Shape {
    Events {
        at: [usize; 8],
        associated: [Option<usize>; 2],
    },
    Deletions {
        key: usize,
    },
}

impl<R: Read> Reader<R> {
    /// The file's header line read; `Shape` if it is neither an export nor the deletions
    /// list.
    pub fn new(read: R) -> Result<Reader<R>, ImportError> {
        let table = TableReader::new(read, b',', true)?;
        let shape = if table.column("deleted_timestamp").is_some() {
            let [key] = table.columns("ACLED's deletions list", ["event_id_cnty"])?;
            Shape::Deletions { key }
        } else {
            Shape::Events {
                at: table.columns("ACLED", COLUMNS)?,
                associated: [table.column("assoc_actor_1"), table.column("assoc_actor_2")],
            }
        };
        Ok(Reader { table, shape })
    }

    /// Up to `most` more records or deletions (an empty batch at the end).
    pub fn next_batch(&mut self, most: usize) -> Result<Batch, ImportError> {
        Ok(match self.shape {
            Shape::Events { at, associated } => {
                Batch::Events(self.table.next_rows(most, |headers, row| {
                    record_of(headers, &at, associated, row)
                })?)
            }
            Shape::Deletions { key } => {
                Batch::Deletions(self.table.next_rows(most, |headers, row| {
                    (
                        row[key].trim().to_string(),
                        super::table::fields(headers, row),
                    )
                })?)
            }
        })
    }

    /// How many bytes of the file have been read.
    pub fn bytes_read(&self) -> u64 {
        self.table.bytes_read()
    }
}

/// An ACLED file's bytes read whole.
pub fn read(bytes: &[u8]) -> Result<Batch, ImportError> {
    Reader::new(bytes)?.next_batch(usize::MAX)
}

fn record_of(
    headers: &[String],
    at: &[usize; 8],
    associated: [Option<usize>; 2],
    row: &[String],
) -> SourceRecord {
    let [
        key,
        date,
        precision,
        event_type,
        sub_event_type,
        actor1,
        actor2,
        notes,
    ] = at.map(|index| row[index].trim());
    let side = |actor: &str, associated: Option<usize>| -> Vec<Actor> {
        let mut names = vec![actor];
        if let Some(column) = associated {
            names.extend(row[column].split(';').map(str::trim));
        }
        names.into_iter().filter_map(self::actor).collect()
    };
    let mapped = match class_of(event_type, sub_event_type) {
        Err(reason) => Mapped::Skipped(reason),
        Ok(class) => match world_time(date, precision) {
            Err(reason) => Mapped::Skipped(reason),
            Ok(occurred) => super::build(
                class,
                Described {
                    key,
                    occurred,
                    sources: side(actor1, associated[0]),
                    targets: side(actor2, associated[1]),
                    text: Some(notes.to_string()),
                    title: first_sentence(notes),
                },
            ),
        },
    };
    SourceRecord {
        key: key.to_string(),
        fields: super::table::fields(headers, row),
        mapped,
        digest: Some(super::table::digest(headers, row)),
    }
}

/// The class of an ACLED event type and sub-event type, or why its records are skipped.
pub fn class_of(event_type: &str, sub_event_type: &str) -> Result<Class, &'static str> {
    let event_type = event_type.trim().to_ascii_lowercase();
    let sub_event_type = sub_event_type.trim().to_ascii_lowercase();
    match (event_type.as_str(), sub_event_type.as_str()) {
        ("strategic developments", "agreement") => Ok(Class::Signing),
        ("strategic developments", _) => {
            Err("a strategic development other than an agreement (see docs/import.md)")
        }
        ("battles", _) | ("explosions/remote violence", _) => {
            Err("political violence: a battle or an explosion, not a negotiation")
        }
        ("violence against civilians", _) => {
            Err("political violence against civilians, not a negotiation")
        }
        ("protests", _) | ("riots", _) => Err("a protest or riot, not a negotiation"),
        _ => Err("an ACLED event type outside negotiation (see docs/import.md)"),
    }
}

/// The world time of an event date at its `time_precision`: 1 the day; 2 the week around it
/// (ACLED codes a week's event at its middle); 3 its month.
pub fn world_time(date: &str, precision: &str) -> Result<WorldTime, &'static str> {
    let date = ["%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"]
        .iter()
        .find_map(|format| chrono::NaiveDate::parse_from_str(date.trim(), format).ok())
        .ok_or("no event date, or one that is not a calendar date")?;
    let day = |date: chrono::NaiveDate| date.format("%Y-%m-%d").to_string();
    let text = match precision.trim() {
        "1" | "" => day(date),
        "2" => {
            let week = chrono::Days::new(3);
            match (date.checked_sub_days(week), date.checked_add_days(week)) {
                (Some(from), Some(to)) => format!("{}/{}", day(from), day(to)),
                _ => return Err("no event date, or one that is not a calendar date"),
            }
        }
        "3" => date.format("%Y-%m").to_string(),
        _ => return Err("a time_precision other than 1, 2 or 3"),
    };
    WorldTime::parse(&text).map_err(|_| "no event date, or one that is not a calendar date")
}

/// The first sentence of a note, as an agreement's title.
fn first_sentence(notes: &str) -> Option<String> {
    let notes = notes.trim();
    let end = notes.find(". ").map(|at| at + 1).unwrap_or(notes.len());
    let sentence = notes[..end].trim();
    (!sentence.is_empty()).then(|| sentence.to_string())
}

/// An ACLED actor by its name: "Government of Armenia (2018-)" is the state, by its ISO
/// code; "Military Forces of Azerbaijan (2003-)" a part of it (`AZE.military-forces`), as
/// is "Protesters (Armenia)" (`ARM.protesters`); any other actor a slug of its name. The
/// years ACLED gives a government or force are left out of the id, kept in the name.
pub fn actor(name: &str) -> Option<Actor> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let base = strip_years(name);
    if let Some(country) = base.strip_prefix("Government of ")
        && let Some(code) = super::countries::state_by_name(country)
    {
        return Actor::from_record(Some(code), None, name);
    }
    let part_of = base
        .rsplit_once(" of ")
        .and_then(|(part, country)| Some((part, super::countries::state_by_name(country)?)))
        .or_else(|| {
            let (part, country) = base.strip_suffix(')')?.rsplit_once(" (")?;
            Some((part, super::countries::state_by_name(country)?))
        });
    if let Some((part, code)) = part_of
        && let Some(slug) = super::slug_of(part)
        && let Ok(party) = Slug::parse(&super::within_slug_limit(&format!("{code}.{slug}")))
    {
        return Some(Actor {
            party,
            name: name.to_string(),
        });
    }
    Actor::from_record(None, None, name)
}

/// A name without the period ACLED appends to a government or force: "(2018-)",
/// "(1991-2003)".
fn strip_years(name: &str) -> &str {
    if let Some((base, period)) = name.rsplit_once(" (")
        && let Some(period) = period.strip_suffix(')')
        && !period.is_empty()
        && period
            .chars()
            .all(|character| character.is_ascii_digit() || character == '-')
    {
        return base.trim();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_states_their_parts_or_slugs() {
        let party = |name: &str| actor(name).map(|actor| actor.party.to_string());
        assert_eq!(
            party("Government of Armenia (2018-)").as_deref(),
            Some("ARM")
        );
        assert_eq!(
            party("Military Forces of Azerbaijan (2003-)").as_deref(),
            Some("AZE.military-forces")
        );
        assert_eq!(
            party("Protesters (Armenia)").as_deref(),
            Some("ARM.protesters")
        );
        assert_eq!(
            party("Government of Russia (2000-)").as_deref(),
            Some("RUS")
        );
        assert_eq!(
            party("Military Forces of Artsakh").as_deref(),
            Some("military-forces-of-artsakh")
        );
        assert_eq!(party(" "), None);
    }

    #[test]
    fn time_precision_is_a_day_a_week_or_a_month() {
        let time = |date, precision| world_time(date, precision).map(|time| time.to_string());
        assert_eq!(time("2020-11-09", "1").as_deref(), Ok("2020-11-09"));
        assert_eq!(
            time("2020-11-09", "2").as_deref(),
            Ok("2020-11-06/2020-11-12")
        );
        assert_eq!(time("2020-11-09", "3").as_deref(), Ok("2020-11"));
        assert_eq!(time("09 November 2020", "1").as_deref(), Ok("2020-11-09"));
        assert!(time("2020-11-31", "1").is_err());
        assert!(time("2020-11-09", "4").is_err());
    }
}
