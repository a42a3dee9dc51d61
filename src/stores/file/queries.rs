//! Queries of a log file at a point, answered from the newest snapshot that can stand for
//! the events before it and the rest of the log folded on top (see `stores::query` for what
//! a query is, and when a snapshot can stand for it).

use crate::stores::file::store::FileStore;
use crate::stores::query::{Answer, Query};
use crate::stores::snapshot::{Snapshot, SnapshotDamage, SnapshotHeader, SnapshotPlace};

use crate::fold::Folded;
use crate::format::ids::Hash;
use crate::format::time::Timestamp;
use crate::proofs::merkle::CompactRange;
use crate::reading::log::{EnvelopeChecker, LogError, Position, Prefix, ReadError, read_lines};
use crate::replay::{
    FileSource, Replayed, Seen, Source, Start, confirm_reused, replay, replay_with,
};
use crate::stores::error::StoreError;
use std::fs::File;
use std::ops::ControlFlow;

/// Answers a query from the log and its snapshots.
pub fn answer(store: &FileStore, query: &Query) -> Result<Answer, StoreError> {
    let mut file = store.open_shared()?;
    answer_in(store, &mut file, query)
}

/// The whole log's fold and where its tail is, for an append holding the log's lock on
/// `file`: from the tail checkpoint when it still describes a line of the log, else from
/// the newest usable snapshot, else from the first line; only the lines after that are
/// read. A checkpoint that cannot be used is passed over in silence: appends never warn
/// about a cache, they rebuild it.
pub fn tail(store: &FileStore, file: &mut File) -> Result<Answer, StoreError> {
    if let Ok(checkpoint) = store.read_tail_checkpoint()
        && store.snapshot_matches(file, &checkpoint.header)
    {
        let seq = checkpoint.header.seq;
        let reload = move || {
            store
                .read_tail_checkpoint()
                .map(|snapshot| snapshot.folded)
                .map_err(|problem| {
                    ReadError::Io(std::io::Error::other(format!(
                        "the tail checkpoint could not be read again: {problem}"
                    )))
                })
        };
        if let Some(mut answer) = fold_from_with(
            store,
            file,
            &Query::default(),
            Some((checkpoint.header, checkpoint.folded)),
            reload,
        )? {
            answer.snapshot = Some(seq);
            return Ok(answer);
        }
    }
    answer_in(store, file, &Query::default())
}

fn answer_in(store: &FileStore, file: &mut File, query: &Query) -> Result<Answer, StoreError> {
    let (found, warnings) = from_newest_snapshot(store, file, query, |file, snapshot| {
        let start = Some((snapshot.header, snapshot.folded));
        Ok(match fold_from(store, file, query, start)? {
            Some(answer) => ControlFlow::Break(answer),
            None => ControlFlow::Continue(()),
        })
    })?;
    let mut answer = match found {
        Some(answer) => answer,
        None => fold_from(store, file, query, None)?
            .expect("without a snapshot there is no backfill to meet"),
    };
    answer.warnings = warnings;
    Ok(answer)
}

/// Tries `fold` from each snapshot that can stand for the events before `query`'s point,
/// newest first, until it breaks with an answer; with the warnings for the snapshots that
/// could not be used. Each snapshot's state is read only when its turn comes.
fn from_newest_snapshot<T>(
    store: &FileStore,
    file: &mut File,
    query: &Query,
    mut fold: impl FnMut(&mut File, Snapshot) -> Result<ControlFlow<T>, StoreError>,
) -> Result<(Option<T>, Vec<String>), StoreError> {
    let mut warnings = Vec::new();
    let candidates = if query.without_snapshots {
        Vec::new()
    } else {
        store.snapshot_seqs()
    };
    for seq in candidates {
        match usable_snapshot(store, file, query, seq) {
            Ok(Some(snapshot)) => {
                if let ControlFlow::Break(found) = fold(file, snapshot)? {
                    return Ok((Some(found), warnings));
                }
            }
            Ok(None) => {}
            Err(warning) => warnings.push(warning),
        }
    }
    Ok((None, warnings))
}

