//! Appending to a stream: one transaction under the stream's advisory lock, planned by the
//! same `plan_append` as the file store, inserted in chunks, notified on commit; and import.

use crate::fold::Folded;
use crate::format::event::{Draft, Event};
use crate::format::ids::{EventId, Hash};
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::{Replayed, Scope, Start};
use crate::stores::append::{AppendPlan, Tail};
use crate::stores::error::StoreError;
use crate::stores::postgres::connection::{
    LINES_WITH_IDS, NOTIFY_CHANNEL, Statements, database_error, seq_column,
};
use crate::stores::postgres::reading::StreamSource;
use crate::stores::postgres::store::{Connection, HeldTail, PgStore, StreamEnd, mean_line_bytes};
use crate::stores::snapshot::{SnapshotPlace, snapshot_text};
use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::{Statement, Transaction};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::ops::ControlFlow;

/// Rows inserted by one statement: a batch of up to `MAX_DRAFTS_PER_APPEND` lines goes in
/// chunks, each well under the server's limit on one message.
pub(crate) const INSERT_CHUNK_ROWS: usize = 4096;

/// Lines an append may fold after the tail checkpoint before it rewrites it.
pub const TAIL_CHECKPOINT_LINES: u64 = 1_000;

/// A row's columns beside its line, for the insert statement.
pub(crate) struct Columns<'b> {
    pub(crate) seqs: Vec<i64>,
    pub(crate) ids: Vec<String>,
    pub(crate) occurred: Vec<DateTime<Utc>>,
    pub(crate) recorded: Vec<DateTime<Utc>>,
    pub(crate) types: Vec<&'static str>,
    pub(crate) lines: Vec<&'b [u8]>,
}

impl<'b> Columns<'b> {
    pub(crate) fn with_capacity(capacity: usize) -> Columns<'b> {
        Columns {
            seqs: Vec::with_capacity(capacity),
            ids: Vec::with_capacity(capacity),
            occurred: Vec::with_capacity(capacity),
            recorded: Vec::with_capacity(capacity),
            types: Vec::with_capacity(capacity),
            lines: Vec::with_capacity(capacity),
        }
    }

    pub(crate) fn push(&mut self, event: &Event, line: &'b [u8]) {
        self.seqs.push(seq_column(event.seq));
        self.ids.push(event.id.to_string());
        self.occurred.push(event.occurred.start());
        self.recorded.push(event.recorded.instant());
        self.types.push(event.data.type_name());
        self.lines.push(line);
    }

    pub(crate) fn len(&self) -> usize {
        self.seqs.len()
    }

    pub(crate) fn clear(&mut self) {
        self.seqs.clear();
        self.ids.clear();
        self.occurred.clear();
        self.recorded.clear();
        self.types.clear();
        self.lines.clear();
    }
}

