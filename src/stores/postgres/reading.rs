//! Reading a stream: pages of rows in seq order as a `Source` for the replay engine, in one
//! snapshot of the database; the tail checkpoint; an export.

use crate::format::ids::Hash;
use crate::reading::log::Position;
use crate::replay::Source;
use crate::stores::append::Tail;
use crate::stores::error::StoreError;
use crate::stores::postgres::connection::{
    CHECKPOINT, LAST_SEQ, NEXT_SEQ, PAGE, Statements, database_error, described, one_snapshot,
    seq_column,
};
use crate::stores::postgres::store::{Connection, PgStore, StreamEnd};
use crate::stores::snapshot::{SnapshotDamage, parse_snapshot_text};
use postgres::{Statement, Transaction};
use std::cell::RefCell;
use std::io::{self, BufRead, Read, Write};

/// Rows a reading fetches at a time: the most it holds of a stream.
pub const PAGE_ROWS: i64 = 512;

/// A stream's lines, read from the database as a log's bytes (each line and its newline),
/// a page of rows at a time in seq order, up to line `through`. Readings start where the
/// source knows a line ends: the stream's start, or a start position it was given.
pub struct StreamSource<'a, 't> {
    pub(crate) transaction: &'a RefCell<Transaction<'t>>,
    pub(crate) stream: &'a str,
    pub(crate) through: u64,
    /// The page query, when the connection has it prepared.
    pub(crate) page: Option<Statement>,
    /// (byte offset, seq): where each known line ends, in the stream's bytes.
    pub(crate) anchors: Vec<(u64, u64)>,
}

impl<'a, 't> StreamSource<'a, 't> {
    pub fn new(
        transaction: &'a RefCell<Transaction<'t>>,
        stream: &'a str,
        through: u64,
    ) -> StreamSource<'a, 't> {
        StreamSource {
            transaction,
            stream,
            through,
            page: None,
            anchors: vec![(0, 0)],
        }
    }

    /// The source, with the page query already prepared on its connection.
    pub(crate) fn with_page_statement(mut self, page: &Statement) -> StreamSource<'a, 't> {
        self.page = Some(page.clone());
        self
    }

    /// The source, also readable from just after `position`'s line.
    pub fn from_position(mut self, position: &Position) -> StreamSource<'a, 't> {
        self.anchors.push((position.end_offset, position.seq));
        self
    }
}

impl Source for StreamSource<'_, '_> {
    fn read_at(&self, offset: u64) -> io::Result<Box<dyn BufRead + '_>> {
        let Some(&(_, seq)) = self.anchors.iter().find(|(at, _)| *at == offset) else {
            return Err(io::Error::other(format!(
                "a stream is read from the end of a line this reading knows, and byte {offset} is not one"
            )));
        };
        Ok(Box::new(StreamReader {
            source: self,
            statement: self.page.clone(),
            next_seq: seq + 1,
            last: None,
            page: Vec::new(),
            consumed: 0,
            ended: false,
        }))
    }
}

/// One reading of a `StreamSource`: the current page's bytes and where the next starts.
pub(crate) struct StreamReader<'r, 'a, 't> {
    pub(crate) source: &'r StreamSource<'a, 't>,
    pub(crate) statement: Option<Statement>,
    pub(crate) next_seq: u64,
    /// The last seq this reading reads: the stream's, up to the source's `through`.
    pub(crate) last: Option<u64>,
    pub(crate) page: Vec<u8>,
    pub(crate) consumed: usize,
    pub(crate) ended: bool,
}

pub(crate) fn io_error(error: postgres::Error) -> io::Error {
    io::Error::other(described(&error))
}

impl StreamReader<'_, '_, '_> {
    pub(crate) fn fetch(&mut self) -> io::Result<()> {
        self.page.clear();
        self.consumed = 0;
        let mut transaction = self.source.transaction.borrow_mut();
        let stream = self.source.stream;
        let last = match self.last {
            Some(last) => last,
            None => {
                let last: Option<i64> = transaction
                    .query_one(LAST_SEQ, &[&stream])
                    .and_then(|row| row.try_get(0))
                    .map_err(io_error)?;
                let last = last.map_or(0, |last| u64::try_from(last).unwrap_or(0));
                let last = last.min(self.source.through);
                self.last = Some(last);
                last
            }
        };
        if self.next_seq > last {
            self.ended = true;
            return Ok(());
        }
        let statement = match &self.statement {
            Some(statement) => statement.clone(),
            None => {
                let statement = transaction.prepare(PAGE).map_err(io_error)?;
                self.statement = Some(statement.clone());
                statement
            }
        };
        let page_end = self.next_seq.saturating_add(PAGE_ROWS as u64 - 1).min(last);
        let rows = transaction
            .query(
                &statement,
                &[&stream, &seq_column(self.next_seq), &seq_column(page_end)],
            )
            .map_err(io_error)?;
        if rows.is_empty() {
            // Rows are missing: go on at the next one there is, whose seq then is not its
            // place, which the envelope checks name.
            let next: Option<i64> = transaction
                .query_one(NEXT_SEQ, &[&stream, &seq_column(self.next_seq)])
                .and_then(|row| row.try_get(0))
                .map_err(io_error)?;
            match next.and_then(|next| u64::try_from(next).ok()) {
                Some(next) if next <= last => self.next_seq = next,
                _ => self.ended = true,
            }
            return Ok(());
        }
        for row in rows {
            let seq: i64 = row.try_get(0).map_err(io_error)?;
            let line: &[u8] = row.try_get(1).map_err(io_error)?;
            self.page.extend_from_slice(line);
            self.page.push(b'\n');
            self.next_seq = u64::try_from(seq).unwrap_or(0).saturating_add(1);
        }
        Ok(())
    }
}

