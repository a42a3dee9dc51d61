//! A closed or full stdout: every command's output goes through one path, which reports a
//! failed write once (exit 2, one line) and ends quietly on a closed pipe; nothing panics.
//! An append whose events landed says so even when its report cannot be printed.

use std::fs;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};

use crate::binary::{
    accord, accord_binary, karabakh, path_text, scenario, small_tournament, stderr,
};

/// Runs accord with stdout going to `stdout`.
fn accord_into(arguments: &[&str], stdout: Stdio) -> Output {
    Command::new(accord_binary())
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn full() -> Stdio {
    Stdio::from(
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut ends = [0; 2];
    // SAFETY: pipe fills the two descriptors it is given.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors are fresh and owned here.
    let (reading, writing) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    drop(reading);
    Stdio::from(writing)
}

/// The commands that print, each with and without `--json` where it has one.
fn printing_commands() -> Vec<Vec<String>> {
    let log = path_text(&karabakh()).to_string();
    let talks = path_text(&scenario("karabakh-talks.json")).to_string();
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["state", &log],
        vec!["verify", &log],
        vec!["diff", &log, "2021-05-03", "2021-05-05"],
        vec!["history", &log, "party:ARM"],
        vec!["root", &log],
        vec!["prove", &log, "--seq", "3"],
        vec!["analyze", &talks],
        vec!["simulate", &talks, "--runs", "3"],
    ];
    let tournament = small_tournament();
    commands.push(tournament.iter().map(String::as_str).collect());
    let with_json: Vec<Vec<&str>> = commands
        .iter()
        .map(|command| [&command[..], &["--json"]].concat())
        .collect();
    commands.extend(with_json);
    commands.push(vec!["head", &log]);
    commands.push(vec!["copy", &log, "-"]);
    commands.push(vec!["report", &log, "--out", "-"]);
    commands.push(vec!["simulate", &talks, "--out", "-"]);
    commands
        .into_iter()
        .map(|command| command.into_iter().map(String::from).collect())
        .collect()
}

#[test]
fn a_full_stdout_is_one_line_and_exit_2_never_a_panic() {
    // Post-mortem: state, verify, diff, analyze, tournament and simulate with --json into
    // /dev/full panicked ("failed printing to stdout", exit 101): the refusal's JSON was
    // printed with println! on the stdout that had just failed.
    let mut failures = Vec::new();
    for command in printing_commands() {
        let arguments: Vec<&str> = command.iter().map(String::as_str).collect();
        let output = accord_into(&arguments, full());
        let said = stderr(&output);
        if output.status.code() != Some(2)
            || said.lines().count() != 1
            || !said.contains("writing to stdout")
        {
            failures.push(format!(
                "{arguments:?}: exit {:?}, said {said:?}",
                output.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let mut failures = Vec::new();
    for command in printing_commands() {
        let arguments: Vec<&str> = command.iter().map(String::as_str).collect();
        let output = accord_into(&arguments, closed_pipe());
        // A page or a log sent to stdout says on stderr what it was; nothing else speaks.
        let said = stderr(&output);
        let document_on_stdout = arguments.contains(&"-");
        let quiet = said.is_empty() || (document_on_stdout && !said.contains("panicked"));
        if output.status.code() != Some(0) || !quiet {
            failures.push(format!(
                "{arguments:?}: exit {:?}, said {said:?}",
                output.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_append_that_landed_says_so_even_when_its_report_cannot_be_printed() {
    // Post-mortem: an append whose events landed exited 2 when its report could not be
    // printed, as if nothing had landed; a retry of drafts without ids appends them twice.
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let drafts = directory.path().join("drafts.jsonl");
    for json in [false, true] {
        fs::write(
            &drafts,
            format!("{{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{{\"issue\":\"landed-{json}\",\"title\":\"Landed\"}}}}\n"),
        )
        .unwrap();
        let mut arguments = vec!["append", path_text(&log), path_text(&drafts)];
        if json {
            arguments.push("--json");
        }
        let output = accord_into(&arguments, full());
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("the append landed"),
            "{}",
            stderr(&output)
        );
    }
    let verified = accord(&["verify", path_text(&log)]);
    assert!(
        crate::binary::stdout(&verified).starts_with("ok 40 events"),
        "{}",
        crate::binary::stdout(&verified)
    );
}

#[test]
fn an_import_that_landed_says_so_even_when_its_report_cannot_be_printed() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let records = crate::binary::root().join("tests/fixtures/import/plover/PLOVER_GSR_CAMEO.json");
    let arguments = [
        "import",
        "plover",
        path_text(&records),
        "--into",
        path_text(&log),
    ];
    let output = accord_into(&arguments, full());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the import landed"),
        "{}",
        stderr(&output)
    );
    // Nothing landed: the refusal to print is the command's outcome.
    let dry = accord_into(&[&arguments[..], &["--dry-run"]].concat(), full());
    assert_eq!(dry.status.code(), Some(2), "{}", stderr(&dry));
    // A log read once as a stream is no place to import into.
    let stream = accord(&["import", "plover", path_text(&records), "--into", "-"]);
    assert_eq!(stream.status.code(), Some(2));
    assert!(
        stderr(&stream).contains("read once as a stream"),
        "{}",
        stderr(&stream)
    );
}