impl PgStore {
    /// Adds a log's lines to the stream as they are, envelope-checked but without their
    /// rules (a copy is verified afterwards): what a copy into the database does. Refused
    /// unless the stream is empty. Returns the lines added.
    pub fn import(&self, bytes: &[u8]) -> Result<u64, StoreError> {
        let mut guard = self.connection();
        let Connection {
            client,
            held,
            statements,
        } = &mut *guard;
        *held = None;
        let mut transaction = client.transaction().map_err(|error| self.error(error))?;
        transaction
            .execute(&statements.lock_stream, &[&self.stream])
            .map_err(|error| self.error(error))?;
        let count: i64 = transaction
            .query_one(
                "SELECT count(*) FROM accord_events WHERE stream = $1",
                &[&self.stream],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|error| self.error(error))?;
        if count > 0 {
            return Err(database_error(
                &self.url,
                format!(
                    "stream {}: holds {count} events already; nothing imported",
                    self.stream
                ),
            ));
        }
        let insert = &statements.insert;
        let mut columns = Columns::with_capacity(INSERT_CHUNK_ROWS);
        let mut failed: Option<StoreError> = None;
        let mut checker = EnvelopeChecker::default();
        let mut position = Position::default();
        let read = read_lines(
            bytes,
            &mut checker,
            &mut position,
            &Prefix::default(),
            |event, at| {
                let line = &bytes[at.line_start as usize..at.end_offset as usize - 1];
                columns.push(&event, line);
                if columns.len() == INSERT_CHUNK_ROWS {
                    if let Err(error) = self.insert(&mut transaction, insert, &columns) {
                        failed = Some(error);
                        return ControlFlow::Break(());
                    }
                    columns.clear();
                }
                ControlFlow::Continue(())
            },
        );
        if let Some(error) = failed {
            return Err(error);
        }
        let reused = crate::replay::confirm_reused(
            &crate::replay::BytesSource(bytes),
            &Position::default(),
            &mut checker,
        );
        read.map_err(|error| self.read_error(error))?;
        if let Some(error) = reused.map_err(|error| self.read_error(error))? {
            return Err(self.read_error(ReadError::Rule(error)));
        }
        if columns.len() > 0 {
            self.insert(&mut transaction, insert, &columns)?;
        }
        if position.seq > 0 {
            self.notify(&mut transaction, &statements.notify, position.seq)?;
        }
        transaction.commit().map_err(|error| self.error(error))?;
        Ok(position.seq)
    }

