//! What the page draws, folded from the events once: the state, the events applied, each
//! custody change, and each proposal from the event that made it to the one that closed it.

use std::collections::BTreeMap;

use super::ReportedEvent;
use super::axis::seconds;
use crate::fold::application_order_of;
use crate::fold::state::{Counts, Folded, ProposalStatus};
use crate::format::event::{Event, EventData};
use crate::format::ids::Slug;
use crate::format::time::Timestamp;

/// The most points of the custody chart per pair of sides; past it, the last point of each
/// stretch of time is kept.
pub const MAX_CUSTODY_POINTS: usize = 1_000;

/// The family an event is coloured by.
pub(super) fn family(data: &EventData) -> &'static str {
    match data {
        EventData::PartyJoined(_) | EventData::IssueRaised(_) => "setup",
        EventData::ProposalMade(_)
        | EventData::ProposalAccepted(_)
        | EventData::ProposalRejected(_)
        | EventData::ProposalWithdrawn(_) => "proposal",
        // A meeting is diplomacy in words, drawn with the statements.
        EventData::StatementMade(_) | EventData::MeetingHeld(_) => "statement",
        EventData::EventRetracted(_) | EventData::EventCorrected(_) => "setup",
        EventData::AgreementSigned(_)
        | EventData::ProvisionUpdated(_)
        | EventData::AgreementTerminated(_) => "agreement",
        EventData::DetentionReported(_) | EventData::ReleaseMade(_) => "release",
    }
}

/// Each family and what its filter calls it.
pub(super) const FAMILIES: &[(&str, &str)] = &[
    ("proposal", "proposals"),
    ("statement", "statements"),
    ("agreement", "agreements and provisions"),
    ("release", "releases and detentions"),
    ("setup", "parties and issues"),
];

/// The party whose lane an event is drawn in; `None` for the joint lane.
pub(super) fn actor(data: &EventData) -> Option<&Slug> {
    match data {
        EventData::PartyJoined(joined) => Some(&joined.party),
        EventData::ProposalMade(made) => Some(&made.by),
        EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => Some(&act.by),
        EventData::ProposalRejected(rejected) => Some(&rejected.by),
        EventData::StatementMade(statement) => Some(&statement.by),
        EventData::AgreementTerminated(terminated) => terminated.by.as_ref(),
        EventData::DetentionReported(reported) => Some(&reported.holder),
        EventData::ReleaseMade(release) => Some(&release.by),
        EventData::MeetingHeld(meeting) => meeting.hosted_by.as_ref(),
        EventData::EventRetracted(_) | EventData::EventCorrected(_) => None,
        EventData::IssueRaised(_)
        | EventData::AgreementSigned(_)
        | EventData::ProvisionUpdated(_) => None,
    }
}

/// A proposal from the event that made it to the one that closed it.
pub(super) struct Lifecycle {
    pub(super) by: Slug,
    pub(super) made: i64,
    pub(super) made_seq: u64,
    /// When, at which line, and how it closed.
    pub(super) closed: Option<(i64, u64, &'static str)>,
}

/// The page's sections, computed from the events.
pub(super) struct Drawn {
    pub(super) folded: Folded,
    /// Indices into the events, in application order, of those folded.
    pub(super) applied: Vec<usize>,
    /// After each custody change: when, holder, of, and the counts then.
    pub(super) custody: Vec<(i64, Slug, Slug, Counts)>,
    pub(super) proposals: BTreeMap<Slug, Lifecycle>,
    /// The refusal the fold met, if it met one the reading did not report.
    pub(super) refused: Option<String>,
}

/// The report's events once the log's corrections have had their last word.
pub(super) struct Effective {
    /// Each corrected line's replacement in its place (at its seq, with its hash);
    /// retracted lines and correction lines stay in the list, folding nothing.
    pub(super) events: Vec<ReportedEvent>,
    /// The corrections noted, a fold to start from.
    pub(super) folded: Folded,
    /// The positions of the lines that fold.
    pub(super) folds: Vec<usize>,
    pub(super) last_words: crate::fold::effective::LastWords,
}

/// The report's events with their corrections' last words applied (see `Effective`).
pub(super) fn effective_events(events: &[ReportedEvent]) -> Effective {
    let mut last_words = crate::fold::effective::LastWords::default();
    let mut folded = Folded::default();
    for reported in events {
        if let Some(note) = crate::fold::effective::note_of(&reported.event) {
            folded.state.note_correction(note);
            last_words.note(reported.event.clone());
        }
    }
    let mut folds = Vec::with_capacity(events.len());
    let effective = events
        .iter()
        .enumerate()
        .map(
            |(index, reported)| match last_words.effective(&reported.event) {
                None => reported.clone(),
                Some(event) => {
                    folds.push(index);
                    ReportedEvent {
                        event: event.into_owned(),
                        hash: reported.hash,
                    }
                }
            },
        )
        .collect();
    Effective {
        events: effective,
        folded,
        folds,
        last_words,
    }
}

/// A line that a later line corrected or retracted, as the page shows it: the line as
/// written (struck through) beside what it says now, or struck through alone.
pub(super) struct ChangedLine<'e> {
    pub(super) as_written: &'e Event,
    /// The last correction or retraction of it.
    pub(super) last_word: &'e Event,
    /// Its index among the report's events.
    pub(super) index: usize,
}

