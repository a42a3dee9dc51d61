//! The file store: a log on disk, read whole and appended to all-or-none.
//!
//! An append holds an exclusive lock on the file from reading its tail to the fsync, checks
//! the drafts against the whole log folded in application order, writes every new line in a
//! single write, and reports success only once the bytes are on disk.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::event::{Draft, Event};
use crate::fold;
use crate::ids::{EventId, Hash};
use crate::log::{Log, LogError, MAX_LINE_BYTES};
use crate::rules::Rule;
use crate::time::Timestamp;

/// Most drafts one append takes: a bound on what a single request can make accord hold.
pub const MAX_DRAFTS_PER_APPEND: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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
}

impl StoreError {
    /// The rule broken, where there is one (an I/O failure breaks none).
    pub fn rule(&self) -> Option<Rule> {
        match self {
            StoreError::Io { .. } => None,
            StoreError::Log { error, .. } => Some(error.rule),
            StoreError::Draft { rule, .. } | StoreError::Conflict { rule, .. } => Some(*rule),
            StoreError::ExpectSeq { .. } => Some(Rule::AppendExpectSeq),
        }
    }
}

/// What became of one draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftOutcome {
    Appended {
        seq: u64,
        id: EventId,
        type_name: &'static str,
    },
    /// The id was already in the log, with the same content: skipped.
    Duplicate { existing_seq: u64, id: EventId },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    pub drafts: Vec<DraftOutcome>,
    /// The events in the log after the append.
    pub events: u64,
    pub head: Hash,
}

/// Reads a draft file: one JSON object per line; blank lines are skipped.
pub fn parse_drafts(text: &str) -> Result<Vec<(usize, Draft)>, StoreError> {
    let mut drafts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let draft_error = |rule: Rule, detail: String| StoreError::Draft {
            draft: number,
            rule,
            detail,
        };
        if line.len() > MAX_LINE_BYTES {
            return Err(draft_error(
                Rule::EnvelopeShape,
                format!(
                    "the draft is {} bytes, longer than the limit of {MAX_LINE_BYTES}",
                    line.len()
                ),
            ));
        }
        if drafts.len() == MAX_DRAFTS_PER_APPEND {
            return Err(draft_error(
                Rule::EnvelopeShape,
                format!("one append takes at most {MAX_DRAFTS_PER_APPEND} drafts"),
            ));
        }
        let draft = Draft::parse(line)
            .map_err(|violation| draft_error(violation.rule, violation.detail))?;
        drafts.push((number, draft));
    }
    Ok(drafts)
}