/// The fold a replay started from: the snapshot at `seq` read again (a second pass after
/// a backfill reads it afresh rather than keep it twice), or nothing.
fn start_again(store: &FileStore, seq: Option<u64>) -> Result<Folded, ReadError> {
    match seq {
        None => Ok(Folded::default()),
        Some(seq) => store
            .read_snapshot(seq)
            .map(|snapshot| snapshot.folded)
            .map_err(|problem| {
                ReadError::Io(std::io::Error::other(format!(
                    "snapshot {} could not be read again: {problem}",
                    store.snapshot_path(seq).display()
                )))
            }),
    }
}

/// How many times `answer_pair` read the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readings {
    /// The fold to the later point passed through the earlier one and kept it on the way.
    One,
    /// The points were answered one after the other.
    Two,
}

/// The two states `diff` compares, under one lock. When the fold to `to` passes through
/// `from` (two seqs, `from` first, and no line after `from` that occurred before it; or
/// two times, `from` first), one reading of the log gives both: the state at `from` is
/// kept as the fold goes by. Otherwise each point is answered on its own.
pub fn answer_pair(
    store: &FileStore,
    from: &Query,
    to: &Query,
) -> Result<(Answer, Answer, Readings), StoreError> {
    let mut file = store.open_shared()?;
    let in_one_reading = match answer_pair_in_one_reading(store, &mut file, from, to) {
        Ok(answered) => answered,
        // The one reading folds toward the later point and may meet its refusal first; a
        // refused earlier point is the refusal to give, as answering one at a time would.
        Err(refusal) => {
            answer_in(store, &mut file, from)?;
            return Err(refusal);
        }
    };
    if let Some((before, after)) = in_one_reading {
        return Ok((before, after, Readings::One));
    }
    let before = answer_in(store, &mut file, from)?;
    let after = answer_in(store, &mut file, to)?;
    Ok((before, after, Readings::Two))
}

/// Where the earlier point of a pair lies on the fold to the later one.
enum Passing {
    /// Just after line `seq`, if the fold is exact there.
    Line(u64),
    /// Just before the first event that occurred after this time.
    Time(Timestamp),
}

fn answer_pair_in_one_reading(
    store: &FileStore,
    file: &mut File,
    from: &Query,
    to: &Query,
) -> Result<Option<(Answer, Answer)>, StoreError> {
    if from.known_at != to.known_at || from.without_snapshots != to.without_snapshots {
        return Ok(None);
    }
    let passing = match (from.at, &from.as_of, to.at, &to.as_of) {
        (Some(first), None, Some(last), None) if first <= last => Passing::Line(first),
        (None, Some(first), None, Some(last)) if first <= last => Passing::Time(first.clone()),
        _ => return Ok(None),
    };
    // A snapshot the earlier point can start from serves the later one too.
    let (found, warnings) = from_newest_snapshot(store, file, from, |file, snapshot| {
        Ok(
            match fold_pair_from(store, file, to, &passing, Some(snapshot))? {
                PairFold::Done(before, after) => ControlFlow::Break(Some((before, after))),
                PairFold::BeforeStart => ControlFlow::Continue(()),
                PairFold::NotPassed => ControlFlow::Break(None),
            },
        )
    })?;
    let pair = match found {
        Some(pair) => pair,
        None => match fold_pair_from(store, file, to, &passing, None)? {
            PairFold::Done(before, after) => Some((before, after)),
            PairFold::BeforeStart | PairFold::NotPassed => None,
        },
    };
    Ok(pair.map(|(mut before, after)| {
        before.warnings = warnings;
        (*before, *after)
    }))
}

enum PairFold {
    Done(Box<Answer>, Box<Answer>),
    /// A line the later point folds occurred before the start's latest event.
    BeforeStart,
    /// The fold did not hold the earlier point exactly on its way (a backfill after it).
    NotPassed,
}

