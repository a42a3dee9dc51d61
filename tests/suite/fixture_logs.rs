//! Data-driven tests: every file under `tests/fixtures/` is a case. A new case is a new file.
//!
//! - `valid/NAME.jsonl` folds to exactly the bytes of `valid/NAME.state.json`.
//! - `invalid/NAME.jsonl` is refused at the line and rule written in `invalid/NAME.error`.
//! - `drafts/NAME.drafts.jsonl`, appended to `drafts/NAME.log.jsonl` (or to no file), gives
//!   what `drafts/NAME.expect` says: `ok EVENTS`, `draft N RULE` or `line N RULE`; a refused
//!   append leaves the log byte for byte as it was.

use std::fs;
use std::path::{Path, PathBuf};

use accord::fold::state::StateDocument;
use accord::format::rules::Rule;
use accord::stores::file::{FileStore, StoreError, parse_drafts};

pub fn fixtures(directory: &str, suffix: &str) -> Vec<PathBuf> {
    let root = crate::binary::root().join("tests/fixtures").join(directory);
    let mut paths: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|error| panic!("{}: {error}", root.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no {suffix} fixtures in {}",
        root.display()
    );
    paths
}

pub fn sibling(path: &Path, from_suffix: &str, to_suffix: &str) -> PathBuf {
    let text = path.to_string_lossy();
    PathBuf::from(format!(
        "{}{to_suffix}",
        text.strip_suffix(from_suffix).expect("the suffix")
    ))
}

