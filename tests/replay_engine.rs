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
