//! Records of the field's event datasets made drafts: each record becomes one event of the
//! fitting type, or is counted as skipped with its reason, so that nothing is dropped
//! silently. An imported draft keeps its record whole in `origin`, and its id is derived
//! from the dataset and the record's key (UUID v5), so importing a file again adds nothing.
//!
//! The mapping from each dataset's classes to accord's types is `docs/import.md`.

pub mod acled;
pub mod cameo;
pub mod countries;
pub mod icews;
pub mod plover;
pub mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::format::event::{
    AgreementSigned, Category, Draft, EventCorrected, EventData, EventRetracted, MeetingHeld,
    PartyJoined, ReleaseMade, Replacement, Role, StatementKind, StatementMade,
};
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

/// An id cut to the longest a slug may be, without a trailing `-` or `.`.
pub fn within_slug_limit(id: &str) -> String {
    let id: String = id
        .chars()
        .take(crate::format::ids::MAX_SLUG_CHARS)
        .collect();
    id.trim_end_matches(['-', '.']).to_string()
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
    /// A release of persons, whose category the log's custody decides (`Planner`).
    Release(Box<MappedRelease>),
    Skipped(&'static str),
}

/// A release of persons as a record gives it: who released whom, when, and how many (none
/// of the datasets counts them: at least one). Its category is the one in which the log
/// shows the holder holding people of that side.
pub struct MappedRelease {
    pub occurred: WorldTime,
    pub by: Actor,
    pub of: Actor,
    pub count: crate::format::count::Count,
}

/// The event a record becomes, and the actors it names (each joins before it, once).
pub struct MappedEvent {
    pub occurred: WorldTime,
    pub data: EventData,
    pub actors: Vec<Actor>,
}

/// What a record's event class becomes in accord, across the datasets' codings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A `meeting.held` of the source and target actors.
    Meeting,
    /// A `statement.made` of this kind, by the first source actor, to the targets.
    Statement(StatementKind),
    /// A reported `agreement.signed` by the source and target actors, provisions unknown.
    Signing,
    /// A `release.made` by the source actor of people of the target's side.
    Release,
}

/// A record as the mapping needs it, whatever its dataset: its key, when, who, and its
/// words.
pub struct Described<'a> {
    pub key: &'a str,
    pub occurred: WorldTime,
    pub sources: Vec<Actor>,
    pub targets: Vec<Actor>,
    /// The statement's text: the record's sentence, or what the coding says happened.
    pub text: Option<String>,
    /// A meeting's or an agreement's title, if the record gives one.
    pub title: Option<String>,
}

/// The longest statement text an import writes, in characters (a record's sentence is cut
/// there and says so).
const MAX_TEXT_CHARS: usize = 2_000;

/// A text cut to `MAX_TEXT_CHARS`, saying so; `None` when empty.
pub fn text_within_limit(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= MAX_TEXT_CHARS {
        return Some(text.to_string());
    }
    let cut: String = text.chars().take(MAX_TEXT_CHARS - 20).collect();
    Some(format!("{cut} [cut by the import]"))
}

/// The actors of one side, each once (the first of two that become the same party).
pub fn distinct_actors(actors: impl IntoIterator<Item = Actor>) -> Vec<Actor> {
    let mut distinct: Vec<Actor> = Vec::new();
    for actor in actors {
        if !distinct.iter().any(|known| known.party == actor.party) {
            distinct.push(actor);
        }
    }
    distinct
}

