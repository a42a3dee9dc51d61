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

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Actor, ImportError, Mapped};
use crate::format::event::{EventData, MeetingHeld, StatementKind, StatementMade};
use crate::format::ids::Slug;
use crate::format::world_time::WorldTime;

/// The dataset's name in `origin.dataset` and in the ids.
pub const DATASET: &str = "plover";

/// The longest statement text an import writes, in characters (a record's sentence is cut
/// there and says so).
const MAX_TEXT_CHARS: usize = 2_000;

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

/// What a record becomes.
pub fn map(record: &Record) -> Mapped {
    let fields = &record.fields;
    let key_chars = record.key.trim().chars().count();
    if key_chars == 0 || key_chars > crate::format::provenance::MAX_ORIGIN_ID_CHARS {
        return Mapped::Skipped("no id, or an id longer than 256 characters");
    }
    let event = fields.event.trim().to_ascii_uppercase();
    let kind = match event.as_str() {
        "CONSULT" => None,
        "AGREE" => Some(StatementKind::Commitment),
        "DEMAND" | "REQUEST" => Some(StatementKind::Demand),
        "ACCUSE" | "DISAPPROVE" => Some(StatementKind::Accusation),
        "REJECT" => Some(StatementKind::Denial),
        "THREATEN" => Some(StatementKind::Threat),
        "SUPPORT" => Some(StatementKind::Remark),
        // A release ends custody the log must hold first, which a dataset's record cannot
        // show: releases wait for the importer that reads the log's custody.
        "RETREAT" if fields.mode.as_deref() == Some("release") => {
            return Mapped::Skipped("release of persons: the custody it ends is not known");
        }
        "RETREAT" => return Mapped::Skipped("RETREAT other than a release of persons"),
        "DOCUMENT" => return Mapped::Skipped("documentation record, not an event"),
        _ => return Mapped::Skipped("event class outside negotiation (see docs/import.md)"),
    };
    let Some(occurred) = fields
        .date
        .as_deref()
        .and_then(|date| WorldTime::parse(date.trim()).ok())
    else {
        return Mapped::Skipped("no date, or a date that is not a calendar date");
    };
    let actors = |side: &[ActorFields]| -> Vec<Actor> {
        let mut actors: Vec<Actor> = Vec::new();
        for fields in side {
            if let Some(actor) = Actor::from_record(
                fields.code.as_deref(),
                fields.sector.as_deref(),
                &fields.actor_text,
            ) && !actors.iter().any(|known| known.party == actor.party)
            {
                actors.push(actor);
            }
        }
        actors
    };
    let sources = actors(&actor_fields(&fields.source));
    let targets: Vec<Actor> = actors(&actor_fields(&fields.target))
        .into_iter()
        .filter(|target| !sources.iter().any(|source| source.party == target.party))
        .collect();
    let Some(by) = sources.first() else {
        return Mapped::Skipped("no source actor");
    };
    let slugs = |actors: &[Actor]| -> Vec<Slug> {
        actors.iter().map(|actor| actor.party.clone()).collect()
    };
    let data = match (event.as_str(), kind) {
        ("CONSULT", _) => {
            let Ok(meeting) = Slug::parse(&super::slug_of(&record.key).unwrap_or_default()) else {
                return Mapped::Skipped("a record id that makes no meeting id");
            };
            let mut parties = slugs(&sources);
            parties.extend(slugs(&targets));
            EventData::MeetingHeld(MeetingHeld {
                meeting,
                parties,
                title: fields
                    .event_text
                    .clone()
                    .filter(|text| !text.trim().is_empty()),
                place: None,
                hosted_by: None,
                mediators: None,
                issues: None,
            })
        }
        (_, Some(kind)) => {
            let Some(text) = statement_text(fields) else {
                return Mapped::Skipped("a statement with no text");
            };
            let to = (!targets.is_empty()).then(|| slugs(&targets));
            // An accusation names whom it accuses; a criticism of no one is a remark.
            let (kind, to, against) = match (kind, to) {
                (StatementKind::Accusation, Some(against)) => (kind, None, Some(against)),
                (StatementKind::Accusation, None) => (StatementKind::Remark, None, None),
                (kind, to) => (kind, to, None),
            };
            EventData::StatementMade(StatementMade {
                by: by.party.clone(),
                speaker: None,
                kind,
                text,
                to,
                issue: None,
                agreement: None,
                provision: None,
                against,
            })
        }
        (_, None) => {
            return Mapped::Skipped("event class outside negotiation (see docs/import.md)");
        }
    };
    let mut named = sources;
    named.extend(targets);
    Mapped::Event(Box::new(super::MappedEvent {
        occurred,
        data,
        actors: named,
    }))
}

/// The record's sentence (or its event text), cut to `MAX_TEXT_CHARS`.
fn statement_text(fields: &RecordFields) -> Option<String> {
    let text = fields
        .text
        .as_deref()
        .or(fields.event_text.as_deref())?
        .trim();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= MAX_TEXT_CHARS {
        return Some(text.to_string());
    }
    let cut: String = text.chars().take(MAX_TEXT_CHARS - 20).collect();
    Some(format!("{cut} [cut by the import]"))
}
