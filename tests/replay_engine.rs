//! The streaming replay engine against the reader that holds the whole log: for logs with
//! backfills, refusals and reused ids, and any prefix and `--as-of`, the same state, the
//! same position, the same first error.

mod common;

use accord::fold;
use accord::format::event::Draft;
use accord::format::ids::Hash;
use accord::format::time::Timestamp;
use accord::reading::log::{Log, LogError, Prefix, ReadError};
use accord::replay::{BytesSource, Scope, replay_whole};
use accord::stores::file::{FileStore, StoreError};
use accord::stores::query::{self, Answer, Query};
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
    ) {
        let drafts = drafts(&steps, order_seed, damage, which);
        let bytes = seal(&drafts);
        let as_of: Option<Timestamp> = as_of_index
            .filter(|_| !drafts.is_empty())
            .map(|index| drafts[index % drafts.len()].occurred.clone());
        let scope = Scope { prefix: Prefix { at, known_at: None }, as_of };
        prop_assert_eq!(streamed(&bytes, &scope), held(&bytes, &scope));
    }
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
    ) {
        let drafts = drafts(&steps, order_seed, damage, which);
        let bytes = seal(&drafts);
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log.jsonl");
        let store = FileStore::new(&path);
        // A snapshot in the middle, when that much of the log folds.
        let cut = snapshot_at.map_or(0, |at| at.min(drafts.len()));
        let cut_bytes = bytes.split_inclusive(|byte| *byte == b'\n').take(cut).map(<[u8]>::len).sum();
        std::fs::write(&path, &bytes[..cut_bytes]).unwrap();
        if cut > 0 {
            let _ = query::snapshot(&store);
        }
        std::fs::write(&path, &bytes).unwrap();
        let (from, to) = if by_time && !drafts.is_empty() {
            let mut times = [
                drafts[points.0 % drafts.len()].occurred.clone(),
                drafts[points.1 % drafts.len()].occurred.clone(),
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
        let one_at_a_time = query::answer(&store, &from)
            .and_then(|before| query::answer(&store, &to).map(|after| (before, after)));
        let paired = query::answer_pair(&store, &from, &to)
            .map(|(before, after, _)| (before, after));
        let (expected, got) = (pair_outcome(one_at_a_time), pair_outcome(paired));
        // Both refuse, or both agree; a refusal may be the other point's.
        if expected.is_ok() || got.is_ok() {
            prop_assert_eq!(got, expected);
        }
    }
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
    let (_, _, readings) = query::answer_pair(&store, &seq(lines / 2), &seq(lines)).unwrap();
    assert_eq!(readings, query::Readings::One);
    let time = |index: usize| Query {
        as_of: Some(generator.drafts[index].occurred.clone()),
        ..Query::default()
    };
    let (_, _, readings) = query::answer_pair(&store, &time(3), &time(10)).unwrap();
    assert_eq!(readings, query::Readings::One);
    // Backwards, the points are answered one at a time.
    let (_, _, readings) = query::answer_pair(&store, &seq(lines), &seq(1)).unwrap();
    assert_eq!(readings, query::Readings::Two);
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