/// The event a described record of `class` becomes. Targets that are also sources are
/// named once, as sources.
pub fn build(class: Class, record: Described) -> Mapped {
    let key_chars = record.key.trim().chars().count();
    if key_chars == 0 || key_chars > crate::format::provenance::MAX_ORIGIN_ID_CHARS {
        return Mapped::Skipped("no id, or an id longer than 256 characters");
    }
    let sources = distinct_actors(record.sources);
    let targets: Vec<Actor> = distinct_actors(record.targets)
        .into_iter()
        .filter(|target| !sources.iter().any(|source| source.party == target.party))
        .collect();
    let Some(by) = sources.first() else {
        return Mapped::Skipped("no source actor");
    };
    let slugs = |actors: &[Actor]| -> Vec<Slug> {
        actors.iter().map(|actor| actor.party.clone()).collect()
    };
    let everyone = || {
        let mut parties = slugs(&sources);
        parties.extend(slugs(&targets));
        parties
    };
    let title = record
        .title
        .as_deref()
        .and_then(text_within_limit)
        .map(|title| title.chars().take(MAX_TITLE_CHARS).collect::<String>());
    let data = match class {
        Class::Release => {
            let Some(of) = targets.first() else {
                return Mapped::Skipped("release of persons: no target, whose people they are");
            };
            return Mapped::Release(Box::new(MappedRelease {
                occurred: record.occurred,
                by: by.clone(),
                of: of.clone(),
                count: crate::format::count::Count::Bounds {
                    at_least: Some(1),
                    at_most: None,
                },
            }));
        }
        Class::Meeting => {
            let Ok(meeting) = Slug::parse(&slug_of(record.key).unwrap_or_default()) else {
                return Mapped::Skipped("a record id that makes no meeting id");
            };
            EventData::MeetingHeld(MeetingHeld {
                meeting,
                parties: everyone(),
                title,
                place: None,
                hosted_by: None,
                mediators: None,
                issues: None,
            })
        }
        Class::Signing if sources.len() + targets.len() < 2 => {
            return Mapped::Skipped("a signing that names fewer than two parties");
        }
        Class::Signing => {
            let Ok(agreement) = Slug::parse(&slug_of(record.key).unwrap_or_default()) else {
                return Mapped::Skipped("a record id that makes no agreement id");
            };
            EventData::AgreementSigned(AgreementSigned {
                agreement,
                title: title.unwrap_or_else(|| {
                    format!("a signing reported by record {}", record.key.trim())
                }),
                signatories: everyone(),
                witnesses: None,
                proposal: None,
                provisions: Vec::new(),
            })
        }
        Class::Statement(kind) => {
            let Some(text) = record.text.as_deref().and_then(text_within_limit) else {
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
    };
    let mut actors = sources;
    actors.extend(targets);
    Mapped::Event(Box::new(MappedEvent {
        occurred: record.occurred,
        data,
        actors,
    }))
}

/// The longest title of a meeting or agreement an import writes, in characters.
const MAX_TITLE_CHARS: usize = 200;

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

/// A record of a dataset, read: its key, its fields as a compact JSON object (what
/// `origin.fields` keeps), and what it maps to.
pub struct SourceRecord {
    pub key: String,
    /// A compact JSON object (no whitespace between tokens), as `origin.fields` keeps it.
    pub fields: String,
    pub mapped: Mapped,
    /// `digest_of(fields)`, when the reader computed it more cheaply (`None`: computed
    /// from `fields`).
    pub digest: Option<[u8; 16]>,
}

/// A file of records read a batch at a time (ICEWS's, POLECAT's).
pub trait RecordStream {
    /// Up to `most` more records (none at the end).
    fn next_batch(&mut self, most: usize) -> Result<Vec<SourceRecord>, ImportError>;
    /// How many bytes of the file have been read.
    fn bytes_read(&self) -> u64;
}

/// What an import of some records adds: its drafts (each actor's `party.joined` before its
/// first event, then the events, corrections and retractions), and how many records were
/// imported anew, corrected, retracted, found unchanged, or skipped (by reason).
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub drafts: Vec<Draft>,
    pub imported: u64,
    pub corrected: u64,
    pub retracted: u64,
    pub unchanged: u64,
    pub skipped: BTreeMap<&'static str, u64>,
}

impl ImportPlan {
    fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }
}

