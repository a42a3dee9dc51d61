//! The state of a negotiation: what the fold of a log's events says is true.
//!
//! Every map is a `BTreeMap` and every struct declares its fields in alphabetical order, so
//! the JSON accord prints has its keys sorted at every level and the same state always
//! serialises to the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::format::count::CountRange;
use crate::format::event::{Category, ProvisionStatus, Role, Term};
use crate::format::ids::Slug;
use crate::format::world_time::WorldTime;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub agreements: BTreeMap<Slug, Agreement>,
    /// Every correction and retraction among the lines considered, by `target`, then `by`
    /// (version 2; absent from the JSON when there is none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<CorrectionNote>,
    pub custody: BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub issues: BTreeMap<Slug, Issue>,
    /// Version 2; absent from the JSON when there is none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meetings: BTreeMap<Slug, Meeting>,
    pub parties: BTreeMap<Slug, Party>,
    pub proposals: BTreeMap<Slug, Proposal>,
    pub released: BTreeMap<Slug, BTreeMap<Slug, Counts>>,
}

/// A meeting of delegations (version 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    pub hosted_by: Option<Slug>,
    pub issues: Vec<Slug>,
    pub mediators: Vec<Slug>,
    pub parties: Vec<Slug>,
    pub place: Option<String>,
    pub seq: u64,
    pub title: Option<String>,
}

/// Whether a line was corrected or retracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    Corrected,
    Retracted,
}

/// A correction or retraction: of line `target`, by line `by`, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionNote {
    pub by: u64,
    pub kind: CorrectionKind,
    pub reason: String,
    pub target: u64,
}

impl State {
    /// Notes a correction or retraction, keeping the list in its order (by target, then by).
    pub fn note_correction(&mut self, note: CorrectionNote) {
        let key = (note.target, note.by);
        let at = self
            .corrections
            .partition_point(|known| (known.target, known.by) < key);
        self.corrections.insert(at, note);
    }

    /// How many of the lines considered fold no event: the corrections and retractions
    /// themselves, and the lines whose last word is a retraction. Every other line folds
    /// one (effective) event.
    pub fn lines_folding_nothing(&self) -> u64 {
        let mut retracted = 0;
        for (at, note) in self.corrections.iter().enumerate() {
            let is_last_word = self
                .corrections
                .get(at + 1)
                .is_none_or(|next| next.target != note.target);
            if is_last_word && note.kind == CorrectionKind::Retracted {
                retracted += 1;
            }
        }
        self.corrections.len() as u64 + retracted
    }

    /// Whether line `seq` is a correction or retraction the state has noted.
    pub fn is_correction_line(&self, seq: u64) -> bool {
        self.corrections.iter().any(|note| note.by == seq)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub commitments: Vec<Remark>,
    pub members: Vec<Slug>,
    pub name: String,
    pub positions: BTreeMap<Slug, Remark>,
    pub role: Role,
}

/// A position or a commitment: what was said, and the seq of the statement that said it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remark {
    pub seq: u64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    /// Claims and denials about the issue, in application order, none adjudicated.
    pub claims: Vec<Claim>,
    pub title: String,
}

/// A `claim` or `denial` statement about an issue or a provision: who said it, which of the
/// two, what, and the seq of the statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub by: Slug,
    pub kind: ClaimKind,
    pub seq: u64,
    pub text: String,
}

/// The two statement kinds that assert or deny a fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Claim,
    Denial,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    Open,
    Accepted,
    Rejected,
    Withdrawn,
    Superseded,
    Countered,
}

