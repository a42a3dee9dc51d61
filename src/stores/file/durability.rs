//! Appending to a log file durably, all or none, and repairing what a crash left.
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

use crate::stores::append::{AppendOutcome, LogReading, Tail, plan_append};
use crate::stores::file::queries;
use crate::stores::file::store::{FileStore, Intent};

use crate::files::output::{OutputError, OutputFile, OutputPath};
use crate::files::unfinished;
use crate::fold::Folded;
use crate::format::event::{Draft, Event, Version, WRITTEN_VERSION};
use crate::format::ids::{EventId, Hash};
use crate::format::rules::Rule;
use crate::reading::log::{LogError, MAX_LINE_BYTES, Position, Prefix, ReadError, read_lines};
use crate::replay::{self, Source};
use crate::stores::error::StoreError;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};

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
    /// Whether to keep the ids of the log's lines between appends (`remembering_ids`).
    remember_ids: bool,
    known_ids: Option<KnownIds>,
}

/// The ids of every line of a log up to a position: what an appender of many batches of
/// drafts that carry their own ids (an import) keeps, so that each batch looks its ids up
/// here instead of reading the whole log again to find them.
struct KnownIds {
    through: Position,
    ids: HashSet<EventId>,
}

impl<'a> Appender<'a> {
    pub fn new(store: &'a FileStore) -> Appender<'a> {
        Appender {
            store,
            tail: None,
            since_checkpoint: 0,
            remember_ids: false,
            known_ids: None,
        }
    }

    /// An appender for many batches of drafts that carry their own ids: the first such
    /// append reads the ids of every line (16 bytes each, and a hash set's slack, held
    /// until the appender is dropped), later ones add the lines they wrote. Without it,
    /// each append that names ids reads the whole log to look for them.
    pub fn remembering_ids(store: &'a FileStore) -> Appender<'a> {
        Appender {
            remember_ids: true,
            ..Appender::new(store)
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
                LogReading {
                    source: &replay::BytesSource(&[]),
                    earlier: &|_, _| None,
                },
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
                let answer = queries::tail(store, &mut file)?;
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
        // Taken, as the tail is: only an append that succeeds keeps them.
        let known = self.known_ids.take();
        let (existing, known) = if self.remember_ids && !ids.is_empty() {
            let known = match known {
                Some(known) if known.through == tail.position => known,
                // Another writer's lines, or none read yet: every line's id, once.
                _ => KnownIds {
                    through: tail.position.clone(),
                    ids: store.ids_of_every_line(&source)?,
                },
            };
            let met: HashSet<EventId> = ids.intersection(&known.ids).copied().collect();
            (store.events_with_ids(&source, &met)?, Some(known))
        } else {
            (store.events_with_ids(&source, &ids)?, None)
        };
        let earlier = |target: u64, not_after: chrono::DateTime<chrono::Utc>| {
            queries::snapshot_before(store, &file, target, not_after)
        };
        let (plan, after) = plan_append(
            &store.path,
            tail,
            LogReading {
                source: &source,
                earlier: &earlier,
            },
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
        // A correction reaches behind the checkpoint on disk: a reading from there would
        // have to start further back, so one is written after it.
        let at_cadence = self.since_checkpoint >= TAIL_CHECKPOINT_LINES;
        if (at_cadence || plan.corrects)
            && let Some(last_recorded) = after.position.last_recorded.clone()
        {
            if at_cadence {
                store.keep_tail_checkpoint_as_previous();
            }
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
        if let Some(mut known) = known {
            for outcome in &plan.outcome.drafts {
                if let crate::stores::append::DraftOutcome::Appended { id, .. } = outcome {
                    known.ids.insert(*id);
                }
            }
            known.through = after.position.clone();
            self.known_ids = Some(known);
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

impl FileStore {
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

    /// The events of the log that carry one of `ids`: one pass over the log, only for
    /// drafts that name their own ids.
    fn events_with_ids(
        &self,
        source: &dyn Source,
        ids: &HashSet<EventId>,
    ) -> Result<HashMap<EventId, Event>, StoreError> {
        let mut found = HashMap::new();
        if !ids.is_empty() {
            self.each_event(source, |event| {
                if ids.contains(&event.id) {
                    found.entry(event.id).or_insert(event);
                }
            })?;
        }
        Ok(found)
    }

    /// The ids of every line of the log, in one pass.
    fn ids_of_every_line(&self, source: &dyn Source) -> Result<HashSet<EventId>, StoreError> {
        let mut ids = HashSet::new();
        self.each_event(source, |event| {
            ids.insert(event.id);
        })?;
        Ok(ids)
    }

    /// Every event of the log, from its first line, envelope-checked (a reused id
    /// confirmed against the log).
    fn each_event(
        &self,
        source: &dyn Source,
        mut visit: impl FnMut(Event),
    ) -> Result<(), StoreError> {
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
                visit(event);
                std::ops::ControlFlow::Continue(())
            },
        )
        .map_err(|error| self.read_error(error))?;
        if let Some(error) = replay::confirm_reused(source, &start, &mut checker)
            .map_err(|error| self.read_error(error))?
        {
            return Err(self.log_error(error));
        }
        Ok(())
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
        // What lands on disk is whole lines: on in release builds, like every assert that
        // guards data on disk.
        assert!(
            buffer.ends_with(b"\n"),
            "a batch is whole lines, each with its newline"
        );
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
                    newline_added =
                        Some(self.add_missing_newline(&mut file, keep, content, next_line)?);
                }
                UnterminatedTail::Cut => check_begun_by_accord(content, next_line, &not_torn)?,
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
        let cut = cut_lines(&cut_bytes, next_line);
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

    /// Gives a last line that is a complete event, valid where it stands, its missing
    /// newline: the line it is, and the log's events and head after it.
    fn add_missing_newline(
        &self,
        file: &mut File,
        keep: u64,
        content: &[u8],
        next_line: u64,
    ) -> Result<(u64, u64, Hash), StoreError> {
        let mut whole = Vec::with_capacity(keep as usize + content.len() + 1);
        file.seek(SeekFrom::Start(0))
            .and_then(|_| (&*file).take(keep).read_to_end(&mut whole))
            .map_err(|error| self.io_error(error))?;
        whole.extend_from_slice(content);
        whole.push(b'\n');
        let verified = match crate::fold::verify_log_from(&whole[..]) {
            Ok((log, _)) => log,
            Err(error) => {
                let error = error.in_memory();
                return Err(StoreError::NotTorn {
                    path: self.path.clone(),
                    error: LogError {
                        line: next_line,
                        rule: error.rule,
                        detail: format!(
                            "the last line is a complete event without its newline, but it is not valid there ({}: {}), so repair neither keeps nor cuts it",
                            error.rule, error.detail
                        ),
                    },
                });
            }
        };
        let end = keep + content.len() as u64;
        file.set_len(end)
            .and_then(|()| file.seek(SeekFrom::Start(end)).map(|_| ()))
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(|error| self.io_error(error))?;
        Ok((next_line, verified.len(), verified.head()))
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

/// Without an intent, only a line accord began to write is cut: every line it writes begins
/// `{"v":2,"seq":N,` (`{"v":1,"seq":N,` before version 2), so a last line that does not (a
/// text file given by mistake, a line typed by hand) is someone's data.
fn check_begun_by_accord(
    content: &[u8],
    next_line: u64,
    not_torn: &dyn Fn(String, Rule) -> StoreError,
) -> Result<(), StoreError> {
    let start_of = |version: Version| format!("{{\"v\":{},\"seq\":{next_line},", version.number());
    let begun_by_accord = [Version::Two, Version::One].into_iter().any(|version| {
        let expected_start = start_of(version);
        content.starts_with(expected_start.as_bytes())
            || expected_start.as_bytes().starts_with(content)
    });
    if begun_by_accord {
        return Ok(());
    }
    Err(not_torn(
        format!(
            "the last line has no newline, but it does not begin as accord begins line {next_line} (`{}`)",
            start_of(WRITTEN_VERSION)
        ),
        Rule::LogTorn,
    ))
}

/// The lines `repair` cuts, from line `next_line` on; the last is torn if it has no newline.
fn cut_lines(cut_bytes: &[u8], next_line: u64) -> Vec<CutLine> {
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
    cut
}
