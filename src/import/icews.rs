//! ICEWS event files as the Harvard Dataverse publishes them: tab-separated, with the
//! columns `Event ID`, `Event Date`, `Source Name`, `Source Sectors`, `Source Country`,
//! `Event Text`, `CAMEO Code`, `Intensity`, `Target Name`, `Target Sectors`,
//! `Target Country`, `Story ID`, `Sentence Number`, `Publisher`, `City`, `District`,
//! `Province`, `Country`, `Latitude`, `Longitude`.
//!
//! A record's key is its `Event ID` and `Event Date`: `Event ID` alone repeats across the
//! records of the published files (in the 1995-2018 files, 145,312 ids appear twice, each
//! time with another date), and the two together are unique.
//!
//! Each CAMEO code becomes what its PLOVER event becomes (`cameo.rs`, `plover.rs`), except:
//! CAMEO 057 (sign formal agreement) is a reported `agreement.signed`; 01 (make a public
//! statement) a `remark` and 02 (appeal) an `appeal`, which the conversion table leaves
//! out; an `ACCUSE` of mode `investigate` (CAMEO 09) is skipped: an investigation is not a
//! statement.

use std::io::Read;

use super::table::TableReader;
use super::{Actor, Class, Described, ImportError, Mapped, SourceRecord};
use crate::format::event::StatementKind;
use crate::format::ids::Slug;
use crate::format::world_time::WorldTime;

/// The dataset's name in `origin.dataset` and in the ids.
pub const DATASET: &str = "icews";

const COLUMNS: [&str; 11] = [
    "Event ID",
    "Event Date",
    "Source Name",
    "Source Sectors",
    "Source Country",
    "Event Text",
    "CAMEO Code",
    "Target Name",
    "Target Sectors",
    "Target Country",
    "Publisher",
];

/// Sectors that make an actor its state's government: the state itself.
const GOVERNMENT_SECTORS: &[&str] = &[
    "Government",
    "Executive",
    "Executive Office",
    "Cabinet",
    "Foreign Ministry",
    "Ministry",
];

/// An ICEWS file read as a stream of records.
pub struct Records<R: Read> {
    table: TableReader<R>,
    at: [usize; 11],
    actors: Actors,
}

/// The actors of the rows read so far, by name, sectors and country: a file names the same
/// few thousand actors again and again, and mapping one (country names, slugs) costs more
/// than looking it up.
#[derive(Default)]
struct Actors(std::collections::HashMap<(String, String, String), Option<Actor>>);

/// The most actors remembered; past it, the memory starts again.
const MAX_ACTORS_REMEMBERED: usize = 100_000;

impl Actors {
    fn of(&mut self, (name, sectors, country): (&str, &str, &str)) -> Option<Actor> {
        let key = (name.to_string(), sectors.to_string(), country.to_string());
        if let Some(actor) = self.0.get(&key) {
            return actor.clone();
        }
        if self.0.len() >= MAX_ACTORS_REMEMBERED {
            self.0.clear();
        }
        let actor = actor((name, sectors, country));
        self.0.insert(key, actor.clone());
        actor
    }
}

impl<R: Read> Records<R> {
    /// The file's header line read; `Shape` if it is not ICEWS's.
    pub fn new(read: R) -> Result<Records<R>, ImportError> {
        let table = TableReader::new(read, b'\t', false)?;
        let at = table.columns("ICEWS", COLUMNS)?;
        Ok(Records {
            table,
            at,
            actors: Actors::default(),
        })
    }
}

impl<R: Read> super::RecordStream for Records<R> {
    fn next_batch(&mut self, most: usize) -> Result<Vec<SourceRecord>, ImportError> {
        let (at, actors) = (&self.at, &mut self.actors);
        self.table
            .next_rows(most, |headers, row| record_of(headers, at, row, actors))
    }

    fn bytes_read(&self) -> u64 {
        self.table.bytes_read()
    }
}

/// The records of an ICEWS file's bytes, each with its key, fields and mapping.
pub fn records(bytes: &[u8]) -> Result<Vec<SourceRecord>, ImportError> {
    let mut records = Records::new(bytes)?;
    super::RecordStream::next_batch(&mut records, usize::MAX)
}

