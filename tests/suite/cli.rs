//! The `accord` binary end to end: outputs, exit codes and one-line errors.

use accord::format::event::Event;
use std::fs;

use serde_json::Value;

use crate::binary;
use binary::{accord, accord_with_stdin, karabakh, path_text, root, scenario, stderr, stdout};

fn state_json(arguments: &[&str]) -> Value {
    let output = accord(arguments);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn the_karabakh_log_verifies() {
    let output = accord(&["verify", path_text(&karabakh())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ok "), "{}", stdout(&output));
}

#[test]
fn karabakh_from_the_3rd_to_the_5th_of_may_differs_by_the_release_of_three() {
    let log = karabakh();
    let mut before = state_json(&["state", path_text(&log), "--as-of", "2021-05-03", "--json"]);
    let mut after = state_json(&["state", path_text(&log), "--as-of", "2021-05-05", "--json"]);
    let held_before = &before["custody"]["AZE"]["ARM"];
    let held_after = &after["custody"]["AZE"]["ARM"];
    assert_eq!(
        held_before["combatant"].as_u64().unwrap() - 3,
        held_after["combatant"].as_u64().unwrap()
    );
    assert_eq!(held_before["civilian"], held_after["civilian"]);
    assert_eq!(
        after["released"],
        serde_json::json!({"AZE": {"ARM": {"civilian": 0, "combatant": 3, "remains": 0}}})
    );
    assert_eq!(before["released"], serde_json::json!({}));
    // The release puts the exchange provision in progress.
    let exchange = "/agreements/trilateral-2020-11-09/provisions/exchange/status";
    assert_eq!(before.pointer(exchange).unwrap(), "pending");
    assert_eq!(after.pointer(exchange).unwrap(), "in_progress");
    // Nothing else in the negotiation differs: only the counters of the fold do.
    for document in [&mut before, &mut after] {
        *document.pointer_mut(exchange).unwrap() = Value::Null;
        let object = document.as_object_mut().unwrap();
        for key in ["custody", "released", "events", "occurred"] {
            object.remove(key);
        }
    }
    assert_eq!(before, after);
    // Custody holds only the soldiers whose capture a source confirms; the "more than 100"
    // captives that remain are Yerevan's figure, kept as its claim, with no split assumed.
    let now = state_json(&["state", path_text(&log), "--json"]);
    assert_eq!(
        now["custody"]["AZE"]["ARM"],
        serde_json::json!({"civilian": 0, "combatant": 59, "remains": 0})
    );
    let claims = now
        .pointer("/agreements/trilateral-2020-11-09/provisions/exchange/claims")
        .unwrap();
    assert_eq!(claims[0]["by"], "ARM");
    assert!(
        claims[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("More than 100")
    );
}

#[test]
fn the_karabakh_log_is_what_its_drafts_append_to() {
    let directory = tempfile::tempdir().unwrap();
    let rebuilt = directory.path().join("karabakh.jsonl");
    for drafts in [
        "events/karabakh.drafts.jsonl",
        "events/karabakh.v2.drafts.jsonl",
    ] {
        let output = accord(&[
            "append",
            path_text(&rebuilt),
            path_text(&root().join(drafts)),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let shipped = fs::read_to_string(crate::binary::shipped_karabakh()).unwrap();
    let rebuilt = fs::read_to_string(&rebuilt).unwrap();
    assert_eq!(shipped.lines().count(), rebuilt.lines().count());
    // The first 38 shipped lines are version 1 and what append writes now is version 2:
    // the same events, with `source` read as one cited source (upcasting).
    for (shipped, rebuilt) in shipped.lines().zip(rebuilt.lines()) {
        let shipped = Event::parse_line(shipped.as_bytes()).unwrap();
        let rebuilt = Event::parse_line(rebuilt.as_bytes()).unwrap();
        assert!(
            !shipped.sources().is_empty(),
            "every Karabakh event cites a source: {shipped:?}"
        );
        assert_eq!(rebuilt.version, accord::format::event::Version::Two);
        assert_eq!(
            (
                shipped.seq,
                shipped.id,
                shipped.occurred.as_str(),
                &shipped.data
            ),
            (
                rebuilt.seq,
                rebuilt.id,
                rebuilt.occurred.as_str(),
                &rebuilt.data
            )
        );
        assert_eq!(shipped.sources(), rebuilt.sources());
    }
}

#[test]
fn history_of_the_exchange_provision_shows_creation_release_and_accusation() {
    let output = accord(&[
        "history",
        path_text(&karabakh()),
        "provision:trilateral-2020-11-09/exchange",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Its text is pinned whole: tests/fixtures/outputs/history-exchange-provision.txt.
    let output = accord(&[
        "history",
        path_text(&karabakh()),
        "provision:trilateral-2020-11-09/exchange",
        "--json",
    ]);
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(lines[0]["before"].is_null());
    assert_eq!(lines[0]["after"]["status"], "pending");
    assert!(lines.iter().any(|line| line["type"] == "release.made"));
    assert_eq!(
        lines.last().unwrap()["after"]["allegations"][0]["against"],
        serde_json::json!(["AZE"])
    );
}

#[test]
fn history_names_what_it_cannot_find() {
    // The messages are pinned whole: tests/fixtures/outputs/history-unknown-*.txt.
    let output = accord(&["history", path_text(&karabakh()), "party:XYZ"]);
    assert_eq!(output.status.code(), Some(1));
    let output = accord(&["history", path_text(&karabakh()), "treaty:X"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn invalid_fixtures_fail_verify_with_exit_1_and_one_line_naming_line_and_rule() {
    let directory = root().join("tests/fixtures/invalid");
    let mut checked = 0;
    for entry in fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_none_or(|extension| extension != "jsonl")
        {
            continue;
        }
        let expected = fs::read_to_string(path.with_extension("error")).unwrap();
        let (line, rule) = expected.trim().split_once(' ').unwrap();
        for command in [["verify"], ["state"]] {
            let output = accord(&[command[0], path_text(&path)]);
            let message = stderr(&output);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{}: {message}",
                path.display()
            );
            assert_eq!(message.lines().count(), 1, "one line: {message}");
            assert!(
                message.contains(&format!("line {line}: {rule}: ")),
                "{}: {message}",
                path.display()
            );
            assert!(stdout(&output).is_empty());
        }
        checked += 1;
    }
    assert!(checked > 50);
}

#[test]
fn unreadable_input_and_bad_usage_exit_2() {
    let karabakh = karabakh();
    let log = path_text(&karabakh);
    let directory = tempfile::tempdir().unwrap();
    for arguments in [
        vec!["state", "/no/such/log.jsonl"],
        vec!["verify", path_text(directory.path())],
        vec!["state", log, "--as-of", "yesterday"],
        vec!["state", log, "--known-at", "2021-13-01"],
        vec!["state", log, "--at", "100000"],
        vec!["state", log, "--no-such-flag"],
        vec!["verify", log, "--head", "xyz"],
        vec!["history", log, "party"],
        vec!["append"],
    ] {
        let output = accord(&arguments);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{arguments:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(
            message.starts_with("error: ") || message.starts_with("accord: "),
            "{arguments:?}: {message}"
        );
    }
    assert_eq!(accord(&["--help"]).status.code(), Some(0));
}

#[test]
fn verify_checks_a_pinned_head() {
    let log = karabakh();
    let head_at_10 = stdout(&accord(&["head", path_text(&log), "--at", "10"]))
        .trim()
        .to_string();
    // What each prints is pinned whole: tests/fixtures/outputs/verify-karabakh-head-at-10.txt
    // and verify-unknown-head.txt.
    let output = accord(&["verify", path_text(&log), "--head", &head_at_10]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = accord(&["verify", path_text(&log), "--head", &"ab".repeat(32)]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn state_hash_is_the_sha256_of_the_state_json() {
    use sha2::{Digest, Sha256};
    let log = karabakh();
    let json = stdout(&accord(&["state", path_text(&log), "--json"]));
    let hash = stdout(&accord(&["state", path_text(&log), "--hash"]));
    let digest = Sha256::digest(json.trim_end().as_bytes());
    let expected: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(hash.trim(), expected);
}

#[test]
fn at_and_known_at_read_a_prefix_of_the_log() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let first = r#"{"type":"party.joined","data":{"party":"A","name":"A","role":"party"},"occurred":"2020-01-01T00:00:00Z"}"#;
    let second = r#"{"type":"party.joined","data":{"party":"B","name":"B","role":"party"},"occurred":"2019-01-01T00:00:00Z"}"#;
    assert_eq!(
        accord_with_stdin(&["append", path_text(&log)], first)
            .status
            .code(),
        Some(0)
    );
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        accord_with_stdin(&["append", path_text(&log)], second)
            .status
            .code(),
        Some(0)
    );

    let whole = state_json(&["state", path_text(&log), "--json"]);
    assert_eq!(
        (whole["seq"].as_u64(), whole["events"].as_u64()),
        (Some(2), Some(2))
    );
    let at_one = state_json(&["state", path_text(&log), "--at", "1", "--json"]);
    assert_eq!(
        at_one["parties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["A"]
    );
    let known = state_json(&["state", path_text(&log), "--known-at", &between, "--json"]);
    assert_eq!(known, at_one);
    // Bitemporal: what we know now about 2019 versus what we knew then about 2019.
    let now_about_2019 = state_json(&["state", path_text(&log), "--as-of", "2019-12-31", "--json"]);
    assert_eq!(
        now_about_2019["parties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["B"]
    );
    assert_eq!(
        (
            now_about_2019["seq"].as_u64(),
            now_about_2019["events"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let then_about_2019 = state_json(&[
        "state",
        path_text(&log),
        "--known-at",
        &between,
        "--as-of",
        "2019-12-31",
        "--json",
    ]);
    assert_eq!(then_about_2019["parties"], serde_json::json!({}));
    assert_eq!(then_about_2019["occurred"], Value::Null);
}

#[test]
fn append_is_idempotent_by_id_and_honours_expect_seq() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("new/../log.jsonl");
    fs::create_dir(directory.path().join("new")).unwrap();
    let drafts = concat!(
        r#"{"type":"party.joined","data":{"party":"A","name":"A","role":"party"},"occurred":"2020-01-01T00:00:00Z","id":"7d0d6a4e-4b53-4d5e-9a0e-000000000001"}"#,
        "\n",
        r#"{"type":"party.joined","data":{"party":"B","name":"B","role":"party"},"occurred":"2020-01-01T00:00:00Z","id":"7d0d6a4e-4b53-4d5e-9a0e-000000000002"}"#,
        "\n"
    );
    let output = accord_with_stdin(&["append", path_text(&log), "--expect-seq", "0"], drafts);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("appended seq 1 party.joined 7d0d6a4e-4b53-4d5e-9a0e-000000000001"),
        "{text}"
    );
    assert!(text.lines().last().unwrap().starts_with("head "), "{text}");

    // The same batch again: duplicates, nothing written, success even with a stale --expect-seq.
    let bytes = fs::read(&log).unwrap();
    let output = accord_with_stdin(&["append", path_text(&log), "--expect-seq", "0"], drafts);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("duplicate 7d0d6a4e-4b53-4d5e-9a0e-000000000002: already at seq 2")
    );
    assert_eq!(fs::read(&log).unwrap(), bytes);

    // A new event with a stale --expect-seq: refused, nothing written.
    let third = r#"{"type":"issue.raised","data":{"issue":"x","title":"X"},"occurred":"2020-01-02T00:00:00Z"}"#;
    let output = accord_with_stdin(&["append", path_text(&log), "--expect-seq", "1"], third);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("append.expect_seq"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read(&log).unwrap(), bytes);

    // A bad draft: refused with its line and rule, nothing written.
    let bad = format!(
        "{third}\n{}",
        r#"{"type":"release.made","data":{"by":"A","of":"B","category":"civilian","count":1},"occurred":"2020-01-03T00:00:00Z"}"#
    );
    let output = accord_with_stdin(&["append", path_text(&log), "--json"], &bad);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("stdin: draft on line 2: custody.negative:"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read(&log).unwrap(), bytes);

    let output = accord_with_stdin(
        &["append", path_text(&log), "--json", "--expect-seq", "2"],
        third,
    );
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["result"], "appended");
    assert_eq!(lines[1]["events"], 3);
}

#[test]
fn a_line_over_the_limit_is_refused_in_a_log_and_in_drafts() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("long.jsonl");
    let mut bytes = fs::read(root().join("tests/fixtures/valid/negotiation.jsonl")).unwrap();
    bytes.extend(std::iter::repeat_n(
        b' ',
        accord::reading::log::MAX_LINE_BYTES + 1,
    ));
    bytes.push(b'\n');
    fs::write(&log, &bytes).unwrap();
    let output = accord(&["verify", path_text(&log)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "line 33: envelope.shape: the line is longer than the limit of 1048576 bytes"
        ),
        "{}",
        stderr(&output)
    );

    let target = directory.path().join("target.jsonl");
    let long_draft = format!(
        r#"{{"type":"issue.raised","data":{{"issue":"x","title":"{}"}},"occurred":"2020-01-01T00:00:00Z"}}"#,
        "t".repeat(accord::reading::log::MAX_LINE_BYTES)
    );
    let output = accord_with_stdin(&["append", path_text(&target)], &long_draft);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("stdin: draft on line 1: envelope.shape"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read(&target).map(|bytes| bytes.len()).unwrap_or(0), 0);
}

#[test]
fn repair_prints_what_it_cuts() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let mut bytes = fs::read(root().join("tests/fixtures/valid/negotiation.jsonl")).unwrap();
    bytes.extend_from_slice(b"{\"v\":1,\"seq\":33,\"id\":\"cut");
    fs::write(&log, &bytes).unwrap();
    let output = accord(&["verify", path_text(&log)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("line 33: log.torn:"),
        "{}",
        stderr(&output)
    );
    let output = accord(&["repair", path_text(&log)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(r#"cut line 33 (torn, no newline, 25 bytes): {"v":1,"seq":33,"id":"cut"#),
        "{text}"
    );
    assert!(text.contains("ok 32 events head"), "{text}");
    let output = accord(&["repair", path_text(&log)]);
    assert!(
        stdout(&output).starts_with("nothing to repair"),
        "{}",
        stdout(&output)
    );
    assert_eq!(accord(&["verify", path_text(&log)]).status.code(), Some(0));
}

#[test]
fn a_refused_append_to_a_missing_log_creates_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("never.jsonl");
    let draft = r#"{"type":"release.made","data":{"by":"A","of":"B","category":"civilian","count":1},"occurred":"2020-01-03T00:00:00Z"}"#;
    let output = accord_with_stdin(&["append", path_text(&log)], draft);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("ref.unknown"),
        "{}",
        stderr(&output)
    );
    assert!(!log.exists());
}

#[test]
fn diff_between_the_3rd_and_the_5th_of_may_is_the_release() {
    let log = karabakh();
    let output = accord(&["diff", path_text(&log), "2021-05-03", "2021-05-05"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Its text is pinned whole: tests/fixtures/outputs/diff-karabakh-release-of-may-2021.txt.
    let output = accord(&[
        "diff",
        path_text(&log),
        "2021-05-03",
        "2021-05-05",
        "--json",
    ]);
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let entities: Vec<&str> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["entity"].as_str().unwrap())
        .collect();
    assert_eq!(
        entities,
        vec![
            "agreement:trilateral-2020-11-09",
            "custody:AZE/ARM",
            "released:AZE/ARM"
        ]
    );
    assert_eq!(
        (
            document["from"]["events"].as_u64(),
            document["to"]["events"].as_u64()
        ),
        (Some(21), Some(24))
    );
    // Seqs as points, and bad points.
    assert_eq!(
        accord(&["diff", path_text(&log), "0", "38"]).status.code(),
        Some(0)
    );
    assert_eq!(
        accord(&["diff", path_text(&log), "0", "39"]).status.code(),
        Some(2)
    );
    assert_eq!(
        accord(&["diff", path_text(&log), "yesterday", "38"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn snapshots_speed_up_state_and_a_stale_one_is_reported_and_ignored() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("karabakh.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let plain = stdout(&accord(&["state", path_text(&log), "--json"]));
    let output = accord(&["snapshot", path_text(&log)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("snapshot at seq 38 head"),
        "{}",
        stdout(&output)
    );
    assert!(
        directory
            .path()
            .join("karabakh.jsonl.snapshots/00000000000000000038.json")
            .exists()
    );
    let output = accord(&["state", path_text(&log)]);
    assert!(
        stdout(&output).contains("(folded from the snapshot at seq 38)"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        stdout(&accord(&["state", path_text(&log), "--json"])),
        plain
    );

    // Replace the log by another one of the same length: the snapshot no longer matches.
    let other = directory.path().join("other.jsonl");
    let mut drafts = fs::read_to_string(root().join("events/karabakh.drafts.jsonl")).unwrap();
    drafts = drafts.replace("Armenia", "Armenia (changed)");
    assert_eq!(
        accord_with_stdin(&["append", path_text(&other)], &drafts)
            .status
            .code(),
        Some(0)
    );
    fs::copy(&other, &log).unwrap();
    let output = accord(&["state", path_text(&log), "--json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("warning") && stderr(&output).contains("does not match"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("Armenia (changed)"));
    assert_eq!(
        accord(&[
            "snapshot",
            path_text(&directory.path().join("missing.jsonl"))
        ])
        .status
        .code(),
        Some(2)
    );
}

// Post-mortem: the Karabakh log cited the statement of 9 November 2020 for issues it does not
// name, gave minute-level times its sources do not, presented "three more" released as all
// releases, split the "more than 100" captives between soldiers and civilians on its own
// assumption, and left handed-over districts and a ceasefire that held as pending.
#[test]
fn the_karabakh_log_says_only_what_its_sources_say() {
    let shipped = fs::read_to_string(karabakh()).unwrap();
    let events: Vec<Value> = shipped
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for event in &events {
        let source = event["source"].as_str().unwrap();
        let occurred = event["occurred"].as_str().unwrap();
        // Only the statement's own moment of entry into force is known to the minute.
        if !occurred.ends_with("T21:00:00Z") {
            assert!(
                ["day only", "month only", "year only"]
                    .iter()
                    .any(|known| source.contains(known)),
                "a time its source does not give, unsaid: {event}"
            );
        }
        if event["type"] == "issue.raised"
            && ["demining", "cultural-heritage"].contains(&event["data"]["issue"].as_str().unwrap())
        {
            assert!(
                source.contains("the statement of 9 November 2020 does not name it"),
                "{event}"
            );
        }
        if event["type"] == "release.made" {
            assert!(source.contains("earlier releases"), "{event}");
        }
        if event["type"] == "detention.reported" {
            assert_eq!(
                event["data"]["category"], "combatant",
                "no assumed split: {event}"
            );
        }
    }
    let denial = events
        .iter()
        .find(|event| {
            event["data"]["issue"] == "border-demarcation" && event["data"]["by"] == "ARM"
        })
        .unwrap();
    assert_eq!(denial["data"]["kind"], "denial");

    let log = karabakh();
    let on = |date: &str, provision: &str| {
        let state = state_json(&["state", path_text(&log), "--as-of", date, "--json"]);
        state
            .pointer(&format!(
                "/agreements/trilateral-2020-11-09/provisions/{provision}/status"
            ))
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(on("2020-11-10", "ceasefire"), "in_progress");
    assert_eq!(on("2020-11-21", "districts-returned"), "in_progress");
    assert_eq!(on("2020-12-01", "districts-returned"), "fulfilled");
    assert_eq!(on("2021-05-31", "ceasefire"), "in_progress");
    // The state as people read it (released persons, denials, claims) is pinned whole:
    // tests/fixtures/outputs/state-karabakh.txt.
}

// `head` folds nothing: it checks every line's envelope and chain (from a snapshot when one
// fits) and prints a hash; the domain rules are `verify`'s.
#[test]
fn head_checks_envelopes_without_folding_and_agrees_with_verify() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("karabakh.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let log_text = path_text(&log);
    let heads_of = |arguments: &[&str]| {
        let output = accord(arguments);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output).trim().to_string()
    };
    let verified = stdout(&accord(&["verify", log_text, "--json"]));
    let verified: Value = serde_json::from_str(&verified).unwrap();
    let whole = heads_of(&["head", log_text]);
    assert_eq!(whole, verified["head"]);
    let at_ten = heads_of(&["head", log_text, "--at", "10"]);
    let state_at_ten = state_json(&["state", log_text, "--at", "10", "--json"]);
    assert_eq!(at_ten, state_at_ten["head"]);
    // From a snapshot, and before it.
    assert_eq!(accord(&["snapshot", log_text]).status.code(), Some(0));
    assert_eq!(heads_of(&["head", log_text]), whole);
    assert_eq!(heads_of(&["head", log_text, "--at", "10"]), at_ten);
    let beyond = accord(&["head", log_text, "--at", "39"]);
    assert_eq!(beyond.status.code(), Some(2));
    assert!(
        stderr(&beyond).contains("has 38 lines"),
        "{}",
        stderr(&beyond)
    );
    // A line that breaks a domain rule still has a hash; verify names the rule.
    let draft = r#"{"type":"proposal.accepted","occurred":"2021-06-01T00:00:00Z","data":{"proposal":"madrid-principles","by":"ARM"}}"#;
    let bad = directory.path().join("bad.jsonl");
    fs::copy(karabakh(), &bad).unwrap();
    let mut bytes = fs::read(&bad).unwrap();
    // Build the rule-breaking line by hand: the store would refuse to append it.
    let last: Value =
        serde_json::from_str(std::str::from_utf8(&bytes).unwrap().lines().last().unwrap()).unwrap();
    let draft: Value = serde_json::from_str(draft).unwrap();
    let prev = {
        use sha2::Digest;
        let text = std::str::from_utf8(&bytes).unwrap().lines().last().unwrap();
        sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    };
    let line = format!(
        r#"{{"v":1,"seq":39,"id":"00000000-0000-4000-8000-000000000039","occurred":"2021-06-01T00:00:00Z","recorded":{},"type":"proposal.accepted","data":{},"prev":"{prev}"}}"#,
        last["recorded"], draft["data"]
    );
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    fs::write(&bad, &bytes).unwrap();
    let refused = accord(&["verify", path_text(&bad)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("line 39: proposal.closed"),
        "{}",
        stderr(&refused)
    );
    let head = heads_of(&["head", path_text(&bad)]);
    assert_eq!(head.len(), 64);
    assert_ne!(head, whole);
}

#[test]
fn per_run_rows_are_one_per_run_the_same_on_any_number_of_threads_and_never_overwrite() {
    let directory = tempfile::tempdir().unwrap();
    let scenario = scenario("random-3x10.json");
    let rows = |name: &str, threads: &str| {
        let path = directory.path().join(name);
        let output = accord(&[
            "simulate",
            path_text(&scenario),
            "--runs",
            "40",
            "--seed",
            "9",
            "--threads",
            threads,
            "--json",
            "--per-run",
            path_text(&path),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        (std::fs::read_to_string(&path).unwrap(), summary)
    };
    let (csv, summary) = rows("one.csv", "1");
    assert_eq!(rows("two.csv", "2").0, csv, "same seed, same bytes");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 41, "a header and a row per run");
    assert!(
        lines[0].starts_with("run,seed,agreement,round,"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("1,9,"), "{}", lines[1]);
    // JSON Lines: the same runs; the utilities average to the summary's mean.
    let (jsonl, _) = rows("rows.jsonl", "2");
    let documents: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(documents.len(), 40);
    let party = summary["parties"][0].as_str().unwrap();
    let mean = documents
        .iter()
        .map(|row| row["utilities"][party].as_f64().unwrap())
        .sum::<f64>()
        / 40.0;
    let expected = summary["utilities"][0]["mean"].as_f64().unwrap();
    assert!((mean - expected).abs() < 1e-12, "{mean} {expected}");
    // An existing file is refused, untouched; --force replaces it; other extensions are
    // refused before anything runs.
    let existing = directory.path().join("one.csv");
    let refused = accord(&[
        "simulate",
        path_text(&scenario),
        "--per-run",
        path_text(&existing),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), csv);
    let forced = accord(&[
        "simulate",
        path_text(&scenario),
        "--per-run",
        path_text(&existing),
        "--force",
    ]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap().lines().count(),
        2
    );
    let other = directory.path().join("rows.txt");
    let refused = accord(&[
        "simulate",
        path_text(&scenario),
        "--per-run",
        path_text(&other),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!other.exists());
}

/// A GENIUS domain of `issues` issues of ten options each, and `parties` linear additive
/// profiles over it, written into `directory`: the domain first, then the profiles.
fn write_large_genius_domain(
    directory: &std::path::Path,
    issues: usize,
    parties: usize,
) -> Vec<std::path::PathBuf> {
    let mut domain = String::from(
        "<negotiation_template><utility_space><objective index=\"0\" name=\"root\" type=\"objective\" etype=\"objective\">\n",
    );
    for issue in 1..=issues {
        domain.push_str(&format!(
            "<issue index=\"{issue}\" name=\"issue{issue}\" vtype=\"discrete\" type=\"discrete\" etype=\"discrete\">"
        ));
        for option in 1..=10 {
            domain.push_str(&format!(
                "<item index=\"{option}\" value=\"v{option}\"></item>"
            ));
        }
        domain.push_str("</issue>\n");
    }
    domain.push_str("</objective></utility_space></negotiation_template>\n");
    let mut paths = vec![directory.join("large_domain.xml")];
    fs::write(&paths[0], domain).unwrap();
    for party in 0..parties {
        let mut profile = String::from(
            "<utility_space><reservation value=\"0.1\" /><objective index=\"0\" name=\"root\" type=\"objective\" etype=\"objective\">\n",
        );
        for issue in 1..=issues {
            profile.push_str(&format!(
                "<issue index=\"{issue}\" name=\"issue{issue}\" vtype=\"discrete\" type=\"discrete\" etype=\"discrete\">"
            ));
            for option in 1..=10 {
                let evaluation = 1 + (option * 7 + issue * 3 + party * 5) % 10;
                profile.push_str(&format!(
                    "<item index=\"{option}\" value=\"v{option}\" evaluation=\"{evaluation}\"></item>"
                ));
            }
            profile.push_str("</issue>\n");
        }
        for issue in 1..=issues {
            profile.push_str(&format!(
                "<weight index=\"{issue}\" value=\"1\"></weight>\n"
            ));
        }
        profile.push_str("</objective></utility_space>\n");
        let path = directory.join(format!("large_{party}.xml"));
        fs::write(&path, profile).unwrap();
        paths.push(path);
    }
    paths
}

#[test]
fn analyze_answers_a_space_of_a_trillion_outcomes_and_simulate_says_why_it_cannot() {
    let directory = tempfile::tempdir().unwrap();
    let two = write_large_genius_domain(directory.path(), 12, 2);
    let mut arguments = vec!["analyze", "--json", "--genius"];
    arguments.extend(two.iter().map(|path| path_text(path)));
    let output = accord(&arguments);
    assert!(output.status.success(), "{}", stderr(&output));
    let analysis: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(analysis["n_outcomes"], 1_000_000_000_000u64);
    assert!(analysis["pareto_size"].as_u64().unwrap() >= 1);
    assert!(analysis["nash"]["utilities"].is_array());
    assert!(analysis["max_welfare"].is_number());
    // Three parties: what needs no enumeration, and on stderr what was not computed.
    let three = write_large_genius_domain(directory.path(), 12, 3);
    let mut arguments = vec!["analyze", "--json", "--genius"];
    arguments.extend(three.iter().map(|path| path_text(path)));
    let output = accord(&arguments);
    assert!(output.status.success(), "{}", stderr(&output));
    let analysis: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(analysis["n_outcomes"], 1_000_000_000_000u64);
    assert!(analysis["pareto_size"].is_null() && analysis["nash"].is_null());
    assert!(analysis["max_welfare"].is_number());
    assert!(
        stderr(&output).contains("pareto_size"),
        "{}",
        stderr(&output)
    );
    // The simulator ranks every outcome, so it refuses, and says what can answer instead.
    let mut arguments = vec!["simulate", "--genius"];
    arguments.extend(two.iter().map(|path| path_text(path)));
    let output = accord(&arguments);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("`accord analyze` answers larger ones"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn analyze_and_simulate_read_anac_2014_nonlinear_files() {
    let directory = crate::binary::root().join("events/scenarios/nonlinear/5issues");
    let files: Vec<String> = ["5issues-domain.xml", "profile-1.xml", "profile-2.xml"]
        .iter()
        .map(|name| path_text(&directory.join(name)).to_string())
        .collect();
    let mut arguments = vec!["analyze", "--json", "--frontier", "--genius"];
    arguments.extend(files.iter().map(String::as_str));
    let output = accord(&arguments);
    assert!(output.status.success(), "{}", stderr(&output));
    let analysis: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(analysis["n_outcomes"], 100_000);
    assert_eq!(analysis["pareto_size"], 86);
    assert_eq!(analysis["frontier"].as_array().unwrap().len(), 9);
    assert_eq!(analysis["nash"]["outcome"]["i1"], "6");
    let mut arguments = vec!["simulate", "--json", "--genius"];
    arguments.extend(files.iter().map(String::as_str));
    let output = accord(&arguments);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["agreement_rate"], 1.0);
    // The directory stands for its files, as a tournament's domains do.
    let by_directory = accord(&["simulate", "--json", path_text(&directory)]);
    assert_eq!(
        stdout(&by_directory),
        stdout(&output).replace("5issues-domain", "5issues")
    );
    let analysed = accord(&["analyze", "--json", path_text(&directory)]);
    let analysed: Value = serde_json::from_str(&stdout(&analysed)).unwrap();
    assert_eq!(analysed["pareto_size"], 86);
}

/// The GeniusWeb JSON of a GENIUS profile: the same domain, weights and (normalised) value
/// utilities, and a reservation bid when `reservation_bid` names one option per issue.
fn geniusweb_profile(
    domain: &accord::sim::domain::Domain,
    preferences: &accord::sim::domain::Preferences,
    name: &str,
    reservation_bid: Option<&[usize]>,
) -> String {
    let mut issues_values = serde_json::Map::new();
    let mut weights = serde_json::Map::new();
    let mut utilities = serde_json::Map::new();
    for (index, issue) in domain.issues.iter().enumerate() {
        let values: Vec<&str> = issue.options.iter().map(|option| &**option).collect();
        issues_values.insert(issue.title.clone(), serde_json::json!({ "values": values }));
        weights.insert(
            issue.title.clone(),
            serde_json::json!(preferences.weights[index]),
        );
        let by_value: serde_json::Map<String, Value> = issue
            .options
            .iter()
            .zip(&preferences.values[index])
            .map(|(option, value)| (option.to_string(), serde_json::json!(value)))
            .collect();
        utilities.insert(
            issue.title.clone(),
            serde_json::json!({ "discreteutils": { "valueUtilities": by_value } }),
        );
    }
    let bid = reservation_bid.map(|bid| {
        let chosen: serde_json::Map<String, Value> = domain
            .issues
            .iter()
            .zip(bid)
            .map(|(issue, option)| {
                (
                    issue.title.clone(),
                    serde_json::json!(&*issue.options[*option]),
                )
            })
            .collect();
        serde_json::json!({ "issuevalues": chosen })
    });
    serde_json::json!({ "LinearAdditiveUtilitySpace": {
        "name": name,
        "domain": { "name": "england-zimbabwe", "issuesValues": issues_values },
        "issueWeights": weights,
        "issueUtilities": utilities,
        "reservationBid": bid,
    }})
    .to_string()
}

#[test]
fn geniusweb_profiles_give_the_analysis_of_the_same_genius_profiles() {
    use accord::sim::genius;
    let directory = tempfile::tempdir().unwrap();
    let genius_directory = root().join("events/scenarios/genius/EnglandZimbabwe");
    let domain = genius::load_domain(&genius_directory.join("EnglandZimbabwe_domain.xml")).unwrap();
    let mut paths = Vec::new();
    for name in ["England", "Zimbabwe"] {
        let preferences =
            genius::load_profile(&genius_directory.join(format!("{name}.xml")), &domain).unwrap();
        let path = directory.path().join(format!("{name}.json"));
        fs::write(&path, geniusweb_profile(&domain, &preferences, name, None)).unwrap();
        paths.push(path);
    }
    let analysis = |arguments: &[&str]| -> Value {
        let output = accord(arguments);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    let from_json = analysis(&[
        "analyze",
        "--json",
        "--geniusweb",
        path_text(&paths[0]),
        path_text(&paths[1]),
    ]);
    let domain_path = genius_directory.join("EnglandZimbabwe_domain.xml");
    let england = genius_directory.join("England.xml");
    let zimbabwe = genius_directory.join("Zimbabwe.xml");
    let from_xml = analysis(&[
        "analyze",
        "--json",
        "--genius",
        path_text(&domain_path),
        path_text(&england),
        path_text(&zimbabwe),
    ]);
    for figure in ["n_outcomes", "pareto_size"] {
        assert_eq!(from_json[figure], from_xml[figure], "{figure}");
    }
    let rounded = |value: &Value| (value.as_f64().unwrap() * 1e6).round() as i64;
    for party in 0..2 {
        assert_eq!(
            rounded(&from_json["nash"]["utilities"][party]),
            rounded(&from_xml["nash"]["utilities"][party])
        );
    }
    assert_eq!(
        rounded(&from_json["max_welfare"]),
        rounded(&from_xml["max_welfare"])
    );
    // The profiles simulate too; a reservation bid sets the reservation value to its
    // utility, which the people's analysis shows.
    let simulated = accord(&[
        "simulate",
        "--geniusweb",
        path_text(&paths[0]),
        path_text(&paths[1]),
    ]);
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    let preferences = genius::load_profile(&england, &domain).unwrap();
    let bid = vec![0; domain.issues.len()];
    let with_bid = directory.path().join("England-bid.json");
    fs::write(
        &with_bid,
        geniusweb_profile(&domain, &preferences, "England", Some(&bid)),
    )
    .unwrap();
    let output = accord(&[
        "analyze",
        "--geniusweb",
        path_text(&with_bid),
        path_text(&paths[1]),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = format!("England-bid {:.6}", preferences.utility(&bid));
    assert!(stdout(&output).contains(&expected), "{}", stdout(&output));
}

#[test]
fn other_geniusweb_spaces_and_value_sets_are_refused_by_name() {
    let directory = tempfile::tempdir().unwrap();
    let groups = directory.path().join("groups.json");
    fs::write(&groups, r#"{"SumOfGroupsUtilitySpace": {"name": "x"}}"#).unwrap();
    let output = accord(&["analyze", "--geniusweb", path_text(&groups)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("SumOfGroupsUtilitySpace"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("LinearAdditiveUtilitySpace"),
        "{}",
        stderr(&output)
    );
    let numbers = directory.path().join("numbers.json");
    fs::write(
        &numbers,
        r#"{"LinearAdditiveUtilitySpace": {"name": "x",
            "domain": {"name": "d", "issuesValues": {"price": {"values": ["low", "high"]}}},
            "issueWeights": {"price": 1},
            "issueUtilities": {"price": {"NumberValueSetUtilities": {"lowValue": 0}}}}}"#,
    )
    .unwrap();
    let output = accord(&["analyze", "--geniusweb", path_text(&numbers)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("NumberValueSetUtilities"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_tournament_ranks_every_strategy_the_same_on_any_number_of_threads() {
    let directory = tempfile::tempdir().unwrap();
    let travel = root().join("events/scenarios/genius/Travel");
    let england_zimbabwe = scenario("england-zimbabwe.json");
    let party_three = scenario("party-three.json");
    let play = |threads: &str, csv: &std::path::Path| {
        let output = accord(&[
            "tournament",
            path_text(&travel),
            path_text(&england_zimbabwe),
            path_text(&party_three),
            "--strategies",
            "boulware,conceder,linear,tit_for_tat",
            "--runs",
            "3",
            "--seed",
            "5",
            "--threads",
            threads,
            "--json",
            "--csv",
            path_text(csv),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        (stdout(&output), fs::read_to_string(csv).unwrap())
    };
    let (one, one_csv) = play("1", &directory.path().join("one.csv"));
    let (three, three_csv) = play("3", &directory.path().join("three.csv"));
    assert_eq!(one, three, "same seed, same bytes");
    assert_eq!(one_csv, three_csv);
    let result: Value = serde_json::from_str(&one).unwrap();
    // Two two-party domains (16 assignments each) and one of three parties (64).
    assert_eq!(result["assignments"], 96);
    assert_eq!(result["total_runs"], 288);
    let ranking = result["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 4);
    let roles_played: u64 = ranking
        .iter()
        .map(|row| row["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(roles_played, (2 * 16 + 2 * 16 + 3 * 64) * 3);
    assert!(
        ranking
            .windows(2)
            .all(|pair| { pair[0]["utility_mean"].as_f64() >= pair[1]["utility_mean"].as_f64() })
    );
    // A header, the four strategies over all domains, then four per domain.
    assert_eq!(one_csv.lines().count(), 1 + 4 + 3 * 4);
    assert!(one_csv.starts_with("rank,strategy,runs,utility_mean,utility_sd,"));
    // The CSV is never overwritten by surprise.
    let again = accord(&[
        "tournament",
        path_text(&travel),
        "--strategies",
        "boulware",
        "--csv",
        path_text(&directory.path().join("one.csv")),
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(directory.path().join("one.csv")).unwrap(),
        one_csv
    );
}

#[test]
fn copy_makes_a_new_file_with_the_same_bytes_and_never_overwrites() {
    let directory = tempfile::tempdir().unwrap();
    let original = karabakh();
    let copy = directory.path().join("copy.jsonl");
    let output = accord(&["copy", path_text(&original), path_text(&copy)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(fs::read(&copy).unwrap(), fs::read(&original).unwrap());
    assert!(
        stdout(&output).starts_with("copied 38 events"),
        "{}",
        stdout(&output)
    );
    // The destination exists now: refused, untouched; --force replaces it.
    fs::write(&copy, b"mine").unwrap();
    let refused = accord(&["copy", path_text(&original), path_text(&copy)]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(fs::read(&copy).unwrap(), b"mine");
    let forced = accord(&["copy", path_text(&original), path_text(&copy), "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(fs::read(&copy).unwrap(), fs::read(&original).unwrap());
    // Onto itself, even with --force: refused, the log untouched.
    let onto_itself = accord(&["copy", path_text(&copy), path_text(&copy), "--force"]);
    assert_eq!(onto_itself.status.code(), Some(2));
    assert_eq!(fs::read(&copy).unwrap(), fs::read(&original).unwrap());
    // A log that does not verify is not copied anywhere.
    let damaged = directory.path().join("damaged.jsonl");
    let mut bytes = fs::read(&original).unwrap();
    bytes.truncate(bytes.len() - 10);
    fs::write(&damaged, &bytes).unwrap();
    let elsewhere = directory.path().join("elsewhere.jsonl");
    let refused = accord(&["copy", path_text(&damaged), path_text(&elsewhere)]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(!elsewhere.exists());
}

/// A draft of a new party `party` (same occurred for all, so any order folds).
fn party_draft(party: &str) -> String {
    format!(
        r#"{{"type":"party.joined","occurred":"2020-01-01T00:00:00Z","data":{{"party":"{party}","name":"Party {party}","role":"party"}}}}"#
    )
}

#[test]
fn follow_prints_each_event_of_a_file_once_as_it_lands() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("live.jsonl");
    let log_text = path_text(&log);
    assert!(
        accord_with_stdin(&["append", log_text], &party_draft("A"))
            .status
            .success()
    );
    // From line 1: what is there, then what lands.
    let everything = binary::follow(&[log_text, "--from", "1", "--json"]);
    // By default: only what lands after the follow starts.
    let only_new = binary::follow(&[log_text, "--json"]);
    let first: Value = serde_json::from_str(&everything.next_line()).unwrap();
    assert_eq!(first["seq"], 1);
    // Let the default follower take its start before anything lands.
    std::thread::sleep(std::time::Duration::from_millis(500));
    for party in ["B", "C"] {
        assert!(
            accord_with_stdin(&["append", log_text], &party_draft(party))
                .status
                .success()
        );
    }
    let batch = format!("{}\n{}\n", party_draft("D"), party_draft("E"));
    assert!(
        accord_with_stdin(&["append", log_text], &batch)
            .status
            .success()
    );
    for (follower, from_line_one) in [(&everything, true), (&only_new, false)] {
        let mut seqs = Vec::new();
        while seqs.last() != Some(&5) {
            let line: Value = serde_json::from_str(&follower.next_line()).unwrap();
            seqs.push(line["seq"].as_u64().unwrap());
        }
        // Contiguous, each once; the default follower starts after line 1 (at line 2
        // unless the machine was slow to start it).
        let first = seqs[0];
        assert!(first >= 2 && (first == 2 || !from_line_one), "{seqs:?}");
        assert_eq!(seqs, (first..=5).collect::<Vec<u64>>());
        assert!(follower.quiet_for(std::time::Duration::from_millis(300)));
    }
    // Each line printed is the log's own line.
    let lines: Vec<String> = fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    drop(everything);
    let again = binary::follow(&[log_text, "--from", "4", "--json"]);
    assert_eq!(again.next_line(), lines[3]);
    assert_eq!(again.next_line(), lines[4]);
    // For people: the event's block, its text escaped.
    let people = binary::follow(&[log_text, "--from", "5"]);
    assert_eq!(
        people.next_line(),
        "seq 5  2020-01-01T00:00:00Z  party.joined"
    );
    assert!(
        accord_with_stdin(
            &["append", log_text],
            &party_draft("F").replace("Party F", "F\u{202e}")
        )
        .status
        .success()
    );
    // The rest of seq 5's block (its text and recorded time), then seq 6's.
    let shown: Vec<String> = (0..4).map(|_| people.next_line()).collect();
    assert_eq!(shown[2], "seq 6  2020-01-01T00:00:00Z  party.joined");
    assert!(
        shown[3].contains("F\\u{202e}") && !shown[3].contains('\u{202e}'),
        "{}",
        shown[3]
    );
    // A correction and a retraction print as they land, saying what they change.
    let corrections = binary::follow(&[log_text, "--from", "7"]);
    let corrected = accord(&[
        "correct",
        log_text,
        "6",
        "--reason",
        "the source gives the day",
        "--occurred",
        "2020-01-01",
    ]);
    assert!(corrected.status.success(), "{}", stderr(&corrected));
    let retracted = accord(&["retract", log_text, "5", "--reason", "no source"]);
    assert!(retracted.status.success(), "{}", stderr(&retracted));
    let mut shown: Vec<String> = Vec::new();
    while shown.len() < 12 && !shown.iter().any(|line| line.contains("retracted: ")) {
        shown.push(corrections.next_line());
    }
    assert!(shown[0].starts_with("seq 7  ") && shown[0].ends_with("event.corrected"));
    assert!(
        shown[1].contains("line 6 corrected: “the source gives the day”"),
        "{shown:?}"
    );
    let retraction = shown
        .iter()
        .position(|line| line.ends_with("event.retracted"));
    let retraction = retraction.expect("the retraction's block");
    assert_eq!(shown[retraction + 1], "  line 5 retracted: “no source”");
    drop(corrections);
    drop(people);
    let follow_stdin = accord(&["follow", "-"]);
    assert_eq!(follow_stdin.status.code(), Some(2));
    let with_stream = accord(&["follow", log_text, "--stream", "main"]);
    assert_eq!(with_stream.status.code(), Some(2));
}

#[test]
fn proofs_of_the_karabakh_log_hold_without_the_log_and_fail_when_touched() {
    let log = karabakh();
    let log_text = path_text(&log);
    // The root any RFC 9162 implementation computes from the log's 38 lines.
    let root = "c7016901aec287cfd13291f408db87cf285a864b6335eb5d5bbe86a32a439639";
    assert_eq!(
        stdout(&accord(&["root", log_text])),
        format!("size 38 root {root}\n")
    );
    let directory = tempfile::tempdir().unwrap();
    let proof_path = directory.path().join("proof.json");
    let proof_text = path_text(&proof_path);
    for seq in 1..=38 {
        let proof = accord(&["prove", log_text, "--seq", &seq.to_string()]);
        assert!(proof.status.success());
        fs::write(&proof_path, &proof.stdout).unwrap();
        let checked = accord(&["check-proof", proof_text, "--root", root]);
        assert!(checked.status.success(), "{}", stderr(&checked));
        // Another line in the proof's place is refused.
        let mut document: Value = serde_json::from_slice(&proof.stdout).unwrap();
        let line = document["line"].as_str().unwrap().to_string();
        document["line"] = Value::String(line.replacen("\"seq\"", "\"seq\" ", 1));
        fs::write(&proof_path, document.to_string()).unwrap();
        let refused = accord(&["check-proof", proof_text, "--root", root]);
        assert_eq!(refused.status.code(), Some(1));
        assert!(stderr(&refused).contains("proof.inclusion"));
    }
    for from in 1..=38 {
        let from_root: Value = serde_json::from_str(&stdout(&accord(&[
            "root",
            log_text,
            "--at",
            &from.to_string(),
            "--json",
        ])))
        .unwrap();
        let proof = accord(&["prove", log_text, "--from", &from.to_string(), "--json"]);
        fs::write(&proof_path, &proof.stdout).unwrap();
        let from_root = from_root["root"].as_str().unwrap();
        let checked = accord(&["check-proof", proof_text, "--root", from_root, "--json"]);
        assert!(checked.status.success(), "{}", stderr(&checked));
        let verdict: Value = serde_json::from_str(&stdout(&checked)).unwrap();
        assert_eq!(verdict["to_root"], root);
        // Against another old root, it does not hold.
        let refused = accord(&["check-proof", proof_text, "--root", root, "--json"]);
        if from < 38 {
            assert_eq!(refused.status.code(), Some(1));
            let verdict: Value = serde_json::from_str(&stdout(&refused)).unwrap();
            assert_eq!(verdict["rule"], "proof.consistency");
        }
    }
    // Not a proof, or past the log: usage errors.
    fs::write(&proof_path, "{\"proof\":\"something else\"}").unwrap();
    assert_eq!(accord(&["check-proof", proof_text]).status.code(), Some(2));
    assert_eq!(
        accord(&["prove", log_text, "--seq", "39"]).status.code(),
        Some(2)
    );
    assert_eq!(
        accord(&["root", log_text, "--at", "39"]).status.code(),
        Some(2)
    );
}

#[test]
fn an_auditor_with_an_old_signed_checkpoint_checks_an_event_and_the_extension() {
    let directory = tempfile::tempdir().unwrap();
    let at = |name: &str| directory.path().join(name);
    let log = at("k.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let (log, key, public) = (path_text(&log), at("mediator"), at("mediator.pub"));
    let (key, public) = (path_text(&key), path_text(&public));
    let made = accord(&["keygen", "--out", key]);
    assert!(made.status.success(), "{}", stderr(&made));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        !stdout(&made).contains("PRIVATE"),
        "the private key is never printed"
    );
    assert_eq!(accord(&["keygen", "--out", key]).status.code(), Some(2));
    // The mediator signs the log as it stands, and the auditor keeps only that and the key.
    let signed = accord(&[
        "checkpoint",
        log,
        "--key",
        key,
        "--origin",
        "example.org/karabakh",
    ]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let old = at("old.txt");
    fs::write(&old, &signed.stdout).unwrap();
    let old = path_text(&old);
    assert!(stdout(&signed).starts_with("example.org/karabakh\n38\n"));
    assert!(
        at("k.jsonl.checkpoints/00000000000000000038-")
            .parent()
            .unwrap()
            .exists()
    );
    // The log grows; the new log extends the old checkpoint.
    let draft = r#"{"type":"statement.made","occurred":"2021-05-10T09:00:00Z","data":{"by":"AZE","kind":"claim","issue":"prisoners","text":"More."}}"#;
    assert!(accord_with_stdin(&["append", log], draft).status.success());
    let verified = accord(&["verify", log, "--checkpoint", old, "--pubkey", public]);
    assert!(
        stdout(&verified).contains("extends the signed checkpoint"),
        "{}",
        stderr(&verified)
    );
    let write = |name: &str, bytes: &[u8]| {
        fs::write(at(name), bytes).unwrap();
        path_text(&at(name)).to_string()
    };
    let extension = write(
        "since.json",
        &accord(&["prove", log, "--from", "38"]).stdout,
    );
    let checked = accord(&[
        "check-proof",
        &extension,
        "--checkpoint",
        old,
        "--pubkey",
        public,
    ]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    // An event of the old log, proven against the old checkpoint: no log needed.
    let event = write(
        "line-12.json",
        &accord(&["prove", log, "--seq", "12", "--size", "38"]).stdout,
    );
    let checked = accord(&[
        "check-proof",
        &event,
        "--checkpoint",
        old,
        "--pubkey",
        public,
    ]);
    assert!(stdout(&checked).contains("line 12"), "{}", stderr(&checked));
    // A proof for another size than the checkpoint's is not checked against it.
    let new_event = write(
        "line-39.json",
        &accord(&["prove", log, "--seq", "39"]).stdout,
    );
    let refused = accord(&[
        "check-proof",
        &new_event,
        "--checkpoint",
        old,
        "--pubkey",
        public,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    // Any flipped bit of the checkpoint's signature, or a changed size or root, is refused,
    // and so is another key.
    let note = fs::read_to_string(old).unwrap();
    let signature_at = note.rfind(' ').unwrap() + 1;
    for offset in [0, 10, 40, 80] {
        let mut bytes = note.clone().into_bytes();
        bytes[signature_at + offset] = if bytes[signature_at + offset] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let forged = write("forged.txt", &bytes);
        let refused = accord(&["verify", log, "--checkpoint", &forged, "--pubkey", public]);
        assert_eq!(refused.status.code(), Some(1));
        assert!(stderr(&refused).contains("checkpoint.signature"));
    }
    let resized = write(
        "resized.txt",
        note.replacen("\n38\n", "\n37\n", 1).as_bytes(),
    );
    assert_eq!(
        accord(&["verify", log, "--checkpoint", &resized, "--pubkey", public])
            .status
            .code(),
        Some(1)
    );
    let other_key = path_text(&at("other")).to_string();
    assert!(
        accord(&["keygen", "--out", &other_key, "--name", "mediator"])
            .status
            .success()
    );
    let refused = accord(&[
        "verify",
        log,
        "--checkpoint",
        old,
        "--pubkey",
        &format!("{other_key}.pub"),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    // A checkpoint of another log's tree does not pass verify.
    let other_log = at("other.jsonl");
    fs::write(
        &other_log,
        fs::read_to_string(karabakh())
            .unwrap()
            .lines()
            .take(20)
            .map(|line| format!("{line}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let refused = accord(&[
        "verify",
        path_text(&other_log),
        "--checkpoint",
        old,
        "--pubkey",
        public,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("checkpoint.root"));
}

#[test]
fn a_snapshot_keeps_its_tree_head_and_a_signed_checkpoint_covers_a_query_from_it() {
    let directory = tempfile::tempdir().unwrap();
    let at = |name: &str| directory.path().join(name);
    let lines: Vec<String> = fs::read_to_string(karabakh())
        .unwrap()
        .lines()
        .map(|line| format!("{line}\n"))
        .collect();
    let log_path = at("k.jsonl");
    fs::write(&log_path, lines[..20].concat()).unwrap();
    let log = path_text(&log_path);
    let (key, public) = (at("key"), at("key.pub"));
    let (key, public) = (path_text(&key), path_text(&public));
    assert!(accord(&["keygen", "--out", key]).status.success());
    let root_of = |arguments: &[&str]| -> Value {
        let output = accord(arguments);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    // The snapshot at line 20 keeps the tree of lines 1 to 20, with `root`'s root.
    let root_20 = root_of(&["root", log, "--json"])["root"].clone();
    let made = accord(&["snapshot", log]);
    assert!(
        stdout(&made).contains(&format!("tree size 20 root {}", root_20.as_str().unwrap())),
        "{}",
        stdout(&made)
    );
    let sign = |name: &str| {
        let signed = accord(&["checkpoint", log, "--key", key, "--origin", "example.org/k"]);
        assert!(signed.status.success(), "{}", stderr(&signed));
        fs::write(at(name), &signed.stdout).unwrap();
        path_text(&at(name)).to_string()
    };
    let old = sign("old.txt");
    // The log grows by the rest of the Karabakh lines (the same chain, byte for byte).
    fs::write(&log_path, lines.concat()).unwrap();
    let plain = stdout(&accord(&["state", log, "--hash"]));
    let covered = accord(&[
        "state",
        log,
        "--hash",
        "--checkpoint",
        &old,
        "--pubkey",
        public,
    ]);
    assert_eq!(stdout(&covered), plain, "{}", stderr(&covered));
    assert!(
        stderr(&covered).contains(
            "lines 1 to 20 are the tree signed for example.org/k (the snapshot at seq 20 keeps that tree); this state starts from that snapshot; lines 21 to 38 came after it and no checkpoint covers them"
        ),
        "{}",
        stderr(&covered)
    );
    // A checkpoint of the whole log: the snapshot's tree grows by the lines after it.
    let new = sign("new.txt");
    let covered = accord(&[
        "state",
        log,
        "--hash",
        "--checkpoint",
        &new,
        "--pubkey",
        public,
    ]);
    assert!(
        stderr(&covered).contains(
            "(the snapshot at seq 20 keeps the tree of lines 1 to 20; lines 21 to 38 were read); this state starts from that snapshot"
        ),
        "{}",
        stderr(&covered)
    );
    let verified = root_of(&[
        "verify",
        log,
        "--checkpoint",
        &new,
        "--pubkey",
        public,
        "--json",
    ]);
    assert_eq!(verified["covered_snapshots"], serde_json::json!([20]));
    // A snapshot made from the one at 20 grows its tree from it, and agrees with `root`.
    let made = accord(&["snapshot", log]);
    let root_38 = root_of(&["root", log, "--json"])["root"].clone();
    assert!(
        stdout(&made).contains(&format!(
            "tree size 38 root {} (grown from the snapshot at seq 20)",
            root_38.as_str().unwrap()
        )),
        "{}",
        stdout(&made)
    );
    fs::remove_file(at("k.jsonl.snapshots/00000000000000000038.json")).unwrap();

    // A forger gives the snapshot at 20 the tree head of other lines, its checksum made
    // again: `verify` names it, and a query from it under the checkpoint is refused.
    let snapshot_path = at("k.jsonl.snapshots/00000000000000000020.json");
    let text = fs::read_to_string(&snapshot_path).unwrap();
    let (header_line, state_line) = text.split_once('\n').unwrap();
    let wrapped: Value = serde_json::from_str(header_line).unwrap();
    let mut header = wrapped["header"].clone();
    let mut other = accord::proofs::merkle::CompactRange::default();
    for line in 0..20u8 {
        other.push(accord::proofs::merkle::leaf_hash(&[line]));
    }
    header["tree"] = serde_json::to_value(accord::stores::snapshot::TreeHead::of(&other)).unwrap();
    let header_json = serde_json::to_string(&header).unwrap();
    let forged = format!(
        "{{\"header\":{header_json},\"header_sha256\":\"{}\"}}\n{state_line}",
        accord::format::ids::Hash::of(header_json.as_bytes())
    );
    fs::write(&snapshot_path, forged).unwrap();
    let refused = accord(&["verify", log]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("snapshot.mismatch") && stderr(&refused).contains("tree root"),
        "{}",
        stderr(&refused)
    );
    let refused = accord(&["state", log, "--checkpoint", &new, "--pubkey", public]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("checkpoint.root"),
        "{}",
        stderr(&refused)
    );
    // Without snapshots, every line is read and the log is what was signed.
    for arguments in [&["--no-snapshot"][..], &[]] {
        if arguments.is_empty() {
            fs::remove_file(&snapshot_path).unwrap();
        }
        let mut command = vec![
            "state",
            log,
            "--hash",
            "--checkpoint",
            &new,
            "--pubkey",
            public,
        ];
        command.extend(arguments);
        let fresh = accord(&command);
        assert_eq!(stdout(&fresh), plain, "{}", stderr(&fresh));
        assert!(
            stderr(&fresh).contains("(every line read)"),
            "{}",
            stderr(&fresh)
        );
    }
}

// Corrections are appended: the head pinned before them still verifies, and the state of the
// lines before them is the same bytes.
#[test]
fn retract_and_correct_append_and_rewrite_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("karabakh.jsonl");
    fs::copy(karabakh(), &log).unwrap();
    let log = path_text(&log);
    let before = stdout(&accord(&["state", log, "--json"]));
    let head = stdout(&accord(&["head", log])).trim().to_string();
    let corrected = accord(&[
        "correct",
        log,
        "38",
        "--reason",
        "the day only",
        "--occurred",
        "2021-05-06",
    ]);
    assert_eq!(corrected.status.code(), Some(0), "{}", stderr(&corrected));
    let retracted = accord(&[
        "retract",
        log,
        "38",
        "--reason",
        "no source",
        "--source",
        "a test",
    ]);
    assert_eq!(retracted.status.code(), Some(0), "{}", stderr(&retracted));
    // Refused, nothing written: a correction of a correction, and of a line not yet written.
    let again = accord(&["retract", log, "39", "--reason", "x"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("correction.target"),
        "{}",
        stderr(&again)
    );
    let ahead = accord(&["retract", log, "41", "--reason", "x"]);
    assert_eq!(ahead.status.code(), Some(1));
    let verified = accord(&["verify", log, "--head", &head]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert_eq!(
        stdout(&accord(&["state", log, "--at", "38", "--json"])),
        before
    );
    let now: Value = serde_json::from_str(&stdout(&accord(&["state", log, "--json"]))).unwrap();
    assert_eq!(now["seq"], 40);
    assert_eq!(now["events"], 37);
    assert_eq!(now["corrections"][0]["kind"], "corrected");
    assert_eq!(now["corrections"][1]["kind"], "retracted");
    let at_39: Value =
        serde_json::from_str(&stdout(&accord(&["state", log, "--at", "39", "--json"]))).unwrap();
    assert_eq!(at_39["events"], 38);
    assert_eq!(at_39["corrections"].as_array().unwrap().len(), 1);
}

// The shipped log is the version-1 log corrected by appending: its 38 lines are untouched,
// each stand-in time is corrected to what its source gives, every correction cites its
// sources structured, and the meetings of 6 May 2021 are recorded.
#[test]
fn the_shipped_karabakh_log_corrects_its_stand_in_times_by_appending() {
    let shipped = crate::binary::shipped_karabakh();
    let log = path_text(&shipped);
    let pinned = "d1336c469fbb4c372a98a88be4c9148e009be98ce635212167e956f2ddb66ca0";
    let verified = accord(&["verify", log, "--head", pinned]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let version_1_log = karabakh();
    let version_1 = path_text(&version_1_log);
    assert_eq!(
        stdout(&accord(&["state", log, "--at", "38", "--json"])),
        stdout(&accord(&["state", version_1, "--json"]))
    );
    let original: Vec<Event> = fs::read_to_string(karabakh())
        .unwrap()
        .lines()
        .map(|line| Event::parse_line(line.as_bytes()).unwrap())
        .collect();
    let lines: Vec<Event> = fs::read_to_string(&shipped)
        .unwrap()
        .lines()
        .map(|line| Event::parse_line(line.as_bytes()).unwrap())
        .collect();
    assert_eq!(
        lines[..38].iter().map(Event::to_line).collect::<Vec<_>>(),
        original.iter().map(Event::to_line).collect::<Vec<_>>()
    );
    for event in &original {
        let source = event.source.as_deref().unwrap();
        let correction = lines[38..]
            .iter()
            .find(|line| line.data.correction_target() == Some(event.seq))
            .unwrap_or_else(|| panic!("line {} has no correction", event.seq));
        let accord::format::event::EventData::EventCorrected(corrected) = &correction.data else {
            panic!("line {} is corrected, not retracted", event.seq);
        };
        assert_eq!(
            *corrected.replacement.data, event.data,
            "only the time changes"
        );
        let written = corrected.replacement.occurred.as_str();
        let expected_length = if source.contains("day only") {
            10
        } else if source.contains("month only") {
            7
        } else if source.contains("year only") {
            4
        } else {
            written.len()
        };
        assert_eq!(
            written.len(),
            expected_length,
            "line {}: {written} for {source}",
            event.seq
        );
        assert!(
            event.occurred.start() >= corrected.replacement.occurred.start()
                && event.occurred.start() <= corrected.replacement.occurred.end(),
            "line {}: the stand-in lies within the true period",
            event.seq
        );
        let sources = correction.sources.as_deref().unwrap();
        assert!(
            !sources.is_empty()
                && sources
                    .iter()
                    .all(|source| !source.cite.contains("stands for"))
        );
    }
    let state: Value = serde_json::from_str(&stdout(&accord(&["state", log, "--json"]))).unwrap();
    for meeting in ["lavrov-ayvazian-2021-05-06", "lavrov-pashinian-2021-05-06"] {
        assert_eq!(state["meetings"][meeting]["place"], "Yerevan", "{meeting}");
        assert_eq!(
            state["meetings"][meeting]["parties"],
            serde_json::json!(["ARM", "RUS"])
        );
    }
    assert!(
        state["meetings"]["lavrov-ayvazian-2021-05-06"]["seq"].as_u64()
            < state["meetings"]["lavrov-pashinian-2021-05-06"]["seq"].as_u64(),
        "the foreign ministers first, then the prime minister"
    );
    // "More than 100" stays Yerevan's claim, not a count in custody.
    assert_eq!(state["custody"]["AZE"]["ARM"]["combatant"], 59);
    assert_eq!(state["corrections"].as_array().unwrap().len(), 38);
    assert_eq!(state["events"], 40);
}
