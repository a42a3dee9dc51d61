//! Following a log file: its length polled, what it gained read under the shared lock, and
//! the chain checked across readings.

use crate::stores::follow::Follower;

use crate::format::event::Event;
use crate::format::rules::Rule;
use crate::reading::log::{Position, ReadError};

/// How often a file is polled for new lines.
pub const FILE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

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

impl crate::stores::file::store::FileStore {
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
    ) -> Result<(), crate::stores::error::StoreError> {
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
                    let file = self.open_shared()?;
                    let replaced_file = seen_identity.is_some() && seen_identity != identity;
                    if replaced_file && position.seq > 0 {
                        self.check_still_holds(&file, &position)?;
                    }
                    if position.seq > 0
                        && !self.line_hashes_to(
                            &file,
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
    ) -> Result<(), crate::stores::error::StoreError> {
        let read =
            crate::stores::store::head_from(&crate::replay::FileSource(file), Some(position.seq));
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
