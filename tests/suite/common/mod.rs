//! Test support: a generator of valid moves, and sealing of events into log bytes.
//!
//! The generator reads the state the reducer builds and proposes moves that name what
//! exists, so most of what it proposes is valid; it keeps a move only if the reducer takes
//! it. The resulting sequences are valid in world order by construction.

#![allow(dead_code)]

use accord::format::count::Count;
use std::collections::BTreeMap;

use accord::fold::reducer;
use accord::fold::state::{AgreementStatus, ProposalStatus, State};
use accord::format::event::{
    AgreementSigned, AgreementTerminated, Category, DetentionReported, Draft, Event, EventData,
    IssueRaised, PartyJoined, ProposalAct, ProposalMade, ProposalRejected, ProvisionStatus,
    ProvisionTerms, ProvisionUpdated, ReleaseMade, Role, StatementKind, StatementMade, Term,
    Version,
};
use accord::format::ids::{EventId, Hash, Slug};
use accord::format::provenance::Source;
use accord::format::time::Timestamp;
use accord::format::world_time::WorldTime;
use chrono::{Duration, TimeZone, Utc};

fn slug(text: impl AsRef<str>) -> Slug {
    Slug::parse(text.as_ref()).expect("generated slugs are valid")
}

fn pick<T: Clone>(items: &[T], choice: u32) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        Some(items[choice as usize % items.len()].clone())
    }
}

/// One step of a generated sequence: a move choice and its parameters.
pub type Step = (u8, u32, u32, u32, u8);

#[derive(Clone)]
pub struct Generator {
    pub state: State,
    pub drafts: Vec<Draft>,
    clock: chrono::DateTime<Utc>,
    next_id: u128,
    /// When false, time moves forward by at least a second every move: no ties in world time.
    pub allow_ties: bool,
}

impl Generator {
    pub fn new(id_base: u128, allow_ties: bool) -> Generator {
        Generator {
            state: State::default(),
            drafts: Vec::new(),
            clock: Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
            next_id: id_base,
            allow_ties,
        }
    }

    pub fn run(&mut self, steps: &[Step]) {
        for step in steps {
            self.step(*step);
        }
    }

    /// Proposes one move; keeps it if the reducer accepts it.
    pub fn step(&mut self, (choice, a, b, c, time_step): Step) -> Option<Draft> {
        let data = self.candidate(choice, a, b, c)?;
        let seconds = if self.allow_ties {
            i64::from(time_step % 3) * 3600
        } else {
            1 + i64::from(time_step) * 3600
        };
        let occurred = self.clock + Duration::seconds(seconds);
        let seq = self.drafts.len() as u64 + 1;
        reducer::apply(&mut self.state, seq, &data).ok()?;
        self.clock = occurred;
        self.next_id += 1;
        let draft = Draft {
            id: Some(EventId::from_u128(self.next_id)),
            occurred: WorldTime::of_point(Timestamp::from_instant(occurred)),
            data,
            sources: (a % 4 == 0).then(|| vec![Source::citing(format!("source {a}"))]),
            origin: None,
        };
        self.drafts.push(draft.clone());
        Some(draft)
    }

    fn parties(&self) -> Vec<Slug> {
        self.state.parties.keys().cloned().collect()
    }

    fn subset(&self, bits: u32, without: Option<&Slug>) -> Vec<Slug> {
        self.parties()
            .into_iter()
            .enumerate()
            .filter(|(index, party)| bits & (1 << (index % 32)) != 0 && Some(party) != without)
            .map(|(_, party)| party)
            .collect()
    }

    /// Maybe an agreement (chosen by `agreement_choice`) and maybe one of its provisions.
    fn agreement_and_provision(
        &self,
        name_agreement: bool,
        agreement_choice: u32,
        name_provision: bool,
        provision_choice: u32,
    ) -> (Option<Slug>, Option<Slug>) {
        let agreements: Vec<Slug> = self.state.agreements.keys().cloned().collect();
        let agreement = pick(&agreements, agreement_choice).filter(|_| name_agreement);
        let provision = agreement
            .as_ref()
            .filter(|_| name_provision)
            .and_then(|agreement| {
                let provisions: Vec<Slug> = self.state.agreements[agreement]
                    .provisions
                    .keys()
                    .cloned()
                    .collect();
                pick(&provisions, provision_choice)
            });
        (agreement, provision)
    }

