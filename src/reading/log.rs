//! Reading a log: its lines, the envelope rules between them, and the hash chain.
//!
//! Lines are checked in file order. What this module accepts is a sequence of well-formed
//! events whose seqs count from 1, whose ids are unique, whose `recorded` never goes back and
//! whose `prev` fields chain every line to the one before. The domain rules are the fold's.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

use crate::format::event::{Event, Version};
use crate::format::ids::{EventId, Hash};
use crate::format::rules::{Rule, Violation};
use crate::format::time::Timestamp;
use crate::reading::ids_seen::IdsSeen;

/// Longest line accepted, newline excluded: 1 MiB. Longer lines are refused unread, so a
/// hostile file cannot make a reader hold a huge JSON document.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A rule broken at a line of a log (line numbers count from 1 and equal seqs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogError {
    pub line: u64,
    pub rule: Rule,
    pub detail: String,
}

impl LogError {
    pub fn new(line: u64, violation: Violation) -> LogError {
        LogError {
            line,
            rule: violation.rule,
            detail: violation.detail,
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "line {}: {}: {}",
            self.line, self.rule, self.detail
        )
    }
}

impl std::error::Error for LogError {}

/// Why reading stopped: a line broke a rule, or the bytes could not be read at all.
#[derive(Debug)]
pub enum ReadError {
    Rule(LogError),
    Io(std::io::Error),
}

impl ReadError {
    /// The error of a read from memory, which cannot fail to read; said in a rule's terms
    /// all the same.
    pub fn in_memory(self) -> LogError {
        match self {
            ReadError::Rule(error) => error,
            ReadError::Io(error) => LogError {
                line: 0,
                rule: Rule::EnvelopeShape,
                detail: format!("unreadable: {error}"),
            },
        }
    }
}

impl From<LogError> for ReadError {
    fn from(error: LogError) -> ReadError {
        ReadError::Rule(error)
    }
}

/// Appends line `line` of the log, newline included, to `buffer` and says how many bytes
/// that was, or `None` at the end of the log. A line longer than `MAX_LINE_BYTES` is refused
/// after reading one byte past the limit; a last line without its newline is diagnosed by
/// `unterminated_tail`.
fn read_line_into<R: BufRead>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    line: u64,
) -> Result<Option<usize>, ReadError> {
    let before = buffer.len();
    // One byte more than the longest line, for its newline.
    let window = MAX_LINE_BYTES as u64 + 1;
    let read = reader
        .by_ref()
        .take(window)
        .read_until(b'\n', buffer)
        .map_err(ReadError::Io)?;
    if read == 0 {
        return Ok(None);
    }
    if buffer.last() != Some(&b'\n') {
        let piece = &buffer[before..];
        let error = if read as u64 == window {
            // A run of NUL bytes longer than a line may still be the whole rest of the log.
            match nul_bytes_to_the_end(reader, piece)? {
                Some(nul_bytes) => nul_tail(line, nul_bytes),
                None => LogError {
                    line,
                    rule: Rule::EnvelopeShape,
                    detail: format!("the line is longer than the limit of {MAX_LINE_BYTES} bytes"),
                },
            }
        } else {
            unterminated_tail(line, piece)
        };
        buffer.truncate(before);
        return Err(ReadError::Rule(error));
    }
    Ok(Some(read))
}

/// When `piece` is all NUL bytes and so is the rest of `reader`: how many there are in all.
fn nul_bytes_to_the_end<R: BufRead>(
    reader: &mut R,
    piece: &[u8],
) -> Result<Option<u64>, ReadError> {
    if piece.iter().any(|byte| *byte != 0) {
        return Ok(None);
    }
    let mut count = piece.len() as u64;
    loop {
        let buffer = reader.fill_buf().map_err(ReadError::Io)?;
        if buffer.is_empty() {
            return Ok(Some(count));
        }
        if buffer.iter().any(|byte| *byte != 0) {
            return Ok(None);
        }
        let length = buffer.len();
        count += length as u64;
        reader.consume(length);
    }
}

