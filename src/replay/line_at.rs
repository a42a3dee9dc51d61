//! One line of a log found by its seq without reading the log: a bisection over byte
//! offsets, since every line accord writes begins `{"v":N,"seq":S,` and seqs go up by one.
//! What an append of a correction needs to see the line it corrects in a million-line log.
//!
//! The line found is not believed on its own: the line after it must name its hash in
//! `prev`. `folds_as_before` tells from such lines whether a correction leaves a fold as it
//! is: what an append of it, and a replay starting after the line it corrects, need.

use std::io::{self, BufRead, Read};

use super::Source;
use crate::fold::state::{CorrectionKind, CorrectionNote};
use crate::format::event::{Event, EventData, Replacement};
use crate::reading::log::{MAX_LINE_BYTES, Position, parse_and_hash};

/// Below this many bytes between the bounds, the lines are read one after another.
const LINEAR_BYTES: u64 = 256 << 10;

/// Most probes of a bisection: far more than any file's halvings need.
const MAX_PROBES: u32 = 128;

/// The bytes a seq prefix is read from: `{"v":1,"seq":` and twenty digits fit.
const PREFIX_BYTES: u64 = 48;

/// A line without its newline, and the line after it (none after the last).
pub type LineAndNext = (Vec<u8>, Option<Vec<u8>>);

/// Line `seq` of the log whose last line is `end`'s, and the line after it (if `seq` is not
/// the last), each without its newline. `None` when the bytes are not shaped as accord
/// writes them, or the source cannot be read at any offset (a database stream): the
/// caller then reads the log its usual way.
pub fn line_and_next(
    source: &dyn Source,
    seq: u64,
    end: &Position,
) -> io::Result<Option<LineAndNext>> {
    if seq == 0 || seq > end.seq {
        return Ok(None);
    }
    let Some(start) = line_start(source, seq, end)? else {
        return Ok(None);
    };
    let Ok(mut reader) = source.read_at(start) else {
        return Ok(None);
    };
    let Some(line) = read_line(&mut reader)? else {
        return Ok(None);
    };
    if seq_of(&line) != Some(seq) {
        return Ok(None);
    }
    let next = if seq == end.seq {
        None
    } else {
        match read_line(&mut reader)? {
            Some(next) if seq_of(&next) == Some(seq + 1) => Some(next),
            _ => return Ok(None),
        }
    };
    Ok(Some((line, next)))
}

/// Whether line `target` (at or before `end`) folds, with `replacement` as its last word,
/// exactly what it folded in the fold that reached `end` (whose correction notes are
/// `notes`): the same time and data as the line as written, or as its last correction
/// before `end` had it. A correction that says so (new sources, a reason on record) leaves
/// that fold as it is. The lines are found by bisection and each believed only if the line
/// after it names its hash; anything else (a database stream, a damaged line, a retracted
/// one) says no.
pub fn folds_as_before(
    source: &dyn Source,
    notes: &[CorrectionNote],
    end: &Position,
    target: u64,
    replacement: &Replacement,
) -> bool {
    if target == 0 || target > end.seq || notes.iter().any(|note| note.by == target) {
        return false;
    }
    let Some(written) = chained_line(source, target, end) else {
        return false;
    };
    if written.data.is_correction() {
        return false;
    }
    // The notes are sorted by target, then by the line that said it: the last is the
    // last word.
    match notes.iter().rev().find(|note| note.target == target) {
        None => written.occurred == replacement.occurred && written.data == *replacement.data,
        Some(note) if note.kind == CorrectionKind::Retracted => false,
        Some(note) => chained_line(source, note.by, end).is_some_and(|word| {
            matches!(
                word.data,
                EventData::EventCorrected(said)
                    if said.target == target && said.replacement == *replacement
            )
        }),
    }
}

/// What line `seq` folds in the fold that reached `end` (whose correction notes are
/// `notes`), found without reading the log: `Some(Some(event))` its effective event (the
/// line, or its last correction's replacement, keeping the line's seq and id),
/// `Some(None)` when its last word retracts it, and `None` when this cannot be told so (a
/// database stream, a damaged line, a correction line): the caller reads the log.
pub fn effective_line(
    source: &dyn Source,
    notes: &[CorrectionNote],
    end: &Position,
    seq: u64,
) -> Option<Option<Event>> {
    if seq == 0 || seq > end.seq || notes.iter().any(|note| note.by == seq) {
        return None;
    }
    let written = chained_line(source, seq, end)?;
    if written.data.is_correction() {
        return None;
    }
    match notes.iter().rev().find(|note| note.target == seq) {
        None => Some(Some(written)),
        Some(note) if note.kind == CorrectionKind::Retracted => Some(None),
        Some(note) => match chained_line(source, note.by, end)?.data {
            EventData::EventCorrected(said) if said.target == seq => Some(Some(Event {
                occurred: said.replacement.occurred,
                data: *said.replacement.data,
                ..written
            })),
            _ => None,
        },
    }
}

/// Line `seq` of the log, found without reading the log, if the line after it (or `end`'s
/// head, for the last line) names its hash.
fn chained_line(source: &dyn Source, seq: u64, end: &Position) -> Option<Event> {
    let (line, next) = line_and_next(source, seq, end).ok()??;
    let (Ok(event), hash) = parse_and_hash(&line) else {
        return None;
    };
    let chained = match next {
        Some(next) => matches!(parse_and_hash(&next), (Ok(after), _) if after.prev == hash),
        None => hash == end.head,
    };
    (chained && event.seq == seq).then_some(event)
}

