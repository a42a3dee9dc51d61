//! The history of one entity: every event whose data names it, in application order, with
//! the entity as it stood before and after.

use std::fmt;

use serde_json::{Value, json};

use crate::fold::Folded;
use crate::fold::state::State;
use crate::format::event::{Event, EventData};
use crate::format::ids::Slug;
use crate::reading::log::LogError;

/// What `history` is asked about: `party:ARM`, `provision:AGREEMENT/PROVISION`, ...
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntityRef {
    Party(Slug),
    Issue(Slug),
    Proposal(Slug),
    Agreement(Slug),
    Provision(Slug, Slug),
}

/// Why a text does not name an entity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntityRefError {
    #[error("`{0}` is not KIND:ID (for example party:ARM or provision:AGREEMENT/PROVISION)")]
    NotKindAndId(String),
    #[error("`{0}`: a provision is named provision:AGREEMENT/PROVISION")]
    ProvisionWithoutAgreement(String),
    #[error("unknown kind `{0}` (expected party, issue, proposal, agreement or provision)")]
    UnknownKind(String),
    #[error(transparent)]
    Id(#[from] crate::format::ids::IdError),
}

impl EntityRef {
    pub fn parse(text: &str) -> Result<EntityRef, EntityRefError> {
        let (kind, id) = text
            .split_once(':')
            .ok_or_else(|| EntityRefError::NotKindAndId(text.to_string()))?;
        let slug = |part: &str| Slug::parse(part);
        Ok(match kind {
            "party" => EntityRef::Party(slug(id)?),
            "issue" => EntityRef::Issue(slug(id)?),
            "proposal" => EntityRef::Proposal(slug(id)?),
            "agreement" => EntityRef::Agreement(slug(id)?),
            "provision" => {
                let (agreement, provision) = id
                    .split_once('/')
                    .ok_or_else(|| EntityRefError::ProvisionWithoutAgreement(text.to_string()))?;
                EntityRef::Provision(slug(agreement)?, slug(provision)?)
            }
            other => return Err(EntityRefError::UnknownKind(other.to_string())),
        })
    }

    /// Whether the event's data names this entity.
    pub fn is_named_by(&self, data: &EventData) -> bool {
        let has = |names: &[Slug], wanted: &Slug| names.contains(wanted);
        let some = |name: &Option<Slug>, wanted: &Slug| name.as_ref() == Some(wanted);
        let some_list = |names: &Option<Vec<Slug>>, wanted: &Slug| {
            names.as_deref().is_some_and(|names| names.contains(wanted))
        };
        match self {
            EntityRef::Party(party) => match data {
                EventData::PartyJoined(joined) => {
                    joined.party == *party || some_list(&joined.members, party)
                }
                EventData::IssueRaised(_) => false,
                EventData::ProposalMade(made) => made.by == *party || has(&made.to, party),
                EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => {
                    act.by == *party
                }
                EventData::ProposalRejected(rejected) => rejected.by == *party,
                EventData::StatementMade(statement) => {
                    statement.by == *party
                        || some_list(&statement.to, party)
                        || some_list(&statement.against, party)
                }
                EventData::AgreementSigned(signed) => {
                    has(&signed.signatories, party)
                        || some_list(&signed.witnesses, party)
                        || signed
                            .provisions
                            .iter()
                            .any(|provision| has(&provision.obligated, party))
                }
                EventData::ProvisionUpdated(_) => false,
                EventData::AgreementTerminated(terminated) => some(&terminated.by, party),
                EventData::DetentionReported(reported) => {
                    reported.holder == *party || reported.of == *party
                }
                EventData::ReleaseMade(release) => release.by == *party || release.of == *party,
                EventData::MeetingHeld(meeting) => {
                    has(&meeting.parties, party)
                        || some_list(&meeting.mediators, party)
                        || some(&meeting.hosted_by, party)
                }
                // What a correction changes is the history's to show, through the line
                // it corrects.
                EventData::EventRetracted(_) | EventData::EventCorrected(_) => false,
            },
            EntityRef::Issue(issue) => match data {
                EventData::IssueRaised(raised) => raised.issue == *issue,
                EventData::MeetingHeld(meeting) => some_list(&meeting.issues, issue),
                EventData::ProposalMade(made) => made.terms.iter().any(|term| term.issue == *issue),
                EventData::StatementMade(statement) => some(&statement.issue, issue),
                _ => false,
            },
            EntityRef::Proposal(proposal) => match data {
                EventData::ProposalMade(made) => {
                    made.proposal == *proposal
                        || some(&made.supersedes, proposal)
                        || some(&made.counters, proposal)
                }
                EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => {
                    act.proposal == *proposal
                }
                EventData::ProposalRejected(rejected) => rejected.proposal == *proposal,
                EventData::AgreementSigned(signed) => some(&signed.proposal, proposal),
                _ => false,
            },
            EntityRef::Agreement(agreement) => match data {
                EventData::AgreementSigned(signed) => signed.agreement == *agreement,
                EventData::ProvisionUpdated(updated) => updated.agreement == *agreement,
                EventData::AgreementTerminated(terminated) => terminated.agreement == *agreement,
                EventData::StatementMade(statement) => some(&statement.agreement, agreement),
                EventData::ReleaseMade(release) => some(&release.agreement, agreement),
                _ => false,
            },
            EntityRef::Provision(agreement, provision) => match data {
                EventData::AgreementSigned(signed) => {
                    signed.agreement == *agreement
                        && signed
                            .provisions
                            .iter()
                            .any(|terms| terms.provision == *provision)
                }
                EventData::ProvisionUpdated(updated) => {
                    updated.agreement == *agreement && updated.provision == *provision
                }
                EventData::StatementMade(statement) => {
                    some(&statement.agreement, agreement) && some(&statement.provision, provision)
                }
                EventData::ReleaseMade(release) => {
                    some(&release.agreement, agreement) && some(&release.provision, provision)
                }
                _ => false,
            },
        }
    }

