//! An append planned, for every store: drafts parsed from JSON Lines, checked against the
//! fold at the log's tail, and turned into the exact lines to write (the same bytes whether a
//! file or a database stream gets them). Each store writes the plan its own way.

use crate::fold::Folded;
use crate::format::event::{Draft, Event, EventData, WRITTEN_VERSION};
use crate::format::ids::{EventId, Hash};
use crate::format::rules::Rule;
use crate::format::time::Timestamp;
use crate::format::world_time::WorldTime;
use crate::reading::log::{MAX_LINE_BYTES, Position, ReadError};
use crate::replay::{self, Source};
use crate::stores::error::StoreError;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Most drafts one append takes: a bound on what a single request can make accord hold.
pub const MAX_DRAFTS_PER_APPEND: usize = 100_000;

/// Most bytes of drafts one append reads.
pub const MAX_DRAFT_BYTES: usize = 256 << 20;

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

/// What an append will write.
pub(crate) struct AppendPlan {
    pub(crate) outcome: AppendOutcome,
    /// The new lines, each with its newline.
    pub(crate) buffer: Vec<u8>,
    pub(crate) new_lines: usize,
    /// Whether a new line corrects or retracts one: a tail checkpoint from before it no
    /// longer serves (the correction reaches behind it), so the store writes one after it.
    pub(crate) corrects: bool,
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
    pub(crate) occurred: WorldTime,
    pub(crate) recorded: Timestamp,
    pub(crate) type_name: &'static str,
    /// Where the line is in the plan's buffer (without its newline).
    pub(crate) line: std::ops::Range<usize>,
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

/// What an append of `drafts` after `tail` writes, and the tail after it: duplicates sorted
/// out, `expect_seq` checked, the new events stamped and their lines made, and the whole
/// log checked with them (on top of the tail's fold, or by a replay of `source` that merges
/// them in for a backfill). Any store plans its appends with it; `log` names the log in
/// errors.
pub(crate) fn plan_append(
    log: &Path,
    tail: Tail,
    reading: LogReading<'_>,
    existing: &HashMap<EventId, Event>,
    drafts: &[(usize, Draft)],
    expect_seq: Option<u64>,
    clock: DateTime<Utc>,
) -> Result<(AppendPlan, Tail), StoreError> {
    let Tail { folded, position } = tail;
    let LogReading { source, earlier } = reading;
    let head = position.head;
    let existing_lines = position.seq;
    let (mut outcomes, fresh) = sort_drafts(drafts, existing)?;
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
            corrects: false,
            rows: Vec::new(),
        };
        return Ok((plan, Tail { folded, position }));
    }
    // `recorded` never goes back, even if the clock does.
    let now = Timestamp::recorded_now(clock);
    let recorded = match &position.last_recorded {
        Some(last) if *last > now => last.clone(),
        _ => now,
    };
    let stamped = stamp(&fresh, &position, &recorded, &mut outcomes)?;
    check_correction_targets(&folded, &stamped.events, &fresh)?;
    let corrects = stamped
        .events
        .iter()
        .any(|event| event.data.is_correction());
    let folded = fold_with_new_events(
        log,
        (source, earlier),
        (folded, &position),
        stamped.events,
        &fresh,
    )?;
    outcomes.sort_by_key(|(number, _)| *number);
    let events = existing_lines + fresh.len() as u64;
    assert_eq!(
        folded.events + folded.state.lines_folding_nothing(),
        events,
        "every line is folded, or corrected or retracted"
    );
    let after = Position {
        seq: events,
        head: stamped.head,
        line_start: position.end_offset + stamped.last_line_start,
        end_offset: position.end_offset + stamped.buffer.len() as u64,
        last_recorded: Some(recorded),
    };
    let plan = AppendPlan {
        outcome: AppendOutcome {
            drafts: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
            events,
            head: stamped.head,
        },
        buffer: stamped.buffer,
        new_lines: fresh.len(),
        corrects,
        rows: stamped.rows,
    };
    Ok((
        plan,
        Tail {
            folded,
            position: after,
        },
    ))
}

