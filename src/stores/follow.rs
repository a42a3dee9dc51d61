//! Following a log: each event handed over once, in seq order, as its line lands.
//!
//! A `Follower` remembers where it stands (the position after the last line it read, and
//! the envelope checker's view of every line so far), so each reading starts just after
//! what was already handed over: nothing is handed over twice, and nothing is skipped,
//! however the readings are split (polls of a file, notifications and reconnections of a
//! database). Every line is envelope-checked as it is read, so a follower also notices a
//! log that stops extending what it showed.

use crate::format::event::Event;
use crate::format::rules::Rule;
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::{Source, confirm_reused};
use std::ops::ControlFlow;

/// Where a follow stands, and from which line on it hands events over.
pub struct Follower {
    checker: EnvelopeChecker,
    position: Position,
    from: u64,
}

impl Follower {
    /// A follower that hands over the events of lines `from` and after.
    pub fn new(from: u64) -> Follower {
        Follower {
            checker: EnvelopeChecker::default(),
            position: Position::default(),
            from,
        }
    }

    /// Just after the last line read.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// Reads the lines after the position from `source` (which must be able to start
    /// there, and at the log's start), handing each event from line `from` on to
    /// `on_event`. A last line without its newline is left for the next reading: its
    /// writer is not done. Returns false once `on_event` asked to stop.
    pub fn read_new(
        &mut self,
        source: &dyn Source,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<bool, ReadError> {
        let from = self.from;
        let mut keep_going = true;
        let reader = source
            .read_at(self.position.end_offset)
            .map_err(ReadError::Io)?;
        let read = read_lines(
            reader,
            &mut self.checker,
            &mut self.position,
            &Prefix::default(),
            |event, _| {
                if event.seq >= from && !on_event(&event) {
                    keep_going = false;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            },
        );
        match read {
            Ok(()) => {}
            Err(ReadError::Rule(error)) if error.rule == Rule::LogTorn => {}
            Err(error) => return Err(error),
        }
        if let Some(error) = confirm_reused(source, &Position::default(), &mut self.checker)? {
            return Err(ReadError::Rule(error));
        }
        Ok(keep_going)
    }
}