    /// Every entity the event's data names, each once, in the order the data names them:
    /// exactly those for which `is_named_by` holds (a test checks both ways on every
    /// fixture). The entity index files each event under each of them.
    pub fn named_by(data: &EventData) -> Vec<EntityRef> {
        let mut named: Vec<EntityRef> = Vec::new();
        let mut name = |entity: EntityRef| {
            if !named.contains(&entity) {
                named.push(entity);
            }
        };
        let parties = |names: &[Slug], name: &mut dyn FnMut(EntityRef)| {
            names
                .iter()
                .for_each(|party| name(EntityRef::Party(party.clone())))
        };
        match data {
            EventData::PartyJoined(joined) => {
                name(EntityRef::Party(joined.party.clone()));
                parties(joined.members.as_deref().unwrap_or_default(), &mut name);
            }
            EventData::IssueRaised(raised) => name(EntityRef::Issue(raised.issue.clone())),
            EventData::ProposalMade(made) => {
                name(EntityRef::Proposal(made.proposal.clone()));
                for related in [&made.supersedes, &made.counters].into_iter().flatten() {
                    name(EntityRef::Proposal(related.clone()));
                }
                name(EntityRef::Party(made.by.clone()));
                parties(&made.to, &mut name);
                for term in made.terms.iter() {
                    name(EntityRef::Issue(term.issue.clone()));
                }
            }
            EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => {
                name(EntityRef::Proposal(act.proposal.clone()));
                name(EntityRef::Party(act.by.clone()));
            }
            EventData::ProposalRejected(rejected) => {
                name(EntityRef::Proposal(rejected.proposal.clone()));
                name(EntityRef::Party(rejected.by.clone()));
            }
            EventData::StatementMade(statement) => {
                name(EntityRef::Party(statement.by.clone()));
                parties(statement.to.as_deref().unwrap_or_default(), &mut name);
                parties(statement.against.as_deref().unwrap_or_default(), &mut name);
                if let Some(issue) = &statement.issue {
                    name(EntityRef::Issue(issue.clone()));
                }
                if let Some(agreement) = &statement.agreement {
                    name(EntityRef::Agreement(agreement.clone()));
                    if let Some(provision) = &statement.provision {
                        name(EntityRef::Provision(agreement.clone(), provision.clone()));
                    }
                }
            }
            EventData::AgreementSigned(signed) => {
                name(EntityRef::Agreement(signed.agreement.clone()));
                parties(&signed.signatories, &mut name);
                parties(signed.witnesses.as_deref().unwrap_or_default(), &mut name);
                if let Some(proposal) = &signed.proposal {
                    name(EntityRef::Proposal(proposal.clone()));
                }
                for terms in &signed.provisions {
                    name(EntityRef::Provision(
                        signed.agreement.clone(),
                        terms.provision.clone(),
                    ));
                    parties(&terms.obligated, &mut name);
                }
            }
            EventData::ProvisionUpdated(updated) => {
                name(EntityRef::Agreement(updated.agreement.clone()));
                name(EntityRef::Provision(
                    updated.agreement.clone(),
                    updated.provision.clone(),
                ));
            }
            EventData::AgreementTerminated(terminated) => {
                name(EntityRef::Agreement(terminated.agreement.clone()));
                if let Some(by) = &terminated.by {
                    name(EntityRef::Party(by.clone()));
                }
            }
            EventData::DetentionReported(reported) => {
                name(EntityRef::Party(reported.holder.clone()));
                name(EntityRef::Party(reported.of.clone()));
            }
            EventData::ReleaseMade(release) => {
                name(EntityRef::Party(release.by.clone()));
                name(EntityRef::Party(release.of.clone()));
                if let Some(agreement) = &release.agreement {
                    name(EntityRef::Agreement(agreement.clone()));
                    if let Some(provision) = &release.provision {
                        name(EntityRef::Provision(agreement.clone(), provision.clone()));
                    }
                }
            }
            EventData::MeetingHeld(meeting) => {
                parties(&meeting.parties, &mut name);
                parties(meeting.mediators.as_deref().unwrap_or_default(), &mut name);
                if let Some(host) = &meeting.hosted_by {
                    name(EntityRef::Party(host.clone()));
                }
                for issue in meeting.issues.as_deref().unwrap_or_default() {
                    name(EntityRef::Issue(issue.clone()));
                }
            }
            EventData::EventRetracted(_) | EventData::EventCorrected(_) => {}
        }
        named
    }