/// The digest of a record's fields, whatever the order of their keys and the whitespace
/// between them: how an import tells a record that changed upstream from one it has. An
/// object of texts (a delimited export's row) is digested as its sorted pairs
/// (`digest_of_pairs`, which a reader computes without writing JSON); any other record as
/// its canonical JSON.
pub fn digest_of(fields: &str) -> [u8; 16] {
    use sha2::Digest;
    let value = match serde_json::from_str::<serde_json::Value>(fields) {
        Ok(value) => value,
        Err(_) => return truncated(sha2::Sha256::digest(fields.as_bytes()).as_slice()),
    };
    if let serde_json::Value::Object(object) = &value
        && let Some(pairs) = object
            .iter()
            .map(|(key, value)| Some((key.as_str(), value.as_str()?)))
            .collect::<Option<Vec<(&str, &str)>>>()
    {
        // serde_json's map is sorted by key: the pairs are in the order digest_of_pairs
        // sorts them.
        return digest_of_pairs(pairs);
    }
    truncated(sha2::Sha256::digest(value.to_string().as_bytes()).as_slice())
}

/// The digest of an object of texts, as `digest_of` gives it: its pairs sorted by key.
pub fn digest_of_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> [u8; 16] {
    use sha2::Digest;
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_by(|left, right| left.0.cmp(right.0));
    // A key given twice keeps its last text, as a JSON object read into a map does.
    pairs.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = later.1;
        }
        same
    });
    let mut hasher = sha2::Sha256::new();
    hasher.update(b"pairs\0");
    for (key, value) in pairs {
        hasher.update((key.len() as u64).to_le_bytes());
        hasher.update(key.as_bytes());
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    truncated(hasher.finalize().as_slice())
}

fn truncated(hash: &[u8]) -> [u8; 16] {
    let mut digest = [0u8; 16];
    digest.copy_from_slice(&hash[..16]);
    digest
}

/// A record a log holds: the line it was imported as, its fields' digest as the log last
/// took them, and whether its last word retracts it.
#[derive(Clone, Copy, Debug)]
struct HeldRecord {
    seq: u64,
    digest: [u8; 16],
    retracted: bool,
}

/// The dataset name of the lines that retract records deleted upstream (their origin keeps
/// the deletion list's row): `acled` deletions are `acled-deletions`.
pub fn deletions_dataset(dataset: &str) -> String {
    format!("{dataset}-deletions")
}

/// What a log holds of one dataset, read from its lines in file order: each record by its
/// key, the ids of the `party.joined` lines, when each party joined, and the seq the next
/// line takes.
#[derive(Debug)]
pub struct Held {
    dataset: String,
    deletions: String,
    records: HashMap<String, HeldRecord>,
    joined_ids: HashSet<EventId>,
    joined_at: HashMap<Slug, chrono::DateTime<chrono::Utc>>,
    joined_by_seq: HashMap<u64, Slug>,
    /// The custody changes of the log's effective events, by holder, side and category,
    /// then by seq; and the key of each line that made one.
    custody: BTreeMap<(Slug, Slug, u8), BTreeMap<u64, CustodyChange>>,
    custody_of_line: HashMap<u64, (Slug, Slug, u8)>,
    next_seq: u64,
}

/// A detention or a release, as custody folds it: when, how many, and which.
#[derive(Clone, Copy, Debug)]
struct CustodyChange {
    start: chrono::DateTime<chrono::Utc>,
    count: crate::format::count::CountRange,
    release: bool,
}

const CATEGORIES: [Category; 3] = [Category::Combatant, Category::Civilian, Category::Remains];

impl Held {
    pub fn new(dataset: &str) -> Held {
        Held {
            dataset: dataset.to_string(),
            deletions: deletions_dataset(dataset),
            records: HashMap::new(),
            joined_ids: HashSet::new(),
            joined_at: HashMap::new(),
            joined_by_seq: HashMap::new(),
            custody: BTreeMap::new(),
            custody_of_line: HashMap::new(),
            next_seq: 1,
        }
    }

