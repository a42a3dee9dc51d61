//! Hostile files: the tails a crash (or a user) leaves at the end of a log, and the places a
//! command is asked to write to that are not regular files.
//!
//! - `tests/fixtures/tails/NAME.json` is a case: a recipe for a log's bytes (the first lines
//!   of the Karabakh log, then line ends changed, bytes dropped or appended, NUL bytes) and
//!   what `verify` and `repair` must say and leave. A new case is a new file.
//! - Every command that writes a file is sent to a FIFO, a device, a directory and symbolic
//!   links to them and to nothing, with and without `--force`: each is refused before
//!   anything is touched.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

use std::time::Duration;

use crate::binary::{
    accord, accord_within, karabakh, mkfifo, names_in, path_text, scenario, small_tournament,
    stderr, stdout,
};
use crate::fixture_logs::fixtures;

/// The first `count` lines of the Karabakh log, each with its newline.
fn karabakh_lines(count: usize) -> Vec<Vec<u8>> {
    let bytes = fs::read(karabakh()).unwrap();
    bytes
        .split_inclusive(|byte| *byte == b'\n')
        .take(count)
        .map(<[u8]>::to_vec)
        .collect()
}

/// The bytes a tail recipe describes.
fn recipe_bytes(case: &Value) -> Vec<u8> {
    let base = case["base_lines"].as_u64().unwrap() as usize;
    let mut bytes = Vec::new();
    for line in karabakh_lines(base) {
        match case["line_end"].as_str() {
            Some(end) => {
                bytes.extend_from_slice(&line[..line.len() - 1]);
                bytes.extend_from_slice(end.as_bytes());
            }
            None => bytes.extend_from_slice(&line),
        }
    }
    if let Some(drop) = case["drop_last_bytes"].as_u64() {
        bytes.truncate(bytes.len() - drop as usize);
    }
    if let Some(part) = case["append_part_of_line"].as_array() {
        let (line, length) = (part[0].as_u64().unwrap(), part[1].as_u64().unwrap());
        let whole = &karabakh_lines(line as usize)[line as usize - 1];
        bytes.extend_from_slice(&whole[..length as usize]);
    }
    if let Some(text) = case["append"].as_str() {
        bytes.extend_from_slice(text.as_bytes());
    }
    if let Some(count) = case["append_nul"].as_u64() {
        bytes.extend(std::iter::repeat_n(0u8, count as usize));
    }
    bytes
}