    /// The entity as JSON in a state, `null` where it does not exist. A party's view adds
    /// the custody it holds and is held in, so releases show in its history.
    pub fn view(&self, state: &State) -> Value {
        let to_json = |value: Option<Value>| value.unwrap_or(Value::Null);
        match self {
            EntityRef::Party(party) => {
                let Some(entry) = state.parties.get(party) else {
                    return Value::Null;
                };
                let mut view = serde_json::to_value(entry).expect("a party serialises");
                let held_by = |table: &std::collections::BTreeMap<
                    Slug,
                    std::collections::BTreeMap<Slug, crate::fold::state::Counts>,
                >| {
                    let rows: serde_json::Map<String, Value> = table
                        .iter()
                        .filter_map(|(holder, by_side)| {
                            by_side
                                .get(party)
                                .map(|counts| (holder.to_string(), json!(counts)))
                        })
                        .collect();
                    Value::Object(rows)
                };
                let object = view.as_object_mut().expect("a party is an object");
                object.insert(
                    "custody_held".into(),
                    json!(state.custody.get(party).cloned().unwrap_or_default()),
                );
                object.insert("custody_held_by_others".into(), held_by(&state.custody));
                object.insert(
                    "released".into(),
                    json!(state.released.get(party).cloned().unwrap_or_default()),
                );
                object.insert("released_by_others".into(), held_by(&state.released));
                view
            }
            EntityRef::Issue(issue) => to_json(state.issues.get(issue).map(|entry| json!(entry))),
            EntityRef::Proposal(proposal) => {
                to_json(state.proposals.get(proposal).map(|entry| json!(entry)))
            }
            EntityRef::Agreement(agreement) => {
                to_json(state.agreements.get(agreement).map(|entry| json!(entry)))
            }
            EntityRef::Provision(agreement, provision) => to_json(
                state
                    .agreements
                    .get(agreement)
                    .and_then(|entry| entry.provisions.get(provision))
                    .map(|entry| json!(entry)),
            ),
        }
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityRef::Party(id) => write!(formatter, "party:{id}"),
            EntityRef::Issue(id) => write!(formatter, "issue:{id}"),
            EntityRef::Proposal(id) => write!(formatter, "proposal:{id}"),
            EntityRef::Agreement(id) => write!(formatter, "agreement:{id}"),
            EntityRef::Provision(agreement, provision) => {
                write!(formatter, "provision:{agreement}/{provision}")
            }
        }
    }
}

/// How a history entry tells its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Told {
    /// An event of the effective log, as the fold applied it.
    Applied,
    /// A line as written that a later line corrected or retracted (`changed_by`, its last
    /// word): what it would change where the history tells it, which is where its
    /// effective event is applied, or for a retracted line where it was written. `refused`
    /// says why it would not apply there, if it would not.
    AsWritten {
        changed_by: u64,
        retracted: bool,
        refused: Option<String>,
    },
    /// A correction or retraction of the line told before it, in file order (the last of
    /// them is the line's `last_word`): what it changed against what the line said before
    /// it. `refused` says why what it says would not apply there, if it would not.
    Correction {
        last_word: bool,
        refused: Option<String>,
    },
}