/// What a log's last bytes after its last newline are: the one diagnosis every reader and
/// `repair` give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnterminatedTail {
    /// Only NUL bytes: what a file system can leave when a crash cuts an append short
    /// (the file's length was made durable, its data was not).
    NulBytes,
    /// A carriage return inside: the file's lines end in CR alone, not in `\n`.
    CarriageReturns { offset: usize },
    /// A whole event, lacking only its newline (NUL bytes after it aside).
    CompleteEvent,
    /// Part of a line, cut short (NUL bytes after it aside).
    Cut,
}

impl UnterminatedTail {
    /// What the bytes after the last newline are (`piece`, not empty).
    pub fn of(piece: &[u8]) -> UnterminatedTail {
        if piece.iter().all(|byte| *byte == 0) {
            return UnterminatedTail::NulBytes;
        }
        if let Some(offset) = piece.iter().position(|byte| *byte == b'\r') {
            return UnterminatedTail::CarriageReturns { offset };
        }
        let content = without_trailing_nul_bytes(piece);
        if crate::format::event::Event::parse_line(content).is_ok() {
            return UnterminatedTail::CompleteEvent;
        }
        UnterminatedTail::Cut
    }
}

/// `bytes` without the NUL bytes at its end.
pub fn without_trailing_nul_bytes(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |last| last + 1);
    &bytes[..end]
}

/// The refusal of a log that ends in `nul_bytes` NUL bytes after line `line - 1`.
fn nul_tail(line: u64, nul_bytes: u64) -> LogError {
    LogError {
        line,
        rule: Rule::LogTorn,
        detail: format!(
            "the log ends in {nul_bytes} NUL byte{} after line {}, what a file system can leave when a crash cuts an append short; `accord repair` cuts them",
            if nul_bytes == 1 { "" } else { "s" },
            line - 1
        ),
    }
}

/// The refusal of a log whose last bytes, `piece`, begin line `line` and have no newline.
pub fn unterminated_tail(line: u64, piece: &[u8]) -> LogError {
    let nul_bytes = piece.len() - without_trailing_nul_bytes(piece).len();
    let and_nul = if nul_bytes == 0 {
        String::new()
    } else {
        format!(
            " and {nul_bytes} NUL byte{} after it",
            if nul_bytes == 1 { "" } else { "s" }
        )
    };
    match UnterminatedTail::of(piece) {
        UnterminatedTail::NulBytes => nul_tail(line, piece.len() as u64),
        UnterminatedTail::CarriageReturns { offset } => LogError {
            line,
            rule: Rule::EnvelopeShape,
            detail: format!(
                "the line ends in a carriage return alone (CR, at its byte {}), not in a newline: accord's lines end in \\n, and this file's end in \\r as classic Mac OS text does",
                offset + 1
            ),
        },
        UnterminatedTail::CompleteEvent => LogError {
            line,
            rule: Rule::LogTorn,
            detail: format!(
                "the last line is a complete event without its newline{and_nul}; `accord repair` adds the newline"
            ),
        },
        UnterminatedTail::Cut => LogError {
            line,
            rule: Rule::LogTorn,
            detail: format!(
                "the last line ({} bytes{and_nul}) has no newline: a write was cut short",
                piece.len() - nul_bytes
            ),
        },
    }
}

/// The envelope rules between lines, checked one line at a time in file order.
///
/// Ids are remembered by fingerprint (`IdsSeen`), so a line whose id *may* have been used
/// before is not refused on the spot: it is recorded as a candidate, and the reader confirms
/// the candidates exactly (`confirm_reused_ids`) before it believes any line after them.
pub struct EnvelopeChecker {
    next_seq: u64,
    prev: Hash,
    last_recorded: Option<Timestamp>,
    /// The first version-2 line this checker saw. A checker that resumes after a snapshot
    /// does not know the lines before it: a version-1 line after a version-2 one behind the
    /// snapshot is `verify`'s to find, as a reused id is.
    first_version_2: Option<u64>,
    /// The correction and retraction lines read: what another correction may not target.
    /// Few in any log. A target behind a snapshot is read again from further back, as the
    /// replay never starts behind what a correction changes.
    corrections: std::collections::BTreeSet<u64>,
    ids: IdsSeen,
    maybe_reused: Vec<(u64, EventId)>,
}

