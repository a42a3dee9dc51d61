//! The entity index (`LOG.index`) against the log it describes: for every log shipped and
//! every fixture, every entity's history and state from the index are those the log folds
//! to; an index that no longer describes its log (grown, edited, damaged) is not believed,
//! and the front door answers from the log and writes the index again.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use accord::front::Target;
use accord::reading::log::{Log, Prefix};
use accord::replay::BytesSource;
use accord::stores::file::index::{Index, IndexProblem, write_index};
use accord::stores::file::{FileStore, parse_drafts};
use accord::views::history::{EntityRef, HistoryEntry, stream_history};
use chrono::{TimeZone, Utc};

/// A history as plain values: the count, then each entry's seq, how it is told and its
/// views.
pub type Told = (
    u64,
    Vec<(u64, String, serde_json::Value, serde_json::Value)>,
);

fn plain(entry: &HistoryEntry<'_>) -> (u64, String, serde_json::Value, serde_json::Value) {
    (
        entry.event.seq,
        format!("{:?}", entry.told),
        entry.before.clone(),
        entry.after.clone(),
    )
}

/// The history the log itself tells, streamed.
pub fn told_by_log(bytes: &[u8], entity: &EntityRef) -> Told {
    let mut entries = Vec::new();
    let named = stream_history(&BytesSource(bytes), entity, |_, entry| {
        entries.push(plain(&entry));
        true
    })
    .expect("the log folds");
    (named, entries)
}

/// The history the index of `store` tells.
pub fn told_by_index(store: &FileStore, entity: &EntityRef) -> Result<Told, IndexProblem> {
    let log = store.open_shared().unwrap();
    let index = Index::open(store, &log)?;
    let mut entries = Vec::new();
    let named = index.history(entity, |_, entry| {
        entries.push(plain(&entry));
        true
    })?;
    Ok((named, entries))
}

/// Every entity a log's lines name, and one no line names.
pub fn entities_of(bytes: &[u8]) -> Vec<EntityRef> {
    let log = Log::read(bytes, &Prefix::default()).unwrap();
    let mut entities: Vec<EntityRef> = Vec::new();
    for event in &log.events {
        for entity in EntityRef::named_by(&event.data) {
            if !entities.contains(&entity) {
                entities.push(entity);
            }
        }
    }
    entities.push(EntityRef::parse("party:NOBODY-NAMES-ME").unwrap());
    entities
}

/// Indexes a copy of `bytes` in `directory` and holds every entity's history and view from
/// the index to what the log tells.
pub fn index_tells_what_the_log_tells(directory: &Path, bytes: &[u8], name: &str) {
    let path = directory.join(name);
    fs::write(&path, bytes).unwrap();
    let store = FileStore::new(&path);
    let written = write_index(&store).unwrap();
    let log = Log::read(bytes, &Prefix::default()).unwrap();
    assert_eq!(written.seq, log.len(), "{name}");
    let state = accord::fold::fold(&log.events, None).unwrap().state;
    let entities = entities_of(bytes);
    for entity in &entities {
        for event in &log.events {
            let listed = EntityRef::named_by(&event.data).contains(entity);
            assert_eq!(
                listed,
                entity.is_named_by(&event.data),
                "{name}: line {} and {entity}: named_by and is_named_by disagree",
                event.seq
            );
        }
        assert_eq!(
            told_by_index(&store, entity).unwrap(),
            told_by_log(bytes, entity),
            "{name}: {entity}"
        );
        let log_file = store.open_shared().unwrap();
        let view = Index::open(&store, &log_file)
            .unwrap()
            .view(entity)
            .unwrap();
        let expected = entity.view(&state);
        assert_eq!(
            view.filter(|view| !view.is_null()),
            (!expected.is_null()).then_some(expected),
            "{name}: the view of {entity}"
        );
    }
}

