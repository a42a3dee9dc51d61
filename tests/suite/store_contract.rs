//! One contract for every store behind `accord::stores::Store`: the same drafts appended to
//! the same log give the same outcome, a refused batch leaves the store as it was, a resent
//! batch is skipped, `expect_seq` is honoured, ranges read back what was appended, and a
//! follow hands over each line once as it lands. Each backend makes a store holding a given
//! log's bytes: the file store, and with the cargo feature `postgres` the PostgreSQL store
//! (a stream per store), which holds whole lines only, so the fixtures with torn or damaged
//! logs are the file store's alone.

use std::fs;

use accord::stores::file::{DraftOutcome, FileStore, StoreError, parse_drafts};
use accord::stores::{MAX_RANGE_LINES, Store};

use crate::fixture_logs::{fixtures, sibling};

/// Makes a store holding a log's bytes (files go in the directory).
type Holding = fn(&tempfile::TempDir, &[u8]) -> Option<Box<dyn Store>>;

/// A kind of store, and how to make one holding a log's bytes inside `directory`.
struct Backend {
    name: &'static str,
    /// `None` when this kind cannot hold those bytes (a torn or damaged file: a database
    /// holds whole lines only).
    holding: Holding,
}

fn backends() -> Vec<Backend> {
    vec![Backend {
        name: "file",
        holding: |directory, bytes| {
            // An empty file is an empty log; a missing one is no log at all (an error to
            // read, created by an append: `fixture_logs` covers that).
            let path = directory.path().join("log.jsonl");
            fs::write(&path, bytes).unwrap();
            Some(Box::new(FileStore::new(path)))
        },
    }]
    .into_iter()
    .chain(postgres_backend())
    .collect()
}

/// The PostgreSQL store: a stream of its own per store, in the test database of
/// `ACCORD_TEST_POSTGRES` (`.ci/postgres`); without one the contract fails, never skips.
#[cfg(feature = "postgres")]
fn postgres_backend() -> Option<Backend> {
    Some(Backend {
        name: "postgres",
        holding: |_, bytes| {
            let url = std::env::var("ACCORD_TEST_POSTGRES")
                .expect("ACCORD_TEST_POSTGRES names the test database (.ci/postgres)");
            accord::stores::postgres::init(&url).expect("the test database takes the schema");
            let stream = uuid::Uuid::new_v4().to_string();
            let store = accord::stores::postgres::PgStore::open(&url, &stream).unwrap();
            store.import(bytes).ok()?;
            Some(Box::new(store))
        },
    })
}

#[cfg(not(feature = "postgres"))]
fn postgres_backend() -> Option<Backend> {
    None
}

/// What the fixtures' `.expect` files say of an append.
fn outcome_text(outcome: &Result<accord::stores::file::AppendOutcome, StoreError>) -> String {
    match outcome {
        Ok(appended) => format!("ok {}", appended.events),
        Err(StoreError::Draft { draft, rule, .. }) => format!("draft {draft} {rule}"),
        Err(StoreError::Conflict { line, rule, .. }) => format!("line {line} {rule}"),
        Err(StoreError::Log { error, .. }) => format!("line {} {}", error.line, error.rule),
        Err(other) => format!("error {other}"),
    }
}

/// The events of the whole store, read back through `read_range`; `None` for a log that
/// cannot be read (some fixtures hold damaged logs, which appends refuse).
fn read_all(store: &dyn Store) -> Option<Vec<accord::format::event::Event>> {
    let (seq, _) = store.head().ok()?;
    if seq == 0 {
        return Some(Vec::new());
    }
    store.read_range(1..=seq).ok()
}

