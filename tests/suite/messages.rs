//! Messages that say what is true, and small answers that must be right: every case is a
//! file in `tests/fixtures/messages/`, a new case a new file.
//!
//! A case gives its `why` (a post-mortem where it was a bug), the `files` to make in a fresh
//! directory (`text`, `json`, a `copy` of a file of the repository, or a `base` JSON file of
//! the repository with values `set` at JSON pointers), commands to run `before` (a `>` sends
//! stdout to a file), the `args` (`{dir}` is the directory; a last path segment `*` is the one
//! file there), and what must hold: the `exit` code, text on `stderr` or `stdout` (and text
//! `not_stderr` or `not_stdout`), and a `file`'s first bytes.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::binary::{accord, root, stderr, stdout};
use crate::fixture_logs::fixtures;

/// `{dir}` replaced, a last `*` expanded to the one entry of its directory, and a path of the
/// repository made absolute.
fn argument(word: &str, directory: &Path) -> String {
    let word = word.replace("{dir}", &directory.display().to_string());
    if let Some(parent) = word.strip_suffix("/*") {
        let mut entries: Vec<PathBuf> = fs::read_dir(parent)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "{word}");
        return entries.pop().unwrap().display().to_string();
    }
    if word.starts_with("events/") {
        return root().join(word).display().to_string();
    }
    word
}

fn set_pointer(document: &mut Value, pointer: &str, value: Value) {
    let slot = document
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    *slot = value;
}

fn make_files(case: &Value, directory: &Path) {
    let Some(files) = case["files"].as_object() else {
        return;
    };
    for (name, how) in files {
        let path = directory.join(name);
        let bytes = if let Some(text) = how["text"].as_str() {
            text.as_bytes().to_vec()
        } else if let Some(copied) = how["copy"].as_str() {
            fs::read(root().join(copied)).unwrap()
        } else if !how["json"].is_null() {
            serde_json::to_vec(&how["json"]).unwrap()
        } else {
            let base = how["base"].as_str().expect("text, copy, json or base");
            let mut document: Value =
                serde_json::from_slice(&fs::read(root().join(base)).unwrap()).unwrap();
            for (pointer, value) in how["set"].as_object().into_iter().flatten() {
                set_pointer(&mut document, pointer, value.clone());
            }
            serde_json::to_vec(&document).unwrap()
        };
        fs::write(path, bytes).unwrap();
    }
}

fn words(list: &Value, directory: &Path) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|word| argument(word.as_str().unwrap(), directory))
        .collect()
}

#[test]
fn every_message_case_says_what_it_must() {
    let mut failures = Vec::new();
    for path in fixtures("messages", ".json") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert!(case["why"].is_string(), "{name}: a case says why");
        let directory = tempfile::tempdir().unwrap();
        make_files(&case, directory.path());
        for command in case["before"].as_array().into_iter().flatten() {
            let mut words = words(command, directory.path());
            let into = words.iter().position(|word| word == ">").map(|at| {
                let target = words[at + 1].clone();
                words.truncate(at);
                target
            });
            let arguments: Vec<&str> = words.iter().map(String::as_str).collect();
            let output = accord(&arguments);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{name}: before {arguments:?}: {}",
                stderr(&output)
            );
            if let Some(target) = into {
                fs::write(target, &output.stdout).unwrap();
            }
        }
        let arguments = words(&case["args"], directory.path());
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        let output = accord(&arguments);
        let (said, printed) = (stderr(&output), stdout(&output));
        let mut wrong = Vec::new();
        if output.status.code() != case["exit"].as_i64().map(|code| code as i32) {
            wrong.push(format!("exit {:?}", output.status.code()));
        }
        if output.status.code() != Some(0)
            && said.lines().count() != 1
            && !said.starts_with("error:")
        {
            wrong.push("more than one line on stderr".to_string());
        }
        for (key, text, present) in [
            ("stderr", &said, true),
            ("stdout", &printed, true),
            ("not_stderr", &said, false),
            ("not_stdout", &printed, false),
        ] {
            if let Some(expected) = case[key].as_str()
                && text.contains(expected) != present
            {
                wrong.push(format!("{key} {expected:?}"));
            }
        }
        for (file, start) in case["file"].as_object().into_iter().flatten() {
            let bytes = fs::read(directory.path().join(file)).unwrap_or_default();
            if !bytes.starts_with(start.as_str().unwrap().as_bytes()) {
                wrong.push(format!("{file} does not begin {start}"));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{name}: {}\n  stdout: {printed:?}\n  stderr: {said:?}",
                wrong.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