    fn candidate(&self, choice: u8, a: u32, b: u32, c: u32) -> Option<EventData> {
        let parties = self.parties();
        let issues: Vec<Slug> = self.state.issues.keys().cloned().collect();
        let open: Vec<Slug> = self
            .state
            .proposals
            .iter()
            .filter(|(_, proposal)| proposal.status == ProposalStatus::Open)
            .map(|(id, _)| id.clone())
            .collect();
        let in_force: Vec<Slug> = self
            .state
            .agreements
            .iter()
            .filter(|(_, agreement)| agreement.status == AgreementStatus::InForce)
            .map(|(id, _)| id.clone())
            .collect();
        Some(match choice % 13 {
            0 | 12 => EventData::PartyJoined(PartyJoined {
                party: slug(format!("P{}", parties.len())),
                name: format!("Party {}", parties.len()),
                role: [Role::Party, Role::Mediator, Role::Observer][a as usize % 3],
                members: if b.is_multiple_of(4) {
                    Some(self.subset(c, None))
                } else {
                    None
                },
            }),
            1 => EventData::IssueRaised(IssueRaised {
                issue: slug(format!("I{}", issues.len())),
                title: format!("Issue {}", issues.len()),
            }),
            2 => {
                let by = pick(&parties, a)?;
                let mut to = self.subset(b, Some(&by));
                if to.is_empty() {
                    to.push(pick(&parties, a + 1).filter(|party| *party != by)?);
                }
                let related = pick(&open, c);
                let (supersedes, counters) = match (c % 3, related) {
                    (1, Some(old)) => (Some(old), None),
                    (2, Some(old)) => (None, Some(old)),
                    _ => (None, None),
                };
                EventData::ProposalMade(ProposalMade {
                    proposal: slug(format!("X{}", self.state.proposals.len())),
                    by,
                    to: to.into(),
                    terms: vec![Term {
                        issue: pick(&issues, c)?,
                        text: format!("term {c}").into(),
                    }]
                    .into(),
                    supersedes,
                    counters,
                })
            }
            3 | 4 => {
                let proposal = pick(&open, a)?;
                let entry = &self.state.proposals[&proposal];
                let pending: Vec<Slug> = entry
                    .to
                    .iter()
                    .filter(|party| !entry.accepted_by.contains(party))
                    .cloned()
                    .collect();
                let by = pick(&pending, b)?;
                if choice % 13 == 3 || !c.is_multiple_of(3) {
                    EventData::ProposalAccepted(ProposalAct { proposal, by })
                } else {
                    EventData::ProposalRejected(ProposalRejected {
                        proposal,
                        by,
                        reason: if b.is_multiple_of(2) {
                            Some("no".into())
                        } else {
                            None
                        },
                    })
                }
            }
            5 => {
                let proposal = pick(&open, a)?;
                let by = self.state.proposals[&proposal].by.clone();
                EventData::ProposalWithdrawn(ProposalAct { proposal, by })
            }
            6 => {
                let by = pick(&parties, a)?;
                let kind = StatementKind::ALL[b as usize % 7];
                let (agreement, provision) =
                    self.agreement_and_provision(c.is_multiple_of(2), c, c.is_multiple_of(4), a);
                let against = if kind == StatementKind::Accusation {
                    Some(vec![pick(&parties, c + 1)?])
                } else {
                    None
                };
                let issue = if kind == StatementKind::Position || c.is_multiple_of(3) {
                    Some(pick(&issues, c)?)
                } else {
                    None
                };
                EventData::StatementMade(StatementMade {
                    by,
                    speaker: if a.is_multiple_of(2) {
                        Some("Someone".into())
                    } else {
                        None
                    },
                    kind,
                    text: format!("said {a} {b} {c}"),
                    to: if b.is_multiple_of(3) {
                        Some(self.subset(c, None))
                    } else {
                        None
                    },
                    issue,
                    agreement,
                    provision,
                    against,
                })
            }
            7 => {
                let accepted: Vec<Slug> = self
                    .state
                    .proposals
                    .iter()
                    .filter(|(_, proposal)| proposal.status == ProposalStatus::Accepted)
                    .map(|(id, _)| id.clone())
                    .collect();
                let (signatories, witnesses, proposal) =
                    match pick(&accepted, a).filter(|_| b.is_multiple_of(2)) {
                        Some(proposal) => {
                            let entry = &self.state.proposals[&proposal];
                            let mut signatories = entry.to.to_vec();
                            let mut witnesses = None;
                            if c.is_multiple_of(2) {
                                signatories.push(entry.by.clone());
                            } else {
                                witnesses = Some(vec![entry.by.clone()]);
                            }
                            if signatories.len() < 2 {
                                return None;
                            }
                            (signatories, witnesses, Some(proposal))
                        }
                        None => {
                            let signatories = self.subset(b, None);
                            if signatories.len() < 2 {
                                return None;
                            }
                            (signatories, None, None)
                        }
                    };
                let provisions = (0..=(c % 3))
                    .map(|index| ProvisionTerms {
                        provision: slug(format!("v{index}")),
                        text: format!("provision {index}"),
                        obligated: signatories
                            .iter()
                            .take(index as usize % 3)
                            .cloned()
                            .collect(),
                    })
                    .collect();
                EventData::AgreementSigned(AgreementSigned {
                    agreement: slug(format!("G{}", self.state.agreements.len())),
                    title: "An agreement".into(),
                    signatories,
                    witnesses,
                    proposal,
                    provisions,
                })
            }
            8 => {
                let agreement = pick(&in_force, a)?;
                let provisions: Vec<Slug> = self.state.agreements[&agreement]
                    .provisions
                    .keys()
                    .cloned()
                    .collect();
                EventData::ProvisionUpdated(ProvisionUpdated {
                    agreement,
                    provision: pick(&provisions, b)?,
                    status: [
                        ProvisionStatus::Pending,
                        ProvisionStatus::InProgress,
                        ProvisionStatus::Fulfilled,
                        ProvisionStatus::Breached,
                    ][c as usize % 4],
                    note: if c.is_multiple_of(2) {
                        Some("note".into())
                    } else {
                        None
                    },
                })
            }
            9 => EventData::AgreementTerminated(AgreementTerminated {
                agreement: pick(&in_force, a)?,
                by: if b.is_multiple_of(2) {
                    Some(pick(&parties, c)?)
                } else {
                    None
                },
                reason: "ended".into(),
            }),
            10 => EventData::DetentionReported(DetentionReported {
                holder: pick(&parties, a)?,
                of: pick(&parties, b)?,
                category: [Category::Combatant, Category::Civilian, Category::Remains]
                    [c as usize % 3],
                count: Count::Exact(1 + u64::from(c % 50)),
            }),
            _ => {
                let holders: Vec<(Slug, Slug, Category, u64)> = self
                    .state
                    .custody
                    .iter()
                    .flat_map(|(holder, by_side)| {
                        by_side.iter().flat_map(move |(of, counts)| {
                            [Category::Combatant, Category::Civilian, Category::Remains]
                                .into_iter()
                                .filter(|category| counts.get(*category).low > 0)
                                .map(move |category| {
                                    (
                                        holder.clone(),
                                        of.clone(),
                                        category,
                                        counts.get(category).low,
                                    )
                                })
                        })
                    })
                    .collect();
                let (by, of, category, held) = pick(&holders, a)?;
                let (agreement, provision) =
                    self.agreement_and_provision(b.is_multiple_of(2), c, true, c);
                EventData::ReleaseMade(ReleaseMade {
                    by,
                    of,
                    category,
                    count: Count::Exact(1 + u64::from(b) % held),
                    agreement,
                    provision,
                })
            }
        })
    }
}

