//! The events of formats 1 and 2: the envelope, the event types, and drafts.
//!
//! Parsing is strict: unknown fields, duplicate keys, wrong types, malformed identifiers and
//! timestamps are all refused under `envelope.shape`, with the field named. Everything this
//! module accepts is well formed; whether it makes sense against the state is the reducer's
//! question.

use std::fmt;
use std::marker::PhantomData;

use std::sync::Arc;

use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::format::count::{Count, CountError, CountRange};
use crate::format::ids::{EventId, Hash, Slug};
use crate::format::provenance::{Origin, Source, check_sources, upcast_source};
use crate::format::rules::{Rule, Violation};
use crate::format::time::Timestamp;
use crate::format::world_time::WorldTime;

/// A line's format version. A log holds version-1 lines, then version-2 lines: once a line
/// is version 2, every later one is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    One,
    Two,
}

impl Version {
    /// `v` as a line writes it.
    pub fn number(self) -> u64 {
        match self {
            Version::One => 1,
            Version::Two => 2,
        }
    }
}

/// The version every writer writes.
pub const WRITTEN_VERSION: Version = Version::Two;

pub use super::count::MAX_COUNT;

/// A value that must be written as a JSON object. serde's derived structs also accept a JSON
/// array of their fields in order; the format does not, so every struct of the log is read
/// through this.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(ObjectOnly)
    }
}

/// A list of JSON objects (`terms`, `provisions`).
fn object_list<'de, D: Deserializer<'de>, T: Deserialize<'de>, List: FromIterator<T>>(
    deserializer: D,
) -> Result<List, D::Error> {
    let items: Vec<ObjectOnly<T>> = Vec::deserialize(deserializer)?;
    Ok(items.into_iter().map(|item| item.0).collect())
}

/// Who takes part and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Party,
    Mediator,
    Observer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    Position,
    Commitment,
    Demand,
    Appeal,
    Accusation,
    Denial,
    Claim,
    /// A public statement that takes no stance (version 2).
    Remark,
    /// A threat (version 2).
    Threat,
}

impl StatementKind {
    /// Every kind, in the format's order: version 1's seven, then version 2's.
    pub const ALL: [StatementKind; 9] = [
        StatementKind::Position,
        StatementKind::Commitment,
        StatementKind::Demand,
        StatementKind::Appeal,
        StatementKind::Accusation,
        StatementKind::Denial,
        StatementKind::Claim,
        StatementKind::Remark,
        StatementKind::Threat,
    ];