/// The fold to `to` from `start`, keeping the state at `passing` on the way.
fn fold_pair_from(
    store: &FileStore,
    file: &mut File,
    to: &Query,
    passing: &Passing,
    start: Option<Snapshot>,
) -> Result<PairFold, StoreError> {
    let snapshot_seq = start.as_ref().map(|snapshot| snapshot.header.seq);
    let start = match start {
        Some(snapshot) => Start {
            position: snapshot.header.position(),
            folded: snapshot.folded,
        },
        None => Start::default(),
    };
    let start_position = start.position.clone();
    let start_events = start.folded.events;
    // The earlier point's state and where it stands, once the fold passes it.
    let kept: std::cell::RefCell<Option<(Folded, Option<Position>)>> =
        std::cell::RefCell::new(match passing {
            Passing::Line(seq) if *seq == start_position.seq => {
                Some((start.folded.clone(), Some(start_position.clone())))
            }
            _ => None,
        });
    // Under the earlier time, the events folded that may lie after it.
    let uncertain_before: std::cell::RefCell<Vec<u64>> = std::cell::RefCell::new(Vec::new());
    let mut reload = || {
        // A second pass folds everything again in application order: keep its state.
        if matches!(passing, Passing::Time(_)) {
            kept.borrow_mut().take();
            uncertain_before.borrow_mut().clear();
        }
        start_again(store, snapshot_seq)
    };
    let mut observe = |seen: Seen<'_>| {
        if let Passing::Line(seq) = passing
            && seen.position.seq == *seq
            && let Some(folded) = seen.exact_fold
        {
            *kept.borrow_mut() = Some((folded.clone(), Some(seen.position.clone())));
        }
    };
    let mut apply = |folded: &mut Folded, event: &crate::format::event::Event| {
        if let Passing::Time(time) = passing
            && event.occurred.start() > time.instant()
            && kept.borrow().is_none()
        {
            *kept.borrow_mut() = Some((folded.clone(), None));
        }
        folded.apply(event)?;
        if let Passing::Time(time) = passing
            && kept.borrow().is_none()
            && event.occurred.end() > time.instant()
        {
            uncertain_before.borrow_mut().push(event.seq);
        }
        Ok(true)
    };
    let scope = to.scope();
    let replayed = replay_with(
        &FileSource(file),
        start,
        &mut reload,
        &scope,
        &mut observe,
        &mut apply,
        true,
    )
    .map_err(|error| store.read_error(error))?;
    let Replayed::Done(replay) = replayed else {
        return Ok(PairFold::BeforeStart);
    };
    let after = Answer::from_replay(*replay, snapshot_seq);
    let kept = kept.into_inner();
    let before = match (passing, kept) {
        (Passing::Line(_), Some((folded, Some(position)))) => Answer {
            seq: position.seq,
            head: position.head,
            snapshot: snapshot_seq,
            lines_read: position.seq - start_position.seq,
            events_folded: folded.events - start_events,
            warnings: Vec::new(),
            last_line_start: position.line_start,
            end_offset: position.end_offset,
            last_recorded: position.last_recorded,
            folded,
        },
        (Passing::Line(_), _) => return Ok(PairFold::NotPassed),
        // No event after the earlier time was folded: both points hold the same state.
        (Passing::Time(_), kept) => {
            let mut folded = kept.map_or_else(|| after.folded.clone(), |(folded, _)| folded);
            // The same lines are considered: the same corrections, noted as the fold went on.
            folded.state.corrections = after.folded.state.corrections.clone();
            folded.uncertain = uncertain_before.take();
            folded.uncertain.sort_unstable();
            // Everything but the state is the later point's: clone that, not its state.
            Answer {
                events_folded: folded.events - start_events,
                folded,
                seq: after.seq,
                head: after.head,
                snapshot: after.snapshot,
                lines_read: after.lines_read,
                warnings: Vec::new(),
                last_line_start: after.last_line_start,
                end_offset: after.end_offset,
                last_recorded: after.last_recorded.clone(),
            }
        }
    };
    Ok(PairFold::Done(Box::new(before), Box::new(after)))
}

