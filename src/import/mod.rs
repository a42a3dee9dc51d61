//! Records of the field's event datasets made drafts: each record becomes one event of the
//! fitting type, or is counted as skipped with its reason, so that nothing is dropped
//! silently. An imported draft keeps its record whole in `origin`, and its id is derived
//! from the dataset and the record's key (UUID v5), so importing a file again adds nothing.
//!
//! The mapping from each dataset's classes to accord's types is `docs/import.md`.

pub mod plover;

use std::collections::{BTreeMap, BTreeSet};

use crate::format::event::{Draft, EventData, PartyJoined, Role};
use crate::format::ids::{EventId, Slug};
use crate::format::provenance::{Origin, RecordFields};
use crate::format::world_time::WorldTime;

/// The namespace of the UUID v5 ids of imported events: a fixed UUID of accord's own, so
/// the same record gets the same id in every log and on every machine.
const ID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6acc_0d0e_5a1e_4f00_9b1e_c0de_0000_0001);

/// Why a dataset's bytes could not be read as its records.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("record {record}: {detail}")]
    Record { record: u64, detail: String },
    #[error("{0}")]
    Shape(String),
}

/// One actor of a record: the party id it becomes, and its name as the record gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub party: Slug,
    pub name: String,
}

impl Actor {
    /// An actor as the datasets code it: a country code, a sector, a name. A state's
    /// government (a code of ISO 3166 alpha-3 with the sector `GOV`, or with none) is the
    /// state, by its code, as the curated logs name states, so that an import meets them on
    /// the same ids. Another actor of a state (its opposition, rebels, police...) is the
    /// code and the sector (`AZE.OPP`), as the coding itself groups them; an actor whose
    /// code is no state's (`IGO`, `NGO`) is the code and a slug of its name; one without a
    /// code, a slug of its name. A state is named by its ISO name, any other actor as the
    /// record names it.
    pub fn from_record(code: Option<&str>, sector: Option<&str>, name: &str) -> Option<Actor> {
        let code = code.map(str::trim).filter(|code| !code.is_empty());
        let sector: String = sector
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let id = match code {
            Some(code) if is_state(code) && (sector.is_empty() || sector == "GOV") => {
                code.to_string()
            }
            Some(code) if is_state(code) => format!("{code}.{sector}"),
            Some(code) => {
                let code: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
                match (code.is_empty(), slug_of(name)) {
                    (false, Some(name)) => format!("{code}.{name}"),
                    (false, None) => code,
                    (true, name) => name?,
                }
            }
            None => slug_of(name)?,
        };
        let id: String = id
            .chars()
            .take(crate::format::ids::MAX_SLUG_CHARS)
            .collect();
        let party = Slug::parse(id.trim_end_matches(['-', '.'])).ok()?;
        // A state is named by its ISO name ("Baku" or "president of Armenia" name a state
        // only in their sentence, which the line's origin keeps).
        let state_name = isocountry::CountryCode::for_alpha3(party.as_str())
            .ok()
            .map(|country| country.name().to_string());
        let name = match state_name {
            Some(state_name) => state_name,
            None if name.trim().is_empty() => party.to_string(),
            None => name.trim().to_string(),
        };
        Some(Actor { party, name })
    }
}

/// Whether `code` is a state's ISO 3166-1 alpha-3 code.
fn is_state(code: &str) -> bool {
    code.len() == 3 && isocountry::CountryCode::for_alpha3(code).is_ok()
}

/// A name as a slug: ASCII letters and digits kept (lower case), every other run made one
/// `-`, at most 64 characters. `None` when nothing is left.
pub fn slug_of(name: &str) -> Option<String> {
    let mut slug = String::new();
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(64).collect();
    let slug = slug.trim_end_matches('-').to_string();
    (!slug.is_empty()).then_some(slug)
}

/// The id of an imported event: UUID v5 of the dataset and the record's key.
pub fn event_id(dataset: &str, key: &str) -> EventId {
    let uuid = uuid::Uuid::new_v5(&ID_NAMESPACE, format!("{dataset}\u{0}{key}").as_bytes());
    EventId::parse(&uuid.to_string()).expect("a UUID is an event id")
}

/// A record mapped: the event it becomes, with the actors it names, or why it is skipped.
pub enum Mapped {
    Event(Box<MappedEvent>),
    Skipped(&'static str),
}

/// The event a record becomes, and the actors it names (each joins before it, once).
pub struct MappedEvent {
    pub occurred: WorldTime,
    pub data: EventData,
    pub actors: Vec<Actor>,
}

/// Which records an import keeps: those naming one of `actors` (party ids, after the
/// actors are mapped), and those whose world time starts within `from` to `to` (each a
/// world time: from the start of one to the end of the other). The others are counted as
/// skipped, by which filter left them out.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub actors: Option<BTreeSet<Slug>>,
    pub from: Option<WorldTime>,
    pub to: Option<WorldTime>,
}