fn shipped_and_fixture_logs() -> Vec<PathBuf> {
    let root = crate::binary::root();
    let mut paths = crate::fixture_logs::fixtures("valid", ".jsonl");
    paths.push(root.join("events/karabakh.jsonl"));
    paths.push(root.join("tests/fixtures/karabakh-v1.jsonl"));
    paths
}

#[test]
fn every_history_and_view_from_the_index_is_the_logs_own() {
    let directory = tempfile::tempdir().unwrap();
    for path in shipped_and_fixture_logs() {
        let bytes = fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        index_tells_what_the_log_tells(directory.path(), &bytes, &name);
    }
}

fn clock() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

/// The Karabakh log copied into a directory, indexed.
fn indexed_karabakh(directory: &Path) -> FileStore {
    let path = directory.join("karabakh.jsonl");
    fs::copy(crate::binary::root().join("events/karabakh.jsonl"), &path).unwrap();
    let store = FileStore::new(&path);
    write_index(&store).unwrap();
    store
}

/// The history the front door tells, with its warnings.
fn told_by_front_door(store: &FileStore, entity: &EntityRef) -> (Told, Vec<String>) {
    let target = Target::File(store.path().to_path_buf());
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    let (named, stale) = accord::front::entities::history(&target, entity, |_, entry| {
        entries.push(plain(&entry));
        true
    })
    .unwrap();
    if let Some(stale) = stale {
        stale.write_again(&target, &mut |warning| warnings.push(warning.to_string()));
    }
    ((named, entries), warnings)
}

