//! Where a log lives. `Store` is what every store offers the rest of accord: the lines of a
//! range, a batch appended after an expected seq, the head. The file store (`file`) and, with
//! the cargo feature `postgres`, the PostgreSQL store (`postgres`) implement it; the file's
//! snapshots (`snapshot`) and the queries that start from them (`query`) are its own, as
//! they keep files beside the log.

pub mod file;
pub mod follow;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod query;
pub mod snapshot;

use std::ops::ControlFlow;
use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};

use crate::format::event::{Draft, Event};
use crate::format::ids::Hash;
use crate::reading::log::{EnvelopeChecker, Position, Prefix, ReadError, read_lines};
use crate::replay::Source;

pub use file::{AppendOutcome, FileStore, StoreError};

/// Most lines `Store::read_range` returns at once: a range is read into memory.
pub const MAX_RANGE_LINES: u64 = 1 << 20;

/// The keys a libpq key-value connection string (`host=db user=ana dbname=logs`) is made of.
const CONNECTION_KEYS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "options",
    "sslmode",
    "connect_timeout",
    "application_name",
];

/// Whether a LOG argument names a database: a `postgres://` or `postgresql://` URL, or a
/// libpq key-value connection string (every word `KEY=VALUE`, with a known key).
pub fn is_database_target(text: &str) -> bool {
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return true;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    !words.is_empty()
        && text.contains('=')
        && words
            .iter()
            .all(|word| word.contains('=') || word.starts_with('\''))
        && words.iter().any(|word| {
            word.split_once('=')
                .is_some_and(|(key, _)| CONNECTION_KEYS.contains(&key))
        })
}

/// A database's name without its password, to name it in messages, in every form a
/// connection string may carry one: `postgres://USER:PASSWORD@...`, a `password=` query
/// parameter of a URL, and a `password=` key of a key-value string (quoted or not). Both
/// builds, with and without the PostgreSQL store, show connection strings so.
pub fn shown_url(url: &str) -> String {
    let mut shown = url.to_string();
    // USER:PASSWORD@ of a URL.
    if let Some(scheme_end) = shown.find("://") {
        let authority_end = shown[scheme_end + 3..]
            .find(['/', '?'])
            .map_or(shown.len(), |end| scheme_end + 3 + end);
        if let Some(at) = shown[..authority_end].rfind('@')
            && at > scheme_end
            && let Some(colon) = shown[scheme_end + 3..at].find(':')
        {
            shown.replace_range(scheme_end + 3 + colon + 1..at, "***");
        }
    }
    // password=VALUE, in a query string (ended by & or #) or a key-value string (ended by
    // a space, or a closing quote).
    let mut from = 0;
    while let Some(found) = shown[from..].to_ascii_lowercase().find("password=") {
        let start = from + found + "password=".len();
        let boundary = start == "password=".len()
            || matches!(
                shown.as_bytes()[start - "password=".len() - 1],
                b'?' | b'&' | b' ' | b'\t'
            );
        if !boundary {
            from = start;
            continue;
        }
        let rest = &shown[start..];
        let length = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut end = 0;
            let mut escaped = false;
            for (index, character) in quoted.char_indices() {
                if escaped {
                    escaped = false;
                } else if character == '\\' {
                    escaped = true;
                } else if character == '\'' {
                    end = index + 1;
                    break;
                }
                end = index + character.len_utf8();
            }
            end + 1
        } else {
            rest.find(['&', '#', ' ', '\t']).unwrap_or(rest.len())
        };
        shown.replace_range(start..start + length, "***");
        from = start + 3;
    }
    shown
}

/// The two ends of a range `Store::read_range` may read, or why it may not.
pub(crate) fn range_within_limit(lines: &RangeInclusive<u64>) -> Result<(u64, u64), StoreError> {
    let (first, last) = (*lines.start(), *lines.end());
    if last.saturating_sub(first) >= MAX_RANGE_LINES {
        return Err(StoreError::RangeTooLong {
            first,
            last,
            limit: MAX_RANGE_LINES,
        });
    }
    Ok((first, last))
}

/// A log's store, as the rest of accord uses it.
pub trait Store: Send + Sync {
    /// The events of lines `lines` (seqs, both ends included), envelope-checked from the
    /// first line on; fewer if the log ends first. At most `MAX_RANGE_LINES`.
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError>;

    /// Appends `drafts` (numbered by their place in the caller's input), all or none,
    /// after line `expect_seq` when it is given. `clock` is the time recorded.
    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError>;

    /// The seq and hash of the last line (0 and zeros for an empty log).
    fn head(&self) -> Result<(u64, Hash), StoreError>;

