//! Crashes, concurrent writers and torn tails.
//!
//! The crash and concurrency tests run appenders in child processes: this test binary
//! started again with `ACCORD_CHILD_LOG` set runs `child_appender`, which appends batches
//! to that log and prints `ack ID` for every event of a batch once `append` returned.

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use accord::format::event::{Draft, EventData, IssueRaised};
use accord::format::ids::{EventId, Slug};
use accord::format::rules::Rule;
use accord::stores::file::{FileStore, StoreError};

const CHILD_LOG: &str = "ACCORD_CHILD_LOG";
const CHILD_TAG: &str = "ACCORD_CHILD_TAG";
const CHILD_BATCHES: &str = "ACCORD_CHILD_BATCHES";
const CHILD_BATCH_SIZE: &str = "ACCORD_CHILD_BATCH_SIZE";
const CHILD_LARGE_LINES: &str = "ACCORD_CHILD_LARGE_LINES";

fn issue_draft(tag: u32, number: u32, text_bytes: usize) -> Draft {
    Draft {
        id: Some(EventId::from_u128(
            (u128::from(tag) << 32) | u128::from(number),
        )),
        occurred: accord::format::world_time::WorldTime::parse("2021-01-01T00:00:00Z").unwrap(),
        data: EventData::IssueRaised(IssueRaised {
            issue: Slug::parse(&format!("w{tag}-{number}")).unwrap(),
            title: "x".repeat(text_bytes),
        }),
        sources: None,
        origin: None,
    }
}

/// Not a test on its own: the body of the child processes (does nothing when run directly).
#[test]
fn child_appender() {
    let Ok(log) = std::env::var(CHILD_LOG) else {
        return;
    };
    let number = |name: &str| -> u32 { std::env::var(name).unwrap().parse().unwrap() };
    let (tag, batches, batch_size) = (
        number(CHILD_TAG),
        number(CHILD_BATCHES),
        number(CHILD_BATCH_SIZE),
    );
    let large_lines = number(CHILD_LARGE_LINES) == 1;
    let store = FileStore::new(log);
    let mut stdout = std::io::stdout().lock();
    for batch in 0..batches {
        // Batches of 1 to batch_size events; large lines (1 KiB to 256 KiB) make writes long
        // enough to be cut.
        let size = 1 + batch % batch_size;
        let text_bytes = if large_lines { 1024 << (batch % 9) } else { 16 };
        let drafts: Vec<(usize, Draft)> = (0..size)
            .map(|index| {
                (
                    index as usize + 1,
                    issue_draft(tag, batch * batch_size + index, text_bytes),
                )
            })
            .collect();
        store.append(&drafts, None, chrono::Utc::now()).unwrap();
        for (_, draft) in &drafts {
            writeln!(stdout, "ack {}", draft.id.unwrap()).unwrap();
        }
        stdout.flush().unwrap();
    }
}

