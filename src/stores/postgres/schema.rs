//! The schema (`accord db init`): created in one transaction under a migration lock, only
//! what is missing, and checked on every open.

use crate::stores::error::StoreError;
use crate::stores::postgres::connection::{Waits, connect_with, database_error, driver_error};
use postgres::Client;

/// The schema version this build writes and reads. Version 1 had no tail checkpoints.
pub const SCHEMA_VERSION: i32 = 2;

/// The advisory lock key every migration takes (`accord` in ASCII).
pub(crate) const MIGRATION_LOCK: i64 = 0x6163_636f_7264;

/// The schema, statement by statement; each creates only what is missing.
pub(crate) const SCHEMA: &[&str] = &[
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

/// What `init` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitOutcome {
    /// The schema was created (or completed).
    Created,
    /// It was already there, at this version: nothing changed.
    AlreadyThere,
}

/// The schema version the database holds, if it has one.
pub(crate) fn schema_version(
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
pub(crate) fn schema_is_complete(
    client: &mut impl postgres::GenericClient,
) -> Result<bool, postgres::Error> {
    client
        .query_one(
            "SELECT to_regclass('accord_events') IS NOT NULL AND to_regclass('accord_tails') IS NOT NULL",
            &[],
        )?
        .try_get(0)
}

/// Refuses a database whose schema is missing or not this build's.
pub(crate) fn check_schema(url: &str, client: &mut Client) -> Result<(), StoreError> {
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
