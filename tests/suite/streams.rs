//! Streams are files too: a FIFO, `/dev/stdin` or `<(cat log)` is read once, as `-` is,
//! wherever a log is read; `-` is stdout for an output that is one document; a command that
//! needs a file says so. And `follow` notices a log replaced under it.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{
    accord, accord_binary, accord_in, karabakh, mkfifo, path_text, scenario, stderr, stdout,
};

/// Runs accord on a FIFO that a thread fills with the Karabakh log (once per reading the
/// command opens; the commands read a stream once).
fn through_a_fifo(arguments: &[&str]) -> std::process::Output {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("log.fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let _ = fs::write(fifo, fs::read(karabakh()).unwrap());
        })
    };
    let arguments: Vec<&str> = arguments
        .iter()
        .map(|word| {
            if *word == "LOG" {
                path_text(&fifo)
            } else {
                word
            }
        })
        .collect();
    let output = accord(&arguments);
    writer.join().unwrap();
    output
}

#[test]
fn a_fifo_is_read_once_wherever_a_log_is_read() {
    // Post-mortem: a FIFO, /dev/stdin or <(cat log) failed with "Illegal seek".
    let directory = tempfile::tempdir().unwrap();
    let page = directory.path().join("page.html");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["verify", "LOG"], "ok 38 events"),
        (vec!["state", "LOG", "--as-of", "2021-05-05"], "State of"),
        (vec!["diff", "LOG", "2021-05-03", "2021-05-05"], "released"),
        (vec!["history", "LOG", "party:RUS"], "party:RUS"),
        (vec!["head", "LOG"], "d1336c469fbb"),
        (vec!["root", "LOG"], "size 38 root"),
        (vec!["prove", "LOG", "--seq", "3", "--json"], "\"seq\":3"),
        (
            vec!["report", "LOG", "--out", path_text(&page)],
            "report of 38 events",
        ),
    ];
    for (arguments, says) in cases {
        let output = through_a_fifo(&arguments);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{arguments:?}: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).contains(says),
            "{arguments:?}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn dev_stdin_and_a_process_substitution_are_read_as_stdin_is() {
    let log = fs::read_to_string(karabakh()).unwrap();
    let through_dev_stdin = accord_in(&["verify", "/dev/stdin"], Some(&log));
    assert_eq!(
        through_dev_stdin.status.code(),
        Some(0),
        "{}",
        stderr(&through_dev_stdin)
    );
    assert!(stdout(&through_dev_stdin).starts_with("ok 38 events"));
    let substituted = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "\"$0\" diff <(cat {}) 2021-05-03 2021-05-05",
            path_text(&karabakh())
        ))
        .arg(accord_binary())
        .output()
        .unwrap();
    assert_eq!(
        substituted.status.code(),
        Some(0),
        "{}",
        stderr(&substituted)
    );
    assert!(stdout(&substituted).contains("released"));
}