impl ChangedLine<'_> {
    pub(super) fn is_retracted(&self) -> bool {
        matches!(self.last_word.data, EventData::EventRetracted(_))
    }

    /// "corrected by line 45: the source gives the day only", as the page says it.
    pub(super) fn said_by(&self) -> String {
        let (verb, reason) = match &self.last_word.data {
            EventData::EventRetracted(retracted) => ("retracted", &retracted.reason),
            EventData::EventCorrected(corrected) => ("corrected", &corrected.reason),
            _ => ("changed", &String::new()),
        };
        format!("{verb} by line {}: {reason}", self.last_word.seq)
    }
}

/// The lines of the report (as read, in file order) that a later line corrected or
/// retracted, by seq, each with its last word.
pub(super) fn changed_lines<'e>(
    events: &'e [ReportedEvent],
    last_words: &'e crate::fold::effective::LastWords,
) -> BTreeMap<u64, ChangedLine<'e>> {
    last_words
        .iter()
        .filter_map(|(target, last_word)| {
            let index = events
                .binary_search_by_key(&target, |line| line.event.seq)
                .ok()?;
            let line = ChangedLine {
                as_written: &events[index].event,
                last_word,
                index,
            };
            Some((target, line))
        })
        .collect()
}

/// Folds the lines at `folds` (effective events) in application order on top of `folded`,
/// those that occurred by `as_of` only, noting what the page draws over time.
pub(super) fn fold_for_report(
    events: &[ReportedEvent],
    folded: Folded,
    folds: &[usize],
    as_of: Option<&Timestamp>,
) -> Drawn {
    let folding: Vec<&Event> = folds.iter().map(|&index| &events[index].event).collect();
    let order = application_order_of(&folding, |event| event);
    let mut drawn = Drawn {
        folded,
        applied: Vec::new(),
        custody: Vec::new(),
        proposals: BTreeMap::new(),
        refused: None,
    };
    for index in order.into_iter().map(|at| folds[at]) {
        let event = &events[index].event;
        if as_of.is_some_and(|limit| event.occurred.start() > limit.instant()) {
            break;
        }
        if let Err(refused) = drawn.folded.apply(event) {
            drawn.refused = Some(format!(
                "line {}: {}: {}",
                refused.line, refused.rule, refused.detail
            ));
            break;
        }
        drawn.applied.push(index);
        let moment = seconds(&event.occurred);
        let touched = drawn.note_drawn_changes(&event.data, moment, event.seq);
        drawn.close_proposals(&touched, moment, event.seq);
    }
    drawn
}

impl Drawn {
    /// Records what an applied event changes that the page draws over time (custody, a
    /// proposal made); the proposals it may have closed.
    fn note_drawn_changes(&mut self, data: &EventData, moment: i64, seq: u64) -> Vec<Slug> {
        let mut touched: Vec<Slug> = Vec::new();
        match data {
            EventData::DetentionReported(reported) => {
                self.push_custody(moment, &reported.holder, &reported.of);
            }
            EventData::ReleaseMade(release) => {
                self.push_custody(moment, &release.by, &release.of);
            }
            EventData::ProposalMade(made) => {
                self.proposals.insert(
                    made.proposal.clone(),
                    Lifecycle {
                        by: made.by.clone(),
                        made: moment,
                        made_seq: seq,
                        closed: None,
                    },
                );
                touched.extend(made.supersedes.iter().chain(made.counters.iter()).cloned());
            }
            EventData::ProposalAccepted(act) | EventData::ProposalWithdrawn(act) => {
                touched.push(act.proposal.clone())
            }
            EventData::ProposalRejected(rejected) => touched.push(rejected.proposal.clone()),
            _ => {}
        }
        touched
    }

    /// The proposals among `touched` that the state now holds closed get their end.
    fn close_proposals(&mut self, touched: &[Slug], moment: i64, seq: u64) {
        for proposal in touched {
            let status = self
                .folded
                .state
                .proposals
                .get(proposal)
                .map(|proposal| proposal.status);
            if let (Some(status), Some(lifecycle)) = (status, self.proposals.get_mut(proposal))
                && status != ProposalStatus::Open
                && lifecycle.closed.is_none()
            {
                lifecycle.closed = Some((moment, seq, status.name()));
            }
        }
    }

    fn push_custody(&mut self, moment: i64, holder: &Slug, of: &Slug) {
        let counts = self
            .folded
            .state
            .custody
            .get(holder)
            .and_then(|held| held.get(of))
            .cloned()
            .unwrap_or_default();
        self.custody
            .push((moment, holder.clone(), of.clone(), counts));
    }

    /// The custody series of each pair of sides, thinned to `MAX_CUSTODY_POINTS` each.
    pub(super) fn custody_series(&self) -> BTreeMap<(Slug, Slug), Vec<(i64, Counts)>> {
        let mut series: BTreeMap<(Slug, Slug), Vec<(i64, Counts)>> = BTreeMap::new();
        for (moment, holder, of, counts) in &self.custody {
            let points = series.entry((holder.clone(), of.clone())).or_default();
            // One point per moment: the last change at it.
            if points.last().is_some_and(|(last, _)| last == moment) {
                points.pop();
            }
            points.push((*moment, *counts));
        }
        for points in series.values_mut() {
            if points.len() > MAX_CUSTODY_POINTS {
                let every = points.len().div_ceil(MAX_CUSTODY_POINTS);
                let last = points.len() - 1;
                *points = points
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| index % every == every - 1 || *index == last)
                    .map(|(_, point)| *point)
                    .collect();
            }
        }
        series
    }
}

/// Every person a side holds of another, whatever the category: at least this many (the
/// chart draws the lower bound of a count known only within bounds).
pub(super) fn total(counts: &Counts) -> u64 {
    counts.total().low
}
