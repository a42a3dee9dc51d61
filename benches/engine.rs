//! The replay engine's whole-log figures in one run: `verify` of the million-event log
//! against the baseline (as `--bench replay` prints it), what appends cost on that log, and
//! peak memory of `verify` and `state` on ten-million-event logs (world order, and 1%
//! backfilled).
//!
//! Run: `cargo bench --bench engine` for all of them, or name one: `ratio`, `append`,
//! `ten-million`, `ten-million-heap` (release build; writes two 3.4 GB logs under
//! `target/bench-data/` the first time, and a copy of the million-event log). Peak memory
//! is measured with `/usr/bin/time -f %M` around the release `accord` binary. Prints
//! Markdown tables (see docs/performance.md).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use accord::stores::file::{Appender, FileStore, parse_drafts};
use chrono::{TimeZone, Utc};

mod million;
mod whole_log;

/// Counts the bytes the process holds on the heap, and the most it held, so that the
/// engine's own memory can be told from the state's.
struct CountingAllocator;

static HELD: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);
static PEAK: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);
/// Counting is on only during `heap_of_replay`: the atomic counts would slow the timed
/// figures' allocations. Blocks made before it was on and freed while it is make `HELD`
/// lower, by the little the process held before the replay.
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        if COUNTING.load(Relaxed) {
            let size = layout.size() as isize;
            let held = HELD.fetch_add(size, Relaxed) + size;
            PEAK.fetch_max(held, Relaxed);
        }
        // SAFETY: the layout is passed on unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: std::alloc::Layout) {
        if COUNTING.load(std::sync::atomic::Ordering::Relaxed) {
            HELD.fetch_sub(layout.size() as isize, std::sync::atomic::Ordering::Relaxed);
        }
        // SAFETY: the pointer came from `alloc` with this layout.
        unsafe { std::alloc::System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A replay of the whole log in this process: the heap at its peak, and what the state
/// alone holds once the replay is over (everything else dropped).
fn heap_of_replay(path: &Path) -> (f64, f64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    COUNTING.store(true, Relaxed);
    let before = HELD.load(Relaxed);
    PEAK.store(before, Relaxed);
    let replay = million::replay_file(path);
    let peak = PEAK.load(Relaxed) - before;
    let folded = replay.folded;
    let late = replay.late_lines;
    let state = HELD.load(Relaxed) - before;
    drop(folded);
    COUNTING.store(false, Relaxed);
    let mib = |bytes: isize| bytes as f64 / (1 << 20) as f64;
    (mib(peak), mib(state), late)
}

const TEN_MILLION: u64 = 10_000_000;

fn data_directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

fn accord_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/accord");
    if !path.exists() {
        let built = Command::new(env!("CARGO"))
            .args(["build", "--release", "-p", "accord-cli", "--bin", "accord"])
            .status()
            .unwrap();
        assert!(built.success());
    }
    path
}

/// Wall time and peak RSS (MiB) of `accord ARGS`, which must succeed.
fn timed(args: &[&str]) -> (f64, f64) {
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg(accord_binary())
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap();
    let mut fields = last.split_whitespace();
    let seconds: f64 = fields.next().unwrap().parse().unwrap();
    let kib: f64 = fields.next().unwrap().parse().unwrap();
    (seconds, kib / 1024.0)
}

fn ten_million_logs(commands: bool) {
    let directory = data_directory();
    fs::create_dir_all(&directory).unwrap();
    println!("| log | command | time | peak RSS |\n|---|---|---|---|");
    for (name, late_every) in [
        ("ten-million-v1.jsonl", None),
        ("ten-million-late-v1.jsonl", Some(100)),
    ] {
        let path = directory.join(name);
        if !path.exists() {
            let seconds = million::write_log(&path, TEN_MILLION, late_every, None);
            eprintln!("wrote {name} in {seconds:.0} s");
        }
        let text = path.to_str().unwrap();
        let size = fs::metadata(&path).unwrap().len() as f64 / 1e9;
        let label = match late_every {
            None => format!("10,000,000 events, world order, {size:.2} GB"),
            Some(_) => format!("10,000,000 events, 1% backfilled, {size:.2} GB"),
        };
        for command in ["verify", "state"].into_iter().filter(|_| commands) {
            let args: Vec<&str> = if command == "state" {
                vec!["state", "--hash", text]
            } else {
                vec!["verify", text]
            };
            let (seconds, mib) = timed(&args);
            println!("| {label} | `accord {command}` | {seconds:.1} s | {mib:.0} MiB |");
        }
        let (peak, state, late) = heap_of_replay(&path);
        println!(
            "| {label} | replay in process: heap at its peak | | {peak:.0} MiB, of which the state {state:.0} MiB and the engine {:.0} MiB ({late} late lines) |",
            peak - state
        );
        if !commands {
            continue;
        }
        // The state's own size, for the bound: its JSON.
        let output = Command::new(accord_binary())
            .args(["state", "--json", text])
            .output()
            .unwrap();
        println!(
            "| {label} | (the state document) | | {:.1} MiB of JSON |",
            output.stdout.len() as f64 / (1 << 20) as f64
        );
    }
}