    /// Inserts one chunk of rows; a key another writer took is an `append.conflict`.
    pub(crate) fn insert(
        &self,
        transaction: &mut Transaction<'_>,
        statement: &Statement,
        columns: &Columns<'_>,
    ) -> Result<(), StoreError> {
        debug_assert!(columns.len() <= INSERT_CHUNK_ROWS);
        let inserted = transaction.execute(
            statement,
            &[
                &self.stream,
                &columns.seqs,
                &columns.ids,
                &columns.occurred,
                &columns.recorded,
                &columns.types,
                &columns.lines,
            ],
        );
        match inserted {
            Ok(count) => {
                assert_eq!(count, columns.len() as u64, "every row is inserted");
                Ok(())
            }
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                let first = columns.seqs.first().copied().unwrap_or(1).max(1) as u64;
                let by_id = error
                    .as_db_error()
                    .and_then(|server| server.constraint())
                    .is_some_and(|constraint| constraint.contains("id"));
                let detail = if by_id {
                    "another writer added an event with an id of this batch meanwhile".to_string()
                } else {
                    format!("another writer added line {first} meanwhile")
                };
                Err(StoreError::AppendConflict {
                    path: self.log_name(),
                    seq: first,
                    detail,
                })
            }
            Err(error) => Err(self.error(error)),
        }
    }

    pub(crate) fn notify(
        &self,
        transaction: &mut Transaction<'_>,
        statement: &Statement,
        last_seq: u64,
    ) -> Result<(), StoreError> {
        let payload = format!("{last_seq} {}", self.stream);
        transaction
            .execute(statement, &[&NOTIFY_CHANNEL, &payload])
            .map(|_| ())
            .map_err(|error| self.error(error))
    }

    /// `tail` brought up to line `through` by folding the rows after it; `None` when that
    /// takes a second pass (a backfill among them), which only a replay from the first row
    /// can make.
    pub(crate) fn catch_up(
        &self,
        transaction: &RefCell<Transaction<'_>>,
        statements: &Statements,
        tail: Tail,
        through: u64,
    ) -> Result<Option<Tail>, StoreError> {
        if tail.position.seq == through {
            return Ok(Some(tail));
        }
        let source = StreamSource::new(transaction, &self.stream, through)
            .with_page_statement(&statements.page)
            .from_position(&tail.position);
        let mut wanted_second_pass = false;
        let mut reload = || {
            wanted_second_pass = true;
            Err(ReadError::Io(io::Error::other(
                "no second pass from a tail",
            )))
        };
        let start = Start {
            position: tail.position,
            folded: tail.folded,
        };
        let replayed =
            crate::replay::replay(&source, start, &mut reload, &Scope::default(), &mut |_| {});
        match replayed {
            Ok(Replayed::Done(replay)) if replay.late_lines == 0 => Ok(Some(Tail {
                folded: replay.folded,
                position: replay.position,
            })),
            Ok(_) => Ok(None),
            Err(_) if wanted_second_pass => Ok(None),
            Err(error) => Err(self.read_error(error)),
        }
    }

    /// The fold at the stream's end: from the held tail, the tail checkpoint, or the first
    /// row, whichever still holds first; from the checkpoint before the held tail when the
    /// checkpoint is newer and smaller than the lines it saves reading.
    pub(crate) fn tail(
        &self,
        transaction: &RefCell<Transaction<'_>>,
        statements: &Statements,
        held: Option<HeldTail>,
        end: &StreamEnd,
    ) -> Result<HeldTail, StoreError> {
        let with_checkpoint = |tail| HeldTail {
            tail,
            checkpoint: end.checkpoint,
        };
        let mut checkpoint_tried = false;
        if let Some(held) = held {
            let position = &held.tail.position;
            let still_there = position.seq <= end.seq
                && (position.seq == 0
                    || (position.seq == end.seq && position.head == end.head)
                    || end.held_line == Some(position.head));
            if still_there {
                let checkpoint_first = match end.checkpoint {
                    Some((seq, bytes)) if seq > position.seq => {
                        bytes <= (seq - position.seq).saturating_mul(mean_line_bytes(position))
                    }
                    _ => false,
                };
                if checkpoint_first {
                    checkpoint_tried = true;
                    if let Some((tail, _)) =
                        self.tail_from_checkpoint(transaction, statements, end)?
                    {
                        return Ok(with_checkpoint(tail));
                    }
                }
                if let Some(tail) = self.catch_up(transaction, statements, held.tail, end.seq)? {
                    return Ok(with_checkpoint(tail));
                }
            }
        }
        if !checkpoint_tried
            && end.checkpoint.is_some()
            && let Some((tail, _)) = self.tail_from_checkpoint(transaction, statements, end)?
        {
            return Ok(with_checkpoint(tail));
        }
        let from_first_row = Tail {
            folded: Folded::default(),
            position: Position::default(),
        };
        if let Some(tail) = self.catch_up(transaction, statements, from_first_row, end.seq)? {
            return Ok(with_checkpoint(tail));
        }
        let source = StreamSource::new(transaction, &self.stream, end.seq)
            .with_page_statement(&statements.page);
        let replay = crate::replay::replay_whole(&source, &Scope::default(), &mut |_| {})
            .map_err(|error| self.read_error(error))?;
        Ok(with_checkpoint(Tail {
            folded: replay.folded,
            position: replay.position,
        }))
    }

    /// The stream's events that carry one of the drafts' ids.
    pub(crate) fn events_with_ids(
        &self,
        transaction: &RefCell<Transaction<'_>>,
        drafts: &[(usize, Draft)],
    ) -> Result<HashMap<EventId, Event>, StoreError> {
        let ids: Vec<String> = drafts
            .iter()
            .filter_map(|(_, draft)| draft.id.map(|id| id.to_string()))
            .collect();
        let mut existing = HashMap::new();
        if ids.is_empty() {
            return Ok(existing);
        }
        let rows = transaction
            .borrow_mut()
            .query(LINES_WITH_IDS, &[&self.stream, &ids])
            .map_err(|error| self.error(error))?;
        for row in rows {
            let line: &[u8] = row.try_get(0).map_err(|error| self.error(error))?;
            let event = Event::parse_line(line).map_err(|violation| {
                database_error(
                    &self.url,
                    format!("a stored line does not parse: {violation:?}"),
                )
            })?;
            existing.insert(event.id, event);
        }
        Ok(existing)
    }

    /// Where the stream ends, read under its lock; `held_seq` is the seq of the tail the
    /// store holds, whose line is fetched to check it is still there.
    pub(crate) fn stream_end(
        &self,
        transaction: &mut Transaction<'_>,
        statements: &Statements,
        held_seq: u64,
    ) -> Result<StreamEnd, StoreError> {
        let row = transaction
            .query_opt(
                &statements.stream_end,
                &[&self.stream, &seq_column(held_seq)],
            )
            .map_err(|error| self.error(error))?;
        let Some(row) = row else {
            return Ok(StreamEnd {
                seq: 0,
                head: Hash::ZERO,
                checkpoint: None,
                held_line: None,
            });
        };
        let error = |error| self.error(error);
        let seq: i64 = row.try_get(0).map_err(error)?;
        let line: &[u8] = row.try_get(1).map_err(error)?;
        let checkpoint_seq: Option<i64> = row.try_get(2).map_err(error)?;
        let checkpoint_bytes: Option<i64> = row.try_get(3).map_err(error)?;
        let held_line: Option<&[u8]> = row.try_get(4).map_err(error)?;
        let unsigned = |value: i64| u64::try_from(value).unwrap_or(0);
        Ok(StreamEnd {
            seq: unsigned(seq),
            head: Hash::of(line),
            checkpoint: checkpoint_seq
                .zip(checkpoint_bytes)
                .map(|(seq, bytes)| (unsigned(seq), unsigned(bytes))),
            held_line: held_line.map(Hash::of),
        })
    }

    /// Writes the plan's rows, the notification, and the tail checkpoint when it is due:
    /// every `TAIL_CHECKPOINT_LINES` lines, or sooner once the lines since the last one
    /// weigh more than it does (a small state is cheaper to load than lines to fold), and
    /// after a correction or retraction.
    pub(crate) fn write_plan(
        &self,
        transaction: &mut Transaction<'_>,
        statements: &Statements,
        plan: &AppendPlan,
        after: &Tail,
        checkpoint: &mut Option<(u64, u64)>,
    ) -> Result<(), StoreError> {
        for chunk in plan.rows.chunks(INSERT_CHUNK_ROWS) {
            let mut columns = Columns::with_capacity(chunk.len());
            for row in chunk {
                columns.seqs.push(seq_column(row.seq));
                columns.ids.push(row.id.to_string());
                columns.occurred.push(row.occurred.start());
                columns.recorded.push(row.recorded.instant());
                columns.types.push(row.type_name);
                columns.lines.push(&plan.buffer[row.line.clone()]);
            }
            self.insert(transaction, &statements.insert, &columns)?;
        }
        let position = &after.position;
        self.notify(transaction, &statements.notify, position.seq)?;
        let (checkpoint_seq, checkpoint_bytes) = checkpoint.unwrap_or((0, u64::MAX));
        let lines_since = position.seq.saturating_sub(checkpoint_seq);
        // A correction reaches behind the last checkpoint: one is written after it.
        let due = lines_since >= TAIL_CHECKPOINT_LINES
            || plan.corrects
            || lines_since.saturating_mul(mean_line_bytes(position)) >= checkpoint_bytes;
        if due && let Some(last_recorded) = position.last_recorded.clone() {
            let place = SnapshotPlace {
                seq: position.seq,
                head: position.head,
                line_start: position.line_start,
                end_offset: position.end_offset,
                last_recorded,
                tree: None,
            };
            let text = snapshot_text(place, &after.folded);
            transaction
                .execute(
                    &statements.write_checkpoint,
                    &[&self.stream, &seq_column(position.seq), &text.as_bytes()],
                )
                .map_err(|error| self.error(error))?;
            *checkpoint = Some((position.seq, text.len() as u64));
        }
        Ok(())
    }
}
