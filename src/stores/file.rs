//! The file store: a log on disk, read under a shared lock and appended to all-or-none.
//!
//! An append holds an exclusive lock on the file from reading its tail to the fsync, checks
//! the drafts against the whole log folded in application order, writes every new line in a
//! single write, and reports success only once the bytes are on disk.
//!
//! A batch of two or more lines is announced first in an *intent* file beside the log
//! (`LOG.intent`: the log's length and line count before the batch and its length after),
//! made durable before the batch is written and removed once the batch is. If a crash cuts
//! the batch short, the intent tells every reader which lines are the unfinished batch, and
//! `repair` cuts exactly those: an unacknowledged batch never survives in part.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::files::output::{OutputError, OutputFile, OutputPath};
use crate::files::unfinished;
use crate::fold::Folded;
use crate::format::event::{Draft, Event};
use crate::format::ids::{EventId, Hash};
use crate::format::rules::Rule;
use crate::format::time::Timestamp;
use crate::reading::log::{Log, LogError, MAX_LINE_BYTES, Position, Prefix, ReadError, read_lines};
use crate::replay::{self, Source};

/// Most drafts one append takes: a bound on what a single request can make accord hold.
pub const MAX_DRAFTS_PER_APPEND: usize = 100_000;

/// Most bytes of drafts one append reads.
pub const MAX_DRAFT_BYTES: usize = 256 << 20;

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

/// A line `repair` cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutLine {
    pub line: u64,
    pub bytes: Vec<u8>,
    /// True for the last piece, cut short without its newline.
    pub torn: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairOutcome {
    /// What was cut, in file order; empty when there was nothing to repair.
    pub cut: Vec<CutLine>,
    /// The line that was a complete event without its newline, and got it.
    pub newline_added: Option<u64>,
    pub events: u64,
    pub head: Hash,
}

/// What an append will write.
pub(crate) struct AppendPlan {
    pub(crate) outcome: AppendOutcome,
    /// The new lines, each with its newline.
    pub(crate) buffer: Vec<u8>,
    pub(crate) new_lines: usize,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    /// What a database row of each new line holds beside the line, in seq order.
    pub(crate) rows: Vec<PlannedRow>,
}

/// A new line of an append, with the columns a store may keep beside it (the file store
/// keeps none; the PostgreSQL store, a build option, reads them).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct PlannedRow {
    pub(crate) seq: u64,
    pub(crate) id: EventId,
    pub(crate) occurred: Timestamp,
    pub(crate) recorded: Timestamp,
    pub(crate) type_name: &'static str,
    /// Where the line is in the plan's buffer (without its newline).
    pub(crate) line: std::ops::Range<usize>,
}

/// The announcement of a batch, written before it and removed after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Intent {
    length_before: u64,
    lines_before: u64,
    length_after: u64,
}

impl Intent {
    /// Whether a log of this length holds part, but not all, of the announced batch.
    fn is_unfinished_at(&self, length: u64) -> bool {
        length > self.length_before && length < self.length_after
    }
}

/// Reads drafts: one JSON object per line; blank lines are skipped.
pub fn parse_drafts(bytes: &[u8]) -> Result<Vec<(usize, Draft)>, StoreError> {
    if bytes.len() > MAX_DRAFT_BYTES {
        return Err(StoreError::Draft {
            draft: 1,
            rule: Rule::EnvelopeShape,
            detail: format!("one append reads at most {MAX_DRAFT_BYTES} bytes of drafts"),
        });
    }
    let mut drafts = Vec::new();
    for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
        let number = index + 1;
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
        let text = std::str::from_utf8(line).map_err(|error| {
            draft_error(
                Rule::EnvelopeShape,
                format!(
                    "the draft is not UTF-8 (invalid byte at offset {})",
                    error.valid_up_to()
                ),
            )
        })?;
        if text.starts_with('\u{feff}') {
            return Err(draft_error(
                Rule::EnvelopeShape,
                "the draft starts with a byte-order mark (U+FEFF, the bytes EF BB BF); drafts are UTF-8 without one".into(),
            ));
        }
        if text.trim().is_empty() {
            continue;
        }
        if drafts.len() == MAX_DRAFTS_PER_APPEND {
            return Err(draft_error(
                Rule::EnvelopeShape,
                format!("one append takes at most {MAX_DRAFTS_PER_APPEND} drafts"),
            ));
        }
        let draft = Draft::parse(text)
            .map_err(|violation| draft_error(violation.rule, violation.detail))?;
        drafts.push((number, draft));
    }
    Ok(drafts)
}