impl Default for EnvelopeChecker {
    fn default() -> Self {
        EnvelopeChecker::resume(0, Hash::ZERO, None)
    }
}

impl EnvelopeChecker {
    /// A checker that continues after line `seq`, whose hash is `prev` and whose `recorded`
    /// is `last_recorded`: for reading on from a snapshot. Ids of the lines before are not
    /// known to it, so it cannot see one used again after the snapshot; `verify` can.
    pub fn resume(seq: u64, prev: Hash, last_recorded: Option<Timestamp>) -> EnvelopeChecker {
        EnvelopeChecker {
            next_seq: seq + 1,
            prev,
            last_recorded,
            first_version_2: None,
            corrections: std::collections::BTreeSet::new(),
            ids: IdsSeen::default(),
            maybe_reused: Vec::new(),
        }
    }

    /// A checker that continues after `position`.
    pub fn after(position: &Position) -> EnvelopeChecker {
        EnvelopeChecker::resume(position.seq, position.head, position.last_recorded.clone())
    }

    /// The checks between lines, for a line already parsed and hashed (`parse_and_hash`,
    /// which needs nothing but the line and so may run ahead on another thread).
    /// Checked in place: a line is about 460 bytes, and moving it costs more than the checks.
    pub fn accept(&mut self, parsed: &ParsedLine) -> Result<(), LogError> {
        let number = self.next_seq;
        let fail = |rule: Rule, detail: String| LogError {
            line: number,
            rule,
            detail,
        };
        let (parsed, hash) = parsed;
        let event = parsed
            .as_ref()
            .map_err(|violation| LogError::new(number, violation.clone()))?;
        if event.seq != number {
            return Err(fail(
                Rule::EnvelopeSeq,
                format!("seq is {} on line {number}", event.seq),
            ));
        }
        // Before the other rules, as a reused id is the first thing said of a line.
        if !self.ids.insert(&event.id) {
            self.maybe_reused.push((number, event.id));
        }
        if let Some(last) = &self.last_recorded
            && event.recorded < *last
        {
            return Err(fail(
                Rule::EnvelopeRecorded,
                format!(
                    "recorded {} is earlier than the previous line's {last}",
                    event.recorded
                ),
            ));
        }
        match (event.version, self.first_version_2) {
            (Version::One, Some(first)) => {
                return Err(fail(
                    Rule::EnvelopeVersion,
                    format!(
                        "a version-1 line after line {first}, a version-2 one; once a line is version 2, every later line is"
                    ),
                ));
            }
            (Version::Two, None) => self.first_version_2 = Some(number),
            _ => {}
        }
        if let Some(target) = event.data.correction_target() {
            if target >= number {
                return Err(fail(
                    Rule::CorrectionTarget,
                    format!("line {number} speaks of line {target}, which is not an earlier line"),
                ));
            }
            if self.corrections.contains(&target) {
                return Err(fail(
                    Rule::CorrectionTarget,
                    format!(
                        "line {number} speaks of line {target}, itself a correction or retraction: correct the line it speaks of"
                    ),
                ));
            }
            self.corrections.insert(number);
        }
        if event.prev != self.prev {
            return Err(fail(
                Rule::EnvelopeChain,
                format!(
                    "prev is {} but the previous line hashes to {}",
                    event.prev, self.prev
                ),
            ));
        }
        self.next_seq += 1;
        self.prev = *hash;
        self.last_recorded = Some(event.recorded.clone());
        Ok(())
    }

    /// Lines whose id may have been used by an earlier line, in file order, to be confirmed
    /// with `confirm_reused_ids`; taken, so each is confirmed once.
    pub fn take_maybe_reused(&mut self) -> Vec<(u64, EventId)> {
        std::mem::take(&mut self.maybe_reused)
    }
}