#[test]
fn valid_logs_fold_to_their_expected_state_bytes() {
    let mut failures = Vec::new();
    for path in fixtures("valid", ".jsonl") {
        let bytes = fs::read(&path).unwrap();
        let expected = fs::read_to_string(sibling(&path, ".jsonl", ".state.json")).unwrap();
        match accord::fold::verify_log(&bytes) {
            Ok((log, folded)) => {
                let state = StateDocument::new(&folded, log.len(), log.head()).to_json();
                if state != expected.trim_end() {
                    failures.push(format!(
                        "{}: state differs\n got {state}\nwant {}",
                        path.display(),
                        expected.trim_end()
                    ));
                }
            }
            Err(error) => failures.push(format!("{}: refused: {error}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `LINE RULE` from an `.error` or `.expect` file.
fn expected_line_and_rule(text: &str) -> (u64, String) {
    let mut words = text.split_whitespace();
    let line = words
        .next()
        .and_then(|word| word.parse().ok())
        .expect("a line number");
    let rule = words.next().expect("a rule name").to_string();
    (line, rule)
}

#[test]
fn invalid_logs_are_refused_at_their_line_with_their_rule() {
    let mut failures = Vec::new();
    for path in fixtures("invalid", ".jsonl") {
        let bytes = fs::read(&path).unwrap();
        let (line, rule) = expected_line_and_rule(
            &fs::read_to_string(sibling(&path, ".jsonl", ".error")).unwrap(),
        );
        match accord::fold::verify_log(&bytes) {
            Ok(_) => failures.push(format!(
                "{}: accepted, expected line {line} {rule}",
                path.display()
            )),
            Err(error) if error.line != line || error.rule.name() != rule => {
                failures.push(format!(
                    "{}: got line {} {}, expected line {line} {rule} ({})",
                    path.display(),
                    error.line,
                    error.rule,
                    error.detail
                ))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_a_log_can_break_has_an_invalid_fixture() {
    let covered: Vec<String> = fixtures("invalid", ".error")
        .iter()
        .map(|path| expected_line_and_rule(&fs::read_to_string(path).unwrap()).1)
        .collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        // Rules of commands and caches, not of a log's lines: tested in tests/suite/cli.rs and
        // tests/suite/safety.rs.
        .filter(|rule| {
            !matches!(
                rule,
                Rule::AppendExpectSeq
                    | Rule::AppendConflict
                    | Rule::HeadUnknown
                    | Rule::SnapshotMismatch
                    | Rule::ProofInclusion
                    | Rule::ProofConsistency
                    | Rule::CheckpointSignature
                    | Rule::CheckpointRoot
                    | Rule::StoreIndex
            )
        })
        .map(|rule| rule.name())
        .filter(|name| !covered.iter().any(|covered| covered == name))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without an invalid fixture: {missing:?}"
    );
}

#[test]
fn draft_fixtures_append_or_are_refused_leaving_the_log_untouched() {
    let mut failures = Vec::new();
    for drafts_path in fixtures("drafts", ".drafts.jsonl") {
        let name = drafts_path.display().to_string();
        let directory = tempfile::tempdir().unwrap();
        let log_path = directory.path().join("log.jsonl");
        let fixture_log = sibling(&drafts_path, ".drafts.jsonl", ".log.jsonl");
        if fixture_log.exists() {
            fs::copy(&fixture_log, &log_path).unwrap();
        }
        let before = fs::read(&log_path).ok();
        let expect = fs::read_to_string(sibling(&drafts_path, ".drafts.jsonl", ".expect")).unwrap();
        let outcome = parse_drafts(&fs::read(&drafts_path).unwrap())
            .and_then(|drafts| FileStore::new(&log_path).append(&drafts, None, chrono::Utc::now()));
        let got = match &outcome {
            Ok(appended) => format!("ok {}", appended.events),
            Err(StoreError::Draft { draft, rule, .. }) => format!("draft {draft} {rule}"),
            Err(StoreError::Conflict { line, rule, .. }) => format!("line {line} {rule}"),
            Err(StoreError::Log { error, .. }) => format!("line {} {}", error.line, error.rule),
            Err(other) => format!("error {other}"),
        };
        if got != expect.trim() {
            failures.push(format!(
                "{name}: got `{got}`, expected `{}` ({outcome:?})",
                expect.trim()
            ));
            continue;
        }
        let after = fs::read(&log_path).ok();
        if outcome.is_err()
            && after.as_deref().unwrap_or_default() != before.as_deref().unwrap_or_default()
        {
            failures.push(format!("{name}: a refused append changed the log"));
        }
        if outcome.is_ok() {
            let bytes = after.unwrap_or_default();
            if let Err(error) = accord::fold::verify_log(&bytes) {
                failures.push(format!("{name}: the appended log does not verify: {error}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Deserialises any JSON while checking that every object's keys come in sorted order.
struct SortedKeys;

impl<'de> serde::Deserialize<'de> for SortedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Check;
        impl<'de> serde::de::Visitor<'de> for Check {
            type Value = SortedKeys;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("any JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<SortedKeys, A::Error> {
                let mut previous: Option<String> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if previous.as_ref().is_some_and(|previous| *previous >= key) {
                        return Err(serde::de::Error::custom(format!(
                            "key `{key}` after `{}`",
                            previous.unwrap()
                        )));
                    }
                    map.next_value::<SortedKeys>()?;
                    previous = Some(key);
                }
                Ok(SortedKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<SortedKeys, A::Error> {
                while seq.next_element::<SortedKeys>()?.is_some() {}
                Ok(SortedKeys)
            }
            fn visit_bool<E>(self, _: bool) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
            fn visit_u64<E>(self, _: u64) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
            fn visit_i64<E>(self, _: i64) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
            fn visit_f64<E>(self, _: f64) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
            fn visit_str<E>(self, _: &str) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
            fn visit_unit<E>(self) -> Result<SortedKeys, E> {
                Ok(SortedKeys)
            }
        }
        deserializer.deserialize_any(Check)
    }
}

#[test]
fn state_json_has_sorted_keys_at_every_level() {
    let mut checked = 0;
    for path in fixtures("valid", ".state.json") {
        let text = fs::read_to_string(&path).unwrap();
        serde_json::from_str::<SortedKeys>(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        checked += 1;
    }
    let karabakh = fs::read(crate::binary::karabakh()).unwrap();
    let (log, folded) = accord::fold::verify_log(&karabakh).unwrap();
    serde_json::from_str::<SortedKeys>(
        &StateDocument::new(&folded, log.len(), log.head()).to_json(),
    )
    .unwrap();
    // The checker itself refuses unsorted keys.
    assert!(serde_json::from_str::<SortedKeys>(r#"{"b":1,"a":{"c":2}}"#).is_err());
    assert!(serde_json::from_str::<SortedKeys>(r#"{"a":[{"d":1,"c":2}]}"#).is_err());
    assert!(checked >= 5);
}
