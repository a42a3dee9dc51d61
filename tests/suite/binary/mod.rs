//! Running the `accord` binary from the end-to-end tests (`cli.rs`, `safety.rs`).
#![allow(dead_code)] // each test file uses its own share of these

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary the tests run: the one cargo built, or `ACCORD_TEST_BINARY` when set (to run
/// the end-to-end tests against another build, an older one to see a regression test fail).
pub fn accord_binary() -> PathBuf {
    std::env::var_os("ACCORD_TEST_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_accord")),
        PathBuf::from,
    )
}

/// Every name in `directory` (hidden ones too), sorted.
pub fn names_in(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// The tournament every end-to-end test of a writing command plays: two strategies on the
/// England-Zimbabwe GENIUS directory, one run each.
pub fn small_tournament() -> Vec<String> {
    let england = root().join("events/scenarios/genius/EnglandZimbabwe");
    [
        "tournament",
        path_text(&england),
        "--strategies",
        "boulware,conceder",
        "--runs",
        "1",
    ]
    .iter()
    .map(|word| word.to_string())
    .collect()
}

/// The repository's root (events/, tests/fixtures/, the README): the tests belong to the
/// command line's package, cli/, one folder down.
pub fn root() -> PathBuf {
    let command_line = Path::new(env!("CARGO_MANIFEST_DIR"));
    command_line
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// The Karabakh log as format version 1 wrote it: the first 38 lines of the shipped log, a
/// version-1 log the tests know line by line.
pub fn karabakh() -> PathBuf {
    root().join("tests/fixtures/karabakh-v1.jsonl")
}

/// The shipped Karabakh log: those 38 lines, then the version-2 lines that correct them.
pub fn shipped_karabakh() -> PathBuf {
    root().join("events/karabakh.jsonl")
}

pub fn scenario(name: &str) -> PathBuf {
    root().join("events/scenarios").join(name)
}

/// Runs accord with nothing on stdin.
pub fn accord(arguments: &[&str]) -> Output {
    accord_in(arguments, None)
}

pub fn accord_with_stdin(arguments: &[&str], input: &str) -> Output {
    accord_in(arguments, Some(input))
}

/// Runs accord with `input`, if any, on stdin, and without the caller's NO_COLOR, so
/// colour depends only on the arguments.
pub fn accord_in(arguments: &[&str], input: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(accord_binary())
        .args(arguments)
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("accord runs");
    if let Some(input) = input {
        // Post-mortem: a command that refuses its arguments exits without reading stdin, and
        // writing to it then fails with a broken pipe, depending on timing (seen once in CI,
        // `analyze --genius - -`). That is the child's answer, not the harness's failure.
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        if let Err(error) = written {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        }
    }
    child.wait_with_output().unwrap()
}

/// Runs accord with nothing on stdin, killed if it has not ended within `limit`: for a test
/// whose failure could be a hang (a write into a FIFO nobody reads). The limit is generous;
/// no figure depends on it. `None` when it was killed.
pub fn accord_within(arguments: &[&str], limit: std::time::Duration) -> Option<Output> {
    let mut child = Command::new(accord_binary())
        .args(arguments)
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("accord runs");
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

pub fn path_text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A running `accord follow`, its stdout read line by line; killed when dropped.
pub struct Following {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

/// Starts `accord follow` with `arguments` (after `follow`).
pub fn follow(arguments: &[&str]) -> Following {
    use std::io::BufRead;
    let mut child = Command::new(accord_binary())
        .arg("follow")
        .args(arguments)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .stdin(Stdio::null())
        .spawn()
        .expect("accord runs");
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Following { child, lines }
}

impl Following {
    /// The next line the follower prints. The wait is bounded only so that a broken
    /// follower fails the test instead of hanging it: no figure depends on it.
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the follower prints the next event")
    }

    /// Whether the follower printed nothing more within `wait`.
    pub fn quiet_for(&self, wait: std::time::Duration) -> bool {
        self.lines.recv_timeout(wait).is_err()
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
