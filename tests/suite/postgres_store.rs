//! The PostgreSQL store against a real server (cargo feature `postgres`). `.ci/run` starts
//! one (`.ci/postgres`) and names its test database in `ACCORD_TEST_POSTGRES`; without it
//! these tests fail, never skip. Each test works in a database of its own.

use std::process::Command;

use postgres::{Client, NoTls};

/// The server's test database, from `.ci/postgres`.
fn server_url() -> String {
    std::env::var("ACCORD_TEST_POSTGRES").expect(
        "ACCORD_TEST_POSTGRES names no database: start one with .ci/postgres (the tests of the PostgreSQL store need a real server)",
    )
}

/// A new, empty database on the test server; its URL.
fn fresh_database() -> String {
    let url = server_url();
    let mut client = Client::connect(&url, NoTls).expect("the test server answers");
    let name = format!("accord_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database can be created");
    let (base, _) = url.rsplit_once('/').expect("a URL ends with its database");
    format!("{base}/{name}")
}

fn accord(arguments: &[&str]) -> std::process::Output {
    Command::new(crate::binary::accord_binary())
        .args(arguments)
        .output()
        .expect("accord runs")
}

#[test]
fn db_init_creates_the_schema_once_and_again_changes_nothing() {
    let url = fresh_database();
    let first = accord(&["db", "init", &url]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains(&format!(
        "created the accord schema {}",
        accord::stores::postgres::SCHEMA_VERSION
    )));
    let again = accord(&["db", "init", &url]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    let mut client = Client::connect(&url, NoTls).unwrap();
    let versions: i64 = client
        .query_one("SELECT count(*) FROM accord_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(versions, 1);
    let columns: Vec<String> = client
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_name = 'accord_events' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        columns,
        [
            "stream", "seq", "id", "occurred", "recorded", "type", "line"
        ]
    );
}

#[test]
fn concurrent_inits_all_succeed_and_make_one_schema() {
    let url = fresh_database();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| accord::stores::postgres::init(&url)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let created = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(accord::stores::postgres::InitOutcome::Created)))
        .count();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(
        created, 1,
        "one migration creates, the others find it there"
    );
}

