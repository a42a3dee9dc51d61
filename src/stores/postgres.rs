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

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, BufRead, Read, Write};
use std::ops::{ControlFlow, RangeInclusive};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Statement, Transaction};

use crate::fold::Folded;
use crate::format::event::{Draft, Event};
use crate::format::ids::{EventId, Hash};
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::{Replayed, Scope, Source, Start};
use crate::stores::file::{AppendOutcome, AppendPlan, Tail, plan_append};
use crate::stores::snapshot::{SnapshotPlace, parse_snapshot_text, snapshot_text};
use crate::stores::{Store, StoreError, range_within_limit, read_range_from, shown_url};

/// The schema version this build writes and reads. Version 1 had no tail checkpoints.
pub const SCHEMA_VERSION: i32 = 2;

/// The channel appends notify, with `SEQ STREAM` as the payload.
pub const NOTIFY_CHANNEL: &str = "accord_events";

/// Longest stream name, in bytes: it travels in every notification (at most 8000 bytes).
pub const MAX_STREAM_NAME_BYTES: usize = 200;

/// Rows a reading fetches at a time: the most it holds of a stream.
pub const PAGE_ROWS: i64 = 512;

/// Rows inserted by one statement: a batch of up to `MAX_DRAFTS_PER_APPEND` lines goes in
/// chunks, each well under the server's limit on one message.
const INSERT_CHUNK_ROWS: usize = 4096;

/// Lines an append may fold after the tail checkpoint before it rewrites it.
pub const TAIL_CHECKPOINT_LINES: u64 = 1_000;

/// The advisory lock key every migration takes (`accord` in ASCII).
const MIGRATION_LOCK: i64 = 0x6163_636f_7264;

/// The schema, statement by statement; each creates only what is missing.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS accord_schema (version integer PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS accord_events (
        stream text NOT NULL CHECK (stream <> ''),
        seq bigint NOT NULL CHECK (seq >= 1),
        id text NOT NULL,
        occurred timestamptz NOT NULL,
        recorded timestamptz NOT NULL,
        type text NOT NULL,
        line bytea NOT NULL,
        PRIMARY KEY (stream, seq),
        UNIQUE (stream, id)
    )",
    "CREATE INDEX IF NOT EXISTS accord_events_occurred ON accord_events (stream, occurred)",
    // The fold at a stream's tail, as a snapshot's text: a cache appends keep and check.
    "CREATE TABLE IF NOT EXISTS accord_tails (
        stream text PRIMARY KEY,
        seq bigint NOT NULL,
        checkpoint bytea NOT NULL
    )",
];

const LOCK_STREAM: &str = "SELECT pg_advisory_xact_lock(hashtextextended('accord:' || $1, 0))";
/// The stream's end: its last line, its tail checkpoint's seq and size, and the line at a
/// seq the caller holds a tail for (to check it is still there) in one round trip.
const STREAM_END: &str = "SELECT e.seq, e.line,
       (SELECT t.seq FROM accord_tails t WHERE t.stream = $1),
       (SELECT length(t.checkpoint)::bigint FROM accord_tails t WHERE t.stream = $1),
       (SELECT h.line FROM accord_events h WHERE h.stream = $1 AND h.seq = $2)
     FROM accord_events e WHERE e.stream = $1 ORDER BY e.seq DESC LIMIT 1";
const LINE_AT: &str = "SELECT line FROM accord_events WHERE stream = $1 AND seq = $2";
const LINES_WITH_IDS: &str = "SELECT line FROM accord_events WHERE stream = $1 AND id = ANY($2)";
/// A page: the rows of a range of seqs. A range, not a LIMIT, so that the plan never reads
/// more than the page whatever the table's statistics say (a LIMIT over a fresh import was
/// planned as a scan of every later row and a sort).
const PAGE: &str = "SELECT seq, line FROM accord_events
     WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq";
/// The first seq at or after one: where reading goes on past a gap of missing rows.
const NEXT_SEQ: &str = "SELECT min(seq) FROM accord_events WHERE stream = $1 AND seq >= $2";
/// The last seq of a stream, read once per reading: where it ends.
const LAST_SEQ: &str = "SELECT max(seq) FROM accord_events WHERE stream = $1";
const INSERT_ROWS: &str =
    "INSERT INTO accord_events (stream, seq, id, occurred, recorded, type, line)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                              $6::text[], $7::bytea[])";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const CHECKPOINT: &str = "SELECT checkpoint FROM accord_tails WHERE stream = $1";
