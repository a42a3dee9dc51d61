//! Safe by default, end to end: no surprise overwrites, caches checked before they are
//! believed, text from a log escaped before it reaches a terminal, refusals a machine can
//! read. Each test is the regression test of one class of problem a new user met.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::binary;
use binary::{accord, accord_in, karabakh, path_text, root, scenario, stderr, stdout};

// Post-mortem: `simulate --out` wrote over whatever the path named, a log included, and
// `--out-dir` over earlier runs' logs.
#[test]
fn simulate_refuses_to_overwrite_an_output_unless_forced() {
    let directory = tempfile::tempdir().unwrap();
    let talks = scenario("karabakh-talks.json");
    let out = directory.path().join("talks.jsonl");
    fs::write(&out, "precious\n").unwrap();
    let refused = accord(&["simulate", path_text(&talks), "--out", path_text(&out)]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains(path_text(&out)) && message.contains("--force"),
        "{message}"
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious\n");

    let forced = accord(&[
        "simulate",
        path_text(&talks),
        "--out",
        path_text(&out),
        "--force",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let verified = accord(&["verify", path_text(&out)]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));

    let runs = directory.path().join("runs");
    fs::create_dir(&runs).unwrap();
    fs::write(runs.join("run-000002.jsonl"), "earlier\n").unwrap();
    fs::write(runs.join("notes.txt"), "mine\n").unwrap();
    let arguments = [
        "simulate",
        path_text(&talks),
        "--runs",
        "3",
        "--out-dir",
        path_text(&runs),
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
        path_text(&talks),
        "--runs",
        "1",
        "--out-dir",
        path_text(&runs),
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

/// A copy of the Karabakh log in a fresh directory, with a snapshot at its end.
fn karabakh_with_a_snapshot(directory: &Path) -> (PathBuf, PathBuf) {
    let log = directory.join("karabakh.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let written = accord(&["snapshot", path_text(&log)]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let snapshot = directory.join("karabakh.jsonl.snapshots/00000000000000000038.json");
    assert!(snapshot.exists());
    (log, snapshot)
}

/// A snapshot file with its state line changed by `edit`; with `reseal`, both checksums
/// recomputed, as a forger would.
fn edit_snapshot(snapshot: &Path, edit: impl Fn(&str) -> String, reseal: bool) {
    use sha2::Digest;
    let hex = |bytes: &[u8]| {
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    };
    let content = fs::read_to_string(snapshot).unwrap();
    let (header_line, state_line) = content.split_once('\n').unwrap();
    let state_line = {
        let edited = edit(state_line.trim_end());
        assert_ne!(edited, state_line.trim_end(), "the edit changes the state");
        edited
    };
    let header_line = if reseal {
        let wrapped: serde_json::Value = serde_json::from_str(header_line).unwrap();
        let mut header = wrapped["header"].clone();
        header["state_sha256"] = hex(state_line.as_bytes()).into();
        let header = header.to_string();
        format!(
            "{{\"header\":{header},\"header_sha256\":\"{}\"}}",
            hex(header.as_bytes())
        )
    } else {
        header_line.to_string()
    };
    fs::write(snapshot, format!("{header_line}\n{state_line}\n")).unwrap();
}

// Post-mortem: a snapshot's state was believed as it stood on disk, so an edited one made
// `state` print what no log says while `verify` said ok.
#[test]
fn a_snapshot_whose_content_changed_is_skipped_and_verify_reports_it() {
    let directory = tempfile::tempdir().unwrap();
    let (log, snapshot) = karabakh_with_a_snapshot(directory.path());
    let honest = accord(&["state", path_text(&log), "--json", "--no-snapshot"]);
    let verified = accord(&["verify", path_text(&log)]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("(1 snapshot beside it agrees)"),
        "{}",
        stdout(&verified)
    );

    edit_snapshot(
        &snapshot,
        |state| state.replace("\"name\":\"Armenia\"", "\"name\":\"Elsewhere\""),
        false,
    );
    let answered = accord(&["state", path_text(&log), "--json"]);
    assert_eq!(answered.status.code(), Some(0), "{}", stderr(&answered));
    assert_eq!(
        stdout(&answered),
        stdout(&honest),
        "the damaged snapshot is not believed"
    );
    let warning = stderr(&answered);
    assert!(
        warning.contains("warning")
            && warning.contains(path_text(&snapshot))
            && warning.contains("checksum"),
        "{warning}"
    );
    let refused = accord(&["verify", path_text(&log)]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("snapshot.mismatch") && message.contains(path_text(&snapshot)),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

// The checksums guard against damage, not against a forger who recomputes them: `verify`
// folds the log afresh and names the snapshot that lies.
#[test]
fn verify_catches_a_resealed_forged_snapshot() {
    let directory = tempfile::tempdir().unwrap();
    let (log, snapshot) = karabakh_with_a_snapshot(directory.path());
    edit_snapshot(
        &snapshot,
        |state| state.replace("\"name\":\"Armenia\"", "\"name\":\"Elsewhere\""),
        true,
    );
    let refused = accord(&["verify", path_text(&log), "--json"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("snapshot.mismatch")
            && message.contains(path_text(&snapshot))
            && message.contains("party:ARM"),
        "{message}"
    );
    // A snapshot written in the old layout, without checksums, is not used either.
    let content = fs::read_to_string(&snapshot).unwrap();
    let (header_line, state_line) = content.split_once('\n').unwrap();
    let wrapped: serde_json::Value = serde_json::from_str(header_line).unwrap();
    let mut header = wrapped["header"].clone();
    header["format"] = 1.into();
    header.as_object_mut().unwrap().remove("state_sha256");
    fs::write(&snapshot, format!("{header}\n{state_line}")).unwrap();
    let answered = accord(&["state", path_text(&log)]);
    assert!(
        stderr(&answered).contains("format 1"),
        "{}",
        stderr(&answered)
    );
    assert!(!stdout(&answered).contains("folded from the snapshot"));
}

// Post-mortem: `--deadline` and `--strategies` were silently ignored with a scenario file.
#[test]
fn deadline_and_strategies_replace_a_scenario_s_and_say_so_in_help() {
    let talks = scenario("karabakh-talks.json");
    let short = accord(&["simulate", path_text(&talks), "--deadline", "3"]);
    assert_eq!(short.status.code(), Some(0), "{}", stderr(&short));
    assert!(
        stdout(&short).contains("deadline 3 rounds"),
        "{}",
        stdout(&short)
    );
    let hard = accord(&[
        "simulate",
        path_text(&talks),
        "--strategies",
        "hardliner",
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&hard)).unwrap();
    assert_eq!(summary["agreement_rate"], 0.0, "two hardliners never agree");
    let default: serde_json::Value =
        serde_json::from_str(&stdout(&accord(&["simulate", path_text(&talks), "--json"]))).unwrap();
    assert_ne!(default["agreement_rate"], 0.0);

    let wrong = accord(&[
        "simulate",
        path_text(&talks),
        "--strategies",
        "boulware,conceder,linear,hardliner",
    ]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("--strategies names 4 strategies"),
        "{}",
        stderr(&wrong)
    );
    let both = accord(&[
        "simulate",
        path_text(&talks),
        "--genius",
        "domain.xml",
        "profile.xml",
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let help = stdout(&accord(&["simulate", "--help"]));
    assert!(help.contains("replaces the scenario's"), "{help}");
    // A seed that would change nothing is refused, not ignored.
    let fixed = accord(&[
        "analyze",
        path_text(&scenario("england-zimbabwe.json")),
        "--seed",
        "3",
    ]);
    assert_eq!(fixed.status.code(), Some(2), "{}", stderr(&fixed));
    assert!(stderr(&fixed).contains("--seed"), "{}", stderr(&fixed));
    let random = accord(&[
        "analyze",
        path_text(&scenario("random-3x10.json")),
        "--seed",
        "3",
    ]);
    assert_eq!(random.status.code(), Some(0), "{}", stderr(&random));
}

// Post-mortem: a reservation above every outcome still let the parties trade offers.
#[test]
fn a_reservation_no_outcome_meets_makes_no_move_and_the_summary_says_so() {
    let directory = tempfile::tempdir().unwrap();
    let demanding = directory.path().join("demanding.json");
    let text_of_scenario = fs::read_to_string(scenario("random-3x10.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text_of_scenario).unwrap();
    for party in value["parties"].as_array_mut().unwrap() {
        party["preferences"]["reservation"] = 1.2.into();
    }
    fs::write(&demanding, value.to_string()).unwrap();
    let log = directory.path().join("run.jsonl");
    let output = accord(&["simulate", path_text(&demanding), "--out", path_text(&log)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("no agreement possible: no outcome is worth every party's reservation value"),
        "{}",
        stdout(&output)
    );
    let written = fs::read_to_string(&log).unwrap();
    assert!(!written.contains("proposal.made"), "{written}");
    let json = accord(&["simulate", path_text(&demanding), "--runs", "20", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(summary["runs_without_possible_agreement"], 20);
}

/// Whether a character would act on a terminal instead of being shown (a newline ends
/// accord's own lines and is allowed).
fn acts_on_a_terminal(character: char) -> bool {
    character != '\n' && accord::views::text::is_unsafe_for_terminals(character)
}

/// `text` without accord's own colour codes (`ESC [ digits m`).
fn without_colour_codes(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        kept.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with('m') {
            rest = &after[digits + 1..];
        } else {
            kept.push_str("\u{1b}[");
            rest = after;
        }
    }
    kept.push_str(rest);
    kept
}

// Post-mortem: text from a log reached the terminal raw, so a party's name could set the
// window title, a source clear the screen and an override reverse a line.
#[test]
fn text_from_a_log_reaches_people_escaped_whatever_it_holds() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("hostile.jsonl");
    let drafts = root().join("tests/fixtures/hostile/escapes.drafts.jsonl");
    let appended = accord(&["append", path_text(&log), path_text(&drafts)]);
    assert_eq!(appended.status.code(), Some(0), "{}", stderr(&appended));
    let log = path_text(&log);
    let entities = [
        "party:ARM",
        "party:AZE",
        "issue:border",
        "proposal:p",
        "proposal:q",
        "agreement:deal",
        "provision:deal/x",
    ];
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["state", log],
        vec!["state", log, "--as-of", "2021-01-08"],
        vec!["diff", log, "3", "12"],
        vec!["diff", log, "2021-01-01", "2021-01-10"],
    ];
    commands.extend(entities.iter().map(|entity| vec!["history", log, entity]));
    for command in &commands {
        for colour in ["never", "always"] {
            let arguments = [&command[..], &["--color", colour]].concat();
            let output = accord(&arguments);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{arguments:?}: {}",
                stderr(&output)
            );
            let shown = without_colour_codes(&stdout(&output));
            let raw: Vec<char> = shown.chars().filter(|c| acts_on_a_terminal(*c)).collect();
            assert!(raw.is_empty(), "{arguments:?} printed {raw:?}:\n{shown}");
            if colour == "never" {
                assert_eq!(shown, stdout(&output), "{arguments:?}: no colour asked for");
            }
        }
    }
    // What was escaped is shown, not dropped.
    let state = stdout(&accord(&["state", log]));
    assert!(state.contains("Arm\\u{1b}]0;pwned\\u{7}enia"), "{state}");
    assert!(state.contains("\\u{202e}NAJIABREZA"), "{state}");
    let history = stdout(&accord(&["history", log, "party:AZE"]));
    assert!(history.contains("\\u{1b}[2J"), "{history}");
}

#[test]
fn colour_follows_the_conventions() {
    let log = text_owned(&karabakh());
    let history = ["history", log.as_str(), "party:ARM"];
    let has_colour = |output: &Output| stdout(output).contains("\u{1b}[");
    // Not a terminal: no colour unless asked for.
    assert!(!has_colour(&accord(&history)));
    assert!(has_colour(&accord(
        &[&history[..], &["--color", "always"]].concat()
    )));
    assert!(!has_colour(&accord(
        &[&history[..], &["--color", "never"]].concat()
    )));
    // On a terminal (through script(1)): colour, but not with NO_COLOR set.
    let on_a_terminal = |no_color: Option<&str>| {
        let command = format!(
            "{} history {} party:ARM",
            crate::binary::accord_binary().display(),
            log
        );
        let mut script = Command::new("script");
        script
            .args(["-qec", &command, "/dev/null"])
            .env_remove("NO_COLOR");
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let output = script
            .stdin(Stdio::null())
            .output()
            .expect("script(1) runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).contains("\u{1b}[1m")
    };
    assert!(on_a_terminal(None), "a terminal gets colour");
    assert!(!on_a_terminal(Some("1")), "NO_COLOR turns it off");
    assert!(on_a_terminal(Some("")), "an empty NO_COLOR does not count");
}

fn text_owned(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

// Post-mortem: `-` was taken for a file named `-` ("No such file or directory").
#[test]
fn a_dash_names_stdin_wherever_a_file_is_read() {
    let log = fs::read_to_string(karabakh()).unwrap();
    let from_file = accord(&["state", path_text(&karabakh()), "--json", "--no-snapshot"]);
    let from_stdin = accord_in(&["state", "-", "--json"], Some(&log));
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));
    assert_eq!(stdout(&from_stdin), stdout(&from_file));
    let as_of = accord_in(
        &["state", "-", "--as-of", "2021-05-03", "--hash"],
        Some(&log),
    );
    let as_of_file = accord(&[
        "state",
        path_text(&karabakh()),
        "--as-of",
        "2021-05-03",
        "--hash",
    ]);
    assert_eq!(stdout(&as_of), stdout(&as_of_file));
    for arguments in [
        vec!["verify", "-"],
        vec!["history", "-", "party:ARM"],
        vec!["diff", "-", "2021-05-03", "2021-05-05"],
        vec!["head", "-"],
    ] {
        let output = accord_in(&arguments, Some(&log));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{arguments:?}: {}",
            stderr(&output)
        );
        let mut on_file = arguments.clone();
        let path = karabakh();
        on_file[1] = path_text(&path);
        assert_eq!(stdout(&output), stdout(&accord(&on_file)), "{arguments:?}");
    }
    let tampered = log.replacen("Armenia", "Armenja", 1);
    let refused = accord_in(&["verify", "-"], Some(&tampered));
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).starts_with("accord: stdin: line 2: envelope.chain"),
        "{}",
        stderr(&refused)
    );

    let directory = tempfile::tempdir().unwrap();
    let copy = directory.path().join("copy.jsonl");
    let drafts = fs::read_to_string(root().join("events/karabakh.drafts.jsonl")).unwrap();
    let appended = accord_in(&["append", path_text(&copy), "-"], Some(&drafts));
    assert_eq!(appended.status.code(), Some(0), "{}", stderr(&appended));
    for command in ["append", "snapshot", "repair"] {
        let refused = accord_in(&[command, "-"], Some(""));
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{command}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("stdin (`-`) is read once as a stream"),
            "{}",
            stderr(&refused)
        );
    }
    let talks = fs::read_to_string(scenario("karabakh-talks.json")).unwrap();
    let simulated = accord_in(&["simulate", "-", "--json"], Some(&talks));
    assert_eq!(simulated.status.code(), Some(0), "{}", stderr(&simulated));
    let from_file = accord(&[
        "simulate",
        path_text(&scenario("karabakh-talks.json")),
        "--json",
    ]);
    assert_eq!(stdout(&simulated), stdout(&from_file));
    // One GENIUS file may come from stdin too.
    let genius = root().join("events/scenarios/genius/EnglandZimbabwe");
    let england = fs::read_to_string(genius.join("England.xml")).unwrap();
    let domain = genius.join("EnglandZimbabwe_domain.xml");
    let zimbabwe = genius.join("Zimbabwe.xml");
    let piped = accord_in(
        &[
            "analyze",
            "--genius",
            path_text(&domain),
            "-",
            path_text(&zimbabwe),
            "--json",
        ],
        Some(&england),
    );
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    let named = accord(&[
        "analyze",
        "--genius",
        path_text(&domain),
        path_text(&genius.join("England.xml")),
        path_text(&zimbabwe),
        "--json",
    ]);
    assert_eq!(stdout(&piped), stdout(&named));
    let twice = accord_in(&["analyze", "--genius", "-", "-"], Some(&england));
    assert_eq!(twice.status.code(), Some(2), "{}", stderr(&twice));
}

fn json_of(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    assert_eq!(text.lines().count(), 1, "one JSON object on stdout: {text}");
    serde_json::from_str(&text).expect("stdout is JSON")
}

// Post-mortem: with --json, a refusal printed only its line on stderr, so a script reading
// stdout got nothing to parse.
#[test]
fn with_json_a_refusal_is_also_a_json_object_on_stdout() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("copy.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let draft = r#"{"type":"statement.made","occurred":"2021-05-10T09:00:00Z","data":{"by":"AZE","kind":"claim","issue":"prisonners","text":"t"}}"#;
    let refused = accord_in(&["append", path_text(&log), "--json"], Some(draft));
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let answer = json_of(&refused);
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["rule"], "ref.unknown");
    assert_eq!(answer["line"], 1);
    assert_eq!(answer["input"], "stdin");
    assert!(
        answer["detail"].as_str().unwrap().contains("prisonners"),
        "{answer}"
    );
    assert!(stderr(&refused).starts_with("accord: stdin: draft on line 1: ref.unknown"));

    let expect = accord_in(
        &["append", path_text(&log), "--json", "--expect-seq", "3"],
        Some(draft),
    );
    assert_eq!(expect.status.code(), Some(1));
    assert_eq!(json_of(&expect)["rule"], "append.expect_seq");

    for fixture in fs::read_dir(root().join("tests/fixtures/invalid")).unwrap() {
        let path = fixture.unwrap().path();
        if path
            .extension()
            .is_none_or(|extension| extension != "jsonl")
        {
            continue;
        }
        let output = accord(&["verify", path_text(&path), "--json"]);
        assert_eq!(output.status.code(), Some(1), "{}", path.display());
        let answer = json_of(&output);
        let expected = fs::read_to_string(path.with_extension("error")).unwrap();
        let (line, rule) = expected.trim().split_once(' ').unwrap();
        assert_eq!(answer["rule"], rule, "{}", path.display());
        assert_eq!(answer["seq"].to_string(), line, "{}", path.display());
    }
    let missing = accord(&["state", "no-such.jsonl", "--json"]);
    assert_eq!(missing.status.code(), Some(2));
    let answer = json_of(&missing);
    assert_eq!(
        (answer["ok"].clone(), answer["usage"].clone()),
        (false.into(), true.into())
    );
    // Without --json, stdout stays empty.
    assert!(stdout(&accord(&["state", "no-such.jsonl"])).is_empty());
}

// Post-mortem: the README's append example appended to a missing file with
// `--expect-seq 34`, so it failed when pasted as written.
#[test]
fn the_readme_append_example_works_when_pasted() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .find(|block| block.contains("accord append my-copy.jsonl"))
        .expect("the README has an append example");
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir(directory.path().join("events")).unwrap();
    fs::copy(
        crate::binary::shipped_karabakh(),
        directory.path().join("events/karabakh.jsonl"),
    )
    .unwrap();
    let binary = crate::binary::accord_binary();
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .args(["-ec", block])
        .current_dir(directory.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{block}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("appended seq"));
    let verified = accord(&["verify", path_text(&directory.path().join("my-copy.jsonl"))]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}

// Post-mortem: messages named the wrong thing: `diff` spoke of `--at`, a party that joins
// later was "not joined" with no word of when, a CRLF log failed on its chain, a lone
// surrogate was "unexpected end of hex escape" at a column counted from `data`, and a
// batch whose intent file could not be made blamed the log.
#[test]
fn messages_say_what_is_true() {
    let log = text_owned(&karabakh());
    let beyond = accord(&["diff", &log, "3", "99"]);
    assert_eq!(beyond.status.code(), Some(2));
    assert!(
        stderr(&beyond).contains("diff's TO point 99"),
        "{}",
        stderr(&beyond)
    );
    assert!(!stderr(&beyond).contains("--at"), "{}", stderr(&beyond));

    let directory = tempfile::tempdir().unwrap();
    let fresh = directory.path().join("fresh.jsonl");
    let drafts = "{\"occurred\":\"2021-01-02T00:00:00Z\",\"type\":\"party.joined\",\"data\":{\"party\":\"RUS\",\"name\":\"Russia\",\"role\":\"mediator\"}}\n\
                  {\"occurred\":\"2021-01-01T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"x\",\"title\":\"X\"}}\n\
                  {\"occurred\":\"2021-01-01T12:00:00Z\",\"type\":\"statement.made\",\"data\":{\"by\":\"RUS\",\"kind\":\"appeal\",\"text\":\"t\"}}\n";
    let refused = accord_in(&["append", path_text(&fresh)], Some(drafts));
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("draft on line 3: ref.unknown")
            && message.contains(
                "party RUS joins on line 1, at 2021-01-02T00:00:00Z, later in world time"
            ),
        "{message}"
    );

    let crlf = directory.path().join("crlf.jsonl");
    let windows = fs::read_to_string(karabakh())
        .unwrap()
        .replace('\n', "\r\n");
    fs::write(&crlf, windows).unwrap();
    let refused = accord(&["verify", path_text(&crlf)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("line 1: envelope.shape") && stderr(&refused).contains("CRLF"),
        "{}",
        stderr(&refused)
    );

    let surrogate = r#"{"occurred":"2021-01-01T00:00:00Z","type":"issue.raised","data":{"issue":"x","title":"a\ud800b"}}"#;
    let column = surrogate.find("\\ud800").unwrap() + 1;
    let refused = accord_in(&["append", path_text(&fresh)], Some(surrogate));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(&format!(
            "`\\ud800` at column {column} is a lone UTF-16 surrogate"
        )),
        "{}",
        stderr(&refused)
    );
    let typo = r#"{"occurred":"2021-01-01T00:00:00Z","type":"issue.raised","data":{"issue":"x","titel":"X"}}"#;
    let refused = accord_in(&["append", path_text(&fresh)], Some(typo));
    let column = typo.find("titel").unwrap() + "titel\"".len();
    assert!(
        stderr(&refused).contains(&format!("(column {column})")),
        "{}",
        stderr(&refused)
    );

    let blocked = directory.path().join("blocked.jsonl");
    fs::create_dir(directory.path().join("blocked.jsonl.intent")).unwrap();
    let two = "{\"occurred\":\"2021-01-01T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"x\",\"title\":\"X\"}}\n\
               {\"occurred\":\"2021-01-01T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"y\",\"title\":\"Y\"}}\n";
    let refused = accord_in(&["append", path_text(&blocked)], Some(two));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("blocked.jsonl.intent: cannot write the intent file"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        fs::metadata(&blocked).map(|meta| meta.len()).unwrap_or(0),
        0
    );

    // Plurals and numbers.
    let one = directory.path().join("one.jsonl");
    let appended = accord_in(
        &["append", path_text(&one)],
        Some(typo.replace("titel", "title").as_str()),
    );
    assert!(
        stdout(&appended).contains("(1 event)"),
        "{}",
        stdout(&appended)
    );
    assert!(stdout(&accord(&["verify", path_text(&one)])).starts_with("ok 1 event head "));
    let as_of = stdout(&accord(&["state", &log, "--as-of", "2021-05-03"]));
    assert!(
        as_of.contains("Custody in this log, as of the end of 2021-05-03 (UTC)"),
        "{as_of}"
    );
    assert!(
        !as_of.contains(", now") && !as_of.contains("so far"),
        "{as_of}"
    );
    let analysis = stdout(&accord(&[
        "analyze",
        path_text(&scenario("party-three.json")),
    ]));
    assert!(analysis.contains("outcomes          3,072"), "{analysis}");
    let batch = stdout(&accord(&[
        "simulate",
        path_text(&scenario("random-3x10.json")),
        "--runs",
        "1500",
    ]));
    assert!(batch.contains(": 1,500 runs from seed 0"), "{batch}");
}

// Post-mortem: `repair` took any last line without a newline for a torn append, so a text
// file of one line given by mistake was cut to nothing.
#[test]
fn repair_cuts_only_a_line_accord_began_to_write() {
    let directory = tempfile::tempdir().unwrap();
    let notes = directory.path().join("notes.txt");
    fs::write(&notes, "my notes, no newline at the end").unwrap();
    let refused = accord(&["repair", path_text(&notes)]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("cuts nothing"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(
        fs::read_to_string(&notes).unwrap(),
        "my notes, no newline at the end"
    );
    // A log whose last append was cut mid-line is still repaired.
    let log = directory.path().join("log.jsonl");
    let mut bytes = fs::read(karabakh()).unwrap();
    let whole = bytes.len();
    let last_line = bytes[..whole - 1]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .unwrap()
        + 1;
    bytes.truncate(last_line + 40);
    fs::write(&log, &bytes).unwrap();
    let repaired = accord(&["repair", path_text(&log)]);
    assert_eq!(repaired.status.code(), Some(0), "{}", stderr(&repaired));
    assert!(
        stdout(&repaired).contains("cut line 38 (torn, no newline, 40 bytes)"),
        "{}",
        stdout(&repaired)
    );
}

// Post-mortem: a GENIUS file that does not exist was "refused" (exit 1) as if it had been
// read, while a missing scenario file was exit 2.
#[test]
fn a_file_that_cannot_be_read_is_exit_2_and_bad_content_exit_1() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing.xml");
    let unreadable = accord(&[
        "analyze",
        "--genius",
        path_text(&missing),
        path_text(&missing),
    ]);
    assert_eq!(unreadable.status.code(), Some(2), "{}", stderr(&unreadable));
    let pointing = directory.path().join("pointing.json");
    fs::write(
        &pointing,
        r#"{"name":"x","start":"2026-01-01T00:00:00Z","deadline":3,"genius_domain":"missing.xml","parties":[]}"#,
    )
    .unwrap();
    let output = accord(&["simulate", path_text(&pointing)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("missing.xml"),
        "{}",
        stderr(&output)
    );
    let broken = directory.path().join("broken.json");
    fs::write(&broken, "{broken").unwrap();
    assert_eq!(
        accord(&["simulate", path_text(&broken)]).status.code(),
        Some(1)
    );
    assert_eq!(
        accord(&["simulate", path_text(&directory.path().join("none.json"))])
            .status
            .code(),
        Some(2)
    );
}

// verify carries one fold from snapshot to snapshot while the lines between are in world
// order, and folds a prefix afresh after a backfill: either way every honest snapshot agrees.
#[test]
fn verify_agrees_with_honest_snapshots_around_a_backfill() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let issue = |id: &str, day: u32| {
        format!(
            "{{\"occurred\":\"2021-01-{day:02}T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{{\"issue\":\"{id}\",\"title\":\"{id}\"}}}}\n"
        )
    };
    for (drafts, snapshot) in [
        (issue("a", 10) + &issue("b", 11), true),
        (issue("c", 12), true),
        (issue("early", 1), true),
        (issue("d", 20) + &issue("e", 21), true),
    ] {
        let appended = accord_in(&["append", path_text(&log)], Some(&drafts));
        assert_eq!(appended.status.code(), Some(0), "{}", stderr(&appended));
        if snapshot {
            assert_eq!(
                accord(&["snapshot", path_text(&log)]).status.code(),
                Some(0)
            );
        }
    }
    let verified = accord(&["verify", path_text(&log)]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("(4 snapshots beside it agree)"),
        "{}",
        stdout(&verified)
    );
}