/// What each draft becomes, by its line among the drafts: a duplicate of an event already
/// in the log (its id there, the same content), or a new event (returned apart, in order).
/// A draft whose id is in the log with other content, or given to an earlier draft, is
/// refused.
#[allow(clippy::type_complexity)]
fn sort_drafts<'d>(
    drafts: &'d [(usize, Draft)],
    existing: &HashMap<EventId, Event>,
) -> Result<(Vec<(usize, DraftOutcome)>, Vec<(usize, &'d Draft)>), StoreError> {
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
    Ok((outcomes, fresh))
}

/// The new events stamped and written: their lines, one buffer, each ending in a newline.
struct Stamped {
    events: Vec<Event>,
    buffer: Vec<u8>,
    rows: Vec<PlannedRow>,
    /// The hash of the last new line.
    head: Hash,
    /// Where the last new line starts in `buffer`.
    last_line_start: u64,
}

/// Stamps each new draft (`seq`, `id`, `recorded`, `prev`) after the log's `position` and
/// writes its line; each one's outcome is added to `outcomes`.
fn stamp(
    fresh: &[(usize, &Draft)],
    position: &Position,
    recorded: &Timestamp,
    outcomes: &mut Vec<(usize, DraftOutcome)>,
) -> Result<Stamped, StoreError> {
    let mut stamped = Stamped {
        events: Vec::with_capacity(fresh.len()),
        buffer: Vec::new(),
        rows: Vec::with_capacity(fresh.len()),
        head: position.head,
        last_line_start: 0,
    };
    for (offset, (number, draft)) in fresh.iter().enumerate() {
        let event = Event {
            version: WRITTEN_VERSION,
            seq: position.seq + 1 + offset as u64,
            id: draft.id.unwrap_or_else(EventId::random),
            occurred: draft.occurred.clone(),
            recorded: recorded.clone(),
            data: draft.data.clone(),
            source: None,
            sources: draft.sources.clone(),
            origin: draft.origin.clone(),
            prev: stamped.head,
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
        // a log nobody can replay. It guards data on disk, so it holds in release builds
        // too (its cost is measured in docs/benchmarks.md). A draft built in code (Rust,
        // Python, an import) rather than read from JSON can break a rule only reading
        // checks (two signatories at least): that is the draft's refusal, not a bug.
        match Event::parse_line(line.as_bytes()) {
            Ok(read_back) => assert_eq!(read_back, event),
            Err(violation) => {
                return Err(StoreError::Draft {
                    draft: *number,
                    rule: violation.rule,
                    detail: violation.detail,
                });
            }
        }
        stamped.head = Hash::of(line.as_bytes());
        stamped.last_line_start = stamped.buffer.len() as u64;
        stamped.buffer.extend_from_slice(line.as_bytes());
        stamped.rows.push(PlannedRow {
            seq: event.seq,
            id: event.id,
            occurred: event.occurred.clone(),
            recorded: event.recorded.clone(),
            type_name: event.data.type_name(),
            line: stamped.last_line_start as usize..stamped.buffer.len(),
        });
        stamped.buffer.push(b'\n');
        outcomes.push((
            *number,
            DraftOutcome::Appended {
                seq: event.seq,
                id: event.id,
                type_name: event.data.type_name(),
            },
        ));
        stamped.events.push(event);
    }
    Ok(stamped)
}

/// How an append reads the log it checks: its lines, and the fold before a line when the
/// store keeps one.
pub(crate) struct LogReading<'a> {
    pub source: &'a dyn Source,
    pub earlier: EarlierStart<'a>,
}

/// A fold of the log's lines before a seq, when the store keeps one (a snapshot): what an
/// append of a correction of a line after it replays from.
///
/// It is asked for a fold of the lines before `target` none of whose events occurred after
/// `not_after` (a correction may move a line back in world time, before the start).
pub(crate) type EarlierStart<'a> = &'a dyn Fn(u64, DateTime<Utc>) -> Option<replay::Start>;

/// The most corrections of one append that are checked in place, each from the lines it
/// names, before the append replays the log instead.
const MAX_CORRECTIONS_CHECKED_IN_PLACE: usize = 64;

/// Starts an append of a correction tries before it replays from the first line.
const MAX_EARLIER_STARTS: usize = 4;

/// The log replayed with the new events: from a snapshot before every line their
/// corrections speak of when the store has one, else from the first line.
fn replay_from_earlier(
    source: &dyn Source,
    earlier: EarlierStart<'_>,
    new_events: Vec<Event>,
) -> Result<replay::Replay, ReadError> {
    let first_target = new_events
        .iter()
        .filter_map(|event| event.data.correction_target())
        .min();
    // No event of the start may have occurred after a corrected line's new time, nor
    // after any new event's (they are merged in at their places).
    let not_after = new_events
        .iter()
        .map(|event| match &event.data {
            EventData::EventCorrected(corrected) => corrected.replacement.occurred.start(),
            _ => event.occurred.start(),
        })
        .min();
    // A start the replay finds a line before (a correction already in the log moved one
    // back past it) gives way to an older one; after a few, the first line.
    let mut before = first_target.zip(not_after);
    for _ in 0..MAX_EARLIER_STARTS {
        let Some(start) = before.and_then(|(target, not_after)| earlier(target, not_after)) else {
            break;
        };
        debug_assert!(before.is_some_and(|(target, _)| start.position.seq < target));
        before = before.map(|(_, not_after)| (start.position.seq, not_after));
        if let replay::Replayed::Done(replay) =
            replay::replay_with_extra_from(source, start, new_events.clone())?
        {
            return Ok(*replay);
        }
    }
    replay::replay_with_extra(source, new_events)
}

/// Whether `correction` (a new line, the only one of its append on its line) leaves the fold
/// as it is: it corrects a line of the log to the very time and data the line folds now (as
/// written, or as its last correction has it). Such a correction (new sources, a reason on
/// record) needs no replay: the tail's fold stands, with the correction noted. The lines
/// are found by a bisection of the log and each believed only if the line after it names
/// its hash; anything else (a database stream, a damaged line) says no, and the log is
/// replayed.
fn changes_no_fold(
    source: &dyn Source,
    folded: &Folded,
    end: &Position,
    correction: &Event,
) -> bool {
    let EventData::EventCorrected(corrected) = &correction.data else {
        return false;
    };
    replay::line_at::folds_as_before(
        source,
        &folded.state.corrections,
        end,
        corrected.target,
        &corrected.replacement,
    )
}

/// `correction.target` for the new events (the reader checks it for lines already written):
/// a correction or retraction speaks of an earlier line that is not itself one.
fn check_correction_targets(
    folded: &Folded,
    new_events: &[Event],
    fresh: &[(usize, &Draft)],
) -> Result<(), StoreError> {
    for (at, event) in new_events.iter().enumerate() {
        let Some(target) = event.data.correction_target() else {
            continue;
        };
        let new_correction = new_events[..at]
            .iter()
            .any(|earlier| earlier.seq == target && earlier.data.is_correction());
        let detail = if target >= event.seq {
            format!(
                "the draft would be line {}, and speaks of line {target}, which is not an earlier line",
                event.seq
            )
        } else if new_correction || folded.state.is_correction_line(target) {
            format!(
                "line {target} is itself a correction or retraction: correct the line it speaks of"
            )
        } else {
            continue;
        };
        return Err(StoreError::Draft {
            draft: fresh[at].0,
            rule: Rule::CorrectionTarget,
            detail,
        });
    }
    Ok(())
}

/// The whole log checked with the new events, in application order: on top of the tail's
/// fold when they come after its latest event, by a replay that merges them in otherwise.
/// A rule broken by a new event refuses its draft; one broken by a line already there is a
/// conflict the drafts would cause.
fn fold_with_new_events(
    log: &Path,
    (source, earlier): (&dyn Source, EarlierStart<'_>),
    (mut folded, end): (Folded, &Position),
    new_events: Vec<Event>,
    fresh: &[(usize, &Draft)],
) -> Result<Folded, StoreError> {
    let existing_lines = end.seq;
    let last_folded = folded.occurred.clone();
    // A correction changes a line already folded: the log is replayed with it, unless it
    // leaves what the line folds as it was.
    let mut targets: Vec<u64> = new_events
        .iter()
        .filter_map(|event| event.data.correction_target())
        .collect();
    targets.sort_unstable();
    // Each such correction is checked from the lines it names, by a few bisections of the
    // log: past a handful, or with two new lines on one line, a replay costs less.
    let checked_in_place = targets.len() <= MAX_CORRECTIONS_CHECKED_IN_PLACE
        && targets.windows(2).all(|two| two[0] != two[1]);
    let in_world_order = new_events.iter().all(|event| {
        if event.data.is_correction() {
            return checked_in_place && changes_no_fold(source, &folded, end, event);
        }
        last_folded
            .as_ref()
            .is_none_or(|last| event.occurred.start() >= last.start())
    });
    let refold = if in_world_order {
        folded.apply_all(&new_events, None).map(|_| ())
    } else {
        match replay_from_earlier(source, earlier, new_events) {
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
    let Err(error) = refold else {
        return Ok(folded);
    };
    if error.line > existing_lines {
        let (number, _) = fresh[(error.line - existing_lines - 1) as usize];
        return Err(StoreError::Draft {
            draft: number,
            rule: error.rule,
            detail: error.detail,
        });
    }
    Err(StoreError::Conflict {
        path: log.to_path_buf(),
        line: error.line,
        rule: error.rule,
        detail: error.detail,
    })
}