const WRITE_CHECKPOINT: &str =
    "INSERT INTO accord_tails (stream, seq, checkpoint) VALUES ($1, $2, $3)
     ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, checkpoint = excluded.checkpoint";

/// What `init` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitOutcome {
    /// The schema was created (or completed).
    Created,
    /// It was already there, at this version: nothing changed.
    AlreadyThere,
}

fn database_error(url: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Database {
        target: shown_url(url),
        detail: error.to_string(),
    }
}

/// What a driver error says: the server's message and SQLSTATE code, or the cause of a
/// failed connection (the driver's own text is only "db error" or "error connecting").
fn described(error: &postgres::Error) -> String {
    use std::error::Error as _;
    if let Some(server) = error.as_db_error() {
        // A wait accord bounded: say which bound, and how to move it.
        let bound = match server.code().code() {
            "57014" => "; a statement may take at most --db-timeout",
            "55P03" => "; a lock (another writer's) is waited for at most --db-timeout",
            "25P03" => "; an idle transaction is ended after twice --db-timeout",
            _ => "",
        };
        return format!(
            "{} (SQLSTATE {}){bound}",
            server.message(),
            server.code().code()
        );
    }
    match error.source() {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

fn driver_error(url: &str, error: postgres::Error) -> StoreError {
    database_error(url, described(&error))
}

/// A seq as the database keeps it (a seq never passes `i64::MAX`: it counts rows).
fn seq_column(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// How long accord waits for a database by default: to connect, for one statement, and for
/// a lock (a stream's, held by another writer).
pub const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long to wait for the database, at most: nothing waits forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waits {
    /// To connect: the TCP connection and the server's first answers.
    pub connect: std::time::Duration,
    /// For one statement to finish (the server's `statement_timeout`).
    pub statement: std::time::Duration,
    /// For a lock (the server's `lock_timeout`); a session left idle inside a transaction
    /// (a writer frozen while it holds a stream's lock) is ended by the server after twice
    /// this (`idle_in_transaction_session_timeout`), which frees the lock.
    pub lock: std::time::Duration,
}

impl Default for Waits {
    fn default() -> Waits {
        Waits::all(DEFAULT_WAIT)
    }
}

impl Waits {
    /// The same bound on every wait.
    pub fn all(wait: std::time::Duration) -> Waits {
        Waits {
            connect: wait,
            statement: wait,
            lock: wait,
        }
    }
}

/// Connects to the database at `url` (a `postgres://` URL or a key-value string) with the
/// default waits.
pub fn connect(url: &str) -> Result<Client, StoreError> {
    connect_with(url, Waits::default())
}

/// Connects within `waits.connect`, then sets the server-side bounds on statements, lock
/// waits and idle transactions. The driver's own connect timeout covers only the TCP
/// connection; a server that accepts it and then says nothing (frozen, or not PostgreSQL)
/// is waited for on a thread of its own, and given up after `waits.connect`.
pub fn connect_with(url: &str, waits: Waits) -> Result<Client, StoreError> {
    use std::str::FromStr as _;
    let mut config = postgres::Config::from_str(url).map_err(|error| driver_error(url, error))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(waits.connect);
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("accord-connect".into())
        .spawn(move || {
            let _ = sender.send(config.connect(NoTls));
        })
        .map_err(|error| {
            database_error(url, format!("cannot start a thread to connect: {error}"))
        })?;
    let mut client = match receiver.recv_timeout(waits.connect) {
        Ok(connected) => connected.map_err(|error| driver_error(url, error))?,
        Err(_) => {
            return Err(database_error(
                url,
                format!(
                    "no answer within {} s: the server took the connection and said nothing (frozen, overloaded, or not PostgreSQL); --db-timeout sets how long accord waits",
                    waits.connect.as_secs_f64()
                ),
            ));
        }
    };
    let milliseconds = |wait: std::time::Duration| wait.as_millis().clamp(1, i32::MAX as u128);
    client
        // A statement's bound leaves room for a lock wait inside it, so a lock waited for
        // too long is reported as the lock it is.
        .batch_execute(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}; SET idle_in_transaction_session_timeout = {}",
            milliseconds(waits.statement + waits.lock),
            milliseconds(waits.lock),
            milliseconds(waits.lock * 2)
        ))
        .map_err(|error| driver_error(url, error))?;
    Ok(client)
}

/// The schema version the database holds, if it has one.
fn schema_version(
    client: &mut impl postgres::GenericClient,
) -> Result<Option<i32>, postgres::Error> {
    let schema_table: bool = client
        .query_one("SELECT to_regclass('accord_schema') IS NOT NULL", &[])?
        .try_get(0)?;
    if !schema_table {
        return Ok(None);
    }
    client
        .query_one("SELECT max(version) FROM accord_schema", &[])?
        .try_get(0)
}

/// Creates the schema where it is missing; running it again changes nothing.
pub fn init(url: &str) -> Result<InitOutcome, StoreError> {
    init_with(url, Waits::default())
}

/// `init`, waiting for the database at most `waits`. A schema already at this version is
/// left alone without a statement that needs the CREATE privilege, so a user who may only
/// read and write the tables can run it too.
pub fn init_with(url: &str, waits: Waits) -> Result<InitOutcome, StoreError> {
    let mut client = connect_with(url, waits)?;
    let mut transaction = client
        .transaction()
        .map_err(|error| driver_error(url, error))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|error| driver_error(url, error))?;
    let existing = schema_version(&mut transaction).map_err(|error| driver_error(url, error))?;
    // A version this build does not know is another build's schema: leave it alone.
    if let Some(version) = existing
        && version > SCHEMA_VERSION
    {
        return Err(database_error(
            url,
            format!(
                "db.schema: the database holds accord schema {version}, this accord knows {SCHEMA_VERSION}; nothing changed"
            ),
        ));
    }
    // Post-mortem: a second `db init` by a user without CREATE on the schema failed, though
    // a second run is meant to change nothing: a complete schema at this version is left
    // without a statement that needs the privilege.
    if existing == Some(SCHEMA_VERSION)
        && schema_is_complete(&mut transaction).map_err(|error| driver_error(url, error))?
    {
        transaction
            .commit()
            .map_err(|error| driver_error(url, error))?;
        return Ok(InitOutcome::AlreadyThere);
    }
    for statement in SCHEMA {
        transaction
            .batch_execute(statement)
            .map_err(|error| driver_error(url, error))?;
    }
    transaction
        .execute(
            "INSERT INTO accord_schema (version) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&SCHEMA_VERSION],
        )
        .map_err(|error| driver_error(url, error))?;
    transaction
        .commit()
        .map_err(|error| driver_error(url, error))?;
    Ok(if existing == Some(SCHEMA_VERSION) {
        InitOutcome::AlreadyThere
    } else {
        InitOutcome::Created
    })
}