    /// Takes note of what line `seq` changes of custody: its own detention or release, or
    /// a correction's or retraction's of the line it speaks of.
    fn custody_of(&mut self, seq: u64, occurred: &WorldTime, data: &EventData) {
        match data {
            EventData::DetentionReported(_) | EventData::ReleaseMade(_) => {
                self.custody_folds(seq, occurred.start(), Some(data));
            }
            EventData::EventRetracted(retracted) => {
                self.custody_folds(retracted.target, occurred.start(), None);
            }
            EventData::EventCorrected(corrected) => {
                self.custody_folds(
                    corrected.target,
                    corrected.replacement.occurred.start(),
                    Some(corrected.replacement.data.as_ref()),
                );
            }
            _ => {}
        }
    }

    /// Line `seq` folds `data` at `start` now (or nothing, for `None`): its custody change
    /// replaces the one it folded before.
    fn custody_folds(
        &mut self,
        seq: u64,
        start: chrono::DateTime<chrono::Utc>,
        data: Option<&EventData>,
    ) {
        if let Some(key) = self.custody_of_line.remove(&seq)
            && let Some(changes) = self.custody.get_mut(&key)
        {
            changes.remove(&seq);
        }
        let (holder, of, category, count, release) = match data {
            Some(EventData::DetentionReported(detention)) => (
                &detention.holder,
                &detention.of,
                detention.category,
                &detention.count,
                false,
            ),
            Some(EventData::ReleaseMade(release)) => (
                &release.by,
                &release.of,
                release.category,
                &release.count,
                true,
            ),
            _ => return,
        };
        let key = (holder.clone(), of.clone(), category as u8);
        self.custody.entry(key.clone()).or_default().insert(
            seq,
            CustodyChange {
                start,
                count: count.range(),
                release,
            },
        );
        self.custody_of_line.insert(seq, key);
    }

    /// Whether a release of `count` by `holder` of `of`'s people in `category`, at `start`
    /// as line `seq`, keeps the log's custody valid: the holder holds people of that side
    /// in that category then, and every release after it still frees no more than is held.
    fn custody_allows(
        &self,
        (holder, of, category): (&Slug, &Slug, Category),
        seq: u64,
        start: chrono::DateTime<chrono::Utc>,
        count: crate::format::count::CountRange,
    ) -> bool {
        let Some(changes) = self
            .custody
            .get(&(holder.clone(), of.clone(), category as u8))
        else {
            return false;
        };
        let mut ordered: Vec<(chrono::DateTime<chrono::Utc>, u64, CustodyChange)> = changes
            .iter()
            .map(|(line, change)| (change.start, *line, *change))
            .collect();
        ordered.push((
            start,
            seq,
            CustodyChange {
                start,
                count,
                release: true,
            },
        ));
        ordered.sort_by_key(|(start, line, _)| (*start, *line));
        let mut held = crate::format::count::CountRange::exact(0);
        for (_, _, change) in ordered {
            let next = if change.release {
                held.release(change.count)
            } else {
                held.add(change.count)
            };
            match next {
                Ok(next) => held = next,
                Err(_) => return false,
            }
        }
        true
    }

