//! Appends read the log's tail from a checked checkpoint (`LOG.tail`) instead of the whole
//! log. These tests hold it to the same answers as a full replay: across other writers,
//! after a repair, when the checkpoint is damaged, stale or forged in its state.

use std::fs;

use accord::format::event::Draft;
use accord::stores::file::{Appender, FileStore, parse_drafts};
use chrono::{TimeZone, Utc};

fn clock() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn draft(text: &str) -> Vec<(usize, Draft)> {
    parse_drafts(text.as_bytes()).unwrap()
}

fn statement(day: u32, number: u64) -> Vec<(usize, Draft)> {
    draft(&format!(
        r#"{{"type":"statement.made","occurred":"2021-01-{day:02}T00:00:00Z","data":{{"by":"A","kind":"claim","text":"said {number}"}}}}"#
    ))
}

/// A log of two parties and `count` statements, appended one at a time, with the tail
/// checkpoint that goes with it.
fn log_with_statements(directory: &std::path::Path, count: u64) -> FileStore {
    let store = FileStore::new(directory.join("log.jsonl"));
    for party in ["A", "B"] {
        store
            .append(
                &draft(&format!(
                    r#"{{"type":"party.joined","occurred":"2021-01-01T00:00:00Z","data":{{"party":"{party}","name":"{party}","role":"party"}}}}"#
                )),
                None,
                clock(),
            )
            .unwrap();
    }
    let mut appender = Appender::new(&store);
    for number in 0..count {
        appender
            .append(&statement(2, number), None, clock())
            .unwrap();
    }
    store
}

/// The state a full replay gives, as the state document's bytes.
fn replayed_state(store: &FileStore) -> String {
    let bytes = fs::read(store.path()).unwrap();
    let (log, folded) = accord::fold::verify_log(&bytes).unwrap();
    accord::fold::state::StateDocument::new(&folded, log.len(), log.head()).to_json()
}

fn held_state(appender: &Appender<'_>) -> String {
    let tail = appender.tail().unwrap();
    accord::fold::state::StateDocument::new(&tail.folded, tail.position.seq, tail.position.head)
        .to_json()
}

#[test]
fn a_held_appender_catches_up_with_other_writers_and_matches_a_full_replay() {
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 1_100);
    assert!(
        store.tail_checkpoint_path().exists(),
        "1,000 lines write a checkpoint"
    );
    let mut mine = Appender::new(&store);
    mine.append(&statement(3, 1), None, clock()).unwrap();
    // Another writer, through its own appender, then a backfill through the store.
    Appender::new(&store)
        .append(&statement(4, 2), None, clock())
        .unwrap();
    store.append(&statement(2, 3), None, clock()).unwrap();
    mine.append(&statement(5, 4), None, clock()).unwrap();
    assert_eq!(held_state(&mine), replayed_state(&store));
    let outcome = store
        .append(&statement(6, 5), Some(1_106), clock())
        .unwrap();
    assert_eq!(outcome.events, 1_107);
}

#[test]
fn a_checkpoint_that_no_longer_describes_the_log_is_rebuilt_not_believed() {
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 1_000);
    let checkpoint = store.tail_checkpoint_path();
    let good = fs::read(&checkpoint).unwrap();

    // Its state edited: the state checksum no longer holds.
    let forged = String::from_utf8(good.clone())
        .unwrap()
        .replace(r#""name":"B""#, r#""name":"Z""#);
    assert_ne!(forged.as_bytes(), &good[..]);
    fs::write(&checkpoint, forged).unwrap();
    let mut appender = Appender::new(&store);
    appender.append(&statement(3, 1), None, clock()).unwrap();
    assert_eq!(held_state(&appender), replayed_state(&store));

    // A checkpoint of another log of the same length: its line does not hash to its head.
    let other = tempfile::tempdir().unwrap();
    let other_store = log_with_statements(other.path(), 1_000);
    other_store.append(&statement(9, 7), None, clock()).unwrap();
    fs::copy(other_store.tail_checkpoint_path(), &checkpoint).unwrap();
    let mut appender = Appender::new(&store);
    appender.append(&statement(3, 2), None, clock()).unwrap();
    assert_eq!(held_state(&appender), replayed_state(&store));

    // Cut short.
    fs::write(&checkpoint, &good[..good.len() / 2]).unwrap();
    let mut appender = Appender::new(&store);
    appender.append(&statement(3, 3), None, clock()).unwrap();
    assert_eq!(held_state(&appender), replayed_state(&store));
}