/// Where line `seq` starts, bisecting between the first line and `end`'s.
fn line_start(source: &dyn Source, seq: u64, end: &Position) -> io::Result<Option<u64>> {
    debug_assert!((1..=end.seq).contains(&seq));
    let (mut low, mut low_seq) = (0u64, 1u64);
    let (mut high, mut high_seq) = (end.line_start, end.seq);
    for _ in 0..MAX_PROBES {
        if low_seq == seq {
            return Ok(Some(low));
        }
        if high_seq == seq {
            return Ok(Some(high));
        }
        if low_seq > seq || high_seq < seq || high <= low {
            return Ok(None);
        }
        if high - low <= LINEAR_BYTES {
            return linear_search(source, seq, low, high);
        }
        let middle = low + (high - low) / 2;
        match line_start_after(source, middle)? {
            Some((start, found)) if start > low && start < high => {
                if found <= seq {
                    (low, low_seq) = (start, found);
                } else {
                    (high, high_seq) = (start, found);
                }
            }
            _ => return linear_search(source, seq, low, high),
        }
    }
    Ok(None)
}

/// The first line that starts after `offset`, with its seq.
fn line_start_after(source: &dyn Source, offset: u64) -> io::Result<Option<(u64, u64)>> {
    let Ok(mut reader) = source.read_at(offset) else {
        return Ok(None);
    };
    let mut skipped = Vec::new();
    let limit = MAX_LINE_BYTES as u64 + 1;
    (&mut reader).take(limit).read_until(b'\n', &mut skipped)?;
    if skipped.last() != Some(&b'\n') {
        return Ok(None);
    }
    let start = offset + skipped.len() as u64;
    let mut prefix = Vec::new();
    reader.take(PREFIX_BYTES).read_to_end(&mut prefix)?;
    Ok(seq_of(&prefix).map(|seq| (start, seq)))
}

/// Reads the lines from `low` (a line start) up to `high`, for the one numbered `seq`.
fn linear_search(source: &dyn Source, seq: u64, low: u64, high: u64) -> io::Result<Option<u64>> {
    let Ok(mut reader) = source.read_at(low) else {
        return Ok(None);
    };
    let mut at = low;
    while at <= high {
        let Some(line) = read_line(&mut reader)? else {
            return Ok(None);
        };
        if seq_of(&line) == Some(seq) {
            return Ok(Some(at));
        }
        at += line.len() as u64 + 1;
    }
    Ok(None)
}

/// One line without its newline; `None` at the end, or for a piece without a newline
/// within the longest line accord writes.
fn read_line(reader: &mut dyn BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    reader
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if line.pop() != Some(b'\n') {
        return Ok(None);
    }
    Ok(Some(line))
}

/// The seq a line's bytes begin with: `{"v":N,"seq":S,`.
fn seq_of(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(b"{\"v\":")?;
    let comma = rest.iter().position(|byte| *byte == b',')?;
    if comma == 0 || !rest[..comma].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = rest[comma + 1..].strip_prefix(b"\"seq\":")?;
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digits == 0 || digits > 20 || rest.get(digits) != Some(&b',') {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::BytesSource;

    fn log_of(lines: u64, filler: usize) -> (Vec<u8>, Position) {
        let mut bytes = Vec::new();
        let mut line_start = 0;
        for seq in 1..=lines {
            line_start = bytes.len() as u64;
            let padding = "x".repeat(filler + (seq as usize * 7919) % 300);
            bytes.extend_from_slice(
                format!("{{\"v\":2,\"seq\":{seq},\"p\":\"{padding}\"}}\n").as_bytes(),
            );
        }
        let end = Position {
            seq: lines,
            head: crate::format::ids::Hash::ZERO,
            line_start,
            end_offset: bytes.len() as u64,
            last_recorded: None,
        };
        (bytes, end)
    }

    #[test]
    fn every_line_is_found_with_the_next_one() {
        for (lines, filler) in [(1, 0), (2, 10), (50, 0), (3_000, 200)] {
            let (bytes, end) = log_of(lines, filler);
            let text = String::from_utf8(bytes.clone()).unwrap();
            let written: Vec<&str> = text.lines().collect();
            for seq in 1..=lines {
                let (line, next) = line_and_next(&BytesSource(&bytes), seq, &end)
                    .unwrap()
                    .unwrap_or_else(|| panic!("line {seq} of {lines}"));
                assert_eq!(line, written[seq as usize - 1].as_bytes());
                assert_eq!(
                    next.as_deref(),
                    written.get(seq as usize).map(|line| line.as_bytes())
                );
            }
            assert!(
                line_and_next(&BytesSource(&bytes), lines + 1, &end)
                    .unwrap()
                    .is_none()
            );
            assert!(
                line_and_next(&BytesSource(&bytes), 0, &end)
                    .unwrap()
                    .is_none()
            );
        }
    }

    #[test]
    fn bytes_not_shaped_as_accord_writes_them_find_nothing() {
        let (mut bytes, end) = log_of(3_000, 200);
        // A line in the middle loses its seq prefix: the lines around it may still be
        // found, and none is ever taken for another.
        let middle = bytes.len() / 2;
        let start = bytes[..middle]
            .iter()
            .rposition(|byte| *byte == b'\n')
            .unwrap()
            + 1;
        bytes[start + 1] = b'X';
        for seq in 1..=3_000 {
            if let Some((line, _)) = line_and_next(&BytesSource(&bytes), seq, &end).unwrap() {
                assert_eq!(seq_of(&line), Some(seq));
            }
        }
        assert_eq!(seq_of(b"{\"v\":1,\"seq\":12,"), Some(12));
        assert_eq!(seq_of(b"{\"v\":1,\"seq\":12"), None);
        assert_eq!(seq_of(b"{\"seq\":12,"), None);
    }
}
