//! The streaming replay engine: a log, or a prefix of it, folded in application order
//! (`occurred`, `seq`) while holding only the state, the ids' fingerprints and the
//! backfilled lines, never the log.
//!
//! A line is *late* when it occurred before a line read earlier that the fold takes in:
//! its place in application order is behind lines already read. Lines that are not late
//! come in application order by themselves (their `occurred` never goes back, their seq
//! goes up), so the first pass folds them as they come. If the log has no late line, that
//! pass is the whole replay. Otherwise the first pass keeps the late lines, and a second
//! pass reads the log again and folds the others, merging the late ones in, sorted, at
//! their places. Memory is the state plus the late lines; time is one pass, or two for a
//! log with backfills.
//!
//! Errors come in the order a reader that held the whole log would give them: an envelope
//! rule broken on any line (a reused id first), then the first event the reducer refuses in
//! application order.

pub mod corrections;
pub mod line_at;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::ops::ControlFlow;

use crate::fold::effective::{LastWords, note_of};
use crate::fold::{Folded, Refused};
use crate::format::event::Event;
use crate::format::time::Timestamp;
use crate::format::world_time::WorldTime;
use crate::reading::log::{
    EnvelopeChecker, LogError, Position, Prefix, ReadError, confirm_reused_ids, read_lines,
};

/// Something a log can be read from, from any offset, more than once: a file, or bytes.
pub trait Source {
    /// A reader of the log's bytes from `offset` on.
    fn read_at(&self, offset: u64) -> io::Result<Box<dyn BufRead + '_>>;
}

/// A log held in memory (read from stdin, or a test's bytes).
pub struct BytesSource<'a>(pub &'a [u8]);

impl Source for BytesSource<'_> {
    fn read_at(&self, offset: u64) -> io::Result<Box<dyn BufRead + '_>> {
        let from = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        Ok(Box::new(&self.0[from..]))
    }
}

/// A log file, read through its own handle (seeking moves that handle's cursor).
pub struct FileSource<'a>(pub &'a File);

/// Bytes read from a file at a time: large enough that each read is cheap beside parsing.
const FILE_BUFFER_BYTES: usize = 256 << 10;

impl Source for FileSource<'_> {
    fn read_at(&self, offset: u64) -> io::Result<Box<dyn BufRead + '_>> {
        let mut file = self.0;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(BufReader::with_capacity(FILE_BUFFER_BYTES, file)))
    }
}

/// Where a replay starts: after `position`, with `folded` the fold of the lines before it
/// (a snapshot's, or nothing).
#[derive(Clone, Debug, Default)]
pub struct Start {
    pub position: Position,
    pub folded: Folded,
}

/// Which lines a replay reads and which of them it folds.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub prefix: Prefix,
    /// Fold only the events that occurred at or before this time.
    pub as_of: Option<Timestamp>,
}

impl Scope {
    /// Applies `event` with `apply`, and notes it when it may lie after `--as-of`.
    fn apply(
        &self,
        apply: &mut Apply<'_>,
        folded: &mut Folded,
        event: &Event,
    ) -> Result<bool, Refused> {
        let applied = apply(folded, event)?;
        folded.note_if_uncertain(event, self.as_of.as_ref());
        Ok(applied)
    }

    fn folds(&self, event: &Event) -> bool {
        self.as_of
            .as_ref()
            .is_none_or(|as_of| event.occurred.start() <= as_of.instant())
    }
}

/// A replay's result.
#[derive(Clone, Debug)]
pub struct Replay {
    pub folded: Folded,
    /// Just after the last line of the scope's prefix.
    pub position: Position,
    /// Lines read and checked after the start.
    pub lines_read: u64,
    /// Events folded on top of the start.
    pub events_folded: u64,
    /// Late lines, held and merged by a second pass (none for a log in world order).
    pub late_lines: u64,
}

/// How a replay ended.
#[derive(Debug)]
pub enum Replayed {
    Done(Box<Replay>),
    /// A line the scope folds occurred before the start's latest event: the start cannot
    /// stand for the lines before it (a snapshot older than a backfill).
    BeforeStart,
}

/// What a replay tells an observer about each line, in file order, during its first pass.
pub struct Seen<'a> {
    /// The line as written.
    pub event: &'a Event,
    /// What the line folds, its last word applied: itself, its replacement, or nothing (a
    /// retracted line, or a correction or retraction line).
    pub effective: Option<&'a Event>,
    pub position: &'a Position,
    /// The fold of every line up to this one, when the first pass holds it exactly: no late
    /// line and no refusal so far, and the scope folds everything.
    pub exact_fold: Option<&'a Folded>,
}