/// Whether every table of the schema is there (a version row alone could outlive one).
fn schema_is_complete(client: &mut impl postgres::GenericClient) -> Result<bool, postgres::Error> {
    client
        .query_one(
            "SELECT to_regclass('accord_events') IS NOT NULL AND to_regclass('accord_tails') IS NOT NULL",
            &[],
        )?
        .try_get(0)
}

/// Refuses a database whose schema is missing or not this build's.
fn check_schema(url: &str, client: &mut Client) -> Result<(), StoreError> {
    match schema_version(client).map_err(|error| driver_error(url, error))? {
        Some(SCHEMA_VERSION) => Ok(()),
        None => Err(database_error(
            url,
            "db.schema: the database has no accord schema; `accord db init URL` creates it",
        )),
        Some(version) if version < SCHEMA_VERSION => Err(database_error(
            url,
            format!(
                "db.schema: the database holds accord schema {version}, this accord needs {SCHEMA_VERSION}; `accord db init URL` brings it up to date"
            ),
        )),
        Some(version) => Err(database_error(
            url,
            format!(
                "db.schema: the database holds accord schema {version}, this accord knows {SCHEMA_VERSION}; use the accord that made it"
            ),
        )),
    }
}

/// Refuses a stream name that is empty, too long, or holds control characters (it is
/// printed, and travels in notifications).
pub fn check_stream_name(stream: &str) -> Result<(), String> {
    if stream.is_empty() {
        return Err("--stream: a stream has a name".into());
    }
    if stream.len() > MAX_STREAM_NAME_BYTES {
        return Err(format!(
            "--stream: a stream name has at most {MAX_STREAM_NAME_BYTES} bytes, this one {}",
            stream.len()
        ));
    }
    if stream.chars().any(char::is_control) {
        return Err("--stream: a stream name has no control characters".into());
    }
    Ok(())
}

