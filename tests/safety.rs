#![allow(dead_code)] // helpers shared by the tests below as they are added
//! Safe by default, end to end: no surprise overwrites, caches checked before they are
//! believed, text from a log escaped before it reaches a terminal, refusals a machine can
//! read. Each test is the regression test of one class of problem a new user met.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[allow(dead_code)]
fn karabakh() -> PathBuf {
    root().join("events/karabakh.jsonl")
}

fn scenario(name: &str) -> PathBuf {
    root().join("events/scenarios").join(name)
}

fn accord(arguments: &[&str]) -> Output {
    accord_in(arguments, &[], None)
}

/// Runs accord with extra environment variables and, optionally, text on stdin.
fn accord_in(arguments: &[&str], environment: &[(&str, &str)], input: Option<&str>) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_accord"));
    command
        .args(arguments)
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    for (name, value) in environment {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("accord runs");
    if let Some(input) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

// Post-mortem: `simulate --out` wrote over whatever the path named, a log included, and
// `--out-dir` over earlier runs' logs.
#[test]
fn simulate_refuses_to_overwrite_an_output_unless_forced() {
    let directory = tempfile::tempdir().unwrap();
    let talks = scenario("karabakh-talks.json");
    let out = directory.path().join("talks.jsonl");
    fs::write(&out, "precious\n").unwrap();
    let refused = accord(&["simulate", text(&talks), "--out", text(&out)]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains(text(&out)) && message.contains("--force"),
        "{message}"
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious\n");

    let forced = accord(&["simulate", text(&talks), "--out", text(&out), "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let verified = accord(&["verify", text(&out)]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));

    let runs = directory.path().join("runs");
    fs::create_dir(&runs).unwrap();
    fs::write(runs.join("run-000002.jsonl"), "earlier\n").unwrap();
    fs::write(runs.join("notes.txt"), "mine\n").unwrap();
    let arguments = [
        "simulate",
        text(&talks),
        "--runs",
        "3",
        "--out-dir",
        text(&runs),
    ];
    let refused = accord(&arguments);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("run-000002.jsonl"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !runs.join("run-000001.jsonl").exists(),
        "nothing is written"
    );
    assert_eq!(
        fs::read_to_string(runs.join("run-000002.jsonl")).unwrap(),
        "earlier\n"
    );

    // Logs of runs the batch does not make are not in its way.
    let fewer = accord(&[
        "simulate",
        text(&talks),
        "--runs",
        "1",
        "--out-dir",
        text(&runs),
    ]);
    assert_eq!(fewer.status.code(), Some(0), "{}", stderr(&fewer));
    let forced = accord(&[&arguments[..], &["--force"]].concat());
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert_ne!(
        fs::read_to_string(runs.join("run-000002.jsonl")).unwrap(),
        "earlier\n"
    );
    assert_eq!(
        fs::read_to_string(runs.join("notes.txt")).unwrap(),
        "mine\n"
    );
}
