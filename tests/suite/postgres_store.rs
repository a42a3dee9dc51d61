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