    /// Its name in the format.
    pub fn name(self) -> &'static str {
        match self {
            StatementKind::Position => "position",
            StatementKind::Commitment => "commitment",
            StatementKind::Demand => "demand",
            StatementKind::Appeal => "appeal",
            StatementKind::Accusation => "accusation",
            StatementKind::Denial => "denial",
            StatementKind::Claim => "claim",
            StatementKind::Remark => "remark",
            StatementKind::Threat => "threat",
        }
    }

    /// Whether a version-1 line may use it.
    pub fn in_version_1(self) -> bool {
        !matches!(self, StatementKind::Remark | StatementKind::Threat)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionStatus {
    Pending,
    InProgress,
    Fulfilled,
    Breached,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Combatant,
    Civilian,
    Remains,
}

impl Category {
    /// The name the format gives the category (`combatant`, `civilian`, `remains`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Combatant => "combatant",
            Category::Civilian => "civilian",
            Category::Remains => "remains",
        }
    }

    /// `count` persons of this category, in words: what a refusal and the history say.
    /// Persons of the category, for people: `the remains of 101 persons`, `at least 101
    /// civilians`.
    pub fn persons_in(self, range: CountRange) -> String {
        if range.is_exact() {
            return self.persons(range.low);
        }
        self.persons_shown(range)
    }

    /// `persons_in` of a count as a line writes it (`at most 5`, not `1 to 5`).
    pub fn persons_of(self, count: &Count) -> String {
        match count {
            Count::Exact(count) => self.persons(*count),
            bounds => self.persons_shown(bounds),
        }
    }

    fn persons_shown(self, shown: impl fmt::Display) -> String {
        match self {
            Category::Remains => format!("the remains of {shown} persons"),
            _ => format!("{shown} {}s", self.name()),
        }
    }

    pub fn persons(self, count: u64) -> String {
        match (self, count) {
            (Category::Remains, _) => format!("the remains of {count} persons"),
            (_, 1) => format!("1 {}", self.name()),
            (_, _) => format!("{count} {}s", self.name()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyJoined {
    pub party: Slug,
    pub name: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<Slug>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueRaised {
    pub issue: Slug,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub issue: Slug,
    /// Shared, not copied: a term is cloned into the state and often offered again.
    pub text: std::sync::Arc<str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalMade {
    pub proposal: Slug,
    pub by: Slug,
    /// Shared with the state's proposal (and, in simulations, between proposals).
    pub to: Arc<[Slug]>,
    #[serde(deserialize_with = "object_list")]
    pub terms: Arc<[Term]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<Slug>,
}

/// `proposal.accepted` and `proposal.withdrawn` carry the same fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalAct {
    pub proposal: Slug,
    pub by: Slug,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalRejected {
    pub proposal: Slug,
    pub by: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementMade {
    pub by: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    pub kind: StatementKind,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<Slug>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<Vec<Slug>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionTerms {
    pub provision: Slug,
    pub text: String,
    pub obligated: Vec<Slug>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementSigned {
    pub agreement: Slug,
    pub title: String,
    pub signatories: Vec<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witnesses: Option<Vec<Slug>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<Slug>,
    #[serde(deserialize_with = "object_list")]
    pub provisions: Vec<ProvisionTerms>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionUpdated {
    pub agreement: Slug,
    pub provision: Slug,
    pub status: ProvisionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementTerminated {
    pub agreement: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Slug>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetentionReported {
    pub holder: Slug,
    pub of: Slug,
    pub category: Category,
    /// Exact in a version-1 line; with bounds in a version-2 one.
    pub count: Count,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseMade {
    pub by: Slug,
    pub of: Slug,
    pub category: Category,
    /// Exact in a version-1 line; with bounds in a version-2 one.
    pub count: Count,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision: Option<Slug>,
}

/// Two or more delegations met (version 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingHeld {
    pub meeting: Slug,
    pub parties: Vec<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosted_by: Option<Slug>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediators: Option<Vec<Slug>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<Slug>>,
}

/// An earlier line was wrong and says nothing (version 2): it folds no more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRetracted {
    pub target: u64,
    pub reason: String,
}

/// An earlier line was wrong (version 2): `replacement` is what it should have said, and
/// folds in its place, at its seq.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCorrected {
    pub target: u64,
    pub reason: String,
    pub replacement: Replacement,
}

/// What a corrected line should have said: its `type`, `occurred` and `data`, read as a
/// version-2 line's are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    pub occurred: WorldTime,
    pub data: Box<EventData>,
}

impl Serialize for Replacement {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut object = serializer.serialize_struct("Replacement", 3)?;
        object.serialize_field("type", self.data.type_name())?;
        object.serialize_field("occurred", &self.occurred)?;
        object.serialize_field("data", &*self.data)?;
        object.end()
    }
}

impl<'de> Deserialize<'de> for Replacement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ReplacementFields {
            #[serde(rename = "type")]
            type_name: String,
            occurred: WorldTime,
            data: Box<RawValue>,
        }
        let ObjectOnly(fields) = ObjectOnly::<ReplacementFields>::deserialize(deserializer)?;
        if is_correction_type(&fields.type_name) {
            return Err(serde::de::Error::custom(format!(
                "a replacement's `type` is not `{}`: a correction replaces an event, not a correction",
                fields.type_name
            )));
        }
        let data = EventData::parse(&fields.type_name, fields.data.get(), Version::Two)
            .map_err(|error| serde::de::Error::custom(format!("replacement: {error}")))?;
        Ok(Replacement {
            occurred: fields.occurred,
            data: Box::new(data),
        })
    }
}

/// Whether `type_name` is one of the two types that speak of another line.
fn is_correction_type(type_name: &str) -> bool {
    matches!(type_name, "event.corrected" | "event.retracted")
}

/// The longest `reason` of a correction or retraction, in characters: a limit, like every
/// text of a line has through the line's length.
pub const MAX_REASON_CHARS: usize = 4_096;

/// Declares the event types from one list of (variant, data type, `type` name): the
/// `EventData` enum, `EVENT_TYPES`, `EventData::type_name` and the parser's dispatch all come
/// from the same lines, so a new type cannot be missed by any of them; the reducer, the
/// describer and the history match on `EventData` exhaustively, so the compiler finds the
/// rest.
macro_rules! event_types {
    ($($variant:ident($data:ty) => $name:literal,)*) => {
        /// The `data` of an event, by its `type`.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        #[serde(untagged)]
        pub enum EventData {
            $($variant($data),)*
        }

        /// Every `type`, in the order the format lists them (version 1's twelve first).
        pub const EVENT_TYPES: &[&str] = &[$($name,)*];

        impl EventData {
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(EventData::$variant(_) => $name,)*
                }
            }

            /// The data of an event of `parser.type_name`, parsed into its variant; `None`
            /// for a type the format does not have.
            fn parse_variant(parser: &TypedParser<'_>) -> Option<Result<EventData, DataError>> {
                match parser.type_name {
                    $($name => Some(parser.parse::<$data>().map(EventData::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    PartyJoined(PartyJoined) => "party.joined",
    IssueRaised(IssueRaised) => "issue.raised",
    ProposalMade(ProposalMade) => "proposal.made",
    ProposalAccepted(ProposalAct) => "proposal.accepted",
    ProposalRejected(ProposalRejected) => "proposal.rejected",
    ProposalWithdrawn(ProposalAct) => "proposal.withdrawn",
    StatementMade(StatementMade) => "statement.made",
    AgreementSigned(AgreementSigned) => "agreement.signed",
    ProvisionUpdated(ProvisionUpdated) => "provision.updated",
    AgreementTerminated(AgreementTerminated) => "agreement.terminated",
    DetentionReported(DetentionReported) => "detention.reported",
    ReleaseMade(ReleaseMade) => "release.made",
    MeetingHeld(MeetingHeld) => "meeting.held",
    EventRetracted(EventRetracted) => "event.retracted",
    EventCorrected(EventCorrected) => "event.corrected",
}

/// Why an event's `data` is refused (under `envelope.shape`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("unknown event type `{0}` (expected one of {types})", types = EVENT_TYPES.join(", "))]
    UnknownType(String),
    /// Not the JSON of its type: serde's words, with the column counted from the line's start.
    #[error("data of {type_name}: {detail}")]
    Json { type_name: String, detail: String },
    #[error("data of {type_name}: {shape}")]
    Shape {
        type_name: &'static str,
        shape: ShapeError,
    },
}

/// What the types of an event's data do not say, and the data breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error(transparent)]
    Count(#[from] CountError),
    /// Bounds on a count are version 2.
    #[error(
        "`count` is a whole number in a version-1 line; bounds (`at_least`, `at_most`) are version 2"
    )]
    BoundsInVersion1,
    /// The statement kinds `remark` and `threat` are version 2.
    #[error("a statement of kind `{}` is version 2", kind.name())]
    KindInVersion2 { kind: StatementKind },
    #[error("`to` must name at least one party")]
    NoRecipient,
    #[error("`terms` must hold at least one term")]
    NoTerms,
    #[error("a proposal names at most one of `supersedes` and `counters`")]
    SupersedesAndCounters,
    #[error("`signatories` must name at least two parties")]
    TooFewSignatories,
    #[error("`provisions` must hold at least one provision")]
    NoProvisions,
    /// `meeting.held`, `event.retracted` and `event.corrected` are version 2.
    #[error("`{type_name}` is version 2")]
    TypeInVersion2 { type_name: &'static str },
    #[error("`parties` must name at least one party")]
    NoMeetingParties,
    #[error("`target` is the seq of an earlier line, at least 1")]
    NoTarget,
    #[error("`reason` says why, in 1 to {MAX_REASON_CHARS} characters")]
    Reason,
    #[error("a replacement's `type` is not a correction or a retraction")]
    ReplacementIsACorrection,
}

/// Parses one event's `data` JSON into a chosen type, naming the event type and counting
/// columns from the start of the line in its errors.
struct TypedParser<'a> {
    type_name: &'a str,
    json: &'a str,
    column_offset: usize,
}

impl TypedParser<'_> {
    fn parse<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        serde_json::from_str::<ObjectOnly<T>>(self.json)
            .map(|object| object.0)
            .map_err(|error| DataError::Json {
                type_name: self.type_name.to_string(),
                detail: describe_json_error(&error, self.json, self.column_offset),
            })
    }
}

impl EventData {
    /// Parses the `data` of an event of the given `type`, as a line of `version` holds it,
    /// and checks its shape.
    pub fn parse(
        type_name: &str,
        data_json: &str,
        version: Version,
    ) -> Result<EventData, DataError> {
        EventData::parse_at(type_name, data_json, 0, version)
    }

    /// `parse`, for `data` that starts `column_offset` bytes into its line, so that errors
    /// give columns counted from the start of the line.
    fn parse_at(
        type_name: &str,
        data_json: &str,
        column_offset: usize,
        version: Version,
    ) -> Result<EventData, DataError> {
        let parser = TypedParser {
            type_name,
            json: data_json,
            column_offset,
        };
        let Some(data) = EventData::parse_variant(&parser) else {
            return Err(DataError::UnknownType(type_name.chars().take(40).collect()));
        };
        let data = data?;
        data.check_shape()
            .and_then(|()| match version {
                Version::One => data.check_version_1(),
                Version::Two => Ok(()),
            })
            .map_err(|shape| DataError::Shape {
                type_name: data.type_name(),
                shape,
            })?;
        Ok(data)
    }

    /// The parts of `envelope.shape` that types alone do not say: non-empty lists, counts
    /// from 1 to `MAX_COUNT`, at most one of `supersedes` and `counters`. Parsing checks
    /// them, and so does `reducer::apply`, for data built in code.
    pub fn check_shape(&self) -> Result<(), ShapeError> {
        match self {
            EventData::ProposalMade(made) => {
                if made.to.is_empty() {
                    return Err(ShapeError::NoRecipient);
                }
                if made.terms.is_empty() {
                    return Err(ShapeError::NoTerms);
                }
                if made.supersedes.is_some() && made.counters.is_some() {
                    return Err(ShapeError::SupersedesAndCounters);
                }
            }
            // Version 2 allows a signing whose text is not known: no provisions.
            EventData::AgreementSigned(signed) if signed.signatories.len() < 2 => {
                return Err(ShapeError::TooFewSignatories);
            }
            EventData::DetentionReported(reported) => reported.count.check()?,
            EventData::ReleaseMade(release) => release.count.check()?,
            EventData::MeetingHeld(meeting) if meeting.parties.is_empty() => {
                return Err(ShapeError::NoMeetingParties);
            }
            EventData::EventRetracted(EventRetracted { target, reason })
            | EventData::EventCorrected(EventCorrected { target, reason, .. }) => {
                if *target == 0 {
                    return Err(ShapeError::NoTarget);
                }
                let chars = reason.chars().count();
                if reason.trim().is_empty() || chars > MAX_REASON_CHARS {
                    return Err(ShapeError::Reason);
                }
                if let EventData::EventCorrected(corrected) = self {
                    let replaced = &corrected.replacement.data;
                    if replaced.is_correction() {
                        return Err(ShapeError::ReplacementIsACorrection);
                    }
                    replaced.check_shape()?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether it speaks of another line (`event.retracted`, `event.corrected`) rather than
    /// of the negotiation.
    pub fn is_correction(&self) -> bool {
        matches!(
            self,
            EventData::EventRetracted(_) | EventData::EventCorrected(_)
        )
    }

    /// The line a correction or retraction speaks of.
    pub fn correction_target(&self) -> Option<u64> {
        match self {
            EventData::EventRetracted(retracted) => Some(retracted.target),
            EventData::EventCorrected(corrected) => Some(corrected.target),
            _ => None,
        }
    }

    /// What version 1 adds to the shape: every count exact, an agreement's provisions
    /// given, a statement of a version-1 kind.
    pub fn check_version_1(&self) -> Result<(), ShapeError> {
        match self {
            EventData::DetentionReported(DetentionReported { count, .. })
            | EventData::ReleaseMade(ReleaseMade { count, .. })
                if !count.is_exact() =>
            {
                Err(ShapeError::BoundsInVersion1)
            }
            EventData::AgreementSigned(signed) if signed.provisions.is_empty() => {
                Err(ShapeError::NoProvisions)
            }
            EventData::StatementMade(statement) if !statement.kind.in_version_1() => {
                Err(ShapeError::KindInVersion2 {
                    kind: statement.kind,
                })
            }
            EventData::MeetingHeld(_)
            | EventData::EventRetracted(_)
            | EventData::EventCorrected(_) => Err(ShapeError::TypeInVersion2 {
                type_name: self.type_name(),
            }),
            _ => Ok(()),
        }
    }
}

/// One line of a log, parsed and shape-checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub version: Version,
    pub seq: u64,
    pub id: EventId,
    /// A point in a version-1 line; any world time in a version-2 one.
    pub occurred: WorldTime,
    pub recorded: Timestamp,
    pub data: EventData,
    /// A version-1 line's `source`, as written.
    pub source: Option<String>,
    /// A version-2 line's `sources`.
    pub sources: Option<Vec<Source>>,
    /// A version-2 line's `origin`: the dataset record it was imported from.
    pub origin: Option<Box<Origin>>,
    pub prev: Hash,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeFields<'a> {
    v: serde_json::Value,
    seq: u64,
    id: EventId,
    occurred: WorldTime,
    recorded: Timestamp,
    #[serde(rename = "type", borrow)]
    type_name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
    source: Option<String>,
    #[serde(default, deserialize_with = "optional_object_list")]
    sources: Option<Vec<Source>>,
    origin: Option<ObjectOnly<Origin>>,
    prev: Hash,
}

/// An optional list of JSON objects (`sources`).
fn optional_object_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    let items: Option<Vec<ObjectOnly<T>>> = Option::deserialize(deserializer)?;
    Ok(items.map(|items| items.into_iter().map(|item| item.0).collect()))
}

/// What a line's or a draft's provenance may be: version 1 cites in `source`, version 2 in
/// `sources` and `origin`.
fn check_provenance(
    version: Version,
    source: Option<&str>,
    sources: Option<&[Source]>,
    origin: Option<&Origin>,
) -> Result<(), String> {
    match version {
        Version::One if sources.is_some() => {
            Err("`sources` is version 2; a version-1 line cites in `source`".into())
        }
        Version::One if origin.is_some() => Err("`origin` is version 2".into()),
        Version::Two if source.is_some() => {
            Err("`source` is version 1; a version-2 line cites in `sources`".into())
        }
        _ => {
            if let Some(sources) = sources {
                check_sources(sources).map_err(|error| error.to_string())?;
            }
            if let Some(origin) = origin {
                origin.check().map_err(|error| error.to_string())?;
            }
            Ok(())
        }
    }
}

/// A version-1 line's `occurred` is a point; a period or an interval is version 2.
fn check_occurred_of_version_1(occurred: &WorldTime) -> Result<(), String> {
    if occurred.as_point().is_some() {
        return Ok(());
    }
    let refused = match Timestamp::parse(occurred.as_str()) {
        Err(error) => error.to_string(),
        Ok(_) => format!("`{}` is not a point", occurred.as_str()),
    };
    Err(format!("{refused}; periods and intervals are version 2"))
}

impl Event {
    /// Parses one line (without its newline). Checks `envelope.shape` and `envelope.version`
    /// of the line alone; the rules between lines (seq, id, recorded, chain, a version-1 line
    /// after a version-2 one) are the reader's.
    pub fn parse_line(line: &[u8]) -> Result<Event, Violation> {
        let shape = |detail: String| Violation::new(Rule::EnvelopeShape, detail);
        let text = std::str::from_utf8(line).map_err(|error| {
            shape(format!(
                "the line is not UTF-8 (invalid byte at offset {})",
                error.valid_up_to()
            ))
        })?;
        if text.starts_with('\u{feff}') {
            return Err(shape(
                "the line starts with a byte-order mark (U+FEFF, the bytes EF BB BF); a log is UTF-8 without one".into(),
            ));
        }
        if text.trim().is_empty() {
            return Err(shape(
                "the line is blank; a log has one JSON object per line".into(),
            ));
        }
        if !text.trim_start().starts_with('{') {
            return Err(shape("the line is not a JSON object".into()));
        }
        if text.ends_with('\r') {
            return Err(shape(
                "the line ends with a carriage return: the file has Windows (CRLF) line endings, and a log ends every line with \\n alone".into(),
            ));
        }
        let ObjectOnly(fields) = serde_json::from_str::<ObjectOnly<EnvelopeFields<'_>>>(text)
            .map_err(|error| {
                shape(format!(
                    "envelope: {}",
                    describe_json_error(&error, text, 0)
                ))
            })?;
        let version = if fields.v == 1 {
            Version::One
        } else if fields.v == 2 {
            Version::Two
        } else {
            let shown: String = fields.v.to_string().chars().take(40).collect();
            return Err(Violation::new(
                Rule::EnvelopeVersion,
                format!("`v` is {shown}; this reader knows versions 1 and 2"),
            ));
        };
        if fields.seq == 0 {
            return Err(shape("`seq` must be at least 1".into()));
        }
        if version == Version::One {
            check_occurred_of_version_1(&fields.occurred)
                .map_err(|detail| shape(format!("envelope: {detail}")))?;
        }
        let origin = fields.origin.map(|origin| Box::new(origin.0));
        check_provenance(
            version,
            fields.source.as_deref(),
            fields.sources.as_deref(),
            origin.as_deref(),
        )
        .map_err(|detail| shape(format!("envelope: {detail}")))?;
        let data = EventData::parse_at(
            &fields.type_name,
            fields.data.get(),
            offset_in(text, fields.data.get()),
            version,
        )
        .map_err(|error| shape(error.to_string()))?;
        Ok(Event {
            version,
            seq: fields.seq,
            id: fields.id,
            occurred: fields.occurred,
            recorded: fields.recorded,
            data,
            source: fields.source,
            sources: fields.sources,
            origin,
            prev: fields.prev,
        })
    }

    /// The sources of the line as version 2 reads them: a version-1 `source` upcast.
    pub fn sources(&self) -> std::borrow::Cow<'_, [Source]> {
        match (&self.sources, self.version) {
            (Some(sources), _) => std::borrow::Cow::Borrowed(sources),
            (None, Version::One) => {
                std::borrow::Cow::Owned(upcast_source(self.source.as_deref()).unwrap_or_default())
            }
            (None, Version::Two) => std::borrow::Cow::Borrowed(&[]),
        }
    }

    /// The line accord writes for this event: fields in the format's order, compact, no newline.
    pub fn to_line(&self) -> String {
        let mut line = Vec::with_capacity(512);
        self.write_line(&mut line);
        String::from_utf8(line).expect("serde_json writes UTF-8")
    }

    /// Appends the line (without its newline) to `out`, which callers reuse between lines.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        write_event_line(out, self.parts());
    }

    /// The event's fields, borrowed.
    pub fn parts(&self) -> EventParts<'_> {
        EventParts {
            version: self.version,
            seq: self.seq,
            id: self.id,
            occurred: self.occurred.as_str(),
            recorded: &self.recorded,
            data: &self.data,
            source: self.source.as_deref(),
            sources: self.sources.as_deref(),
            origin: self.origin.as_deref(),
            prev: self.prev,
        }
    }
}

/// An event's fields, borrowed: what a writer that does not keep its events (the
/// simulator) hands to `write_event_line`.
#[derive(Clone, Copy)]
pub struct EventParts<'a> {
    pub version: Version,
    pub seq: u64,
    pub id: EventId,
    pub occurred: &'a str,
    pub recorded: &'a Timestamp,
    pub data: &'a EventData,
    /// Version 1's citation.
    pub source: Option<&'a str>,
    /// Version 2's.
    pub sources: Option<&'a [Source]>,
    pub origin: Option<&'a Origin>,
    pub prev: Hash,
}

/// Appends an event's line (without its newline) to `out`: the same bytes as serde_json
/// writes for the envelope as a derived `Serialize` struct (the definition, which the tests
/// compare with).
///
/// The envelope is written by hand because every log line has one and its values (numbers,
/// a UUID, two timestamps, a type name, a hash) never need escaping; writing them through
/// serde_json cost a quarter of writing a simulated run's log. So is `proposal.made`'s data;
/// other data and the provenance go through serde_json.
pub fn write_event_line(out: &mut Vec<u8>, event: EventParts<'_>) {
    debug_assert!(
        event.version == Version::Two || (event.sources.is_none() && event.origin.is_none()),
        "a version-1 line has no `sources` or `origin`"
    );
    debug_assert!(
        event.version == Version::One || event.source.is_none(),
        "a version-2 line has no `source`"
    );
    let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let mut number = itoa::Buffer::new();
    out.extend_from_slice(b"{\"v\":");
    out.extend_from_slice(number.format(event.version.number()).as_bytes());
    out.extend_from_slice(b",\"seq\":");
    out.extend_from_slice(number.format(event.seq).as_bytes());
    out.extend_from_slice(b",\"id\":");
    push_unescaped_json_string(out, event.id.encode(&mut id));
    out.extend_from_slice(b",\"occurred\":");
    push_unescaped_json_string(out, event.occurred);
    out.extend_from_slice(b",\"recorded\":");
    push_unescaped_json_string(out, event.recorded.as_str());
    out.extend_from_slice(b",\"type\":");
    push_unescaped_json_string(out, event.data.type_name());
    out.extend_from_slice(b",\"data\":");
    match event.data {
        // Most lines of a negotiation (and nearly all of a simulated one) are offers.
        EventData::ProposalMade(made) => write_proposal_made(out, made),
        data => serde_json::to_writer(&mut *out, data).expect("event data always serialises"),
    }
    if let Some(source) = event.source {
        out.extend_from_slice(b",\"source\":");
        serde_json::to_writer(&mut *out, source).expect("a string always serialises");
    }
    if let Some(sources) = event.sources {
        out.extend_from_slice(b",\"sources\":");
        serde_json::to_writer(&mut *out, sources).expect("sources always serialise");
    }
    if let Some(origin) = event.origin {
        out.extend_from_slice(b",\"origin\":");
        serde_json::to_writer(&mut *out, origin).expect("an origin always serialises");
    }
    out.extend_from_slice(b",\"prev\":");
    push_unescaped_json_string(
        out,
        std::str::from_utf8(&event.prev.hex()).expect("hex is ASCII"),
    );
    out.push(b'}');
}

/// Appends a `proposal.made`'s data: the bytes serde_json writes for `ProposalMade` (the
/// tests compare the two). Identifiers never need escaping; term texts are free text.
fn write_proposal_made(out: &mut Vec<u8>, made: &ProposalMade) {
    out.extend_from_slice(b"{\"proposal\":");
    push_unescaped_json_string(out, made.proposal.as_str());
    out.extend_from_slice(b",\"by\":");
    push_unescaped_json_string(out, made.by.as_str());
    out.extend_from_slice(b",\"to\":[");
    for (position, addressee) in made.to.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        push_unescaped_json_string(out, addressee.as_str());
    }
    out.extend_from_slice(b"],\"terms\":[");
    for (position, term) in made.terms.iter().enumerate() {
        out.extend_from_slice(if position > 0 {
            b",{\"issue\":"
        } else {
            b"{\"issue\":"
        });
        push_unescaped_json_string(out, term.issue.as_str());
        out.extend_from_slice(b",\"text\":");
        push_json_string(out, &term.text);
        out.push(b'}');
    }
    out.push(b']');
    if let Some(supersedes) = &made.supersedes {
        out.extend_from_slice(b",\"supersedes\":");
        push_unescaped_json_string(out, supersedes.as_str());
    }
    if let Some(counters) = &made.counters {
        out.extend_from_slice(b",\"counters\":");
        push_unescaped_json_string(out, counters.as_str());
    }
    out.push(b'}');
}

/// Appends free text as a JSON string: copied as it is when nothing in it needs escaping
/// (the common case), escaped by serde_json otherwise.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\')
    {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, text).expect("a string always serialises");
    }
}