impl Read for StreamReader<'_, '_, '_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.consume(count);
        Ok(count)
    }
}

impl BufRead for StreamReader<'_, '_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.consumed == self.page.len() && !self.ended {
            self.fetch()?;
        }
        Ok(&self.page[self.consumed..])
    }

    fn consume(&mut self, amount: usize) {
        self.consumed = (self.consumed + amount).min(self.page.len());
    }
}

impl PgStore {
    /// The first row whose columns beside its line (seq, id, type, occurred, recorded) say
    /// other than the line, with what differs; `None` when every row agrees. The columns are
    /// what queries and appends look rows up by (an append finds a draft's id in `id`), so a
    /// column edited by hand would make them answer for another line. The server reads each
    /// line as JSON and compares, in one pass over the stream.
    pub fn index_mismatch(&self) -> Result<Option<(u64, String)>, StoreError> {
        let mut connection = self.connection();
        let row = connection
            .client
            .query_opt(
                "SELECT seq, id, type,
                        line_json->>'seq', line_json->>'id', line_json->>'type',
                        (line_json->>'occurred')::timestamptz = occurred,
                        (line_json->>'recorded')::timestamptz = recorded
                 FROM (SELECT seq, id, type, occurred, recorded,
                              convert_from(line, 'UTF8')::jsonb AS line_json
                       FROM accord_events WHERE stream = $1) rows
                 WHERE line_json->>'seq' IS DISTINCT FROM seq::text
                    OR line_json->>'id' IS DISTINCT FROM id
                    OR line_json->>'type' IS DISTINCT FROM type
                    OR (line_json->>'occurred')::timestamptz IS DISTINCT FROM occurred
                    OR (line_json->>'recorded')::timestamptz IS DISTINCT FROM recorded
                 ORDER BY seq LIMIT 1",
                &[&self.stream],
            )
            .map_err(|error| self.error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let get = |index: usize| row.try_get::<_, Option<String>>(index).ok().flatten();
        let seq: i64 = row.try_get(0).map_err(|error| self.error(error))?;
        let mut differences = Vec::new();
        for (column, in_row, in_line) in [
            ("id", get(1), get(4)),
            ("type", get(2), get(5)),
            ("seq", Some(seq.to_string()), get(3)),
        ] {
            if in_row != in_line {
                differences.push(format!(
                    "its `{column}` column is {} and its line's {column} {}",
                    in_row.unwrap_or_default(),
                    in_line.unwrap_or_default()
                ));
            }
        }
        for (column, index) in [("occurred", 6), ("recorded", 7)] {
            if row.try_get::<_, Option<bool>>(index).ok().flatten() != Some(true) {
                differences.push(format!("its `{column}` column is not its line's {column}"));
            }
        }
        Ok(Some((
            u64::try_from(seq).unwrap_or(0),
            format!(
                "the row at seq {seq}: {}; queries and appends would answer for another line",
                differences.join(", ")
            ),
        )))
    }

    /// Runs `read` on the stream as one consistent snapshot of it (a repeatable-read,
    /// read-only transaction): every pass of a replay sees the same rows.
    pub fn read_with<R>(&self, read: impl FnOnce(&dyn Source) -> R) -> Result<R, StoreError> {
        let mut connection = self.connection();
        let transaction =
            one_snapshot(&mut connection.client).map_err(|error| self.error(error))?;
        let cell = RefCell::new(transaction);
        self.check_exists(&cell)?;
        let result = read(&StreamSource::new(&cell, &self.stream, u64::MAX));
        cell.into_inner()
            .commit()
            .map_err(|error| self.error(error))?;
        Ok(result)
    }

    /// `read_with`, with the source also readable from just after `position`'s line (which
    /// an earlier reading of this stream found): how a reader that stopped goes on.
    pub fn read_with_position<R>(
        &self,
        position: &Position,
        read: impl FnOnce(&dyn Source) -> R,
    ) -> Result<R, StoreError> {
        let mut connection = self.connection();
        let transaction =
            one_snapshot(&mut connection.client).map_err(|error| self.error(error))?;
        let cell = RefCell::new(transaction);
        self.check_exists(&cell)?;
        let result =
            read(&StreamSource::new(&cell, &self.stream, u64::MAX).from_position(position));
        cell.into_inner()
            .commit()
            .map_err(|error| self.error(error))?;
        Ok(result)
    }

    /// The fold of the stream's first `at` lines (all of them without), started from the
    /// tail checkpoint when it holds (both checksums, its line's hash) and stands at or
    /// before them, with the rows after it folded on top; with the checkpoint's seq.
    /// `None` when there is no such checkpoint, or a row after it came late: the caller
    /// replays from the first row.
    pub fn fold_from_checkpoint(
        &self,
        at: Option<u64>,
    ) -> Result<Option<(crate::replay::Replay, u64)>, StoreError> {
        let mut guard = self.connection();
        let Connection {
            client, statements, ..
        } = &mut *guard;
        let transaction = one_snapshot(client).map_err(|error| self.error(error))?;
        let cell = RefCell::new(transaction);
        let last = cell
            .borrow_mut()
            .query_opt(
                "SELECT seq, line FROM accord_events WHERE stream = $1 AND seq <= $2
                 ORDER BY seq DESC LIMIT 1",
                &[&self.stream, &seq_column(at.unwrap_or(u64::MAX))],
            )
            .map_err(|error| self.error(error))?;
        let Some(last) = last else {
            return Ok(None);
        };
        let seq: i64 = last.try_get(0).map_err(|error| self.error(error))?;
        let line: &[u8] = last.try_get(1).map_err(|error| self.error(error))?;
        let end = StreamEnd {
            seq: u64::try_from(seq).unwrap_or(0),
            head: Hash::of(line),
            checkpoint: None,
            held_line: None,
        };
        let Some((tail, checkpoint_seq)) = self.tail_from_checkpoint(&cell, statements, &end)?
        else {
            return Ok(None);
        };
        let _ = cell.into_inner().commit();
        let replay = crate::replay::Replay {
            lines_read: tail.position.seq - checkpoint_seq,
            events_folded: tail.position.seq - checkpoint_seq,
            late_lines: 0,
            folded: tail.folded,
            position: tail.position,
        };
        Ok(Some((replay, checkpoint_seq)))
    }

    /// Writes the stream's lines, each with its newline (the bytes of the same log as a
    /// file), to `out`, a page at a time. Returns the bytes written.
    pub fn export_to(&self, out: &mut dyn Write) -> Result<u64, StoreError> {
        let copied = self.read_with(|source| {
            let mut reader = source.read_at(0)?;
            io::copy(&mut reader, out)
        })?;
        copied.map_err(|error| database_error(&self.url, error))
    }

    /// The stream's lines, each with its newline: the bytes of the same log as a file.
    pub fn export(&self) -> Result<Vec<u8>, StoreError> {
        let mut bytes = Vec::new();
        self.export_to(&mut bytes)?;
        Ok(bytes)
    }

    /// Whether row `seq` of the stream hashes to `head`.
    pub(crate) fn line_hashes_to(
        &self,
        transaction: &RefCell<Transaction<'_>>,
        statements: &Statements,
        seq: u64,
        head: &Hash,
    ) -> Result<bool, StoreError> {
        let row = transaction
            .borrow_mut()
            .query_opt(&statements.line_at, &[&self.stream, &seq_column(seq)])
            .map_err(|error| self.error(error))?;
        Ok(match row {
            Some(row) => {
                let line: &[u8] = row.try_get(0).map_err(|error| self.error(error))?;
                Hash::of(line) == *head
            }
            None => false,
        })
    }

    /// The tail checkpoint brought up to the stream's end, if it holds: both checksums, and
    /// its line still in the stream with its hash.
    pub(crate) fn tail_from_checkpoint(
        &self,
        transaction: &RefCell<Transaction<'_>>,
        statements: &Statements,
        end: &StreamEnd,
    ) -> Result<Option<(Tail, u64)>, StoreError> {
        let row = transaction
            .borrow_mut()
            .query_opt(CHECKPOINT, &[&self.stream])
            .map_err(|error| self.error(error))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let bytes: &[u8] = row.try_get(0).map_err(|error| self.error(error))?;
        let Ok(snapshot) = std::str::from_utf8(bytes)
            .map_err(|error| SnapshotDamage::Unreadable(error.to_string()))
            .and_then(|text| parse_snapshot_text(text, None))
        else {
            return Ok(None);
        };
        let header = &snapshot.header;
        let line_holds = if header.seq == end.seq {
            header.head == end.head
        } else {
            header.seq < end.seq
                && self.line_hashes_to(transaction, statements, header.seq, &header.head)?
        };
        if !line_holds {
            return Ok(None);
        }
        let checkpoint_seq = header.seq;
        let tail = Tail {
            position: header.position(),
            folded: snapshot.folded,
        };
        Ok(self
            .catch_up(transaction, statements, tail, end.seq)?
            .map(|tail| (tail, checkpoint_seq)))
    }
}