/// The first line among `candidates` whose id an earlier line really uses, as the error
/// `envelope.id` reports: `events` are the lines from the checker's first one on, in file
/// order, up to the last candidate at least.
pub fn confirm_reused_ids<'a>(
    candidates: &[(u64, EventId)],
    events: impl IntoIterator<Item = &'a Event>,
) -> Option<LogError> {
    let last = candidates.last()?.0;
    let mut first_use: HashMap<EventId, u64> =
        candidates.iter().map(|(_, id)| (*id, u64::MAX)).collect();
    for event in events {
        if event.seq > last {
            break;
        }
        if let Some(first) = first_use.get_mut(&event.id) {
            *first = (*first).min(event.seq);
        }
    }
    candidates
        .iter()
        .find(|(seq, id)| first_use.get(id).is_some_and(|first| first < seq))
        .map(|(seq, id)| LogError {
            line: *seq,
            rule: Rule::EnvelopeId,
            detail: format!("id {id} is used by an earlier line"),
        })
}

impl Default for Position {
    fn default() -> Position {
        Position {
            seq: 0,
            head: Hash::ZERO,
            line_start: 0,
            end_offset: 0,
            last_recorded: None,
        }
    }
}

/// Where a reading stands: just after line `seq` (0 before the first line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub seq: u64,
    /// The hash of line `seq` (zeros before the first line).
    pub head: Hash,
    /// Where line `seq` starts in the file.
    pub line_start: u64,
    /// Just past line `seq` and its newline: where reading goes on.
    pub end_offset: u64,
    /// `recorded` of line `seq`.
    pub last_recorded: Option<Timestamp>,
}

/// A line parsed (or refused) and hashed, before the checks between lines.
pub type ParsedLine = (Result<Event, Violation>, Hash);

/// What a line says on its own: its event, or the rule it breaks alone, and its hash.
pub fn parse_and_hash(line: &[u8]) -> ParsedLine {
    (Event::parse_line(line), Hash::of(line))
}

/// Lines parsed and hashed at a time, on another core than the one checking the lines
/// before them: enough that handing a batch over costs little beside its work.
const PARALLEL_BATCH_LINES: usize = 4096;

/// A batch also ends once it holds this many bytes, so that long lines (up to 1 MiB each)
/// never make one batch hold gigabytes.
const PARALLEL_BATCH_BYTES: usize = 8 << 20;

/// Most threads that parse batches.
const MAX_PARSE_THREADS: usize = 8;

/// A read that ends within this many lines is parsed where it is read: starting threads
/// would cost more than the work (appends and small queries read a few lines).
const INLINE_READ_LINES: usize = 64;

/// How a log's bytes are read: the lines of a batch, newlines included, one after another.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Each line's bytes in `bytes`, newline excluded.
    ranges: Vec<std::ops::Range<usize>>,
    /// Where each line starts in the file.
    starts: Vec<u64>,
    /// Filled by a parser, line by line.
    parsed: Vec<ParsedLine>,
}

impl Batch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ranges.clear();
        self.starts.clear();
        self.parsed.clear();
    }

    fn parse(&mut self) {
        debug_assert!(self.parsed.is_empty());
        let bytes = &self.bytes;
        self.parsed.extend(
            self.ranges
                .iter()
                .map(|range| parse_and_hash(&bytes[range.clone()])),
        );
        debug_assert_eq!(self.parsed.len(), self.ranges.len());
    }
}

/// How a batch's reading ended, when it ended the reading.
enum ReadEnd {
    /// The log ended, or the prefix did.
    Done,
    /// A line could not be read: said once the lines before it have been checked.
    Failed(ReadError),
}

/// Cuts a log into batches of whole lines, never past the prefix's `at`.
struct BatchReader<R> {
    reader: R,
    /// Where the next line starts in the file.
    offset: u64,
    /// The seq the next line must have.
    next_line: u64,
    /// Lines wanted at most, when the prefix sets `at`.
    last_line: Option<u64>,
    ended: bool,
}

