//! The PostgreSQL store (cargo feature `postgres`), for logs many writers share.
//!
//! A log is a stream of rows in `accord_events`, keyed by (stream, seq); each row keeps its
//! line's exact bytes, so the hash chain is the file's, beside the columns queries need
//! (id, occurred, recorded, type). `accord db init URL` creates the schema; `PgStore` is a
//! stream behind the `Store` trait.
//!
//! **An append is one transaction holding the stream's advisory lock**: writers to one
//! stream take turns, and the unique (stream, seq) key stands behind the lock. It is planned
//! by the same `plan_append` as the file store's, so the lines are the bytes a file would
//! get. For now the tail is found by replaying the stream's rows; a checked tail state kept
//! in the database is the next step.
//!
//! **The migration is idempotent and serialised**: it runs in one transaction holding a
//! transaction-scoped advisory lock, creates only what is missing, and refuses a schema
//! newer than this build knows.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use postgres::{Client, NoTls};

use crate::format::event::{Draft, Event};
use crate::format::ids::{EventId, Hash};
use crate::reading::log::{Log, Prefix};
use crate::replay::{BytesSource, Replayed, Scope, Start};
use crate::stores::file::{AppendOutcome, Tail, plan_append};
use crate::stores::{Store, StoreError, range_within_limit, shown_url};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

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
];

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
        return format!("{} (SQLSTATE {})", server.message(), server.code().code());
    }
    match error.source() {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

fn driver_error(url: &str, error: postgres::Error) -> StoreError {
    database_error(url, described(&error))
}

/// Connects to the database at `url` (a `postgres://` URL).
pub fn connect(url: &str) -> Result<Client, StoreError> {
    Client::connect(url, NoTls).map_err(|error| driver_error(url, error))
}

/// Creates the schema where it is missing; running it again changes nothing.
pub fn init(url: &str) -> Result<InitOutcome, StoreError> {
    let mut client = connect(url)?;
    let mut transaction = client
        .transaction()
        .map_err(|error| driver_error(url, error))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|error| driver_error(url, error))?;
    let schema_table: bool = transaction
        .query_one("SELECT to_regclass('accord_schema') IS NOT NULL", &[])
        .map_err(|error| driver_error(url, error))?
        .get(0);
    let existing: Option<i32> = if schema_table {
        transaction
            .query_one("SELECT max(version) FROM accord_schema", &[])
            .map_err(|error| driver_error(url, error))?
            .get(0)
    } else {
        None
    };
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

/// One stream of a PostgreSQL database, as a `Store`.
pub struct PgStore {
    client: Mutex<Client>,
    url: String,
    stream: String,
}

impl PgStore {
    /// Opens stream `stream` of the database at `url` (its schema made by `init`).
    pub fn open(url: &str, stream: &str) -> Result<PgStore, StoreError> {
        if stream.is_empty() {
            return Err(database_error(url, "--stream: a stream has a name"));
        }
        Ok(PgStore {
            client: Mutex::new(connect(url)?),
            url: url.to_string(),
            stream: stream.to_string(),
        })
    }

    /// The name errors give the log: the database without its password, and the stream.
    fn log_name(&self) -> PathBuf {
        PathBuf::from(format!("{}#{}", shown_url(&self.url), self.stream))
    }

    fn error(&self, error: postgres::Error) -> StoreError {
        driver_error(&self.url, error)
    }

    /// The stream's lines up to `last` (all of them without), in seq order, each with its
    /// newline: the bytes of the same log as a file.
    fn lines_through(
        client: &mut impl postgres::GenericClient,
        stream: &str,
        last: Option<u64>,
    ) -> Result<Vec<u8>, postgres::Error> {
        let last = last.map_or(i64::MAX, |last| i64::try_from(last).unwrap_or(i64::MAX));
        let mut bytes = Vec::new();
        for row in client.query(
            "SELECT line FROM accord_events WHERE stream = $1 AND seq <= $2 ORDER BY seq",
            &[&stream, &last],
        )? {
            let line: &[u8] = row.get(0);
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        Ok(bytes)
    }

    /// The stream's lines, each with its newline: the bytes of the same log as a file.
    pub fn export(&self) -> Result<Vec<u8>, StoreError> {
        let mut client = self.client.lock().expect("no thread panics holding it");
        Self::lines_through(&mut *client, &self.stream, None).map_err(|error| self.error(error))
    }

    /// Adds a log's lines to the stream as they are, without checking their rules (the
    /// envelopes are checked): what a copy into the database does. Refused unless the
    /// stream is empty.
    pub fn import(&self, bytes: &[u8]) -> Result<u64, StoreError> {
        let log = Log::read_from(bytes, &Prefix::default()).map_err(|error| StoreError::Log {
            path: self.log_name(),
            error: error.in_memory(),
        })?;
        let mut client = self.client.lock().expect("no thread panics holding it");
        let mut transaction = client.transaction().map_err(|error| self.error(error))?;
        lock_stream(&mut transaction, &self.stream).map_err(|error| self.error(error))?;
        let (count,): (i64,) = {
            let row = transaction
                .query_one(
                    "SELECT count(*) FROM accord_events WHERE stream = $1",
                    &[&self.stream],
                )
                .map_err(|error| self.error(error))?;
            (row.get(0),)
        };
        if count > 0 {
            return Err(database_error(
                &self.url,
                format!(
                    "stream {}: holds {count} events already; nothing imported",
                    self.stream
                ),
            ));
        }
        for (event, line) in log.events.iter().zip(bytes.split(|byte| *byte == b'\n')) {
            insert_row(&mut transaction, &self.stream, event, line)
                .map_err(|error| self.error(error))?;
        }
        transaction.commit().map_err(|error| self.error(error))?;
        Ok(log.events.len() as u64)
    }
}

/// Takes the stream's advisory lock for the rest of the transaction.
fn lock_stream(
    transaction: &mut postgres::Transaction<'_>,
    stream: &str,
) -> Result<(), postgres::Error> {
    transaction.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('accord:' || $1, 0))",
        &[&stream],
    )?;
    Ok(())
}