    /// Takes note of the log's next line.
    pub fn note(&mut self, event: &crate::format::event::Event) {
        debug_assert_eq!(event.seq, self.next_seq, "lines are noted in file order");
        self.next_seq = event.seq + 1;
        self.custody_of(event.seq, &event.occurred, &event.data);
        match &event.data {
            EventData::PartyJoined(joined) => {
                self.joined_ids.insert(event.id);
                self.joined_at
                    .insert(joined.party.clone(), event.occurred.start());
                self.joined_by_seq.insert(event.seq, joined.party.clone());
            }
            EventData::EventCorrected(corrected) => {
                if let (Some(party), EventData::PartyJoined(_)) = (
                    self.joined_by_seq.get(&corrected.target),
                    corrected.replacement.data.as_ref(),
                ) {
                    self.joined_at
                        .insert(party.clone(), corrected.replacement.occurred.start());
                }
            }
            _ => {}
        }
        let Some(origin) = event.origin.as_deref() else {
            return;
        };
        let digest = || {
            origin
                .fields
                .as_ref()
                .map(|fields| digest_of(fields.as_str()))
        };
        if origin.dataset == self.deletions {
            if let (EventData::EventRetracted(retracted), Some(held)) =
                (&event.data, self.records.get_mut(&origin.id))
                && held.seq == retracted.target
            {
                held.retracted = true;
            }
            return;
        }
        if origin.dataset != self.dataset {
            return;
        }
        match &event.data {
            EventData::EventCorrected(corrected) => {
                if let Some(held) = self.records.get_mut(&origin.id)
                    && held.seq == corrected.target
                {
                    held.digest = digest().unwrap_or(held.digest);
                    held.retracted = false;
                }
            }
            EventData::EventRetracted(retracted) => {
                if let Some(held) = self.records.get_mut(&origin.id)
                    && held.seq == retracted.target
                {
                    held.digest = digest().unwrap_or(held.digest);
                    held.retracted = true;
                }
            }
            _ => {
                self.records.insert(
                    origin.id.clone(),
                    HeldRecord {
                        seq: event.seq,
                        digest: digest().unwrap_or_default(),
                        retracted: false,
                    },
                );
            }
        }
    }
}

/// The log's custody as a planner reads it: what `holder` holds of `of`'s people, by
/// category, as of the start of a world time.
pub type Custody<'a> =
    dyn FnMut(&Slug, &Slug, &WorldTime) -> Vec<(Category, crate::format::count::CountRange)> + 'a;

/// Plans an import: records are added in the order the files give them, deletions after.
/// A record the log does not hold becomes a new event (if the filters keep it); one it
/// holds with the same fields, nothing; one whose fields changed upstream, an
/// `event.corrected` of its line (or an `event.retracted`, when it now maps to nothing);
/// a record deleted upstream, an `event.retracted`. The filters choose new records only:
/// a record the log holds follows its upstream.
pub struct Planner<'a> {
    dataset: &'static str,
    filters: &'a Filters,
    parties: BTreeSet<Slug>,
    held: Held,
    now: crate::format::time::Timestamp,
    first_named: HashMap<Slug, WorldTime>,
    /// The `party.joined` lines this import planned: each party's line and what it says.
    joined_here: HashMap<Slug, (u64, PartyJoined)>,
    plan: ImportPlan,
}

