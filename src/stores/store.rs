//! The `Store` trait, what every store offers the rest of accord, and the reading helpers
//! stores share.

use crate::format::event::{Draft, Event};
use crate::format::ids::Hash;
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::Source;
use chrono::{DateTime, Utc};
use std::ops::ControlFlow;
use std::ops::RangeInclusive;

use crate::stores::append::AppendOutcome;
use crate::stores::error::StoreError;

/// Most lines `Store::read_range` returns at once: a range is read into memory.
pub const MAX_RANGE_LINES: u64 = 1 << 20;

/// The two ends of a range `Store::read_range` may read, or why it may not.
pub(crate) fn range_within_limit(lines: &RangeInclusive<u64>) -> Result<(u64, u64), StoreError> {
    let (first, last) = (*lines.start(), *lines.end());
    if last.saturating_sub(first) >= MAX_RANGE_LINES {
        return Err(StoreError::RangeTooLong {
            first,
            last,
            limit: MAX_RANGE_LINES,
        });
    }
    Ok((first, last))
}

/// A log's store, as the rest of accord uses it.
pub trait Store: Send + Sync {
    /// The events of lines `lines` (seqs, both ends included), envelope-checked from the
    /// first line on; fewer if the log ends first. At most `MAX_RANGE_LINES`.
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError>;

    /// Appends `drafts` (numbered by their place in the caller's input), all or none,
    /// after line `expect_seq` when it is given. `clock` is the time recorded.
    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError>;

    /// The seq and hash of the last line (0 and zeros for an empty log).
    fn head(&self) -> Result<(u64, Hash), StoreError>;

    /// Calls `read` once with the whole log as one consistent reading: a file under its
    /// shared lock, a stream in one snapshot of the database. Reads through it go through
    /// the replay engine in bounded memory.
    fn read_whole(&self, read: &mut dyn FnMut(&dyn Source)) -> Result<(), StoreError>;

    /// Hands each event of line `from` and after to `on_event`, in seq order, as its line
    /// lands, until `on_event` returns false; each line once, across polls and
    /// reconnections. Fails when the log stops extending the lines handed over.
    fn follow(&self, from: u64, on_event: &mut dyn FnMut(&Event) -> bool)
    -> Result<(), StoreError>;
}

/// `read` run once over the store's whole log (see `Store::read_whole`), and its result.
pub fn with_whole<R>(
    store: &dyn Store,
    read: impl FnOnce(&dyn Source) -> R,
) -> Result<R, StoreError> {
    let mut read = Some(read);
    let mut result = None;
    store.read_whole(&mut |source| {
        if let Some(read) = read.take() {
            result = Some(read(source));
        }
    })?;
    result.ok_or_else(|| StoreError::Io {
        path: "(store)".into(),
        source: std::io::Error::other("the store did not read its log"),
    })
}

/// The seq and hash of line `at` (of the last line without it), every line up to there
/// envelope-checked: `accord head` on a log without snapshots.
pub fn head_from(source: &dyn Source, at: Option<u64>) -> Result<(u64, Hash), ReadError> {
    let reader = source.read_at(0).map_err(ReadError::Io)?;
    let mut checker = EnvelopeChecker::default();
    let mut position = Position::default();
    let prefix = Prefix { at, known_at: None };
    read_lines(reader, &mut checker, &mut position, &prefix, |_, _| {
        ControlFlow::Continue(())
    })?;
    if let Some(error) = crate::replay::confirm_reused(source, &Position::default(), &mut checker)?
    {
        return Err(error.into());
    }
    Ok((position.seq, position.head))
}

/// The events of lines `first..=last` of the log in `source`, envelope-checked from the
/// first line on (a reused id confirmed): what `Store::read_range` returns, for any store.
pub(crate) fn read_range_from(
    source: &dyn Source,
    first: u64,
    last: u64,
) -> Result<Vec<Event>, ReadError> {
    let reader = source.read_at(0).map_err(ReadError::Io)?;
    let mut checker = EnvelopeChecker::default();
    let mut position = Position::default();
    let mut events = Vec::new();
    let prefix = Prefix {
        at: Some(last),
        known_at: None,
    };
    let read = read_lines(reader, &mut checker, &mut position, &prefix, |event, _| {
        if event.seq >= first {
            events.push(event);
        }
        ControlFlow::Continue(())
    });
    let start = Position::default();
    if let Some(error) = crate::replay::confirm_reused(source, &start, &mut checker)? {
        return Err(error.into());
    }
    read?;
    Ok(events)
}
