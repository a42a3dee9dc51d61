//! Every failure point, not only the ones found (cargo feature `failure-points`, run by
//! `.ci/run`, which installs Debian's `fiu-utils`): each command that writes runs under
//! libfiu's POSIX preload with one failure point always failing (`open`, `write`, `fsync`,
//! `fdatasync`, `rename`, `ftruncate`, `mmap`), then with every `posix/io` point failing at
//! random from fixed seeds (`FIU_PRNG_SEED`). After each run, with nothing failing:
//!
//! - nothing panicked and no signal ended the command, and it said at most one line;
//! - the log verifies, after `repair` when the failure left an unfinished append (which
//!   every reader then reports as `log.torn`), and holds every event acknowledged;
//! - every output is whole or absent, and no temporary is left.
//!
//! The table of what each point left is printed (`--nocapture`); `docs/durability.md`
//! keeps it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::binary::{accord, accord_binary, karabakh, path_text, root, scenario, stderr, stdout};

const POINTS: &[&str] = &[
    "posix/io/oc/open",
    "posix/io/rw/write",
    "posix/io/sync/fsync",
    "posix/io/sync/fdatasync",
    "posix/io/dir/rename",
    "posix/io/rw/ftruncate",
    "posix/mm/mmap",
];

/// Seeds of the random sweep, each a run of every command with each point but `mmap`
/// failing 5% of the time.
const RANDOM_SEEDS: u32 = 40;

/// The random sweep's command: the points above but `mmap` (see below), each failing at
/// random. (Not `posix/io/*`: that fails `close` and `closedir` too, which Rust's standard
/// library treats as a broken invariant and aborts on, before accord can say a word.)
const RANDOM: &str = "enable_random name=posix/io/oc/open,probability=0.05
enable_random name=posix/io/rw/write,probability=0.05
enable_random name=posix/io/sync/fsync,probability=0.05
enable_random name=posix/io/sync/fdatasync,probability=0.05
enable_random name=posix/io/dir/rename,probability=0.05
enable_random name=posix/io/rw/ftruncate,probability=0.05";

fn fiu_run() -> PathBuf {
    let found = Command::new("sh")
        .args(["-c", "command -v fiu-run"])
        .output()
        .expect("sh runs");
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "fiu-run is missing: install Debian's fiu-utils (.ci/run does) to run the failure-point sweep"
    );
    PathBuf::from(path)
}

/// A command of the sweep: its arguments (`{dir}` is its directory) and how to check what
/// it left.
struct Case {
    name: &'static str,
    arguments: Vec<String>,
    check: fn(&Path, bool) -> Result<(), String>,
}

fn log_events(log: &Path) -> Result<u64, String> {
    let verified = accord(&["verify", path_text(log), "--json"]);
    if verified.status.code() == Some(0) {
        let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
        return Ok(report["events"].as_u64().unwrap());
    }
    Err(stderr(&verified))
}

/// The log verifies (after `repair` if an append was left unfinished) and holds at least
/// `acknowledged` events.
fn log_holds(log: &Path, acknowledged: u64) -> Result<(), String> {
    let events = match log_events(log) {
        Ok(events) => events,
        Err(said) if said.contains("log.torn") => {
            let repaired = accord(&["repair", path_text(log)]);
            if repaired.status.code() != Some(0) {
                return Err(format!("repair refused: {}", stderr(&repaired)));
            }
            log_events(log).map_err(|said| format!("after repair: {said}"))?
        }
        Err(said) => return Err(format!("the log does not verify: {said}")),
    };
    if events < acknowledged {
        return Err(format!("{events} events, {acknowledged} acknowledged"));
    }
    Ok(())
}

