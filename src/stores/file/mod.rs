//! The file store: a log on disk, read under a shared lock and appended to all-or-none, with
//! its snapshots, tail checkpoint and signed checkpoints kept beside it.
//!
//! The modules stand in order, each using only those before it: `store` (the file, its
//! locks, the intent readers heed), `snapshots` (what is kept beside it), `queries` (states
//! at a point, from a snapshot), `durability` (appends and repair, from the tail a query
//! gives), `following`. This file puts them behind the `Store` trait.

pub mod durability;
pub mod following;
pub mod index;
pub mod queries;
pub mod snapshots;
pub mod store;

use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use crate::format::event::{Draft, Event};
use crate::format::ids::Hash;
use crate::replay::Source;
use crate::stores::store::Store;
use crate::stores::store::range_within_limit;
use crate::stores::store::read_range_from;

pub use crate::stores::append::{AppendOutcome, DraftOutcome, parse_drafts};
pub use crate::stores::error::StoreError;
pub use durability::{Appender, CutLine, RepairOutcome};
pub use queries::{answer, answer_pair, head, snapshot, tail};
pub use store::FileStore;

impl Store for FileStore {
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError> {
        let (first, last) = range_within_limit(&lines)?;
        let file = self.open_shared()?;
        read_range_from(&crate::replay::FileSource(&file), first, last)
            .map_err(|error| self.read_error(error))
    }

    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        self.append(drafts, expect_seq, clock)
    }

    fn head(&self) -> Result<(u64, Hash), StoreError> {
        let (seq, head, _warnings) = queries::head(self, None)?;
        Ok((seq, head))
    }

    fn read_whole(&self, read: &mut dyn FnMut(&dyn Source)) -> Result<(), StoreError> {
        let file = self.open_shared()?;
        read(&crate::replay::FileSource(&file));
        Ok(())
    }

    fn follow(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), StoreError> {
        self.follow_file(from, on_event)
    }
}