#[test]
fn a_resent_draft_with_its_id_is_found_before_the_checkpoint() {
    let directory = tempfile::tempdir().unwrap();
    let store = FileStore::new(directory.path().join("log.jsonl"));
    let joined = r#"{"type":"party.joined","id":"00000000-0000-4000-8000-000000000001","occurred":"2021-01-01T00:00:00Z","data":{"party":"A","name":"A","role":"party"}}"#;
    store.append(&draft(joined), None, clock()).unwrap();
    let mut appender = Appender::new(&store);
    for number in 0..1_000 {
        appender
            .append(&statement(2, number), None, clock())
            .unwrap();
    }
    assert!(store.tail_checkpoint_path().exists());
    let outcome = store.append(&draft(joined), None, clock()).unwrap();
    assert_eq!(
        outcome.events, 1_001,
        "the resent draft is a duplicate of line 1"
    );
    let changed = joined.replace(r#""name":"A""#, r#""name":"Other""#);
    let error = store.append(&draft(&changed), None, clock()).unwrap_err();
    assert!(
        error.to_string().contains("already in the log at line 1"),
        "{error}"
    );
}

#[test]
fn the_file_store_through_the_store_trait_reads_ranges_appends_after_a_seq_and_gives_its_head() {
    use accord::stores::{MAX_RANGE_LINES, Store, StoreError};
    let directory = tempfile::tempdir().unwrap();
    let file_store = log_with_statements(directory.path(), 5);
    let store: &dyn Store = &file_store;
    let (seq, head) = store.head().unwrap();
    assert_eq!(seq, 7);
    let range = store.read_range(3..=5).unwrap();
    assert_eq!(
        range.iter().map(|event| event.seq).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    // A range past the end stops at the last line.
    assert_eq!(store.read_range(6..=100).unwrap().len(), 2);
    assert!(matches!(
        store.read_range(1..=MAX_RANGE_LINES + 1),
        Err(StoreError::RangeTooLong { .. })
    ));
    // A stale expected seq writes nothing; the right one appends.
    assert!(
        store
            .append_batch(&statement(3, 99), Some(6), clock())
            .is_err()
    );
    assert_eq!(store.head().unwrap(), (seq, head));
    store
        .append_batch(&statement(3, 99), Some(7), clock())
        .unwrap();
    assert_eq!(store.head().unwrap().0, 8);
    assert_eq!(store.read_range(8..=8).unwrap()[0].prev, head);
}

fn correction(target: u64, text: &str) -> Vec<(usize, Draft)> {
    correction_at(target, text, "2021-01-02T00:00:00Z")
}

fn correction_at(target: u64, text: &str, occurred: &str) -> Vec<(usize, Draft)> {
    draft(&format!(
        r#"{{"type":"event.corrected","occurred":"2026-06-01T00:00:00Z","data":{{"target":{target},"reason":"sources","replacement":{{"type":"statement.made","occurred":"{occurred}","data":{{"by":"A","kind":"claim","text":"{text}"}}}}}},"source":"a second reading"}}"#
    ))
}

/// Replaces the first `from` by `to` (of the same length) in the log's bytes.
fn tamper(store: &FileStore, from: &str, to: &str) {
    assert_eq!(from.len(), to.len());
    let text = fs::read_to_string(store.path()).unwrap();
    assert!(text.contains(from), "{from}");
    fs::write(store.path(), text.replacen(from, to, 1)).unwrap();
}

// A correction that leaves a line's fold as it is (new sources, a reason) lands without a
// replay of the log: the line is found by bisection and believed through the next line's
// `prev`. Each answer is a full replay's, and the tail checkpoint is written after it.
#[test]
fn a_correction_that_changes_no_fold_lands_from_the_tail_and_a_full_replay_agrees() {
    let directory = tempfile::tempdir().unwrap();
    // 3,000 lines of about 300 bytes: the bisection probes before it reads lines in turn.
    let store = log_with_statements(directory.path(), 3_000);
    let lines = 3_002;
    // Line 10 damaged where no append of a line after it reads: a replay would refuse the
    // log, so an append that lands read only the tail and the lines it names.
    tamper(&store, "\"said 7\"", "\"said X\"");
    let mut appender = Appender::new(&store);
    appender
        .append(&correction(1_500, "said 1497"), None, clock())
        .unwrap();
    assert_eq!(
        store.read_tail_checkpoint().unwrap().header.seq,
        lines + 1,
        "a checkpoint after the correction"
    );
    // The same again: compared with the last word, not the line as written.
    appender
        .append(&correction(1_500, "said 1497"), None, clock())
        .unwrap();
    tamper(&store, "\"said X\"", "\"said 7\"");
    assert_eq!(held_state(&appender), replayed_state(&store));
    // A correction that changes the line is replayed, and so is one back to what it said.
    for text in ["said otherwise", "said 1497"] {
        let mut appender = Appender::new(&store);
        appender
            .append(&correction(1_500, text), None, clock())
            .unwrap();
        assert_eq!(held_state(&appender), replayed_state(&store));
    }
    // The corrected line changed on disk: what it folds is the last word's, which the new
    // correction repeats, but the next line's `prev` no longer names it, so the append
    // reads the log, which refuses it.
    tamper(&store, "\"said 1497\"", "\"said 1496\"");
    let before = fs::read(store.path()).unwrap();
    let refused = Appender::new(&store).append(&correction(1_500, "said 1497"), None, clock());
    assert!(
        refused.is_err(),
        "a line that does not chain is not believed"
    );
    assert_eq!(fs::read(store.path()).unwrap(), before, "nothing landed");
}

// A correction that changes a recent line replays the lines after the previous tail
// checkpoint (kept 1,000 to 2,000 lines behind the tail), not the log.
#[test]
fn a_correction_of_a_recent_line_replays_from_the_previous_tail_checkpoint() {
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 3_000);
    let previous = store.read_previous_tail_checkpoint().unwrap().header.seq;
    let tail = store.read_tail_checkpoint().unwrap().header.seq;
    assert!(
        previous + 1_000 <= tail && tail <= 3_002,
        "{previous} {tail}"
    );
    // Damaged where only a replay from the first line reads.
    tamper(&store, "\"said 7\"", "\"said X\"");
    let mut appender = Appender::new(&store);
    appender
        .append(&correction(previous + 10, "said otherwise"), None, clock())
        .unwrap();
    let refused =
        Appender::new(&store).append(&correction(previous - 10, "said so"), None, clock());
    assert!(
        refused.is_err(),
        "a line before it is replayed from the first line"
    );
    tamper(&store, "\"said X\"", "\"said 7\"");
    assert_eq!(held_state(&appender), replayed_state(&store));
    let mut appender = Appender::new(&store);
    appender
        .append(&correction(previous - 10, "said so"), None, clock())
        .unwrap();
    assert_eq!(held_state(&appender), replayed_state(&store));
    // A recent line moved back before every line the previous checkpoint folded: the
    // replay starts before them.
    let moved_back = correction_at(previous + 20, "said earlier", "2021-01-01");
    let mut appender = Appender::new(&store);
    appender.append(&moved_back, None, clock()).unwrap();
    assert_eq!(held_state(&appender), replayed_state(&store));
}

// A correction already in the log moved a recent line back before what the previous tail
// checkpoint folded: a later correction of a recent line gives that start up for an older
// one (a snapshot), never for the first line unless nothing else fits.
#[test]
fn a_start_a_correction_reaches_behind_gives_way_to_an_older_one() {
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 1_000);
    accord::stores::file::snapshot(&store).unwrap();
    let mut appender = Appender::new(&store);
    for number in 0..2_500 {
        appender
            .append(&statement(3, number), None, clock())
            .unwrap();
    }
    let previous = store.read_previous_tail_checkpoint().unwrap().header.seq;
    assert!(previous > 1_002, "{previous}");
    tamper(&store, "\"said 7\"", "\"said X\"");
    // Day 3 to the noon of day 2: after all the snapshot folded, before the checkpoint.
    let moved_back = correction_at(previous + 10, "said earlier", "2021-01-02T12:00:00Z");
    let mut appender = Appender::new(&store);
    appender.append(&moved_back, None, clock()).unwrap();
    let changed = correction_at(previous + 30, "said otherwise", "2021-01-03T00:00:00Z");
    appender.append(&changed, None, clock()).unwrap();
    tamper(&store, "\"said X\"", "\"said 7\"");
    assert_eq!(held_state(&appender), replayed_state(&store));
}