/// A stream's lines, read from the database as a log's bytes (each line and its newline),
/// a page of rows at a time in seq order, up to line `through`. Readings start where the
/// source knows a line ends: the stream's start, or a start position it was given.
pub struct StreamSource<'a, 't> {
    transaction: &'a RefCell<Transaction<'t>>,
    stream: &'a str,
    through: u64,
    /// The page query, when the connection has it prepared.
    page: Option<Statement>,
    /// (byte offset, seq): where each known line ends, in the stream's bytes.
    anchors: Vec<(u64, u64)>,
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
    fn with_page_statement(mut self, page: &Statement) -> StreamSource<'a, 't> {
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
struct StreamReader<'r, 'a, 't> {
    source: &'r StreamSource<'a, 't>,
    statement: Option<Statement>,
    next_seq: u64,
    /// The last seq this reading reads: the stream's, up to the source's `through`.
    last: Option<u64>,
    page: Vec<u8>,
    consumed: usize,
    ended: bool,
}

fn io_error(error: postgres::Error) -> io::Error {
    io::Error::other(described(&error))
}

impl StreamReader<'_, '_, '_> {
    fn fetch(&mut self) -> io::Result<()> {
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

/// A read-only transaction that sees one snapshot of the database throughout
/// (repeatable read): every pass of a replay reads the same rows.
fn one_snapshot(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

/// The fold at the stream's tail that a `PgStore` keeps between appends.
struct HeldTail {
    tail: Tail,
    /// The tail checkpoint in the database (its seq and bytes), as this store last saw it.
    checkpoint: Option<(u64, u64)>,
}

/// The statements an append runs, prepared once per connection: each saves a round trip.
struct Statements {
    lock_stream: Statement,
    stream_end: Statement,
    line_at: Statement,
    page: Statement,
    insert: Statement,
    notify: Statement,
    write_checkpoint: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            lock_stream: client.prepare(LOCK_STREAM)?,
            stream_end: client.prepare(STREAM_END)?,
            line_at: client.prepare(LINE_AT)?,
            page: client.prepare(PAGE)?,
            insert: client.prepare(INSERT_ROWS)?,
            notify: client.prepare(NOTIFY)?,
            write_checkpoint: client.prepare(WRITE_CHECKPOINT)?,
        })
    }
}

struct Connection {
    client: Client,
    held: Option<HeldTail>,
    statements: Statements,
}

/// Where a stream ends, as an append finds it under the lock.
struct StreamEnd {
    seq: u64,
    head: Hash,
    /// The tail checkpoint's seq and size in bytes, if the stream has one.
    checkpoint: Option<(u64, u64)>,
    /// The hash of the line at the held tail's seq, if there is such a line.
    held_line: Option<Hash>,
}

/// The mean bytes of a line up to `position`: what reading the lines after it costs, near
/// enough to weigh against loading a checkpoint.
fn mean_line_bytes(position: &Position) -> u64 {
    (position.end_offset / position.seq.max(1)).max(1)
}

/// One stream of a PostgreSQL database, as a `Store`.
pub struct PgStore {
    connection: Mutex<Connection>,
    url: String,
    stream: String,
    waits: Waits,
}

/// A row's columns beside its line, for the insert statement.
struct Columns<'b> {
    seqs: Vec<i64>,
    ids: Vec<String>,
    occurred: Vec<DateTime<Utc>>,
    recorded: Vec<DateTime<Utc>>,
    types: Vec<&'static str>,
    lines: Vec<&'b [u8]>,
}

impl<'b> Columns<'b> {
    fn with_capacity(capacity: usize) -> Columns<'b> {
        Columns {
            seqs: Vec::with_capacity(capacity),
            ids: Vec::with_capacity(capacity),
            occurred: Vec::with_capacity(capacity),
            recorded: Vec::with_capacity(capacity),
            types: Vec::with_capacity(capacity),
            lines: Vec::with_capacity(capacity),
        }
    }

    fn push(&mut self, event: &Event, line: &'b [u8]) {
        self.seqs.push(seq_column(event.seq));
        self.ids.push(event.id.to_string());
        self.occurred.push(event.occurred.instant());
        self.recorded.push(event.recorded.instant());
        self.types.push(event.data.type_name());
        self.lines.push(line);
    }

    fn len(&self) -> usize {
        self.seqs.len()
    }

    fn clear(&mut self) {
        self.seqs.clear();
        self.ids.clear();
        self.occurred.clear();
        self.recorded.clear();
        self.types.clear();
        self.lines.clear();
    }
}