/// No temporary of accord's is left in `directory` or below.
fn no_temporaries(directory: &Path) -> Result<(), String> {
    let mut pending = vec![directory.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains(".accord-") || name.ends_with(".tmp") {
                return Err(format!("{} left", path.display()));
            }
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    Ok(())
}

fn whole_or_absent(path: &Path, whole: impl Fn(&[u8]) -> bool) -> Result<(), String> {
    match fs::read(path) {
        Err(_) => Ok(()),
        Ok(bytes) if whole(&bytes) => Ok(()),
        Ok(bytes) => Err(format!(
            "{} is not whole ({} bytes)",
            path.display(),
            bytes.len()
        )),
    }
}

fn cases() -> Vec<Case> {
    let talks = path_text(&scenario("karabakh-talks.json")).to_string();
    let england = path_text(&root().join("events/scenarios/genius/EnglandZimbabwe")).to_string();
    let log = path_text(&karabakh()).to_string();
    let words = |list: &[&str]| list.iter().map(|word| word.to_string()).collect();
    vec![
        Case {
            name: "append (a batch of 2)",
            arguments: words(&["append", "{dir}/log.jsonl", "{dir}/drafts.jsonl"]),
            check: |directory, succeeded| {
                log_holds(
                    &directory.join("log.jsonl"),
                    if succeeded { 40 } else { 38 },
                )
            },
        },
        Case {
            name: "append (one line)",
            arguments: words(&["append", "{dir}/log.jsonl", "{dir}/one.jsonl"]),
            check: |directory, succeeded| {
                log_holds(
                    &directory.join("log.jsonl"),
                    if succeeded { 39 } else { 38 },
                )
            },
        },
        Case {
            name: "repair (a torn tail)",
            arguments: words(&["repair", "{dir}/torn.jsonl"]),
            check: |directory, _| log_holds(&directory.join("torn.jsonl"), 38),
        },
        Case {
            name: "snapshot",
            arguments: words(&["snapshot", "{dir}/log.jsonl"]),
            // A half-written snapshot under its name is snapshot.mismatch.
            check: |directory, _| log_holds(&directory.join("log.jsonl"), 38),
        },
        Case {
            name: "checkpoint",
            arguments: words(&[
                "checkpoint",
                "{dir}/log.jsonl",
                "--key",
                "{dir}/signer",
                "--origin",
                "example.org/k",
            ]),
            check: |directory, _| {
                let kept = directory.join("log.jsonl.checkpoints");
                if let Ok(entries) = fs::read_dir(&kept) {
                    for entry in entries {
                        let path = entry.unwrap().path();
                        whole_or_absent(&path, |bytes| {
                            bytes.ends_with(b"\n") && bytes.contains(&b'\xe2')
                        })?;
                    }
                }
                Ok(())
            },
        },
        Case {
            name: "keygen",
            arguments: words(&["keygen", "--out", "{dir}/key"]),
            check: |directory, _| {
                let (private, public) = (directory.join("key"), directory.join("key.pub"));
                if private.exists() != public.exists() {
                    return Err("one key of the pair was left without the other".into());
                }
                whole_or_absent(&private, |bytes| {
                    bytes.starts_with(b"PRIVATE+KEY+") && bytes.ends_with(b"\n")
                })?;
                whole_or_absent(&public, |bytes| bytes.ends_with(b"\n") && bytes.len() > 40)
            },
        },
        Case {
            name: "copy",
            arguments: vec!["copy".into(), log.clone(), "{dir}/copy.jsonl".into()],
            check: |directory, _| {
                let copy = directory.join("copy.jsonl");
                whole_or_absent(&copy, |bytes| bytes == fs::read(karabakh()).unwrap())
            },
        },
        Case {
            name: "report",
            arguments: vec![
                "report".into(),
                log,
                "--out".into(),
                "{dir}/page.html".into(),
            ],
            check: |directory, _| {
                whole_or_absent(&directory.join("page.html"), |bytes| {
                    bytes.starts_with(b"<!DOCTYPE html>") && bytes.ends_with(b"</html>\n")
                })
            },
        },
        Case {
            name: "simulate --out",
            arguments: vec![
                "simulate".into(),
                talks.clone(),
                "--out".into(),
                "{dir}/run.jsonl".into(),
            ],
            check: |directory, _| {
                let run = directory.join("run.jsonl");
                if run.exists() {
                    log_events(&run)
                        .map(|_| ())
                        .map_err(|said| format!("run.jsonl: {said}"))
                } else {
                    Ok(())
                }
            },
        },
        Case {
            name: "simulate --per-run",
            arguments: vec![
                "simulate".into(),
                talks.clone(),
                "--runs".into(),
                "50".into(),
                "--per-run".into(),
                "{dir}/rows.csv".into(),
            ],
            check: |directory, _| {
                whole_or_absent(&directory.join("rows.csv"), |bytes| {
                    bytes.starts_with(b"run,")
                        && bytes.iter().filter(|byte| **byte == b'\n').count() == 51
                })
            },
        },
        Case {
            name: "simulate --out-dir",
            arguments: vec![
                "simulate".into(),
                talks,
                "--runs".into(),
                "5".into(),
                "--out-dir".into(),
                "{dir}/runs".into(),
            ],
            check: |directory, _| {
                let runs = directory.join("runs");
                let Ok(entries) = fs::read_dir(&runs) else {
                    return Ok(());
                };
                let names: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
                if names.len() != 5 {
                    return Err(format!("runs/ holds {} of 5 run logs", names.len()));
                }
                for name in names {
                    log_events(&name).map_err(|said| format!("{}: {said}", name.display()))?;
                }
                Ok(())
            },
        },
        Case {
            name: "tournament --csv",
            arguments: vec![
                "tournament".into(),
                england,
                "--strategies".into(),
                "boulware,conceder".into(),
                "--runs".into(),
                "1".into(),
                "--csv".into(),
                "{dir}/ranking.csv".into(),
            ],
            check: |directory, _| {
                // A header, two strategies over every domain, two in the one domain.
                whole_or_absent(&directory.join("ranking.csv"), |bytes| {
                    bytes.starts_with(b"rank,")
                        && bytes.iter().filter(|byte| **byte == b'\n').count() == 5
                })
            },
        },
    ]
}

/// A fresh directory with what the cases read: a copy of the Karabakh log, a torn copy, a
/// key, drafts.
fn prepared() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    let log = fs::read(karabakh()).unwrap();
    fs::write(directory.path().join("log.jsonl"), &log).unwrap();
    let mut torn = log.clone();
    torn.extend_from_slice(b"{\"v\":1,\"seq\":39,\"id\":\"0");
    fs::write(directory.path().join("torn.jsonl"), torn).unwrap();
    let made = accord(&[
        "keygen",
        "--out",
        path_text(&directory.path().join("signer")),
    ]);
    assert!(made.status.success());
    let draft = |issue: &str| {
        format!(
            "{{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{{\"issue\":\"{issue}\",\"title\":\"T\"}}}}\n"
        )
    };
    fs::write(
        directory.path().join("drafts.jsonl"),
        draft("failure-a") + &draft("failure-b"),
    )
    .unwrap();
    fs::write(directory.path().join("one.jsonl"), draft("failure-c")).unwrap();
    directory
}