fn spawn_child(log: &Path, tag: u32, batches: u32, batch_size: u32, large_lines: bool) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability::child_appender",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_LOG, log)
        .env(CHILD_TAG, tag.to_string())
        .env(CHILD_BATCHES, batches.to_string())
        .env(CHILD_BATCH_SIZE, batch_size.to_string())
        .env(CHILD_LARGE_LINES, if large_lines { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn acknowledged(child: Child) -> Vec<String> {
    let output = child.wait_with_output().unwrap();
    BufReader::new(&output.stdout[..])
        .lines()
        .map_while(Result::ok)
        // libtest may print its own words before the first line of the child's output.
        .filter_map(|line| line.find("ack ").map(|start| line[start + 4..].to_string()))
        .collect()
}

fn ids_in(store: &FileStore) -> HashSet<String> {
    let (log, _) = store.verify().unwrap();
    log.events
        .iter()
        .map(|event| event.id.to_string())
        .collect()
}

#[test]
fn appends_killed_at_random_moments_lose_nothing_acknowledged() {
    const KILLS: u32 = 120;
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let store = FileStore::new(&log);
    let mut acknowledged_ids = HashSet::new();
    let (mut torn, mut repaired_lines) = (0, 0);
    let mut random: u64 = 0x9e37_79b9_7f4a_7c15;
    for run in 0..KILLS {
        let mut child = spawn_child(&log, run + 1, 1_000, 4, true);
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        std::thread::sleep(Duration::from_micros(5_000 + random % 60_000));
        child.kill().unwrap();
        acknowledged_ids.extend(acknowledged(child));

        // A kill lands between syscalls: the write of a batch is either done or not started.
        // A power cut can also stop a write midway; when the last batch was written but not
        // acknowledged, half the runs cut it where such a crash could have.
        if random.is_multiple_of(2) {
            simulated_crash_inside_unacknowledged_batch(&store, &acknowledged_ids, random >> 8);
        }
        match store.verify() {
            Ok(_) => {}
            Err(StoreError::Log { error, .. }) if error.rule == Rule::LogTorn => torn += 1,
            Err(other) => panic!("run {run}: after a kill the log must verify or be torn: {other}"),
        }
        let repair = store
            .repair()
            .unwrap_or_else(|error| panic!("run {run}: repair refused: {error}"));
        repaired_lines += repair.cut.len();
        let present = ids_in(&store);
        let lost: Vec<&String> = acknowledged_ids
            .iter()
            .filter(|id| !present.contains(*id))
            .collect();
        assert!(
            lost.is_empty(),
            "run {run}: acknowledged events lost: {lost:?}"
        );
    }
    let events = store.verify().unwrap().0.len();
    println!(
        "{KILLS} kills: {} events acknowledged, {events} in the log, {torn} torn tails, {repaired_lines} lines cut by repair",
        acknowledged_ids.len()
    );
    assert!(!acknowledged_ids.is_empty());
}

/// Cuts the trailing unacknowledged batch, if there is one, at a byte chosen by `choice`,
/// leaving the intent a multi-line batch would have left.
fn simulated_crash_inside_unacknowledged_batch(
    store: &FileStore,
    acknowledged: &HashSet<String>,
    choice: u64,
) {
    let Ok((log, _)) = store.verify() else { return };
    let unacknowledged = log
        .events
        .iter()
        .rev()
        .take_while(|event| !acknowledged.contains(&event.id.to_string()))
        .count();
    if unacknowledged == 0 {
        return;
    }
    let bytes = fs::read(store.path()).unwrap();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, byte)| **byte == b'\n')
                .map(|(at, _)| at + 1),
        )
        .collect();
    let lines_before = line_starts.len() - 1 - unacknowledged;
    let length_before = line_starts[lines_before];
    let cut_at = length_before + 1 + (choice as usize % (bytes.len() - length_before - 1));
    if unacknowledged > 1 {
        let intent = format!(
            "{{\"length_before\":{length_before},\"lines_before\":{lines_before},\"length_after\":{}}}\n",
            bytes.len()
        );
        fs::write(store.intent_path(), intent).unwrap();
    }
    fs::write(store.path(), &bytes[..cut_at]).unwrap();
}

#[test]
fn eight_processes_appending_100_batches_each_lose_and_interleave_nothing() {
    // Every append still reads the whole log, so this test costs the square of its appends:
    // 800 of them interleave eight writers thoroughly in a few seconds, where 4,000 took
    // 25 s and showed nothing more (and 1,200 took 13 s on the test command's two cores).
    const PROCESSES: u32 = 8;
    const BATCHES: u32 = 100;
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let children: Vec<Child> = (1..=PROCESSES)
        .map(|tag| spawn_child(&log, tag, BATCHES, 1, false))
        .collect();
    let acknowledged_ids: Vec<Vec<String>> = children.into_iter().map(acknowledged).collect();

    let store = FileStore::new(&log);
    let (verified, _) = store.verify().unwrap();
    assert_eq!(verified.len(), u64::from(PROCESSES * BATCHES));
    let present = ids_in(&store);
    for (process, ids) in acknowledged_ids.iter().enumerate() {
        assert_eq!(
            ids.len(),
            BATCHES as usize,
            "process {process} acknowledged {} appends",
            ids.len()
        );
        assert!(
            ids.iter().all(|id| present.contains(id)),
            "process {process} lost events"
        );
    }
}

