//! Queries of the state at a point: a prefix of the log (`--at`, `--known-at`) and a world
//! time (`--as-of`), answered from the newest snapshot that can stand for the events before
//! it, and the rest of the log folded on top.
//!
//! A snapshot at seq S holds the fold of lines 1..S, the latest of which occurred at W. It
//! can answer a query whose prefix reaches S, that knows everything recorded by line S, and
//! whose `--as-of` is not before W, provided that no line after S that the query folds
//! occurred before W: such a backfilled line belongs *inside* the snapshot's part of the
//! application order, so the snapshot cannot stand for it. When the reading meets one, the
//! query starts again from an older snapshot or from the beginning: a snapshot makes a
//! query faster, never different.

use crate::fold::Folded;
use crate::format::ids::Hash;
use crate::format::time::Timestamp;
use crate::reading::log::{Position, Prefix};
use crate::replay::Scope;

/// Which state is asked for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Only the log's first `at` lines.
    pub at: Option<u64>,
    /// Only the lines recorded at or before this time.
    pub known_at: Option<Timestamp>,
    /// Only the events that occurred at or before this time.
    pub as_of: Option<Timestamp>,
    /// Fold everything from the first line, whatever snapshots there are.
    pub without_snapshots: bool,
}

impl Query {
    /// What a replay folds for this query (snapshots aside).
    pub fn scope(&self) -> Scope {
        Scope {
            prefix: Prefix {
                at: self.at,
                known_at: self.known_at.clone(),
            },
            as_of: self.as_of.clone(),
        }
    }
}

/// A state and where it stands.
#[derive(Clone, Debug)]
pub struct Answer {
    pub folded: Folded,
    /// The last line of the prefix considered (0 for none).
    pub seq: u64,
    /// The hash of that line.
    pub head: Hash,
    /// The snapshot the answer started from.
    pub snapshot: Option<u64>,
    /// Lines read and checked from the log file (after the snapshot, if one was used).
    pub lines_read: u64,
    /// Events folded on top of the snapshot (or from nothing).
    pub events_folded: u64,
    /// What the user should know: snapshots found unusable and why.
    pub warnings: Vec<String>,
    /// Where line `seq` starts and ends in the file, and its `recorded`: what a snapshot of
    /// this answer records.
    pub last_line_start: u64,
    pub end_offset: u64,
    pub last_recorded: Option<Timestamp>,
}

impl Answer {
    /// Just after the last line of the prefix the answer considered.
    pub fn position(&self) -> Position {
        Position {
            seq: self.seq,
            head: self.head,
            line_start: self.last_line_start,
            end_offset: self.end_offset,
            last_recorded: self.last_recorded.clone(),
        }
    }

    /// The answer a replay gives, started from the snapshot at `snapshot` (if any).
    pub fn from_replay(replay: crate::replay::Replay, snapshot: Option<u64>) -> Answer {
        Answer {
            seq: replay.position.seq,
            head: replay.position.head,
            snapshot,
            lines_read: replay.lines_read,
            events_folded: replay.events_folded,
            warnings: Vec::new(),
            last_line_start: replay.position.line_start,
            end_offset: replay.position.end_offset,
            last_recorded: replay.position.last_recorded,
            folded: replay.folded,
        }
    }
}