impl ProposalStatus {
    pub fn name(self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Accepted => "accepted",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Withdrawn => "withdrawn",
            ProposalStatus::Superseded => "superseded",
            ProposalStatus::Countered => "countered",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// Addressees who accepted, in the order they did.
    pub accepted_by: Vec<Slug>,
    pub by: Slug,
    pub counters: Option<Slug>,
    pub status: ProposalStatus,
    pub supersedes: Option<Slug>,
    pub terms: Arc<[Term]>,
    pub to: Arc<[Slug]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    InForce,
    Terminated,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub proposal: Option<Slug>,
    pub provisions: BTreeMap<Slug, Provision>,
    pub signatories: Vec<Slug>,
    pub status: AgreementStatus,
    pub title: String,
    pub witnesses: Vec<Slug>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub allegations: Vec<Allegation>,
    /// Claims and denials about the provision, in application order.
    pub claims: Vec<Claim>,
    pub obligated: Vec<Slug>,
    pub status: ProvisionStatus,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allegation {
    pub against: Vec<Slug>,
    pub by: Slug,
    pub seq: u64,
}

/// Persons of one side, by category: each an interval, exact unless a count with bounds
/// moved it (an exact one prints as the integer it is, so a log without bounds keeps its
/// version-1 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub civilian: CountRange,
    pub combatant: CountRange,
    pub remains: CountRange,
}

impl Counts {
    pub fn get(&self, category: Category) -> CountRange {
        match category {
            Category::Combatant => self.combatant,
            Category::Civilian => self.civilian,
            Category::Remains => self.remains,
        }
    }

    pub fn get_mut(&mut self, category: Category) -> &mut CountRange {
        match category {
            Category::Combatant => &mut self.combatant,
            Category::Civilian => &mut self.civilian,
            Category::Remains => &mut self.remains,
        }
    }

    /// Every person, whatever the category: the sum of the intervals.
    pub fn total(&self) -> CountRange {
        // Each bound is at most 2^53 - 1, so the sums cannot overflow; saturating keeps a
        // state deserialised from elsewhere from panicking all the same.
        let parts = [self.civilian, self.combatant, self.remains];
        CountRange {
            low: parts
                .iter()
                .fold(0u64, |sum, part| sum.saturating_add(part.low)),
            high: parts.iter().try_fold(0u64, |sum, part| {
                part.high.map(|high| sum.saturating_add(high))
            }),
        }
    }
}

/// A state and what was folded into it (the fold, `crate::fold`, makes it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    pub state: State,
    /// How many events were applied.
    pub events: u64,
    /// The latest `occurred` among them (the last one applied, by application order).
    pub occurred: Option<WorldTime>,
    /// The latest end of their world times (their latest start, in a log of points).
    pub latest_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Under `--as-of`: the seqs of folded events whose world time ends after it, sorted.
    pub uncertain: Vec<u64>,
}

/// The state JSON of the format: the state of a log prefix, with where it stands.
/// Fields in alphabetical order, like every object accord prints.
#[derive(Serialize)]
pub struct StateDocument<'a> {
    pub agreements: &'a BTreeMap<Slug, Agreement>,
    #[serde(skip_serializing_if = "<[CorrectionNote]>::is_empty")]
    pub corrections: &'a [CorrectionNote],
    pub custody: &'a BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub events: u64,
    pub head: crate::format::ids::Hash,
    pub issues: &'a BTreeMap<Slug, Issue>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meetings: &'a BTreeMap<Slug, Meeting>,
    pub occurred: Option<&'a WorldTime>,
    pub parties: &'a BTreeMap<Slug, Party>,
    pub proposals: &'a BTreeMap<Slug, Proposal>,
    pub released: &'a BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub seq: u64,
    /// Under `--as-of` only: folded events that may lie after it (absent when none does,
    /// as in every version-1 log).
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    pub uncertain: &'a [u64],
}

impl<'a> StateDocument<'a> {
    pub fn new(folded: &'a Folded, seq: u64, head: crate::format::ids::Hash) -> StateDocument<'a> {
        let state = &folded.state;
        StateDocument {
            agreements: &state.agreements,
            corrections: &state.corrections,
            custody: &state.custody,
            events: folded.events,
            head,
            issues: &state.issues,
            meetings: &state.meetings,
            occurred: folded.occurred.as_ref(),
            parties: &state.parties,
            proposals: &state.proposals,
            released: &state.released,
            seq,
            uncertain: &folded.uncertain,
        }
    }

    /// Compact JSON, keys sorted: the bytes `state --json` prints and `--hash` hashes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the state always serialises")
    }
}
