//! The effective log (format version 2): what each line says once the corrections and
//! retractions among the lines considered have had their last word.
//!
//! The last word on a line is the correction or retraction with the highest seq that
//! targets it. A retracted line folds nothing; a corrected one folds its replacement, at its
//! own seq and with its own id; correction and retraction lines fold nothing themselves.
//! Which corrections count depends only on the lines considered, never on `--as-of`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::fold::state::{CorrectionKind, CorrectionNote};
use crate::format::event::{Event, EventData};

/// The last word on each corrected or retracted line, by the line's seq.
#[derive(Clone, Debug, Default)]
pub struct LastWords {
    by_target: BTreeMap<u64, Event>,
}

impl LastWords {
    /// Takes `correction` (a line whose data is a correction or retraction) as the last word
    /// on its target. Lines come in file order, so a later one overrules an earlier one.
    pub fn note(&mut self, correction: Event) {
        let Some(target) = correction.data.correction_target() else {
            debug_assert!(false, "only a correction or retraction is a last word");
            return;
        };
        debug_assert!(
            target < correction.seq,
            "a correction targets an earlier line"
        );
        if let Some(known) = self.by_target.get(&target) {
            debug_assert!(known.seq < correction.seq, "corrections come in file order");
        }
        self.by_target.insert(target, correction);
    }

    pub fn is_empty(&self) -> bool {
        self.by_target.is_empty()
    }

    /// Each changed line's seq with its last word, in seq order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Event)> {
        self.by_target.iter().map(|(target, word)| (*target, word))
    }

    /// The earliest line that a last word changes.
    pub fn earliest_target(&self) -> Option<u64> {
        self.by_target.keys().next().copied()
    }

    /// The highest seq among the corrections that are last words.
    pub fn latest_correction(&self) -> Option<u64> {
        self.by_target
            .values()
            .map(|correction| correction.seq)
            .max()
    }

    /// Whether every last word was said by a line up to `seq`.
    pub fn all_said_by(&self, seq: u64) -> bool {
        self.by_target
            .values()
            .all(|correction| correction.seq <= seq)
    }

    /// What `event`'s line folds: itself, its replacement, or nothing (a retracted line,
    /// or a correction or retraction line).
    pub fn effective<'e>(&self, event: &'e Event) -> Option<Cow<'e, Event>> {
        if event.data.is_correction() {
            return None;
        }
        match self.by_target.get(&event.seq) {
            None => Some(Cow::Borrowed(event)),
            Some(word) => said_by(event, word).map(Cow::Owned),
        }
    }
}

/// What `event`'s line says once `word` (a correction or retraction of it) is said: its
/// replacement, at the line's seq and with its id, or nothing.
pub fn said_by(event: &Event, word: &Event) -> Option<Event> {
    debug_assert_eq!(word.data.correction_target(), Some(event.seq));
    match &word.data {
        EventData::EventCorrected(corrected) => {
            let mut replaced = event.clone();
            replaced.occurred = corrected.replacement.occurred.clone();
            replaced.data = (*corrected.replacement.data).clone();
            Some(replaced)
        }
        _ => None,
    }
}

/// The effective events of `events` (the lines considered, in file order): each line with
/// its last word among them applied, retracted lines and correction lines left out.
pub fn effective_events(events: &[Event]) -> Vec<Cow<'_, Event>> {
    let mut last_words = LastWords::default();
    for correction in events.iter().filter(|event| event.data.is_correction()) {
        last_words.note(correction.clone());
    }
    events
        .iter()
        .filter_map(|event| last_words.effective(event))
        .collect()
}

/// Notes every correction and retraction among `events` in `state`, and gives the effective
/// events: what an in-memory fold of those lines applies.
pub fn noted_and_effective<'e>(
    state: &mut crate::fold::state::State,
    events: &'e [Event],
) -> Vec<Cow<'e, Event>> {
    for note in events.iter().filter_map(note_of) {
        state.note_correction(note);
    }
    effective_events(events)
}

/// What the state says of a correction or retraction line.
pub fn note_of(correction: &Event) -> Option<CorrectionNote> {
    let (kind, target, reason) = match &correction.data {
        EventData::EventCorrected(corrected) => (
            CorrectionKind::Corrected,
            corrected.target,
            &corrected.reason,
        ),
        EventData::EventRetracted(retracted) => (
            CorrectionKind::Retracted,
            retracted.target,
            &retracted.reason,
        ),
        _ => return None,
    };
    Some(CorrectionNote {
        by: correction.seq,
        kind,
        reason: reason.clone(),
        target,
    })
}
