//! PLOVER records (the Open Event Data Alliance's JSON schema, as in its gold-standard
//! file and POLECAT's JSON exports): `id`, `date`, `source` and `target` actors (`actorText`,
//! `code`), `event`, `mode`, `context`, `text`, ...
//!
//! Each record becomes, by its `event`:
//! - `CONSULT`: a `meeting.held` of its source and target actors;
//! - `AGREE`: a `commitment`; `DEMAND` (and `REQUEST`): a `demand`; `ACCUSE` and
//!   `DISAPPROVE`: an `accusation` against its targets (a `remark` when it names none);
//!   `REJECT`: a `denial`; `THREATEN`: a
//!   `threat`; `SUPPORT`: a `remark` (statements, by the first source actor, to the targets,
//!   with the record's sentence as their text);
//! - `RETREAT` in mode `release`: skipped for now (a release ends custody the log must hold,
//!   which the record cannot show);
//! - any other event (material conflict or cooperation, protests, investigations, the
//!   file's documentation records) is skipped, counted by its reason.

use std::io::Read;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Actor, Class, Described, ImportError, Mapped};
use crate::format::event::StatementKind;
use crate::format::world_time::WorldTime;

/// The dataset's name in `origin.dataset` and in the ids.
pub const DATASET: &str = "plover";

/// One actor of a record's `source` or `target`.
struct ActorFields {
    actor_text: String,
    code: Option<String>,
    sector: Option<String>,
}

/// A record's `source` or `target` as the files write it: a list of actors, one actor, or
/// an empty string (the gold-standard file has all three).
fn actor_fields(side: &serde_json::Value) -> Vec<ActorFields> {
    let one = |actor: &serde_json::Value| match actor {
        serde_json::Value::Object(fields) => Some(ActorFields {
            actor_text: fields
                .get("actorText")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string(),
            code: fields
                .get("code")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            sector: fields
                .get("sector")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        }),
        serde_json::Value::String(name) if !name.trim().is_empty() => Some(ActorFields {
            actor_text: name.clone(),
            code: None,
            sector: None,
        }),
        _ => None,
    };
    match side {
        serde_json::Value::Array(actors) => actors.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

#[derive(Deserialize)]
struct RecordFields {
    id: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    source: serde_json::Value,
    #[serde(default)]
    target: serde_json::Value,
    event: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(rename = "eventText", default)]
    event_text: Option<String>,
}

/// A record: its key and its JSON text as read.
pub struct Record {
    pub key: String,
    pub text: String,
    fields: RecordFields,
}

/// The records of a PLOVER file: a JSON array of records (the gold-standard file), or one
/// record per line (POLECAT's JSON exports).
pub fn records(bytes: &[u8]) -> Result<Vec<Record>, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|error| ImportError::Shape(format!("not UTF-8: {error}")))?;
    let raws: Vec<Box<RawValue>> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
            .map_err(|error| ImportError::Shape(format!("not a JSON array of records: {error}")))?
    } else {
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .enumerate()
            .map(|(index, line)| {
                serde_json::from_str(line).map_err(|error| ImportError::Record {
                    record: index as u64 + 1,
                    detail: error.to_string(),
                })
            })
            .collect::<Result<_, _>>()?
    };
    raws.into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let fields: RecordFields =
                serde_json::from_str(raw.get()).map_err(|error| ImportError::Record {
                    record: index as u64 + 1,
                    detail: error.to_string(),
                })?;
            Ok(Record {
                key: fields.id.clone(),
                text: raw.get().to_string(),
                fields,
            })
        })
        .collect()
}

/// A record as an import plans it: its key, its fields, and what it becomes.
pub fn source_record(record: &Record) -> super::SourceRecord {
    super::SourceRecord {
        key: record.key.clone(),
        fields: super::compact_json(&record.text),
        mapped: map(record),
        digest: None,
    }
}

/// The class of a PLOVER event, mode and event text, or why such records are skipped.
/// PLOVER codes a signed agreement (CAMEO 057) as `SUPPORT`: a `SUPPORT` whose mode is
/// `sign`, or whose event text says it signed, is a signing.
pub fn class_of(
    event: &str,
    mode: Option<&str>,
    event_text: Option<&str>,
) -> Result<Class, &'static str> {
    let signed = event_text.is_some_and(|text| {
        let text = text.trim_start().to_ascii_lowercase();
        text.starts_with("sign ") || text.starts_with("signed ") || text.starts_with("signs ")
    });
    let event = event.trim().to_ascii_uppercase();
    let mode = mode.map(|mode| mode.trim().to_ascii_lowercase());
    Ok(match event.as_str() {
        "CONSULT" => Class::Meeting,
        "AGREE" => Class::Statement(StatementKind::Commitment),
        "DEMAND" | "REQUEST" => Class::Statement(StatementKind::Demand),
        "ACCUSE" | "DISAPPROVE" => Class::Statement(StatementKind::Accusation),
        "REJECT" => Class::Statement(StatementKind::Denial),
        "THREATEN" => Class::Statement(StatementKind::Threat),
        "SUPPORT" if signed || mode.as_deref() == Some("sign") => Class::Signing,
        "SUPPORT" => Class::Statement(StatementKind::Remark),
        "RETREAT" if mode.as_deref() == Some("release") => Class::Release,
        "RETREAT" => return Err("RETREAT other than a release of persons"),
        "DOCUMENT" => return Err("documentation record, not an event"),
        _ => return Err("event class outside negotiation (see docs/import.md)"),
    })
}