#[test]
fn every_store_appends_or_refuses_the_draft_fixtures_alike() {
    let mut failures = Vec::new();
    let all = fixtures("drafts", ".drafts.jsonl").len();
    // One clock for every store: the same drafts then make the same bytes in each, so the
    // same head.
    let clock = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut heads: std::collections::BTreeMap<String, (&str, accord::format::ids::Hash)> =
        Default::default();
    for backend in backends() {
        let mut held = 0;
        for drafts_path in fixtures("drafts", ".drafts.jsonl") {
            let name = format!("{} {}", backend.name, drafts_path.display());
            let directory = tempfile::tempdir().unwrap();
            let fixture_log = sibling(&drafts_path, ".drafts.jsonl", ".log.jsonl");
            let bytes = fs::read(&fixture_log).unwrap_or_default();
            let Some(store) = (backend.holding)(&directory, &bytes) else {
                continue;
            };
            held += 1;
            let before = store.head().ok();
            let events_before = read_all(store.as_ref());
            let expect =
                fs::read_to_string(sibling(&drafts_path, ".drafts.jsonl", ".expect")).unwrap();
            let outcome = parse_drafts(&fs::read(&drafts_path).unwrap())
                .and_then(|drafts| store.append_batch(&drafts, None, clock));
            let got = outcome_text(&outcome);
            if got != expect.trim() {
                failures.push(format!("{name}: got `{got}`, expected `{}`", expect.trim()));
                continue;
            }
            let after = store.head().ok();
            match &outcome {
                Err(_) => {
                    if after != before || read_all(store.as_ref()) != events_before {
                        failures.push(format!("{name}: a refused append changed the store"));
                    }
                }
                Ok(appended) => {
                    let events = read_all(store.as_ref()).unwrap_or_default();
                    let events_before = events_before.unwrap_or_default();
                    let seqs_run_on = events
                        .iter()
                        .enumerate()
                        .all(|(index, event)| event.seq == index as u64 + 1);
                    // Drafts without ids get random ones: only fixtures whose drafts all
                    // carry ids make the same bytes everywhere.
                    let fixed_ids = parse_drafts(&fs::read(&drafts_path).unwrap())
                        .unwrap()
                        .iter()
                        .all(|(_, draft)| draft.id.is_some());
                    let fixture = drafts_path.display().to_string();
                    match heads.get(&fixture).filter(|_| fixed_ids) {
                        Some((other, head)) if *head != appended.head => failures.push(format!(
                            "{name}: head {} where the {other} store's is {head}",
                            appended.head
                        )),
                        Some(_) => {}
                        None => {
                            heads.insert(fixture, (backend.name, appended.head));
                        }
                    }
                    if after != Some((appended.events, appended.head))
                        || events.len() as u64 != appended.events
                        || !seqs_run_on
                        || events[..events_before.len()] != events_before[..]
                    {
                        failures.push(format!(
                            "{name}: the store does not hold what the append reported"
                        ));
                    }
                }
            }
        }
        // Only the few fixtures whose logs are torn or damaged are left to the file store.
        assert!(
            held + 4 >= all,
            "{}: held {held} of the {all} fixtures' logs",
            backend.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_store_skips_a_resent_batch_and_honours_expect_seq() {
    let drafts_path = crate::binary::root().join("events/karabakh.drafts.jsonl");
    let drafts = parse_drafts(&fs::read(drafts_path).unwrap()).unwrap();
    let (first, rest) = drafts.split_at(10);
    let clock = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut heads = Vec::new();
    for backend in backends() {
        let directory = tempfile::tempdir().unwrap();
        let store = (backend.holding)(&directory, &[]).expect("every store holds an empty log");
        let appended = store.append_batch(first, Some(0), clock).unwrap();
        assert_eq!(appended.events, 10, "{}", backend.name);
        // Resent (a writer that did not hear back): every draft is a duplicate, nothing
        // is written, and the head stays.
        let resent = store.append_batch(first, None, clock).unwrap();
        assert!(
            resent
                .drafts
                .iter()
                .all(|draft| matches!(draft, DraftOutcome::Duplicate { .. })),
            "{}",
            backend.name
        );
        assert_eq!(store.head().unwrap(), (10, appended.head));
        // A stale expected seq is refused whole; the right one goes through.
        let stale = store.append_batch(rest, Some(9), clock);
        assert!(
            matches!(
                stale,
                Err(StoreError::ExpectSeq {
                    expected: 9,
                    actual: 10,
                    ..
                })
            ),
            "{}: {stale:?}",
            backend.name
        );
        assert_eq!(store.head().unwrap(), (10, appended.head));
        let all = store.append_batch(rest, Some(10), clock).unwrap();
        assert_eq!(all.events as usize, drafts.len());
        heads.push((backend.name, all.head));
        // Ranges: a part, past the end (fewer), too long (refused).
        let part = store.read_range(3..=5).unwrap();
        assert_eq!(
            part.iter().map(|event| event.seq).collect::<Vec<_>>(),
            [3, 4, 5]
        );
        let past_end = store.read_range(all.events - 1..=all.events + 5).unwrap();
        assert_eq!(past_end.len(), 2);
        assert!(matches!(
            store.read_range(1..=MAX_RANGE_LINES + 1),
            Err(StoreError::RangeTooLong { .. })
        ));
    }
    // The same drafts at the same clock: the same lines, so the same hash chain, in every
    // store.
    assert!(
        heads.windows(2).all(|pair| pair[0].1 == pair[1].1),
        "{heads:?}"
    );
}

#[test]
fn every_store_follows_each_line_once_as_it_lands() {
    let drafts = |parties: &[&str]| {
        let lines: Vec<String> = parties
            .iter()
            .map(|party| {
                format!(
                    r#"{{"type":"party.joined","occurred":"2020-01-01T00:00:00Z","data":{{"party":"{party}","name":"{party}","role":"party"}}}}"#
                )
            })
            .collect();
        parse_drafts(lines.join("\n").as_bytes()).unwrap()
    };
    let clock = chrono::Utc::now();
    for backend in backends() {
        let directory = tempfile::tempdir().unwrap();
        let store = (backend.holding)(&directory, b"").unwrap();
        store
            .append_batch(&drafts(&["A", "B"]), None, clock)
            .unwrap();
        let seen = std::thread::scope(|scope| {
            let follower = scope.spawn(|| {
                let mut seqs = Vec::new();
                store
                    .follow(2, &mut |event| {
                        seqs.push(event.seq);
                        seqs.len() < 4
                    })
                    .map(|()| seqs)
            });
            store.append_batch(&drafts(&["C"]), None, clock).unwrap();
            store
                .append_batch(&drafts(&["D", "E"]), None, clock)
                .unwrap();
            follower.join().unwrap()
        });
        assert_eq!(seen.unwrap(), [2, 3, 4, 5], "{}", backend.name);
    }
}