    /// Calls `read` once with the whole log as one consistent reading: a file under its
    /// shared lock, a stream in one snapshot of the database. Reads through it go through
    /// the replay engine in bounded memory.
    fn read_whole(&self, read: &mut dyn FnMut(&dyn Source)) -> Result<(), StoreError>;

    /// Hands each event of line `from` and after to `on_event`, in seq order, as its line
    /// lands, until `on_event` returns false; each line once, across polls and
    /// reconnections. Fails when the log stops extending the lines handed over.
    fn follow(&self, from: u64, on_event: &mut dyn FnMut(&Event) -> bool)
    -> Result<(), StoreError>;
}

/// `read` run once over the store's whole log (see `Store::read_whole`), and its result.
pub fn with_whole<R>(
    store: &dyn Store,
    read: impl FnOnce(&dyn Source) -> R,
) -> Result<R, StoreError> {
    let mut read = Some(read);
    let mut result = None;
    store.read_whole(&mut |source| {
        if let Some(read) = read.take() {
            result = Some(read(source));
        }
    })?;
    result.ok_or_else(|| StoreError::Io {
        path: "(store)".into(),
        source: std::io::Error::other("the store did not read its log"),
    })
}

/// The seq and hash of line `at` (of the last line without it), every line up to there
/// envelope-checked: `accord head` on a log without snapshots.
pub fn head_from(source: &dyn Source, at: Option<u64>) -> Result<(u64, Hash), ReadError> {
    let reader = source.read_at(0).map_err(ReadError::Io)?;
    let mut checker = EnvelopeChecker::default();
    let mut position = Position::default();
    let prefix = Prefix { at, known_at: None };
    read_lines(reader, &mut checker, &mut position, &prefix, |_, _| {
        ControlFlow::Continue(())
    })?;
    if let Some(error) = crate::replay::confirm_reused(source, &Position::default(), &mut checker)?
    {
        return Err(error.into());
    }
    Ok((position.seq, position.head))
}

/// The events of lines `first..=last` of the log in `source`, envelope-checked from the
/// first line on (a reused id confirmed): what `Store::read_range` returns, for any store.
pub(crate) fn read_range_from(
    source: &dyn Source,
    first: u64,
    last: u64,
) -> Result<Vec<Event>, ReadError> {
    let reader = source.read_at(0).map_err(ReadError::Io)?;
    let mut checker = EnvelopeChecker::default();
    let mut position = Position::default();
    let mut events = Vec::new();
    let prefix = Prefix {
        at: Some(last),
        known_at: None,
    };
    let read = read_lines(reader, &mut checker, &mut position, &prefix, |event, _| {
        if event.seq >= first {
            events.push(event);
        }
        ControlFlow::Continue(())
    });
    let start = Position::default();
    if let Some(error) = crate::replay::confirm_reused(source, &start, &mut checker)? {
        return Err(error.into());
    }
    read?;
    Ok(events)
}

impl Store for FileStore {
    fn read_range(&self, lines: RangeInclusive<u64>) -> Result<Vec<Event>, StoreError> {
        let (first, last) = range_within_limit(&lines)?;
        let file = self.open_shared()?;
        read_range_from(&crate::replay::FileSource(&file), first, last)
            .map_err(|error| self.read_error(error))
    }

    fn append_batch(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        self.append(drafts, expect_seq, clock)
    }

    fn head(&self) -> Result<(u64, Hash), StoreError> {
        let (seq, head, _warnings) = query::head(self, None)?;
        Ok((seq, head))
    }

    fn read_whole(&self, read: &mut dyn FnMut(&dyn Source)) -> Result<(), StoreError> {
        let file = self.open_shared()?;
        read(&crate::replay::FileSource(&file));
        Ok(())
    }

    fn follow(
        &self,
        from: u64,
        on_event: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), StoreError> {
        self.follow_file(from, on_event)
    }
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
        // Post-mortem: a password given as a query parameter, or in a key-value string,
        // was shown whole in errors and in copy's report.
        assert_eq!(
            shown_url("postgres://ana@host/db?password=secret&sslmode=disable"),
            "postgres://ana@host/db?password=***&sslmode=disable"
        );
        assert_eq!(
            shown_url("postgresql://ana:s3cr@t@host/db"),
            "postgresql://ana:***@host/db"
        );
        assert_eq!(
            shown_url("host=db user=ana password=secret dbname=logs"),
            "host=db user=ana password=*** dbname=logs"
        );
        assert_eq!(
            shown_url("host=db password='with space' dbname=logs"),
            "host=db password=*** dbname=logs"
        );
        assert_eq!(shown_url("password=secret"), "password=***");
        assert!(super::is_database_target(
            "host=db user=ana password=secret"
        ));
        assert!(super::is_database_target("postgresql://db/logs"));
        assert!(!super::is_database_target("events/karabakh.jsonl"));
        assert!(!super::is_database_target("my=log.jsonl"));
    }
}
