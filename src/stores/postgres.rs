//! The PostgreSQL store (cargo feature `postgres`), for logs many writers share.
//!
//! A log is a stream of rows in `accord_events`, keyed by (stream, seq); each row keeps its
//! line's exact bytes, so the hash chain is the file's, beside the columns queries need
//! (id, occurred, recorded, type). This part holds the schema and its migration
//! (`accord db init URL`); appends and replays come next.
//!
//! **The migration is idempotent and serialised**: it runs in one transaction holding a
//! transaction-scoped advisory lock, creates only what is missing, and refuses a schema
//! newer than this build knows.

use postgres::{Client, NoTls};

use crate::stores::StoreError;

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

/// `url` without its password, to name the database in messages.
pub fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
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

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            shown_url("postgres://ana:secret@db.example:5432/logs"),
            "postgres://ana:***@db.example:5432/logs"
        );
        assert_eq!(
            shown_url("postgres://ana@db.example/logs"),
            "postgres://ana@db.example/logs"
        );
        assert_eq!(
            shown_url("postgres://localhost/logs"),
            "postgres://localhost/logs"
        );
    }
}
