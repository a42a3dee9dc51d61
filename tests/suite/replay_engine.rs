//! The streaming replay engine against the reader that holds the whole log: for logs with
//! backfills, refusals and reused ids, and any prefix and `--as-of`, the same state, the
//! same position, the same first error.

use crate::common;

use accord::fold;
use accord::format::event::Draft;
use accord::format::ids::Hash;
use accord::format::time::Timestamp;
use accord::reading::log::{Log, LogError, Prefix, ReadError};
use accord::replay::{BytesSource, Scope, replay_whole};
use accord::stores::file::{FileStore, StoreError, parse_drafts};
use accord::stores::query::{Answer, Query};
use accord::views::history::{EntityRef, history_each, stream_history};
use proptest::prelude::*;

use common::{Generator, seal, step_strategy};

/// What the reader holding the whole log says: the fold, the last line and its hash.
fn held(bytes: &[u8], scope: &Scope) -> Result<(fold::Folded, u64, Hash), LogError> {
    let log = Log::read(bytes, &scope.prefix)?;
    let folded = fold::fold(&log.events, scope.as_of.as_ref())?;
    Ok((folded, log.len(), log.head()))
}

fn streamed(bytes: &[u8], scope: &Scope) -> Result<(fold::Folded, u64, Hash), LogError> {
    match replay_whole(&BytesSource(bytes), scope, &mut |_| {}) {
        Ok(replay) => Ok((replay.folded, replay.position.seq, replay.position.head)),
        Err(ReadError::Rule(error)) => Err(error),
        Err(ReadError::Io(error)) => panic!("bytes cannot fail to read: {error}"),
    }
}

/// A correction or retraction to put in a generated log: (what it does, which line it
/// speaks of, how far after that line it comes).
type Fix = (u8, usize, usize);

fn fix_strategy() -> impl Strategy<Value = Vec<Fix>> {
    prop::collection::vec((0u8..5, any::<usize>(), any::<usize>()), 0..4)
}

/// Generated drafts (`drafts`), with corrections and retractions put in after the lines
/// they speak of: 0 retracts, 1 moves the line to its day, 2 to its month (`~`), 3 says
/// the same again, 4 gives a count bounds around it. The lines after a fix may no longer
/// fold (a retracted party that others name): both readers must then refuse alike.
fn drafts_with_fixes(
    steps: &[common::Step],
    order_seed: u64,
    damage: u8,
    which: usize,
    fixes: &[Fix],
) -> Vec<Draft> {
    use accord::format::count::Count;
    use accord::format::event::{EventCorrected, EventData, EventRetracted, Replacement};
    use accord::format::world_time::WorldTime;
    let originals = drafts(steps, order_seed, damage, which);
    if originals.is_empty() {
        return originals;
    }
    // `Ok(index)` is an original line, `Err(fix)` a correction of one.
    let mut order: Vec<Result<usize, usize>> = (0..originals.len()).map(Ok).collect();
    for (number, (_, target, after)) in fixes.iter().enumerate() {
        let target = target % originals.len();
        let at = order.iter().position(|item| *item == Ok(target)).unwrap();
        let place = at + 1 + after % (order.len() - at);
        order.insert(place, Err(number));
    }
    let seq_of =
        |index: usize| order.iter().position(|item| *item == Ok(index)).unwrap() as u64 + 1;
    order
        .iter()
        .map(|item| match *item {
            Ok(index) => originals[index].clone(),
            Err(number) => {
                let (kind, target, _) = fixes[number];
                let original = &originals[target % originals.len()];
                let point = original.occurred.as_str();
                let reason = format!("fix {number}");
                let target = seq_of(target % originals.len());
                let mut data = original.data.clone();
                let occurred = match kind {
                    1 => WorldTime::parse(&point[..10]).unwrap(),
                    2 => WorldTime::parse(&format!("{}~", &point[..7])).unwrap(),
                    _ => original.occurred.clone(),
                };
                if kind == 4 {
                    let count = match &mut data {
                        EventData::DetentionReported(reported) => Some(&mut reported.count),
                        EventData::ReleaseMade(release) => Some(&mut release.count),
                        _ => None,
                    };
                    if let Some(count) = count {
                        let low = count.range().low;
                        *count = Count::Bounds {
                            at_least: Some(low),
                            at_most: Some(low + 3),
                        };
                    }
                }
                let data = if kind == 0 {
                    EventData::EventRetracted(EventRetracted { target, reason })
                } else {
                    EventData::EventCorrected(EventCorrected {
                        target,
                        reason,
                        replacement: Replacement {
                            occurred,
                            data: Box::new(data),
                        },
                    })
                };
                Draft {
                    id: Some(accord::format::ids::EventId::from_u128(
                        (1 << 100) + number as u128,
                    )),
                    occurred: original.occurred.clone(),
                    data,
                    sources: None,
                    origin: None,
                }
            }
        })
        .collect()
}