impl<R: BufRead> BatchReader<R> {
    /// Fills `batch` (cleared) with the next lines; says how the reading ended if it did.
    fn fill(&mut self, batch: &mut Batch) -> Option<ReadEnd> {
        batch.clear();
        if self.ended {
            return Some(ReadEnd::Done);
        }
        while batch.ranges.len() < PARALLEL_BATCH_LINES && batch.bytes.len() < PARALLEL_BATCH_BYTES
        {
            if self.last_line.is_some_and(|last| self.next_line > last) {
                self.ended = true;
                return Some(ReadEnd::Done);
            }
            let from = batch.bytes.len();
            match read_line_into(&mut self.reader, &mut batch.bytes, self.next_line) {
                Ok(Some(read)) => {
                    batch.ranges.push(from..from + read - 1);
                    batch.starts.push(self.offset);
                    self.offset += read as u64;
                    self.next_line += 1;
                }
                Ok(None) => {
                    self.ended = true;
                    return Some(ReadEnd::Done);
                }
                Err(error) => {
                    self.ended = true;
                    return Some(ReadEnd::Failed(error));
                }
            }
        }
        None
    }
}

/// Checks a parsed batch's lines against the lines before them and hands each event to
/// `visit`; `Break` when reading must stop (the prefix's `known_at` passed, or `visit` said
/// so).
fn check_batch(
    batch: &mut Batch,
    checker: &mut EnvelopeChecker,
    position: &mut Position,
    prefix: &Prefix,
    visit: &mut impl FnMut(Event, &Position) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, ReadError> {
    for ((parsed, range), start) in batch.parsed.drain(..).zip(&batch.ranges).zip(&batch.starts) {
        checker.accept(&parsed)?;
        // Accepted, so parsed.
        let (Ok(event), hash) = parsed else { continue };
        if let Some(known_at) = &prefix.known_at
            && event.recorded > *known_at
        {
            return Ok(ControlFlow::Break(()));
        }
        position.seq = event.seq;
        position.head = hash;
        position.line_start = *start;
        position.end_offset = *start + range.len() as u64 + 1;
        position.last_recorded = Some(event.recorded.clone());
        if visit(event, position).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// A batch's parsing, waited for: until it is done, this thread parses batches nobody has
/// started yet rather than sit idle (on two cores the checking thread and the parsers take
/// turns). `None` if the batch's parser is gone.
fn wait_helping(
    replied: &std::sync::mpsc::Receiver<Batch>,
    waiting_jobs: &std::sync::Mutex<
        std::sync::mpsc::Receiver<(Batch, std::sync::mpsc::SyncSender<Batch>)>,
    >,
) -> Option<Batch> {
    use std::sync::mpsc::TryRecvError;
    loop {
        match replied.try_recv() {
            Ok(batch) => return Some(batch),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        // A parser waiting for work holds the lock: then there is none to take.
        let job = waiting_jobs
            .try_lock()
            .ok()
            .and_then(|receiver| receiver.try_recv().ok());
        match job {
            Some((mut batch, reply)) => {
                batch.parse();
                let _ = reply.send(batch);
            }
            None => return replied.recv().ok(),
        }
    }
}

/// How much of a log to read: its first `at` lines and, of those, the ones recorded by
/// `known_at`. Because `recorded` never goes back, both cut the log at a line.
#[derive(Clone, Debug, Default)]
pub struct Prefix {
    pub at: Option<u64>,
    pub known_at: Option<Timestamp>,
}

/// The events of a log (or of a prefix of it) with the hash of each line.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub events: Vec<Event>,
    /// `line_hashes[i]` is the hash of line `i + 1`.
    pub line_hashes: Vec<Hash>,
}

/// Reads the lines of a log from `reader`, which starts just after `position`, checks
/// their envelopes with `checker` and hands each event to `visit` in file order, with the
/// position just after it; `visit` may stop the reading. Lines past the prefix are not
/// read. A line past where reading stops, or a read error after it, is never reported:
/// reading stops where the one-line-at-a-time reader would.
///
/// Lines are read in batches. Other threads parse and hash the batches ahead (a line
/// needs nothing but itself for that) while this one checks each line against the ones
/// before it and folds: on two cores the sequential work and the parsing overlap.
///
/// Candidates for a reused id are left in `checker` for the caller to confirm: this
/// function cannot look back at the lines it has handed over.
pub fn read_lines<R: BufRead>(
    reader: R,
    checker: &mut EnvelopeChecker,
    position: &mut Position,
    prefix: &Prefix,
    mut visit: impl FnMut(Event, &Position) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_PARSE_THREADS);
    let mut lines = BatchReader {
        reader,
        offset: position.end_offset,
        next_line: position.seq + 1,
        last_line: prefix.at,
        ended: false,
    };
    let mut batch = Batch::default();
    let mut end = lines.fill(&mut batch);
    if threads <= 1 || (end.is_some() && batch.ranges.len() < INLINE_READ_LINES) {
        loop {
            batch.parse();
            if check_batch(&mut batch, checker, position, prefix, &mut visit)?.is_break() {
                return Ok(());
            }
            match end {
                Some(ReadEnd::Done) => return Ok(()),
                Some(ReadEnd::Failed(error)) => return Err(error),
                None => end = lines.fill(&mut batch),
            }
        }
    }
    read_lines_in_parallel(lines, batch, end, threads, checker, position, prefix, visit)
}

/// `read_lines` with `threads` parsers, given its first batch (read, not parsed) and how
/// the reading ended if it did.
#[allow(clippy::too_many_arguments)] // read_lines's own arguments, handed on
fn read_lines_in_parallel<R: BufRead>(
    mut lines: BatchReader<R>,
    first: Batch,
    mut end: Option<ReadEnd>,
    threads: usize,
    checker: &mut EnvelopeChecker,
    position: &mut Position,
    prefix: &Prefix,
    mut visit: impl FnMut(Event, &Position) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    use std::collections::VecDeque;
    use std::sync::{Mutex, mpsc};
    // Batches read ahead of the one being checked: each parser busy, and two more waiting,
    // for the parsers and for this thread to take while it would otherwise wait.
    let in_flight_limit = threads + 2;
    type Reply = mpsc::Receiver<Batch>;
    let (jobs, waiting_jobs) = mpsc::channel::<(Batch, mpsc::SyncSender<Batch>)>();
    let waiting_jobs = Mutex::new(waiting_jobs);
    std::thread::scope(|scope| {
        // Owned here, so that the parsers see the channel close when this returns.
        let jobs = jobs;
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    // The lock is held only while taking a job, never while parsing.
                    let job = match waiting_jobs.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    let Ok((mut batch, reply)) = job else { return };
                    batch.parse();
                    // The reader may have stopped and gone: nothing left to do then.
                    let _ = reply.send(batch);
                }
            });
        }
        let mut in_flight: VecDeque<Reply> = VecDeque::with_capacity(in_flight_limit);
        let mut spare: Vec<Batch> = Vec::with_capacity(in_flight_limit);
        let send = |batch: Batch, in_flight: &mut VecDeque<Reply>| {
            let (reply, replied) = mpsc::sync_channel(1);
            // The parsers outlive this function's use of the channel.
            let _ = jobs.send((batch, reply));
            in_flight.push_back(replied);
        };
        send(first, &mut in_flight);
        loop {
            while end.is_none() && in_flight.len() < in_flight_limit {
                let mut batch = spare.pop().unwrap_or_default();
                end = lines.fill(&mut batch);
                send(batch, &mut in_flight);
            }
            let Some(replied) = in_flight.pop_front() else {
                return match end {
                    Some(ReadEnd::Failed(error)) => Err(error),
                    _ => Ok(()),
                };
            };
            // A parser that panicked drops its reply; the scope then reports the panic.
            let Some(mut batch) = wait_helping(&replied, &waiting_jobs) else {
                return Ok(());
            };
            if check_batch(&mut batch, checker, position, prefix, &mut visit)?.is_break() {
                return Ok(());
            }
            spare.push(batch);
        }
    })
}