impl Filters {
    /// Why a mapped record is left out, if it is.
    fn leaves_out(&self, event: &MappedEvent) -> Option<&'static str> {
        let start = event.occurred.start();
        if self.from.as_ref().is_some_and(|from| start < from.start()) {
            return Some("before --from");
        }
        if self.to.as_ref().is_some_and(|to| start > to.end()) {
            return Some("after --to");
        }
        let named = |actors: &BTreeSet<Slug>| {
            event
                .actors
                .iter()
                .any(|actor| actors.contains(&actor.party))
        };
        if self.actors.as_ref().is_some_and(|actors| !named(actors)) {
            return Some("names none of --actors");
        }
        None
    }
}

/// What an import of some records adds: its drafts (each actor's `party.joined` before its
/// first event, then the events), and the records skipped, counted by reason.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub drafts: Vec<Draft>,
    pub imported: u64,
    pub skipped: BTreeMap<&'static str, u64>,
}

impl ImportPlan {
    /// Adds a mapped record: `parties` are the parties the log already has, and those this
    /// plan introduced; an actor not among them joins first, once.
    pub fn add(
        &mut self,
        (dataset, key, record): (&str, &str, &str),
        mapped: Mapped,
        filters: &Filters,
        parties: &mut BTreeSet<Slug>,
    ) {
        let (occurred, data, actors) = match mapped {
            Mapped::Skipped(reason) => {
                *self.skipped.entry(reason).or_default() += 1;
                return;
            }
            Mapped::Event(mapped) => {
                if let Some(reason) = filters.leaves_out(&mapped) {
                    *self.skipped.entry(reason).or_default() += 1;
                    return;
                }
                let MappedEvent {
                    occurred,
                    data,
                    actors,
                } = *mapped;
                (occurred, data, actors)
            }
        };
        for actor in actors {
            if parties.insert(actor.party.clone()) {
                let mut joined = Draft::new(
                    occurred.clone(),
                    EventData::PartyJoined(PartyJoined {
                        party: actor.party.clone(),
                        name: actor.name,
                        role: Role::Party,
                        members: None,
                    }),
                );
                joined.id = Some(event_id(dataset, &format!("party\u{0}{}", actor.party)));
                self.drafts.push(joined);
            }
        }
        let mut draft = Draft::new(occurred, data);
        draft.id = Some(event_id(dataset, key));
        draft.origin = Some(Box::new(Origin {
            dataset: dataset.to_string(),
            id: key.to_string(),
            fields: fields_of(record),
        }));
        self.drafts.push(draft);
        self.imported += 1;
    }
}

/// A record's JSON object, kept as it was but for the whitespace between its tokens (a
/// line of the log is one line): key order and number spellings stay.
pub fn fields_of(record: &str) -> Option<RecordFields> {
    serde_json::from_str(&compact_json(record)).ok()
}

/// JSON text without the whitespace between tokens; strings untouched.
pub fn compact_json(text: &str) -> String {
    let mut compact = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for character in text.chars() {
        if in_string {
            compact.push(character);
            if escaped {
                escaped = false;
            } else if character == '\\' {
                escaped = true;
            } else if character == '"' {
                in_string = false;
            }
        } else if character == '"' {
            in_string = true;
            compact.push(character);
        } else if !character.is_whitespace() {
            compact.push(character);
        }
    }
    compact
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_states_by_iso_code_and_others_by_code_and_sector_or_name() {
        let state = Actor::from_record(Some("HUN"), Some("GOV"), "Hungarian").unwrap();
        assert_eq!(
            (state.party.as_str(), state.name.as_str()),
            ("HUN", "Hungary")
        );
        let named = Actor::from_record(Some("JOR"), None, "Jordan").unwrap();
        assert_eq!(named.party.as_str(), "JOR");
        let opposition =
            Actor::from_record(Some("AZE"), Some("OPP"), "Azadliq (Freedom) coalition").unwrap();
        assert_eq!(opposition.party.as_str(), "AZE.OPP");
        let ethnic = Actor::from_record(Some("SRB"), Some("CVLalb"), "ethnic Albanians").unwrap();
        assert_eq!(ethnic.party.as_str(), "SRB.CVLalb");
        let council =
            Actor::from_record(Some("IGO"), Some("GOV"), "U.N. Security Council").unwrap();
        assert_eq!(council.party.as_str(), "IGO.u-n-security-council");
        let no_code = Actor::from_record(None, None, "Hamas militants (Gaza)").unwrap();
        assert_eq!(no_code.party.as_str(), "hamas-militants-gaza");
        assert!(Actor::from_record(None, None, "  ").is_none());
        assert_eq!(slug_of("Łódź — city"), Some("d-city".to_string()));
    }

    #[test]
    fn ids_are_stable_and_differ_by_dataset_and_key() {
        assert_eq!(event_id("plover", "A"), event_id("plover", "A"));
        assert_ne!(event_id("plover", "A"), event_id("icews", "A"));
        assert_ne!(event_id("plover", "A"), event_id("plover", "B"));
    }

    #[test]
    fn compacting_keeps_strings_order_and_spellings() {
        let text = "{\n  \"b\": \"a \\\" b\",\n  \"a\": 1.50e3 , \"c\": [1, 2]\n}";
        assert_eq!(compact_json(text), r#"{"b":"a \" b","a":1.50e3,"c":[1,2]}"#);
        assert_eq!(fields_of(text).unwrap().as_str(), compact_json(text));
    }
}
