//! Query benchmark: a log of 1,000,000 events with a snapshot every 100,000, and the cost of
//! `state --at N` and `state --as-of T` through the snapshots, against a fold from nothing.
//!
//! Run: `cargo bench --bench queries` (release build). The log is written once under
//! `target/bench-data/` and reused. Prints a Markdown table (see docs/benchmarks.md).

use std::fs;
use std::time::Instant;

use accord::stores::file::FileStore;
use accord::stores::query::Query;

mod million;
use million::{EVENTS, SNAPSHOT_EVERY, occurred};

fn main() {
    let (path, built) = million::log();
    let store = FileStore::new(&path);
    let size = fs::metadata(&path).unwrap().len();
    println!(
        "log: {EVENTS} events, {:.0} MB, snapshots every {SNAPSHOT_EVERY}",
        size as f64 / 1e6
    );
    if let Some(seconds) = built {
        println!("built (writing lines and 10 snapshots) in {seconds:.1} s");
    }

    let started = Instant::now();
    let (log, _) = store.verify().unwrap();
    println!(
        "verify (every line, full fold): {:.2} s, {} events\n",
        started.elapsed().as_secs_f64(),
        log.len()
    );

    println!("| query | snapshot used | lines read | events folded | time |");
    println!("|---|---|---|---|---|");
    let run = |label: String, query: Query| {
        let started = Instant::now();
        let answer = accord::stores::file::queries::answer(&store, &query).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let snapshot = answer
            .snapshot
            .map_or("none".to_string(), |seq| format!("seq {seq}"));
        println!(
            "| {label} | {snapshot} | {} | {} | {:.3} s |",
            answer.lines_read, answer.events_folded, seconds
        );
        assert!(answer.warnings.is_empty());
        answer
    };
    let full = run(
        "state (no snapshots)".into(),
        Query {
            without_snapshots: true,
            ..Query::default()
        },
    );
    let fast = run("state".into(), Query::default());
    assert_eq!(full.folded, fast.folded);
    for at in [1, 50_000, 99_999, 100_000, 150_000, 450_000, 999_999] {
        let answer = run(
            format!("state --at {at}"),
            Query {
                at: Some(at),
                ..Query::default()
            },
        );
        assert!(answer.events_folded <= 100_000);
    }
    for seq in [50_000, 250_000, 650_000, 999_000] {
        let as_of = occurred(seq);
        let answer = run(
            format!("state --as-of {as_of}"),
            Query {
                as_of: Some(as_of),
                ..Query::default()
            },
        );
        assert!(answer.events_folded <= 100_000);
    }
    let as_of = occurred(650_000);
    run(
        format!("state --as-of {as_of} (no snapshots)"),
        Query {
            as_of: Some(as_of),
            without_snapshots: true,
            ..Query::default()
        },
    );
    // `head` folds nothing: it checks the envelopes of the lines after the newest snapshot
    // that fits (or of every line) and hashes.
    println!("\n| head | time |");
    println!("|---|---|");
    for at in [None, Some(999_999), Some(50_000)] {
        let started = Instant::now();
        let (seq, head, warnings) = accord::stores::file::queries::head(&store, at).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert!(warnings.is_empty());
        assert_eq!(seq, at.unwrap_or(EVENTS));
        if at.is_none() {
            assert_eq!(head, log.head());
        }
        let label = at.map_or("head".to_string(), |at| format!("head --at {at}"));
        println!("| {label} | {seconds:.3} s |");
    }
}
