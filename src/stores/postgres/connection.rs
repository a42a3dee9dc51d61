//! Talking to a server: connecting within bounded waits, the statements accord sends, and
//! the driver's errors as the store's.

use crate::stores::error::StoreError;
use crate::stores::names::shown_url;
use postgres::{Client, IsolationLevel, NoTls, Statement, Transaction};

/// The channel appends notify, with `SEQ STREAM` as the payload.
pub const NOTIFY_CHANNEL: &str = "accord_events";

/// Longest stream name, in bytes: it travels in every notification (at most 8000 bytes).
pub const MAX_STREAM_NAME_BYTES: usize = 200;

pub(crate) const LOCK_STREAM: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('accord:' || $1, 0))";

/// The stream's end: its last line, its tail checkpoint's seq and size, and the line at a
/// seq the caller holds a tail for (to check it is still there) in one round trip.
pub(crate) const STREAM_END: &str = "SELECT e.seq, e.line,
       (SELECT t.seq FROM accord_tails t WHERE t.stream = $1),
       (SELECT length(t.checkpoint)::bigint FROM accord_tails t WHERE t.stream = $1),
       (SELECT h.line FROM accord_events h WHERE h.stream = $1 AND h.seq = $2)
     FROM accord_events e WHERE e.stream = $1 ORDER BY e.seq DESC LIMIT 1";

pub(crate) const LINE_AT: &str = "SELECT line FROM accord_events WHERE stream = $1 AND seq = $2";

pub(crate) const LINES_WITH_IDS: &str =
    "SELECT line FROM accord_events WHERE stream = $1 AND id = ANY($2)";

/// A page: the rows of a range of seqs. A range, not a LIMIT, so that the plan never reads
/// more than the page whatever the table's statistics say (a LIMIT over a fresh import was
/// planned as a scan of every later row and a sort).
pub(crate) const PAGE: &str = "SELECT seq, line FROM accord_events
     WHERE stream = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq";

/// The first seq at or after one: where reading goes on past a gap of missing rows.
pub(crate) const NEXT_SEQ: &str =
    "SELECT min(seq) FROM accord_events WHERE stream = $1 AND seq >= $2";

/// The last seq of a stream, read once per reading: where it ends.
pub(crate) const LAST_SEQ: &str = "SELECT max(seq) FROM accord_events WHERE stream = $1";

pub(crate) const INSERT_ROWS: &str =
    "INSERT INTO accord_events (stream, seq, id, occurred, recorded, type, line)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                              $6::text[], $7::bytea[])";

pub(crate) const NOTIFY: &str = "SELECT pg_notify($1, $2)";

pub(crate) const CHECKPOINT: &str = "SELECT checkpoint FROM accord_tails WHERE stream = $1";

pub(crate) const WRITE_CHECKPOINT: &str =
    "INSERT INTO accord_tails (stream, seq, checkpoint) VALUES ($1, $2, $3)
     ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, checkpoint = excluded.checkpoint";

pub(crate) fn database_error(url: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Database {
        target: shown_url(url),
        detail: error.to_string(),
    }
}

/// What a driver error says: the server's message and SQLSTATE code, or the cause of a
/// failed connection (the driver's own text is only "db error" or "error connecting").
pub(crate) fn described(error: &postgres::Error) -> String {
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

pub(crate) fn driver_error(url: &str, error: postgres::Error) -> StoreError {
    database_error(url, described(&error))
}

/// A seq as the database keeps it (a seq never passes `i64::MAX`: it counts rows).
pub(crate) fn seq_column(seq: u64) -> i64 {
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

/// Why a stream name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamNameError {
    #[error("--stream: a stream has a name")]
    Empty,
    #[error("--stream: a stream name has at most {MAX_STREAM_NAME_BYTES} bytes, this one {bytes}")]
    TooLong { bytes: usize },
    #[error("--stream: a stream name has no control characters")]
    ControlCharacter,
}

/// Refuses a stream name that is empty, too long, or holds control characters (it is
/// printed, and travels in notifications).
pub fn check_stream_name(stream: &str) -> Result<(), StreamNameError> {
    if stream.is_empty() {
        return Err(StreamNameError::Empty);
    }
    if stream.len() > MAX_STREAM_NAME_BYTES {
        return Err(StreamNameError::TooLong {
            bytes: stream.len(),
        });
    }
    if stream.chars().any(char::is_control) {
        return Err(StreamNameError::ControlCharacter);
    }
    Ok(())
}

/// A read-only transaction that sees one snapshot of the database throughout
/// (repeatable read): every pass of a replay reads the same rows.
pub(crate) fn one_snapshot(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

/// The statements an append runs, prepared once per connection: each saves a round trip.
pub(crate) struct Statements {
    pub(crate) lock_stream: Statement,
    pub(crate) stream_end: Statement,
    pub(crate) line_at: Statement,
    pub(crate) page: Statement,
    pub(crate) insert: Statement,
    pub(crate) notify: Statement,
    pub(crate) write_checkpoint: Statement,
}

impl Statements {
    pub(crate) fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
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