impl Log {
    /// Reads and envelope-checks a log from a stream, whole or the prefix asked for, and
    /// keeps every event: for logs that fit in memory. The replay engine (`replay`) reads
    /// the same lines holding only what it needs.
    pub fn read_from<R: BufRead>(reader: R, prefix: &Prefix) -> Result<Log, ReadError> {
        let mut checker = EnvelopeChecker::default();
        let mut position = Position::default();
        let mut log = Log::default();
        let read = read_lines(
            reader,
            &mut checker,
            &mut position,
            prefix,
            |event, position| {
                log.events.push(event);
                log.line_hashes.push(position.head);
                ControlFlow::Continue(())
            },
        );
        // A reused id comes before any later error, as it would line by line.
        let reused = confirm_reused_ids(&checker.take_maybe_reused(), &log.events);
        if let Some(error) = reused {
            return Err(ReadError::Rule(error));
        }
        read?;
        Ok(log)
    }

    /// Reads and envelope-checks a log held in memory.
    pub fn read(bytes: &[u8], prefix: &Prefix) -> Result<Log, LogError> {
        Log::read_from(bytes, prefix).map_err(ReadError::in_memory)
    }

    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The hash of the last line, 64 zeros for an empty log.
    pub fn head(&self) -> Hash {
        self.line_hashes.last().copied().unwrap_or(Hash::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` chained lines of about `text_bytes` each.
    fn long_lines(count: u64, text_bytes: usize) -> Vec<u8> {
        use crate::format::event::{EventData, IssueRaised};
        use crate::format::ids::{EventId, Slug};
        let time = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let mut bytes = Vec::new();
        let mut prev = Hash::ZERO;
        for seq in 1..=count {
            let event = Event {
                version: Version::Two,
                seq,
                id: EventId::from_u128(u128::from(seq)),
                occurred: crate::format::world_time::WorldTime::of_point(time.clone()),
                recorded: time.clone(),
                data: EventData::IssueRaised(IssueRaised {
                    issue: Slug::parse(&format!("i{seq}")).unwrap(),
                    title: "x".repeat(text_bytes),
                }),
                source: None,
                sources: None,
                origin: None,
                prev,
            };
            let line = event.to_line();
            prev = Hash::of(line.as_bytes());
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn batches_end_at_their_byte_limit_and_the_prefix_is_still_exact() {
        // 120 lines of 100 kB: more than one batch by bytes, fewer lines than one by count.
        let bytes = long_lines(120, 100_000);
        assert!(bytes.len() > PARALLEL_BATCH_BYTES);
        let whole = Log::read(&bytes, &Prefix::default()).unwrap();
        assert_eq!(whole.len(), 120);
        let first = Log::read(
            &bytes,
            &Prefix {
                at: Some(100),
                known_at: None,
            },
        )
        .unwrap();
        assert_eq!(first.len(), 100);
        assert_eq!(first.line_hashes[..], whole.line_hashes[..100]);
        // Many short lines: several full batches by count, and a torn tail reported at its
        // own line after all the lines before it were checked.
        let mut short = long_lines(2 * PARALLEL_BATCH_LINES as u64 + 10, 10);
        short.truncate(short.len() - 5);
        let error = Log::read(&short, &Prefix::default()).unwrap_err();
        assert_eq!(
            (error.line, error.rule),
            (2 * PARALLEL_BATCH_LINES as u64 + 10, Rule::LogTorn)
        );
    }

    /// Line `line` of `bytes` read with `read_line_into`, newline dropped.
    fn read_one(reader: &mut &[u8], line: u64) -> Result<Option<Vec<u8>>, ReadError> {
        let mut buffer = Vec::new();
        Ok(read_line_into(reader, &mut buffer, line)?.map(|_| {
            buffer.pop();
            buffer
        }))
    }

    #[test]
    fn a_missing_last_newline_is_a_torn_line() {
        let mut lines = &b"{}\n{\"v\":1"[..];
        assert_eq!(read_one(&mut lines, 1).unwrap(), Some(b"{}".to_vec()));
        let Err(ReadError::Rule(error)) = read_one(&mut lines, 2) else {
            panic!("torn")
        };
        assert_eq!((error.line, error.rule), (2, Rule::LogTorn));
        assert!(read_one(&mut &b""[..], 1).unwrap().is_none());
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_reading_it_all() {
        let mut long = vec![b'x'; MAX_LINE_BYTES + 1];
        long.push(b'\n');
        let Err(ReadError::Rule(error)) = read_one(&mut &long[..], 1) else {
            panic!("too long")
        };
        assert_eq!((error.line, error.rule), (1, Rule::EnvelopeShape));
        let mut longest = vec![b'x'; MAX_LINE_BYTES];
        longest.push(b'\n');
        assert_eq!(
            read_one(&mut &longest[..], 1)
                .unwrap()
                .map(|line| line.len()),
            Some(MAX_LINE_BYTES)
        );
    }
}