/// Appends `text` as a JSON string without escaping it: the callers' texts (UUIDs, validated
/// timestamps, type names, hex hashes, identifiers) are printable ASCII without quotes or
/// backslashes by construction of their types.
fn push_unescaped_json_string(out: &mut Vec<u8>, text: &str) {
    debug_assert!(
        text.bytes()
            .all(|byte| (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\'),
        "`{text}` needs escaping"
    );
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// What a client asks accord to append: accord fills `v`, `seq`, `recorded`, `prev`, and a
/// random `id` when none is given. A draft becomes a version-2 line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub id: Option<EventId>,
    pub occurred: WorldTime,
    pub data: EventData,
    /// A draft's `source` text is read as one source that cites it.
    pub sources: Option<Vec<Source>>,
    pub origin: Option<Box<Origin>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftFields<'a> {
    #[serde(rename = "type", borrow)]
    type_name: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
    occurred: WorldTime,
    id: Option<EventId>,
    source: Option<String>,
    #[serde(default, deserialize_with = "optional_object_list")]
    sources: Option<Vec<Source>>,
    origin: Option<ObjectOnly<Origin>>,
}

impl Draft {
    /// A draft of `data` at `occurred`, with no id and no provenance.
    pub fn new(occurred: WorldTime, data: EventData) -> Draft {
        Draft {
            id: None,
            occurred,
            data,
            sources: None,
            origin: None,
        }
    }

    /// Parses one draft line: `{"type", "data", "occurred", "id"?, "source"?, "sources"?,
    /// "origin"?}`.
    pub fn parse(text: &str) -> Result<Draft, Violation> {
        let shape = |detail: String| Violation::new(Rule::EnvelopeShape, detail);
        if !text.trim_start().starts_with('{') {
            return Err(shape("a draft is one JSON object per line".into()));
        }
        let ObjectOnly(fields) = serde_json::from_str::<ObjectOnly<DraftFields<'_>>>(text)
            .map_err(|error| shape(format!("draft: {}", describe_json_error(&error, text, 0))))?;
        if fields.source.is_some() && fields.sources.is_some() {
            return Err(shape(
                "draft: give `source` (one citation) or `sources`, not both".into(),
            ));
        }
        let origin = fields.origin.map(|origin| Box::new(origin.0));
        check_provenance(
            Version::Two,
            None,
            fields.sources.as_deref(),
            origin.as_deref(),
        )
        .map_err(|detail| shape(format!("draft: {detail}")))?;
        let data = EventData::parse_at(
            &fields.type_name,
            fields.data.get(),
            offset_in(text, fields.data.get()),
            WRITTEN_VERSION,
        )
        .map_err(|error| shape(error.to_string()))?;
        Ok(Draft {
            id: fields.id,
            occurred: fields.occurred,
            data,
            sources: fields
                .sources
                .or_else(|| upcast_source(fields.source.as_deref())),
            origin,
        })
    }

    /// Whether an event already in the log is this draft, sent again (a version-1 line's
    /// `source` read as version 2 reads it).
    pub fn is_same_as(&self, event: &Event) -> bool {
        self.occurred.as_str() == event.occurred.as_str()
            && self.data == event.data
            && self.sources.as_deref().unwrap_or_default() == &*event.sources()
            && self.origin == event.origin
    }
}

/// Where `part`, a slice of `whole`, starts in it, in bytes.
fn offset_in(whole: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    debug_assert!(offset + part.len() <= whole.len(), "part lies within whole");
    offset.min(whole.len())
}

/// A serde_json error for people: its message, the column counted from the start of the
/// line (`text` starts `column_offset` bytes into it), and, for a `\u` escape of half a
/// UTF-16 pair, what that is.
fn describe_json_error(error: &serde_json::Error, text: &str, column_offset: usize) -> String {
    let message = error
        .to_string()
        .replace("expected u64", "expected a whole number from 0");
    let mut described = match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    let about_an_escape = described.contains("escape") || described.contains("surrogate");
    if let Some((escape, at)) = lone_surrogate(text).filter(|_| about_an_escape) {
        described = format!(
            "`{escape}` at column {} is a lone UTF-16 surrogate, half of a pair and not a character: JSON text must be valid Unicode",
            column_offset + at + 1
        );
    } else if error.column() > 0 {
        described.push_str(&format!(" (column {})", column_offset + error.column()));
    }
    described
}

/// The first `\uD800`-`\uDFFF` escape in JSON text that is not a high surrogate followed by
/// a low one, and its byte offset.
fn lone_surrogate(text: &str) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let surrogate_at = |at: usize| -> Option<u16> {
        let digits = text.get(at + 2..at + 6)?;
        (bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&b'u'))
            .then(|| u16::from_str_radix(digits, 16).ok())
            .flatten()
            .filter(|unit| (0xd800..=0xdfff).contains(unit))
    };
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'\\' {
            if let Some(unit) = surrogate_at(at) {
                let paired =
                    unit < 0xdc00 && surrogate_at(at + 6).is_some_and(|next| next >= 0xdc00);
                if !paired {
                    return Some((&text[at..at + 6], at));
                }
                at += 12;
                continue;
            }
            // Any other escape: skip the backslash and the character it escapes.
            at += 2;
            continue;
        }
        at += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"v":1,"seq":1,"id":"00000000-0000-4000-8000-000000000001","occurred":"2020-11-09T21:00:00Z","recorded":"2026-11-27T10:00:00.000000Z","type":"party.joined","data":{"party":"ARM","name":"Armenia","role":"party"},"source":"a citation","prev":"0000000000000000000000000000000000000000000000000000000000000000"}"#;

    /// The envelope as serde_json writes it: the definition `write_event_line` must match.
    #[derive(Serialize)]
    struct EnvelopeOut<'a> {
        v: u64,
        seq: u64,
        id: EventId,
        occurred: &'a WorldTime,
        recorded: &'a Timestamp,
        #[serde(rename = "type")]
        type_name: &'static str,
        data: &'a EventData,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: &'a Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sources: &'a Option<Vec<Source>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        origin: &'a Option<Box<Origin>>,
        prev: Hash,
    }

    fn line_by_serde(event: &Event) -> String {
        serde_json::to_string(&EnvelopeOut {
            v: event.version.number(),
            seq: event.seq,
            id: event.id,
            occurred: &event.occurred,
            recorded: &event.recorded,
            type_name: event.data.type_name(),
            data: &event.data,
            source: &event.source,
            sources: &event.sources,
            origin: &event.origin,
            prev: event.prev,
        })
        .unwrap()
    }

    #[test]
    fn the_hand_written_envelope_is_what_serde_writes_for_every_shipped_line() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut logs = vec![root.join("events/karabakh.jsonl")];
        for entry in std::fs::read_dir(root.join("tests/fixtures/valid")).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|extension| extension == "jsonl")
            {
                logs.push(path);
            }
        }
        let mut lines = 0;
        for log in logs {
            for line in std::fs::read_to_string(&log).unwrap().lines() {
                let Ok(event) = Event::parse_line(line.as_bytes()) else {
                    continue;
                };
                assert_eq!(event.to_line(), line_by_serde(&event), "{}", log.display());
                lines += 1;
            }
        }
        assert!(lines > 100, "only {lines} lines were compared");
    }

    proptest::proptest! {
        #[test]
        fn the_hand_written_envelope_is_what_serde_writes(
            seq in proptest::prelude::any::<u64>(),
            id in proptest::prelude::any::<u128>(),
            source in proptest::option::of("\\PC*|[\"\\\\\u{0}-\u{1f}\u{7f}é]{0,8}"),
            prev_of in proptest::prelude::any::<u64>(),
            fraction in "(\\.[0-9]{1,9})?",
        ) {
            let mut event = Event::parse_line(LINE.as_bytes()).unwrap();
            event.seq = seq;
            event.id = EventId::from_u128(id);
            event.source = source;
            event.prev = Hash::of(&prev_of.to_le_bytes());
            event.recorded = Timestamp::parse(&format!("2026-11-27T10:00:00{fraction}Z")).unwrap();
            proptest::prop_assert_eq!(event.to_line(), line_by_serde(&event));
        }
    }

    fn slug() -> impl proptest::strategy::Strategy<Value = Slug> {
        use proptest::strategy::Strategy;
        "[a-zA-Z0-9][a-zA-Z0-9._-]{0,30}".prop_map(|text| Slug::parse(&text).unwrap())
    }

    proptest::proptest! {
        #[test]
        fn the_hand_written_proposal_is_what_serde_writes(
            proposal in slug(),
            by in slug(),
            to in proptest::collection::vec(slug(), 0..4),
            terms in proptest::collection::vec(
                (slug(), "\\PC*|[\"\\\\\u{0}-\u{1f}\u{7f}é ]{0,8}"),
                0..4,
            ),
            supersedes in proptest::option::of(slug()),
            counters in proptest::option::of(slug()),
        ) {
            let mut event = Event::parse_line(LINE.as_bytes()).unwrap();
            event.data = EventData::ProposalMade(ProposalMade {
                proposal,
                by,
                to: to.into(),
                terms: terms
                    .into_iter()
                    .map(|(issue, text)| Term { issue, text: text.into() })
                    .collect(),
                supersedes,
                counters,
            });
            proptest::prop_assert_eq!(event.to_line(), line_by_serde(&event));
        }
    }

    #[test]
    fn a_line_round_trips_byte_for_byte() {
        let event = Event::parse_line(LINE.as_bytes()).unwrap();
        assert_eq!(event.to_line(), LINE);
    }

    #[test]
    fn duplicate_keys_and_unknown_fields_are_refused() {
        let duplicate = LINE.replace(r#""role":"party""#, r#""role":"party","role":"observer""#);
        let error = Event::parse_line(duplicate.as_bytes()).unwrap_err();
        assert_eq!(error.rule, Rule::EnvelopeShape);
        assert!(error.detail.contains("duplicate field"), "{}", error.detail);

        let unknown = LINE.replace(r#""role":"party""#, r#""role":"party","colour":"red""#);
        let error = Event::parse_line(unknown.as_bytes()).unwrap_err();
        assert!(
            error.detail.contains("unknown field `colour`"),
            "{}",
            error.detail
        );
    }

    #[test]
    fn null_optional_fields_read_as_absent() {
        let with_null = LINE.replace(r#""source":"a citation""#, r#""source":null"#);
        let event = Event::parse_line(with_null.as_bytes()).unwrap();
        assert_eq!(event.source, None);
    }

    #[test]
    fn a_version_this_reader_does_not_know_is_its_own_rule() {
        for v in ["3", "0", "\"2\"", "2.0"] {
            let line = LINE.replace(r#""v":1"#, &format!(r#""v":{v}"#));
            assert_eq!(
                Event::parse_line(line.as_bytes()).unwrap_err().rule,
                Rule::EnvelopeVersion,
                "{v}"
            );
        }
    }

    const LINE_2: &str = r#"{"v":2,"seq":1,"id":"00000000-0000-4000-8000-000000000001","occurred":"2021-05~","recorded":"2026-11-27T10:00:00.000000Z","type":"party.joined","data":{"party":"ARM","name":"Armenia","role":"party"},"sources":[{"cite":"a citation","url":"https://example.org/a","published":"2021-05-06","quote":"words"},{"cite":"another"}],"origin":{"dataset":"plover","id":"r-1","fields":{"b": 1.50, "a":[true,null]}},"prev":"0000000000000000000000000000000000000000000000000000000000000000"}"#;

    #[test]
    fn a_version_2_line_round_trips_byte_for_byte_with_its_provenance() {
        let event = Event::parse_line(LINE_2.as_bytes()).unwrap();
        assert_eq!(event.version, Version::Two);
        assert_eq!(event.occurred.as_str(), "2021-05~");
        assert_eq!(event.sources().len(), 2);
        assert_eq!(event.to_line(), LINE_2);
        assert_eq!(event.to_line(), line_by_serde(&event));
    }

    #[test]
    fn each_version_keeps_its_own_envelope() {
        let refused = |line: String, needle: &str| {
            let error = Event::parse_line(line.as_bytes()).unwrap_err();
            assert_eq!(error.rule, Rule::EnvelopeShape, "{line}");
            assert!(error.detail.contains(needle), "{}", error.detail);
        };
        refused(LINE_2.replace(r#""v":2"#, r#""v":1"#), "version 2");
        refused(
            LINE.replace(r#""source":"a citation""#, r#""sources":[{"cite":"x"}]"#),
            "`sources` is version 2",
        );
        refused(
            LINE.replace(r#""v":1"#, r#""v":2"#),
            "`source` is version 1",
        );
        refused(
            LINE_2.replace(r#"{"cite":"another"}"#, r#"{"cite":" "}"#),
            "source 2",
        );
        refused(
            LINE_2.replace(r#"[{"cite":"a citation""#, r#"[["a citation""#),
            "",
        );
        refused(
            LINE_2.replace(r#""sources":[{"#, r#""sources":[],"x":[{"#),
            "",
        );
        refused(LINE_2.replace(r#""id":"r-1""#, r#""id":"""#), "origin.id");
        refused(
            LINE_2.replace(
                r#""fields":{"b": 1.50, "a":[true,null]}"#,
                r#""fields":[1]"#,
            ),
            "origin.fields",
        );
        refused(
            LINE.replace("2020-11-09T21:00:00Z", "2020-11-09"),
            "periods and intervals are version 2",
        );
        refused(LINE_2.replace("2021-05~", "2021-02-30"), "2021-02-30");
    }

    #[test]
    fn a_draft_source_is_one_cited_source_and_matches_a_version_1_line() {
        let draft = Draft::parse(
            r#"{"type":"party.joined","data":{"party":"ARM","name":"Armenia","role":"party"},"occurred":"2020-11-09T21:00:00Z","source":"a citation"}"#,
        )
        .unwrap();
        assert_eq!(draft.sources.as_ref().unwrap()[0].cite, "a citation");
        assert!(draft.is_same_as(&Event::parse_line(LINE.as_bytes()).unwrap()));
        let both = Draft::parse(
            r#"{"type":"issue.raised","data":{"issue":"x","title":"t"},"occurred":"2021","source":"a","sources":[{"cite":"b"}]}"#,
        );
        assert!(both.unwrap_err().detail.contains("not both"));
    }
}