/// What an append needs of a log: the fold of all its lines and where its tail is.
#[derive(Clone, Debug)]
pub struct Tail {
    pub folded: Folded,
    pub position: Position,
}

/// Lines an append may read after the tail checkpoint before it writes a new one: the
/// cost of rewriting the checkpoint (the state) is spread over this many lines.
const TAIL_CHECKPOINT_LINES: u64 = 1_000;

/// Appends to one log, keeping the fold at its tail between appends, so that each append
/// costs its batch and its fsync, not the log. Before each append, under the lock, the
/// appender checks that the log still ends where it left it (its length, and the last
/// line's hash); lines another writer added since are read and folded on top, and
/// anything else (a log cut, replaced or damaged) means reading the tail afresh from the
/// checkpoint, a snapshot or the first line.
pub struct Appender<'a> {
    store: &'a FileStore,
    tail: Option<Tail>,
    /// Lines folded since the tail checkpoint on disk was written (or found).
    since_checkpoint: u64,
}

impl<'a> Appender<'a> {
    pub fn new(store: &'a FileStore) -> Appender<'a> {
        Appender {
            store,
            tail: None,
            since_checkpoint: 0,
        }
    }

    /// The fold at the log's tail as this appender holds it (after its last append).
    pub fn tail(&self) -> Option<&Tail> {
        self.tail.as_ref()
    }

    /// Appends the drafts, all or none; see `FileStore::append`.
    pub fn append(
        &mut self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        let store = self.store;
        if !store.path.exists() {
            // Refuse bad drafts before creating anything; the check is repeated under the
            // lock, since another writer may create the log meanwhile.
            plan_append(
                &store.path,
                Tail {
                    folded: Folded::default(),
                    position: Position::default(),
                },
                &replay::BytesSource(&[]),
                &HashMap::new(),
                drafts,
                expect_seq,
                clock,
            )?;
        }
        let (mut file, created) = store.open_for_append()?;
        file.lock().map_err(|error| store.io_error(error))?;
        let length = file
            .metadata()
            .map_err(|error| store.io_error(error))?
            .len();
        store.check_no_unfinished_append(length)?;
        // Taken: if anything below fails, the next append reads the tail afresh.
        let tail = match self.tail.take() {
            Some(tail) => self.catch_up(&mut file, tail, length)?,
            None => None,
        };
        let tail = match tail {
            Some(tail) => tail,
            None => {
                let answer = crate::stores::query::tail(store, &mut file)?;
                // Read from the first line, every line counts: `lines_read` is the seq.
                self.since_checkpoint = answer.lines_read;
                Tail {
                    position: answer.position(),
                    folded: answer.folded,
                }
            }
        };
        // Never write after a torn or unread line: the tail must end where the file does.
        if tail.position.end_offset != length {
            return Err(store.io_error(io::Error::other(format!(
                "the log is {length} bytes but its lines end at byte {}",
                tail.position.end_offset
            ))));
        }
        let source = replay::FileSource(&file);
        let ids: HashSet<EventId> = drafts.iter().filter_map(|(_, draft)| draft.id).collect();
        let existing = store.events_with_ids(&source, &ids)?;
        let (plan, after) = plan_append(
            &store.path,
            tail,
            &source,
            &existing,
            drafts,
            expect_seq,
            clock,
        )?;
        if plan.new_lines > 0 {
            let intent = (plan.new_lines > 1).then_some(Intent {
                length_before: length,
                lines_before: plan.outcome.events - plan.new_lines as u64,
                length_after: length + plan.buffer.len() as u64,
            });
            store.write_durably(&mut file, &plan.buffer, length, intent, created)?;
            self.since_checkpoint += plan.new_lines as u64;
        }
        if self.since_checkpoint >= TAIL_CHECKPOINT_LINES
            && let Some(last_recorded) = after.position.last_recorded.clone()
        {
            let place = crate::stores::snapshot::SnapshotPlace {
                seq: after.position.seq,
                head: after.position.head,
                line_start: after.position.line_start,
                end_offset: after.position.end_offset,
                last_recorded,
                // The next append reads the lines after it anyway; a root is for snapshots.
                tree: None,
            };
            // A checkpoint that cannot be written costs the next append a longer read,
            // nothing more: the append itself is done and durable.
            if store.write_tail_checkpoint(place, &after.folded).is_ok() {
                self.since_checkpoint = 0;
            }
        }
        self.tail = Some(after);
        Ok(plan.outcome)
    }

    /// The held tail brought up to the log as it stands (`length` bytes), reading only the
    /// lines another writer added; `None` when the log no longer extends it.
    fn catch_up(
        &mut self,
        file: &mut File,
        tail: Tail,
        length: u64,
    ) -> Result<Option<Tail>, StoreError> {
        let store = self.store;
        let position = &tail.position;
        if length < position.end_offset {
            return Ok(None);
        }
        if position.seq > 0
            && !store.line_hashes_to(
                file,
                position.line_start,
                position.end_offset,
                &position.head,
            )
        {
            return Ok(None);
        }
        if length == position.end_offset {
            return Ok(Some(tail));
        }
        let start = replay::Start {
            position: tail.position.clone(),
            folded: tail.folded,
        };
        // A backfill among the new lines means a replay from further back: read afresh.
        let mut reload = || {
            Err(ReadError::Io(io::Error::other(
                "no second pass from a held tail",
            )))
        };
        match replay::replay(
            &replay::FileSource(file),
            start,
            &mut reload,
            &Default::default(),
            &mut |_| {},
        ) {
            Ok(replay::Replayed::Done(replay)) if replay.late_lines == 0 => {
                self.since_checkpoint += replay.lines_read;
                Ok(Some(Tail {
                    folded: replay.folded,
                    position: replay.position,
                }))
            }
            Ok(_) => Ok(None),
            Err(ReadError::Io(_)) => Ok(None),
            Err(error) => Err(store.read_error(error)),
        }
    }
}

/// What an append of `drafts` after `tail` writes, and the tail after it: duplicates sorted
/// out, `expect_seq` checked, the new events stamped and their lines made, and the whole
/// log checked with them (on top of the tail's fold, or by a replay of `source` that merges
/// them in for a backfill). Any store plans its appends with it; `log` names the log in
/// errors.
pub(crate) fn plan_append(
    log: &Path,
    tail: Tail,
    source: &dyn Source,
    existing: &HashMap<EventId, Event>,
    drafts: &[(usize, Draft)],
    expect_seq: Option<u64>,
    clock: DateTime<Utc>,
) -> Result<(AppendPlan, Tail), StoreError> {
    let Tail {
        mut folded,
        position,
    } = tail;
    let head = position.head;
    let existing_lines = position.seq;

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
        let Some(existing_event) = existing.get(&id) else {
            fresh_ids.insert(id);
            fresh.push((*number, draft));
            continue;
        };
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
        && expected != existing_lines
        && !all_resent
    {
        return Err(StoreError::ExpectSeq {
            path: log.to_path_buf(),
            expected,
            actual: existing_lines,
        });
    }
    if fresh.is_empty() {
        outcomes.sort_by_key(|(number, _)| *number);
        let plan = AppendPlan {
            outcome: AppendOutcome {
                drafts: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
                events: existing_lines,
                head,
            },
            buffer: Vec::new(),
            new_lines: 0,
            rows: Vec::new(),
        };
        return Ok((plan, Tail { folded, position }));
    }

    // Stamp the new events. `recorded` never goes back, even if the clock does.
    let now = Timestamp::recorded_now(clock);
    let recorded = match &position.last_recorded {
        Some(last) if *last > now => last.clone(),
        _ => now,
    };
    let mut buffer = Vec::new();
    let mut prev = head;
    let mut last_line_start = 0;
    let mut new_events = Vec::with_capacity(fresh.len());
    let mut rows = Vec::with_capacity(fresh.len());
    for (offset, (number, draft)) in fresh.iter().enumerate() {
        let event = Event {
            seq: existing_lines + 1 + offset as u64,
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
        last_line_start = buffer.len() as u64;
        buffer.extend_from_slice(line.as_bytes());
        rows.push(PlannedRow {
            seq: event.seq,
            id: event.id,
            occurred: event.occurred.clone(),
            recorded: event.recorded.clone(),
            type_name: event.data.type_name(),
            line: last_line_start as usize..buffer.len(),
        });
        buffer.push(b'\n');
        outcomes.push((
            *number,
            DraftOutcome::Appended {
                seq: event.seq,
                id: event.id,
                type_name: event.data.type_name(),
            },
        ));
        new_events.push(event);
    }

    // Check the whole log with the new events, in application order: on top of the
    // tail's fold when they come after its latest event, by a replay that merges them
    // in otherwise.
    let last_folded = folded.occurred.clone();
    let in_world_order = new_events.iter().all(|event| {
        last_folded
            .as_ref()
            .is_none_or(|last| event.occurred >= *last)
    });
    let refold = if in_world_order {
        folded.apply_all(&new_events, None).map(|_| ())
    } else {
        match replay::replay_with_extra(source, new_events) {
            Ok(replay) => {
                folded = replay.folded;
                Ok(())
            }
            Err(ReadError::Rule(error)) => Err(error),
            Err(ReadError::Io(error)) => {
                return Err(StoreError::Io {
                    path: log.to_path_buf(),
                    source: error,
                });
            }
        }
    };
    if let Err(error) = refold {
        if error.line > existing_lines {
            let (number, _) = fresh[(error.line - existing_lines - 1) as usize];
            return Err(StoreError::Draft {
                draft: number,
                rule: error.rule,
                detail: error.detail,
            });
        }
        return Err(StoreError::Conflict {
            path: log.to_path_buf(),
            line: error.line,
            rule: error.rule,
            detail: error.detail,
        });
    }

    outcomes.sort_by_key(|(number, _)| *number);
    let events = existing_lines + fresh.len() as u64;
    debug_assert_eq!(folded.events, events, "every line is folded");
    let after = Position {
        seq: events,
        head: prev,
        line_start: position.end_offset + last_line_start,
        end_offset: position.end_offset + buffer.len() as u64,
        last_recorded: Some(recorded),
    };
    let plan = AppendPlan {
        outcome: AppendOutcome {
            drafts: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
            events,
            head: prev,
        },
        buffer,
        new_lines: fresh.len(),
        rows,
    };
    Ok((
        plan,
        Tail {
            folded,
            position: after,
        },
    ))
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

    /// Keeps a signed checkpoint note of this log, of a tree of `size` lines signed by the
    /// key `key_id_hex`, in `LOG.checkpoints/`: the path it was written to, or `None` when
    /// the same note is already kept (signing is deterministic: the same head and key make
    /// the same note). Another note of that size and key is never written over.
    pub fn keep_checkpoint(
        &self,
        size: u64,
        key_id_hex: &str,
        note: &str,
    ) -> Result<Option<PathBuf>, StoreError> {
        self.check_regular()?;
        let mut directory = self.path.as_os_str().to_owned();
        directory.push(".checkpoints");
        let directory = PathBuf::from(directory);
        let failed = |path: &Path, source: io::Error| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let created = !directory.exists();
        std::fs::create_dir_all(&directory).map_err(|error| failed(&directory, error))?;
        let kept = directory.join(format!("{size:020}-{key_id_hex}.txt"));
        // A directory made for this checkpoint goes with it if it cannot be kept.
        let forget_directory = |error: StoreError| {
            if created {
                let _ = std::fs::remove_dir(&directory);
            }
            error
        };
        match std::fs::read_to_string(&kept) {
            Ok(existing) if existing == note => return Ok(None),
            Ok(_) => {
                return Err(failed(
                    &kept,
                    io::Error::other(
                        "holds another checkpoint of this size by this key; accord does not overwrite it",
                    ),
                ));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(failed(&kept, error)),
        }
        let written = OutputPath::check(&kept, false)
            .and_then(OutputFile::create)
            .map_err(StoreError::from)
            .and_then(|mut file| {
                file.write_all(note.as_bytes())
                    .map_err(|error| failed(&kept, error))?;
                Ok(file.commit()?)
            });
        written.map_err(forget_directory)?;
        Ok(Some(kept))
    }

    /// Refuses a log that is not a regular file (a device, a FIFO, a directory): nothing is
    /// written to it or beside it.
    pub fn check_regular(&self) -> Result<(), StoreError> {
        let metadata = fs::metadata(&self.path).map_err(|error| self.io_error(error))?;
        if metadata.is_file() {
            return Ok(());
        }
        Err(self.io_error(io::Error::other(format!(
            "{}; accord writes only to and beside a regular log file",
            crate::files::output::kind_of(&metadata)
        ))))
    }

    pub(crate) fn io_error(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn log_error(&self, error: LogError) -> StoreError {
        StoreError::Log {
            path: self.path.clone(),
            error,
        }
    }

    pub fn read_error(&self, error: ReadError) -> StoreError {
        match error {
            ReadError::Rule(error) => self.log_error(error),
            ReadError::Io(error) => self.io_error(error),
        }
    }

    /// Where the intent of an append in progress is kept: `LOG.intent`.
    pub fn intent_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".intent");
        PathBuf::from(name)
    }

    /// The intent beside the log, if a readable one is there. One that cannot be read was
    /// cut short while being written, before the batch it announces was started: it
    /// announces nothing.
    fn read_intent(&self) -> Option<Intent> {
        let text = fs::read_to_string(self.intent_path()).ok()?;
        let line = text.strip_suffix('\n')?;
        serde_json::from_str(line).ok()
    }

    /// Refuses a log whose last batch was cut short, naming its first line.
    fn check_no_unfinished_append(&self, length: u64) -> Result<(), StoreError> {
        match self.read_intent() {
            Some(intent) if intent.is_unfinished_at(length) => Err(self.log_error(LogError {
                line: intent.lines_before + 1,
                rule: Rule::LogTorn,
                detail: format!(
                    "an append was cut short: the log ends inside the batch that starts at line {} ({} of its {} bytes written); `accord repair` cuts it",
                    intent.lines_before + 1,
                    length - intent.length_before,
                    intent.length_after - intent.length_before
                ),
            })),
            _ => Ok(()),
        }
    }

    /// Opens the log for reading under a shared lock: appends wait until the read is done.
    pub fn open_shared(&self) -> Result<File, StoreError> {
        let file = File::open(&self.path).map_err(|error| self.io_error(error))?;
        file.lock_shared().map_err(|error| self.io_error(error))?;
        let length = file.metadata().map_err(|error| self.io_error(error))?.len();
        self.check_no_unfinished_append(length)?;
        Ok(file)
    }

    /// The log, or the prefix asked for, envelope-checked.
    pub fn read(&self, prefix: &Prefix) -> Result<Log, StoreError> {
        let file = self.open_shared()?;
        Log::read_from(BufReader::new(&file), prefix).map_err(|error| self.read_error(error))
    }

    /// The whole log, checked and folded: what `accord verify` reports on.
    pub fn verify(&self) -> Result<(Log, Folded), StoreError> {
        let file = self.open_shared()?;
        crate::fold::verify_log_from(BufReader::new(&file)).map_err(|error| self.read_error(error))
    }

    /// The bytes of the log, whole.
    pub fn read_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let mut file = self.open_shared()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| self.io_error(error))?;
        Ok(bytes)
    }