// Post-mortem: one correction of an old line that changed no fold (new sources) made every
// later query and correction replay the whole log, since each snapshot lay after the line
// it corrected. A start now stands when the last words behind it fold what it folded.
#[test]
fn a_snapshot_stands_after_a_correction_that_leaves_its_fold_as_it_was() {
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 1_000);
    let snapshot = accord::stores::file::snapshot(&store).unwrap().unwrap();
    let at = snapshot.answer.seq;
    let mut appender = Appender::new(&store);
    appender
        .append(&correction(500, "said 497"), None, clock())
        .unwrap();
    let whole = accord::stores::query::Query::default();
    let answer = accord::stores::file::answer(&store, &whole).unwrap();
    assert_eq!(answer.snapshot, Some(at), "{:?}", answer.warnings);
    assert_eq!(answer.lines_read, 1);
    // A correction that changes the line: the snapshot no longer stands for it.
    appender
        .append(&correction(600, "said otherwise"), None, clock())
        .unwrap();
    let answer = accord::stores::file::answer(&store, &whole).unwrap();
    assert_eq!(answer.snapshot, None);
    let document = accord::fold::state::StateDocument::new(&answer.folded, answer.seq, answer.head);
    assert_eq!(document.to_json(), replayed_state(&store));
}

// `correct --occurred` keeps what a line says now: found by bisection on a file (the tail
// names the last words), by reading the log otherwise; the two agree on every line of the
// Karabakh log, whose corrections and retractions include lines corrected twice.
#[test]
fn a_time_correction_keeps_the_last_word_whether_bisected_or_read() {
    use accord::front::corrections::with_time;
    use accord::front::target::Target;
    let log = crate::binary::shipped_karabakh();
    let bytes = std::fs::read(&log).unwrap();
    let lines = bytes.iter().filter(|byte| **byte == b'\n').count() as u64;
    let directory = tempfile::tempdir().unwrap();
    let copy = directory.path().join("karabakh.jsonl");
    std::fs::copy(&log, &copy).unwrap();
    // Line 24's text corrected, so that its last word says something the line does not.
    let line: serde_json::Value =
        serde_json::from_slice(bytes.split(|byte| *byte == b'\n').nth(23).unwrap()).unwrap();
    assert_eq!(line["seq"], 24);
    let mut data = line["data"].clone();
    data["text"] = serde_json::json!("a corrected text");
    let replacement = accord::front::corrections::parse_replacement(
        &serde_json::json!({"type": line["type"], "occurred": line["occurred"], "data": data})
            .to_string(),
    )
    .unwrap();
    let correction = accord::front::corrections::correction(
        24,
        "the text as the source gives it",
        replacement,
        None,
        &accord::format::time::Timestamp::recorded_now(clock()),
    );
    FileStore::new(&copy)
        .append(&[(1, correction)], None, clock())
        .unwrap();
    let lines = lines + 1;
    let bisected = Target::File(copy.clone());
    let read = Target::Once(copy);
    let when = accord::format::world_time::WorldTime::parse("2021-01").unwrap();
    let mut told_apart = 0;
    for seq in 1..=lines + 1 {
        let fast = with_time(&bisected, seq, when.clone()).map_err(|refusal| refusal.to_string());
        let slow = with_time(&read, seq, when.clone()).map_err(|refusal| refusal.to_string());
        match (&fast, &slow) {
            (Ok(fast), Ok(slow)) => assert_eq!(fast, slow, "line {seq}"),
            (Err(_), Err(_)) => told_apart += 1,
            _ => panic!("line {seq}: {fast:?} against {slow:?}"),
        }
    }
    assert!(
        told_apart >= 2,
        "corrections, a retraction and the line past the end refuse"
    );
    let kept = with_time(&bisected, 24, when).unwrap();
    assert!(
        serde_json::to_string(&kept.data)
            .unwrap()
            .contains("a corrected text")
    );
}