#[test]
fn a_newer_schema_is_left_alone_and_an_unreachable_server_is_named_without_its_password() {
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute("INSERT INTO accord_schema (version) VALUES (99)")
        .unwrap();
    let refused = accord(&["db", "init", &url]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("db.schema") && stderr.contains("99"),
        "{stderr}"
    );
    // Port 1 on loopback: nothing listens there.
    let unreachable = accord(&["db", "init", "postgres://ana:secret@127.0.0.1:1/logs"]);
    assert_eq!(unreachable.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("postgres://ana:***@127.0.0.1:1/logs"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
}

/// A draft every state accepts: a new party, its own id.
fn joining(writer: usize, index: usize) -> (usize, accord::format::event::Draft) {
    let line = format!(
        r#"{{"type":"party.joined","data":{{"party":"w{writer}-{index}","name":"Writer {writer}, party {index}","role":"party"}},"occurred":"2020-01-01T00:00:00Z","id":"{}"}}"#,
        uuid::Uuid::new_v4()
    );
    accord::stores::file::parse_drafts(line.as_bytes())
        .unwrap()
        .remove(0)
}

/// The stream's lines, as the bytes of a log file.
fn stream_bytes(url: &str, stream: &str) -> Vec<u8> {
    let mut client = Client::connect(url, NoTls).unwrap();
    let mut bytes = Vec::new();
    for row in client
        .query(
            "SELECT line FROM accord_events WHERE stream = $1 ORDER BY seq",
            &[&stream],
        )
        .unwrap()
    {
        bytes.extend_from_slice(row.get::<_, &[u8]>(0));
        bytes.push(b'\n');
    }
    bytes
}

#[test]
fn eight_writers_at_once_lose_nothing_and_one_wins_each_contested_seq() {
    use accord::stores::Store;
    use accord::stores::file::{DraftOutcome, StoreError};
    use accord::stores::postgres::PgStore;
    const WRITERS: usize = 8;
    const EACH: usize = 12;
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    // Without --expect-seq: every append lands, in some order.
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let url = &url;
            scope.spawn(move || {
                let store = PgStore::open(url, "free").unwrap();
                for index in 0..EACH {
                    store
                        .append_batch(&[joining(writer, index)], None, chrono::Utc::now())
                        .unwrap();
                }
            });
        }
    });
    let bytes = stream_bytes(&url, "free");
    let (log, folded) = accord::fold::verify_log(&bytes).expect("the stream verifies");
    assert_eq!(log.events.len(), WRITERS * EACH);
    assert_eq!(folded.state.parties.len(), WRITERS * EACH);
    // With --expect-seq: each writer appends after the head it saw, and retries when
    // another got there first; every seq has exactly one winner.
    let winners = std::sync::Mutex::new(Vec::new());
    let refusals = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (url, winners, refusals) = (&url, &winners, &refusals);
            scope.spawn(move || {
                let store = PgStore::open(url, "contested").unwrap();
                for index in 0..EACH {
                    let draft = joining(writer, index);
                    loop {
                        let (seq, _) = store.head().unwrap();
                        match store.append_batch(
                            std::slice::from_ref(&draft),
                            Some(seq),
                            chrono::Utc::now(),
                        ) {
                            Ok(outcome) => {
                                let DraftOutcome::Appended { seq: won, .. } = outcome.drafts[0]
                                else {
                                    panic!("a new draft is appended");
                                };
                                assert_eq!(won, seq + 1);
                                winners.lock().unwrap().push(won);
                                break;
                            }
                            Err(StoreError::ExpectSeq { .. }) => {
                                refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            Err(other) => panic!("{other}"),
                        }
                    }
                }
            });
        }
    });
    let mut winners = winners.into_inner().unwrap();
    winners.sort_unstable();
    let every_seq: Vec<u64> = (1..=(WRITERS * EACH) as u64).collect();
    assert_eq!(winners, every_seq, "one winner per seq, none lost");
    let (log, _) = accord::fold::verify_log(&stream_bytes(&url, "contested")).unwrap();
    assert_eq!(log.events.len(), WRITERS * EACH);
    eprintln!(
        "contested: {} appends refused for a stale seq",
        refusals.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[test]
fn copy_round_trips_the_karabakh_log_through_the_database_byte_for_byte() {
    let url = fresh_database();
    assert!(accord(&["db", "init", &url]).status.success());
    let original = crate::binary::karabakh();
    let directory = tempfile::tempdir().unwrap();
    let back = directory.path().join("back.jsonl");
    let original_text = original.to_str().unwrap();
    let back_text = back.to_str().unwrap();
    let into = accord(&["copy", original_text, &url, "--stream", "karabakh"]);
    assert!(
        into.status.success(),
        "{}",
        String::from_utf8_lossy(&into.stderr)
    );
    let out = accord(&["copy", &url, back_text, "--stream", "karabakh"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs_bytes(&back), fs_bytes(&original), "byte for byte");
    // Both copies name the same head, the file's.
    let head = String::from_utf8_lossy(&accord(&["head", original_text]).stdout)
        .trim()
        .to_string();
    for output in [&into, &out] {
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(&format!("head {head}")),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    // No surprise overwrites: the stream holds events now, and the file exists.
    let again = accord(&["copy", original_text, &url, "--stream", "karabakh"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing imported"));
    let over = accord(&["copy", &url, back_text, "--stream", "karabakh"]);
    assert_eq!(over.status.code(), Some(2));
    assert_eq!(fs_bytes(&back), fs_bytes(&original));
}

fn fs_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Drafts of `count` new parties of writer `writer`, as one batch.
fn parties(writer: usize, count: usize) -> Vec<(usize, accord::format::event::Draft)> {
    (0..count)
        .map(|index| {
            let (_, draft) = joining(writer, index);
            (index + 1, draft)
        })
        .collect()
}

#[test]
fn the_tail_checkpoint_is_kept_and_believed_only_when_it_holds() {
    use accord::stores::Store;
    use accord::stores::file::StoreError;
    use accord::stores::postgres::{PgStore, TAIL_CHECKPOINT_LINES};
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let lines = TAIL_CHECKPOINT_LINES as usize + 200;
    for (stream, writer) in [("a", 0), ("b", 1)] {
        let store = PgStore::open(&url, stream).unwrap();
        for batch in parties(writer, lines).chunks(100) {
            store.append_batch(batch, None, chrono::Utc::now()).unwrap();
        }
    }
    let mut client = Client::connect(&url, NoTls).unwrap();
    let checkpoint_seq: i64 = client
        .query_one("SELECT seq FROM accord_tails WHERE stream = 'a'", &[])
        .unwrap()
        .get(0);
    assert!(
        checkpoint_seq as u64 >= TAIL_CHECKPOINT_LINES,
        "appends keep a checkpoint ({checkpoint_seq})"
    );
    // `state` starts from the checkpoint, and says so, with the same answer as a replay
    // from the first row; at a line before the checkpoint it replays.
    let state = |extra: &[&str]| {
        let output = accord(&[&["state", url.as_str(), "--stream", "a"], extra].concat());
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let last = (lines as u64).to_string();
    let near_the_end = (lines as u64 - 50).to_string();
    for at in [
        None,
        Some(near_the_end.as_str()),
        Some(last.as_str()),
        Some("10"),
    ] {
        let at_arguments: Vec<&str> = at.map(|at| vec!["--at", at]).unwrap_or_default();
        assert_eq!(
            state(&[&["--json"], &at_arguments[..]].concat()),
            state(&[&["--json", "--no-snapshot"], &at_arguments[..]].concat()),
            "{at:?}"
        );
    }
    assert!(state(&[]).contains("(folded from the snapshot at seq"));
    assert!(!state(&["--at", "10"]).contains("(folded from the snapshot"));
    // Stream b's checkpoint has sound checksums but stands for other lines: put in a's
    // place, it must not be believed, or a's parties would be b's.
    client
        .batch_execute(
            "UPDATE accord_tails SET checkpoint = (SELECT checkpoint FROM accord_tails WHERE stream = 'b'),
             seq = (SELECT seq FROM accord_tails WHERE stream = 'b') WHERE stream = 'a'",
        )
        .unwrap();
    let rejoin = || vec![(1, joining(0, 5).1)];
    let refused =
        PgStore::open(&url, "a")
            .unwrap()
            .append_batch(&rejoin(), None, chrono::Utc::now());
    assert!(
        matches!(&refused, Err(StoreError::Draft { rule, .. }) if rule.name() == "id.duplicate"),
        "{refused:?}"
    );
    // A damaged checkpoint is not believed either, and costs no panic.
    client
        .batch_execute(
            "UPDATE accord_tails SET checkpoint = overlay(checkpoint placing 'garbage' from 120) WHERE stream = 'a'",
        )
        .unwrap();
    let store = PgStore::open(&url, "a").unwrap();
    let refused = store.append_batch(&rejoin(), None, chrono::Utc::now());
    assert!(
        matches!(&refused, Err(StoreError::Draft { .. })),
        "{refused:?}"
    );
    assert_eq!(state(&["--json"]), state(&["--json", "--no-snapshot"]));
    assert!(!state(&[]).contains("(folded from the snapshot"));
    let outcome = store
        .append_batch(&[joining(0, lines + 1)], None, chrono::Utc::now())
        .unwrap();
    let (log, _) = accord::fold::verify_log(&stream_bytes(&url, "a")).unwrap();
    assert_eq!(outcome.events, log.events.len() as u64);
    assert_eq!(outcome.head, log.head());
}

#[test]
fn a_stream_longer_than_a_page_reads_and_copies_like_its_file() {
    use accord::stores::Store;
    use accord::stores::file::FileStore;
    use accord::stores::postgres::{PAGE_ROWS, PgStore};
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("long.jsonl");
    let lines = 2 * PAGE_ROWS as usize + 77;
    FileStore::new(&path)
        .append(&parties(3, lines), None, chrono::Utc::now())
        .unwrap();
    let file_bytes = fs_bytes(&path);
    let store = PgStore::open(&url, "long").unwrap();
    assert_eq!(store.import(&file_bytes).unwrap(), lines as u64);
    assert_eq!(store.export().unwrap(), file_bytes, "byte for byte");
    let file = FileStore::new(&path);
    for range in [1..=lines as u64, 500..=600, 511..=513, 1..=1] {
        assert_eq!(
            store.read_range(range.clone()).unwrap(),
            file.read_range(range.clone()).unwrap(),
            "{range:?}"
        );
    }
    assert_eq!(store.head().unwrap(), file.head().unwrap());
    // Rows gone from the middle, a page's worth and more: the reading goes on past the gap
    // and the envelope checks name the first line out of place.
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute(
            "DELETE FROM accord_events WHERE stream = 'long' AND seq BETWEEN 300 AND 900",
        )
        .unwrap();
    let verified = accord(&["verify", &url, "--stream", "long"]);
    assert_eq!(verified.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&verified.stderr);
    assert!(
        stderr.contains("line 300") && stderr.contains("envelope."),
        "{stderr}"
    );
}

#[test]
fn a_row_written_outside_the_lock_costs_the_loser_an_append_conflict() {
    use accord::stores::Store;
    use accord::stores::file::StoreError;
    use accord::stores::postgres::PgStore;
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    // A rogue writer that skips the advisory lock takes seq 1, and holds its transaction
    // open while accord plans its own line 1.
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("one.jsonl");
    accord::stores::file::FileStore::new(&path)
        .append(&[joining(9, 0)], None, chrono::Utc::now())
        .unwrap();
    let line = fs_bytes(&path);
    let line = &line[..line.len() - 1];
    let mut rogue = Client::connect(&url, NoTls).unwrap();
    let mut rogue_transaction = rogue.transaction().unwrap();
    rogue_transaction
        .execute(
            "INSERT INTO accord_events (stream, seq, id, occurred, recorded, type, line)
             VALUES ('main', 1, 'rogue', now(), now(), 'party.joined', $1)",
            &[&line],
        )
        .unwrap();
    let outcome = std::thread::scope(|scope| {
        let appending = scope.spawn(|| {
            PgStore::open(&url, "main").unwrap().append_batch(
                &[joining(1, 0)],
                None,
                chrono::Utc::now(),
            )
        });
        // Commit only once accord waits on the key the rogue row holds.
        let mut watcher = Client::connect(&url, NoTls).unwrap();
        while watcher
            .query_one("SELECT count(*) FROM pg_locks WHERE NOT granted", &[])
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        rogue_transaction.commit().unwrap();
        appending.join().unwrap()
    });
    match outcome {
        Err(StoreError::AppendConflict { seq: 1, .. }) => {}
        other => panic!("expected an append.conflict at seq 1, got {other:?}"),
    }
    // Nothing of accord's was written; the rogue's row stands alone.
    assert_eq!(stream_bytes(&url, "main"), fs_bytes(&path));
}

#[test]
fn every_timestamp_a_log_can_hold_is_stored_year_zero_too() {
    use accord::stores::Store;
    use accord::stores::postgres::PgStore;
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let store = PgStore::open(&url, "ancient").unwrap();
    let drafts = accord::stores::file::parse_drafts(
        br#"{"type":"party.joined","data":{"party":"ur","name":"Ur","role":"party"},"occurred":"0000-03-01T12:00:00.123456789Z"}"#,
    )
    .unwrap();
    let outcome = store
        .append_batch(&drafts, None, chrono::Utc::now())
        .unwrap();
    assert_eq!(outcome.events, 1);
    let mut client = Client::connect(&url, NoTls).unwrap();
    let occurred: String = client
        .query_one(
            "SELECT occurred::text FROM accord_events WHERE stream = 'ancient'",
            &[],
        )
        .unwrap()
        .get(0);
    // The column keeps the nearest microsecond (the line keeps every digit); year 0 is
    // 1 BC.
    assert_eq!(occurred, "0001-03-01 12:00:00.123457+00 BC");
}

#[test]
fn an_older_schema_is_refused_until_db_init_brings_it_up_to_date() {
    use accord::stores::postgres::PgStore;
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute(
            "DROP TABLE accord_tails; DELETE FROM accord_schema; INSERT INTO accord_schema VALUES (1)",
        )
        .unwrap();
    let refused = PgStore::open(&url, "main")
        .err()
        .expect("schema 1 is refused");
    assert!(refused.to_string().contains("accord db init"), "{refused}");
    let upgraded = accord(&["db", "init", &url]);
    assert!(upgraded.status.success());
    assert!(PgStore::open(&url, "main").is_ok());
    let none = fresh_database();
    let refused = PgStore::open(&none, "main")
        .err()
        .expect("no schema is refused");
    assert!(
        refused.to_string().contains("no accord schema"),
        "{refused}"
    );
}

#[test]
fn every_log_command_reads_a_stream_as_it_reads_the_same_file() {
    let url = fresh_database();
    assert!(accord(&["db", "init", &url]).status.success());
    let file = crate::binary::karabakh();
    let file = file.to_str().unwrap();
    assert!(
        accord(&["copy", file, &url, "--stream", "k"])
            .status
            .success()
    );
    let same = |arguments: &[&str]| same_on_file_and_stream(file, &url, "k", arguments);
    same(&["state", "--json"]);
    same(&["state", "--hash"]);
    same(&["state", "--json", "--at", "12"]);
    same(&["state", "--json", "--as-of", "2020-11-10"]);
    same(&["state", "--hash", "--known-at", "2026-01-01"]);
    same(&["verify", "--json"]);
    same(&["head"]);
    same(&["head", "--at", "5"]);
    same(&["history", "party:ARM", "--json"]);
    same(&["diff", "10", "20", "--json"]);
    same(&["root"]);
    same(&["root", "--at", "17"]);
    same(&["prove", "--seq", "12", "--json"]);
    same(&["prove", "--from", "9", "--json"]);
    // An append to the stream lands like one to the file: same rules, same refusals.
    let refused = accord_with_input(
        &["append", &url, "--stream", "k", "--expect-seq", "3"],
        r#"{"type":"party.joined","occurred":"2021-01-01T00:00:00Z","data":{"party":"X","name":"X","role":"party"}}"#,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("append.expect_seq"));
    let appended = accord_with_input(
        &["append", &url, "--stream", "k", "--expect-seq", "38"],
        r#"{"type":"party.joined","occurred":"2021-01-01T00:00:00Z","data":{"party":"X","name":"X","role":"party"}}"#,
    );
    assert!(
        appended.status.success(),
        "{}",
        String::from_utf8_lossy(&appended.stderr)
    );
    assert!(String::from_utf8_lossy(&appended.stdout).contains("(39 events)"));
    let repaired = accord(&["repair", &url, "--stream", "k"]);
    assert!(String::from_utf8_lossy(&repaired.stdout).starts_with("nothing to repair"));
    assert_eq!(
        accord(&["snapshot", &url, "--stream", "k"]).status.code(),
        Some(2)
    );
}

/// A command run on a log file, then on the database stream that holds its copy.
fn on_file_and_stream(
    file: &str,
    url: &str,
    stream: &str,
    arguments: &[&str],
) -> (std::process::Output, std::process::Output) {
    let from_file = accord(&[&[arguments[0], file], &arguments[1..]].concat());
    let from_stream =
        accord(&[&[arguments[0], url], &arguments[1..], &["--stream", stream]].concat());
    (from_file, from_stream)
}

/// A command succeeds on a log file and on its stream, and prints the same on both.
fn same_on_file_and_stream(file: &str, url: &str, stream: &str, arguments: &[&str]) {
    let (from_file, from_stream) = on_file_and_stream(file, url, stream, arguments);
    assert!(from_file.status.success(), "{arguments:?}");
    assert_eq!(
        String::from_utf8_lossy(&from_stream.stdout),
        String::from_utf8_lossy(&from_file.stdout),
        "{arguments:?}: {}",
        String::from_utf8_lossy(&from_stream.stderr)
    );
    assert_eq!(from_stream.status.code(), Some(0));
}

fn accord_with_input(arguments: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(crate::binary::accord_binary())
        .args(arguments)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn follow_prints_each_event_of_a_stream_once_across_a_lost_connection() {
    use accord::stores::Store;
    use accord::stores::postgres::PgStore;
    let url = fresh_database();
    accord::stores::postgres::init(&url).unwrap();
    let store = PgStore::open(&url, "live").unwrap();
    store
        .append_batch(&[joining(0, 0)], None, chrono::Utc::now())
        .unwrap();
    let follower = crate::binary::follow(&[&url, "--stream", "live", "--from", "1", "--json"]);
    let seq_of = |line: String| -> u64 {
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        value["seq"].as_u64().unwrap()
    };
    assert_eq!(seq_of(follower.next_line()), 1);
    store
        .append_batch(&parties(1, 3), None, chrono::Utc::now())
        .unwrap();
    for seq in 2..=4 {
        assert_eq!(seq_of(follower.next_line()), seq);
    }
    // Another stream's events are not this follower's.
    PgStore::open(&url, "other")
        .unwrap()
        .append_batch(&[joining(2, 0)], None, chrono::Utc::now())
        .unwrap();
    // The follower's connection is cut: it connects again and goes on where it stood.
    let mut client = Client::connect(&url, NoTls).unwrap();
    let cut: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = 'accord follow' AND datname = current_database()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cut, 1, "the follower had one connection");
    for index in 0..3 {
        store
            .append_batch(&[joining(3, index)], None, chrono::Utc::now())
            .unwrap();
    }
    for seq in 5..=7 {
        assert_eq!(seq_of(follower.next_line()), seq);
    }
    assert!(follower.quiet_for(std::time::Duration::from_millis(1500)));
}

/// A copy of the Karabakh log in stream `stream` of a fresh database with the schema; its URL.
fn karabakh_stream(stream: &str) -> String {
    let url = fresh_database();
    let init = accord(&["db", "init", &url]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let karabakh = crate::binary::karabakh();
    let copied = accord(&[
        "copy",
        karabakh.to_str().unwrap(),
        &url,
        "--to-stream",
        stream,
    ]);
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    url
}

#[test]
fn a_password_is_never_printed_in_any_form() {
    // Post-mortem: `postgres://ana@host/db?password=...` appeared whole in errors and in
    // copy's report, and a `host=... password=...` string was echoed as a file name.
    let url = karabakh_stream("main");
    let (base, database) = url.rsplit_once('/').unwrap();
    let with_query = format!("{url}?password=hunter2-query");
    let host_port = base.trim_start_matches("postgres://postgres@");
    let (host, port) = host_port.split_once(':').unwrap();
    let key_value =
        format!("host={host} port={port} user=postgres password=hunter2-kv dbname={database}");
    let directory = tempfile::tempdir().unwrap();
    for target in [&with_query, &key_value] {
        for arguments in [
            vec!["verify", target.as_str()],
            vec!["verify", target.as_str(), "--stream", "no-such-stream"],
            vec!["state", target.as_str(), "--stream", "no-such-stream"],
        ] {
            let output = accord(&arguments);
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!said.contains("hunter2"), "{arguments:?}: {said}");
            if !output.status.success() {
                assert!(said.contains("***"), "{arguments:?}: {said}");
            }
        }
        let copy = directory
            .path()
            .join(format!("copy-{}.jsonl", target.len()));
        let output = accord(&["copy", target.as_str(), copy.to_str().unwrap()]);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{said}");
        assert!(!said.contains("hunter2"), "{said}");
    }
    // A wrong address with a password in it: the driver's error does not show it either.
    let output = accord(&["verify", "postgres://ana:hunter2-user@127.0.0.1:1/x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
}

#[test]
fn a_stream_that_does_not_exist_is_named_not_verified() {
    // Post-mortem: `verify URL --stream typo` printed `ok 0 events`, exit 0.
    let url = karabakh_stream("karabakh");
    let output = accord(&["verify", &url, "--stream", "karabakk"]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("no stream named karabakk"), "{said}");
    assert!(said.contains("karabakh"), "{said}");
    let verified = accord(&["verify", &url, "--stream", "karabakh"]);
    assert!(verified.status.success());
}

#[test]
fn an_index_column_edited_by_hand_is_refused_by_verify() {
    // Post-mortem: editing only a row's `id` column passed verify, and append then wrote a
    // duplicate id, which the next verify refused.
    let url = karabakh_stream("main");
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .execute(
            "UPDATE accord_events SET id = '00000000-0000-4000-8000-000000000000' WHERE seq = 11",
            &[],
        )
        .unwrap();
    let output = accord(&["verify", &url]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("store.index"), "{said}");
    assert!(said.contains("seq 11"), "{said}");
    // Put back, and a `type` or `occurred` edited is caught too.
    let line: Vec<u8> = client
        .query_one("SELECT line FROM accord_events WHERE seq = 11", &[])
        .unwrap()
        .get(0);
    let event: serde_json::Value = serde_json::from_slice(&line).unwrap();
    client
        .execute(
            "UPDATE accord_events SET id = $1 WHERE seq = 11",
            &[&event["id"].as_str().unwrap()],
        )
        .unwrap();
    assert!(accord(&["verify", &url]).status.success());
    client
        .execute(
            "UPDATE accord_events SET occurred = occurred + interval '1 day' WHERE seq = 12",
            &[],
        )
        .unwrap();
    let output = accord(&["verify", &url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`occurred` column"));
}

#[test]
fn a_frozen_server_is_waited_for_no_longer_than_db_timeout() {
    // Post-mortem: a server that accepts TCP and answers nothing made every command wait
    // forever (the driver's connect_timeout covers only the TCP connect). A listener that
    // is stopped with SIGSTOP stands for it: the kernel still accepts connections for it.
    use std::io::BufRead as _;
    let mut frozen = Command::new("python3")
        .args([
            "-c",
            "import socket, sys, time\n\
             s = socket.socket()\n\
             s.bind(('127.0.0.1', 0))\n\
             s.listen(16)\n\
             print(s.getsockname()[1], flush=True)\n\
             time.sleep(3600)\n",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(frozen.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let port: u16 = port.trim().parse().unwrap();
    // SAFETY: kill with a child's pid and a signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(frozen.id() as i32, libc::SIGSTOP) }, 0);
    let started = std::time::Instant::now();
    let output = accord(&[
        "verify",
        &format!("postgres://ana@127.0.0.1:{port}/logs"),
        "--db-timeout",
        "2",
    ]);
    let waited = started.elapsed();
    let _ = frozen.kill();
    let _ = frozen.wait();
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("no answer within 2 s"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    // Bounded: two seconds and the time to start; not a figure, a hang's absence.
    assert!(waited < std::time::Duration::from_secs(60), "{waited:?}");
}

#[test]
fn a_writer_frozen_holding_a_streams_lock_is_waited_for_no_longer_than_db_timeout() {
    let url = karabakh_stream("main");
    // Another session takes the stream's lock, as a frozen appender would hold it.
    let mut holder = Client::connect(&url, NoTls).unwrap();
    let mut transaction = holder.transaction().unwrap();
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('accord:' || $1, 0))",
            &[&"main"],
        )
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let drafts = directory.path().join("d.jsonl");
    std::fs::write(
        &drafts,
        "{\"occurred\":\"2021-05-07T00:00:00Z\",\"type\":\"issue.raised\",\"data\":{\"issue\":\"locked\",\"title\":\"L\"}}\n",
    )
    .unwrap();
    let output = accord(&[
        "append",
        &url,
        drafts.to_str().unwrap(),
        "--db-timeout",
        "2",
    ]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("lock"), "{said}");
    assert!(said.contains("--db-timeout"), "{said}");
    transaction.rollback().unwrap();
    // Nothing was written; with the lock free the append lands.
    let output = accord(&[
        "append",
        &url,
        drafts.to_str().unwrap(),
        "--db-timeout",
        "2",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn db_init_again_needs_no_create_privilege() {
    // Post-mortem: `db init` run again by a user without CREATE on the schema failed,
    // though a second run changes nothing.
    let url = fresh_database();
    assert!(accord(&["db", "init", &url]).status.success());
    let mut client = Client::connect(&url, NoTls).unwrap();
    let role = format!("reader_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role};"
        ))
        .unwrap();
    let as_role = url.replacen("postgres@", &format!("{role}@"), 1);
    let again = accord(&["db", "init", &as_role]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{said}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
}

// Format version 2 on a stream: a log with corrections (the shipped Karabakh log) folds on
// a stream as in its file, and a retraction appended to each lands alike.
#[test]
fn a_stream_with_corrections_folds_as_its_file_and_takes_a_retraction() {
    let url = fresh_database();
    assert!(accord(&["db", "init", &url]).status.success());
    let directory = tempfile::tempdir().unwrap();
    let copy = directory.path().join("karabakh.jsonl");
    std::fs::copy(crate::binary::shipped_karabakh(), &copy).unwrap();
    let file = copy.to_str().unwrap();
    assert!(
        accord(&["copy", file, &url, "--stream", "c"])
            .status
            .success()
    );
    let on_both = |arguments: &[&str]| on_file_and_stream(file, &url, "c", arguments);
    let same = |arguments: &[&str]| same_on_file_and_stream(file, &url, "c", arguments);
    same(&["state", "--json"]);
    same(&["state", "--json", "--at", "38"]);
    same(&["state", "--json", "--at", "60"]);
    same(&["state", "--json", "--as-of", "2020-12-05"]);
    same(&["history", "party:RUS", "--json"]);
    same(&["diff", "38", "78", "--json"]);
    same(&["verify", "--json"]);
    // A retraction lands on both under the same rules; a retraction of a correction is
    // refused on both.
    let (file_refused, stream_refused) = on_both(&["retract", "39", "--reason", "x"]);
    assert_eq!(file_refused.status.code(), Some(1));
    assert_eq!(stream_refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stream_refused.stderr).contains("correction.target"));
    let (file_retracted, stream_retracted) =
        on_both(&["retract", "37", "--reason", "no source for it"]);
    assert!(file_retracted.status.success());
    assert!(
        stream_retracted.status.success(),
        "{}",
        String::from_utf8_lossy(&stream_retracted.stderr)
    );
    let (from_file, from_stream) = on_both(&["state", "--json"]);
    let state = |output: &std::process::Output| -> serde_json::Value {
        let mut value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // The two retraction lines differ in their ids and times, so the heads differ.
        value.as_object_mut().unwrap().remove("head");
        value
    };
    assert_eq!(state(&from_stream), state(&from_file));
    assert_eq!(state(&from_stream)["events"], 39);
}

// An import into a stream reads what the stream holds and appends through the store: a
// newer release and a deletions list correct and retract there as in a file. Regression:
// an import into a stream no append had made yet was refused ("no stream named").
#[test]
fn an_import_into_a_stream_corrects_and_retracts_as_into_a_file() {
    let url = fresh_database();
    assert!(accord(&["db", "init", &url]).status.success());
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("acled.jsonl");
    let file = file.to_str().unwrap();
    let samples = crate::binary::root().join("tests/fixtures/import/acled");
    let sample = |name: &str| samples.join(name).to_str().unwrap().to_string();
    let steps = [
        vec![sample("acled.karabakh.2020-2021.csv")],
        vec![
            sample("acled.karabakh.2020-2021.updated.csv"),
            sample("acled.deletions.csv"),
        ],
        vec![
            sample("acled.karabakh.2020-2021.updated.csv"),
            sample("acled.deletions.csv"),
        ],
    ];
    for files in &steps {
        let run = |into: &[&str]| {
            let mut arguments = vec!["import", "acled"];
            arguments.extend(files.iter().map(String::as_str));
            arguments.push("--into");
            arguments.extend_from_slice(into);
            arguments.push("--json");
            let output = accord(&arguments);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let mut outcome: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            outcome.as_object_mut().unwrap().remove("head");
            outcome
        };
        assert_eq!(run(&[&url, "--stream", "acled"]), run(&[file]));
    }
    let state = |log: &[&str]| {
        let output = accord(&[&["state"], log, &["--json"]].concat());
        let mut state: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        state.as_object_mut().unwrap().remove("head");
        state
    };
    let streamed = state(&[&url, "--stream", "acled"]);
    assert_eq!(streamed, state(&[file]));
    assert_eq!(streamed["corrections"].as_array().unwrap().len(), 2);
}