/// Runs a case under fiu with `command` (an `enable` or `enable_random` command), with
/// `seed` as libfiu's PRNG seed.
fn run_failing(fiu: &Path, case: &Case, directory: &Path, command: &str, seed: u32) -> Output {
    let arguments: Vec<String> = case
        .arguments
        .iter()
        .map(|word| word.replace("{dir}", &directory.display().to_string()))
        .collect();
    let mut fiu_run = Command::new(fiu);
    fiu_run.args(["-x", "-f", ""]);
    for line in command.lines() {
        fiu_run.args(["-c", line]);
    }
    fiu_run
        .arg(accord_binary())
        .args(&arguments)
        .env("FIU_PRNG_SEED", seed.to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// What one run did, for the table: `ok`, or the exit code.
fn outcome(output: &Output) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (output.status.code(), output.status.signal()) {
        (Some(0), _) => "ok".into(),
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "?".into(),
    }
}

#[test]
fn every_writing_command_survives_every_failure_point() {
    let fiu = fiu_run();
    let mut failures = Vec::new();
    let mut table: Vec<(String, String, String)> = Vec::new();
    let mut run = |case: &Case, label: String, command: String, seed: u32| {
        let directory = prepared();
        let output = run_failing(&fiu, case, directory.path(), &command, seed);
        let succeeded = output.status.code() == Some(0);
        let said = stderr(&output);
        let mut wrong = Vec::new();
        // With every mmap failing, Rust's runtime cannot map the signal stack of the main
        // thread and aborts before accord's first line runs: nothing to say, nothing
        // written (the checks below hold it to that).
        let runtime_refused = said.contains("failed to allocate an alternative stack");
        if runtime_refused {
        } else if output.status.code().is_none() || output.status.code() == Some(101) {
            wrong.push(format!(
                "ended by {} (a panic or a signal)",
                outcome(&output)
            ));
        }
        if said.contains("panicked") && !runtime_refused {
            wrong.push("panicked".into());
        }
        // The error is one line; what was done before it (`kept in ...`) may be said too.
        let error_lines = said
            .lines()
            .filter(|line| !line.starts_with("accord: kept in"))
            .count();
        if error_lines > 1 && !case.name.starts_with("simulate --out") && !runtime_refused {
            wrong.push(format!("said {error_lines} lines"));
        }
        if let Err(problem) = (case.check)(directory.path(), succeeded) {
            wrong.push(problem);
        }
        if let Err(problem) = no_temporaries(directory.path()) {
            wrong.push(problem);
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} under {label}: {}\n  stdout: {}\n  stderr: {said}",
                case.name,
                wrong.join("; "),
                stdout(&output)
            ));
        }
        let shown = if runtime_refused {
            "runtime stops".to_string()
        } else {
            outcome(&output)
        };
        table.push((case.name.to_string(), label, shown));
    };
    for case in &cases() {
        for point in POINTS {
            run(
                case,
                (*point).to_string(),
                format!("enable name={point}"),
                0,
            );
        }
        for seed in 1..=RANDOM_SEEDS {
            run(case, format!("at random, seed {seed}"), RANDOM.into(), seed);
        }
    }
    // The table of what each always-failing point did to each command.
    let mut printed = String::from("| command |");
    for point in POINTS {
        printed.push_str(&format!(" `{}` |", point.rsplit('/').next().unwrap()));
    }
    printed.push_str(" random (40 seeds) |\n|---|");
    printed.push_str(&"---|".repeat(POINTS.len() + 1));
    printed.push('\n');
    for case in &cases() {
        printed.push_str(&format!("| {} |", case.name));
        for point in POINTS {
            let (_, _, outcome) = table
                .iter()
                .find(|(name, label, _)| name == case.name && label == point)
                .unwrap();
            printed.push_str(&format!(" {outcome} |"));
        }
        let random: Vec<&String> = table
            .iter()
            .filter(|(name, label, _)| name == case.name && label.starts_with("at random"))
            .map(|(_, _, outcome)| outcome)
            .collect();
        let ok = random.iter().filter(|outcome| **outcome == "ok").count();
        printed.push_str(&format!(" {ok} ok, {} refused |\n", random.len() - ok));
    }
    println!("{printed}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