impl PgStore {
    /// Opens stream `stream` of the database at `url`, whose schema `init` made.
    pub fn open(url: &str, stream: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(url, stream, Waits::default())
    }

    /// `open`, waiting for the database at most `waits`.
    pub fn open_with(url: &str, stream: &str, waits: Waits) -> Result<PgStore, StoreError> {
        check_stream_name(stream).map_err(|detail| database_error(url, detail))?;
        let mut client = connect_with(url, waits)?;
        check_schema(url, &mut client)?;
        let statements =
            Statements::prepare(&mut client).map_err(|error| driver_error(url, error))?;
        Ok(PgStore {
            connection: Mutex::new(Connection {
                client,
                held: None,
                statements,
            }),
            url: url.to_string(),
            stream: stream.to_string(),
            waits,
        })
    }

    /// Refuses a stream with no rows: a stream exists once its first event is appended, so
    /// reading one that has none is reading a name nobody wrote to (a typo, most often), as
    /// reading a file that does not exist is. The streams the database holds are named.
    fn check_exists(&self, transaction: &RefCell<Transaction<'_>>) -> Result<(), StoreError> {
        let mut transaction = transaction.borrow_mut();
        let exists: bool = transaction
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM accord_events WHERE stream = $1)",
                &[&self.stream],
            )
            .and_then(|row| row.try_get(0))
            .map_err(|error| self.error(error))?;
        if exists {
            return Ok(());
        }
        // Post-mortem: `verify URL --stream typo` printed `ok 0 events`, exit 0.
        let others: Vec<String> = transaction
            .query(
                "SELECT DISTINCT stream FROM accord_events ORDER BY stream LIMIT 11",
                &[],
            )
            .map_err(|error| self.error(error))?
            .iter()
            .filter_map(|row| row.try_get::<_, String>(0).ok())
            .collect();
        let named = if others.is_empty() {
            "the database holds no stream yet".to_string()
        } else {
            let shown: Vec<String> = others
                .iter()
                .take(10)
                .map(|name| crate::views::text::printable(name).into_owned())
                .collect();
            format!(
                "its streams are {}{}",
                shown.join(", "),
                if others.len() > 10 { ", ..." } else { "" }
            )
        };
        Err(database_error(
            &self.url,
            format!(
                "no stream named {}: it holds no events ({named}; `append` makes one)",
                crate::views::text::printable(&self.stream)
            ),
        ))
    }

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

    /// The name errors give the log: the database without its password, and the stream.
    pub fn log_name(&self) -> PathBuf {
        PathBuf::from(format!("{}#{}", shown_url(&self.url), self.stream))
    }

    fn error(&self, error: postgres::Error) -> StoreError {
        driver_error(&self.url, error)
    }

    /// What a reading's error says, naming this stream.
    pub fn read_error(&self, error: ReadError) -> StoreError {
        match error {
            ReadError::Rule(error) => StoreError::Log {
                path: self.log_name(),
                error,
            },
            ReadError::Io(error) => database_error(&self.url, error),
        }
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while a transaction was open rolled it back when it unwound: the client
        // is usable, but the held tail may be half-updated, so it is dropped.
        self.connection.lock().unwrap_or_else(|poisoned| {
            let mut connection = poisoned.into_inner();
            connection.held = None;
            connection
        })
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
    fn insert(
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
                debug_assert_eq!(count, columns.len() as u64, "every row is inserted");
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

    fn notify(
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

    /// Whether row `seq` of the stream hashes to `head`.
    fn line_hashes_to(
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

    /// `tail` brought up to line `through` by folding the rows after it; `None` when that
    /// takes a second pass (a backfill among them), which only a replay from the first row
    /// can make.
    fn catch_up(
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
    fn tail(
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

    /// The tail checkpoint brought up to the stream's end, if it holds: both checksums, and
    /// its line still in the stream with its hash.
    fn tail_from_checkpoint(
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
            .map_err(|error| error.to_string())
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

    /// The stream's events that carry one of the drafts' ids.
    fn events_with_ids(
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
    fn stream_end(
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
    /// weigh more than it does (a small state is cheaper to load than lines to fold).
    fn write_plan(
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
                columns.occurred.push(row.occurred.instant());
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
        let due = lines_since >= TAIL_CHECKPOINT_LINES
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

/// How long a follower waits for a notification before it reads anyway: a safety net for
/// a notification lost, never the way events are found.
const FOLLOW_WAKE: std::time::Duration = std::time::Duration::from_secs(1);

/// The longest wait between two attempts to reconnect a follower.
const FOLLOW_MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(5);

/// What ended one connection of a follow.
enum FollowEnd {
    /// The caller asked to stop.
    Stopped,
    /// The connection failed: connect again and go on from the same place.
    Lost,
}

impl PgStore {
    /// `Store::follow` for a stream: a connection of its own listens on `accord_events`,
    /// then reads the rows after the last one handed over, then waits for a notification
    /// naming this stream (or `FOLLOW_WAKE`) and reads again. When the connection fails it
    /// connects again, listens, and reads from where it stood: listening comes before
    /// reading, so a row committed in between is read, never missed, and the position
    /// makes sure it is not handed over twice. Only a first connection that fails, or a
    /// stream that stops extending what was handed over, ends the follow with an error.
    pub fn follow_stream(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), StoreError> {
        let mut follower = crate::stores::follow::Follower::new(from);
        let mut connected_once = false;
        let mut backoff = std::time::Duration::from_millis(100);
        loop {
            let client = connect_with(&self.url, self.waits).and_then(|mut client| {
                client
                    .batch_execute(&format!(
                        "SET application_name = 'accord follow'; LISTEN {NOTIFY_CHANNEL}"
                    ))
                    .map_err(|error| driver_error(&self.url, error))?;
                Ok(client)
            });
            let mut client = match client {
                Ok(client) => client,
                Err(error) if !connected_once => return Err(error),
                Err(_) => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(FOLLOW_MAX_BACKOFF);
                    continue;
                }
            };
            connected_once = true;
            backoff = std::time::Duration::from_millis(100);
            match self.follow_on(&mut client, &mut follower, on_event)? {
                FollowEnd::Stopped => return Ok(()),
                FollowEnd::Lost => continue,
            }
        }
    }

    /// One connection's share of a follow.
    fn follow_on(
        &self,
        client: &mut Client,
        follower: &mut crate::stores::follow::Follower,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<FollowEnd, StoreError> {
        loop {
            let transaction = match one_snapshot(client) {
                Ok(transaction) => transaction,
                Err(_) => return Ok(FollowEnd::Lost),
            };
            let cell = RefCell::new(transaction);
            let position = follower.position().clone();
            if position.seq > 0 {
                let row = cell
                    .borrow_mut()
                    .query_opt(LINE_AT, &[&self.stream, &seq_column(position.seq)]);
                let still_there = match row {
                    Err(_) => return Ok(FollowEnd::Lost),
                    Ok(row) => row
                        .and_then(|row| row.try_get::<_, &[u8]>(0).ok().map(Hash::of))
                        .is_some_and(|hash| hash == position.head),
                };
                if !still_there {
                    return Err(self.read_error(ReadError::Rule(
                        crate::reading::log::LogError {
                            line: position.seq,
                            rule: crate::format::rules::Rule::EnvelopeChain,
                            detail: format!(
                                "line {} no longer hashes to the line already shown: the stream was cut, replaced or rewritten",
                                position.seq
                            ),
                        },
                    )));
                }
            }
            let source = StreamSource::new(&cell, &self.stream, u64::MAX).from_position(&position);
            let read = follower.read_new(&source, on_event);
            drop(source);
            let _ = cell.into_inner().commit();
            match read {
                Ok(true) => {}
                Ok(false) => return Ok(FollowEnd::Stopped),
                Err(ReadError::Io(_)) => return Ok(FollowEnd::Lost),
                Err(error) => return Err(self.read_error(error)),
            }
            if client.is_closed() {
                return Ok(FollowEnd::Lost);
            }
            // Wait for a notification naming this stream past the position, or the wake.
            let seen = follower.position().seq;
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(FOLLOW_WAKE);
            loop {
                use postgres::fallible_iterator::FallibleIterator as _;
                match waiting.next() {
                    Ok(None) => break,
                    Err(_) => return Ok(FollowEnd::Lost),
                    Ok(Some(notification)) => {
                        let landed = notification
                            .payload()
                            .split_once(' ')
                            .filter(|(_, stream)| *stream == self.stream)
                            .and_then(|(seq, _)| seq.parse::<u64>().ok());
                        if landed.is_some_and(|seq| seq > seen) {
                            break;
                        }
                    }
                }
            }
        }
    }
}

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
            plan_append(
                &self.log_name(),
                tail,
                &source,
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
