//! Criterion benchmarks of accord's parts, each on its own: the reducer, parsing a line,
//! hashing a line, verifying a log, appending one event, and answering a query from a
//! snapshot. The whole-log figures against the baseline are `cargo bench --bench replay`
//! and `--bench engine` at the top; these are the parts those figures are made of.
//!
//! Run: `cargo bench -p accord-criterion` (about two minutes). The log is the benchmark
//! negotiation of `benches/million/`, cut to `EVENTS` lines and written to a temporary
//! directory, with a snapshot every `SNAPSHOT_EVERY` lines.

use std::hint::black_box;
use std::path::PathBuf;

use accord::fold::Folded;
use accord::format::event::Event;
use accord::format::ids::Hash;
use accord::replay::{BytesSource, replay_whole};
use accord::stores::file::{Appender, FileStore, parse_drafts};
use accord::stores::query::Query;
use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "../million/mod.rs"]
mod million;

/// Lines of the benchmark log: enough for every table of the state to fill, small enough
/// that a sample takes milliseconds.
const EVENTS: u64 = 20_000;
const SNAPSHOT_EVERY: u64 = 5_000;

struct Fixture {
    _directory: tempfile::TempDir,
    path: PathBuf,
    bytes: Vec<u8>,
    events: Vec<Event>,
}

fn fixture() -> Fixture {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("bench.jsonl");
    million::write_log(&path, EVENTS, None, Some(SNAPSHOT_EVERY));
    let bytes = std::fs::read(&path).unwrap();
    let (log, _) = accord::fold::verify_log(&bytes).unwrap();
    Fixture {
        _directory: directory,
        path,
        bytes,
        events: log.events,
    }
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
}

fn parts(criterion: &mut Criterion) {
    let fixture = fixture();
    let line_count = EVENTS;

    let mut group = criterion.benchmark_group("per line");
    group.throughput(Throughput::Elements(line_count));
    group.bench_function("reducer alone (apply every event to a state)", |bench| {
        bench.iter_batched(
            Folded::default,
            |mut folded| {
                for event in &fixture.events {
                    folded.apply(event).unwrap();
                }
                folded
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("parse a line into a typed event", |bench| {
        bench.iter(|| {
            for line in lines(&fixture.bytes) {
                black_box(Event::parse_line(line).unwrap());
            }
        })
    });
    group.bench_function("hash a line (SHA-256)", |bench| {
        bench.iter(|| {
            for line in lines(&fixture.bytes) {
                black_box(Hash::of(line));
            }
        })
    });
    group.throughput(Throughput::Bytes(fixture.bytes.len() as u64));
    group.bench_function("verify the log (hash, parse, rules, fold)", |bench| {
        bench.iter(|| {
            let replay = replay_whole(
                &BytesSource(&fixture.bytes),
                &Default::default(),
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(replay.position.seq, EVENTS);
        })
    });
    group.finish();

    let mut group = criterion.benchmark_group("store");
    let store = FileStore::new(&fixture.path);
    // Appends go to a copy, so that the queries below see the log as written.
    let copy_directory = tempfile::tempdir().unwrap();
    let copy = FileStore::new(copy_directory.path().join("copy.jsonl"));
    std::fs::copy(&fixture.path, copy.path()).unwrap();
    let mut appender = Appender::new(&copy);
    let mut statement = 0u64;
    let clock = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    group.bench_function("append one event, fsync included (held appender)", |bench| {
        bench.iter(|| {
            statement += 1;
            let draft = parse_drafts(
                format!(
                    r#"{{"type":"statement.made","occurred":"2030-01-01T00:00:00Z","data":{{"by":"P0","kind":"claim","text":"bench {statement}"}}}}"#
                )
                .as_bytes(),
            )
            .unwrap();
            appender.append(&draft, None, clock).unwrap();
        })
    });
    let middle = Query {
        at: Some(EVENTS / 2 + 100),
        ..Query::default()
    };
    group.bench_function("state at a line, from the snapshot before it", |bench| {
        bench.iter(|| black_box(accord::stores::file::queries::answer(&store, &middle).unwrap()))
    });
    group.bench_function("head (no fold)", |bench| {
        bench.iter(|| black_box(accord::stores::file::queries::head(&store, None).unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .measurement_time(std::time::Duration::from_secs(4));
    targets = parts
}
criterion_main!(benches);
