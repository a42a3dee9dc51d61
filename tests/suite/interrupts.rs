//! Interrupts: SIGINT and SIGTERM in the middle of a command that writes remove what it had
//! not finished (temporaries, the staging directory of `--out-dir`), and an append is
//! either whole or absent after one.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{accord, accord_binary, karabakh, names_in, path_text, scenario, stderr};

/// Waits, up to a bound that only a broken build reaches, until `ready` holds.
fn wait_until(mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "never got there"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send(signal: libc::c_int, child: &std::process::Child) {
    // SAFETY: kill with a child's pid and a signal number has no memory effects.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0);
}

#[test]
fn an_interrupted_batch_leaves_neither_rows_nor_run_logs() {
    // Post-mortem: SIGINT during `simulate --runs 2000000 --per-run runs.csv --out-dir
    // runs/` left 43,425 rows and 6,413 run logs, unmarked as unfinished.
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let directory = tempfile::tempdir().unwrap();
        let mut child = Command::new(accord_binary())
            .args([
                "simulate",
                path_text(&scenario("karabakh-talks.json")),
                "--runs",
                "2000000",
                "--per-run",
                "rows.csv",
                "--out-dir",
                "runs",
            ])
            .current_dir(directory.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Until the staging directory holds run logs and the rows' temporary has grown.
        wait_until(|| {
            names_in(directory.path()).iter().any(|name| {
                let path = directory.path().join(name);
                path.is_dir() && fs::read_dir(&path).unwrap().count() > 100
            })
        });
        send(signal, &child);
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert!(
            names_in(directory.path()).is_empty(),
            "left {:?}",
            names_in(directory.path())
        );
    }
}

#[test]
fn an_interrupted_append_is_whole_or_absent() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let mut drafts = String::new();
    for index in 0..20_000 {
        drafts.push_str(&format!(
            "{{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{{\"issue\":\"interrupted-{index}\",\"title\":\"An issue\"}}}}\n"
        ));
    }
    let drafts_path = directory.path().join("drafts.jsonl");
    fs::write(&drafts_path, drafts).unwrap();
    let mut outcomes = Vec::new();
    // Interrupts at several moments: before the write, during it, after it.
    for delay in [0u64, 5, 20, 50, 100, 200, 400] {
        let mut child = Command::new(accord_binary())
            .args(["append", path_text(&log), path_text(&drafts_path)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        send(libc::SIGINT, &child);
        let status = child.wait().unwrap();
        let verified = accord(&["verify", path_text(&log), "--json"]);
        assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
        let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
        let events = report["events"].as_u64().unwrap();
        outcomes.push((delay, status.code(), events));
        // Each attempt adds the 20,000 drafts whole, or nothing (their ids are new).
        assert_eq!((events - 38) % 20_000, 0, "{outcomes:?}");
        // Nothing but the log, its drafts and the tail checkpoints an append keeps: no
        // intent, no temporary.
        for name in names_in(directory.path()) {
            assert!(
                [
                    "drafts.jsonl",
                    "log.jsonl",
                    "log.jsonl.tail",
                    "log.jsonl.tail.previous"
                ]
                .contains(&name.as_str()),
                "{name} left: {outcomes:?}"
            );
        }
    }
}
