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
    pub custody: BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub issues: BTreeMap<Slug, Issue>,
    pub parties: BTreeMap<Slug, Party>,
    pub proposals: BTreeMap<Slug, Proposal>,
    pub released: BTreeMap<Slug, BTreeMap<Slug, Counts>>,
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
}

/// The state JSON of the format: the state of a log prefix, with where it stands.
/// Fields in alphabetical order, like every object accord prints.
#[derive(Serialize)]
pub struct StateDocument<'a> {
    pub agreements: &'a BTreeMap<Slug, Agreement>,
    pub custody: &'a BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub events: u64,
    pub head: crate::format::ids::Hash,
    pub issues: &'a BTreeMap<Slug, Issue>,
    pub occurred: Option<&'a WorldTime>,
    pub parties: &'a BTreeMap<Slug, Party>,
    pub proposals: &'a BTreeMap<Slug, Proposal>,
    pub released: &'a BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    pub seq: u64,
}

impl<'a> StateDocument<'a> {
    pub fn new(folded: &'a Folded, seq: u64, head: crate::format::ids::Hash) -> StateDocument<'a> {
        let state = &folded.state;
        StateDocument {
            agreements: &state.agreements,
            custody: &state.custody,
            events: folded.events,
            head,
            issues: &state.issues,
            occurred: folded.occurred.as_ref(),
            parties: &state.parties,
            proposals: &state.proposals,
            released: &state.released,
            seq,
        }
    }

    /// Compact JSON, keys sorted: the bytes `state --json` prints and `--hash` hashes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the state always serialises")
    }
}