#[test]
fn a_dash_is_stdin_for_copy_and_stdout_for_one_document() {
    let directory = tempfile::tempdir().unwrap();
    let log = fs::read(karabakh()).unwrap();
    // copy - DESTINATION: stdin to a file.
    let copy = directory.path().join("copy.jsonl");
    let copied = accord_in(
        &["copy", "-", path_text(&copy)],
        Some(&String::from_utf8(log.clone()).unwrap()),
    );
    assert_eq!(copied.status.code(), Some(0), "{}", stderr(&copied));
    assert_eq!(fs::read(&copy).unwrap(), log);
    // copy SOURCE -: the log, byte for byte, on stdout; what was done on stderr.
    let to_stdout = accord(&["copy", path_text(&karabakh()), "-"]);
    assert_eq!(to_stdout.status.code(), Some(0), "{}", stderr(&to_stdout));
    assert_eq!(to_stdout.stdout, log);
    assert!(stderr(&to_stdout).contains("to stdout"));
    // report --out -: the page on stdout.
    let page = accord(&["report", path_text(&karabakh()), "--out", "-"]);
    assert_eq!(page.status.code(), Some(0), "{}", stderr(&page));
    assert!(stdout(&page).starts_with("<!DOCTYPE html>"));
    // simulate --out -: the run's log on stdout, a log that verifies; --json is refused
    // beside it, since both would want stdout.
    let run = accord(&[
        "simulate",
        path_text(&scenario("karabakh-talks.json")),
        "--out",
        "-",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let verified = accord_in(&["verify", "-"], Some(&stdout(&run)));
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let both = accord(&[
        "simulate",
        path_text(&scenario("karabakh-talks.json")),
        "--out",
        "-",
        "--json",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("stdout"), "{}", stderr(&both));
    // Commands that need a file say so.
    for command in ["follow", "snapshot", "repair", "append"] {
        let refused = accord_in(&[command, "-"], Some(""));
        assert_eq!(refused.status.code(), Some(2), "{command}");
        assert!(
            stderr(&refused).contains("stdin (`-`) is read once as a stream"),
            "{command}: {}",
            stderr(&refused)
        );
    }
}

/// The Karabakh log with one more line at its end, and line 11 edited in place (the same
/// length, its chain not resealed): what a replacement that rewrites history looks like.
fn rewritten_and_longer(directory: &Path) -> PathBuf {
    let extra = "{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"later\",\"title\":\"Later\"}}\n";
    let longer = directory.join("longer.jsonl");
    fs::copy(karabakh(), &longer).unwrap();
    let appended = accord_in(&["append", path_text(&longer)], Some(extra));
    assert_eq!(appended.status.code(), Some(0), "{}", stderr(&appended));
    let text = fs::read_to_string(&longer).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let edited = lines[10].replacen("2020", "2019", 1);
    assert_ne!(edited, lines[10]);
    lines[10] = edited;
    fs::write(&longer, lines.join("\n") + "\n").unwrap();
    longer
}

#[test]
fn follow_stops_when_the_log_is_replaced_by_one_that_rewrites_it() {
    // Post-mortem: replacing a followed file with a longer log whose line 11 was edited
    // printed seq 39 and went on.
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let replacement = rewritten_and_longer(directory.path());
    let mut child = Command::new(accord_binary())
        .args(["follow", path_text(&log), "--from", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    // Every line shown first: 38 lines.
    let mut shown = Vec::new();
    let start = Instant::now();
    while shown.iter().filter(|byte| **byte == b'\n').count() < 38 {
        let mut buffer = [0; 65536];
        let read = out.read(&mut buffer).unwrap();
        assert!(read > 0 && start.elapsed() < Duration::from_secs(120));
        shown.extend_from_slice(&buffer[..read]);
    }
    fs::rename(&replacement, &log).unwrap();
    let status = child.wait().unwrap();
    let mut said = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).unwrap();
    assert_eq!(status.code(), Some(1), "{said}");
    assert!(said.contains("envelope.chain"), "{said}");
    // What follows the 38 lines is the refusal's JSON (`--json`), never line 39.
    let rest = String::from_utf8(rest).unwrap();
    assert!(!rest.contains("\"seq\":39"), "line 39 was shown: {rest}");
    assert!(rest.contains("\"ok\":false"), "{rest}");
}

#[test]
fn follow_says_on_a_terminal_what_it_waits_for() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("not-yet.jsonl");
    for (arguments, says) in [
        (
            format!("follow {}", path_text(&missing)),
            "does not exist yet; waiting for it",
        ),
        (
            format!("follow {} --from 50", path_text(&karabakh())),
            "has 38 events; waiting for line 50",
        ),
    ] {
        // `script` gives the follower a terminal; it is stopped once it has spoken.
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c"])
            .arg(format!("{} {arguments}", accord_binary().display()))
            .arg("/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut seen = Vec::new();
        let start = Instant::now();
        while !String::from_utf8_lossy(&seen).contains(says) {
            let mut buffer = [0; 4096];
            let read = out.read(&mut buffer).unwrap();
            assert!(
                read > 0 && start.elapsed() < Duration::from_secs(120),
                "{}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&buffer[..read]);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