    /// Appends the drafts, all or none. `clock` is the time to record (the caller's now).
    ///
    /// The drafts are checked against the fold at the log's tail, which comes from the tail
    /// checkpoint (`LOG.tail`), or the newest snapshot, with only the lines after it read;
    /// a draft that carries its own id costs a pass over the log to look for that id.
    pub fn append(
        &self,
        drafts: &[(usize, Draft)],
        expect_seq: Option<u64>,
        clock: DateTime<Utc>,
    ) -> Result<AppendOutcome, StoreError> {
        Appender::new(self).append(drafts, expect_seq, clock)
    }

    /// Decides what an append writes after the log's tail: which drafts are duplicates of
    /// `existing` (the log's events that carry a draft's id), the new lines, and whether
    /// the whole log stays valid. Returns the tail after the append. Reads the log again
    /// only for drafts that occurred before its latest event.
    /// The events of the log that carry one of `ids`: one pass over the log, only for
    /// drafts that name their own ids.
    fn events_with_ids(
        &self,
        source: &dyn Source,
        ids: &HashSet<EventId>,
    ) -> Result<HashMap<EventId, Event>, StoreError> {
        let mut found = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let start = Position::default();
        let mut position = start.clone();
        let mut checker = crate::reading::log::EnvelopeChecker::default();
        let reader = source.read_at(0).map_err(|error| self.io_error(error))?;
        read_lines(
            reader,
            &mut checker,
            &mut position,
            &Prefix::default(),
            |event, _| {
                if ids.contains(&event.id) {
                    found.entry(event.id).or_insert(event);
                }
                std::ops::ControlFlow::Continue(())
            },
        )
        .map_err(|error| self.read_error(error))?;
        if let Some(error) = replay::confirm_reused(source, &start, &mut checker)
            .map_err(|error| self.read_error(error))?
        {
            return Err(self.log_error(error));
        }
        Ok(found)
    }

