//! `PgStore`: one stream of one database, its connection, and the tail it holds between
//! appends.

use crate::format::ids::Hash;
use crate::reading::log::{Position, ReadError};
use crate::stores::append::Tail;
use crate::stores::error::StoreError;
use crate::stores::names::shown_url;
use crate::stores::postgres::connection::{
    Statements, Waits, check_stream_name, connect_with, database_error, driver_error,
};
use crate::stores::postgres::schema::check_schema;
use postgres::{Client, Transaction};
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// The fold at the stream's tail that a `PgStore` keeps between appends.
pub(crate) struct HeldTail {
    pub(crate) tail: Tail,
    /// The tail checkpoint in the database (its seq and bytes), as this store last saw it.
    pub(crate) checkpoint: Option<(u64, u64)>,
}

pub(crate) struct Connection {
    pub(crate) client: Client,
    pub(crate) held: Option<HeldTail>,
    pub(crate) statements: Statements,
}

/// Where a stream ends, as an append finds it under the lock.
pub(crate) struct StreamEnd {
    pub(crate) seq: u64,
    pub(crate) head: Hash,
    /// The tail checkpoint's seq and size in bytes, if the stream has one.
    pub(crate) checkpoint: Option<(u64, u64)>,
    /// The hash of the line at the held tail's seq, if there is such a line.
    pub(crate) held_line: Option<Hash>,
}

/// The mean bytes of a line up to `position`: what reading the lines after it costs, near
/// enough to weigh against loading a checkpoint.
pub(crate) fn mean_line_bytes(position: &Position) -> u64 {
    (position.end_offset / position.seq.max(1)).max(1)
}

/// One stream of a PostgreSQL database, as a `Store`.
pub struct PgStore {
    pub(crate) connection: Mutex<Connection>,
    pub(crate) url: String,
    pub(crate) stream: String,
    pub(crate) waits: Waits,
}

impl PgStore {
    /// Opens stream `stream` of the database at `url`, whose schema `init` made.
    pub fn open(url: &str, stream: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with(url, stream, Waits::default())
    }

    /// `open`, waiting for the database at most `waits`.
    pub fn open_with(url: &str, stream: &str, waits: Waits) -> Result<PgStore, StoreError> {
        check_stream_name(stream).map_err(|error| database_error(url, error.to_string()))?;
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
    pub(crate) fn check_exists(
        &self,
        transaction: &RefCell<Transaction<'_>>,
    ) -> Result<(), StoreError> {
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

    /// The name errors give the log: the database without its password, and the stream.
    pub fn log_name(&self) -> PathBuf {
        PathBuf::from(format!("{}#{}", shown_url(&self.url), self.stream))
    }

    pub(crate) fn error(&self, error: postgres::Error) -> StoreError {
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

    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while a transaction was open rolled it back when it unwound: the client
        // is usable, but the held tail may be half-updated, so it is dropped.
        self.connection.lock().unwrap_or_else(|poisoned| {
            let mut connection = poisoned.into_inner();
            connection.held = None;
            connection
        })
    }
}
