//! Properties of the ledger over generated valid move sequences (see `common/mod.rs`).

use crate::common;

use std::fs;

use accord::fold::state::StateDocument;
use accord::fold::{self, application_order};
use accord::format::event::Draft;
use accord::format::ids::Hash;
use accord::reading::log::{Log, Prefix};
use accord::stores::file::{FileStore, parse_drafts};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

use common::{Generator, Step, seal, step_strategy};

fn generated(steps: &[Step], allow_ties: bool) -> Vec<Draft> {
    let mut generator = Generator::new(1, allow_ties);
    generator.run(steps);
    generator.drafts
}

fn state_json(bytes: &[u8]) -> String {
    let (log, folded) = accord::fold::verify_log(bytes).expect("a generated log verifies");
    StateDocument::new(&folded, log.len(), log.head()).to_json()
}

/// A state with every `seq` inside it replaced by the id of the event at that seq, and the
/// prefix's own `seq` and `head` removed: what two logs of the same events in different file
/// orders must agree on.
fn state_by_event_ids(bytes: &[u8]) -> Value {
    let (log, folded) = accord::fold::verify_log(bytes).expect("the log verifies");
    let mut value: Value =
        serde_json::from_str(&StateDocument::new(&folded, log.len(), log.head()).to_json())
            .unwrap();
    fn replace(value: &mut Value, log: &Log) {
        match value {
            Value::Object(object) => {
                for (key, inner) in object.iter_mut() {
                    if key == "seq"
                        && let Some(seq) = inner.as_u64()
                    {
                        *inner = Value::String(log.events[seq as usize - 1].id.to_string());
                    } else {
                        replace(inner, log);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| replace(item, log)),
            _ => {}
        }
    }
    let object = value.as_object_mut().unwrap();
    object.remove("seq");
    object.remove("head");
    replace(&mut value, &log);
    value
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_log_folds_to_the_same_bytes_on_every_replay(steps in prop::collection::vec(step_strategy(), 1..150)) {
        let bytes = seal(&generated(&steps, true));
        let first = state_json(&bytes);
        let second = state_json(&bytes.clone());
        prop_assert_eq!(&first, &second);
        // Through the file store as well.
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log.jsonl");
        fs::write(&path, &bytes).unwrap();
        let reread = FileStore::new(&path).read_bytes().unwrap();
        prop_assert_eq!(first, state_json(&reread));
    }

    #[test]
    fn every_prefix_in_application_order_is_a_valid_state(steps in prop::collection::vec(step_strategy(), 1..120)) {
        let bytes = seal(&generated(&steps, true));
        let log = Log::read(&bytes, &Prefix::default()).unwrap();
        let order = application_order(&log.events);
        let mut running = fold::Folded::default();
        for (count, index) in order.iter().enumerate() {
            running.apply(&log.events[*index]).unwrap();
            // The state as of that event's time is exactly the fold of the events up to it
            // (and of those that share its instant, which fold in seq order after it).
            let as_of = log.events[*index].occurred.as_point().expect("a point");
            let fresh = fold::fold(&log.events, Some(as_of)).unwrap();
            let sharing = order[count + 1..].iter().take_while(|later| log.events[**later].occurred.start() == as_of.instant()).count();
            prop_assert_eq!(fresh.events, (count + 1 + sharing) as u64);
            if sharing == 0 {
                prop_assert_eq!(&fresh, &running);
            }
        }
    }

    #[test]
    fn a_backfilled_append_gives_the_state_of_appending_in_world_order(
        steps in prop::collection::vec(step_strategy(), 1..60),
        shuffle_seed in any::<u64>(),
    ) {
        let drafts = generated(&steps, false);
        prop_assume!(!drafts.is_empty());
        let clock = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let directory = tempfile::tempdir().unwrap();

        let in_order = FileStore::new(directory.path().join("in-order.jsonl"));
        for draft in &drafts {
            in_order.append(&[(1, draft.clone())], None, clock).unwrap();
        }

        // Append in a shuffled order, one draft at a time; a draft the log cannot take yet
        // waits and is tried again after the next success; what is left goes in one batch.
        let mut pending: Vec<Draft> = drafts.clone();
        let mut random = shuffle_seed;
        for index in (1..pending.len()).rev() {
            random = random.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            pending.swap(index, (random >> 33) as usize % (index + 1));
        }
        let shuffled = FileStore::new(directory.path().join("shuffled.jsonl"));
        let mut progress = true;
        while progress && !pending.is_empty() {
            progress = false;
            let mut waiting = Vec::new();
            for draft in pending {
                if shuffled.append(&[(1, draft.clone())], None, clock).is_ok() {
                    progress = true;
                } else {
                    waiting.push(draft);
                }
            }
            pending = waiting;
        }
        if !pending.is_empty() {
            let batch: Vec<(usize, Draft)> = pending.into_iter().enumerate().collect();
            shuffled.append(&batch, None, clock).unwrap();
        }

        let expected = state_by_event_ids(&in_order.read_bytes().unwrap());
        let got = state_by_event_ids(&shuffled.read_bytes().unwrap());
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn changing_any_byte_is_caught_by_verify_or_by_the_pinned_head(
        steps in prop::collection::vec(step_strategy(), 1..60),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let bytes = seal(&generated(&steps, true));
        prop_assume!(!bytes.is_empty());
        let (original, _) = accord::fold::verify_log(&bytes).unwrap();
        let pinned = original.head();
        let offset = position.index(bytes.len());
        prop_assume!(bytes[offset] != replacement);
        let mut tampered = bytes.clone();
        tampered[offset] = replacement;
        let last_line_start = bytes[..bytes.len() - 1].iter().rposition(|byte| *byte == b'\n').map_or(0, |at| at + 1);
        match accord::fold::verify_log(&tampered) {
            Err(_) => {}
            Ok((log, _)) => {
                // Only a change in the last line can still verify; the pinned head catches it.
                prop_assert!(offset >= last_line_start, "a change at byte {} before the last line verified", offset);
                prop_assert!(!log.line_hashes.contains(&pinned));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = accord::fold::verify_log(&bytes);
        let _ = parse_drafts(&bytes);
    }

    #[test]
    fn mutated_logs_never_panic_and_always_name_a_rule(
        steps in prop::collection::vec(step_strategy(), 1..40),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = seal(&generated(&steps, true));
        mutate(&mut bytes, &edits);
        if let Err(error) = accord::fold::verify_log(&bytes) {
            // The line named is one of the file's (a torn last line counts), and the message
            // a user reads starts with that line and the rule.
            let newlines = bytes.iter().filter(|byte| **byte == b'\n').count();
            let lines = newlines + usize::from(bytes.last().is_some_and(|byte| *byte != b'\n'));
            prop_assert!(
                error.line >= 1 && error.line as usize <= lines,
                "line {} of {}", error.line, lines
            );
            let message = error.to_string();
            let expected_start = format!("line {}: {}: ", error.line, error.rule.name());
            prop_assert!(message.starts_with(&expected_start), "{}", message);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_drafts(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_drafts_never_panic_and_always_name_a_rule(
        steps in prop::collection::vec(step_strategy(), 1..30),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut generator = Generator::new(1, true);
        generator.run(&steps);
        let mut bytes = common::draft_lines(&generator.drafts).into_bytes();
        mutate(&mut bytes, &edits);
        if let Err(error) = parse_drafts(&bytes) {
            prop_assert!(error.rule().is_some(), "{}", error);
        }
    }
}

/// Applies edits: (where, byte, 0 to replace / 1 to insert / 2 to remove).
fn mutate(bytes: &mut Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) {
    for (position, byte, kind) in edits {
        if bytes.is_empty() {
            bytes.push(*byte);
            continue;
        }
        let at = position.index(bytes.len());
        match kind {
            0 => bytes[at] = *byte,
            1 => bytes.insert(at, *byte),
            _ => {
                bytes.remove(at);
            }
        }
    }
}

#[test]
fn the_head_of_an_empty_log_is_all_zeros() {
    let (log, _) = accord::fold::verify_log(b"").unwrap();
    assert_eq!(log.head(), Hash::ZERO);
}