/// A log of `lines` single-event appends and its bytes.
fn log_of(directory: &Path, lines: u32) -> (FileStore, Vec<u8>) {
    let store = FileStore::new(directory.join("log.jsonl"));
    for number in 0..lines {
        store
            .append(&[(1, issue_draft(0, number, 10))], None, chrono::Utc::now())
            .unwrap();
    }
    let bytes = fs::read(store.path()).unwrap();
    (store, bytes)
}

#[test]
fn repair_cuts_a_torn_last_line_and_only_that() {
    let directory = tempfile::tempdir().unwrap();
    let (store, bytes) = log_of(directory.path(), 3);
    let last_line_start = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .unwrap()
        + 1;
    // Every cut but the one that leaves the whole line without its newline (below).
    for cut_at in last_line_start + 1..bytes.len() - 1 {
        fs::write(store.path(), &bytes[..cut_at]).unwrap();
        let error = store.verify().unwrap_err();
        assert_eq!(error.rule(), Some(Rule::LogTorn), "cut at {cut_at}");
        let refused = store.append(&[(1, issue_draft(9, 9, 1))], None, chrono::Utc::now());
        assert_eq!(refused.unwrap_err().rule(), Some(Rule::LogTorn));
        let repair = store.repair().unwrap();
        assert_eq!(repair.cut.len(), 1);
        assert!(repair.cut[0].torn);
        assert_eq!(repair.cut[0].line, 3);
        assert_eq!(repair.cut[0].bytes, &bytes[last_line_start..cut_at]);
        assert_eq!(fs::read(store.path()).unwrap(), &bytes[..last_line_start]);
        assert_eq!(store.verify().unwrap().0.len(), 2);
    }
    // Post-mortem: a last event whole but for its newline was cut, though nothing of it was
    // damaged; it gets its newline instead.
    fs::write(store.path(), &bytes[..bytes.len() - 1]).unwrap();
    let error = store.verify().unwrap_err();
    assert_eq!(error.rule(), Some(Rule::LogTorn));
    assert!(error.to_string().contains("complete event"), "{error}");
    let repair = store.repair().unwrap();
    assert!(repair.cut.is_empty());
    assert_eq!(repair.newline_added, Some(3));
    assert_eq!(fs::read(store.path()).unwrap(), bytes);
    // A clean log: nothing to cut.
    fs::write(store.path(), &bytes).unwrap();
    assert!(store.repair().unwrap().cut.is_empty());
    assert_eq!(fs::read(store.path()).unwrap(), bytes);
}

#[test]
fn repair_refuses_damage_that_is_not_a_torn_write() {
    let directory = tempfile::tempdir().unwrap();
    let (store, bytes) = log_of(directory.path(), 3);
    // A changed byte in line 1, and a torn tail: the tail is not cut either.
    let mut damaged = bytes.clone();
    let position = damaged.iter().position(|byte| *byte == b'x').unwrap();
    damaged[position] = b'y';
    damaged.extend_from_slice(b"{\"v\":1");
    fs::write(store.path(), &damaged).unwrap();
    let error = store.repair().unwrap_err();
    assert!(matches!(error, StoreError::NotTorn { .. }), "{error}");
    assert_eq!(error.rule(), Some(Rule::EnvelopeChain));
    assert_eq!(fs::read(store.path()).unwrap(), damaged);
    // A last "line" longer than any accord writes is not a torn append.
    let mut huge = bytes.clone();
    huge.extend(std::iter::repeat_n(
        b'z',
        accord::reading::log::MAX_LINE_BYTES + 10,
    ));
    fs::write(store.path(), &huge).unwrap();
    assert!(matches!(
        store.repair().unwrap_err(),
        StoreError::NotTorn { .. }
    ));
    assert_eq!(fs::read(store.path()).unwrap().len(), huge.len());
}

