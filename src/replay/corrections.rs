//! The corrections and retractions a replay must know before it folds (format version 2).
//!
//! A correction comes after the line it corrects, but the fold needs its last word when it
//! reaches that line. So before folding, the lines to be read are searched, as bytes, for
//! the two type names; only the lines that hold one are parsed (a line that merely quotes a
//! type name in its text is parsed and passed over). A log without corrections costs one
//! byte search over its tail, at memory speed, beside the parse that follows.

use std::io::BufRead;

use memchr::memmem::Finder;

use crate::format::event::Event;
use crate::reading::log::{MAX_LINE_BYTES, Position, Prefix, ReadError};
use crate::replay::Source;

/// The correction and retraction lines after `start` that `prefix` considers, in file order.
/// What is wrong with a line is left to the reading that follows, which checks every line.
pub fn scan(
    source: &dyn Source,
    start: &Position,
    prefix: &Prefix,
) -> Result<Vec<Event>, ReadError> {
    let mut reader = source.read_at(start.end_offset).map_err(ReadError::Io)?;
    let mut scanner = Scanner {
        // What both type names begin with: one search finds either.
        finder: Finder::new(b"\"event."),
        prefix,
        next_line: start.seq + 1,
        found: Vec::new(),
        done: false,
    };
    // The start of a line that the last buffer did not end; a line over the limit is not
    // kept (the reading refuses it), only counted.
    let mut carried: Vec<u8> = Vec::new();
    let mut carried_too_long = false;
    loop {
        let buffer = reader.fill_buf().map_err(ReadError::Io)?;
        if buffer.is_empty() || scanner.done {
            break;
        }
        let length = buffer.len();
        match memchr::memrchr(b'\n', buffer) {
            None => {
                carried.extend_from_slice(buffer);
                if carried.len() > MAX_LINE_BYTES {
                    carried.clear();
                    carried_too_long = true;
                }
            }
            Some(last_newline) => {
                let mut whole_from = 0;
                if !carried.is_empty() || carried_too_long {
                    // The line begun in an earlier buffer ends in this one.
                    let first_newline =
                        memchr::memchr(b'\n', buffer).expect("a newline was found above");
                    if carried_too_long {
                        scanner.skip_lines(b"\n");
                    } else {
                        carried.extend_from_slice(&buffer[..=first_newline]);
                        scanner.lines(&carried);
                    }
                    carried.clear();
                    carried_too_long = false;
                    whole_from = first_newline + 1;
                }
                if whole_from <= last_newline {
                    scanner.lines(&buffer[whole_from..=last_newline]);
                }
                carried.extend_from_slice(&buffer[last_newline + 1..]);
            }
        }
        reader.consume(length);
    }
    // A last line without its newline is torn, and the reading refuses it.
    Ok(scanner.found)
}

struct Scanner<'p> {
    finder: Finder<'static>,
    prefix: &'p Prefix,
    /// The line number of the first line of the next bytes given.
    next_line: u64,
    found: Vec<Event>,
    /// Past the prefix's last line.
    done: bool,
}

impl Scanner<'_> {
    /// Whole lines, each ended by its newline.
    fn lines(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.ends_with(b"\n"));
        let last_line = self.prefix.at.unwrap_or(u64::MAX);
        let mut from = 0;
        while from < bytes.len() && !self.done {
            let Some(hit) = self.finder.find(&bytes[from..]) else {
                self.skip_lines(&bytes[from..]);
                return;
            };
            let line_start = memchr::memrchr(b'\n', &bytes[from..from + hit])
                .map_or(from, |newline| from + newline + 1);
            self.skip_lines(&bytes[from..line_start]);
            if self.done {
                return;
            }
            let line_end = line_start
                + memchr::memchr(b'\n', &bytes[line_start..]).expect("whole lines end in one");
            self.take(&bytes[line_start..line_end]);
            self.next_line += 1;
            self.done = self.next_line > last_line;
            from = line_end + 1;
        }
    }

    /// Counts the lines of `bytes`, which hold no correction: only for a prefix that ends
    /// at a line, where the search stops (a found line's seq is its own, checked by the
    /// reading that follows).
    fn skip_lines(&mut self, bytes: &[u8]) {
        let Some(last_line) = self.prefix.at else {
            return;
        };
        self.next_line += memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.done = self.next_line > last_line;
    }

    fn take(&mut self, line: &[u8]) {
        let Ok(event) = Event::parse_line(line) else {
            return;
        };
        let recorded_in = self
            .prefix
            .known_at
            .as_ref()
            .is_none_or(|known_at| event.recorded <= *known_at);
        // A correction of a line not before it is refused by the reading (correction.target).
        let targets_earlier = event
            .data
            .correction_target()
            .is_some_and(|target| target < event.seq);
        let in_prefix = self.prefix.at.is_none_or(|_| event.seq == self.next_line);
        if targets_earlier && in_prefix && recorded_in {
            self.found.push(event);
        }
    }
}