/// The newest snapshot before line `target` that still matches its line of the log, as a
/// replay's start: what an append of a correction of `target` replays from.
pub fn snapshot_before(
    store: &FileStore,
    file: &File,
    target: u64,
    not_after: chrono::DateTime<chrono::Utc>,
) -> Option<Start> {
    // Every reading seeks before it reads: a second handle on the same file is safe.
    let mut file = file.try_clone().ok()?;
    let fits = |header: &crate::stores::snapshot::SnapshotHeader| {
        header.seq < target
            && header
                .occurred
                .as_ref()
                .is_none_or(|latest| latest.start() <= not_after)
    };
    let mut seqs: Vec<u64> = store
        .snapshot_seqs()
        .into_iter()
        .filter(|seq| *seq < target)
        .collect();
    seqs.sort_unstable_by(|a, b| b.cmp(a));
    let newest_snapshot = seqs.into_iter().find(|seq| {
        store
            .read_snapshot_header(*seq)
            .is_ok_and(|header| fits(&header) && store.snapshot_matches(&mut file, &header))
    });
    // The previous tail checkpoint, a few thousand lines behind the tail, when it fits and
    // is newer than any snapshot that does.
    if let Ok(previous) = store.read_previous_tail_checkpoint()
        && fits(&previous.header)
        && newest_snapshot.is_none_or(|seq| seq < previous.header.seq)
        && store.snapshot_matches(&mut file, &previous.header)
    {
        return Some(Start {
            position: previous.header.position(),
            folded: previous.folded,
        });
    }
    let snapshot = store.read_snapshot(newest_snapshot?).ok()?;
    Some(Start {
        position: snapshot.header.position(),
        folded: snapshot.folded,
    })
}

/// The snapshot at `seq`, if it can stand for the events before it in this query: `None`
/// when the query asks for less than it knows, a warning when it is unreadable or no longer
/// matches its line of the log.
fn usable_snapshot(
    store: &FileStore,
    file: &mut File,
    query: &Query,
    seq: u64,
) -> Result<Option<Snapshot>, String> {
    if query.at.is_some_and(|at| seq > at) {
        return Ok(None);
    }
    let unreadable = |problem: SnapshotDamage| not_used(store, seq, &problem);
    let header = store.read_snapshot_header(seq).map_err(unreadable)?;
    let knows_more = query
        .known_at
        .as_ref()
        .is_some_and(|known_at| header.last_recorded > *known_at);
    let occurred_later = match (&query.as_of, &header.occurred) {
        (Some(as_of), Some(latest)) => latest.start() > as_of.instant(),
        _ => false,
    };
    // Events of the snapshot that may lie after `--as-of` would be missing from `uncertain`.
    let may_lie_after = query
        .as_of
        .as_ref()
        .zip(header.latest_end())
        .is_some_and(|(as_of, end)| end > as_of.instant());
    let occurred_later = occurred_later || may_lie_after;
    if knows_more || occurred_later {
        return Ok(None);
    }
    if !store.snapshot_matches(file, &header) {
        return Err(not_used(store, seq, &unmatched(&header)));
    }
    store.read_snapshot(seq).map(Some).map_err(unreadable)
}

/// The warning for a snapshot a reader passes over, and why.
fn not_used(store: &FileStore, seq: u64, problem: &dyn std::fmt::Display) -> String {
    format!(
        "snapshot {} (seq {seq}) is not used: {problem}",
        store.snapshot_path(seq).display()
    )
}

fn unmatched(header: &SnapshotHeader) -> String {
    format!(
        "it does not match line {} of the log (its head {} is not that line's hash)",
        header.seq, header.head
    )
}

/// Reads the log after the snapshot (or from the start) and folds what the query asks for,
/// holding the state and the late lines only (`replay`). `None` when a line the query folds
/// occurred before the snapshot's latest event.
fn fold_from(
    store: &FileStore,
    file: &mut File,
    query: &Query,
    start: Option<(SnapshotHeader, Folded)>,
) -> Result<Option<Answer>, StoreError> {
    let snapshot_seq = start.as_ref().map(|(header, _)| header.seq);
    fold_from_with(store, file, query, start, || {
        start_again(store, snapshot_seq)
    })
}