/// A statement that carries its own id.
fn statement_with_id(number: u64, text: &str) -> Vec<(usize, Draft)> {
    draft(&format!(
        r#"{{"id":"00000000-0000-4000-8000-{number:012}","type":"statement.made","occurred":"2021-01-03T00:00:00Z","data":{{"by":"A","kind":"claim","text":"{text}"}}}}"#
    ))
}

/// An appender that remembers the log's ids (as an import's does) finds a draft's id in a
/// line it wrote itself, in a line that was there before it, and in a line another writer
/// added meanwhile: the same outcomes as an appender that reads the log for them.
#[test]
fn an_appender_remembering_ids_knows_every_line_s_id() {
    use accord::stores::file::DraftOutcome;
    let directory = tempfile::tempdir().unwrap();
    let store = log_with_statements(directory.path(), 3);
    store
        .append(&statement_with_id(1, "before"), None, clock())
        .unwrap();
    let mut remembering = Appender::remembering_ids(&store);
    let duplicate = |outcome: &accord::stores::file::AppendOutcome| {
        matches!(outcome.drafts[0], DraftOutcome::Duplicate { .. })
    };
    // A line that was there before the appender: found in its first reading of the ids.
    let outcome = remembering
        .append(&statement_with_id(1, "before"), None, clock())
        .unwrap();
    assert!(duplicate(&outcome));
    let outcome = remembering
        .append(&statement_with_id(2, "mine"), None, clock())
        .unwrap();
    assert!(!duplicate(&outcome));
    // A line it wrote itself, with the same content and with another.
    let outcome = remembering
        .append(&statement_with_id(2, "mine"), None, clock())
        .unwrap();
    assert!(duplicate(&outcome));
    let refused = remembering.append(&statement_with_id(2, "changed"), None, clock());
    assert!(refused.is_err(), "{refused:?}");
    // Another writer's line, after the appender's last append.
    store
        .append(&statement_with_id(3, "theirs"), None, clock())
        .unwrap();
    let outcome = remembering
        .append(&statement_with_id(3, "theirs"), None, clock())
        .unwrap();
    assert!(duplicate(&outcome));
    let refused = remembering.append(&statement_with_id(3, "changed"), None, clock());
    assert!(refused.is_err(), "{refused:?}");
}
