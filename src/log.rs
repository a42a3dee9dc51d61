//! Reading a log: its lines, the envelope rules between them, and the hash chain.
//!
//! Lines are checked in file order. What this module accepts is a sequence of well-formed
//! events whose seqs count from 1, whose ids are unique, whose `recorded` never goes back and
//! whose `prev` fields chain every line to the one before. The domain rules are the fold's.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

use crate::event::Event;
use crate::ids::{EventId, Hash};
use crate::ids_seen::IdsSeen;
use crate::rules::{Rule, Violation};
use crate::time::Timestamp;

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
    fn in_memory(self) -> LogError {
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

/// Reads the lines of a log one at a time, holding at most one line of `MAX_LINE_BYTES`.
/// A last line without its newline is torn: the trace of a write that was cut short.
pub struct LineReader<R> {
    reader: R,
    buffer: Vec<u8>,
    lines_read: u64,
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R) -> LineReader<R> {
        LineReader {
            reader,
            buffer: Vec::new(),
            lines_read: 0,
            offset: 0,
        }
    }

    /// The next line without its newline, or `None` at the end of the log.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, ReadError> {
        self.buffer.clear();
        let line = self.lines_read + 1;
        // One byte more than the longest line, for its newline.
        let window = MAX_LINE_BYTES as u64 + 1;
        let read = (&mut self.reader)
            .take(window)
            .read_until(b'\n', &mut self.buffer)
            .map_err(ReadError::Io)?;
        if read == 0 {
            return Ok(None);
        }
        if self.buffer.last() != Some(&b'\n') {
            if read as u64 == window {
                return Err(ReadError::Rule(LogError {
                    line,
                    rule: Rule::EnvelopeShape,
                    detail: format!("the line is longer than the limit of {MAX_LINE_BYTES} bytes"),
                }));
            }
            return Err(ReadError::Rule(LogError {
                line,
                rule: Rule::LogTorn,
                detail: format!(
                    "the last line ({} bytes) has no newline: a write was cut short",
                    self.buffer.len()
                ),
            }));
        }
        self.buffer.pop();
        self.lines_read = line;
        self.offset += read as u64;
        Ok(Some(&self.buffer))
    }

    /// Lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Bytes of complete lines read so far.
    pub fn offset(&self) -> u64 {
        self.offset
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
    pub fn accept(&mut self, parsed: ParsedLine) -> Result<(Event, Hash), LogError> {
        let number = self.next_seq;
        let fail = |rule: Rule, detail: String| LogError {
            line: number,
            rule,
            detail,
        };
        let (parsed, hash) = parsed;
        let event = parsed.map_err(|violation| LogError::new(number, violation))?;
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
        self.prev = hash;
        self.last_recorded = Some(event.recorded.clone());
        Ok((event, hash))
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

/// Lines parsed and hashed at a time, across the machine's cores: enough that starting the
/// threads costs little beside them (about 1 ms of work for two).
const PARALLEL_BATCH_LINES: usize = 4096;

/// A batch also ends once it holds this many bytes, so that long lines (up to 1 MiB each)
/// never make one batch hold gigabytes.
const PARALLEL_BATCH_BYTES: usize = 8 << 20;

/// Most threads that parse one batch.
const MAX_PARSE_THREADS: usize = 8;

/// Parses and hashes `lines` (ranges of `bytes`), in order, on up to `threads` threads.
fn parse_batch(bytes: &[u8], lines: &[std::ops::Range<usize>], threads: usize) -> Vec<ParsedLine> {
    if threads <= 1 || lines.len() < 64 {
        return lines
            .iter()
            .map(|range| parse_and_hash(&bytes[range.clone()]))
            .collect();
    }
    let per_thread = lines.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = lines
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|range| parse_and_hash(&bytes[range.clone()]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(parsed) => parsed,
                // Parsing a line never panics; if it did, say so rather than lose lines.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
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
/// read. Lines are read in batches, parsed and hashed on every core, then checked against
/// each other. A line past where reading stops, or a read error after it, is never
/// reported: reading stops where the one-line-at-a-time reader would.
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
    let base = position.end_offset;
    let mut lines = LineReader::new(reader);
    let mut bytes = Vec::new();
    let mut ranges = Vec::with_capacity(PARALLEL_BATCH_LINES);
    let mut starts = Vec::with_capacity(PARALLEL_BATCH_LINES);
    loop {
        // Fill a batch, never past `at`; a read error waits until the lines before it have
        // been checked.
        bytes.clear();
        ranges.clear();
        starts.clear();
        let wanted = prefix.at.map_or(PARALLEL_BATCH_LINES, |at| {
            (at.saturating_sub(position.seq) as usize).min(PARALLEL_BATCH_LINES)
        });
        let mut pending_error = None;
        let mut ended = false;
        while ranges.len() < wanted && bytes.len() < PARALLEL_BATCH_BYTES {
            let start = base + lines.offset();
            match lines.next_line() {
                Ok(Some(line)) => {
                    let from = bytes.len();
                    bytes.extend_from_slice(line);
                    ranges.push(from..bytes.len());
                    starts.push(start);
                }
                Ok(None) => {
                    ended = true;
                    break;
                }
                Err(error) => {
                    pending_error = Some(error);
                    break;
                }
            }
        }
        let batch_ended_early = ranges.len() < wanted && bytes.len() < PARALLEL_BATCH_BYTES;
        for ((parsed, range), start) in parse_batch(&bytes, &ranges, threads)
            .into_iter()
            .zip(&ranges)
            .zip(&starts)
        {
            let (event, hash) = checker.accept(parsed)?;
            if let Some(known_at) = &prefix.known_at
                && event.recorded > *known_at
            {
                return Ok(());
            }
            position.seq = event.seq;
            position.head = hash;
            position.line_start = *start;
            position.end_offset = *start + range.len() as u64 + 1;
            position.last_recorded = Some(event.recorded.clone());
            if visit(event, position).is_break() {
                return Ok(());
            }
        }
        if let Some(error) = pending_error {
            return Err(error);
        }
        // The prefix is read (`at` reached) or the log is: stop. A batch cut short by its
        // byte limit goes on.
        if ended || wanted == 0 || batch_ended_early {
            return Ok(());
        }
        if prefix.at.is_some_and(|at| position.seq >= at) {
            return Ok(());
        }
    }
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

    /// Reads a whole log and folds it in application order: everything `verify` checks
    /// but a pinned head.
    pub fn verify_from<R: BufRead>(reader: R) -> Result<(Log, crate::fold::Folded), ReadError> {
        let log = Log::read_from(reader, &Prefix::default())?;
        let folded = crate::fold::fold(&log.events, None)?;
        Ok((log, folded))
    }

    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// `verify_from` for a log held in memory.
    pub fn verify(bytes: &[u8]) -> Result<(Log, crate::fold::Folded), LogError> {
        Log::verify_from(bytes).map_err(ReadError::in_memory)
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
        use crate::event::{EventData, IssueRaised};
        use crate::ids::{EventId, Slug};
        let time = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let mut bytes = Vec::new();
        let mut prev = Hash::ZERO;
        for seq in 1..=count {
            let event = Event {
                seq,
                id: EventId::from_u128(u128::from(seq)),
                occurred: time.clone(),
                recorded: time.clone(),
                data: EventData::IssueRaised(IssueRaised {
                    issue: Slug::parse(&format!("i{seq}")).unwrap(),
                    title: "x".repeat(text_bytes),
                }),
                source: None,
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

    #[test]
    fn a_missing_last_newline_is_a_torn_line() {
        let mut lines = LineReader::new(&b"{}\n{\"v\":1"[..]);
        assert_eq!(lines.next_line().unwrap(), Some(&b"{}"[..]));
        let Err(ReadError::Rule(error)) = lines.next_line() else {
            panic!("torn")
        };
        assert_eq!((error.line, error.rule), (2, Rule::LogTorn));
        assert!(LineReader::new(&b""[..]).next_line().unwrap().is_none());
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_reading_it_all() {
        let mut long = vec![b'x'; MAX_LINE_BYTES + 1];
        long.push(b'\n');
        let Err(ReadError::Rule(error)) = LineReader::new(&long[..]).next_line() else {
            panic!("too long")
        };
        assert_eq!((error.line, error.rule), (1, Rule::EnvelopeShape));
        let mut longest = vec![b'x'; MAX_LINE_BYTES];
        longest.push(b'\n');
        assert_eq!(
            LineReader::new(&longest[..])
                .next_line()
                .unwrap()
                .map(<[u8]>::len),
            Some(MAX_LINE_BYTES)
        );
    }
}
