//! Folding: events in application order, (`occurred`, `seq`), through the reducer.
//!
//! The core of accord: the state (`state`), the one place it changes (`reducer`), and the
//! fold that feeds the reducer in order. No I/O, no clock, no randomness here.

pub mod effective;
pub mod reducer;
pub mod state;

pub use state::Folded;

use crate::format::event::{Event, Version};
use crate::format::time::Timestamp;
use crate::reading::log::LogError;

/// The positions of `events` in application order: world time first, log position second.
pub fn application_order(events: &[Event]) -> Vec<usize> {
    application_order_of(events, |event| event)
}

/// `application_order` of items that each hold an event.
pub fn application_order_of<T>(items: &[T], event: impl Fn(&T) -> &Event) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Already sorted for a log written in world order; the stable sort is then linear.
    order.sort_by(|&a, &b| {
        let (a, b) = (event(&items[a]), event(&items[b]));
        (a.occurred.start(), a.seq).cmp(&(b.occurred.start(), b.seq))
    });
    order
}

/// An event the reducer refused, on line `line`, with what it named and did not find.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub line: u64,
    pub rule: crate::format::rules::Rule,
    pub detail: String,
    pub unknown: Option<crate::format::rules::Unknown>,
}

impl From<Refused> for LogError {
    fn from(refused: Refused) -> LogError {
        LogError {
            line: refused.line,
            rule: refused.rule,
            detail: refused.detail,
        }
    }
}

impl Folded {
    /// Applies one (effective) event, naming its line if a rule refuses it.
    pub fn apply(&mut self, event: &Event) -> Result<(), Refused> {
        debug_assert!(
            self.occurred
                .as_ref()
                .is_none_or(|last| last.start() <= event.occurred.start())
        );
        debug_assert!(
            !event.data.is_correction(),
            "a correction folds through the effective log, not the reducer"
        );
        reducer::apply(&mut self.state, event.seq, &event.data).map_err(|violation| Refused {
            unknown: violation.unknown.clone(),
            detail: violation.detail,
            rule: violation.rule,
            line: event.seq,
        })?;
        self.events += 1;
        // The latest start; among equal starts, version 1 kept the last applied (the
        // highest seq) and version 2 keeps the first (the lowest seq). They differ only
        // for one instant written two ways, and a version-1 log keeps its bytes.
        let same_start_kept = event.version == Version::Two
            && self
                .occurred
                .as_ref()
                .is_some_and(|last| last.start() == event.occurred.start());
        if !same_start_kept {
            self.occurred = Some(event.occurred.clone());
        }
        let end = event.occurred.end();
        if self.latest_end.is_none_or(|latest| latest < end) {
            self.latest_end = Some(end);
        }
        Ok(())
    }

    /// Under `--as-of`, notes a folded event whose world time may end after it.
    pub fn note_if_uncertain(&mut self, event: &Event, as_of: Option<&Timestamp>) {
        let Some(as_of) = as_of else {
            return;
        };
        if event.occurred.end() > as_of.instant() {
            let at = self.uncertain.partition_point(|seq| *seq < event.seq);
            self.uncertain.insert(at, event.seq);
        }
    }
}

impl Folded {
    /// Applies events in application order, those that occurred by `as_of` only, on top of
    /// what is folded already: the effective events of `events`, whose corrections and
    /// retractions (noted in the state) have the last word on the lines they target among
    /// `events`. Returns how many were applied.
    pub fn apply_all(
        &mut self,
        events: &[Event],
        as_of: Option<&Timestamp>,
    ) -> Result<u64, LogError> {
        let effective = effective::noted_and_effective(&mut self.state, events);
        let mut applied = 0;
        for index in application_order_of(&effective, |event| event) {
            let event = &*effective[index];
            if as_of.is_some_and(|limit| event.occurred.start() > limit.instant()) {
                break;
            }
            if let Err(mut error) = self.apply(event) {
                if let Some(unknown) = &error.unknown
                    && let Some(hint) = introduced_later(&effective, unknown)
                {
                    error.detail = format!("{}; {hint}", error.detail);
                }
                return Err(error.into());
            }
            self.note_if_uncertain(event, as_of);
            applied += 1;
        }
        Ok(applied)
    }
}

/// Where, among `events`, the entity that was named too early is introduced: "party RUS
/// joins on line 12, at 2020-11-10T00:00:00Z". Folding is in world time, so an entity whose
/// introduction occurred after the event that names it does not exist yet for it.
pub(crate) fn introduced_later(
    events: &[std::borrow::Cow<'_, Event>],
    unknown: &crate::format::rules::Unknown,
) -> Option<String> {
    events.iter().find_map(|event| introduces(event, unknown))
}

/// "party RUS joins on line 12, at 2020-11-10T00:00:00Z, later in world time", when `event`
/// introduces the entity a refused event named too early.
pub fn introduces(event: &Event, unknown: &crate::format::rules::Unknown) -> Option<String> {
    use crate::format::event::EventData;
    let (id, verb) = match (&event.data, unknown.kind) {
        (EventData::PartyJoined(joined), "party") => (&joined.party, "joins"),
        (EventData::IssueRaised(raised), "issue") => (&raised.issue, "is raised"),
        (EventData::ProposalMade(made), "proposal") => (&made.proposal, "is made"),
        (EventData::AgreementSigned(signed), "agreement") => (&signed.agreement, "is signed"),
        _ => return None,
    };
    (*id == unknown.id).then(|| {
        format!(
            "{} {} {verb} on line {}, at {}, later in world time: what an event names must \
             exist before it occurs",
            unknown.kind, unknown.id, event.seq, event.occurred
        )
    })
}

/// Folds the events in application order, those that occurred by `as_of` only.
pub fn fold(events: &[Event], as_of: Option<&Timestamp>) -> Result<Folded, LogError> {
    let mut folded = Folded::default();
    folded.apply_all(events, as_of)?;
    Ok(folded)
}

/// Reads a whole log and folds it in application order, holding every event: everything
/// `verify` checks but a pinned head, for logs that fit in memory (the streaming engine,
/// `crate::replay`, holds only the state).
pub fn verify_log_from<R: std::io::BufRead>(
    reader: R,
) -> Result<(crate::reading::log::Log, Folded), crate::reading::log::ReadError> {
    let log = crate::reading::log::Log::read_from(reader, &crate::reading::log::Prefix::default())?;
    let folded = fold(&log.events, None)?;
    Ok((log, folded))
}

/// `verify_log_from` for a log held in memory.
pub fn verify_log(bytes: &[u8]) -> Result<(crate::reading::log::Log, Folded), LogError> {
    verify_log_from(bytes).map_err(crate::reading::log::ReadError::in_memory)
}
