//! `verify` of the million-event log against its floor, shared by `benches/replay.rs` and
//! `benches/engine.rs` (which prints every whole-log figure in one run). See
//! `benches/replay.rs` for what is measured and how.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

use accord::stores::file::FileStore;
use serde::Deserialize;

use crate::million;
use crate::million::EVENTS;

const ROUNDS: usize = 7;

/// The envelope as a plain serde_json program would read it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read to be parsed, never looked at
struct Envelope {
    v: u64,
    seq: u64,
    id: String,
    occurred: String,
    recorded: String,
    #[serde(rename = "type")]
    type_name: String,
    data: serde_json::Value,
    source: Option<String>,
    prev: String,
}

fn cat(path: &std::path::Path) -> u64 {
    let mut file = File::open(path).unwrap();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        let read = file.read(&mut buffer).unwrap();
        if read == 0 {
            return total;
        }
        total += read as u64;
    }
}

fn baseline(path: &std::path::Path) -> u64 {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut line = Vec::new();
    let mut lines = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            return lines;
        }
        let envelope: Envelope = serde_json::from_slice(&line).unwrap();
        assert_eq!(envelope.seq, lines + 1);
        lines += 1;
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times `cat`, the baseline and `verify` in alternating rounds and prints the table.
pub fn verify_against_baseline() {
    let (path, built) = million::log();
    let bytes = std::fs::metadata(&path).unwrap().len();
    if let Some(seconds) = built {
        println!("built the log in {seconds:.1} s");
    }
    let store = FileStore::new(&path);
    let (mut cats, mut baselines, mut verifies, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let time_baseline = || {
        let started = Instant::now();
        assert_eq!(baseline(&path), EVENTS);
        started.elapsed().as_secs_f64()
    };
    let mut baseline_before = time_baseline();
    for _ in 0..ROUNDS {
        let started = Instant::now();
        assert_eq!(cat(&path), bytes);
        cats.push(started.elapsed().as_secs_f64());
        // The streaming engine, as `accord verify` runs it (without the snapshots' checks).
        let started = Instant::now();
        let replay = million::replay_file(&path);
        assert_eq!(replay.position.seq, EVENTS);
        let verify = started.elapsed().as_secs_f64();
        verifies.push(verify);
        let baseline_after = time_baseline();
        baselines.push(baseline_after);
        ratios.push(verify / ((baseline_before + baseline_after) / 2.0));
        baseline_before = baseline_after;
    }
    // The two halves of the older reader that held the log, once: reading (hash, parse,
    // envelope rules, every event kept) and the fold.
    let started = Instant::now();
    let log = store
        .read(&accord::reading::log::Prefix::default())
        .unwrap();
    let read = started.elapsed().as_secs_f64();
    let started = Instant::now();
    accord::fold::fold(&log.events, None).unwrap();
    let fold = started.elapsed().as_secs_f64();
    let base = median(baselines);
    println!(
        "log: {EVENTS} events, {:.0} MB; medians of {ROUNDS} rounds\n",
        bytes as f64 / 1e6
    );
    println!("| measure | time | events/s | MB/s | × baseline |");
    println!("|---|---|---|---|---|");
    for (label, seconds) in [
        ("read the file (cat)", median(cats)),
        ("baseline: serde_json, typed envelope, one core", base),
        (
            "accord verify, streaming (hash, parse, rules, fold)",
            median(verifies),
        ),
        (
            "held reader (once): hash, parse, rules, keeping every event",
            read,
        ),
        ("held reader (once): the fold of the kept events", fold),
    ] {
        println!(
            "| {label} | {seconds:.3} s | {:.0} | {:.0} | {:.2} |",
            EVENTS as f64 / seconds,
            bytes as f64 / 1e6 / seconds,
            seconds / base
        );
    }
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "\nverify / baseline, round by round: median {:.2} (from {:.2} to {:.2})",
        median(ratios),
        sorted[0],
        sorted[sorted.len() - 1]
    );
}