impl<'a> Planner<'a> {
    /// A planner for `dataset` into a log with `parties` (those its state has) and `held`
    /// (what its lines hold of the dataset); corrections and retractions are made at `now`.
    pub fn new(
        dataset: &'static str,
        filters: &'a Filters,
        parties: BTreeSet<Slug>,
        held: Held,
        now: crate::format::time::Timestamp,
    ) -> Planner<'a> {
        Planner {
            dataset,
            filters,
            parties,
            held,
            now,
            first_named: HashMap::new(),
            joined_here: HashMap::new(),
            plan: ImportPlan::default(),
        }
    }

    /// A release made an event, if the log shows the holder holding people of that side
    /// at its time, in one category only (and more than the releases this import already
    /// planned from it).
    fn resolve(&mut self, release: MappedRelease) -> Mapped {
        let MappedRelease {
            occurred,
            by,
            of,
            count,
        } = release;
        let seq = self.held.next_seq;
        let start = occurred.start();
        let fits: Vec<Category> = CATEGORIES
            .into_iter()
            .filter(|category| {
                self.held.custody_allows(
                    (&by.party, &of.party, *category),
                    seq,
                    start,
                    count.range(),
                )
            })
            .collect();
        let category = match fits.as_slice() {
            [] => {
                return Mapped::Skipped(
                    "release of persons: the log shows the holder holding none of that side then",
                );
            }
            [category] => *category,
            _ => {
                return Mapped::Skipped(
                    "release of persons: the log's custody of that side is in more than one category",
                );
            }
        };
        Mapped::Event(Box::new(MappedEvent {
            occurred,
            data: EventData::ReleaseMade(ReleaseMade {
                by: by.party.clone(),
                of: of.party.clone(),
                category,
                count,
                agreement: None,
                provision: None,
            }),
            actors: vec![by, of],
        }))
    }

    /// Adds the records of one batch. A party that a new record introduces joins at the
    /// world time of the earliest record of the batch that names it, so that every record
    /// naming it folds after it, in whatever order the file lists them.
    pub fn add_batch(&mut self, records: Vec<SourceRecord>) {
        // What the filters say of each new record's event, asked once (`None`: not asked).
        let mut left_out: Vec<Option<Option<&'static str>>> = vec![None; records.len()];
        for (record, left_out) in records.iter().zip(&mut left_out) {
            if self.held.records.contains_key(&record.key) {
                continue;
            }
            let (occurred, actors) = match &record.mapped {
                Mapped::Event(event) => {
                    let reason = self.filters.leaves_out(event);
                    *left_out = Some(reason);
                    if reason.is_some() {
                        continue;
                    }
                    (&event.occurred, event.actors.clone())
                }
                Mapped::Release(release) => (
                    &release.occurred,
                    vec![release.by.clone(), release.of.clone()],
                ),
                _ => continue,
            };
            for actor in &actors {
                if self.parties.contains(&actor.party) {
                    continue;
                }
                let earliest = self.first_named.entry(actor.party.clone());
                let earliest = earliest.or_insert_with(|| occurred.clone());
                if occurred.start() < earliest.start() {
                    *earliest = occurred.clone();
                }
            }
        }
        for (record, left_out) in records.into_iter().zip(left_out) {
            self.add(record, left_out);
        }
    }

    /// Adds a record deleted upstream: `key`, and the deletion list's row as JSON fields.
    pub fn delete(&mut self, key: &str, fields: &str) {
        let Some(held) = self.held.records.get(key).copied() else {
            self.plan.skip("deleted upstream, and never imported");
            return;
        };
        if held.retracted {
            self.plan.unchanged += 1;
            return;
        }
        let mut draft = self.retraction(held.seq, "the record was deleted upstream");
        draft.id = Some(event_id(
            &deletions_dataset(self.dataset),
            &format!(
                "{key}\u{0}{}",
                crate::format::ids::hex_text(&digest_of(fields))
            ),
        ));
        draft.origin = Some(Box::new(Origin {
            dataset: deletions_dataset(self.dataset),
            id: key.to_string(),
            fields: fields_of(fields),
        }));
        self.push(draft);
        self.plan.retracted += 1;
        if let Some(held) = self.held.records.get_mut(key) {
            held.retracted = true;
        }
    }

    /// A retraction of line `target`, made now.
    fn retraction(&self, target: u64, reason: &str) -> Draft {
        Draft::new(
            WorldTime::of_point(self.now.clone()),
            EventData::EventRetracted(EventRetracted {
                target,
                reason: reason.to_string(),
            }),
        )
    }

    /// The drafts planned since the last call, in order, leaving the counts: what an
    /// import appends batch by batch.
    pub fn take_drafts(&mut self) -> Vec<Draft> {
        std::mem::take(&mut self.plan.drafts)
    }

    /// How many drafts are planned and not yet taken.
    pub fn pending(&self) -> usize {
        self.plan.drafts.len()
    }

    /// The plan, all records added.
    pub fn finish(self) -> ImportPlan {
        self.plan
    }

    fn push(&mut self, draft: Draft) -> u64 {
        let seq = self.held.next_seq;
        self.held.next_seq += 1;
        self.held.custody_of(seq, &draft.occurred, &draft.data);
        self.plan.drafts.push(draft);
        seq
    }

    fn origin(&self, key: &str, fields: &str) -> Option<Box<Origin>> {
        // A record's fields are compact already (`SourceRecord::fields`).
        let fields = serde_json::value::RawValue::from_string(fields.to_string())
            .ok()
            .map(RecordFields::from_raw);
        Some(Box::new(Origin {
            dataset: self.dataset.to_string(),
            id: key.to_string(),
            fields,
        }))
    }

    /// The `party.joined` of each actor not yet a party, at the time given with it.
    fn join(&mut self, actors: Vec<(Actor, WorldTime)>) {
        for (actor, joined) in actors {
            if self.parties.contains(&actor.party) {
                continue;
            }
            self.parties.insert(actor.party.clone());
            let joined_data = PartyJoined {
                party: actor.party.clone(),
                name: actor.name,
                role: Role::Party,
                members: None,
            };
            let joined_start = joined.start();
            let mut draft = Draft::new(joined, EventData::PartyJoined(joined_data.clone()));
            // A retracted `party.joined` of an earlier import keeps its id: the next one
            // takes the first id not in the log.
            let mut id = event_id(self.dataset, &format!("party\u{0}{}", actor.party));
            let mut round = 1u32;
            while self.held.joined_ids.contains(&id) {
                round += 1;
                id = event_id(
                    self.dataset,
                    &format!("party\u{0}{}\u{0}{round}", actor.party),
                );
            }
            self.held.joined_ids.insert(id);
            draft.id = Some(id);
            let seq = self.push(draft);
            self.held
                .joined_at
                .insert(actor.party.clone(), joined_start);
            self.held.joined_by_seq.insert(seq, actor.party.clone());
            self.joined_here.insert(actor.party, (seq, joined_data));
        }
    }

    fn add(&mut self, record: SourceRecord, left_out: Option<Option<&'static str>>) {
        // A release is resolved against custody as this import leaves it so far.
        let record = match record.mapped {
            Mapped::Release(release) => SourceRecord {
                mapped: self.resolve(*release),
                ..record
            },
            _ => record,
        };
        let digest = record.digest.unwrap_or_else(|| digest_of(&record.fields));
        debug_assert_eq!(digest, digest_of(&record.fields));
        let Some(held) = self.held.records.get(&record.key).copied() else {
            return self.add_new(record, digest, left_out);
        };
        if held.digest == digest {
            self.plan.unchanged += 1;
            return;
        }
        let id = event_id(
            self.dataset,
            &format!(
                "{}\u{0}{}",
                record.key,
                crate::format::ids::hex_text(&digest)
            ),
        );
        let draft = match record.mapped {
            Mapped::Event(event) => {
                let MappedEvent {
                    occurred,
                    data,
                    actors,
                } = *event;
                // The corrected line keeps its place among lines, so a party the new
                // record introduces joins before its world time: from the day before.
                let before = joined_before(&occurred);
                self.join(
                    actors
                        .into_iter()
                        .map(|actor| (actor, before.clone()))
                        .collect(),
                );
                self.plan.corrected += 1;
                Draft::new(
                    WorldTime::of_point(self.now.clone()),
                    EventData::EventCorrected(EventCorrected {
                        target: held.seq,
                        reason: "the record changed upstream".to_string(),
                        replacement: Replacement {
                            occurred,
                            data: Box::new(data),
                        },
                    }),
                )
            }
            Mapped::Release(_) => {
                debug_assert!(false, "add_batch resolves releases first");
                return;
            }
            Mapped::Skipped(reason) if held.retracted => {
                self.plan.skip(reason);
                if let Some(held) = self.held.records.get_mut(&record.key) {
                    held.digest = digest;
                }
                return;
            }
            Mapped::Skipped(reason) => {
                self.plan.retracted += 1;
                self.retraction(
                    held.seq,
                    &format!("the record changed upstream, and is now skipped: {reason}"),
                )
            }
        };
        let retracted = matches!(draft.data, EventData::EventRetracted(_));
        let mut draft = draft;
        draft.id = Some(id);
        draft.origin = self.origin(&record.key, &record.fields);
        self.push(draft);
        if let Some(held) = self.held.records.get_mut(&record.key) {
            held.digest = digest;
            held.retracted = retracted;
        }
    }

    fn add_new(
        &mut self,
        record: SourceRecord,
        digest: [u8; 16],
        left_out: Option<Option<&'static str>>,
    ) {
        let event = match record.mapped {
            Mapped::Skipped(reason) => return self.plan.skip(reason),
            Mapped::Release(_) => {
                debug_assert!(false, "add_batch resolves releases first");
                return self
                    .plan
                    .skip("release of persons: the custody it ends is not known");
            }
            Mapped::Event(event) => event,
        };
        let left_out = left_out.unwrap_or_else(|| self.filters.leaves_out(&event));
        if let Some(reason) = left_out {
            return self.plan.skip(reason);
        }
        let start = event.occurred.start();
        let joins_later: Vec<Slug> = event
            .actors
            .iter()
            .filter(|actor| {
                self.parties.contains(&actor.party)
                    && self
                        .held
                        .joined_at
                        .get(&actor.party)
                        .is_some_and(|joined| *joined > start)
            })
            .map(|actor| actor.party.clone())
            .collect();
        if joins_later
            .iter()
            .any(|party| !self.joined_here.contains_key(party))
        {
            return self
                .plan
                .skip("names a party whose party.joined in the log is later than the record");
        }
        // A party this import introduced in an earlier batch, at a later record: its line
        // is corrected to this record's time, so every record naming it folds after it.
        for party in joins_later {
            let (seq, joined) = self.joined_here[&party].clone();
            let mut draft = Draft::new(
                WorldTime::of_point(self.now.clone()),
                EventData::EventCorrected(EventCorrected {
                    target: seq,
                    reason: "a record of the import names the party earlier".to_string(),
                    replacement: Replacement {
                        occurred: event.occurred.clone(),
                        data: Box::new(EventData::PartyJoined(joined)),
                    },
                }),
            );
            draft.id = Some(event_id(
                self.dataset,
                &format!("party\u{0}{party}\u{0}{}", event.occurred.as_str()),
            ));
            self.push(draft);
            self.held.joined_at.insert(party, start);
        }
        let MappedEvent {
            occurred,
            data,
            actors,
        } = *event;
        let joining = actors
            .into_iter()
            .map(|actor| {
                let when = self.first_named.get(&actor.party).cloned();
                (actor, when.unwrap_or_else(|| occurred.clone()))
            })
            .collect();
        self.join(joining);
        let mut draft = Draft::new(occurred, data);
        draft.id = Some(event_id(self.dataset, &record.key));
        draft.origin = self.origin(&record.key, &record.fields);
        let seq = self.push(draft);
        self.plan.imported += 1;
        self.held.records.insert(
            record.key,
            HeldRecord {
                seq,
                digest,
                retracted: false,
            },
        );
    }
}

/// A world time that starts the day before `occurred` starts and ends with that day: when
/// a party a correction introduces joined, at the latest.
fn joined_before(occurred: &WorldTime) -> WorldTime {
    let day = occurred.start().date_naive();
    let before = day.pred_opt().unwrap_or(day);
    WorldTime::parse(&format!(
        "{}/{}",
        before.format("%Y-%m-%d"),
        day.format("%Y-%m-%d")
    ))
    .unwrap_or_else(|_| occurred.clone())
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
