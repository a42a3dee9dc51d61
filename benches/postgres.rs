//! The PostgreSQL store's figures for `docs/performance.md`: appends per second (one-event
//! and 1000-event batches, one writer and eight), and the replay of a million-event stream
//! beside the same log as a file.
//!
//! Needs a server: `ACCORD_BENCH_POSTGRES` names a database on it whose user may create
//! databases (each run works in a new one, dropped at the end). For figures that mean
//! anything, give it a server that syncs its commits:
//!
//! ```text
//! read -r data url <<< "$(ACCORD_POSTGRES_FSYNC=on ACCORD_POSTGRES_PORT=54330 .ci/postgres)"
//! ACCORD_BENCH_POSTGRES="$url" cargo bench --features postgres --bench postgres
//! .ci/postgres stop "$data"
//! ```
//!
//! Name one part to run only it: `appends` or `replay`.

#[path = "million/mod.rs"]
mod million;

use std::time::Instant;

use accord::format::event::Draft;
use accord::stores::Store;
use accord::stores::file::parse_drafts;
use accord::stores::postgres::{self as pg_store, PgStore};
use chrono::Utc;
use postgres::{Client, NoTls};

const WRITERS: usize = 8;
const ISSUES: usize = 10;

/// A new database on the benchmark server, its schema made; its name and URL.
fn fresh_database() -> (String, String) {
    let url = std::env::var("ACCORD_BENCH_POSTGRES")
        .expect("ACCORD_BENCH_POSTGRES names the benchmark's server (see the file's comment)");
    let mut client = Client::connect(&url, NoTls).expect("the server answers");
    let name = format!("accord_bench_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database can be created");
    let (base, _) = url.rsplit_once('/').expect("a URL ends with its database");
    let database = format!("{base}/{name}");
    pg_store::init(&database).unwrap();
    (name, database)
}

fn drop_database(name: &str) {
    let url = std::env::var("ACCORD_BENCH_POSTGRES").unwrap();
    let mut client = Client::connect(&url, NoTls).unwrap();
    client
        .batch_execute(&format!("DROP DATABASE {name}"))
        .unwrap();
}

fn drafts_of(lines: &str) -> Vec<(usize, Draft)> {
    parse_drafts(lines.as_bytes()).unwrap()
}

/// The parties and issues every writer speaks of: the stream's first batch.
fn setup_drafts() -> Vec<(usize, Draft)> {
    let mut lines = String::new();
    for writer in 0..WRITERS {
        lines.push_str(&format!(
            r#"{{"type":"party.joined","occurred":"2030-01-01T00:00:00Z","data":{{"party":"W{writer}","name":"Writer {writer}","role":"party"}}}}"#
        ));
        lines.push('\n');
    }
    for issue in 0..ISSUES {
        lines.push_str(&format!(
            r#"{{"type":"issue.raised","occurred":"2030-01-01T00:00:00Z","data":{{"issue":"I{issue}","title":"Issue {issue}"}}}}"#
        ));
        lines.push('\n');
    }
    drafts_of(&lines)
}

/// `count` positions of writer `writer`, numbered from `first`: each replaces the writer's
/// position on one issue, so the state stays the same size however long the stream grows.
fn positions(writer: usize, first: usize, count: usize) -> Vec<(usize, Draft)> {
    let mut lines = String::new();
    for number in first..first + count {
        lines.push_str(&format!(
            r#"{{"type":"statement.made","occurred":"2030-01-02T00:00:00Z","data":{{"by":"W{writer}","kind":"position","issue":"I{}","text":"Position {number} of writer {writer}."}}}}"#,
            number % ISSUES
        ));
        lines.push('\n');
    }
    drafts_of(&lines)
}

/// Appends `batches` batches of `batch` events from each of `writers` writers at once, each
/// writer with its own connection; events per second over the whole run.
fn appends_per_second(writers: usize, batch: usize, batches: usize) -> (f64, f64) {
    let (name, url) = fresh_database();
    PgStore::open(&url, "bench")
        .unwrap()
        .append_batch(&setup_drafts(), None, Utc::now())
        .unwrap();
    // Every batch is made before the clock starts: the figure is the store's.
    let work: Vec<Vec<Vec<(usize, Draft)>>> = (0..writers)
        .map(|writer| {
            (0..batches)
                .map(|index| positions(writer, index * batch, batch))
                .collect()
        })
        .collect();
    let stores: Vec<PgStore> = (0..writers)
        .map(|_| PgStore::open(&url, "bench").unwrap())
        .collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (store, batches) in stores.iter().zip(&work) {
            scope.spawn(move || {
                for drafts in batches {
                    store.append_batch(drafts, None, Utc::now()).unwrap();
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let events = (writers * batch * batches) as f64;
    let (count, _) = stores[0].head().unwrap();
    assert_eq!(
        count as usize,
        setup_drafts().len() + writers * batch * batches
    );
    // The stream verifies: every writer's lines are chained and fold.
    let verified = stores[0]
        .read_with(|source| {
            accord::replay::replay_whole(source, &Default::default(), &mut |_| {})
                .map(|replay| replay.position.seq)
        })
        .unwrap()
        .unwrap();
    assert_eq!(verified, count);
    drop(stores);
    drop_database(&name);
    (events / seconds, seconds)
}

fn appends() {
    println!("| writers | batch | events | time | events/s |\n|---|---|---|---|---|");
    for (writers, batch, batches) in [
        (1, 1, 2_000),
        (WRITERS, 1, 500),
        (1, 1_000, 100),
        (WRITERS, 1_000, 25),
    ] {
        let (rate, seconds) = appends_per_second(writers, batch, batches);
        println!(
            "| {writers} | {batch} | {} | {seconds:.2} s | {rate:.0} |",
            writers * batch * batches
        );
    }
}

fn replay() {
    let (path, _) = million::log();
    let bytes = std::fs::read(&path).unwrap();
    let (name, url) = fresh_database();
    let store = PgStore::open(&url, "million").unwrap();
    let started = Instant::now();
    let imported = store.import(&bytes).unwrap();
    let import_seconds = started.elapsed().as_secs_f64();
    drop(bytes);
    println!(
        "| measure | time | events/s |\n|---|---|---|\n| import ({imported} lines, `accord copy` into the database) | {import_seconds:.2} s | {:.0} |",
        imported as f64 / import_seconds
    );
    for round in 0..3 {
        let started = Instant::now();
        let stream_replay = store
            .read_with(|source| {
                accord::replay::replay_whole(source, &Default::default(), &mut |_| {})
            })
            .unwrap()
            .unwrap();
        let stream_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let file_replay = million::replay_file(&path);
        let file_seconds = started.elapsed().as_secs_f64();
        assert_eq!(stream_replay.position.head, file_replay.position.head);
        assert_eq!(stream_replay.folded.state, file_replay.folded.state);
        println!(
            "| round {round}: replay of the stream (pages of {} rows) | {stream_seconds:.2} s | {:.0} |",
            pg_store::PAGE_ROWS,
            imported as f64 / stream_seconds
        );
        println!(
            "| round {round}: replay of the same log as a file | {file_seconds:.2} s | {:.0} |",
            imported as f64 / file_seconds
        );
    }
    drop(store);
    drop_database(&name);
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|argument| !argument.starts_with('-'))
        .collect();
    let run = |part: &str| only.is_empty() || only.iter().any(|name| name == part);
    if run("appends") {
        appends();
    }
    if run("replay") {
        replay();
    }
}