#[test]
fn a_grown_log_is_answered_from_itself_and_its_index_written_again() {
    let directory = tempfile::tempdir().unwrap();
    let store = indexed_karabakh(directory.path());
    let russia = EntityRef::parse("party:RUS").unwrap();
    let (_, warnings) = told_by_front_door(&store, &russia);
    assert!(warnings.is_empty(), "{warnings:?}");
    let statement = parse_drafts(
        br#"{"type":"statement.made","occurred":"2021-06-01","data":{"by":"RUS","kind":"claim","text":"A later word."}}"#,
    )
    .unwrap();
    store.append(&statement, None, clock()).unwrap();
    assert!(matches!(
        told_by_index(&store, &russia),
        Err(IndexProblem::OtherLength { .. })
    ));
    let bytes = fs::read(store.path()).unwrap();
    let (told, warnings) = told_by_front_door(&store, &russia);
    assert_eq!(told, told_by_log(&bytes, &russia));
    assert!(
        warnings.len() == 1 && warnings[0].contains("written again"),
        "{warnings:?}"
    );
    // Written again, the index describes the grown log and tells the new line.
    assert_eq!(told_by_index(&store, &russia).unwrap(), told);
    let (_, warnings) = told_by_front_door(&store, &russia);
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// Flips one byte of the index at `offset` from its end.
fn flip_from_end(path: &Path, from_end: usize) {
    let mut bytes = fs::read(path).unwrap();
    let at = bytes.len() - from_end;
    bytes[at] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_index_is_not_believed() {
    let directory = tempfile::tempdir().unwrap();
    let store = indexed_karabakh(directory.path());
    let index_path = store.index_path();
    let original = fs::read(&index_path).unwrap();
    let armenia = EntityRef::parse("party:ARM").unwrap();
    let bytes = fs::read(store.path()).unwrap();
    // The header (a digit of its checksum's neighbour, the last line's end), a block (the
    // middle of the file) and the line table (just after the magic line): each is found out.
    let header_at = original.len() - 40;
    for (at, what) in [
        (header_at, "header"),
        (original.len() / 2, "block"),
        (30, "line table"),
    ] {
        fs::write(&index_path, &original).unwrap();
        flip_from_end(&index_path, original.len() - at);
        // The entity whose reading meets the flipped byte (any entity, for the header; the
        // one whose block or line it is, otherwise).
        let entities = entities_of(&bytes);
        let (entity, problem) = entities
            .iter()
            .find_map(|entity| {
                told_by_index(&store, entity)
                    .err()
                    .map(|problem| (entity.clone(), problem))
            })
            .expect(what);
        assert!(
            !matches!(problem, IndexProblem::Absent),
            "{what}: {problem}"
        );
        let expected = told_by_log(&bytes, &entity);
        let (told, warnings) = told_by_front_door(&store, &entity);
        assert_eq!(told, expected, "{what}");
        assert_eq!(warnings.len(), 1, "{what}: {warnings:?}");
        assert_eq!(told_by_index(&store, &entity).unwrap(), expected, "{what}");
    }
    // Cut short, or not an index at all.
    for cut in [original.len() - 1, 10, 0] {
        fs::write(&index_path, &original[..cut]).unwrap();
        assert!(told_by_index(&store, &armenia).is_err(), "cut at {cut}");
        let (told, _) = told_by_front_door(&store, &armenia);
        assert_eq!(told, told_by_log(&bytes, &armenia), "cut at {cut}");
    }
}

#[test]
fn a_line_edited_in_place_is_not_told_from_the_index() {
    let directory = tempfile::tempdir().unwrap();
    let store = indexed_karabakh(directory.path());
    let mut bytes = fs::read(store.path()).unwrap();
    // A letter of the first statement's text, the length unchanged: the log no longer
    // verifies, and the index must not tell the edited line as the line it recorded.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.find("\"text\":\"").unwrap() + 8;
    bytes[at] = if bytes[at] == b'X' { b'Y' } else { b'X' };
    fs::write(store.path(), &bytes).unwrap();
    let line = text[..at].matches('\n').count() as u64 + 1;
    let log = Log::read(
        &fs::read(crate::binary::root().join("events/karabakh.jsonl")).unwrap()[..],
        &Prefix::default(),
    )
    .unwrap();
    let event = &log.events[line as usize - 1];
    let entity = EntityRef::named_by(&event.data).remove(0);
    assert!(matches!(
        told_by_index(&store, &entity),
        Err(IndexProblem::OtherLine { seq }) if seq == line
    ));
}

#[test]
fn an_index_is_written_whole_beside_a_regular_log_only() {
    let directory = tempfile::tempdir().unwrap();
    let store = indexed_karabakh(directory.path());
    let names: Vec<String> = fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["karabakh.jsonl", "karabakh.jsonl.index"]);
    let target = Target::Once(PathBuf::from("-"));
    assert!(accord::front::entities::write_index(&target).is_err());
    drop(store);
}

/// `accord index`, then `history` and `state --entity` through the binary: the same bytes
/// as without the index, the one-line refusals, and a stale index rebuilt with a warning.
#[test]
fn the_command_line_answers_the_same_with_and_without_the_index() {
    use crate::binary::{accord, path_text, stderr, stdout};
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("karabakh.jsonl");
    fs::copy(crate::binary::root().join("events/karabakh.jsonl"), &log).unwrap();
    let log_text = path_text(&log);
    let ask = |arguments: &[&str]| {
        let output = accord(arguments);
        (output.status.code(), stdout(&output), stderr(&output))
    };
    let questions: [&[&str]; 4] = [
        &["history", log_text, "party:RUS"],
        &[
            "history",
            log_text,
            "provision:trilateral-2020-11-09/exchange",
            "--json",
        ],
        &["state", log_text, "--entity", "party:ARM", "--json"],
        &["state", log_text, "--entity", "proposal:madrid-principles"],
    ];
    let before: Vec<_> = questions.iter().map(|question| ask(question)).collect();
    let (code, out, err) = ask(&["index", log_text]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("index of ") && out.contains("78 "), "{out}");
    for (question, answered) in questions.iter().zip(&before) {
        assert_eq!(answered.0, Some(0), "{question:?}: {}", answered.2);
        assert_eq!(&ask(question), answered, "{question:?}");
    }
    // The state of one entity is the state's own entry.
    let state: serde_json::Value =
        serde_json::from_str(&ask(&["state", log_text, "--json"]).1).unwrap();
    let madrid: serde_json::Value = serde_json::from_str(
        &ask(&[
            "state",
            log_text,
            "--entity",
            "proposal:madrid-principles",
            "--json",
        ])
        .1,
    )
    .unwrap();
    assert_eq!(madrid, state["proposals"]["madrid-principles"]);
    // Refusals: not in the state (1), not an entity or with a point in time (2), an index
    // beside stdin (2).
    assert_eq!(
        ask(&["state", log_text, "--entity", "party:XYZ"]).0,
        Some(1)
    );
    assert_eq!(ask(&["state", log_text, "--entity", "treaty:X"]).0, Some(2));
    assert_eq!(
        ask(&["state", log_text, "--entity", "party:ARM", "--at", "3"]).0,
        Some(2)
    );
    assert_eq!(ask(&["index", "-"]).0, Some(2));
    // A grown log: the answer from the log, one warning, the index written again.
    let statement = r#"{"type":"statement.made","occurred":"2021-06-01","data":{"by":"RUS","kind":"claim","text":"A later word."}}"#;
    let appended = crate::binary::accord_with_stdin(&["append", log_text], statement);
    assert_eq!(appended.status.code(), Some(0), "{}", stderr(&appended));
    let (code, out, err) = ask(&["history", log_text, "party:RUS"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("A later word."), "{out}");
    assert!(
        err.contains("not used") && err.contains("written again"),
        "{err}"
    );
    let (_, again, err) = ask(&["history", log_text, "party:RUS"]);
    assert_eq!((again, err), (out, String::new()));
}

/// A FIFO or a directory where the index goes is no index: `history` answers from the log
/// without blocking on the FIFO, warns that it could not write the index again, and
/// leaves what stands there alone.
#[test]
fn something_else_where_the_index_goes_is_left_alone() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("karabakh.jsonl");
    fs::copy(crate::binary::root().join("events/karabakh.jsonl"), &path).unwrap();
    let store = FileStore::new(&path);
    let armenia = EntityRef::parse("party:ARM").unwrap();
    let expected = told_by_log(&fs::read(&path).unwrap(), &armenia);
    let fifo = store.index_path();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (told, warnings) = told_by_front_door(&store, &armenia);
    assert_eq!(told, expected);
    assert!(
        warnings.len() == 2
            && warnings[0].contains("a FIFO")
            && warnings[1].contains("not written again"),
        "{warnings:?}"
    );
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    fs::remove_file(&fifo).unwrap();
    fs::create_dir(&fifo).unwrap();
    let (told, warnings) = told_by_front_door(&store, &armenia);
    assert_eq!(told, expected);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(fifo.is_dir());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..proptest::prelude::ProptestConfig::default() })]

    /// Any byte of the index changed, or the index cut anywhere: no panic, and the front
    /// door tells every asked entity's history as the log does (from the index when the
    /// change missed what it reads, else from the log).
    #[test]
    fn a_changed_byte_anywhere_never_changes_an_answer(
        at in proptest::prelude::any::<proptest::sample::Index>(),
        flip in 1u8..=255,
        cut in proptest::prelude::any::<bool>(),
        which in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let directory = tempfile::tempdir().unwrap();
        let store = indexed_karabakh(directory.path());
        let index_path = store.index_path();
        let mut bytes = fs::read(&index_path).unwrap();
        let at = at.index(bytes.len());
        if cut {
            bytes.truncate(at);
        } else {
            bytes[at] ^= flip;
        }
        fs::write(&index_path, &bytes).unwrap();
        let log = fs::read(store.path()).unwrap();
        let entities = entities_of(&log);
        let entity = &entities[which.index(entities.len())];
        let (told, _) = told_by_front_door(&store, entity);
        proptest::prop_assert_eq!(told, told_by_log(&log, entity));
    }
}