/// One event in an entity's history.
pub struct HistoryEntry<'a> {
    pub event: &'a Event,
    pub before: Value,
    pub after: Value,
    pub told: Told,
}

impl HistoryEntry<'_> {
    /// The entry as `accord history --json` prints it (and Python gives it): the event's
    /// JSON with the entity `before` and `after`, and for a line as written the line that
    /// changed it (`changed_by`) and why it would not apply (`refused`), if it would not.
    pub fn to_json(&self) -> Value {
        let mut document = crate::views::describe::event_json(self.event);
        document["before"] = self.before.clone();
        document["after"] = self.after.clone();
        if let Told::AsWritten {
            changed_by,
            refused,
            ..
        } = &self.told
        {
            document["changed_by"] = json!(changed_by);
            if let Some(refused) = refused {
                document["refused"] = json!(refused);
            }
        }
        document
    }
}

/// The key of application order: world time's start, then seq.
fn order_key(event: &Event) -> (chrono::DateTime<chrono::Utc>, u64) {
    (event.occurred.start(), event.seq)
}

/// The entities' views once `event` (if any) is applied on a copy of the fold, or the views
/// of the fold itself with why the event would not apply.
fn views_with(
    entities: &[EntityRef],
    folded: &Folded,
    event: Option<&Event>,
) -> (Vec<Value>, Option<String>) {
    let views_of = |state: &State| entities.iter().map(|entity| entity.view(state)).collect();
    let Some(event) = event else {
        return (views_of(&folded.state), None);
    };
    let mut aside = folded.clone();
    // What a line once said may lie earlier in world time than where it is told.
    aside.occurred = None;
    match aside.apply(event) {
        Ok(()) => (views_of(&aside.state), None),
        Err(refusal) => (views_of(&folded.state), Some(refusal.detail)),
    }
}