    /// Opens the log for reading and appending, creating it if missing.
    fn open_for_append(&self) -> Result<(File, bool), StoreError> {
        let mut options = OpenOptions::new();
        options.read(true).append(true);
        match options.clone().create_new(true).open(&self.path) {
            Ok(file) => Ok((file, true)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                self.check_regular()?;
                let file = options
                    .open(&self.path)
                    .map_err(|error| self.io_error(error))?;
                Ok((file, false))
            }
            Err(error) => Err(self.io_error(error)),
        }
    }

    /// The directory that holds the log, for fsyncs of names created or removed in it.
    fn directory(&self) -> PathBuf {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    pub(crate) fn sync_directory(&self) -> Result<(), StoreError> {
        File::open(self.directory())
            .and_then(|directory| directory.sync_all())
            .map_err(|error| self.io_error(error))
    }

    /// Announces a batch: the intent is on disk, under its name, before the batch is started.
    fn write_intent(&self, intent: &Intent) -> Result<(), StoreError> {
        let mut line = serde_json::to_string(intent).expect("an intent serialises");
        line.push('\n');
        let intent_path = self.intent_path();
        // Name the intent file, not the log: it is the file that could not be made.
        let intent_error = |detail: String| StoreError::Io {
            path: intent_path.clone(),
            source: io::Error::other(format!(
                "cannot write the intent file a batch of several lines needs ({detail}); nothing was appended"
            )),
        };
        let output_error = |error: OutputError| match error {
            OutputError::Io { source, .. } => intent_error(source.to_string()),
            OutputError::NotRegular { what, .. } => {
                intent_error(format!("{what} stands there, not a regular file"))
            }
            other => intent_error(other.to_string()),
        };
        // Written beside the log and renamed into place: a full disk leaves no intent, not
        // an empty one.
        let mut file =
            OutputFile::create(OutputPath::check(&intent_path, true).map_err(output_error)?)
                .map_err(output_error)?;
        file.write_all(line.as_bytes())
            .map_err(|error| intent_error(error.to_string()))?;
        file.commit().map_err(output_error)
    }

    /// Removes an intent whose batch is complete or was never started. Losing the removal
    /// in a crash is harmless: an intent that does not match the log's length is ignored.
    fn remove_intent(&self) {
        let _ = fs::remove_file(self.intent_path());
    }

    /// One write of the whole batch, then fsync; on failure, cut back to the old length so
    /// no partial batch stays behind.
    fn write_durably(
        &self,
        file: &mut File,
        buffer: &[u8],
        old_length: u64,
        intent: Option<Intent>,
        created: bool,
    ) -> Result<(), StoreError> {
        // An intent left by an earlier crash describes a batch that is complete or never
        // started (an unfinished one was refused above): it is stale.
        self.remove_intent();
        // Until the batch is started, its intent is unfinished: an interrupt removes it with
        // the batch never begun. From the batch's write on, an interrupt waits for it to be
        // written and synced (or cut back).
        let intent_registration = intent
            .as_ref()
            .map(|_| unfinished::register(&self.intent_path()));
        if let Some(intent) = &intent {
            self.write_intent(intent)?;
        }
        let mut step = unfinished::uninterruptible();
        if let Some(registration) = intent_registration {
            step.release(registration);
        }
        let written = file.write_all(buffer).and_then(|()| file.sync_data());
        if let Err(error) = written {
            let cut_back = file.set_len(old_length).and_then(|()| file.sync_data());
            if let Err(cut) = cut_back {
                // The batch could not be taken back: its intent stays, so every reader sees
                // it as the unfinished append it is, and `repair` cuts it.
                return Err(self.io_error(io::Error::new(
                    error.kind(),
                    format!(
                        "{error}; cutting the unfinished append back failed too ({cut}): `accord repair` cuts it"
                    ),
                )));
            }
            self.remove_intent();
            return Err(self.io_error(error));
        }
        if intent.is_some() {
            self.remove_intent();
        }
        if created {
            // A new file's name is durable only once its directory is.
            self.sync_directory()?;
        }
        Ok(())
    }

    /// Cuts what a crash left half-written at the end of the log: a torn last line, NUL
    /// bytes a file system left, or the lines of a batch its intent shows unfinished. A last
    /// event that is whole but for its newline gets the newline. Refuses, changing nothing,
    /// when the rest of the log does not verify, or when what it would cut is not the
    /// unfinished tail of an append (lines that end in a carriage return, text accord did
    /// not begin): damage elsewhere is for a person to look at.
    pub fn repair(&self) -> Result<RepairOutcome, StoreError> {
        use crate::reading::log::{
            UnterminatedTail, unterminated_tail, without_trailing_nul_bytes,
        };
        self.check_regular()?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(|error| self.io_error(error))?;
        file.lock().map_err(|error| self.io_error(error))?;
        let length = file.metadata().map_err(|error| self.io_error(error))?.len();

        let (keep, announced) = match self.read_intent() {
            Some(intent) if intent.is_unfinished_at(length) => (intent.length_before, true),
            _ => (self.end_of_last_complete_line(&mut file, length)?, false),
        };
        file.seek(SeekFrom::Start(0))
            .map_err(|error| self.io_error(error))?;
        let (log, _) =
            crate::fold::verify_log_from(BufReader::new((&file).take(keep))).map_err(|error| {
                match error {
                    ReadError::Rule(error) => StoreError::NotTorn {
                        path: self.path.clone(),
                        error,
                    },
                    ReadError::Io(error) => self.io_error(error),
                }
            })?;
        let next_line = log.len() + 1;

        let mut cut_bytes = Vec::new();
        file.seek(SeekFrom::Start(keep))
            .map_err(|error| self.io_error(error))?;
        file.read_to_end(&mut cut_bytes)
            .map_err(|error| self.io_error(error))?;
        let not_torn = |detail: String, rule: Rule| StoreError::NotTorn {
            path: self.path.clone(),
            error: LogError {
                line: next_line,
                rule,
                detail,
            },
        };
        let mut newline_added = None;
        if !announced && !cut_bytes.is_empty() {
            let content = without_trailing_nul_bytes(&cut_bytes);
            match UnterminatedTail::of(&cut_bytes) {
                UnterminatedTail::NulBytes => {}
                UnterminatedTail::CarriageReturns { .. } => {
                    let error = unterminated_tail(next_line, &cut_bytes);
                    return Err(not_torn(error.detail, error.rule));
                }
                UnterminatedTail::CompleteEvent => {
                    // Whole but for its newline: kept, if it is valid where it stands.
                    let mut whole = Vec::with_capacity(keep as usize + content.len() + 1);
                    file.seek(SeekFrom::Start(0))
                        .and_then(|_| (&file).take(keep).read_to_end(&mut whole))
                        .map_err(|error| self.io_error(error))?;
                    whole.extend_from_slice(content);
                    whole.push(b'\n');
                    let verified = match crate::fold::verify_log_from(&whole[..]) {
                        Ok((log, _)) => log,
                        Err(error) => {
                            let error = error.in_memory();
                            return Err(not_torn(
                                format!(
                                    "the last line is a complete event without its newline, but it is not valid there ({}: {}), so repair neither keeps nor cuts it",
                                    error.rule, error.detail
                                ),
                                error.rule,
                            ));
                        }
                    };
                    let end = keep + content.len() as u64;
                    file.set_len(end)
                        .and_then(|()| file.seek(SeekFrom::Start(end)).map(|_| ()))
                        .and_then(|()| file.write_all(b"\n"))
                        .and_then(|()| file.sync_all())
                        .map_err(|error| self.io_error(error))?;
                    newline_added = Some((next_line, verified.len(), verified.head()));
                }
                UnterminatedTail::Cut => {
                    // Without an intent, only a line accord began to write is cut: every line
                    // it writes begins `{"v":1,"seq":N,`, so a last line that does not (a text
                    // file given by mistake, a line typed by hand) is someone's data.
                    let expected_start = format!("{{\"v\":1,\"seq\":{next_line},");
                    let begun_by_accord = content.starts_with(expected_start.as_bytes())
                        || expected_start.as_bytes().starts_with(content);
                    if !begun_by_accord {
                        return Err(not_torn(
                            format!(
                                "the last line has no newline, but it does not begin as accord begins line {next_line} (`{expected_start}`)"
                            ),
                            Rule::LogTorn,
                        ));
                    }
                }
            }
        }
        if let Some((line, events, head)) = newline_added {
            self.remove_intent();
            return Ok(RepairOutcome {
                cut: Vec::new(),
                newline_added: Some(line),
                events,
                head,
            });
        }
        let mut cut = Vec::new();
        let mut pieces = cut_bytes.split_inclusive(|byte| *byte == b'\n').peekable();
        while let Some(piece) = pieces.next() {
            let torn = pieces.peek().is_none() && !piece.ends_with(b"\n");
            cut.push(CutLine {
                line: next_line + cut.len() as u64,
                bytes: piece.strip_suffix(b"\n").unwrap_or(piece).to_vec(),
                torn,
            });
        }
        if !cut.is_empty() {
            file.set_len(keep)
                .and_then(|()| file.sync_all())
                .map_err(|error| self.io_error(error))?;
        }
        self.remove_intent();
        Ok(RepairOutcome {
            cut,
            newline_added: None,
            events: log.len(),
            head: log.head(),
        })
    }

    fn count_newlines(&self, file: &mut File) -> Result<u64, StoreError> {
        file.seek(SeekFrom::Start(0))
            .map_err(|error| self.io_error(error))?;
        let mut reader = BufReader::new(file);
        let mut newlines = 0;
        loop {
            let buffer =
                io::BufRead::fill_buf(&mut reader).map_err(|error| self.io_error(error))?;
            if buffer.is_empty() {
                return Ok(newlines);
            }
            newlines += buffer.iter().filter(|byte| **byte == b'\n').count() as u64;
            let consumed = buffer.len();
            io::BufRead::consume(&mut reader, consumed);
        }
    }

    /// The length of the log up to its last newline, NUL bytes at its end passed over (a
    /// file system may leave any number after a crash). A last piece without a newline that
    /// is longer than any line accord writes is not a torn append: it is refused.
    fn end_of_last_complete_line(&self, file: &mut File, length: u64) -> Result<u64, StoreError> {
        let content_end = self.end_of_content(file, length)?;
        let window = content_end.min(MAX_LINE_BYTES as u64 + 1);
        let mut tail = vec![0; window as usize];
        file.seek(SeekFrom::Start(content_end - window))
            .and_then(|_| file.read_exact(&mut tail))
            .map_err(|error| self.io_error(error))?;
        if tail.last().is_none_or(|byte| *byte == b'\n') {
            return Ok(content_end);
        }
        match tail.iter().rposition(|byte| *byte == b'\n') {
            Some(position) => Ok(content_end - window + position as u64 + 1),
            None if window == content_end => Ok(0),
            None => Err(StoreError::NotTorn {
                path: self.path.clone(),
                error: LogError {
                    line: self.count_newlines(file)? + 1,
                    rule: Rule::EnvelopeShape,
                    detail: format!(
                        "the last line has no newline within {MAX_LINE_BYTES} bytes, longer than any line accord writes"
                    ),
                },
            }),
        }
    }

    /// Just past the log's last byte that is not NUL (0 when every byte is).
    fn end_of_content(&self, file: &mut File, length: u64) -> Result<u64, StoreError> {
        const CHUNK: u64 = 64 << 10;
        let mut end = length;
        let mut chunk = vec![0; CHUNK as usize];
        while end > 0 {
            let start = end.saturating_sub(CHUNK);
            let bytes = &mut chunk[..(end - start) as usize];
            file.seek(SeekFrom::Start(start))
                .and_then(|_| file.read_exact(bytes))
                .map_err(|error| self.io_error(error))?;
            if let Some(last) = bytes.iter().rposition(|byte| *byte != 0) {
                return Ok(start + last as u64 + 1);
            }
            end = start;
        }
        Ok(0)
    }
}