fn record_of(
    headers: &[String],
    at: &[usize; 11],
    row: &[String],
    actors: &mut Actors,
) -> SourceRecord {
    let [
        id,
        date,
        source_name,
        source_sectors,
        source_country,
        event_text,
        cameo,
        target_name,
        target_sectors,
        target_country,
        publisher,
    ] = at.map(|index| row[index].trim());
    let key = format!("{id}|{date}");
    let mapped = if id.is_empty() {
        Mapped::Skipped("no id, or an id longer than 256 characters")
    } else {
        map(
            Row {
                key: &key,
                date,
                source: (source_name, source_sectors, source_country),
                target: (target_name, target_sectors, target_country),
                event_text,
                cameo,
                publisher,
            },
            actors,
        )
    };
    SourceRecord {
        key,
        fields: super::table::fields(headers, row),
        mapped,
        digest: Some(super::table::digest(headers, row)),
    }
}

struct Row<'a> {
    key: &'a str,
    date: &'a str,
    source: (&'a str, &'a str, &'a str),
    target: (&'a str, &'a str, &'a str),
    event_text: &'a str,
    cameo: &'a str,
    publisher: &'a str,
}

/// The class of a CAMEO code, or why its records are skipped.
pub fn class_of(cameo: &str) -> Result<Class, &'static str> {
    let code = cameo.trim();
    if code.is_empty() || !code.chars().all(|character| character.is_ascii_digit()) {
        return Err("a CAMEO code the conversion table does not know");
    }
    // Some exports lose the leading zero (`36` for `036`).
    let code = if code.starts_with('0') || super::cameo::table().contains_key(code) {
        code.to_string()
    } else {
        format!("0{code}")
    };
    if code == "057" {
        return Ok(Class::Signing);
    }
    if code.starts_with("01") {
        return Ok(Class::Statement(StatementKind::Remark));
    }
    if code.starts_with("02") {
        return Ok(Class::Statement(StatementKind::Appeal));
    }
    let Some(conversion) = super::cameo::convert(&code) else {
        return Err("a CAMEO code the conversion table does not know");
    };
    if conversion.event == "ACCUSE" && conversion.mode.as_deref() == Some("investigate") {
        return Err("an investigation (CAMEO 09), not a statement");
    }
    super::plover::class_of(&conversion.event, conversion.mode.as_deref(), None)
}

fn map(row: Row, actors: &mut Actors) -> Mapped {
    let class = match class_of(row.cameo) {
        Ok(class) => class,
        Err(reason) => return Mapped::Skipped(reason),
    };
    let Ok(occurred) = WorldTime::parse(row.date) else {
        return Mapped::Skipped("no date, or a date that is not a calendar date");
    };
    let (source_name, _, _) = row.source;
    let (target_name, _, _) = row.target;
    let said = if target_name.is_empty() {
        format!("{source_name}: {}", row.event_text)
    } else {
        format!("{source_name}: {}, to {target_name}", row.event_text)
    };
    let text = if row.publisher.is_empty() {
        said
    } else {
        format!("{said} (ICEWS, after {})", row.publisher)
    };
    super::build(
        class,
        Described {
            key: row.key,
            occurred,
            sources: actors.of(row.source).into_iter().collect(),
            targets: actors.of(row.target).into_iter().collect(),
            title: Some(text.clone()),
            text: Some(text),
        },
    )
}

/// An ICEWS actor: its name, its sectors (comma-separated) and its country (a name). The
/// country's name itself, or an actor in one of `GOVERNMENT_SECTORS`, is the state, by its
/// ISO code; another actor of a country is the code and a slug of its name
/// (`ARM.citizen-armenia`); an actor of no known country, a slug of its name.
pub fn actor((name, sectors, country): (&str, &str, &str)) -> Option<Actor> {
    let name = name.trim();
    let state = super::countries::state_by_name(country);
    let governs = sectors.split(',').map(str::trim).any(|sector| {
        GOVERNMENT_SECTORS
            .iter()
            .any(|government| sector.eq_ignore_ascii_case(government))
    });
    match state {
        Some(code) if governs || super::countries::state_by_name(name) == Some(code) => {
            Actor::from_record(Some(code), None, name)
        }
        Some(code) => {
            let slug = super::slug_of(name)?;
            Some(Actor {
                party: Slug::parse(&super::within_slug_limit(&format!("{code}.{slug}"))).ok()?,
                name: name.to_string(),
            })
        }
        None => Actor::from_record(None, None, name),
    }
}
