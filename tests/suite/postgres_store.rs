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
    Command::new(env!("CARGO_BIN_EXE_accord"))
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
    assert!(String::from_utf8_lossy(&first.stdout).contains("created the accord schema 1"));
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
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/karabakh.jsonl");
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