/// A log file on disk.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// The bytes of the log, whole.
    pub fn read_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let mut file = File::open(&self.path).map_err(|error| self.io_error(error))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| self.io_error(error))?;
        Ok(bytes)
    }

    /// Appends the drafts, all or none. `clock` is the time to record (the caller's now).
    pub fn append(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        let (mut file, created) = self.open_for_append()?;
        file.lock().map_err(|error| self.io_error(error))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| self.io_error(error))?;
        let log_error = |error: LogError| StoreError::Log {
            path: self.path.clone(),
            error,
        };

        // Read the log as it stands; never write after a line that breaks a rule.
        let (log, mut folded) = Log::verify(&bytes).map_err(log_error)?;
        let head = log.head();
        let mut events = log.events;
        let existing = events.len() as u64;
        let index_of_id: HashMap<EventId, usize> = events
            .iter()
            .enumerate()
            .map(|(index, event)| (event.id, index))
            .collect();

        // Sort the drafts into duplicates and new events.
        let mut outcomes = Vec::with_capacity(drafts.len());
        let mut fresh: Vec<(usize, &Draft)> = Vec::new();
        let mut fresh_ids: HashSet<EventId> = HashSet::new();
        for (number, draft) in drafts {
            let Some(id) = draft.id else {
                fresh.push((*number, draft));
                continue;
            };
            if fresh_ids.contains(&id) {
                return Err(StoreError::Draft {
                    draft: *number,
                    rule: Rule::EnvelopeId,
                    detail: format!("id {id} is given to an earlier draft of this append"),
                });
            }
            let Some(&existing_index) = index_of_id.get(&id) else {
                fresh_ids.insert(id);
                fresh.push((*number, draft));
                continue;
            };
            let existing_event = &events[existing_index];
            if !draft.is_same_as(existing_event) {
                return Err(StoreError::Draft {
                    draft: *number,
                    rule: Rule::EnvelopeId,
                    detail: format!(
                        "id {id} is already in the log at line {} with different content",
                        existing_event.seq
                    ),
                });
            }
            outcomes.push((
                *number,
                DraftOutcome::Duplicate {
                    existing_seq: existing_event.seq,
                    id,
                },
            ));
        }
        // A resent batch, all duplicates, succeeds whatever --expect-seq says: the client is
        // retrying something that already landed.
        let all_resent = !drafts.is_empty() && fresh.is_empty();
        if let Some(expected) = expect_seq
            && expected != existing
            && !all_resent
        {
            return Err(StoreError::ExpectSeq {
                path: self.path.clone(),
                expected,
                actual: existing,
            });
        }
        if fresh.is_empty() {
            outcomes.sort_by_key(|(number, _)| *number);
            return Ok(AppendOutcome {
                drafts: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
                events: existing,
                head,
            });
        }

        // Stamp the new events. `recorded` never goes back, even if the clock does.
        let now = Timestamp::recorded_now(clock);
        let recorded = match events.last().map(|event| &event.recorded) {
            Some(last) if *last > now => last.clone(),
            _ => now,
        };
        let mut buffer = Vec::new();
        let mut prev = head;
        for (offset, (number, draft)) in fresh.iter().enumerate() {
            let event = Event {
                seq: existing + 1 + offset as u64,
                id: draft.id.unwrap_or_else(EventId::random),
                occurred: draft.occurred.clone(),
                recorded: recorded.clone(),
                data: draft.data.clone(),
                source: draft.source.clone(),
                prev,
            };
            let line = event.to_line();
            if line.len() > MAX_LINE_BYTES {
                return Err(StoreError::Draft {
                    draft: *number,
                    rule: Rule::EnvelopeShape,
                    detail: format!(
                        "its line would be {} bytes, longer than the limit of {MAX_LINE_BYTES}",
                        line.len()
                    ),
                });
            }
            // A line accord writes must read back as the same event: a bug here would store
            // a log nobody can replay.
            debug_assert_eq!(Event::parse_line(line.as_bytes()).as_ref(), Ok(&event));
            prev = Hash::of(line.as_bytes());
            buffer.extend_from_slice(line.as_bytes());
            buffer.push(b'\n');
            outcomes.push((
                *number,
                DraftOutcome::Appended {
                    seq: event.seq,
                    id: event.id,
                    type_name: event.data.type_name(),
                },
            ));
            events.push(event);
        }

        // Check the whole log with the new events, in application order.
        let last_folded = folded.occurred.clone();
        let in_world_order = fresh.iter().all(|(_, draft)| {
            last_folded
                .as_ref()
                .is_none_or(|last| draft.occurred >= *last)
        });
        let refold = if in_world_order {
            let new_events = &events[existing as usize..];
            fold::application_order(new_events)
                .into_iter()
                .try_for_each(|index| folded.apply(&new_events[index]))
        } else {
            fold::fold(&events, None).map(|_| ())
        };
        if let Err(error) = refold {
            if error.line > existing {
                let (number, _) = fresh[(error.line - existing - 1) as usize];
                return Err(StoreError::Draft {
                    draft: number,
                    rule: error.rule,
                    detail: error.detail,
                });
            }
            return Err(StoreError::Conflict {
                path: self.path.clone(),
                line: error.line,
                rule: error.rule,
                detail: error.detail,
            });
        }

        self.write_durably(&mut file, &buffer, bytes.len() as u64, created)?;
        outcomes.sort_by_key(|(number, _)| *number);
        Ok(AppendOutcome {
            drafts: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
            events: events.len() as u64,
            head: prev,
        })
    }

    /// Opens the log for reading and appending, creating it if missing.
    fn open_for_append(&self) -> Result<(File, bool), StoreError> {
        let mut options = OpenOptions::new();
        options.read(true).append(true);
        match options.clone().create_new(true).open(&self.path) {
            Ok(file) => Ok((file, true)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                let file = options
                    .open(&self.path)
                    .map_err(|error| self.io_error(error))?;
                Ok((file, false))
            }
            Err(error) => Err(self.io_error(error)),
        }
    }

    /// One write of the whole batch, then fsync; on failure, cut back to the old length so
    /// no partial batch stays behind.
    fn write_durably(
        &self,
        file: &mut File,
        buffer: &[u8],
        old_length: u64,
        created: bool,
    ) -> Result<(), StoreError> {
        let written = file.write_all(buffer).and_then(|()| file.sync_data());
        if let Err(error) = written {
            let _ = file.set_len(old_length);
            let _ = file.sync_data();
            return Err(self.io_error(error));
        }
        if created {
            // A new file's name is durable only once its directory is.
            let directory = match self.path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            File::open(&directory)
                .and_then(|dir| dir.sync_all())
                .map_err(|error| self.io_error(error))?;
        }
        Ok(())
    }
}