/// What a record becomes.
pub fn map(record: &Record) -> Mapped {
    let fields = &record.fields;
    let class = match class_of(
        &fields.event,
        fields.mode.as_deref(),
        fields.event_text.as_deref(),
    ) {
        Ok(class) => class,
        Err(reason) => return Mapped::Skipped(reason),
    };
    let Some(occurred) = fields
        .date
        .as_deref()
        .and_then(|date| WorldTime::parse(date.trim()).ok())
    else {
        return Mapped::Skipped("no date, or a date that is not a calendar date");
    };
    let actors = |side: &serde_json::Value| -> Vec<Actor> {
        actor_fields(side)
            .iter()
            .filter_map(|fields| {
                Actor::from_record(
                    fields.code.as_deref(),
                    fields.sector.as_deref(),
                    &fields.actor_text,
                )
            })
            .collect()
    };
    super::build(
        class,
        Described {
            key: &record.key,
            occurred,
            sources: actors(&fields.source),
            targets: actors(&fields.target),
            text: fields.text.clone().or_else(|| fields.event_text.clone()),
            title: fields.event_text.clone(),
        },
    )
}

/// POLECAT's tab-separated exports of PLOVER records: `Event ID`, `Event Date`,
/// `Event Type`, `Event Mode`, `Intensity`, `Quad Code`, `Contexts`, `Actor Name`,
/// `Actor Country`, `Actor COW`, `Primary Actor Sector`, `Actor Sectors`, `Actor Title`,
/// `Actor Name Raw`, `Wikipedia Actor ID`, `Recipient Name`, `Recipient Country`, ...,
/// `Source`, `Publication Date`, `Story People`, ..., `Language`, `Version`. The key is
/// `Event ID`; the event type and mode are PLOVER's, mapped as the JSON records' are; the
/// actor and the recipient are the source and the target, by their country (an ISO
/// alpha-3 code, or a name) and primary sector. POLECAT publishes no sentence: a
/// statement's text says who did what to whom, after which source.
pub struct Polecat<R: Read> {
    table: super::table::TableReader<R>,
    at: [usize; 11],
}

const POLECAT_COLUMNS: [&str; 11] = [
    "Event ID",
    "Event Date",
    "Event Type",
    "Event Mode",
    "Actor Name",
    "Actor Country",
    "Primary Actor Sector",
    "Recipient Name",
    "Recipient Country",
    "Primary Recipient Sector",
    "Source",
];

impl<R: Read> Polecat<R> {
    /// The file's header line read; `Shape` if it is not POLECAT's.
    pub fn new(read: R) -> Result<Polecat<R>, ImportError> {
        let table = super::table::TableReader::new(read, b'\t', false)?;
        let at = table.columns("POLECAT", POLECAT_COLUMNS)?;
        Ok(Polecat { table, at })
    }
}

impl<R: Read> super::RecordStream for Polecat<R> {
    fn next_batch(&mut self, most: usize) -> Result<Vec<super::SourceRecord>, ImportError> {
        let at = &self.at;
        self.table
            .next_rows(most, |headers, row| polecat_record(headers, at, row))
    }

    fn bytes_read(&self) -> u64 {
        self.table.bytes_read()
    }
}

/// A POLECAT actor: its name, its country (an ISO alpha-3 code, or a name) and its primary
/// sector, as a PLOVER record's actor is mapped.
fn polecat_actor(name: &str, country: &str, sector: &str) -> Option<Actor> {
    let country = country.trim();
    let code = if country.len() == 3 && country.chars().all(|c| c.is_ascii_uppercase()) {
        Some(country.to_string())
    } else {
        super::countries::state_by_name(country).map(str::to_string)
    };
    let sector = sector.trim();
    Actor::from_record(
        code.as_deref(),
        (!sector.is_empty()).then_some(sector),
        name,
    )
}

fn polecat_record(headers: &[String], at: &[usize; 11], row: &[String]) -> super::SourceRecord {
    let [
        id,
        date,
        event,
        mode,
        actor_name,
        actor_country,
        actor_sector,
        recipient_name,
        recipient_country,
        recipient_sector,
        source,
    ] = at.map(|index| row[index].trim());
    let mapped = match class_of(event, (!mode.is_empty()).then_some(mode), None) {
        Err(reason) => Mapped::Skipped(reason),
        Ok(class) => match WorldTime::parse(date) {
            Err(_) => Mapped::Skipped("no date, or a date that is not a calendar date"),
            Ok(occurred) => {
                let did = match mode {
                    "" => event.to_ascii_lowercase(),
                    mode => format!("{} ({mode})", event.to_ascii_lowercase()),
                };
                let said = if recipient_name.is_empty() {
                    format!("{actor_name}: {did}")
                } else {
                    format!("{actor_name}: {did}, to {recipient_name}")
                };
                let text = if source.is_empty() {
                    format!("{said} (POLECAT)")
                } else {
                    format!("{said} (POLECAT, after {source})")
                };
                super::build(
                    class,
                    Described {
                        key: id,
                        occurred,
                        sources: polecat_actor(actor_name, actor_country, actor_sector)
                            .into_iter()
                            .collect(),
                        targets: polecat_actor(recipient_name, recipient_country, recipient_sector)
                            .into_iter()
                            .collect(),
                        title: Some(text.clone()),
                        text: Some(text),
                    },
                )
            }
        },
    };
    super::SourceRecord {
        key: id.to_string(),
        fields: super::table::fields(headers, row),
        mapped,
        digest: Some(super::table::digest(headers, row)),
    }
}