/// Tells a line that later lines corrected or retracted (`words`, in file order), where the
/// fold has reached, to each of `entities`: the line as written with what it would change
/// there (on a copy of the fold), then each word with what it changed against what the line
/// said before it. Folds `effective`, what the last word left (nothing for a retraction).
/// `hand` gets the index of the entity in `entities` with each entry; returns whether
/// `hand` wants more.
fn tell_changed_line(
    entities: &[EntityRef],
    folded: &mut Folded,
    as_written: &Event,
    words: &[Event],
    effective: Option<&Event>,
    hand: &mut dyn FnMut(usize, HistoryEntry<'_>) -> bool,
) -> Result<bool, crate::fold::Refused> {
    let Some(last_word) = words.last() else {
        debug_assert!(false, "a changed line has a word on it");
        return Ok(true);
    };
    debug_assert!(
        words
            .iter()
            .all(|word| word.data.correction_target() == Some(as_written.seq))
    );
    debug_assert!(effective.is_none_or(|event| event.seq == as_written.seq));
    let (before, _) = views_with(entities, folded, None);
    let (mut said, refused) = views_with(entities, folded, Some(as_written));
    for (index, (before, after)) in before.into_iter().zip(said.iter()).enumerate() {
        let told = Told::AsWritten {
            changed_by: last_word.seq,
            retracted: matches!(last_word.data, EventData::EventRetracted(_)),
            refused: refused.clone(),
        };
        let entry = HistoryEntry {
            event: as_written,
            before,
            after: after.clone(),
            told,
        };
        if !hand(index, entry) {
            return Ok(false);
        }
    }
    let (earlier_words, _) = words.split_at(words.len() - 1);
    for word in earlier_words {
        let version = crate::fold::effective::said_by(as_written, word);
        let (now_said, refused) = views_with(entities, folded, version.as_ref());
        let before = std::mem::replace(&mut said, now_said);
        for (index, (before, after)) in before.into_iter().zip(said.iter()).enumerate() {
            let entry = HistoryEntry {
                event: word,
                before,
                after: after.clone(),
                told: Told::Correction {
                    last_word: false,
                    refused: refused.clone(),
                },
            };
            if !hand(index, entry) {
                return Ok(false);
            }
        }
    }
    if let Some(effective) = effective {
        folded.apply(effective)?;
    }
    for (index, (before, entity)) in said.into_iter().zip(entities).enumerate() {
        let entry = HistoryEntry {
            event: last_word,
            before,
            after: entity.view(&folded.state),
            told: Told::Correction {
                last_word: true,
                refused: None,
            },
        };
        if !hand(index, entry) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A line of a log held in memory, as the history tells it: an effective event, or a
/// retracted line.
enum HeldLine<'e> {
    Effective(&'e Event),
    Retracted(&'e Event),
}

/// The history of an entity in a log held in memory, one entry at a time, as the fold of
/// its effective events reaches them: `on_entry` gets each entry and returns whether to go
/// on. A line that a later line corrected or retracted is told as written, then with its
/// last word (see `Told`). Returns how many entries were handed over.
pub fn history_each(
    events: &[Event],
    entity: &EntityRef,
    mut on_entry: impl FnMut(HistoryEntry<'_>) -> bool,
) -> Result<u64, LogError> {
    let mut folded = Folded::default();
    let effective = crate::fold::effective::noted_and_effective(&mut folded.state, events);
    // The words said on each changed line, in file order.
    let mut words: std::collections::BTreeMap<u64, Vec<Event>> = Default::default();
    for word in events.iter().filter(|event| event.data.is_correction()) {
        if let Some(target) = word.data.correction_target() {
            words.entry(target).or_default().push(word.clone());
        }
    }
    let line = |seq: u64| {
        events
            .binary_search_by_key(&seq, |event| event.seq)
            .ok()
            .map(|index| &events[index])
    };
    let mut lines: Vec<HeldLine<'_>> = effective
        .iter()
        .map(|event| HeldLine::Effective(event))
        .collect();
    for (target, said) in &words {
        if said
            .last()
            .is_some_and(|word| matches!(word.data, EventData::EventRetracted(_)))
            && let Some(retracted) = line(*target)
        {
            lines.push(HeldLine::Retracted(retracted));
        }
    }
    let mut handed = 0;
    let mut hand = |entry: HistoryEntry<'_>| {
        handed += 1;
        on_entry(entry)
    };
    // A refusal says where what it names is introduced, later in world time, as the
    // streamed history says.
    let explained = |mut refused: crate::fold::Refused| -> LogError {
        if let Some(unknown) = &refused.unknown
            && let Some(hint) = crate::fold::introduced_later(&effective, unknown)
        {
            refused.detail = format!("{}; {hint}", refused.detail);
        }
        refused.into()
    };
    let order = crate::fold::application_order_of(&lines, |told| match told {
        HeldLine::Effective(event) | HeldLine::Retracted(event) => event,
    });
    for index in order {
        let go_on = match lines[index] {
            HeldLine::Retracted(as_written) => {
                if !entity.is_named_by(&as_written.data) {
                    continue;
                }
                tell_changed_line(
                    std::slice::from_ref(entity),
                    &mut folded,
                    as_written,
                    &words[&as_written.seq],
                    None,
                    &mut |_, entry| hand(entry),
                )
                .map_err(explained)?
            }
            HeldLine::Effective(event) => match (words.get(&event.seq), line(event.seq)) {
                (Some(said), Some(as_written))
                    if entity.is_named_by(&as_written.data) || entity.is_named_by(&event.data) =>
                {
                    tell_changed_line(
                        std::slice::from_ref(entity),
                        &mut folded,
                        as_written,
                        said,
                        Some(event),
                        &mut |_, entry| hand(entry),
                    )
                    .map_err(explained)?
                }
                _ if entity.is_named_by(&event.data) => {
                    let (before, after) =
                        applied_with_views(entity, &mut folded, event).map_err(explained)?;
                    hand(HistoryEntry {
                        event,
                        before,
                        after,
                        told: Told::Applied,
                    })
                }
                _ => {
                    folded.apply(event).map_err(explained)?;
                    true
                }
            },
        };
        if !go_on {
            break;
        }
    }
    Ok(handed)
}

/// Entries a one-pass history keeps before it prints them (see `stream_history`).
const ONE_PASS_ENTRIES: usize = 256;

/// `history` streamed from a log, holding the state and the late lines only, so that
/// neither the log nor a long history is ever held whole. The output starts with how many
/// entries the history has, so entries wait for that count:
///
/// - One pass folds the log and keeps up to `ONE_PASS_ENTRIES` entries; if the log has no
///   late line, the entity no more entries than that and no line naming it was corrected
///   or retracted, they are handed over once the pass ends (an entity named by a few
///   events costs one reading of the log).
/// - If the log has late lines, the engine's second pass folds in application order and
///   hands each entry over as it comes, with the count the first pass made.
/// - If the entity has more entries, or a line naming it was corrected or retracted, that
///   pass stops there, and a counting pass (no fold) and a folding pass follow.
///
/// `on_entry` gets each entry with the count, and stops the history when it returns false.
/// When no event names the entity, the count is 0 and no entry is given.
pub fn stream_history(
    source: &dyn crate::replay::Source,
    entity: &EntityRef,
    mut on_entry: impl FnMut(u64, HistoryEntry<'_>) -> bool,
) -> Result<u64, crate::reading::log::ReadError> {
    use std::cell::{Cell, RefCell};
    let named = Cell::new(0u64);
    // Kept in the first pass: (event, before, after).
    let kept: RefCell<Vec<(Event, Value, Value)>> = RefCell::new(Vec::new());
    let overflowed = Cell::new(false);
    // A line naming the entity was corrected or retracted: the two-pass history tells it.
    let retold = Cell::new(false);
    let second_pass = Cell::new(false);
    let on_entry = RefCell::new(&mut on_entry);
    let mut observe = |seen: crate::replay::Seen<'_>| {
        if is_changed_line(&seen)
            && (entity.is_named_by(&seen.event.data)
                || seen
                    .effective
                    .is_some_and(|event| entity.is_named_by(&event.data)))
        {
            retold.set(true);
        }
        if !second_pass.get()
            && seen
                .effective
                .is_some_and(|event| entity.is_named_by(&event.data))
        {
            named.set(named.get() + 1);
        }
    };
    let mut reload = || {
        // The first pass met a late line: its entries are dropped, and the second pass,
        // in application order, hands them over as it goes.
        second_pass.set(true);
        kept.borrow_mut().clear();
        Ok(Folded::default())
    };
    let mut apply = |folded: &mut Folded, event: &Event| {
        if retold.get() {
            return Ok(false);
        }
        if !entity.is_named_by(&event.data) {
            return folded.apply(event).map(|()| true);
        }
        let (before, after) = applied_with_views(entity, folded, event)?;
        if second_pass.get() {
            return Ok((on_entry.borrow_mut())(
                named.get(),
                HistoryEntry {
                    event,
                    before,
                    after,
                    told: Told::Applied,
                },
            ));
        }
        let mut kept = kept.borrow_mut();
        if kept.len() == ONE_PASS_ENTRIES {
            overflowed.set(true);
            return Ok(false);
        }
        kept.push((event.clone(), before, after));
        Ok(true)
    };
    let replayed = crate::replay::replay_with(
        source,
        crate::replay::Start::default(),
        &mut reload,
        &crate::replay::Scope::default(),
        &mut observe,
        &mut apply,
        true,
    );
    if overflowed.get() || retold.get() {
        return stream_history_in_two_passes(source, entity, on_entry.into_inner());
    }
    // The entries before a refusal are told before it, as the fold reached them.
    let on_entry = on_entry.into_inner();
    for (event, before, after) in kept.into_inner() {
        let entry = HistoryEntry {
            event: &event,
            before,
            after,
            told: Told::Applied,
        };
        if !on_entry(named.get(), entry) {
            break;
        }
    }
    replayed?;
    Ok(named.get())
}

/// Whether the line was corrected or retracted (a correction line itself is not).
fn is_changed_line(seen: &crate::replay::Seen<'_>) -> bool {
    !seen.event.data.is_correction()
        && seen
            .effective
            .is_none_or(|effective| !std::ptr::eq(effective, seen.event))
}

/// Applies an event that names `entity`, with the entity's view before and after it.
fn applied_with_views(
    entity: &EntityRef,
    folded: &mut Folded,
    event: &Event,
) -> Result<(Value, Value), crate::fold::Refused> {
    let before = entity.view(&folded.state);
    folded.apply(event)?;
    Ok((before, entity.view(&folded.state)))
}

/// A line that a later line corrected or retracted, and that names the entity as written
/// or as corrected: kept by the counting pass for the folding pass to tell.
struct ChangedLine {
    as_written: Event,
    /// The corrections and retractions of it, in file order.
    words: Vec<Event>,
}

/// Which entities a two-pass history tells: one, or every entity the log names (what the
/// entity index keeps).
#[derive(Clone, Copy)]
enum Which<'e> {
    One(&'e EntityRef),
    Every,
}

impl Which<'_> {
    /// Whether the history tells an entity that `data` names.
    fn tells_any(self, data: &EventData) -> bool {
        match self {
            Which::One(entity) => entity.is_named_by(data),
            Which::Every => true,
        }
    }

    /// The entities told that `data` names (or that any of `datas` names), each once.
    fn named_by(self, datas: &[&EventData]) -> Vec<EntityRef> {
        match self {
            Which::One(entity) => {
                if datas.iter().any(|data| entity.is_named_by(data)) {
                    vec![entity.clone()]
                } else {
                    Vec::new()
                }
            }
            Which::Every => {
                let mut named: Vec<EntityRef> = Vec::new();
                for data in datas {
                    for entity in EntityRef::named_by(data) {
                        if !named.contains(&entity) {
                            named.push(entity);
                        }
                    }
                }
                named
            }
        }
    }
}

/// `stream_history` for an entity with many entries, or with lines that were corrected or
/// retracted: see `histories_in_two_passes`.
fn stream_history_in_two_passes(
    source: &dyn crate::replay::Source,
    entity: &EntityRef,
    on_entry: &mut impl FnMut(u64, HistoryEntry<'_>) -> bool,
) -> Result<u64, crate::reading::log::ReadError> {
    let mut hand = |_: &EntityRef, named: u64, entry: HistoryEntry<'_>| on_entry(named, entry);
    histories_in_two_passes(source, Which::One(entity), &mut |_| {}, &mut hand)
        .map(|(named, _)| named)
}

/// The history of every entity the log names, handed over entry by entry as the fold in
/// application order reaches them (the entries of different entities interleaved, each
/// entity's in its history's order), with each line's place seen by `observe_line` in the
/// first pass (file order). Returns the fold of the whole log.
pub fn every_history(
    source: &dyn crate::replay::Source,
    observe_line: &mut dyn FnMut(&crate::replay::Seen<'_>),
    on_entry: &mut dyn FnMut(&EntityRef, HistoryEntry<'_>),
) -> Result<Folded, crate::reading::log::ReadError> {
    let mut hand = |entity: &EntityRef, _: u64, entry: HistoryEntry<'_>| {
        on_entry(entity, entry);
        true
    };
    let (_, folded) = histories_in_two_passes(source, Which::Every, observe_line, &mut hand)?;
    Ok(folded.unwrap_or_default())
}

/// Histories in two passes: a first pass counts the entries (and finds late lines and the
/// changed lines naming the entities told, which it keeps) without folding; the second
/// folds in application order and hands each entry over as it comes, telling a retracted
/// line where it was written. `on_entry` gets the entity, the count of entries (of one
/// entity; 0 for every entity, which the first pass does not count) and the entry, and
/// stops the history when it returns false. Returns the count and, when the replay ran to
/// the end, the fold.
fn histories_in_two_passes(
    source: &dyn crate::replay::Source,
    which: Which<'_>,
    observe_line: &mut dyn FnMut(&crate::replay::Seen<'_>),
    on_entry: &mut dyn FnMut(&EntityRef, u64, HistoryEntry<'_>) -> bool,
) -> Result<(u64, Option<Folded>), crate::reading::log::ReadError> {
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;
    let named = Cell::new(0u64);
    let changed: RefCell<BTreeMap<u64, ChangedLine>> = RefCell::new(BTreeMap::new());
    // The retracted ones among them, by where they were written in application order.
    let retracted: RefCell<BTreeMap<(chrono::DateTime<chrono::Utc>, u64), u64>> =
        RefCell::new(BTreeMap::new());
    let counts = matches!(which, Which::One(_));
    let mut observe = |seen: crate::replay::Seen<'_>| {
        observe_line(&seen);
        if let Some(target) = seen.event.data.correction_target() {
            if let Some(line) = changed.borrow_mut().get_mut(&target) {
                line.words.push(seen.event.clone());
                named.set(named.get() + u64::from(counts));
            }
            return;
        }
        let names_effective = seen
            .effective
            .is_some_and(|event| which.tells_any(&event.data));
        if !is_changed_line(&seen) {
            named.set(named.get() + u64::from(counts && names_effective));
            return;
        }
        if names_effective || which.tells_any(&seen.event.data) {
            // The line as written; each word on it counts as it comes.
            named.set(named.get() + u64::from(counts));
            if seen.effective.is_none() {
                retracted
                    .borrow_mut()
                    .insert(order_key(seen.event), seen.event.seq);
            }
            changed.borrow_mut().insert(
                seen.event.seq,
                ChangedLine {
                    as_written: seen.event.clone(),
                    words: Vec::new(),
                },
            );
        }
    };
    let stopped = Cell::new(false);
    let mut hand = |entity: &EntityRef, entry: HistoryEntry<'_>| {
        let go_on = on_entry(entity, named.get(), entry);
        stopped.set(!go_on);
        go_on
    };
    let tell_changed =
        |folded: &mut Folded,
         line: &ChangedLine,
         effective: Option<&Event>,
         hand: &mut dyn FnMut(&EntityRef, HistoryEntry<'_>) -> bool| {
            let mut datas = vec![&line.as_written.data];
            datas.extend(effective.map(|event| &event.data));
            let entities = which.named_by(&datas);
            tell_changed_line(
                &entities,
                folded,
                &line.as_written,
                &line.words,
                effective,
                &mut |index, entry| hand(&entities[index], entry),
            )
        };
    let tell_retracted_before =
        |folded: &mut Folded,
         key: Option<(chrono::DateTime<chrono::Utc>, u64)>,
         hand: &mut dyn FnMut(&EntityRef, HistoryEntry<'_>) -> bool| {
            let changed = changed.borrow();
            let mut retracted = retracted.borrow_mut();
            while let Some(entry) = retracted.first_entry() {
                if key.is_some_and(|key| *entry.key() > key) {
                    break;
                }
                let seq = entry.remove();
                if !tell_changed(folded, &changed[&seq], None, hand)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
    let mut apply = |folded: &mut Folded, event: &Event| {
        if counts && named.get() == 0 {
            return Ok(false);
        }
        if !tell_retracted_before(folded, Some(order_key(event)), &mut hand)? {
            return Ok(false);
        }
        if let Some(line) = changed.borrow().get(&event.seq) {
            return tell_changed(folded, line, Some(event), &mut hand);
        }
        let entities = which.named_by(&[&event.data]);
        if entities.is_empty() {
            return folded.apply(event).map(|()| true);
        }
        let befores: Vec<Value> = entities
            .iter()
            .map(|entity| entity.view(&folded.state))
            .collect();
        folded.apply(event)?;
        for (entity, before) in entities.iter().zip(befores) {
            let entry = HistoryEntry {
                event,
                before,
                after: entity.view(&folded.state),
                told: Told::Applied,
            };
            if !hand(entity, entry) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let replayed = crate::replay::replay_with(
        source,
        crate::replay::Start::default(),
        &mut || Ok(Folded::default()),
        &crate::replay::Scope::default(),
        &mut observe,
        &mut apply,
        false,
    )?;
    // Retracted lines written after every effective event are told at the end.
    let mut folded = None;
    if let crate::replay::Replayed::Done(mut replay) = replayed
        && !stopped.get()
        && (named.get() > 0 || !counts)
    {
        tell_retracted_before(&mut replay.folded, None, &mut hand)
            .map_err(|refused| crate::reading::log::ReadError::Rule(refused.into()))?;
        folded = Some(replay.folded);
    }
    Ok((named.get(), folded))
}

/// One difference between two JSON documents, at a path like `provisions.exchange.status`.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Added {
        path: String,
        value: Value,
    },
    Removed {
        path: String,
        value: Value,
    },
    Changed {
        path: String,
        before: Value,
        after: Value,
    },
}

/// The differences between two JSON values, depth first, keys in sorted order. A list that
/// only grew reports its new items; any other change of a list reports the list.
pub fn json_changes(before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    collect_changes("", before, after, &mut changes);
    changes
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn collect_changes(path: &str, before: &Value, after: &Value, changes: &mut Vec<Change>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let path = child_path(path, key);
                match (old.get(key), new.get(key)) {
                    (Some(old_value), Some(new_value)) => {
                        collect_changes(&path, old_value, new_value, changes)
                    }
                    (None, Some(value)) => changes.push(Change::Added {
                        path,
                        value: value.clone(),
                    }),
                    (Some(value), None) => changes.push(Change::Removed {
                        path,
                        value: value.clone(),
                    }),
                    (None, None) => unreachable!("the key came from one of the two"),
                }
            }
        }
        (Value::Array(old), Value::Array(new))
            if new.len() > old.len() && new[..old.len()] == old[..] =>
        {
            for (index, value) in new.iter().enumerate().skip(old.len()) {
                changes.push(Change::Added {
                    path: format!("{path}[{index}]"),
                    value: value.clone(),
                });
            }
        }
        (Value::Null, value) => changes.push(Change::Added {
            path: path.to_string(),
            value: value.clone(),
        }),
        (value, Value::Null) => changes.push(Change::Removed {
            path: path.to_string(),
            value: value.clone(),
        }),
        _ => changes.push(Change::Changed {
            path: path.to_string(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}