/// Median wall time (of `rounds` runs, the process's start included, timed here to the
/// microsecond) and the peak RSS of one more run, for `accord ARGS` with its output thrown
/// away.
fn timed_median(args: &[&str], rounds: usize) -> (f64, f64) {
    let seconds: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new(accord_binary())
                .args(args)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{args:?}");
            started.elapsed().as_secs_f64()
        })
        .collect();
    let (_, rss) = timed(args);
    (median(seconds), rss)
}

/// Entries in an entity's history, as `accord history --json` prints them (one a line).
fn history_length(log: &str, entity: &str) -> usize {
    let output = Command::new(accord_binary())
        .args(["history", log, entity, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    output.stdout.iter().filter(|byte| **byte == b'\n').count()
}

/// The entity index on the world-ordered ten-million-event log: writing it, then `history`
/// and `state --entity` of entities of every size, from the index and (once) from the log.
fn entity_index() {
    let directory = data_directory();
    fs::create_dir_all(&directory).unwrap();
    let path = directory.join("ten-million-v1.jsonl");
    if !path.exists() {
        let seconds = million::write_log(&path, TEN_MILLION, None, None);
        eprintln!("wrote ten-million-v1.jsonl in {seconds:.0} s");
    }
    let text = path.to_str().unwrap();
    let mut index = path.as_os_str().to_owned();
    index.push(".index");
    let _ = fs::remove_file(&index);
    let (seconds, mib) = timed(&["index", text]);
    let bytes = fs::metadata(&index).unwrap().len() as f64 / 1e9;
    let log_bytes = fs::metadata(&path).unwrap().len() as f64 / 1e9;
    println!(
        "| 10,000,000 events, world order, {log_bytes:.2} GB | what | time | peak RSS |\n|---|---|---|---|"
    );
    println!("| | `accord index` (writes {bytes:.2} GB) | {seconds:.1} s | {mib:.0} MiB |");
    for entity in [
        "proposal:X250000",
        "agreement:framework",
        "provision:framework/p7",
        "issue:I7",
        "party:P7",
    ] {
        let entries = history_length(text, entity);
        let (seconds, mib) = timed_median(&["history", text, entity, "--json"], 5);
        println!(
            "| | `accord history {entity} --json` ({entries} entries), from the index, median of 5 | {:.1} ms | {mib:.0} MiB |",
            seconds * 1e3
        );
        let (seconds, mib) = timed_median(&["state", text, "--entity", entity, "--json"], 5);
        println!(
            "| | `accord state --entity {entity} --json`, from the index, median of 5 | {:.1} ms | {mib:.0} MiB |",
            seconds * 1e3
        );
    }
    // Without the index, the same questions fold the log.
    let aside = directory.join("ten-million-v1.jsonl.index.aside");
    fs::rename(&index, &aside).unwrap();
    let (seconds, mib) = timed(&["history", text, "proposal:X250000", "--json"]);
    println!(
        "| | `accord history proposal:X250000 --json` without the index | {seconds:.1} s | {mib:.0} MiB |"
    );
    let (seconds, mib) = timed(&["state", text, "--entity", "proposal:X250000", "--json"]);
    println!(
        "| | `accord state --entity proposal:X250000 --json` without the index | {seconds:.1} s | {mib:.0} MiB |"
    );
    fs::rename(&aside, &index).unwrap();
}

fn draft_line(number: u64) -> String {
    format!(
        r#"{{"type":"statement.made","occurred":"2100-01-01T00:00:00Z","data":{{"by":"P1","kind":"claim","text":"Appended claim {number}."}}}}"#
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn appends() {
    let (source, _) = million::log();
    let path = data_directory().join("append-copy.jsonl");
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(path.with_extension("jsonl.tail"));
    fs::copy(&source, &path).unwrap();
    let store = FileStore::new(&path);
    let clock = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();

    // The fsync alone: a line's bytes appended and made durable, 1,000 times.
    let scratch = data_directory().join("fsync-scratch.bin");
    let _ = fs::remove_file(&scratch);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&scratch)
        .unwrap();
    let line = vec![b'x'; 300];
    let mut fsyncs = Vec::new();
    for _ in 0..1_000 {
        let started = Instant::now();
        file.write_all(&line).unwrap();
        file.sync_data().unwrap();
        fsyncs.push(started.elapsed().as_secs_f64());
    }
    let _ = fs::remove_file(&scratch);

    println!("| append to the million-event log | time |\n|---|---|");
    // The first append reads the whole log (no checkpoint yet) and writes the checkpoint.
    let started = Instant::now();
    store
        .append(
            &parse_drafts(draft_line(0).as_bytes()).unwrap(),
            None,
            clock,
        )
        .unwrap();
    println!(
        "| first append, no checkpoint yet (reads the log, writes `LOG.tail`) | {:.2} s |",
        started.elapsed().as_secs_f64()
    );

    let mut appender = Appender::new(&store);
    appender
        .append(
            &parse_drafts(draft_line(1).as_bytes()).unwrap(),
            None,
            clock,
        )
        .unwrap();
    let mut singles = Vec::new();
    let all = Instant::now();
    for number in 0..1_000 {
        let drafts = parse_drafts(draft_line(10 + number).as_bytes()).unwrap();
        let started = Instant::now();
        appender.append(&drafts, None, clock).unwrap();
        singles.push(started.elapsed().as_secs_f64());
    }
    let total = all.elapsed().as_secs_f64();
    println!(
        "| 1,000 single-event appends through one `Appender` | {:.3} s in all; median {:.3} ms each |",
        total,
        median(singles.clone()) * 1e3
    );
    println!(
        "| the fsync alone (300 bytes appended, `fdatasync`), 1,000 times | median {:.3} ms |",
        median(fsyncs) * 1e3
    );

    // A fresh appender per append, as `FileStore::append` and `accord append` do: the
    // checkpoint is read, then the lines after it.
    let mut fresh = Vec::new();
    for number in 0..20 {
        let drafts = parse_drafts(draft_line(5_000 + number).as_bytes()).unwrap();
        let started = Instant::now();
        store.append(&drafts, None, clock).unwrap();
        fresh.push(started.elapsed().as_secs_f64());
    }
    println!(
        "| `FileStore::append`, one event, a fresh appender each time (20 runs) | median {:.1} ms |",
        median(fresh) * 1e3
    );
    let drafts_file = data_directory().join("one-draft.jsonl");
    fs::write(&drafts_file, format!("{}\n", draft_line(9_999))).unwrap();
    let mut cli = Vec::new();
    for _ in 0..10 {
        let (seconds, _) = timed(&[
            "append",
            path.to_str().unwrap(),
            drafts_file.to_str().unwrap(),
        ]);
        cli.push(seconds);
    }
    println!(
        "| `accord append`, one event (10 runs) | median {:.2} s |",
        median(cli)
    );

    // 100,000 drafts in one batch, against parsing them alone.
    let text: String = (0..100_000u64)
        .map(|number| format!("{}\n", draft_line(100_000 + number)))
        .collect();
    let started = Instant::now();
    let drafts = parse_drafts(text.as_bytes()).unwrap();
    let parse = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let outcome = appender.append(&drafts, None, clock).unwrap();
    let batch = started.elapsed().as_secs_f64();
    assert_eq!(outcome.drafts.len(), 100_000);
    println!("| parsing 100,000 drafts (the batch's baseline) | {parse:.2} s |");
    println!(
        "| appending them in one batch (after parsing) | {batch:.2} s (target: at most 1 s more than parsing) |"
    );

    // Eight threads, each with its own appender, 100 single appends each.
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..8u64 {
            let store = &store;
            scope.spawn(move || {
                let mut appender = Appender::new(store);
                for number in 0..100 {
                    let drafts =
                        parse_drafts(draft_line(1_000_000 + thread * 1_000 + number).as_bytes())
                            .unwrap();
                    appender.append(&drafts, None, clock).unwrap();
                }
            });
        }
    });
    println!(
        "| 8 appenders at once, 100 single appends each (800 in all) | {:.2} s |",
        started.elapsed().as_secs_f64()
    );
    let (seconds, _) = timed(&["verify", path.to_str().unwrap()]);
    println!("| `accord verify` of the log after all that | {seconds:.1} s, ok |");
    let _ = fs::remove_file(&drafts_file);
    let _ = Path::new(&path);
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|argument| !argument.starts_with('-'))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|wanted| wanted == name);
    if run("ratio") {
        println!("## verify against the baseline, 1M events\n");
        whole_log::verify_against_baseline();
        println!();
    }
    if run("append") {
        appends();
    }
    if run("entity-index") {
        entity_index();
    }
    if run("ten-million") {
        ten_million_logs(true);
    } else if run("ten-million-heap") {
        ten_million_logs(false);
    }
}
