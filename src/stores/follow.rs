//! Following a log: each event handed over once, in seq order, as its line lands.
//!
//! A `Follower` remembers where it stands (the position after the last line it read, and
//! the envelope checker's view of every line so far), so each reading starts just after
//! what was already handed over: nothing is handed over twice, and nothing is skipped,
//! however the readings are split (polls of a file, notifications and reconnections of a
//! database). Every line is envelope-checked as it is read, so a follower also notices a
//! log that stops extending what it showed.

use std::ops::ControlFlow;

use crate::format::event::Event;
use crate::format::rules::Rule;
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::{Source, confirm_reused};

/// How often a file is polled for new lines.
pub const FILE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

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

/// Why a follow stopped: the log no longer holds line `seq` as it was handed over.
fn replaced(seq: u64) -> crate::reading::log::LogError {
    crate::reading::log::LogError {
        line: seq,
        rule: Rule::EnvelopeChain,
        detail: format!(
            "line {seq} no longer hashes to the line already shown: the log was cut, replaced or rewritten"
        ),
    }
}

impl crate::stores::FileStore {
    /// `Store::follow` for a file: its length is polled every `FILE_POLL`, and what it
    /// gained is read under the shared lock, so a batch is seen whole or not at all. A log
    /// that does not exist yet is waited for.
    ///
    /// Across readings the follower checks that the log still holds what it has shown: the
    /// last line shown must still hash to its head, the file must not get shorter, and a
    /// file replaced by another (renamed over: a new inode) is read again from its first
    /// line, its chain checked up to the last line shown, whose hash must be the same (the
    /// chain then proves every line before it is too).
    pub fn follow_file(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), crate::stores::StoreError> {
        use std::os::unix::fs::MetadataExt as _;
        let mut follower = Follower::new(from);
        let mut seen_length = None;
        let mut seen_identity = None;
        loop {
            let (length, identity) = match std::fs::metadata(self.path()) {
                Ok(metadata) => (metadata.len(), Some((metadata.dev(), metadata.ino()))),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => (0, None),
                Err(error) => return Err(self.io_error(error)),
            };
            if seen_length != Some(length) || seen_identity != identity {
                let position = follower.position().clone();
                if length < position.end_offset {
                    return Err(self.read_error(ReadError::Rule(replaced(position.seq))));
                }
                if length > 0 {
                    let mut file = self.open_shared()?;
                    let replaced_file = seen_identity.is_some() && seen_identity != identity;
                    if replaced_file && position.seq > 0 {
                        self.check_still_holds(&file, &position)?;
                    }
                    if position.seq > 0
                        && !self.line_hashes_to(
                            &mut file,
                            position.line_start,
                            position.end_offset,
                            &position.head,
                        )
                    {
                        return Err(self.read_error(ReadError::Rule(replaced(position.seq))));
                    }
                    let keep_going = follower
                        .read_new(&crate::replay::FileSource(&file), on_event)
                        .map_err(|error| self.read_error(error))?;
                    if !keep_going {
                        return Ok(());
                    }
                }
                seen_length = Some(length);
                seen_identity = identity;
            }
            std::thread::sleep(FILE_POLL);
        }
    }

    /// Whether `file`, which replaced the file followed so far, holds the lines already
    /// shown: its lines up to `position.seq` envelope-checked (so chained) from the first,
    /// and the last of them hashing to `position.head`.
    fn check_still_holds(
        &self,
        file: &std::fs::File,
        position: &Position,
    ) -> Result<(), crate::stores::StoreError> {
        let read = crate::stores::head_from(&crate::replay::FileSource(file), Some(position.seq));
        match read {
            Ok((seq, head)) if seq == position.seq && head == position.head => Ok(()),
            Ok(_) => Err(self.read_error(ReadError::Rule(replaced(position.seq)))),
            Err(ReadError::Rule(error)) => Err(self.read_error(ReadError::Rule(
                crate::reading::log::LogError {
                    detail: format!(
                        "the log was replaced by a file that does not extend the lines already shown: {}",
                        error.detail
                    ),
                    ..error
                },
            ))),
            Err(error) => Err(self.read_error(error)),
        }
    }
}