/// How a replay applies an event: the reducer by default; `history` wraps it to see the
/// entity before and after. Returning `Ok(false)` stops the replay there: nothing after that
/// line is read.
pub type Apply<'a> = dyn FnMut(&mut Folded, &Event) -> Result<bool, Refused> + 'a;

fn reduce(folded: &mut Folded, event: &Event) -> Result<bool, Refused> {
    folded.apply(event).map(|()| true)
}

/// Replays the scope of the log from `start`: see the module's comment. `reload` gives the
/// start's fold again for a second pass (a snapshot is read again rather than kept twice).
pub fn replay(
    source: &dyn Source,
    start: Start,
    reload: &mut dyn FnMut() -> Result<Folded, ReadError>,
    scope: &Scope,
    observe: &mut dyn FnMut(Seen<'_>),
) -> Result<Replayed, ReadError> {
    replay_with(source, start, reload, scope, observe, &mut reduce, true)
}

/// `replay` with its options: `apply` instead of the reducer, and whether the first pass
/// may fold (`optimistic`). A caller that acts on each applied event (history prints it)
/// must not see the first pass fold lines a late line would then put behind: it passes
/// false, and the fold happens in the second pass only, always in application order.
pub fn replay_with(
    source: &dyn Source,
    start: Start,
    reload: &mut dyn FnMut() -> Result<Folded, ReadError>,
    scope: &Scope,
    observe: &mut dyn FnMut(Seen<'_>),
    apply: &mut Apply<'_>,
    optimistic: bool,
) -> Result<Replayed, ReadError> {
    let hooks = Hooks {
        reload,
        observe,
        apply,
        optimistic,
    };
    replay_merging(source, start, scope, hooks, Vec::new())
}

/// Replays the whole log with `extra` events (new ones, numbered after its last line)
/// merged in at their places in application order: what an append of backfilled drafts
/// must check. A refusal names the line, of the log or among `extra`, that was refused.
pub fn replay_with_extra(source: &dyn Source, extra: Vec<Event>) -> Result<Replay, ReadError> {
    let hooks = Hooks {
        reload: &mut || Ok(Folded::default()),
        observe: &mut |_| {},
        apply: &mut reduce,
        optimistic: extra.is_empty(),
    };
    debug_assert!(
        extra.windows(2).all(|pair| pair[0].seq < pair[1].seq),
        "extra events come in seq order"
    );
    let replayed = replay_merging(source, Start::default(), &Scope::default(), hooks, extra)?;
    Ok(from_first_line(replayed))
}

/// `replay_with_extra` from `start` (a snapshot before every line the extra corrections
/// speak of): only the lines after it are read. `BeforeStart` when a line or an extra event
/// belongs before it in application order.
pub fn replay_with_extra_from(
    source: &dyn Source,
    start: Start,
    extra: Vec<Event>,
) -> Result<Replayed, ReadError> {
    let kept = start.folded.clone();
    let hooks = Hooks {
        reload: &mut || Ok(kept.clone()),
        observe: &mut |_| {},
        apply: &mut reduce,
        optimistic: extra.is_empty(),
    };
    replay_merging(source, start, &Scope::default(), hooks, extra)
}

/// The replay of a log read from its first line, which nothing can come before.
fn from_first_line(replayed: Replayed) -> Replay {
    match replayed {
        Replayed::Done(replay) => *replay,
        Replayed::BeforeStart => unreachable!("nothing comes before the first line"),
    }
}

/// What a replay calls as it goes: `reload` (the start's fold again, for a second pass),
/// `observe` (each line read), `apply` (each event folded), and whether the first pass may
/// fold (`optimistic`).
struct Hooks<'h, 'a> {
    reload: &'h mut dyn FnMut() -> Result<Folded, ReadError>,
    observe: &'h mut dyn FnMut(Seen<'_>),
    apply: &'h mut Apply<'a>,
    optimistic: bool,
}

/// What the first pass over the lines found.
struct FirstPass {
    folded: Folded,
    position: Position,
    /// Lines that occurred before a line already folded, in file order.
    late: Vec<Event>,
    refused: Option<Refused>,
    /// `apply` asked to stop.
    stopped: bool,
    /// A line the scope folds occurred before the start's latest event.
    before_start: bool,
    lines_read: u64,
}

fn replay_merging(
    source: &dyn Source,
    start: Start,
    scope: &Scope,
    hooks: Hooks<'_, '_>,
    extra: Vec<Event>,
) -> Result<Replayed, ReadError> {
    let start_position = start.position.clone();
    let start_events = start.folded.events;
    let Hooks {
        reload,
        observe,
        apply,
        optimistic,
    } = hooks;
    let mut corrections = corrections::scan(source, &start_position, &scope.prefix)?;
    corrections.extend(
        extra
            .iter()
            .filter(|event| event.data.is_correction())
            .cloned(),
    );
    // A correction that reaches behind the start changes what the start folded, unless its
    // last word on that line leaves the line folding what the start folded.
    let (behind, corrections): (Vec<Event>, Vec<Event>) =
        corrections.into_iter().partition(|correction| {
            correction
                .data
                .correction_target()
                .is_some_and(|target| target <= start_position.seq)
        });
    if !behind.is_empty() && !folds_as_the_start(source, &start, behind) {
        return Ok(Replayed::BeforeStart);
    }
    let mut last_words = LastWords::default();
    for correction in &corrections {
        last_words.note(correction.clone());
    }
    let pass = first_pass(
        source,
        start,
        scope,
        observe,
        apply,
        optimistic,
        &last_words,
    )?;
    if pass.before_start {
        return Ok(Replayed::BeforeStart);
    }
    // A prefix that ended before a line the search took for a last word (recorded times
    // that go back, beyond `--known-at`): the reading stopped earlier, so no word said
    // after it counts.
    if !last_words.all_said_by(pass.position.seq + extra.len() as u64) {
        let end = pass.position.seq;
        let narrowed = Scope {
            prefix: Prefix {
                at: Some(end),
                known_at: None,
            },
            as_of: scope.as_of.clone(),
        };
        let hooks = Hooks {
            reload,
            observe,
            apply,
            optimistic,
        };
        let start = Start {
            position: start_position,
            folded: (hooks.reload)()?,
        };
        return replay_merging(source, start, &narrowed, hooks, extra);
    }
    let late_lines = pass.late.len() as u64;
    let (folded, position, lines_read) =
        if pass.late.is_empty() && extra.is_empty() && (optimistic || pass.stopped) {
            if let Some(refusal) = pass.refused {
                return Err(explained(
                    source,
                    &start_position,
                    &scope.prefix,
                    refusal,
                    &last_words,
                ));
            }
            (pass.folded, pass.position, pass.lines_read)
        } else {
            // The second pass: the same lines, the late ones merged in at their places.
            let folded = merge(
                source,
                &start_position,
                reload()?,
                &pass.position,
                scope,
                Merging {
                    late: pass.late,
                    extra,
                    last_words: &last_words,
                },
                apply,
            )?;
            (folded, pass.position, pass.lines_read)
        };
    let events_folded = folded.events - start_events;
    Ok(Replayed::Done(Box::new(Replay {
        folded,
        position,
        lines_read,
        events_folded,
        late_lines,
    })))
}

/// Whether the last words of `behind` (corrections after the start of lines at or before
/// it) leave each of those lines folding what the start folded.
fn folds_as_the_start(source: &dyn Source, start: &Start, behind: Vec<Event>) -> bool {
    let mut last_words = LastWords::default();
    for correction in behind {
        last_words.note(correction);
    }
    let notes = &start.folded.state.corrections;
    last_words.iter().all(|(target, word)| match &word.data {
        crate::format::event::EventData::EventCorrected(corrected) => line_at::folds_as_before(
            source,
            notes,
            &start.position,
            target,
            &corrected.replacement,
        ),
        _ => false,
    })
}

/// The first pass: every line read and checked; folded on top of the start while the lines
/// come in application order (if `optimistic`), the late ones set aside.
fn first_pass(
    source: &dyn Source,
    start: Start,
    scope: &Scope,
    observe: &mut dyn FnMut(Seen<'_>),
    apply: &mut Apply<'_>,
    optimistic: bool,
    last_words: &LastWords,
) -> Result<FirstPass, ReadError> {
    let start_position = start.position;
    let floor = start.folded.occurred.as_ref().map(WorldTime::start);
    let mut pass = FirstPass {
        folded: start.folded,
        position: start_position.clone(),
        late: Vec::new(),
        refused: None,
        stopped: false,
        before_start: false,
        lines_read: 0,
    };
    let mut latest = floor;
    let mut exact = optimistic && scope.as_of.is_none();
    // The fold up to a line is that line's prefix's only before the first line a last word
    // changes, or from the last correction on: between, a later correction counts.
    let changed_from = last_words.earliest_target().unwrap_or(u64::MAX);
    let settled_from = last_words.latest_correction().unwrap_or(0);
    let mut folding = optimistic;
    let mut checker = EnvelopeChecker::after(&start_position);
    let reader = source
        .read_at(start_position.end_offset)
        .map_err(ReadError::Io)?;
    let read = read_lines(
        reader,
        &mut checker,
        &mut pass.position,
        &scope.prefix,
        |line, position| {
            pass.lines_read += 1;
            let mut is_late = false;
            if let Some(note) = note_of(&line) {
                pass.folded.state.note_correction(note);
            }
            let effective = last_words.effective(&line);
            if let Some(event) = effective.as_deref()
                && scope.folds(event)
            {
                if floor.is_some_and(|floor| event.occurred.start() < floor) {
                    pass.before_start = true;
                    return ControlFlow::Break(());
                }
                if latest.is_some_and(|latest| event.occurred.start() < latest) {
                    is_late = true;
                    exact = false;
                    folding = false;
                } else {
                    latest = Some(event.occurred.start());
                    if folding {
                        match scope.apply(apply, &mut pass.folded, event) {
                            Ok(true) => {}
                            Ok(false) => {
                                pass.stopped = true;
                                folding = false;
                            }
                            Err(refusal) => {
                                pass.refused = Some(refusal);
                                folding = false;
                                exact = false;
                            }
                        }
                    }
                }
            }
            let seq = line.seq;
            let exact_here = exact && (seq < changed_from || seq >= settled_from);
            observe(Seen {
                event: &line,
                effective: effective.as_deref(),
                position,
                exact_fold: exact_here.then_some(&pass.folded),
            });
            if is_late && let Some(event) = effective {
                pass.late.push(event.into_owned());
            }
            // Stopped by `apply`: nothing after this line can matter to the caller.
            if pass.stopped {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        },
    );
    if let Some(error) = confirm_reused(source, &start_position, &mut checker)? {
        return Err(ReadError::Rule(error));
    }
    read?;
    Ok(pass)
}

/// Confirms the lines whose id may have been used before (their fingerprints met), with a
/// pass over the lines from the start up to the last of them: an error only in a log that
/// really reuses an id, or very rarely for ids whose fingerprints collide.
pub fn confirm_reused(
    source: &dyn Source,
    start: &Position,
    checker: &mut EnvelopeChecker,
) -> Result<Option<LogError>, ReadError> {
    let candidates = checker.take_maybe_reused();
    let Some(&(last, _)) = candidates.last() else {
        return Ok(None);
    };
    let ids: std::collections::HashSet<_> = candidates.iter().map(|(_, id)| *id).collect();
    let mut sharing = Vec::new();
    let prefix = Prefix {
        at: Some(last),
        known_at: None,
    };
    let mut position = start.clone();
    let mut rechecker = EnvelopeChecker::after(start);
    let reader = source.read_at(start.end_offset).map_err(ReadError::Io)?;
    // The lines up to the last candidate were read and checked once already.
    let _ = read_lines(
        reader,
        &mut rechecker,
        &mut position,
        &prefix,
        |event, _| {
            if ids.contains(&event.id) {
                sharing.push(event);
            }
            ControlFlow::Continue(())
        },
    );
    Ok(confirm_reused_ids(&candidates, &sharing))
}

/// The second pass's fold: the late lines, sorted, merged into the others.
struct Merger<'a, 'b> {
    folded: Folded,
    late: std::iter::Peekable<std::vec::IntoIter<Event>>,
    apply: &'a mut Apply<'b>,
    scope: &'a Scope,
    refused: Option<Refused>,
    stopped: bool,
}

/// What the second pass merges: the late lines (effective events, in file order), the
/// extra events, and the last words.
struct Merging<'w> {
    late: Vec<Event>,
    extra: Vec<Event>,
    last_words: &'w LastWords,
}

impl Merger<'_, '_> {
    fn step(&mut self, event: &Event) -> ControlFlow<()> {
        match self.scope.apply(self.apply, &mut self.folded, event) {
            Ok(true) => ControlFlow::Continue(()),
            Ok(false) => {
                self.stopped = true;
                ControlFlow::Break(())
            }
            Err(refusal) => {
                self.refused = Some(refusal);
                ControlFlow::Break(())
            }
        }
    }

    /// Applies `event` after every late line that comes before it in application order.
    fn take(&mut self, event: &Event) -> ControlFlow<()> {
        let key = (event.occurred.start(), event.seq);
        while let Some(next) = self
            .late
            .next_if(|next| (next.occurred.start(), next.seq) < key)
        {
            self.step(&next)?;
        }
        self.step(event)
    }

    fn finish(&mut self) {
        while let Some(next) = self.late.next() {
            if self.step(&next).is_break() {
                return;
            }
        }
    }
}

/// The second pass: reads the lines from `start` to `end` again and folds, in application
/// order, those the scope folds, merging `late` (collected by the first pass, in file
/// order) in at their places.
fn merge(
    source: &dyn Source,
    start: &Position,
    mut folded: Folded,
    end: &Position,
    scope: &Scope,
    merging: Merging<'_>,
    apply: &mut Apply<'_>,
) -> Result<Folded, ReadError> {
    let Merging {
        mut late,
        extra,
        last_words,
    } = merging;
    let mut late_seqs: Vec<u64> = late.iter().map(|event| event.seq).collect();
    debug_assert!(late_seqs.is_sorted(), "late lines are kept in file order");
    debug_assert!(extra.iter().all(|event| event.seq > end.seq));
    for correction in extra.iter().filter(|event| event.data.is_correction()) {
        if let Some(note) = note_of(correction) {
            folded.state.note_correction(note);
        }
    }
    late.extend(
        extra
            .iter()
            .filter_map(|event| last_words.effective(event))
            .map(std::borrow::Cow::into_owned),
    );
    late.sort_by_key(|event| (event.occurred.start(), event.seq));
    late_seqs.reverse();
    let mut merger = Merger {
        folded,
        late: late.into_iter().peekable(),
        apply,
        scope,
        refused: None,
        stopped: false,
    };
    let mut position = start.clone();
    let mut checker = EnvelopeChecker::after(start);
    let prefix = Prefix {
        at: Some(end.seq),
        known_at: None,
    };
    let reader = source.read_at(start.end_offset).map_err(ReadError::Io)?;
    read_lines(reader, &mut checker, &mut position, &prefix, |line, _| {
        if let Some(note) = note_of(&line) {
            merger.folded.state.note_correction(note);
        }
        if late_seqs.last() == Some(&line.seq) {
            late_seqs.pop();
            return ControlFlow::Continue(());
        }
        match last_words.effective(&line) {
            Some(event) if scope.folds(&event) => merger.take(&event),
            _ => ControlFlow::Continue(()),
        }
    })?;
    if merger.refused.is_none() && !merger.stopped {
        merger.finish();
    }
    if let Some(refusal) = merger.refused {
        return Err(explained(source, start, &scope.prefix, refusal, last_words));
    }
    if !merger.stopped && position != *end {
        return Err(ReadError::Io(io::Error::other(
            "the log changed while it was being read twice (a backfill needs two passes)",
        )));
    }
    Ok(merger.folded)
}

/// A refusal as an error, with a hint when what it names is introduced later in world time
/// by a line of the scope (one more pass, on this error's path only).
fn explained(
    source: &dyn Source,
    start: &Position,
    prefix: &Prefix,
    refusal: Refused,
    last_words: &LastWords,
) -> ReadError {
    let mut error = refusal.clone();
    if let Some(unknown) = &refusal.unknown {
        let mut hint = None;
        let mut position = start.clone();
        let mut checker = EnvelopeChecker::after(start);
        if let Ok(reader) = source.read_at(start.end_offset) {
            let _ = read_lines(reader, &mut checker, &mut position, prefix, |line, _| {
                hint = last_words
                    .effective(&line)
                    .and_then(|event| crate::fold::introduces(&event, unknown));
                if hint.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
        }
        if let Some(hint) = hint {
            error.detail = format!("{}; {hint}", error.detail);
        }
    }
    ReadError::Rule(error.into())
}

/// The whole log folded from its first line: `verify`'s replay, and `state` without
/// snapshots.
pub fn replay_whole(
    source: &dyn Source,
    scope: &Scope,
    observe: &mut dyn FnMut(Seen<'_>),
) -> Result<Replay, ReadError> {
    let replayed = replay(
        source,
        Start::default(),
        &mut || Ok(Folded::default()),
        scope,
        observe,
    )?;
    Ok(from_first_line(replayed))
}