/// Generated drafts, put in another file order (backfills), then damaged as asked: 0 leaves
/// them, 1 drops one (later events may name what it introduced), 2 gives one the id of
/// another.
fn drafts(steps: &[common::Step], order_seed: u64, damage: u8, which: usize) -> Vec<Draft> {
    let mut generator = Generator::new(7, false);
    generator.run(steps);
    let mut drafts = generator.drafts;
    let mut random = order_seed;
    // Swap a few neighbours and a few far pairs: some lines come late, most do not.
    for _ in 0..(drafts.len() / 8 + 1) {
        random = random
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if drafts.len() > 1 {
            let a = (random >> 33) as usize % drafts.len();
            let b = (random >> 13) as usize % drafts.len();
            drafts.swap(a, b);
        }
    }
    if !drafts.is_empty() {
        let which = which % drafts.len();
        match damage {
            1 => {
                drafts.remove(which);
            }
            2 if drafts.len() > 1 => {
                let other = (which + 1 + (random as usize % (drafts.len() - 1))) % drafts.len();
                drafts[which].id = drafts[other].id;
            }
            _ => {}
        }
    }
    drafts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_streaming_replay_says_what_the_held_log_says(
        steps in prop::collection::vec(step_strategy(), 1..80),
        order_seed in any::<u64>(),
        damage in 0u8..3,
        which in any::<usize>(),
        at in prop::option::of(0u64..90),
        as_of_index in prop::option::of(any::<usize>()),
        fixes in fix_strategy(),
    ) {
        let drafts = drafts_with_fixes(&steps, order_seed, damage, which, &fixes);
        let bytes = seal(&drafts);
        let as_of: Option<Timestamp> = as_of_index
            .filter(|_| !drafts.is_empty())
            .map(|index| drafts[index % drafts.len()].occurred.as_point().unwrap().clone());
        let scope = Scope { prefix: Prefix { at, known_at: None }, as_of };
        prop_assert_eq!(streamed(&bytes, &scope), held(&bytes, &scope));
    }
}

/// Writes the log `bytes` to the store's file with a snapshot after its first `cut` lines
/// (none for 0; a snapshot of lines that do not fold is not written).
fn write_with_snapshot_at(store: &FileStore, bytes: &[u8], cut: usize) {
    let cut_bytes = bytes
        .split_inclusive(|byte| *byte == b'\n')
        .take(cut)
        .map(<[u8]>::len)
        .sum();
    std::fs::write(store.path(), &bytes[..cut_bytes]).unwrap();
    if cut > 0 {
        let _ = accord::stores::file::queries::snapshot(store);
    }
    std::fs::write(store.path(), bytes).unwrap();
}