/// Whether a draft says nothing version 1 cannot: what `seal` writes as a version-1 line.
pub fn fits_version_1(draft: &Draft) -> bool {
    draft.occurred.as_point().is_some()
        && draft.origin.is_none()
        && draft.data.check_version_1().is_ok()
        && draft.sources.as_deref().is_none_or(
            |sources| matches!(sources, [only] if only.is_citation_only() && !only.cite.is_empty()),
        )
}

/// Drafts sealed into log bytes: seq from 1, `recorded` one second apart from `recorded_base`.
/// A log as the years make one: version-1 lines while the drafts fit version 1, then
/// version-2 lines from the first that does not (or from `version_2_from`, a seq).
pub fn seal(drafts: &[Draft]) -> Vec<u8> {
    seal_from(drafts, u64::MAX)
}

/// `seal`, with version-2 lines from line `version_2_from` on at the latest.
pub fn seal_from(drafts: &[Draft], version_2_from: u64) -> Vec<u8> {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut bytes = Vec::new();
    let mut prev = Hash::ZERO;
    let mut version = Version::One;
    for (index, draft) in drafts.iter().enumerate() {
        let seq = index as u64 + 1;
        if seq >= version_2_from || !fits_version_1(draft) {
            version = Version::Two;
        }
        let (source, sources) = match version {
            Version::One => (
                draft
                    .sources
                    .as_ref()
                    .map(|sources| sources[0].cite.clone()),
                None,
            ),
            Version::Two => (None, draft.sources.clone()),
        };
        let event = Event {
            version,
            seq,
            id: draft.id.expect("generated drafts carry ids"),
            occurred: draft.occurred.clone(),
            recorded: Timestamp::recorded_now(base + Duration::seconds(index as i64)),
            data: draft.data.clone(),
            source,
            sources,
            origin: draft.origin.clone(),
            prev,
        };
        let line = event.to_line();
        prev = Hash::of(line.as_bytes());
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    bytes
}

/// Drafts as the JSON Lines a client sends to `accord append`.
pub fn draft_lines(drafts: &[Draft]) -> String {
    let mut text = String::new();
    for draft in drafts {
        let mut object = BTreeMap::new();
        object.insert("type", serde_json::json!(draft.data.type_name()));
        object.insert("data", serde_json::to_value(&draft.data).unwrap());
        object.insert("occurred", serde_json::json!(draft.occurred));
        if let Some(id) = draft.id {
            object.insert("id", serde_json::json!(id));
        }
        if let Some(sources) = &draft.sources {
            object.insert("sources", serde_json::json!(sources));
        }
        if let Some(origin) = &draft.origin {
            object.insert("origin", serde_json::json!(origin));
        }
        text.push_str(&serde_json::to_string(&object).unwrap());
        text.push('\n');
    }
    text
}

pub fn step_strategy() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    (
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
    )
}
