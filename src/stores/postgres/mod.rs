//! The PostgreSQL store (cargo feature `postgres`), for logs many writers share.
//!
//! A log is a stream of rows in `accord_events`, keyed by (stream, seq); each row keeps its
//! line's exact bytes, so the hash chain is the file's, beside the columns queries need
//! (id, occurred, recorded, type). `accord db init URL` creates the schema; `PgStore` is a
//! stream behind the `Store` trait.
//!
//! **An append is one transaction holding the stream's advisory lock**: writers to one
//! stream take turns, and the unique (stream, seq) key stands behind the lock, so a writer
//! that skipped the lock costs the loser an `append.conflict`, never a fork. It is planned
//! by the same `plan_append` as the file store's, so the lines are the bytes a file would
//! get, and inserted in one statement per chunk of rows.
//!
//! **The tail state is a checked cache.** A `PgStore` holds the fold at the stream's tail
//! between appends; before each append it checks, under the lock, that the stream still
//! ends at that line (seq and hash) and folds only the rows other writers added since.
//! Without a held tail it starts from the stream's tail checkpoint (`accord_tails`: a
//! snapshot, with both checksums, that appends rewrite every `TAIL_CHECKPOINT_LINES`
//! lines), believed only when its checksums hold and the row at its seq still hashes to its
//! head; failing that, from the first row. Either way an append costs its batch and the
//! lines since the last checkpoint, not the stream.
//!
//! **Reads are pages in seq order** (`StreamSource`), at most `PAGE_ROWS` rows at a time,
//! through the same replay engine as files: memory is the engine's, not the stream's.
//!
//! **Every append that adds lines notifies** channel `accord_events` with `SEQ STREAM` (its
//! last seq and the stream) when it commits; a follower reads the rows from the table.
//!
//! **The migration is idempotent and serialised**: it runs in one transaction holding a
//! transaction-scoped advisory lock, creates only what is missing, and refuses a schema
//! newer than this build knows.

pub mod appending;
pub mod connection;
pub mod following;
pub mod reading;
pub mod schema;
pub mod store;

use crate::format::event::{Draft, Event};
use crate::format::ids::Hash;
use crate::replay::Source;
use crate::stores::append::{AppendOutcome, LogReading, plan_append};
use crate::stores::error::StoreError;
use crate::stores::store::Store;
use crate::stores::store::range_within_limit;
use crate::stores::store::read_range_from;
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use std::ops::RangeInclusive;

pub use appending::TAIL_CHECKPOINT_LINES;
pub use connection::{
    DEFAULT_WAIT, MAX_STREAM_NAME_BYTES, NOTIFY_CHANNEL, Waits, check_stream_name, connect,
    connect_with,
};
pub use reading::{PAGE_ROWS, StreamSource};
pub use schema::{InitOutcome, SCHEMA_VERSION, init, init_with};
pub use store::PgStore;

use connection::database_error;
use store::{Connection, HeldTail};

impl Store for PgStore {
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError> {
        let (first, last) = range_within_limit(&lines)?;
        self.read_with(|source| read_range_from(source, first, last))?
            .map_err(|error| self.read_error(error))
    }

    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut guard = self.connection();
        let Connection {
            client,
            held: held_slot,
            statements,
        } = &mut *guard;
        // Taken: if anything below fails, the next append finds the tail afresh.
        let held = held_slot.take();
        let mut transaction = client.transaction().map_err(|error| self.error(error))?;
        transaction
            .execute(&statements.lock_stream, &[&self.stream])
            .map_err(|error| self.error(error))?;
        let held_seq = held.as_ref().map_or(0, |held| held.tail.position.seq);
        let end = self.stream_end(&mut transaction, statements, held_seq)?;
        let cell = RefCell::new(transaction);
        let HeldTail {
            tail,
            mut checkpoint,
        } = self.tail(&cell, statements, held, &end)?;
        if (tail.position.seq, tail.position.head) != (end.seq, end.head) {
            return Err(database_error(
                &self.url,
                format!(
                    "stream {}: its rows end at line {} but read to line {}: a row is missing or was changed",
                    self.stream, end.seq, tail.position.seq
                ),
            ));
        }
        let existing = self.events_with_ids(&cell, drafts)?;
        let (plan, after) = {
            let source = StreamSource::new(&cell, &self.stream, end.seq)
                .with_page_statement(&statements.page);
            // A stream keeps only its tail checkpoint: a correction replays it from the first
            // line.
            plan_append(
                &self.log_name(),
                tail,
                LogReading {
                    source: &source,
                    earlier: &|_, _| None,
                },
                &existing,
                drafts,
                expect_seq,
                clock,
            )?
        };
        let mut transaction = cell.into_inner();
        if plan.new_lines > 0 {
            self.write_plan(&mut transaction, statements, &plan, &after, &mut checkpoint)?;
            transaction.commit().map_err(|error| self.error(error))?;
        }
        *held_slot = Some(HeldTail {
            tail: after,
            checkpoint,
        });
        Ok(plan.outcome)
    }

    fn read_whole(&self, read: &mut dyn FnMut(&dyn Source)) -> Result<(), StoreError> {
        self.read_with(read)
    }

    fn follow(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), StoreError> {
        self.follow_stream(from, on_event)
    }

    fn head(&self) -> Result<(u64, Hash), StoreError> {
        let mut connection = self.connection();
        let row = connection
            .client
            .query_opt(
                "SELECT seq, line FROM accord_events WHERE stream = $1 ORDER BY seq DESC LIMIT 1",
                &[&self.stream],
            )
            .map_err(|error| self.error(error))?;
        Ok(match row {
            None => (0, Hash::ZERO),
            Some(row) => {
                let seq: i64 = row.try_get(0).map_err(|error| self.error(error))?;
                let line: &[u8] = row.try_get(1).map_err(|error| self.error(error))?;
                (u64::try_from(seq).unwrap_or(0), Hash::of(line))
            }
        })
    }
}
