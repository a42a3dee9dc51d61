//! Folding: events in application order, (`occurred`, `seq`), through the reducer.

use crate::event::Event;
use crate::log::LogError;
use crate::reducer;
use crate::state::State;
use crate::time::Timestamp;

/// The positions of `events` in application order: world time first, log position second.
pub fn application_order(events: &[Event]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    // Already sorted for a log written in world order; the stable sort is then linear.
    order.sort_by(|&a, &b| {
        (&events[a].occurred, events[a].seq).cmp(&(&events[b].occurred, events[b].seq))
    });
    order
}

/// A state and what was folded into it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Folded {
    pub state: State,
    /// How many events were applied.
    pub events: u64,
    /// The latest `occurred` among them (the last one applied, by application order).
    pub occurred: Option<Timestamp>,
}

impl Folded {
    /// Applies one event, naming its line if a rule refuses it.
    pub fn apply(&mut self, event: &Event) -> Result<(), LogError> {
        debug_assert!(
            self.occurred
                .as_ref()
                .is_none_or(|last| *last <= event.occurred)
        );
        reducer::apply(&mut self.state, event.seq, &event.data)
            .map_err(|violation| LogError::new(event.seq, violation))?;
        self.events += 1;
        self.occurred = Some(event.occurred.clone());
        Ok(())
    }
}

impl Folded {
    /// Applies events in application order, those that occurred by `as_of` only, on top of
    /// what is folded already. Returns how many were applied.
    pub fn apply_all(
        &mut self,
        events: &[Event],
        as_of: Option<&Timestamp>,
    ) -> Result<u64, LogError> {
        let mut applied = 0;
        for index in application_order(events) {
            let event = &events[index];
            if as_of.is_some_and(|limit| event.occurred > *limit) {
                break;
            }
            self.apply(event)?;
            applied += 1;
        }
        Ok(applied)
    }
}

/// Folds the events in application order, those that occurred by `as_of` only.
pub fn fold(events: &[Event], as_of: Option<&Timestamp>) -> Result<Folded, LogError> {
    let mut folded = Folded::default();
    folded.apply_all(events, as_of)?;
    Ok(folded)
}
