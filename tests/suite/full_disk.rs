//! Full disk: every command that writes a file, run with a file-size limit (`ulimit -f`,
//! SIGXFSZ ignored, so a write past it fails with EFBIG as a write to a full disk fails with
//! ENOSPC): from the first byte (limit 0) and part way (limit 1 KiB). Each must fail with one
//! line, exit 2, and leave nothing: no empty or partial file, no temporary, no intent; a retry
//! without the limit then succeeds rather than finding its own leftovers "in the way".

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::binary::{accord, karabakh, path_text, scenario, small_tournament, stderr};

/// Runs accord in `directory` with files limited to `blocks` KiB.
fn accord_limited(directory: &Path, blocks: u64, arguments: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
        ))
        .arg(crate::binary::accord_binary())
        .args(arguments)
        .current_dir(directory)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Every name under `directory`, hidden ones too, depth first.
fn everything_in(directory: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            found.push(
                path.strip_prefix(directory)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if path.is_dir() && !path.is_symlink() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A case: the arguments (run in the case's directory) and the paths they create.
struct Case {
    arguments: Vec<String>,
    creates: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    let talks = path_text(&scenario("karabakh-talks.json")).to_string();
    let log = path_text(&karabakh()).to_string();
    let case = |words: &[&str], creates: &[&'static str]| Case {
        arguments: words.iter().map(|word| word.to_string()).collect(),
        creates: creates.to_vec(),
    };
    vec![
        case(&["report", &log, "--out", "page.html"], &["page.html"]),
        case(&["simulate", &talks, "--out", "run.jsonl"], &["run.jsonl"]),
        case(
            &["simulate", &talks, "--runs", "40", "--per-run", "rows.csv"],
            &["rows.csv"],
        ),
        case(
            &["simulate", &talks, "--runs", "3", "--out-dir", "runs"],
            &["runs"],
        ),
        Case {
            arguments: [
                small_tournament(),
                vec!["--csv".into(), "ranking.csv".into()],
            ]
            .concat(),
            creates: vec!["ranking.csv"],
        },
        case(&["copy", &log, "copy.jsonl"], &["copy.jsonl"]),
        case(&["keygen", "--out", "key"], &["key", "key.pub"]),
        case(&["snapshot", "log.jsonl"], &["log.jsonl.snapshots"]),
        case(
            &[
                "checkpoint",
                "log.jsonl",
                "--key",
                "signer",
                "--origin",
                "example.org/karabakh",
            ],
            &["log.jsonl.checkpoints"],
        ),
        case(&["append", "log.jsonl", "drafts.jsonl"], &[]),
    ]
}

/// A fresh directory with a copy of the Karabakh log, a signing key and two drafts.
fn prepared() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    fs::copy(karabakh(), directory.path().join("log.jsonl")).unwrap();
    let key = directory.path().join("signer");
    let made = accord(&["keygen", "--out", path_text(&key)]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    fs::write(
        directory.path().join("drafts.jsonl"),
        "{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"full-disk-a\",\"title\":\"A\"}}\n\
         {\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"full-disk-b\",\"title\":\"B\"}}\n",
    )
    .unwrap();
    directory
}

#[test]
fn a_full_disk_leaves_nothing_half_written_and_the_retry_succeeds() {
    // Post-mortem: on a full disk, report, simulate --out, copy, keygen (a 0-byte private
    // key and no .pub), --per-run and snapshot (a .tmp) left empty or partial files and then
    // refused the retry as "exists"; an append left a 0-byte LOG.intent.
    let mut failures = Vec::new();
    for case in cases() {
        let arguments: Vec<&str> = case.arguments.iter().map(String::as_str).collect();
        for blocks in [0, 1] {
            let directory = prepared();
            let before = everything_in(directory.path());
            let log_before = fs::read(directory.path().join("log.jsonl")).unwrap();
            let output = accord_limited(directory.path(), blocks, &arguments);
            let said = stderr(&output);
            let after = everything_in(directory.path());
            if blocks > 0 && output.status.code() == Some(0) {
                // A small output fits under a limit of 1 KiB: it is whole, and nothing else
                // is left beside it.
                let made: Vec<&String> =
                    after.iter().filter(|name| !before.contains(name)).collect();
                let only_outputs = made.iter().all(|name| {
                    case.creates.iter().any(|created| {
                        name.as_str() == *created || name.starts_with(&format!("{created}/"))
                    })
                });
                if !only_outputs || output.stderr.len() > 200 {
                    failures.push(format!("{arguments:?} under {blocks} KiB: made {made:?}"));
                }
                continue;
            }
            if output.status.code() != Some(2) || said.lines().count() != 1 {
                failures.push(format!(
                    "{arguments:?} under {blocks} KiB: exit {:?}, said {said:?}",
                    output.status.code()
                ));
            }
            if after != before {
                failures.push(format!(
                    "{arguments:?} under {blocks} KiB: left {:?}",
                    after
                        .iter()
                        .filter(|name| !before.contains(name))
                        .collect::<Vec<_>>()
                ));
            }
            if fs::read(directory.path().join("log.jsonl")).unwrap() != log_before {
                failures.push(format!("{arguments:?} under {blocks} KiB: the log changed"));
            }
            let retried = Command::new(crate::binary::accord_binary())
                .args(&arguments)
                .current_dir(directory.path())
                .stdin(Stdio::null())
                .output()
                .unwrap();
            if retried.status.code() != Some(0) {
                failures.push(format!(
                    "{arguments:?} retried: exit {:?}, said {}",
                    retried.status.code(),
                    stderr(&retried)
                ));
            }
            for created in &case.creates {
                if !directory.path().join(created).exists() {
                    failures.push(format!("{arguments:?} retried: no {created}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