/// `fold_from` with the way to read the start's fold again.
fn fold_from_with(
    store: &FileStore,
    file: &mut File,
    query: &Query,
    start: Option<(SnapshotHeader, Folded)>,
    mut reload: impl FnMut() -> Result<Folded, ReadError>,
) -> Result<Option<Answer>, StoreError> {
    let snapshot_seq = start.as_ref().map(|(header, _)| header.seq);
    let start = match start {
        Some((header, folded)) => Start {
            position: header.position(),
            folded,
        },
        None => Start::default(),
    };
    let scope = query.scope();
    let replayed = replay(&FileSource(file), start, &mut reload, &scope, &mut |_| {})
        .map_err(|error| store.read_error(error))?;
    let Replayed::Done(replay) = replayed else {
        return Ok(None);
    };
    Ok(Some(Answer::from_replay(*replay, snapshot_seq)))
}

fn log_error(store: &FileStore, error: LogError) -> StoreError {
    StoreError::Log {
        path: store.path().to_path_buf(),
        error,
    }
}

/// Writes a snapshot of the whole log, built from the newest usable snapshot and the rest.
/// With the state it keeps the Merkle tree of the log's lines, grown from a snapshot's
/// tree where one can stand for them; all under one shared lock of the log.
pub fn snapshot(store: &FileStore) -> Result<Option<Snapshotted>, StoreError> {
    let mut file = store.open_shared()?;
    let answer = answer_in(store, &mut file, &Query::default())?;
    let Some(last_recorded) = answer.last_recorded.clone() else {
        return Ok(None);
    };
    let tree = Some(store.tree_at(&mut file, answer.seq, answer.snapshot)?)
        .filter(|tree| tree.tree.size() == answer.seq && tree.end_offset == answer.end_offset)
        .ok_or_else(|| {
            store.io_error(std::io::Error::other(
                "the log's lines changed under its lock while the snapshot was made",
            ))
        })?;
    let place = SnapshotPlace {
        seq: answer.seq,
        head: answer.head,
        line_start: answer.last_line_start,
        end_offset: answer.end_offset,
        last_recorded,
        tree: Some(tree.tree.clone()),
    };
    let path = store.write_snapshot(place, &answer.folded)?;
    Ok(Some(Snapshotted {
        answer,
        path,
        tree: tree.tree,
        tree_from_snapshot: tree.from_snapshot,
    }))
}

/// What `snapshot` wrote.
pub struct Snapshotted {
    pub answer: Answer,
    pub path: std::path::PathBuf,
    /// The Merkle tree of the lines it stands on.
    pub tree: CompactRange,
    /// The snapshot whose tree it grew from.
    pub tree_from_snapshot: Option<u64>,
}

/// The hash of line `at` (or of the last line) and its seq, without folding anything:
/// `accord head`. Every line read gets its envelope checked (shape, seq, id, recorded,
/// chain), from the newest snapshot at or before `at` whose checksums hold and whose line
/// still hashes to its head, or from the first line; the domain rules are `verify`'s. The
/// warnings name snapshots that could not be used.
pub fn head(store: &FileStore, at: Option<u64>) -> Result<(u64, Hash, Vec<String>), StoreError> {
    let mut file = store.open_shared()?;
    let mut warnings = Vec::new();
    let mut start = None;
    for seq in store.snapshot_seqs() {
        if at.is_some_and(|at| seq > at) {
            continue;
        }
        match store.read_snapshot_header(seq) {
            Ok(header) if store.snapshot_matches(&mut file, &header) => {
                start = Some(header);
                break;
            }
            Ok(header) => warnings.push(not_used(store, seq, &unmatched(&header))),
            Err(problem) => warnings.push(not_used(store, seq, &problem)),
        }
    }
    let mut position = match start {
        Some(header) => header.position(),
        None => Position::default(),
    };
    let start = position.clone();
    let source = FileSource(&file);
    let mut checker = EnvelopeChecker::after(&position);
    let prefix = Prefix { at, known_at: None };
    let reader = source
        .read_at(position.end_offset)
        .map_err(|error| store.io_error(error))?;
    let read = read_lines(reader, &mut checker, &mut position, &prefix, |_, _| {
        ControlFlow::Continue(())
    });
    if let Some(error) =
        confirm_reused(&source, &start, &mut checker).map_err(|error| store.read_error(error))?
    {
        return Err(log_error(store, error));
    }
    read.map_err(|error| store.read_error(error))?;
    let (seq, head) = (position.seq, position.head);
    Ok((seq, head, warnings))
}