#[test]
fn an_unfinished_batch_is_torn_for_every_reader_and_repair_cuts_all_of_it() {
    let directory = tempfile::tempdir().unwrap();
    let (store, before) = log_of(directory.path(), 2);
    let batch: Vec<(usize, Draft)> = (0..3)
        .map(|index| (index + 1, issue_draft(1, index as u32, 50)))
        .collect();
    store.append(&batch, None, chrono::Utc::now()).unwrap();
    let after = fs::read(store.path()).unwrap();
    assert!(
        !store.intent_path().exists(),
        "a finished batch leaves no intent"
    );
    let intent = format!(
        "{{\"length_before\":{},\"lines_before\":2,\"length_after\":{}}}\n",
        before.len(),
        after.len()
    );
    // The crash left any prefix of the batch, even one ending on a line boundary.
    for cut_at in before.len() + 1..after.len() {
        fs::write(store.path(), &after[..cut_at]).unwrap();
        fs::write(store.intent_path(), &intent).unwrap();
        let error = store.verify().unwrap_err();
        assert_eq!(
            error.rule(),
            Some(Rule::LogTorn),
            "cut at {cut_at}: {error}"
        );
        assert!(error.to_string().contains("line 3"), "{error}");
        assert_eq!(
            store
                .append(&[(1, issue_draft(9, 9, 1))], None, chrono::Utc::now())
                .unwrap_err()
                .rule(),
            Some(Rule::LogTorn)
        );
        let repair = store.repair().unwrap();
        assert_eq!(repair.cut.first().map(|cut| cut.line), Some(3));
        assert_eq!(fs::read(store.path()).unwrap(), before, "cut at {cut_at}");
        assert!(!store.intent_path().exists());
        assert_eq!(store.verify().unwrap().0.len(), 2);
    }
    // An intent whose batch completed (the crash came before it was removed) is stale.
    fs::write(store.path(), &after).unwrap();
    fs::write(store.intent_path(), &intent).unwrap();
    assert_eq!(store.verify().unwrap().0.len(), 5);
    store
        .append(&[(1, issue_draft(2, 0, 1))], None, chrono::Utc::now())
        .unwrap();
    assert!(!store.intent_path().exists());
    // So is a half-written intent: its batch was never started.
    fs::write(store.intent_path(), "{\"length_bef").unwrap();
    assert_eq!(store.verify().unwrap().0.len(), 6);
}

#[test]
fn concurrent_accord_append_processes_lose_and_interleave_nothing() {
    const PROCESSES: usize = 4;
    const APPENDS: usize = 60;
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("log.jsonl");
    let writers: Vec<std::thread::JoinHandle<Vec<String>>> = (0..PROCESSES)
        .map(|writer| {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for number in 0..APPENDS {
                    let id = format!("00000000-0000-4000-8000-{:06}{:06}", writer, number);
                    let draft = format!(
                        r#"{{"type":"issue.raised","data":{{"issue":"c{writer}-{number}","title":"t"}},"occurred":"2021-01-01T00:00:00Z","id":"{id}"}}"#
                    );
                    let mut child = Command::new(crate::binary::accord_binary())
                        .arg("append")
                        .arg(&log)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::null())
                        .stderr(Stdio::inherit())
                        .spawn()
                        .unwrap();
                    child.stdin.take().unwrap().write_all(draft.as_bytes()).unwrap();
                    if child.wait().unwrap().success() {
                        acknowledged.push(id);
                    }
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: Vec<String> = writers
        .into_iter()
        .flat_map(|writer| writer.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), PROCESSES * APPENDS);
    let store = FileStore::new(&log);
    let present = ids_in(&store);
    assert_eq!(present.len(), PROCESSES * APPENDS);
    assert!(acknowledged.iter().all(|id| present.contains(id)));
}
