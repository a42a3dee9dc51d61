//! What people read, pinned whole: every case is a file in `tests/fixtures/outputs/`, a new
//! case a new file, in the style of rust-analyzer's `expect` tests.
//!
//! A case is `# ` comment lines (why it is pinned), the command (`$ accord ARGS`, words split
//! on spaces, run in the repository's root so paths are the repository's), then `exit N` and
//! the whole stdout and stderr after `--- stdout` and `--- stderr` lines. A case whose output
//! changed fails with both texts; `ACCORD_BLESS=1 cargo test expected_outputs` rewrites the
//! outputs of every case from what the binary prints now (look at `git diff` before you
//! commit it).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::binary::{accord_binary, root};
use crate::fixture_logs::fixtures;

const STDOUT_MARK: &str = "--- stdout\n";
const STDERR_MARK: &str = "\n--- stderr\n";

/// A case file, read: its comment and command lines, and what was pinned.
struct Case {
    /// The comment lines and the `$ accord` line, each with its newline.
    header: String,
    arguments: Vec<String>,
    exit: i32,
    stdout: String,
    stderr: String,
}

fn read_case(path: &Path) -> Case {
    let text = fs::read_to_string(path).unwrap();
    let name = path.display();
    let (head, outputs) = text
        .split_once(STDOUT_MARK)
        .unwrap_or_else(|| panic!("{name}: no `--- stdout` line"));
    let (stdout, stderr) = outputs
        .rsplit_once(STDERR_MARK)
        .unwrap_or_else(|| panic!("{name}: no `--- stderr` line"));
    let mut header = String::new();
    let mut arguments = None;
    let mut exit = None;
    for line in head.lines() {
        if let Some(command) = line.strip_prefix("$ accord ") {
            arguments = Some(command.split(' ').map(str::to_string).collect());
            header.push_str(line);
            header.push('\n');
        } else if let Some(code) = line.strip_prefix("exit ") {
            exit = Some(code.parse().unwrap());
        } else {
            assert!(
                line.starts_with("# "),
                "{name}: `{line}` is not a case line"
            );
            header.push_str(line);
            header.push('\n');
        }
    }
    Case {
        header,
        arguments: arguments.unwrap_or_else(|| panic!("{name}: no `$ accord` line")),
        exit: exit.unwrap_or_else(|| panic!("{name}: no `exit` line")),
        stdout: stdout.to_string(),
        stderr: stderr.to_string(),
    }
}

fn case_text(case: &Case) -> String {
    format!(
        "{}exit {}\n{STDOUT_MARK}{}{STDERR_MARK}{}",
        case.header, case.exit, case.stdout, case.stderr
    )
}

/// Runs the case's command in the repository's root, with nothing on stdin and without the
/// caller's NO_COLOR or terminal, so that what it prints depends only on its arguments.
fn run(case: &Case) -> Case {
    let output = Command::new(accord_binary())
        .args(&case.arguments)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Case {
        header: case.header.clone(),
        arguments: case.arguments.clone(),
        exit: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn every_output_case_prints_what_is_pinned() {
    let bless = std::env::var_os("ACCORD_BLESS").is_some();
    let mut changed = Vec::new();
    let cases = fixtures("outputs", ".txt");
    assert!(cases.len() >= 20, "the cases are found");
    for path in cases {
        let pinned = read_case(&path);
        let printed = run(&pinned);
        let (pinned_text, printed_text) = (case_text(&pinned), case_text(&printed));
        if pinned_text == printed_text {
            continue;
        }
        if bless {
            fs::write(&path, printed_text).unwrap();
        } else {
            changed.push(format!(
                "{}: the output changed (ACCORD_BLESS=1 cargo test expected_outputs rewrites it)\n=== pinned\n{pinned_text}=== printed\n{printed_text}",
                path.display()
            ));
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
}
