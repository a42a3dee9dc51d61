//! What can go wrong with a store, for every store: the rule a log or a draft breaks, or the
//! reading, writing or database failure, with what a caller needs to say where.

use crate::files::output::OutputError;
use crate::format::rules::Rule;
use crate::reading::log::LogError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An output beside the log (a snapshot, a checkpoint, an intent) cannot be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The log on disk breaks a rule.
    #[error("{path}: {error}")]
    Log { path: PathBuf, error: LogError },
    /// A draft breaks a rule; `draft` counts the drafts' lines from 1.
    #[error("draft on line {draft}: {rule}: {detail}")]
    Draft {
        draft: usize,
        rule: Rule,
        detail: String,
    },
    /// The drafts are fine alone but would make an existing line break a rule once folded
    /// with them (a backfill that contradicts what the log already holds).
    #[error("{path}: the drafts would make line {line} break {rule}: {detail}")]
    Conflict {
        path: PathBuf,
        line: u64,
        rule: Rule,
        detail: String,
    },
    #[error(
        "{path}: append.expect_seq: expected {expected} events, the log has {actual}; nothing written"
    )]
    ExpectSeq {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    /// Another writer took line `seq` (or an id of the batch) while this append was being
    /// planned, without taking its turn (a database row written outside accord's lock):
    /// nothing was written. `detail` says what was taken.
    #[error("{path}: append.conflict: {detail}; nothing written, and a retry reads the log anew")]
    AppendConflict {
        path: PathBuf,
        seq: u64,
        detail: String,
    },
    /// A range of lines asked of `Store::read_range` is longer than it reads at once.
    #[error("lines {first}..={last}: a range holds at most {limit} lines")]
    RangeTooLong { first: u64, last: u64, limit: u64 },
    /// A database could not be reached or refused a statement (the PostgreSQL store);
    /// `target` names it without its password.
    #[error("{target}: {detail}")]
    Database { target: String, detail: String },
    /// `repair` found damage that is not a torn write: a person must look at it.
    #[error("{path}: {error}; that is not a torn write, so repair cuts nothing")]
    NotTorn { path: PathBuf, error: LogError },
}

impl StoreError {
    /// The rule broken, where there is one (an I/O failure breaks none).
    pub fn rule(&self) -> Option<Rule> {
        match self {
            StoreError::Io { .. }
            | StoreError::Output(_)
            | StoreError::RangeTooLong { .. }
            | StoreError::Database { .. } => None,
            StoreError::Log { error, .. } | StoreError::NotTorn { error, .. } => Some(error.rule),
            StoreError::Draft { rule, .. } | StoreError::Conflict { rule, .. } => Some(*rule),
            StoreError::ExpectSeq { .. } => Some(Rule::AppendExpectSeq),
            StoreError::AppendConflict { .. } => Some(Rule::AppendConflict),
        }
    }
}