/// What `diff` compares, as plain values: the two states and where each stands, or the
/// error.
fn pair_outcome(
    pair: Result<(Answer, Answer), StoreError>,
) -> Result<(fold::Folded, u64, Hash, fold::Folded, u64, Hash), String> {
    pair.map(|(before, after)| {
        (
            before.folded,
            before.seq,
            before.head,
            after.folded,
            after.seq,
            after.head,
        )
    })
    .map_err(|error| error.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    /// `diff`'s pair of states, read in one pass where it can be, is the pair of states
    /// answered one at a time: with backfills, refusals, snapshots, seqs or times.
    #[test]
    fn a_pair_read_in_one_pass_is_the_pair_answered_one_at_a_time(
        steps in prop::collection::vec(step_strategy(), 1..60),
        order_seed in any::<u64>(),
        damage in 0u8..2,
        which in any::<usize>(),
        snapshot_at in prop::option::of(1usize..60),
        points in (any::<usize>(), any::<usize>()),
        by_time in any::<bool>(),
        fixes in fix_strategy(),
    ) {
        let drafts = drafts_with_fixes(&steps, order_seed, damage, which, &fixes);
        let bytes = seal(&drafts);
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log.jsonl");
        let store = FileStore::new(&path);
        // A snapshot in the middle, when that much of the log folds.
        write_with_snapshot_at(&store, &bytes, snapshot_at.map_or(0, |at| at.min(drafts.len())));
        let (from, to) = if by_time && !drafts.is_empty() {
            let mut times = [
                drafts[points.0 % drafts.len()].occurred.as_point().unwrap().clone(),
                drafts[points.1 % drafts.len()].occurred.as_point().unwrap().clone(),
            ];
            times.sort();
            let [first, last] = times;
            (
                Query { as_of: Some(first), ..Query::default() },
                Query { as_of: Some(last), ..Query::default() },
            )
        } else {
            let lines = drafts.len() as u64 + 1;
            let mut seqs = [points.0 as u64 % lines, points.1 as u64 % lines];
            seqs.sort();
            (
                Query { at: Some(seqs[0]), ..Query::default() },
                Query { at: Some(seqs[1]), ..Query::default() },
            )
        };
        let one_at_a_time = accord::stores::file::queries::answer(&store, &from)
            .and_then(|before| accord::stores::file::queries::answer(&store, &to).map(|after| (before, after)));
        let paired = accord::stores::file::queries::answer_pair(&store, &from, &to)
            .map(|(before, after, _)| (before, after));
        let (expected, got) = (pair_outcome(one_at_a_time), pair_outcome(paired));
        // Both agree, or both refuse with the same refusal: the point that reads less of
        // the log refuses first one at a time, and the one reading stops at the same line.
        prop_assert_eq!(got, expected);
    }
}

/// A history as plain values: the count, then each entry's seq, how it is told and its
/// views, or the error.
type Told = (
    u64,
    Vec<(u64, String, serde_json::Value, serde_json::Value)>,
);

fn streamed_history(bytes: &[u8], entity: &EntityRef) -> Result<Told, String> {
    let mut entries = Vec::new();
    let mut count = 0;
    let named = stream_history(&BytesSource(bytes), entity, |named, entry| {
        count = named;
        entries.push((
            entry.event.seq,
            format!("{:?}", entry.told),
            entry.before,
            entry.after,
        ));
        true
    });
    match named {
        Ok(named) => {
            assert!(
                entries.is_empty() || count == named,
                "each entry carries the count"
            );
            Ok((named, entries))
        }
        Err(ReadError::Rule(error)) => Err(format!("{error} after {} entries", entries.len())),
        Err(ReadError::Io(error)) => panic!("bytes cannot fail to read: {error}"),
    }
}

fn held_history(bytes: &[u8], entity: &EntityRef) -> Result<Told, String> {
    let log =
        Log::read(bytes, &Prefix::default()).map_err(|error| format!("{error} after 0 entries"))?;
    let mut entries = Vec::new();
    let folded = history_each(&log.events, entity, |entry| {
        entries.push((
            entry.event.seq,
            format!("{:?}", entry.told),
            entry.before,
            entry.after,
        ));
        true
    });
    match folded {
        // Every entry was handed over: the count is the history's length.
        Ok(named) => Ok((named, entries)),
        Err(error) => Err(format!("{error} after {} entries", entries.len())),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The streamed history of any entity of a log (one pass, or with the second pass a
    /// backfill needs) is the history of the log held whole: the same count, entries and
    /// views, and the same error after the same entries.
    #[test]
    fn the_streamed_history_is_the_held_history(
        steps in prop::collection::vec(step_strategy(), 1..80),
        order_seed in any::<u64>(),
        damage in 0u8..2,
        which in any::<usize>(),
        entity_index in any::<usize>(),
        fixes in fix_strategy(),
    ) {
        let drafts = drafts_with_fixes(&steps, order_seed, damage, which, &fixes);
        let bytes = seal(&drafts);
        let entities = ["party:P0", "party:P1", "party:P2", "issue:I0", "proposal:X0", "agreement:G0"];
        let entity = EntityRef::parse(entities[entity_index % entities.len()]).unwrap();
        prop_assert_eq!(streamed_history(&bytes, &entity), held_history(&bytes, &entity));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The entity index of any log that folds (backfills, corrections and retractions
    /// among its lines) tells every entity's history and view as the log does.
    #[test]
    fn the_indexed_history_is_the_streamed_history(
        steps in prop::collection::vec(step_strategy(), 1..60),
        order_seed in any::<u64>(),
        fixes in fix_strategy(),
    ) {
        let drafts = drafts_with_fixes(&steps, order_seed, 0, 0, &fixes);
        let bytes = seal(&drafts);
        let folds = Log::read(&bytes[..], &Prefix::default())
            .ok()
            .is_some_and(|log| fold::fold(&log.events, None).is_ok());
        prop_assume!(folds);
        let directory = tempfile::tempdir().unwrap();
        crate::entity_index::index_tells_what_the_log_tells(directory.path(), &bytes, "log.jsonl");
    }
}

/// An entity with more entries than one pass keeps (300 statements by one party) gets the
/// counting pass and the folding pass, and the same history as the held log.
#[test]
fn a_long_history_is_told_whole_after_its_count() {
    let mut lines = String::from(
        r#"{"type":"party.joined","occurred":"2021-01-01T00:00:00Z","data":{"party":"A","name":"A","role":"party"}}"#,
    );
    lines.push('\n');
    for number in 0..300 {
        lines.push_str(&format!(
            r#"{{"type":"statement.made","occurred":"2021-01-02T00:00:{:02}Z","data":{{"by":"A","kind":"claim","text":"said {number}"}}}}"#,
            number % 60
        ));
        lines.push('\n');
    }
    let drafts: Vec<Draft> = parse_drafts(lines.as_bytes())
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(index, (_, mut draft))| {
            draft.id = Some(accord::format::ids::EventId::from_u128(index as u128 + 1));
            draft
        })
        .collect();
    let bytes = seal(&drafts);
    let entity = EntityRef::parse("party:A").unwrap();
    let told = streamed_history(&bytes, &entity).unwrap();
    assert_eq!(told.0, 301);
    assert_eq!(told.1.len(), 301);
    assert_eq!(Ok(told), held_history(&bytes, &entity));
}

/// A world-ordered log's pair of seqs, and a pair of times, take one reading.
#[test]
fn diff_reads_a_world_ordered_log_once() {
    let mut generator = Generator::new(7, false);
    generator.run(&[(0, 1, 2, 3, 0); 30]);
    let bytes = seal(&generator.drafts);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("log.jsonl");
    std::fs::write(&path, &bytes).unwrap();
    let store = FileStore::new(&path);
    let lines = generator.drafts.len() as u64;
    let seq = |at: u64| Query {
        at: Some(at),
        ..Query::default()
    };
    let (_, _, readings) =
        accord::stores::file::queries::answer_pair(&store, &seq(lines / 2), &seq(lines)).unwrap();
    assert_eq!(readings, accord::stores::file::queries::Readings::One);
    let time = |index: usize| Query {
        as_of: Some(generator.drafts[index].occurred.as_point().unwrap().clone()),
        ..Query::default()
    };
    let (_, _, readings) =
        accord::stores::file::queries::answer_pair(&store, &time(3), &time(10)).unwrap();
    assert_eq!(readings, accord::stores::file::queries::Readings::One);
    // Backwards, the points are answered one at a time.
    let (_, _, readings) =
        accord::stores::file::queries::answer_pair(&store, &seq(lines), &seq(1)).unwrap();
    assert_eq!(readings, accord::stores::file::queries::Readings::Two);
}

/// A reused id is reported at its line even when a later line breaks another rule, and
/// before any refusal of the fold: the order of a reader that holds everything.
#[test]
fn a_reused_id_comes_before_a_later_error_and_before_the_fold() {
    let mut generator = Generator::new(3, false);
    generator.run(&[
        (0, 0, 0, 0, 1),
        (0, 1, 1, 1, 1),
        (1, 0, 0, 0, 1),
        (1, 1, 1, 1, 1),
    ]);
    let mut drafts = generator.drafts;
    assert!(drafts.len() >= 3, "enough drafts to reuse an id");
    drafts[2].id = drafts[0].id;
    let mut bytes = seal(&drafts);
    bytes.extend_from_slice(b"not json\n");
    let scope = Scope::default();
    let streamed = streamed(&bytes, &scope).unwrap_err();
    assert_eq!(Err(streamed.clone()), held(&bytes, &scope).map(|_| ()));
    assert_eq!((streamed.line, streamed.rule.name()), (3, "envelope.id"));
}

/// Post-mortem: a pair read in one pass reported the later point's refusal (line 2) where
/// the earlier point, answered alone, is refused at line 1; `diff` now names line 1.
#[test]
fn a_refused_earlier_point_is_the_refusal_of_a_pair() {
    let drafts: Vec<Draft> = parse_drafts(
        concat!(
            r#"{"id":"00000000-0000-4000-8000-000000000001","type":"statement.made","occurred":"2020-01-01T00:00:05Z","data":{"by":"P0","kind":"demand","text":"late"}}"#,
            "\n",
            r#"{"id":"00000000-0000-4000-8000-000000000002","type":"statement.made","occurred":"2020-01-01T00:00:03Z","data":{"by":"P0","kind":"demand","text":"early"}}"#,
            "\n",
            r#"{"id":"00000000-0000-4000-8000-000000000003","type":"party.joined","occurred":"2020-01-01T00:00:01Z","data":{"party":"P0","name":"P0","role":"party"}}"#,
            "\n",
        )
        .as_bytes(),
    )
    .unwrap()
    .into_iter()
    .map(|(_, draft)| draft)
    .collect();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("log.jsonl");
    std::fs::write(&path, seal(&drafts)).unwrap();
    let store = FileStore::new(&path);
    let at = |seq| Query {
        at: Some(seq),
        ..Query::default()
    };
    let alone = accord::stores::file::answer(&store, &at(1))
        .unwrap_err()
        .to_string();
    let paired = accord::stores::file::answer_pair(&store, &at(1), &at(2))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(alone.contains("line 1:"), "{alone}");
    assert_eq!(paired, alone);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// An append of a correction replays the log from a snapshot before the line it
    /// corrects (or from the first line): it accepts what the whole log with it obeys, and
    /// the state after it is the fold of the whole log.
    #[test]
    fn a_correction_appended_after_a_snapshot_is_checked_as_the_whole_log(
        steps in prop::collection::vec(step_strategy(), 1..60),
        order_seed in any::<u64>(),
        snapshot_at in 1usize..60,
        target in any::<usize>(),
        kind in 0u8..3,
    ) {
        use accord::format::event::{EventCorrected, EventData, EventRetracted, Replacement};
        use accord::format::world_time::WorldTime;
        let drafts = drafts(&steps, order_seed, 0, 0);
        prop_assume!(!drafts.is_empty());
        let bytes = seal(&drafts);
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log.jsonl");
        let store = FileStore::new(&path);
        write_with_snapshot_at(&store, &bytes, snapshot_at.min(drafts.len()));
        let index = target % drafts.len();
        let original = &drafts[index];
        let target = index as u64 + 1;
        let data = match kind {
            0 => EventData::EventRetracted(EventRetracted { target, reason: "wrong".into() }),
            _ => EventData::EventCorrected(EventCorrected {
                target,
                reason: "the day only".into(),
                replacement: Replacement {
                    occurred: if kind == 1 {
                        WorldTime::parse(&original.occurred.as_str()[..10]).unwrap()
                    } else {
                        original.occurred.clone()
                    },
                    data: Box::new(original.data.clone()),
                },
            }),
        };
        let draft = Draft {
            id: Some(accord::format::ids::EventId::from_u128(1 << 90)),
            occurred: original.occurred.clone(),
            data,
            sources: None,
            origin: None,
        };
        let mut whole = drafts.clone();
        whole.push(draft.clone());
        let expected = held(&seal(&whole), &Scope::default());
        let appended = store.append(&[(1, draft)], None, chrono::Utc::now());
        prop_assert_eq!(appended.is_ok(), expected.is_ok(), "{:?} {:?}", appended, expected);
        if let Ok((folded, _, _)) = expected {
            let answer = accord::stores::file::queries::answer(&store, &Query::default()).unwrap();
            prop_assert_eq!(answer.folded.state, folded.state);
            prop_assert_eq!(answer.folded.events, folded.events);
        }
    }
}
