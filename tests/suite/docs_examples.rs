//! The docs' shell examples, run as written: every ```sh block of the README and of
//! `docs/`, each document's blocks in order in a directory of its own holding a copy of
//! `events/`, with `accord` on the PATH, one bash session per block (so a variable a step
//! sets is there for the next step of its block).
//!
//! A block's steps are its commands (a command goes on while a quote is open or a line ends
//! in `\`). The lines right after a step that begin `#>` are what it prints (stdout and
//! stderr together), in order, each a line of the output; `…` stands for any text. Each
//! step must succeed. A step that names a `postgres://` database needs a server, and is
//! left out; `accord follow` runs until interrupted, and gets three seconds. Blocks that
//! show setting up (cargo, pip, servers) are ```console, not run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::binary::{accord_binary, root};

struct Step {
    command: String,
    expected: Vec<String>,
}

/// The ```sh blocks of a Markdown file, each with the line it starts on.
fn blocks(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some((number + 1, Vec::new())),
            Some(_) if line.starts_with("```") => found.push(current.take().unwrap()),
            Some((_, lines)) => lines.push(line.to_string()),
            None => {}
        }
    }
    found
}

/// Whether a command's quotes are all closed (a `#` after a space, outside quotes, begins a
/// comment, whose apostrophes do not count).
fn quotes_closed(text: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let mut previous = ' ';
    let mut in_comment = false;
    for character in text.chars() {
        if in_comment {
            if character == '\n' {
                in_comment = false;
            }
            previous = character;
            continue;
        }
        match character {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && previous.is_whitespace() => in_comment = true,
            _ => {}
        }
        previous = character;
    }
    !single && !double
}

fn steps(lines: &[String]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut open: Option<String> = None;
    for line in lines {
        if let Some(command) = &mut open {
            command.push('\n');
            command.push_str(line);
            if quotes_closed(command) && !line.ends_with('\\') {
                steps.push(Step {
                    command: open.take().unwrap(),
                    expected: Vec::new(),
                });
            }
            continue;
        }
        let trimmed = line.trim();
        if let Some(expected) = trimmed.strip_prefix("#>") {
            let step = steps.last_mut().expect("#> follows a step");
            step.expected
                .push(expected.strip_prefix(' ').unwrap_or(expected).to_string());
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if quotes_closed(line) && !line.ends_with('\\') {
            steps.push(Step {
                command: line.clone(),
                expected: Vec::new(),
            });
        } else {
            open = Some(line.clone());
        }
    }
    assert!(open.is_none(), "a command is left open: {open:?}");
    steps
}

/// Whether `line` is what `expected` says, `…` standing for any text.
fn matches(expected: &str, line: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    if parts.len() == 1 {
        return line == expected;
    }
    let mut rest = line;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if index == parts.len() - 1 {
            return part.is_empty() || rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// A document's directory: a copy of `events/` and of the dataset samples the import
/// walk-through reads (`tests/fixtures/import/`, at the same path as in a clone), and
/// `accord` in `.bin/`. Every block of a
/// document runs in it, in order, so a walk-through that goes on in a later block finds
/// the files the earlier ones made.
fn document_directory() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    copy_tree(&root().join("events"), &directory.path().join("events"));
    let samples = Path::new("tests/fixtures/import");
    fs::create_dir_all(directory.path().join(samples)).unwrap();
    copy_tree(&root().join(samples), &directory.path().join(samples));
    let bin = directory.path().join(".bin");
    fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(accord_binary(), bin.join("accord")).unwrap();
    directory
}

/// Runs a block's steps in one bash session in `directory`; each step's output and exit
/// code.
fn run_block(directory: &Path, steps: &[Step]) -> Vec<(String, Option<i32>)> {
    let bin = directory.join(".bin");
    let mut script = String::new();
    for (index, step) in steps.iter().enumerate() {
        let command = if step.command.trim_start().starts_with("accord follow") {
            format!("timeout 3 {}", step.command.trim_start())
        } else {
            step.command.clone()
        };
        script.push_str(&format!(
            "printf '\\n@@@ step {index}\\n'\n{{\n{command}\n}} 2>&1\nprintf '\\n@@@ exit %d\\n' $?\n"
        ));
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(directory)
        .env("PATH", path)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut results = Vec::new();
    for part in text.split("\n@@@ step ").skip(1) {
        let (_, rest) = part.split_once('\n').unwrap_or((part, ""));
        let (printed, exit) = rest.rsplit_once("\n@@@ exit ").unwrap_or((rest, ""));
        let code = exit.trim().parse().ok();
        results.push((printed.to_string(), code));
    }
    results
}

fn documents() -> Vec<PathBuf> {
    let mut paths = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
}

#[test]
fn the_docs_shell_examples_run_as_written_and_print_what_they_say() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for document in documents() {
        let text = fs::read_to_string(&document).unwrap();
        let name = document.strip_prefix(root()).unwrap().display().to_string();
        let directory = document_directory();
        for (line, lines) in blocks(&text) {
            let steps: Vec<Step> = steps(&lines)
                .into_iter()
                .filter(|step| !step.command.contains("postgres://"))
                .collect();
            if steps.is_empty() {
                continue;
            }
            let results = run_block(directory.path(), &steps);
            assert_eq!(results.len(), steps.len(), "{name}:{line}: {results:?}");
            for (step, (printed, code)) in steps.iter().zip(&results) {
                ran += 1;
                let follow = step.command.trim_start().starts_with("accord follow");
                let succeeded = *code == Some(0) || (follow && *code == Some(124));
                if !succeeded {
                    failures.push(format!(
                        "{name}:{line}: `{}` exited {code:?}: {printed}",
                        step.command
                    ));
                    continue;
                }
                // The expected lines, in order, each a line of what was printed.
                let mut lines = printed.lines();
                for expected in &step.expected {
                    if !lines.any(|printed_line| matches(expected, printed_line)) {
                        failures.push(format!(
                            "{name}:{line}: `{}` did not print `{expected}`; it printed:\n{printed}",
                            step.command
                        ));
                        break;
                    }
                }
            }
        }
    }
    assert!(ran > 40, "only {ran} steps ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_matcher_takes_an_ellipsis_for_any_text() {
    assert!(matches(
        "ok 38 events head d133…",
        "ok 38 events head d1336c4"
    ));
    assert!(matches("root … extends … c701…", "root ab extends x c701f"));
    assert!(!matches("ok 38", "ok 38 events"));
    assert!(matches("", ""));
}