#[test]
fn a_tail_gets_one_diagnosis_and_repair_cuts_only_what_a_crash_left() {
    let mut failures = Vec::new();
    for path in fixtures("tails", ".json") {
        let case: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let directory = tempfile::tempdir().unwrap();
        let log = directory.path().join("log.jsonl");
        let bytes = recipe_bytes(&case);
        fs::write(&log, &bytes).unwrap();

        let verify = &case["verify"];
        let verified = accord(&["verify", path_text(&log)]);
        let said = stderr(&verified);
        let expected_at = format!(
            "line {}: {}",
            verify["line"].as_u64().unwrap(),
            verify["rule"].as_str().unwrap()
        );
        if verified.status.code() != verify["exit"].as_i64().map(|code| code as i32)
            || !said.contains(&expected_at)
            || !said.contains(verify["says"].as_str().unwrap())
            || said.lines().count() != 1
        {
            failures.push(format!("{name}: verify said {said:?}, wanted {verify}"));
        }

        let repair = &case["repair"];
        let repaired = accord(&["repair", path_text(&log)]);
        let said = format!("{}{}", stdout(&repaired), stderr(&repaired));
        if repaired.status.code() != repair["exit"].as_i64().map(|code| code as i32)
            || !said.contains(repair["says"].as_str().unwrap())
        {
            failures.push(format!("{name}: repair said {said:?}, wanted {repair}"));
        }
        let after = fs::read(&log).unwrap();
        let expected = match &repair["then"] {
            Value::String(word) if word == "unchanged" => bytes.clone(),
            then => karabakh_lines(then["lines"].as_u64().unwrap() as usize).concat(),
        };
        if after != expected {
            failures.push(format!(
                "{name}: repair left {} bytes, wanted {}",
                after.len(),
                expected.len()
            ));
        }
        if repaired.status.code() == Some(0) {
            let again = accord(&["verify", path_text(&log)]);
            if again.status.code() != Some(0) {
                failures.push(format!(
                    "{name}: the repaired log does not verify: {}",
                    stderr(&again)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The places that are not regular files, made in `directory`: a name for each, and where.
fn hostile_places(directory: &Path) -> Vec<(&'static str, PathBuf)> {
    let fifo = directory.join("fifo.csv");
    mkfifo(&fifo);
    // A device node of the test's own (the same device as /dev/null), so that a regression
    // replaces nothing of the machine's; where nodes cannot be made (not root), /dev/null,
    // which such a user cannot replace anyway.
    let node = directory.join("device.csv");
    let made_node = std::process::Command::new("mknod")
        .args(["-m", "666"])
        .arg(&node)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let device = if made_node {
        node
    } else {
        PathBuf::from("/dev/null")
    };
    let inner = directory.join("directory.csv");
    fs::create_dir(&inner).unwrap();
    let link = |name: &str, to: &Path| {
        let path = directory.join(name);
        std::os::unix::fs::symlink(to, &path).unwrap();
        path
    };
    vec![
        ("a FIFO", fifo.clone()),
        ("a character device", device.clone()),
        ("a directory", inner.clone()),
        (
            "a symbolic link to a character device",
            link("to-device.csv", &device),
        ),
        ("a symbolic link to a FIFO", link("to-fifo.csv", &fifo)),
        (
            "a symbolic link to a directory",
            link("to-directory.csv", &inner),
        ),
        (
            "a symbolic link to nothing",
            link("dangling.csv", &directory.join("nothing.csv")),
        ),
    ]
}

/// What a place is, to see that a refused write left it as it was.
fn what_stands(path: &Path) -> (bool, bool, bool, u32, u64, Vec<String>) {
    let link = fs::symlink_metadata(path).unwrap();
    let followed = fs::metadata(path).ok();
    let entries = if followed.as_ref().is_some_and(fs::Metadata::is_dir) {
        let mut names: Vec<String> = fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    } else {
        Vec::new()
    };
    (
        link.file_type().is_symlink(),
        followed
            .as_ref()
            .is_some_and(|metadata| metadata.file_type().is_fifo()),
        followed
            .as_ref()
            .is_some_and(|metadata| metadata.file_type().is_char_device()),
        followed.as_ref().map_or(0, MetadataExt::mode),
        followed.as_ref().map_or(0, MetadataExt::ino),
        entries,
    )
}

/// Each command that writes one file, with `{}` where the file goes.
fn writing_commands() -> Vec<Vec<String>> {
    let talks = path_text(&scenario("karabakh-talks.json")).to_string();
    let log = path_text(&karabakh()).to_string();
    let command = |words: &[&str]| words.iter().map(|word| word.to_string()).collect();
    vec![
        command(&["report", &log, "--out", "{}"]),
        command(&["simulate", &talks, "--out", "{}"]),
        command(&["simulate", &talks, "--runs", "2", "--per-run", "{}"]),
        [small_tournament(), vec!["--csv".into(), "{}".into()]].concat(),
        command(&["copy", &log, "{}"]),
        command(&["keygen", "--out", "{}"]),
    ]
}

#[test]
fn writes_go_only_to_regular_files() {
    // Post-mortem: `report --out X --force` replaced a device node and a link to
    // /proc/self/fd/1 by a rename, and `keygen --out NODE --force` made a device's mode 0600.
    let mut failures = Vec::new();
    for command in writing_commands() {
        for force in [false, true] {
            let directory = tempfile::tempdir().unwrap();
            for (kind, place) in hostile_places(directory.path()) {
                let before = what_stands(&place);
                let mut arguments: Vec<String> = command
                    .iter()
                    .map(|word| word.replace("{}", path_text(&place)))
                    .collect();
                if force {
                    arguments.push("--force".into());
                }
                let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
                let Some(output) = accord_within(&arguments, Duration::from_secs(60)) else {
                    failures.push(format!("{arguments:?} into {kind}: hung"));
                    continue;
                };
                let said = stderr(&output);
                if output.status.code() != Some(2)
                    || said.lines().count() != 1
                    || !said.contains(kind)
                {
                    failures.push(format!(
                        "{arguments:?} into {kind}: exit {:?}, said {said:?}",
                        output.status.code()
                    ));
                }
                if what_stands(&place) != before {
                    failures.push(format!("{arguments:?}: {kind} was changed"));
                }
            }
            let mut left = names_in(directory.path());
            left.retain(|name| name != "device.csv");
            let expected = [
                "dangling.csv",
                "directory.csv",
                "fifo.csv",
                "to-device.csv",
                "to-directory.csv",
                "to-fifo.csv",
            ];
            if left != expected {
                failures.push(format!("{command:?}: left {left:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn force_replaces_the_regular_file_a_link_names_and_keeps_the_link() {
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("page.html");
    fs::write(&target, "an old page\n").unwrap();
    let link = directory.path().join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let refused = accord(&["report", path_text(&karabakh()), "--out", path_text(&link)]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("exists"), "{}", stderr(&refused));
    let forced = accord(&[
        "report",
        path_text(&karabakh()),
        "--out",
        path_text(&link),
        "--force",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(&target)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    assert_eq!(names_in(directory.path()), ["link.html", "page.html"]);
}

#[test]
fn an_out_dir_is_a_directory_or_nothing() {
    let talks = scenario("karabakh-talks.json");
    let directory = tempfile::tempdir().unwrap();
    for (kind, place) in hostile_places(directory.path()) {
        if kind.ends_with("a directory") {
            continue;
        }
        let before = what_stands(&place);
        for force in [false, true] {
            let mut arguments = vec![
                "simulate",
                path_text(&talks),
                "--runs",
                "2",
                "--out-dir",
                path_text(&place),
            ];
            if force {
                arguments.push("--force");
            }
            let output = accord(&arguments);
            assert_eq!(output.status.code(), Some(2), "{kind}: {}", stderr(&output));
            assert_eq!(what_stands(&place), before, "{kind}");
        }
    }
    // A directory (or a link to one) takes the runs; nothing else is left beside it.
    let runs = directory.path().join("to-directory.csv");
    let output = accord(&[
        "simulate",
        path_text(&talks),
        "--runs",
        "2",
        "--out-dir",
        path_text(&runs),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(names_in(&runs), ["run-000001.jsonl", "run-000002.jsonl"]);
    assert!(names_in(directory.path()).len() <= 7);
}

#[test]
fn a_log_that_is_not_a_regular_file_gets_nothing_beside_it() {
    // Post-mortem: `checkpoint /dev/null` made `/dev/null.checkpoints/`.
    let directory = tempfile::tempdir().unwrap();
    let key = directory.path().join("key");
    let made = accord(&["keygen", "--out", path_text(&key)]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let fifo = directory.path().join("log.fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::write(fifo, fs::read(karabakh()).unwrap()).unwrap())
    };
    let signed = accord(&[
        "checkpoint",
        path_text(&fifo),
        "--key",
        path_text(&key),
        "--origin",
        "example.org/karabakh",
    ]);
    writer.join().unwrap();
    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    assert!(stdout(&signed).starts_with("example.org/karabakh\n38\n"));
    assert!(stderr(&signed).contains("not kept"), "{}", stderr(&signed));
    for command in ["snapshot", "append", "repair", "follow"] {
        let refused = accord(&[command, path_text(&fifo)]);
        assert_eq!(refused.status.code(), Some(2), "{command}");
        assert!(
            stderr(&refused).contains("(a FIFO) is read once as a stream"),
            "{command}: {}",
            stderr(&refused)
        );
    }
    assert_eq!(names_in(directory.path()), ["key", "key.pub", "log.fifo"]);
}