fn insert_row(
    transaction: &mut postgres::Transaction<'_>,
    stream: &str,
    event: &Event,
    line: &[u8],
) -> Result<u64, postgres::Error> {
    let seq = i64::try_from(event.seq).unwrap_or(i64::MAX);
    transaction.execute(
        "INSERT INTO accord_events (stream, seq, id, occurred, recorded, type, line)
         VALUES ($1, $2, $3, $4::text::timestamptz, $5::text::timestamptz, $6, $7)",
        &[
            &stream,
            &seq,
            &event.id.to_string(),
            &event.occurred.to_string(),
            &event.recorded.to_string(),
            &event.data.type_name(),
            &line,
        ],
    )
}

impl Store for PgStore {
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError> {
        let (first, last) = range_within_limit(&lines)?;
        let mut client = self.client.lock().expect("no thread panics holding it");
        // Envelopes are checked from the first line on, as a file's are.
        let bytes = Self::lines_through(&mut *client, &self.stream, Some(last))
            .map_err(|error| self.error(error))?;
        let log =
            Log::read_from(&bytes[..], &Prefix::default()).map_err(|error| StoreError::Log {
                path: self.log_name(),
                error: error.in_memory(),
            })?;
        Ok(log
            .events
            .into_iter()
            .filter(|event| event.seq >= first)
            .collect())
    }

    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut client = self.client.lock().expect("no thread panics holding it");
        let mut transaction = client.transaction().map_err(|error| self.error(error))?;
        lock_stream(&mut transaction, &self.stream).map_err(|error| self.error(error))?;
        let bytes = Self::lines_through(&mut transaction, &self.stream, None)
            .map_err(|error| self.error(error))?;
        let source = BytesSource(&bytes);
        let read_error = |error: crate::reading::log::ReadError| StoreError::Log {
            path: self.log_name(),
            error: error.in_memory(),
        };
        let tail = match crate::replay::replay(
            &source,
            Start::default(),
            &mut || Ok(Default::default()),
            &Scope::default(),
            &mut |_| {},
        )
        .map_err(read_error)?
        {
            Replayed::Done(replay) => Tail {
                folded: replay.folded,
                position: replay.position,
            },
            Replayed::BeforeStart => {
                // A replay from the first line has no start to precede.
                return Err(database_error(
                    &self.url,
                    "the stream's replay found no start",
                ));
            }
        };
        let ids: Vec<String> = drafts
            .iter()
            .filter_map(|(_, draft)| draft.id.map(|id| id.to_string()))
            .collect();
        let mut existing: HashMap<EventId, Event> = HashMap::new();
        for row in transaction
            .query(
                "SELECT line FROM accord_events WHERE stream = $1 AND id = ANY($2)",
                &[&self.stream, &ids],
            )
            .map_err(|error| self.error(error))?
        {
            let line: &[u8] = row.get(0);
            let event = Event::parse_line(line).map_err(|violation| {
                database_error(
                    &self.url,
                    format!("a stored line does not parse: {violation:?}"),
                )
            })?;
            existing.insert(event.id, event);
        }
        let (plan, _after) = plan_append(
            &self.log_name(),
            tail,
            &source,
            &existing,
            drafts,
            expect_seq,
            clock,
        )?;
        if plan.new_lines > 0 {
            for line in plan
                .buffer
                .split(|byte| *byte == b'\n')
                .filter(|line| !line.is_empty())
            {
                let event = Event::parse_line(line).map_err(|violation| {
                    database_error(
                        &self.url,
                        format!("a planned line does not parse: {violation:?}"),
                    )
                })?;
                insert_row(&mut transaction, &self.stream, &event, line)
                    .map_err(|error| self.error(error))?;
            }
            transaction.commit().map_err(|error| self.error(error))?;
        }
        Ok(plan.outcome)
    }

    fn head(&self) -> Result<(u64, Hash), StoreError> {
        let mut client = self.client.lock().expect("no thread panics holding it");
        let row = client
            .query_opt(
                "SELECT seq, line FROM accord_events WHERE stream = $1 ORDER BY seq DESC LIMIT 1",
                &[&self.stream],
            )
            .map_err(|error| self.error(error))?;
        Ok(match row {
            None => (0, Hash::ZERO),
            Some(row) => {
                let seq: i64 = row.get(0);
                let line: &[u8] = row.get(1);
                (seq as u64, Hash::of(line))
            }
        })
    }
}
