//! Reading a log: its lines, the envelope rules between them, and the hash chain.
//!
//! Lines are checked in file order. What this module accepts is a sequence of well-formed
//! events whose seqs count from 1, whose ids are unique, whose `recorded` never goes back and
//! whose `prev` fields chain every line to the one before. The domain rules are the fold's.

use std::collections::HashSet;
use std::fmt;

use crate::event::Event;
use crate::ids::{EventId, Hash};
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

/// Splits a file into its lines, without their newlines. A file whose last byte is not a
/// newline has a torn last line: the trace of a write that was cut short.
pub fn split_lines(bytes: &[u8]) -> Result<Vec<&[u8]>, LogError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines: Vec<&[u8]> = bytes.split(|byte| *byte == b'\n').collect();
    let after_last_newline = lines.pop().expect("split yields at least one piece");
    if !after_last_newline.is_empty() {
        let line = lines.len() as u64 + 1;
        return Err(LogError {
            line,
            rule: Rule::LogTorn,
            detail: format!(
                "the last line ({} bytes) has no newline: a write was cut short",
                after_last_newline.len()
            ),
        });
    }
    Ok(lines)
}

/// The envelope rules between lines, checked one line at a time in file order.
pub struct EnvelopeChecker {
    next_seq: u64,
    prev: Hash,
    last_recorded: Option<Timestamp>,
    seen_ids: HashSet<EventId>,
}

impl Default for EnvelopeChecker {
    fn default() -> Self {
        EnvelopeChecker {
            next_seq: 1,
            prev: Hash::ZERO,
            last_recorded: None,
            seen_ids: HashSet::new(),
        }
    }
}

impl EnvelopeChecker {
    /// Parses and checks the next line. Returns the event and the hash of the line.
    pub fn check(&mut self, line: &[u8]) -> Result<(Event, Hash), LogError> {
        let number = self.next_seq;
        let fail = |rule: Rule, detail: String| LogError {
            line: number,
            rule,
            detail,
        };
        if line.len() > MAX_LINE_BYTES {
            return Err(fail(
                Rule::EnvelopeShape,
                format!(
                    "the line is {} bytes, longer than the limit of {MAX_LINE_BYTES}",
                    line.len()
                ),
            ));
        }
        let event =
            Event::parse_line(line).map_err(|violation| LogError::new(number, violation))?;
        if event.seq != number {
            return Err(fail(
                Rule::EnvelopeSeq,
                format!("seq is {} on line {number}", event.seq),
            ));
        }
        if self.seen_ids.contains(&event.id) {
            return Err(fail(
                Rule::EnvelopeId,
                format!("id {} is used by an earlier line", event.id),
            ));
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
        let hash = Hash::of(line);
        self.next_seq += 1;
        self.prev = hash;
        self.last_recorded = Some(event.recorded.clone());
        self.seen_ids.insert(event.id);
        Ok((event, hash))
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

impl Log {
    /// Reads and envelope-checks a whole file, or the prefix asked for.
    pub fn read(bytes: &[u8], prefix: &Prefix) -> Result<Log, LogError> {
        let lines = split_lines(bytes)?;
        let mut checker = EnvelopeChecker::default();
        let mut log = Log::default();
        let line_limit = prefix
            .at
            .map_or(lines.len(), |at| (at as usize).min(lines.len()));
        for line in &lines[..line_limit] {
            let (event, hash) = checker.check(line)?;
            if let Some(known_at) = &prefix.known_at
                && event.recorded > *known_at
            {
                break;
            }
            log.events.push(event);
            log.line_hashes.push(hash);
        }
        Ok(log)
    }

    pub fn len(&self) -> u64 {
        self.events.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Reads a whole log and folds it in application order: everything `verify` checks
    /// but the pinned head.
    pub fn verify(bytes: &[u8]) -> Result<(Log, crate::fold::Folded), LogError> {
        let log = Log::read(bytes, &Prefix::default())?;
        let folded = crate::fold::fold(&log.events, None)?;
        Ok((log, folded))
    }

    /// The hash of the last line, 64 zeros for an empty log.
    pub fn head(&self) -> Hash {
        self.line_hashes.last().copied().unwrap_or(Hash::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_last_newline_is_a_torn_line() {
        let error = split_lines(b"{}\n{\"v\":1").unwrap_err();
        assert_eq!((error.line, error.rule), (2, Rule::LogTorn));
        assert_eq!(split_lines(b"").unwrap().len(), 0);
        assert_eq!(split_lines(b"a\nb\n").unwrap(), vec![&b"a"[..], &b"b"[..]]);
    }
}
